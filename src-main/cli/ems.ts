/**
 * `npm run ems -- --site <site.json> [--data-dir <dir>] [--out <dir>] [--uplink <mqtt-url>]`: the field EMS, headless.
 *
 * Loads the site file and its secrets (`site/site-file.ts`), connects to the site exactly as configured
 * (OPC UA to the BESS, REST to the DSO platform and the vendor backends, the weather service), opens the
 * trigger intake, and holds what the triggers ask. Prints the intake's URL and the path of the 0600 file
 * with its bearer token — never the token. On each run's end, and on SIGTERM / Ctrl-C, it writes `kpi.json`,
 * `timeseries.csv` and `events.jsonl` to `--out`, beside the signed `record.jsonl`. On a stop it first ends
 * the run in force (`ems-stopped`) and releases the assets (BESS to 0 kW, the others to their own control).
 *
 * Defaults: `--data-dir` is `<site file without .json>.data/` beside the site file, `--out` is
 * `<data-dir>/out`. Exit codes: 0 stopped, 2 bad arguments or site file, 1 anything unexpected (a site
 * that cannot be reached at start is that: the message says which connection and why).
 */
import { dirname, resolve } from 'node:path';
import { FieldEms } from '../field/field-ems.js';
import { APP_VERSION } from '../node/version.js';
import { ConnectorConfigError } from '../connectors/config/connector-config.js';
import { SiteFileError, loadSiteFile } from '../site/site-file.js';
import { UplinkConfigError, UplinkUrlSchema } from '../uplink/uplink-config.js';
import { HelpRequested, parseCommandLine, UsageError, usageText } from './args.js';
import { serviceMain, stopRequested } from './service-main.js';

export const USAGE = usageText('ems', '--site <site.json> [options]', [
  ['--site <file>', 'the site file (format lfc-site/1; its secrets in <name>.secrets.json, mode 0600,\nor in the environment as LFC_SECRET_<NAME>)'],
  ['--data-dir <dir>', 'keys, OPC UA PKI and the intake-token file (default: <site>.data/ beside the site file)'],
  ['--out <dir>', 'kpi.json, timeseries.csv, events.jsonl and record.jsonl (default: <data-dir>/out)'],
  ['--uplink <url>', "the fleet's MQTT broker (mqtt://host:port or mqtts://…), overriding the site file's\nuplink.url; the outbox is <data-dir>/uplink.sqlite"],
]);

export interface EmsArgs {
  sitePath: string;
  dataDir: string;
  outDir: string;
  /** `--uplink`: the fleet broker's URL, over the site file's. */
  uplinkUrl?: string;
}

export { UsageError };

export function parseEmsArgs(argv: string[]): EmsArgs | 'help' {
  let v;
  try {
    v = parseCommandLine(argv, { site: { type: 'string' }, 'data-dir': { type: 'string' }, out: { type: 'string' }, uplink: { type: 'string' } }, USAGE).values;
  } catch (err) {
    if (err instanceof HelpRequested) return 'help';
    throw err;
  }
  if (!v.site) throw new UsageError(`--site is required\n${USAGE}`);
  const sitePath = resolve(v.site);
  const dataDir = resolve(v['data-dir'] ?? resolve(dirname(sitePath), sitePath.replace(/^.*[\\/]/, '').replace(/\.json$/i, '') + '.data'));
  if (v.uplink !== undefined && !UplinkUrlSchema.safeParse(v.uplink).success) throw new UplinkConfigError('--uplink', `expected an MQTT URL (mqtt://host[:port] or mqtts://host[:port]), got ${JSON.stringify(v.uplink)}`);
  return { sitePath, dataDir, outDir: resolve(v.out ?? resolve(dataDir, 'out')), ...(v.uplink !== undefined ? { uplinkUrl: v.uplink } : {}) };
}

export async function emsCommand(args: EmsArgs, out: (s: string) => void = (s) => process.stdout.write(s), stopSignal?: Promise<void>): Promise<void> {
  const loaded = loadSiteFile(args.sitePath);
  const field = new FieldEms({
    loaded,
    dataDir: args.dataDir,
    outDir: args.outDir,
    appVersion: APP_VERSION,
    ...(args.uplinkUrl !== undefined ? { uplinkUrl: args.uplinkUrl } : {}),
    onUplinkLog: (m) => out(`${new Date().toISOString()}  ${m}\n`),
    onEvent: (e) => {
      const t = new Date(e.timeMs).toISOString();
      if (e.level !== 'info' || e.type === 'trigger-received' || e.type === 'run-started' || e.type === 'run-ended') out(`${t}  ${e.level.padEnd(7)} ${e.type.padEnd(24)} ${e.message}\n`);
    },
    onRunEnded: (r) => out(`${r.runId} ended (${r.endReason}): wrote ${args.outDir}/kpi.json\n`),
  });
  await field.start();
  out(`field EMS for ${loaded.site.name} (${loaded.site.controller}), clock ${loaded.site.clock.source}${field.speed !== 1 ? ` at ${field.speed}×` : ''}\n`);
  for (const d of field.trustDecisions) out(`OPC UA: ${d.trusted ? 'trusted' : 'refused'} the server certificate of ${d.endpointUrl}: SHA-1 ${d.thumbprint} (${d.subject}): ${d.reason}\n`);
  out(`trigger intake: ${field.intakeUrl}  (POST, Authorization: Bearer <token>; token in ${field.intakeTokenPath}, mode 0600)\n`);
  out(`outputs: ${args.outDir}  (kpi.json, timeseries.csv, events.jsonl, record.jsonl)\n`);
  if (field.uplink) out(`uplink: ${field.uplink.status().url} as site ${field.uplink.siteId} (topics lfc/${field.uplink.siteId}/…; outbox ${field.uplink.outbox.file})\n`);
  out('ready\n');
  await stopRequested(stopSignal);
  out('stopping: ending the run in force and releasing the assets…\n');
  const runs = await field.stop();
  for (const r of runs) {
    const a = r.kpis?.availability;
    out(`${r.runId} use case ${r.trigger.useCase} ${r.endReason}: held ${a?.heldPctOfRequested?.toFixed(1) ?? '–'} % of requested (${a?.requestedBasis ?? '–'}), within band ${r.kpis?.accuracy.withinBandPct?.toFixed(1) ?? '–'} %\n`);
  }
  out(`wrote ${args.outDir}/{kpi.json,timeseries.csv,events.jsonl,record.jsonl}\n`);
}

export function main(argv: string[]): Promise<number> {
  return serviceMain('ems', argv, { usage: USAGE, parse: parseEmsArgs, run: (args) => emsCommand(args), isUsageError: (err) => err instanceof UsageError || err instanceof SiteFileError || err instanceof ConnectorConfigError || err instanceof UplinkConfigError });
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop()!)) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
