/**
 * `npm run lab -- <scenario.json> [--speed N] [--rig-only] [--from <ISO>] [--minutes M] [--out <dir>]
 *  [--bess-via opcua|modbus|rest] [--pki <dir>] [--site-out <site.json>]`
 *
 * Runs the plant simulator in real time (or N× faster) and serves it over the field's protocols — the
 * community BESS over OPC UA (SignAndEncrypt, Basic256Sha256, user login), the breaker on the grid
 * operator's REST platform, the vendor clouds and the weather over HTTP — then starts a headless EMS that
 * connects to it exactly as in the field; the scenario's triggers reach the EMS through its HTTP trigger
 * intake. Prints every endpoint, one per line with its role, and the OPC UA server certificate the EMS
 * accepted (the lab started that server, so it accepts exactly its thumbprint). `--rig-only` serves just
 * the rig (connect your own EMS; the bearer token and the OPC UA login are printed). `--from` inside a
 * request re-sends what is left of it at the window's start. Ctrl-C stops cleanly: the EMS releases its
 * assets, the record is closed, the servers stop. With `--out`, writes `kpi.json`, `events.jsonl` and the
 * tamper-evident `record.jsonl` (verify it with `npm run verify-log -- <dir>/record.jsonl`).
 * `--rig-only --site-out FILE` writes the site file that reaches this rig (and its 0600 secrets file
 * beside it) for `npm run ems -- --site FILE` or `npm run serve -- --site FILE`.
 * Exit codes: 0 done or stopped, 2 bad arguments or scenario, 1 anything unexpected.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { LabSession } from '../lab/lab-session.js';
import { LAB_OPCUA_USER } from '../lab/rig.js';
import { loadProfileLibraryFromResources } from '../node/load-profiles.js';
import { resourcesDir } from '../node/paths.js';
import { ScenarioError, loadScenarioFile } from '../node/scenario-file.js';
import { writeFileAtomic } from '../node/atomic-write.js';
import { APP_VERSION } from '../node/version.js';
import type { RunRecord } from '../engine/engine.js';
import { runSummary } from '../replay/outputs.js';
import { siteFileForRig } from '../site/rig-site.js';
import { writeSiteFile } from '../site/site-file.js';
import { HelpRequested, isoTime, oneOf, parseCommandLine, positiveNumber, UsageError, usageText } from './args.js';

export const USAGE = usageText('lab', '<scenario.json> [options]', [
  ['--speed N', 'simulated time runs N× faster than real time (default 1); OPC UA sampling,\nheartbeat, revert and acknowledgement timeouts scale with N'],
  ['--from <ISO>', 'start the window here (a request already in force is re-sent with what is left of it)'],
  ['--minutes M', "window length in simulated minutes (default: to the scenario's end)"],
  ['--rig-only', 'serve the rig only, for an EMS of your own (tokens and OPC UA login are printed)'],
  ['--out <dir>', 'write kpi.json, events.jsonl and the tamper-evident record.jsonl'],
  ['--bess-via opcua|modbus|rest', 'serve the community BESS over OPC UA (default), as a SunSpec Modbus TCP device\n(models 1, 802, 704 at 40000, unit id 1, loopback only: Modbus has no security),\nor the REST storage dialect'],
  ['--site-out <file>', 'with --rig-only: write the site file (and its 0600 secrets file beside it) that\nreaches this rig, for npm run ems -- --site <file>'],
  ['--pki <dir>', "keep the OPC UA certificates here (rig-server/, ems-client/); default: a temporary\nfolder. Kept, the EMS trusts the rig's certificate from the second run on"],
]);

export interface LabArgs {
  scenarioPath: string;
  speed: number;
  rigOnly: boolean;
  fromMs: number | null;
  minutes: number | null;
  outDir: string | null;
  bessVia: 'opcua' | 'rest' | 'modbus';
  pkiDir: string | null;
  siteOut: string | null;
}

export function parseLabArgs(argv: string[]): LabArgs {
  const { values: v, positionals } = parseCommandLine(
    argv,
    {
      speed: { type: 'string' },
      'rig-only': { type: 'boolean' },
      from: { type: 'string' },
      minutes: { type: 'string' },
      out: { type: 'string' },
      pki: { type: 'string' },
      'site-out': { type: 'string' },
      'bess-via': { type: 'string' },
    },
    USAGE,
    1,
  );
  const scenarioPath = positionals[0];
  if (!scenarioPath) throw new UsageError(`no scenario file given\n${USAGE}`);
  const a: LabArgs = {
    scenarioPath,
    speed: v.speed === undefined ? 1 : positiveNumber('--speed', v.speed),
    rigOnly: v['rig-only'] ?? false,
    fromMs: v.from === undefined ? null : isoTime('--from', v.from),
    minutes: v.minutes === undefined ? null : positiveNumber('--minutes', v.minutes),
    outDir: v.out ?? null,
    bessVia: v['bess-via'] === undefined ? 'opcua' : oneOf('--bess-via', v['bess-via'], ['opcua', 'modbus', 'rest'] as const),
    pkiDir: v.pki ?? null,
    siteOut: v['site-out'] ?? null,
  };
  if (a.siteOut !== null && !a.rigOnly) throw new UsageError(`--site-out needs --rig-only: the site file is for an EMS of your own\n${USAGE}`);
  return a;
}

export async function labCommand(args: LabArgs, out: (s: string) => void = (s) => process.stdout.write(s)): Promise<void> {
  const loaded = await loadScenarioFile(resolve(args.scenarioPath));
  const f = loaded.scenario.weather.forecast;
  const forecastJson = f && f.format === 'open-meteo' ? await readFile(resolve(loaded.dir, f.file), 'utf8') : null;
  const startMs = args.fromMs ?? Date.parse(loaded.scenario.start);
  const endMs = args.minutes !== null ? startMs + args.minutes * 60_000 : Date.parse(loaded.scenario.end);
  const session = new LabSession(
    { ...loaded, forecastJson, loadProfiles: loadProfileLibraryFromResources(resourcesDir()) },
    {
      speed: args.speed,
      windowStartMs: startMs,
      windowEndMs: Math.min(endMs, Date.parse(loaded.scenario.end)),
      rigOnly: args.rigOnly,
      bessVia: args.bessVia,
      ...(args.pkiDir ? { pkiDir: resolve(args.pkiDir) } : {}),
      ...(args.outDir ? { recordDir: resolve(args.outDir) } : {}),
      onEvent: (e) => {
        if (e.level !== 'info' || e.type === 'trigger-received' || e.type === 'run-started' || e.type === 'run-ended') {
          out(`${new Date(e.timeMs).toISOString()}  ${e.level.padEnd(7)} ${e.type.padEnd(24)} ${e.message}\n`);
        }
      },
    },
  );
  await session.start();
  const closedAtStart = session.interrupted;
  const writeOutputs = async (runs: RunRecord[]) => {
    if (!args.outDir || !session.ems) return;
    const dir = resolve(args.outDir);
    await mkdir(dir, { recursive: true });
    const doc = { format: 'lfc-kpi/1', scenario: loaded.scenario.name, source: 'lab', speed: args.speed, generator: { app: 'local-flex-controller', version: APP_VERSION }, latency: session.ems.latencyReport(), runs: [...closedAtStart.map((r) => r.run), ...runs].map(runSummary) };
    const events = [...closedAtStart.flatMap((r) => r.events.map((e) => ({ ...e, source: 'engine' as const }))), ...session.ems.events];
    // Whole or not at all: a reader (or a kill) never meets half a file.
    writeFileAtomic(resolve(dir, 'kpi.json'), JSON.stringify(doc, null, 2) + '\n', 0o644);
    writeFileAtomic(resolve(dir, 'events.jsonl'), events.map((e) => JSON.stringify({ time: new Date(e.timeMs).toISOString(), ...e })).join('\n') + '\n', 0o644);
  };
  // A run the last lab process on this record left in force (killed): closed now, on disk before this run's
  // end, and said only once it is there.
  if (closedAtStart.length > 0) await writeOutputs([]);
  for (const r of closedAtStart) out(`${r.engineRunId} of the previous lab process was still in force: closed as interrupted at its last recorded sample, ${new Date(r.run.endMs!).toISOString()}\n`);
  out(`lab rig for ${loaded.scenario.name}, ${session.rig.scenario.start} → ${session.rig.scenario.end} at ${args.speed}×\n`);
  for (const e of session.endpoints()) out(`${e.role.padEnd(72)} ${e.url}  (${e.detail})\n`);
  out(`bearer token of the rig's services: ${session.rig.token}\n`);
  const trust = session.opcuaTrust;
  if (trust) {
    out(
      trust.decision === 'accepted'
        ? `OPC UA: the EMS accepted the rig's server certificate ${trust.thumbprint} on first use (the lab started this server)\n`
        : `OPC UA: the EMS already trusts the rig's server certificate ${trust.thumbprint} (${session.rig.emsPkiDir})\n`,
    );
  }
  if (args.rigOnly && session.rig.bessOpcua) {
    out(`OPC UA login of the BESS server: user ${LAB_OPCUA_USER}, password ${session.rig.bessOpcuaPassword}; its certificate: ${session.rig.bessOpcua.certificateThumbprint}\n`);
  }
  const carried = session.rig.carriedIn;
  if (carried) out(`request in force at the window's start (events[${carried.index}]): re-sent now${'durationS' in carried.event && carried.event.durationS !== undefined ? ` for the remaining ${carried.event.durationS} s` : ''}\n`);
  if (args.siteOut) {
    const { site, secrets } = siteFileForRig(session.rig);
    const written = writeSiteFile(resolve(args.siteOut), site, secrets);
    out(`site file for this rig: ${written.sitePath} (secrets, mode 0600: ${written.secretsPath}); run: npm run ems -- --site ${written.sitePath}\n`);
  }
  if (!args.rigOnly) out(`bearer token of the EMS trigger intake (token name lab-operator): ${session.intakeToken}\n`);
  let interrupted = false;
  const stopped = new Promise<void>((resolveStop) => {
    const onSignal = () => {
      interrupted = true;
      resolveStop();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  await Promise.race([session.finished(), stopped]);
  out(interrupted ? 'stopping: releasing the assets…\n' : 'window over: stopping…\n');
  const runs = await session.stop();
  for (const r of runs) {
    const a = r.kpis?.accuracy;
    out(`${r.runId} use case ${r.trigger.useCase} ${r.endReason}: MAE ${a?.maeKw?.toFixed(2) ?? '–'} kW, within band ${a?.withinBandPct?.toFixed(1) ?? '–'} %\n`);
  }
  if (session.ems) {
    const lat = session.ems.latencyReport().engine.total;
    out(`loop latency sensor → ack (EMS-clock ms): p50 ${lat.p50?.toFixed(0) ?? '–'}, p95 ${lat.p95?.toFixed(0) ?? '–'}, p99 ${lat.p99?.toFixed(0) ?? '–'}\n`);
  }
  if (args.outDir && session.ems) {
    await writeOutputs(runs);
    out(`wrote ${resolve(args.outDir)}/{kpi.json,events.jsonl,record.jsonl}\n`);
  }
}

export async function main(argv: string[]): Promise<number> {
  try {
    await labCommand(parseLabArgs(argv));
    return 0;
  } catch (err) {
    if (err instanceof HelpRequested) {
      process.stdout.write(`${err.usage}\n`);
      return 0;
    }
    if (err instanceof UsageError || err instanceof ScenarioError) {
      process.stderr.write(`lab: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`lab: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop()!)) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
