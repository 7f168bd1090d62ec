/**
 * `npm run serve -- [--port 8765] [--host 127.0.0.1] [--scenario <scenario.json>] [--speed 1|N|max]
 *                   [--data-dir <dir>] [--with-scenario-triggers]`
 * `npm run serve -- --site <site.json> [--port …] [--data-dir <dir>]`
 * Either with `--fleet-postgres <url>`: the fleet's central history, read-only, in the console's Fleet view
 * (the `fleet:*` channels) and as JSON under `/fleet/api/` (`fleet-routes.ts`).
 *
 * Runs the core headless (no Electron) on the bundled simulator, or with `--site` the field EMS on that site
 * (the same EMS as `npm run ems`, with the console), and serves the console to a browser.
 * Prints the URL to open (it carries the access token once; see server.ts). Each browser tab needs it once:
 * a reload keeps the tab signed in, a new tab does not. The token is random per start unless `LFC_TOKEN` is set. Listens on 127.0.0.1 only unless `--host` says otherwise.
 *
 * Like the desktop app it keeps settings (`settings.json`), secrets (`secrets.json` + its key file, see
 * FileSecretStore), the log (`logs/lfc.log`) and the history (`history/lfc-history.sqlite3`) in its data
 * folder: `--data-dir`, or a fresh temporary folder that is removed again on exit (with `--site`: the site's
 * `<site>.data/` beside the site file, kept, as `npm run ems` keeps it).
 * Exit codes: 0 on Ctrl-C, 2 on bad arguments or a bad scenario, 1 otherwise.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { platform } from 'node:process';
import { basename, dirname, join, resolve } from 'node:path';
import { tmpdir } from 'node:os';

import { CoreError } from '../core/requests';
import { openHostServices } from '../main/services/host-services';
import type { HostServices } from '../main/services/host-services';
import { FileSecretStore } from '../main/settings/file-secret-store';
import { JsonFileSettingsStore } from '../main/settings/json-file-settings-store';
import { defaultSettings } from '../main/settings/settings-schema';
import { resourcesDir } from '../node/paths';
import { APP_VERSION } from '../node/version';
import type { SpeedSetting } from '../shared/ipc-contract';
import { HelpRequested, parseCommandLine, positiveNumber, usageText, UsageError, wholeNumber } from '../cli/args';
import { buildRenderer, rendererBuildIsStale } from './build-renderer';
import { fleetRoutes } from './fleet-routes';
import { newToken, startServer } from './server';

export interface ServeArgs {
  port: number;
  host: string;
  scenarioPath: string | undefined;
  speed: SpeedSetting;
  dataDirPath: string | undefined;
  withScenarioTriggers: boolean;
  /** Field mode: the site file the EMS runs on (instead of the simulator). */
  sitePath: string | undefined;
  /** The fleet's central history (PostgreSQL), shown read-only in the console's Fleet view. */
  fleetPostgresUrl: string | undefined;
}

const USAGE = usageText('serve', '[--site <site.json> | --scenario <scenario.json>] [options]', [
  ['--port N', 'the port (default 8765; 0: any free one)'],
  ['--host H', 'listen here (default 127.0.0.1; 0.0.0.0 exposes the console, and the plant, to the network)'],
  ['--data-dir <dir>', 'settings, secrets, log and history (default: a temporary folder)'],
  ['--site <file>', 'run the field EMS on this site file'],
  ['--scenario <file>', 'run the simulator on this scenario (default: the bundled summer-export-hold)'],
  ['--speed 1|N|max', "the simulator's pace against real time (default 1)"],
  ['--with-scenario-triggers', "the scenario's own triggers too (default: only the operator's)"],
  ['--fleet-postgres <url>', "also show the fleet's central history, read-only (the console's Fleet view)"],
]);

export { UsageError };

