/**
 * Field mode's targets (issue 12), measured over the wire: the lab rig alone (rig-only, protocol servers in
 * front of the simulated plant) and the field EMS reaching it through its site file, exactly as a site.
 *
 * - hold: summer-export-hold's request (11:00, −250 kW ± 10 kW for 2 h), posted to the EMS's intake at its
 *   time, against the same request in an in-process replay of the scenario: withinBandPct of each and their
 *   difference (goal: within 2 points). The field value is the EMS's own KPI over the samples that arrived.
 * - the same request with the BESS served as a SunSpec Modbus device (issue 14): withinBandPct within 2
 *   points of the OPC UA run; connect + SunSpec discovery on loopback (goal < 1 s).
 * - loop: breaker sample arrived → setpoint acknowledged over OPC UA and over Modbus (the engine's decision +
 *   EMS → ack hops, in EMS-clock ms divided by the rig's speed = real ms), p50/p95/p99 (goal p99 < 50 ms),
 *   and the connector's wire time per write.
 * - start: `npm run ems` (a child process) from spawn to "ready" against the same rig, median of three
 *   (goal < 3 s).
 *
 * `--field-speed N` sets the rig's speed (default 30). Run alone: `npx tsx bench/field.ts`.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

import { SunspecBessConnector } from '../src-main/connectors/modbus/sunspec-bess-client';
import type { RunRecord } from '../src-main/engine/engine';
import { FieldEms } from '../src-main/field/field-ems';
import { LabSession } from '../src-main/lab/lab-session';
import { loadProfileLibraryFromResources } from '../src-main/node/load-profiles';
import { resourcesDir } from '../src-main/node/paths';
import { loadScenarioFile } from '../src-main/node/scenario-file';
import { loadLpSolver } from '../src-main/node/solver';
import { runReplay } from '../src-main/replay/replay';
import { siteFileForRig } from '../src-main/site/rig-site';
import { loadSiteFile, writeSiteFile } from '../src-main/site/site-file';

type Row = Record<string, string | number | null>;

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const TRIGGER_AT_MS = Date.parse('2026-06-21T11:00:00+02:00');
const TRIGGER = { useCase: 2, targetKw: -250, durationS: 7200, toleranceKw: 10 };

function quantile(xs: number[], q: number): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}
const r2 = (x: number | null): number | null => (x === null ? null : Math.round(x * 100) / 100);

async function startToReady(sitePath: string, dataDir: string): Promise<number> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [join(root, 'scripts/cli.mjs'), 'ems', '--site', sitePath, '--data-dir', dataDir, '--out', join(dataDir, 'out')], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (err += b.toString()));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  try {
    while (!out.includes('ready\n')) {
      if (child.exitCode !== null || performance.now() - t0 > 60_000) throw new Error(`npm run ems did not get ready: ${out}\n${err}`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return performance.now() - t0;
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
}

interface OverTheWire {
  run: RunRecord;
  /** Arrival → acknowledged per cycle, real ms. */
  perCycle: number[];
  wire: { p50: number | null; p99: number | null } | undefined;
  sitePath: string;
  /** Modbus only: connect + SunSpec discovery, real ms, one per fresh connection. */
  discoveryMs: number[];
}

/** summer-export-hold's request held by the field EMS against a rig-only lab rig whose BESS is served `bessVia`. */
async function holdOverTheWire(bessVia: 'opcua' | 'modbus', speed: number, dir: string): Promise<OverTheWire> {
  const loaded = await loadScenarioFile(resolve(resourcesDir(), 'scenarios/summer-export-hold/scenario.json'));
  const loadProfiles = loadProfileLibraryFromResources(resourcesDir());
  const forecastJson = await readFile(resolve(loaded.dir, 'weather/forecast.json'), 'utf8');
  const lab = new LabSession({ ...loaded, forecastJson, loadProfiles }, { speed, bessVia, windowStartMs: TRIGGER_AT_MS - 5 * 60_000, windowEndMs: TRIGGER_AT_MS + TRIGGER.durationS * 1000 + 5 * 60_000, rigOnly: true });
  await lab.start();
  try {
    const { site, secrets } = siteFileForRig(lab.rig);
    const sitePath = writeSiteFile(join(dir, `rig-${bessVia}.site.json`), site, secrets).sitePath;
    let resolveRun: (r: RunRecord) => void = () => undefined;
    const ended = new Promise<RunRecord>((r) => (resolveRun = r));
    const field = new FieldEms({ loaded: loadSiteFile(sitePath), dataDir: join(dir, `data-${bessVia}`), outDir: join(dir, `out-${bessVia}`), appVersion: 'bench', onRunEnded: (r) => resolveRun(r) });
    await field.start();
    await lab.rig.untilSim(TRIGGER_AT_MS);
    const token = (await readFile(field.intakeTokenPath, 'utf8')).trim();
    const res = await fetch(field.intakeUrl, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(TRIGGER) });
    if (res.status !== 202) throw new Error(`the intake answered ${res.status}: ${await res.text()}`);
    // While the run is in force: fresh connections to the Modbus device, each discovering its SunSpec chain.
    const discoveryMs: number[] = [];
    if (bessVia === 'modbus') {
      const m = lab.rig.bessModbus!;
      for (let k = 0; k < 20; k++) {
        const c = new SunspecBessConnector({ host: m.host, port: m.port, unitId: m.unitId, assetId: 'bench', clock: { nowMs: () => Date.now(), schedule: () => () => undefined }, pollMs: 3_600_000, heartbeatPeriodMs: 0 });
        const t0 = performance.now();
        await c.start();
        discoveryMs.push(performance.now() - t0);
        await c.stop();
      }
    }
    const run = await ended;
    const latency = field.ems!.latencyReport();
    await field.stop();
    // Arrival → acknowledged, per cycle: the engine's decision and EMS → ack hops (EMS ms) at the rig's speed.
    const perCycle = run.latencyMs.decision.map((d, k) => (d + (run.latencyMs.emsToAck[k] ?? NaN)) / speed).filter(Number.isFinite);
    const wire = Object.entries(latency.connectors).find(([name]) => name.includes(bessVia === 'opcua' ? 'OPC UA' : 'Modbus'))?.[1]?.wireWallMs;
    return { run, perCycle, wire, sitePath, discoveryMs };
  } finally {
    await lab.stop();
  }
}

