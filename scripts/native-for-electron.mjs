/**
 * better-sqlite3 for Electron's ABI, built apart from the Node build the tests use.
 *
 * `npm ci` builds better-sqlite3 for Node (the tests, `npm run serve`, the CLI). Electron embeds another
 * Node with another ABI, so the same `.node` file crashes the desktop app's start ("compiled against a
 * different Node.js version"). Rebuilding it in place (electron-builder's install-app-deps) would break the
 * other way round. So `npm start` builds a second copy with `@electron/rebuild` in a staging folder,
 * `out/native/electron-<version>-better-sqlite3-<version>-<platform>-<arch>/`, once per pair of versions, and hands its path to the
 * app (`LFC_SQLITE_BINDING`, read by src-main/main/services/core.ts, passed to better-sqlite3's
 * `nativeBinding`). An installer (`npm run dist`) needs none of this: electron-builder builds its copy
 * for Electron.
 */
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** The installed better-sqlite3's version (an upgrade needs a new Electron build). */
function betterSqliteVersion() {
  return JSON.parse(readFileSync(require.resolve('better-sqlite3/package.json'), 'utf8')).version;
}

/** Where the Electron build of the addon lives for this Electron version, better-sqlite3 version and machine. */
export function electronBindingPath(projectRootPath, electronVersion, sqliteVersion = betterSqliteVersion(), platform = process.platform, arch = process.arch) {
  return join(projectRootPath, 'out', 'native', `electron-${electronVersion}-better-sqlite3-${sqliteVersion}-${platform}-${arch}`, 'better_sqlite3.node');
}

/**
 * The path of better-sqlite3's addon built for this Electron version: the one built before, or a new build.
 * Throws with the reason when it cannot be built (no compiler, no Electron headers offline, …).
 */
export async function ensureElectronBinding(projectRootPath, electronVersion, log = console.log) {
  const version = betterSqliteVersion();
  const target = electronBindingPath(projectRootPath, electronVersion, version);
  if (existsSync(target)) return target;
  const sourceDir = dirname(require.resolve('better-sqlite3/package.json'));
  const staging = join(dirname(target), 'build');
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(join(staging, 'node_modules'), { recursive: true });
  writeFileSync(join(staging, 'package.json'), JSON.stringify({ name: 'lfc-native-electron', private: true, dependencies: { 'better-sqlite3': version } }, null, 2));
  // The package's sources without its Node build; its runtime helpers beside it.
  cpSync(sourceDir, join(staging, 'node_modules', 'better-sqlite3'), { recursive: true, filter: (src) => !src.startsWith(join(sourceDir, 'build')) });
  for (const dep of ['bindings', 'file-uri-to-path']) {
    try {
      cpSync(dirname(require.resolve(`${dep}/package.json`)), join(staging, 'node_modules', dep), { recursive: true });
    } catch {
      // optional helper missing: the rebuild says if it matters
    }
  }
  log(`Building better-sqlite3 ${version} for Electron ${electronVersion} (once; into ${dirname(target)})…`);
  try {
    const { rebuild } = await import('@electron/rebuild');
    await rebuild({ buildPath: staging, electronVersion, onlyModules: ['better-sqlite3'], force: true, buildFromSource: true });
    const built = join(staging, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
    if (!existsSync(built)) throw new Error(`the rebuild finished but ${built} is missing`);
    cpSync(built, target);
    return target;
  } finally {
    // A half build is never taken for a finished one: only `target` marks success.
    rmSync(staging, { recursive: true, force: true });
  }
}
