/**
 * `npm run fleet -- --mqtt <url> --postgres <url>`: the fleet's central collector. Subscribes to every
 * site's uplink on the broker and writes measurements, runs, KPIs, events and site status into PostgreSQL
 * (`fleet/`: the schema is migrated on start). Runs until SIGTERM / Ctrl-C; prints a line of counts every
 * `--report-s` seconds.
 *
 * Exit codes: 0 stopped, 2 bad arguments, 1 anything unexpected (the broker or the database unreachable at
 * start: the message says which).
 */
import { readFileSync } from 'node:fs';
import { FleetCollector } from '../fleet/collector.js';
import { HelpRequested, parseCommandLine, positiveNumber, UsageError, usageText } from './args.js';
import { serviceMain, stopRequested } from './service-main.js';

export const USAGE = usageText('fleet', '--mqtt <url> --postgres <url> [options]', [
  ['--mqtt <url>', "the fleet's MQTT broker: mqtt://host:1883 or mqtts://host:8883 (TLS)"],
  ['--postgres <url>', 'the central database: postgres://user@host:5432/db (password from the URL or PGPASSWORD)'],
  ['--client-id <id>', "the collector's persistent MQTT session (default lfc-fleet-collector); one per collector"],
  ['--mqtt-user <name>', 'broker login; its password from the environment, LFC_SECRET_FLEET_MQTT_PASSWORD'],
  ['--ca <file>', 'the CA certificate (PEM) of an mqtts:// broker'],
  ['--report-s <s>', 'seconds between two progress lines (default 10)'],
]);

export interface FleetArgs {
  mqttUrl: string;
  postgresUrl: string;
  clientId?: string;
  username?: string;
  caFile?: string;
  reportS: number;
}

export function parseFleetArgs(argv: string[]): FleetArgs | 'help' {
  let v;
  try {
    v = parseCommandLine(
      argv,
      { mqtt: { type: 'string' }, postgres: { type: 'string' }, 'client-id': { type: 'string' }, 'mqtt-user': { type: 'string' }, ca: { type: 'string' }, 'report-s': { type: 'string' } },
      USAGE,
    ).values;
  } catch (err) {
    if (err instanceof HelpRequested) return 'help';
    throw err;
  }
  if (!v.mqtt) throw new UsageError(`--mqtt is required\n${USAGE}`);
  if (!v.postgres) throw new UsageError(`--postgres is required\n${USAGE}`);
  if (!/^mqtts?:\/\/[^/\s]+\/?$/.test(v.mqtt)) throw new UsageError(`--mqtt: expected mqtt://host[:port] or mqtts://host[:port], got ${JSON.stringify(v.mqtt)}`);
  if (!/^postgres(ql)?:\/\//.test(v.postgres)) throw new UsageError(`--postgres: expected postgres://user@host:port/db, got ${JSON.stringify(v.postgres)}`);
  return {
    mqttUrl: v.mqtt,
    postgresUrl: v.postgres,
    ...(v['client-id'] !== undefined ? { clientId: v['client-id'] } : {}),
    ...(v['mqtt-user'] !== undefined ? { username: v['mqtt-user'] } : {}),
    ...(v.ca !== undefined ? { caFile: v.ca } : {}),
    reportS: v['report-s'] !== undefined ? positiveNumber('--report-s', v['report-s']) : 10,
  };
}

/** The Postgres URL without its password, for messages. */
function redacted(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');
}

export async function fleetCommand(args: FleetArgs, out: (s: string) => void = (s) => process.stdout.write(s), stopSignal?: Promise<void>): Promise<void> {
  const password = process.env.LFC_SECRET_FLEET_MQTT_PASSWORD;
  const collector = new FleetCollector({
    mqttUrl: args.mqttUrl,
    postgresUrl: args.postgresUrl,
    ...(args.clientId !== undefined ? { clientId: args.clientId } : {}),
    ...(args.username !== undefined ? { username: args.username } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(args.caFile !== undefined ? { tls: { ca: readFileSync(args.caFile, 'utf8') } } : {}),
    log: (m) => out(`${new Date().toISOString()}  ${m}\n`),
  });
  await collector.start();
  out(`fleet collector: ${args.mqttUrl} (lfc/+/+) → ${redacted(args.postgresUrl)}\n`);
  out('ready\n');
  const s = collector.stats;
  const report = setInterval(() => out(`${new Date().toISOString()}  messages ${s.messages}, points ${s.points} (+${s.duplicatePoints} already there), items ${s.items}, refused ${s.refused}\n`), args.reportS * 1000);
  await stopRequested(stopSignal);
  clearInterval(report);
  await collector.stop();
  out(`stopped: messages ${s.messages}, points ${s.points}, items ${s.items}, refused ${s.refused}\n`);
}

export function main(argv: string[]): Promise<number> {
  return serviceMain('fleet', argv, { usage: USAGE, parse: parseFleetArgs, run: (args) => fleetCommand(args), isUsageError: (err) => err instanceof UsageError });
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop()!)) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