export async function benchField(): Promise<Row[]> {
  const i = process.argv.indexOf('--field-speed');
  const speed = i >= 0 ? Number(process.argv[i + 1]) : 30;
  const dir = mkdtempSync(join(tmpdir(), 'lfc-bench-field-'));
  const loaded = await loadScenarioFile(resolve(resourcesDir(), 'scenarios/summer-export-hold/scenario.json'));
  const loadProfiles = loadProfileLibraryFromResources(resourcesDir());
  const solver = await loadLpSolver();

  // The same request in a replay of the scenario (its own trigger at 11:00).
  const replay = runReplay({ ...loaded, loadProfiles, controller: 'lfc', solver });
  const replayRun = replay.runs.find((r) => r.startMs === TRIGGER_AT_MS) ?? replay.runs[0]!;
  try {
    const opcua = await holdOverTheWire('opcua', speed, dir);
    const starts: number[] = [];
    const lab = new LabSession({ ...loaded, forecastJson: await readFile(resolve(loaded.dir, 'weather/forecast.json'), 'utf8'), loadProfiles }, { speed, windowStartMs: TRIGGER_AT_MS - 5 * 60_000, windowEndMs: TRIGGER_AT_MS + 30 * 60_000, rigOnly: true });
    await lab.start();
    try {
      const { site, secrets } = siteFileForRig(lab.rig);
      const sitePath = writeSiteFile(join(dir, 'rig-start.site.json'), site, secrets).sitePath;
      for (let k = 0; k < 3; k++) starts.push(await startToReady(sitePath, join(dir, `data-start-${k}`)));
    } finally {
      await lab.stop();
    }
    const modbus = await holdOverTheWire('modbus', speed, dir);
    const within = (o: OverTheWire) => o.run.kpis?.accuracy.withinBandPct ?? null;
    const fieldWithin = within(opcua);
    const modbusWithin = within(modbus);
    const replayWithin = replayRun.kpis?.accuracy.withinBandPct ?? null;
    const loopRow = (o: OverTheWire, name: string): Row => ({
      measure: `breaker sample arrived → setpoint acknowledged over ${name}, real ms (p50)`,
      field: r2(quantile(o.perCycle, 0.5)),
      replay: null,
      differencePts: null,
      goal: 'p99 < 50',
      note: `p95 ${r2(quantile(o.perCycle, 0.95))}, p99 ${r2(quantile(o.perCycle, 0.99))}, n ${o.perCycle.length}; ${name} wire p50 ${r2(o.wire?.p50 ?? null)}, p99 ${r2(o.wire?.p99 ?? null)}`,
    });
    return [
      {
        measure: 'hold summer-export-hold (−250 kW ± 10, 2 h) over OPC UA: withinBandPct',
        field: r2(fieldWithin),
        replay: r2(replayWithin),
        differencePts: fieldWithin !== null && replayWithin !== null ? r2(fieldWithin - replayWithin) : null,
        goal: '|difference| ≤ 2',
        note: `field at ${speed}×, end ${opcua.run.endReason}; replay end ${replayRun.endReason}`,
      },
      {
        measure: 'the same over Modbus/SunSpec: withinBandPct (difference to OPC UA)',
        field: r2(modbusWithin),
        replay: r2(fieldWithin),
        differencePts: modbusWithin !== null && fieldWithin !== null ? r2(modbusWithin - fieldWithin) : null,
        goal: '|difference| ≤ 2',
        note: `Modbus at ${speed}×, end ${modbus.run.endReason}; the "replay" column is the OPC UA run`,
      },
      loopRow(opcua, 'OPC UA'),
      loopRow(modbus, 'Modbus'),
      {
        measure: 'Modbus connect + SunSpec discovery on loopback, real ms (median of 20)',
        field: r2(quantile(modbus.discoveryMs, 0.5)),
        replay: null,
        differencePts: null,
        goal: '< 1000',
        note: `max ${r2(Math.max(...modbus.discoveryMs))}; models 1, 802, 704, during the run`,
      },
      {
        measure: '`npm run ems` spawn → ready, s (median of 3)',
        field: r2((quantile(starts, 0.5) ?? NaN) / 1000),
        replay: null,
        differencePts: null,
        goal: '< 3',
        note: starts.map((x) => (x / 1000).toFixed(2)).join(', '),
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  benchField().then(
    (rows) => {
      for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
      process.exit(1);
    },
  );
}
