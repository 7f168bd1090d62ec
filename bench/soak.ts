/**
 * `npm run bench -- --only soak [--soak-hours H] [--soak-seed N] [--soak-speed X]`: the lab's EMS (real
 * connectors, over the wire) against the rig for a long simulated window with a fault every 10 simulated
 * minutes, of a random kind (seeded): the platform or a vendor cloud answering 500 or hanging, the BESS's
 * OPC UA server restarting, the breaker sensor dropping out, sending NaN or freezing, its meter's values
 * 10× too large or re-sent out of order, the BESS offline or
 * refusing setpoints, the forecast missing. Prints and returns:
 * - faults injected / survived (survived: three simulated minutes after the fault's end the EMS runs, its
 *   breaker is fresh and the BESS link is not lost);
 * - setpoints unconfirmed past their expiry: seconds in which the simulated BESS held a setpoint although
 *   the last write that reached it had expired (device side; must be 0);
 * - history gaps: simulated seconds in which the EMS's newest breaker sample was older than three breaker
 *   periods outside a fault window (and three minutes after it);
 * - memory (RSS, heap) at start and end, and the heap after a forced GC (`heapAfterGc*Mb`) once the EMS
 *   is connected and the simulation runs, and at the window's end before anything stops: what the process
 *   holds, not what the collector has not yet collected (heap used without GC rises by ~100 MB over a day
 *   with nothing held; `bench/soak-heap.ts` samples it every 30 s).
 *
 * The window is `--soak-hours` (default 24) of the longest generated scenario of seed 1. The generator's
 * days end after at most ~16 h; a longer window stretches that scenario (`stretchScenario`): its own
 * weather, then its own forecast's up to the new end, with no requests in the added hours (the faults go
 * on). At 60× a simulated hour takes a minute.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

import { Rng, streamSeed } from '../src-main/engine/random';
import { parseOpenMeteoForecast } from '../src-main/engine/scenario/open-meteo';
import type { ScenarioFault } from '../src-main/engine/scenario/index';
import { LabSession } from '../src-main/lab/lab-session';
import type { LabProtocolFault, LabRole } from '../src-main/lab/rig';
import { loadProfileLibraryFromResources } from '../src-main/node/load-profiles';
import { resourcesDir } from '../src-main/node/paths';
import { loadScenarioFile } from '../src-main/node/scenario-file';
import { generateScenarioFiles } from '../src-main/scenarios/generate-files';

type Row = Record<string, string | number | null>;

const flag = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(name);
  const v = i >= 0 ? Number(process.argv[i + 1]) : dflt;
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} needs a positive number`);
  return v;
};

type FaultPlan = { label: string; atMs: number; untilMs: number; protocol?: LabProtocolFault; scenario?: ScenarioFault };

const KINDS: Array<(atMs: number, bessId: string) => Omit<FaultPlan, 'atMs'>> = [
  (t) => protocol(t, 'dso-platform', 'http500', 60),
  (t) => protocol(t, 'dso-platform', 'hang', 60),
  (t) => protocol(t, 'storage-backend', 'http500', 120),
  (t) => protocol(t, 'heatpump-backend', 'hang', 120),
  (t) => protocol(t, 'weather', 'http500', 300),
  (t) => protocol(t, 'bess-opcua', 'restart', 0),
  (t) => protocol(t, 'dso-platform', 'scale10', 90),
  (t) => protocol(t, 'dso-platform', 'reorder', 90),
  (t) => site(t, 'breakerSensorDropout', 120),
  (t) => site(t, 'breakerSensorNaN', 60),
  (t) => site(t, 'breakerSensorStuck', 120),
  (t) => site(t, 'forecastMissing', 600),
  (t, bess) => asset(t, 'assetOffline', bess, 180),
  (t, bess) => asset(t, 'assetSetpointRejected', bess, 120),
];

function protocol(atMs: number, role: LabRole, kind: LabProtocolFault['kind'], durationS: number): Omit<FaultPlan, 'atMs'> {
  return { label: `${kind} of ${role}${durationS ? ` for ${durationS} s` : ''}`, untilMs: atMs + durationS * 1000, protocol: { atMs, role, kind, durationS } };
}
function site(atMs: number, kind: 'breakerSensorDropout' | 'breakerSensorNaN' | 'breakerSensorStuck' | 'forecastMissing', durationS: number): Omit<FaultPlan, 'atMs'> {
  return { label: `${kind} for ${durationS} s`, untilMs: atMs + durationS * 1000, scenario: { at: new Date(atMs).toISOString(), kind, durationS } };
}
function asset(atMs: number, kind: 'assetOffline' | 'assetSetpointRejected', bess: string, durationS: number): Omit<FaultPlan, 'atMs'> {
  return { label: `${kind} of ${bess} for ${durationS} s`, untilMs: atMs + durationS * 1000, scenario: { at: new Date(atMs).toISOString(), kind, asset: bess, durationS } };
}

/**
 * Stretches a scenario to `hours` (nothing to do when it is that long already), in place: the end moves,
 * and the actual weather goes on after its last row, at the same step, as the scenario's own forecast has
 * it (48 hourly values from the start day's midnight: radiation as the hour's mean, without the minutes'
 * clouds; temperature, wind and humidity interpolated). The load profiles cover any day; the scenario's
 * requests stay where they were, so the added hours have none (the soak's faults go on).
 */
