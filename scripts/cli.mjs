#!/usr/bin/env node
/**
 * Runs a command-line entry point (`src-main/cli/<name>.ts`) from a bundle that esbuild rebuilds only when
 * a source is newer than it. Compiling TypeScript on every start (tsx) cost more than a whole replay;
 * with the cached bundle `npm run replay` starts in about the time Node itself needs. Dependencies stay
 * external (native modules, WASM); the bundle lives in `node_modules/.cache/lfc-cli/`.
 *
 *   node scripts/cli.mjs <name> [args…]
 */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const [name, ...args] = process.argv.slice(2);
if (!name || !/^[a-z][a-z0-9-]*$/.test(name) || !existsSync(join(root, 'src-main/cli', `${name}.ts`))) {
  process.stderr.write(`cli: no command ${JSON.stringify(name ?? '')} in src-main/cli\n`);
  process.exit(2);
}

function newestSourceMs(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSourceMs(p));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

const outDir = join(root, 'node_modules/.cache/lfc-cli');
const outFile = join(outDir, `${name}.mjs`);
const stale =
  !existsSync(outFile) ||
  statSync(outFile).mtimeMs < Math.max(newestSourceMs(join(root, 'src-main')), statSync(join(root, 'package.json')).mtimeMs);
if (stale) {
  const { build } = await import('esbuild');
  mkdirSync(outDir, { recursive: true });
  await build({
    entryPoints: [join(root, 'src-main/cli', `${name}.ts`)],
    outfile: outFile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    sourcemap: 'inline',
    logLevel: 'error',
    // Let bundled code resolve `require` for the few CommonJS-only helpers, as Node's ESM would.
    banner: { js: "import { createRequire as __lfcRequire } from 'node:module'; const require = __lfcRequire(import.meta.url);" },
  });
}
process.argv = [process.argv[0], outFile, ...args];
await import(pathToFileURL(outFile).href);