export function parseServeArgs(argv: string[]): ServeArgs {
  const { values: v } = parseCommandLine(
    argv,
    { port: { type: 'string' }, host: { type: 'string' }, scenario: { type: 'string' }, speed: { type: 'string' }, 'data-dir': { type: 'string' }, 'with-scenario-triggers': { type: 'boolean' }, site: { type: 'string' }, 'fleet-postgres': { type: 'string' } },
    USAGE,
  );
  const args: ServeArgs = {
    port: v.port === undefined ? 8765 : wholeNumber('--port', v.port, 0, 65535),
    host: v.host ?? '127.0.0.1',
    scenarioPath: v.scenario === undefined ? undefined : resolve(v.scenario),
    speed: v.speed === undefined ? 1 : v.speed === 'max' ? 'max' : positiveNumber('--speed', v.speed, 1),
    dataDirPath: v['data-dir'] === undefined ? undefined : resolve(v['data-dir']),
    withScenarioTriggers: v['with-scenario-triggers'] ?? false,
    sitePath: v.site === undefined ? undefined : resolve(v.site),
    fleetPostgresUrl: v['fleet-postgres'],
  };
  if (args.fleetPostgresUrl !== undefined && !/^postgres(ql)?:\/\//.test(args.fleetPostgresUrl)) throw new UsageError(`--fleet-postgres: expected postgres://user@host:port/db, got ${JSON.stringify(args.fleetPostgresUrl)}\n${USAGE}`);
  if (args.sitePath !== undefined && (args.scenarioPath !== undefined || args.withScenarioTriggers)) throw new UsageError(`--site runs the field EMS: it takes no --scenario or --with-scenario-triggers\n${USAGE}`);
  // A field EMS's data (the signed record, the installation key, the PKI's trust, the history) are never
  // temporary: without --data-dir they live beside the site file, as `npm run ems` keeps them.
  if (args.sitePath !== undefined && args.dataDirPath === undefined) args.dataDirPath = join(dirname(args.sitePath), basename(args.sitePath).replace(/\.json$/i, '') + '.data');
  return args;
}

export async function main(argv: string[]): Promise<number> {
  let args: ServeArgs;
  try {
    args = parseServeArgs(argv);
  } catch (error) {
    if (error instanceof HelpRequested) {
      process.stdout.write(`${error.usage}\n`);
      return 0;
    }
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
  const tempDir = args.dataDirPath === undefined ? mkdtempSync(join(tmpdir(), 'lfc-serve-')) : null;
  const removeTemp = (): void => {
    if (tempDir !== null) rmSync(tempDir, { recursive: true, force: true });
  };
  let services: HostServices;
  try {
    services = openServeServices(args.dataDirPath ?? tempDir!, resources, args.sitePath !== undefined ? { sitePath: args.sitePath } : {});
  } catch (error) {
    process.stderr.write(`serve: ${error instanceof Error ? error.message : String(error)}\n`);
    removeTemp();
    return 1;
  }
  for (const problem of services.startupProblems) process.stderr.write(`serve: settings: ${problem}\n`);
  const { core } = services;
  try {
    if (args.sitePath !== undefined) {
      const state = await core.startField();
      const source = state.source?.kind === 'field' ? state.source : null;
      process.stdout.write(`field EMS for ${source?.site ?? args.sitePath}: trigger intake ${source?.intakeUrl ?? '(none)'}\n`);
    } else {
      await core.startSimulator({ scenarioPath: args.scenarioPath, speed: args.speed, withScenarioTriggers: args.withScenarioTriggers });
    }
  } catch (error) {
    process.stderr.write(`serve: ${error instanceof CoreError ? error.message : String(error)}\n`);
    services.close();
    removeTemp();
    return 2;
  }
  const token = process.env['LFC_TOKEN'] || newToken();
  const fleet = args.fleetPostgresUrl !== undefined ? fleetRoutes(args.fleetPostgresUrl) : null;
  const server = await startServer({
    ...(fleet ? { extraRoutes: fleet.handle } : {}),
    core,
    host: {
      appInfo: () => ({ name: 'local-flex-controller', version: APP_VERSION, electronVersion: null, platform }),
      resourcesRootPath: projectRoot,
      startupProblems: () => services.startupProblems,
      ...(fleet ? { fleet: fleet.service } : {}),
    },
    rendererDirPath: rendererDir,
    token,
    bindHost: args.host,
    port: args.port,
  });
  if (args.host !== '127.0.0.1' && args.host !== 'localhost' && args.host !== '::1') {
    process.stderr.write(`serve: WARNING: listening on ${args.host}: anyone who can reach it and has the token can operate the plant.\n`);
  }
  process.stdout.write(`Local Flex Controller console: ${server.loginUrl}\n`);
  process.stdout.write('  (open it once per browser tab: a reload keeps the tab signed in, a new tab needs this URL again)\n');
  process.stdout.write(`  (data folder ${services.dataDirPath}${tempDir !== null ? ', temporary: removed on exit' : ''}; log ${services.logger.file})\n`);
  process.stdout.write(`  (scripts: Authorization: Bearer <token>; WebSocket at ${server.url.replace(/^http/, 'ws')}ws)\n`);
  if (fleet) process.stdout.write(`  (fleet history, read-only, from the central database: the console's Fleet view, ${server.url}#/fleet after the login)\n`);
  return await new Promise<number>((done) => {
    const stop = (): void => {
      // The field EMS first: its run ends (ems-stopped), the assets are released, its files are written.
      void Promise.all([server.close(), core.stopField(), fleet?.close()]).then(() => {
        services.close();
        removeTemp();
        done(0);
      });
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

/**
 * Serve mode's settings (a JSON file) and secrets (AES-GCM file store) in `dataDirPath`, and around them
 * what every host opens (log, history, retention, core).
 */
export function openServeServices(dataDirPath: string, resourcesDirPath: string, overrides: { historyFile?: string; teeConsole?: boolean; sitePath?: string } = {}): HostServices {
  const settings = JsonFileSettingsStore.open({ file: join(dataDirPath, 'settings.json'), defaults: defaultSettings({ dataDir: dataDirPath }) });
  const secrets = FileSecretStore.open({ file: join(dataDirPath, 'secrets.json') });
  return openHostServices({
    settings,
    secrets,
    secretsDescription: `an encrypted file (${secrets.file}, key in ${secrets.keyFile}, mode 0600)`,
    ...(overrides.sitePath !== undefined ? { sitePath: overrides.sitePath } : {}),
    resourcesDirPath,
    appVersion: APP_VERSION,
    teeConsole: overrides.teeConsole ?? true,
    ...(overrides.historyFile !== undefined ? { historyFile: overrides.historyFile } : {}),
    // A browser may name files only in the bundled resources and the data folder.
    core: { allowedFileRoots: [resourcesDirPath, dataDirPath] },
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
