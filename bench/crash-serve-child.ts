/**
 * The serve-mode process for `bench/crash.ts`: the core, its data folder and its SQLite history opened
 * exactly as `npm run serve` opens them (`openServeServices`), the bundled simulator at the given speed,
 * and the WebSocket server with `LFC_TOKEN` — without the console build, which the crash does not touch.
 * Prints `ready <port>` once it listens. Usage: `node --import tsx bench/crash-serve-child.ts <dataDir> <speed>`.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { resourcesDir } from '../src-main/node/paths';
import { openServeServices } from '../src-main/serve/main';
import { startServer } from '../src-main/serve/server';

const [dataDir, speed] = process.argv.slice(2);
const services = openServeServices(resolve(dataDir!), resourcesDir(), { teeConsole: false });
await services.core.startSimulator({ speed: Number(speed) });
const server = await startServer({
  core: services.core,
  host: { appInfo: () => ({ name: 'lfc-crash-bench', version: '0', electronVersion: null, platform: process.platform }), resourcesRootPath: resolve(resourcesDir(), '..') },
  rendererDirPath: mkdtempSync(join(tmpdir(), 'lfc-crash-renderer-')),
  token: process.env['LFC_TOKEN']!,
  port: 0,
});
process.stdout.write(`ready ${server.port}\n`);
