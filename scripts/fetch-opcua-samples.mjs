#!/usr/bin/env node
/**
 * Fetches node-opcua-samples@2.186.1 (the node-opcua project's own demo servers) into a cache folder outside
 * the repository's node_modules, so a test can run `simple_server` — an OPC UA server nobody on this team
 * wrote — against the EMS's connector.
 *
 * `npm i node-opcua-samples@2.186.1` fails: it pins node-opcua-server-configuration@2.186.1, which is not on
 * the registry (nor is the rest of the 2.186.1 stack here). So the script `npm pack`s the tarball, extracts
 * it, and installs beside it only the plain runtime packages `bin/simple_server.cjs` requires (at the
 * versions the sample pins); the `node-opcua*` packages resolve to the project's own node-opcua (2.182.2)
 * by normal resolution upwards from the cache folder, and through NODE_PATH.
 * It also writes `loopback-only.cjs`, a preload that makes every listening socket bind 127.0.0.1 (the
 * sample listens on all interfaces and has no option for it).
 *
 * Usage: node scripts/fetch-opcua-samples.mjs [cacheDir]   (default test-results/opcua-samples)
 * Prints one JSON line: { serverScript, preload, nodePath, cacheDir }. Cached: a second run does nothing.
 * Exit codes: 0 ready, 3 the npm registry is unreachable (callers skip), 1 any other failure.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const VERSION = '2.186.1';
const projectRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const cacheDir = resolve(process.argv[2] ?? join(projectRoot, 'test-results', 'opcua-samples'));
const samplesDir = join(cacheDir, 'node-opcua-samples');
const serverScript = join(samplesDir, 'bin', 'simple_server.cjs');
const preload = join(cacheDir, 'loopback-only.cjs');
const readyFile = join(cacheDir, 'ready.json');
const nodePath = join(projectRoot, 'node_modules');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

const UNREACHABLE = /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|EHOSTUNREACH|network|socket hang up|E5\d\d/i;

function done() {
  process.stdout.write(JSON.stringify({ serverScript, preload, nodePath, cacheDir }) + '\n');
  process.exit(0);
}

function run(args, what) {
  try {
    return execFileSync(npm, args, { cwd: cacheDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 180_000 });
  } catch (err) {
    const text = `${err.stdout ?? ''}\n${err.stderr ?? ''}\n${err.message}`;
    if (UNREACHABLE.test(text)) {
      process.stderr.write(`npm registry unreachable while trying to ${what}:\n${text.trim().split('\n').slice(-5).join('\n')}\n`);
      process.exit(3);
    }
    process.stderr.write(`failed to ${what}:\n${text.trim()}\n`);
    process.exit(1);
  }
}

if (existsSync(readyFile) && existsSync(serverScript) && existsSync(preload)) done();

mkdirSync(cacheDir, { recursive: true });
rmSync(samplesDir, { recursive: true, force: true });
run(['pack', `node-opcua-samples@${VERSION}`, '--pack-destination', cacheDir, '--silent'], `download node-opcua-samples@${VERSION}`);
const tarball = readdirSync(cacheDir).find((f) => f === `node-opcua-samples-${VERSION}.tgz`);
if (!tarball) {
  process.stderr.write(`npm pack left no node-opcua-samples-${VERSION}.tgz in ${cacheDir}\n`);
  process.exit(1);
}
mkdirSync(samplesDir, { recursive: true });
execFileSync('tar', ['-xzf', join(cacheDir, tarball), '-C', samplesDir, '--strip-components=1']);

// The plain packages simple_server.cjs requires, at the versions the sample pins.
const pkg = JSON.parse(readFileSync(join(samplesDir, 'package.json'), 'utf8'));
const source = readFileSync(serverScript, 'utf8');
const required = [...source.matchAll(/require\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]);
const builtins = new Set(builtinModules);
const wanted = [...new Set(required)]
  .filter((name) => !builtins.has(name) && !name.startsWith('node:') && !name.startsWith('.') && !name.startsWith('node-opcua'))
  .map((name) => `${name}@${pkg.dependencies?.[name] ?? 'latest'}`);
if (wanted.length > 0) {
  writeFileSync(join(cacheDir, 'package.json'), JSON.stringify({ name: 'opcua-samples-cache', private: true }, null, 2));
  run(['install', '--no-save', '--no-package-lock', '--no-audit', '--no-fund', '--ignore-scripts', '--prefix', cacheDir, ...wanted], `install ${wanted.join(' ')}`);
}

writeFileSync(
  preload,
  `// Preloaded into node-opcua-samples' servers by the LFC tests: every listening socket binds 127.0.0.1.
'use strict';
const net = require('node:net');
const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  if (typeof args[0] === 'object' && args[0] !== null) args[0] = { ...args[0], host: '127.0.0.1' };
  else if (typeof args[0] === 'number' || typeof args[0] === 'string') {
    if (typeof args[1] === 'string') args[1] = '127.0.0.1';
    else args.splice(1, 0, '127.0.0.1');
  }
  return listen.apply(this, args);
};
`,
);
writeFileSync(readyFile, JSON.stringify({ version: VERSION, installed: wanted, node_opcua_from: nodePath }, null, 2));
done();
