#!/usr/bin/env node
/**
 * `npm start`: build the Electron shell if needed and open the desktop window.
 *
 * Electron's runtime is a ~100 MB download that npm fetches in a postinstall step; on an offline or
 * filtered machine it is simply missing. That is an expected situation, not a crash, so this script
 * checks for the runtime itself (instead of `require('electron')`, which would try to download
 * synchronously and throw a stack trace), tries one bounded download, and otherwise explains what
 * works without a window.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { ensureElectronBinding } from './native-for-electron.mjs';

const DOWNLOAD_TIMEOUT_MS = 60_000;
const projectRootPath = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);

/** Inputs of `electron-vite build`; if any is newer than the oldest output, the build is stale. */
const BUILD_INPUT_PATHS = ['src-main', 'src-renderer', 'electron.vite.config.ts', 'package.json'];
const BUILD_OUTPUT_PATHS = ['out/main/index.js', 'out/preload/index.cjs', 'out/renderer/index.html'];

function packageDirPath(name) {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    return null;
  }
}

/** Path of the Electron executable if the runtime is installed, else null. Mirrors electron/index.js. */
function electronExecutablePath(electronDirPath) {
  const pathFilePath = join(electronDirPath, 'path.txt');
  if (!existsSync(pathFilePath)) return null;
  const executablePath = join(electronDirPath, 'dist', readFileSync(pathFilePath, 'utf8').trim());
  return existsSync(executablePath) ? executablePath : null;
}

/** Runs electron's own installer once, bounded in time. Returns null on success, else a one-line reason. */
function tryDownloadElectron(electronDirPath) {
  const timeoutS = DOWNLOAD_TIMEOUT_MS / 1000;
  console.log(`Electron's runtime is not installed; trying to download it (at most ${timeoutS} s)…`);
  const result = spawnSync(process.execPath, [join(electronDirPath, 'install.js')], {
    cwd: electronDirPath,
    timeout: DOWNLOAD_TIMEOUT_MS,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (result.error?.code === 'ETIMEDOUT' || result.signal !== null) return `the download did not finish within ${timeoutS} s`;
  if (result.error) return result.error.message;
  if (result.status !== 0) {
    // install.js prints the error's stack; its first line is the useful part (e.g. "getaddrinfo ENOTFOUND …").
    const firstLine = `${result.stderr}\n${result.stdout}`.split('\n').map((line) => line.trim()).find((line) => line.length > 0);
    return firstLine ?? `the installer exited with code ${result.status}`;
  }
  return null;
}

function explainAndExit(reason, electronVersion) {
  console.error(
    [
      '',
      'Local Flex Controller: the desktop window cannot start on this machine.',
      `Electron's runtime${electronVersion ? ` (v${electronVersion})` : ''} could not be downloaded${reason ? `: ${reason}` : ''}.`,
      '',
      'What works without it:',
      '  npm run serve                                    the same console in a browser on this machine',
      '  npm run demo                                     headless replay of a bundled scenario, with KPIs',
      '  npm run replay -- <scenario.json> --out <dir>    headless replay of any scenario file',
      '',
      'On a machine with internet access, run `npm start` again: the runtime is downloaded once, then cached.',
      '',
    ].join('\n'),
  );
  process.exit(1);
}

function newestMtimeMs(relativePaths) {
  let newestMs = 0;
  const visit = (absolutePath) => {
    const stats = statSync(absolutePath, { throwIfNoEntry: false });
    if (!stats) return;
    if (stats.isDirectory()) {
      for (const entry of readdirSync(absolutePath)) visit(join(absolutePath, entry));
    } else {
      newestMs = Math.max(newestMs, stats.mtimeMs);
    }
  };
  for (const relativePath of relativePaths) visit(join(projectRootPath, relativePath));
  return newestMs;
}

/** Oldest output's mtime, or null when an output is missing. */
function oldestOutputMtimeMs() {
  let oldestMs = Infinity;
  for (const relativePath of BUILD_OUTPUT_PATHS) {
    const stats = statSync(join(projectRootPath, relativePath), { throwIfNoEntry: false });
    if (!stats) return null;
    oldestMs = Math.min(oldestMs, stats.mtimeMs);
  }
  return oldestMs;
}

function buildIfStale() {
  const outputMs = oldestOutputMtimeMs();
  if (outputMs !== null && outputMs >= newestMtimeMs(BUILD_INPUT_PATHS)) return;

  console.log(outputMs === null ? 'No build in out/ yet: building…' : 'Sources changed since the last build: rebuilding…');
  const electronViteDirPath = packageDirPath('electron-vite');
  if (electronViteDirPath === null) {
    console.error('electron-vite is not installed; run `npm install` first.');
    process.exit(1);
  }
  const result = spawnSync(process.execPath, [join(electronViteDirPath, 'bin', 'electron-vite.js'), 'build'], {
    cwd: projectRootPath,
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    console.error('The build failed (see above); not starting the app.');
    process.exit(result.status ?? 1);
  }
}

function launch(executablePath, sqliteBindingPath) {
  // If set, ELECTRON_RUN_AS_NODE would make Electron behave as plain Node and ignore the app.
  const env = { ...process.env, LFC_SQLITE_BINDING: sqliteBindingPath };
  delete env.ELECTRON_RUN_AS_NODE;
  // `.` runs package.json "main" (out/main/index.js); extra `npm start -- <args>` go to Electron.
  const child = spawn(executablePath, ['.', ...process.argv.slice(2)], { cwd: projectRootPath, stdio: 'inherit', env });
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('error', (error) => {
    console.error(`Could not start Electron (${executablePath}): ${error.message}`);
    process.exit(1);
  });
  child.on('close', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}

async function main() {
  const electronDirPath = packageDirPath('electron');
  if (electronDirPath === null) explainAndExit('the electron package is not installed (run `npm install`)', null);

  const electronVersion = JSON.parse(readFileSync(join(electronDirPath, 'package.json'), 'utf8')).version;
  let executablePath = electronExecutablePath(electronDirPath);
  if (executablePath === null) {
    const reason = tryDownloadElectron(electronDirPath);
    executablePath = electronExecutablePath(electronDirPath);
    if (executablePath === null) explainAndExit(reason ?? 'the installer finished but no executable was found', electronVersion);
  }

  buildIfStale();
  let sqliteBindingPath;
  try {
    sqliteBindingPath = await ensureElectronBinding(projectRootPath, electronVersion);
  } catch (error) {
    console.error(
      [
        '',
        `Local Flex Controller: the history database's native module (better-sqlite3) could not be built for Electron ${electronVersion}:`,
        // The rebuild's own first lines, and the cause node-gyp gave (a missing compiler, no network for the headers).
        ...`${error instanceof Error ? error.message : String(error)}${error instanceof Error && error.cause ? `\n${String(error.cause)}` : ''}`
          .split('\n')
          .filter((line) => line.trim().length > 0)
          .slice(0, 8)
          .map((line) => `  ${line}`),
        'It needs a C++ toolchain (python3, make, g++ / Visual Studio Build Tools) and, once, Electron\'s headers from the internet.',
        'The console runs without it in a browser: npm run serve',
        '',
      ].join('\n'),
    );
    process.exit(1);
  }
  launch(executablePath, sqliteBindingPath);
}

void main();
