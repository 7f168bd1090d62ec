/**
 * `npm run serve -- [--port 8765] [--host 127.0.0.1] [--scenario <scenario.json>] [--speed 1|N|max]
 *                   [--data-dir <dir>] [--with-scenario-triggers]`
 *
 * Runs the core headless (no Electron) on the bundled simulator and serves the console to a browser.
 * Prints the URL to open (it carries the access token once; see server.ts). The token is random per start
 * unless `LFC_TOKEN` is set. Listens on 127.0.0.1 only unless `--host` says otherwise. The history is kept
 * in `<data-dir>/history/lfc-history.sqlite3` when `--data-dir` is given, else in memory.
 * Exit codes: 0 on Ctrl-C, 2 on bad arguments or a bad scenario, 1 otherwise.
 */
import { platform } from 'node:process';
import { join, resolve } from 'node:path';
import { tmpdir } from 'node:os';

import { LfcCore } from '../core/lfc-core';
import { CoreError } from '../core/requests';
import { resourcesDir } from '../node/paths';
import { APP_VERSION } from '../node/version';
import type { SpeedSetting } from '../shared/ipc-contract';
import { defaultHistoryFile, openHistoryStore } from '../storage/history-store';
import { buildRenderer, rendererBuildIsStale } from './build-renderer';
import { newToken, startServer } from './server';

export interface ServeArgs {
  port: number;
  host: string;
  scenarioPath: string | undefined;
  speed: SpeedSetting;
  dataDirPath: string | undefined;
  withScenarioTriggers: boolean;
}

const USAGE =
  'usage: npm run serve -- [--port N] [--host H] [--scenario <scenario.json>] [--speed 1|N|max] [--data-dir <dir>] [--with-scenario-triggers]';

export class UsageError extends Error {}

export function parseServeArgs(argv: string[]): ServeArgs {
  const args: ServeArgs = { port: 8765, host: '127.0.0.1', scenarioPath: undefined, speed: 1, dataDirPath: undefined, withScenarioTriggers: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value\n${USAGE}`);
      return v;
    };
    if (a === '--port') {
      const n = Number(value());
      if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--port: expected 0…65535, got ${argv[i]}`);
      args.port = n;
    } else if (a === '--host') args.host = value();
    else if (a === '--scenario') args.scenarioPath = resolve(value());
    else if (a === '--speed') {
      const v = value();
      const n = Number(v);
      if (v === 'max') args.speed = 'max';
      else if (Number.isFinite(n) && n >= 1) args.speed = n;
      else throw new UsageError(`--speed: expected "max" or a number ≥ 1, got ${JSON.stringify(v)}`);
    } else if (a === '--data-dir') args.dataDirPath = resolve(value());
    else if (a === '--with-scenario-triggers') args.withScenarioTriggers = true;
    else if (a === '--help' || a === '-h') throw new UsageError(USAGE);
    else throw new UsageError(`unknown argument ${JSON.stringify(a)}\n${USAGE}`);
  }
  return args;
}

export async function main(argv: string[]): Promise<number> {
  let args: ServeArgs;
  try {
    args = parseServeArgs(argv);
  } catch (error) {
    process.stderr.write(`serve: ${(error as Error).message}\n`);
    return 2;
  }
  const resources = resourcesDir();
  const projectRoot = resolve(resources, '..');
  const rendererDir = join(projectRoot, 'out', 'renderer');
  if (rendererBuildIsStale(projectRoot, rendererDir)) {
    process.stderr.write('serve: building the console into out/renderer …\n');
    await buildRenderer(projectRoot, rendererDir);
  }
  const history = openHistoryStore({ file: args.dataDirPath ? defaultHistoryFile(args.dataDirPath) : ':memory:' });
  const core = new LfcCore({ resourcesDirPath: resources, dataDirPath: args.dataDirPath ?? join(tmpdir(), 'lfc-serve'), history, appVersion: APP_VERSION });
  try {
    await core.startSimulator({ scenarioPath: args.scenarioPath, speed: args.speed, withScenarioTriggers: args.withScenarioTriggers });
  } catch (error) {
    process.stderr.write(`serve: ${error instanceof CoreError ? error.message : String(error)}\n`);
    core.close();
    history.close();
    return 2;
  }
  const token = process.env['LFC_TOKEN'] || newToken();
  const server = await startServer({
    core,
    host: { appInfo: () => ({ name: 'local-flex-controller', version: APP_VERSION, electronVersion: null, platform }), resourcesRootPath: projectRoot },
    rendererDirPath: rendererDir,
    token,
    bindHost: args.host,
    port: args.port,
  });
  if (args.host !== '127.0.0.1' && args.host !== 'localhost' && args.host !== '::1') {
    process.stderr.write(`serve: WARNING: listening on ${args.host}: anyone who can reach it and has the token can operate the plant.\n`);
  }
  process.stdout.write(`Local Flex Controller console: ${server.loginUrl}\n`);
  process.stdout.write(`  (scripts: Authorization: Bearer <token>; WebSocket at ${server.url.replace(/^http/, 'ws')}ws)\n`);
  return await new Promise<number>((done) => {
    const stop = (): void => {
      void server.close().then(() => {
        core.close();
        history.close();
        done(0);
      });
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop()!)) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`serve: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(1);
    },
  );
}