export async function stretchScenario(scenarioPath: string, hours: number): Promise<string> {
  const sc = JSON.parse(await readFile(scenarioPath, 'utf8')) as { start: string; end: string; weather: { actual: { file: string }; forecast?: { file: string } } };
  const wantMs = Date.parse(sc.start) + hours * 3_600_000;
  if (wantMs <= Date.parse(sc.end)) return scenarioPath;
  if (!sc.weather.forecast) throw new Error(`${scenarioPath}: no forecast to stretch its weather with`);
  const parsed = parseOpenMeteoForecast(await readFile(resolve(scenarioPath, '..', sc.weather.forecast.file), 'utf8'), sc.weather.forecast.file);
  if (!parsed.ok) throw new Error(`${scenarioPath}: its forecast does not parse`);
  const f = parsed.forecast;
  const n = f.timeMs.length;
  if (!(f.timeMs[n - 1]! >= wantMs)) throw new Error(`${scenarioPath}: its forecast ends before ${hours} h`);
  // Radiation: the mean of the hour ending at the first label at or after t. The rest: linear between labels.
  const hourOf = (t: number) => {
    let k = 0;
    while (k < n - 1 && f.timeMs[k]! < t) k++;
    return k;
  };
  const lerp = (v: Float64Array, t: number) => {
    const k = Math.max(1, hourOf(t));
    const w = (t - f.timeMs[k - 1]!) / (f.timeMs[k]! - f.timeMs[k - 1]!);
    return v[k - 1]! + (v[k]! - v[k - 1]!) * Math.min(1, Math.max(0, w));
  };
  const csvPath = resolve(scenarioPath, '..', sc.weather.actual.file);
  const lines = (await readFile(csvPath, 'utf8')).trimEnd().split('\n');
  const cols = lines[0]!.split(',');
  const rows = lines.slice(1).map((l) => l.split(','));
  const stepMs = Date.parse(rows[1]![0]!) - Date.parse(rows[0]![0]!);
  const lastMs = Date.parse(rows.at(-1)![0]!);
  const value: Record<string, (t: number) => number> = {
    ghiWm2: (t) => f.ghiWm2[hourOf(t)]!,
    dhiWm2: (t) => f.dhiWm2[hourOf(t)]!,
    dniWm2: (t) => (f.dniWm2 ? f.dniWm2[hourOf(t)]! : 0),
    tempC: (t) => lerp(f.tempC, t),
    windMs: (t) => lerp(f.windMs, t),
    rhPct: (t) => lerp(f.rhPct, t),
  };
  const tail: string[] = [];
  for (let t = lastMs + stepMs; t < wantMs + stepMs; t += stepMs) {
    tail.push(cols.map((c) => (c === 'time' ? new Date(t).toISOString().replace('.000Z', 'Z') : (value[c]?.(t) ?? 0).toFixed(2))).join(','));
  }
  await writeFile(csvPath, [...lines, ...tail].join('\n') + '\n');
  await writeFile(scenarioPath, JSON.stringify({ ...sc, end: new Date(wantMs).toISOString().replace('.000Z', 'Z') }, null, 2) + '\n');
  return scenarioPath;
}

const mb = (n: number) => Math.round((n / 1024 / 1024) * 10) / 10;

/** `gc()`, whether or not node was started with --expose-gc. */
export function forcedGc(): () => void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) return g;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

/** Heap used after a full collection, MB. */
function heapAfterGcMb(gc: () => void): number {
  gc();
  return mb(process.memoryUsage().heapUsed);
}

export async function benchSoak(): Promise<Row[]> {
  const speed = flag('--soak-speed', 60);
  const seed = flag('--soak-seed', 1);
  const dir = mkdtempSync(join(tmpdir(), 'lfc-soak-'));
  try {
    const written = await generateScenarioFiles({ seed: 1, count: 40, outDir: dir });
    const longest = written.reduce((a, b) => (b.summary.spanH > a.summary.spanH ? b : a));
    const loaded = await loadScenarioFile(await stretchScenario(longest.scenarioPath, flag('--soak-hours', 24)));
    const f = loaded.scenario.weather.forecast;
    const forecastJson = f && f.format === 'open-meteo' ? await readFile(resolve(loaded.dir, f.file), 'utf8') : null;
    const startMs = Date.parse(loaded.scenario.start);
    const endMs = Math.min(Date.parse(loaded.scenario.end), startMs + flag('--soak-hours', 24) * 3_600_000);
    const bess = loaded.scenario.assets.find((a) => a.kind === 'bess')!.id;
    // A fault every 10 simulated minutes from the 5th minute on, each over before the next.
    const rng = new Rng(streamSeed(seed, 'soak-faults'));
    const draw = () => rng.next();
    const plan: FaultPlan[] = [];
    for (let t = startMs + 5 * 60_000; t + 10 * 60_000 <= endMs; t += 10 * 60_000) plan.push({ atMs: t, ...KINDS[Math.floor(draw() * KINDS.length)]!(t, bess) });
    const scenario = { ...loaded.scenario, faults: [...loaded.scenario.faults, ...plan.flatMap((p) => (p.scenario ? [p.scenario] : []))] };
    const memStart = process.memoryUsage();
    const lab = new LabSession(
      { ...loaded, scenario, forecastJson, loadProfiles: loadProfileLibraryFromResources(resourcesDir()) },
      { speed, windowStartMs: startMs, windowEndMs: endMs, protocolFaults: plan.flatMap((p) => (p.protocol ? [p.protocol] : [])) },
    );
    const rig = lab.rig;
    const breakerPeriodMs = loaded.scenario.measurement.breakerPeriodS * 1000;
    let unconfirmedPastExpiryS = 0;
    let gapS = 0;
    const survived: boolean[] = [];
    const faultWindows = plan.map((p) => [p.atMs, p.untilMs + 3 * 60_000] as const);
    const inFault = (t: number) => faultWindows.some(([a, b]) => t >= a && t < b) || loaded.scenario.faults.some((x) => t >= Date.parse(x.at) && t < Date.parse(x.at) + x.durationS * 1000 + 3 * 60_000);
    // Every simulated second, on the rig's clock: the device and the EMS as they are.
    const tick = (t: number): void => {
      const r = rig.plant.read(bess)!;
      const last = rig.bessDeviceWrites.at(-1);
      if (r.setpointKw !== null && last && t > last.expiresMs + 1000) unconfirmedPastExpiryS++;
      const snap = lab.ems?.snapshot();
      if (snap && snap.breaker.lastSampleMs !== null && t - snap.breaker.lastSampleMs > 3 * breakerPeriodMs && !inFault(t)) gapS++;
      if (t + 1000 < endMs) rig.clock.schedule(t + 1000, () => tick(t + 1000));
    };
    rig.clock.schedule(startMs + 60_000, () => tick(startMs + 60_000));
    for (const p of plan) {
      rig.clock.schedule(p.untilMs + 3 * 60_000, () => {
        const snap = lab.ems?.snapshot();
        const b = snap?.assets.find((a) => a.id === bess);
        survived.push(snap !== undefined && !snap.breaker.stale && b !== undefined && b.link !== 'lost');
      });
    }
    const gc = forcedGc();
    const t0 = performance.now();
    await lab.start();
    const heapAfterGcStartMb = heapAfterGcMb(gc);
    await lab.finished();
    const heapAfterGcEndMb = heapAfterGcMb(gc);
    const runs = await lab.stop();
    const wallS = (performance.now() - t0) / 1000;
    const memEnd = process.memoryUsage();
    const kinds = new Map<string, number>();
    for (const p of plan) kinds.set(p.label.split(' ')[0]!, (kinds.get(p.label.split(' ')[0]!) ?? 0) + 1);
    return [
      {
        scenario: loaded.scenario.name,
        simulatedH: Math.round(((endMs - startMs) / 3_600_000) * 10) / 10,
        speed,
        wallS: Math.round(wallS),
        faultsInjected: plan.length,
        faultsSurvived: survived.filter(Boolean).length,
        unconfirmedPastExpiryS,
        historyGapS: gapS,
        runs: runs.length,
        rssStartMb: mb(memStart.rss),
        rssEndMb: mb(memEnd.rss),
        heapStartMb: mb(memStart.heapUsed),
        heapEndMb: mb(memEnd.heapUsed),
        heapAfterGcStartMb,
        heapAfterGcEndMb,
        faultKinds: [...kinds].map(([k, n]) => `${k} ${n}`).join(', '),
      },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
