/**
 * The simulated field (`src-main/sim/field.ts`) on a virtual clock: breaker samples every breakerPeriodS,
 * delayed by delayS, with Gaussian noise of breakerNoiseKw; asset telemetry periods; acknowledgements; and
 * each fault kind as documented there and in SCENARIOS.md.
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src-main/engine/clock.js';
import type { ForecastResult } from '../../../src-main/engine/engine.js';
import type { AssetReport, BreakerSample, SetpointAck } from '../../../src-main/engine/model.js';
import type { LoadProfileLibrary } from '../../../src-main/engine/models/load/index.js';
import { parseScenario, type Scenario } from '../../../src-main/engine/scenario/index.js';
import { loadProfileLibraryFromResources } from '../../../src-main/node/load-profiles.js';
import { resourcesDir } from '../../../src-main/node/paths.js';
import { loadScenarioFile, type LoadedScenario } from '../../../src-main/node/scenario-file.js';
import { SimulatedField, SIM_ACK_LATENCY_MS, type BreakerRecord } from '../../../src-main/sim/field.js';
import { Plant } from '../../../src-main/sim/plant.js';

const S = 1000;
const at = (hhmmss: string): number => Date.parse(`2026-06-22T${hhmmss}+02:00`);

/** The fault windows this test injects (the bundled faults-and-bad-data scenario, 10:00–14:00, re-timed). */
const FAULTS = [
  { at: '2026-06-22T10:30:00+02:00', kind: 'breakerSensorDropout', durationS: 120 },
  { at: '2026-06-22T10:40:00+02:00', kind: 'breakerSensorNaN', durationS: 60 },
  { at: '2026-06-22T10:50:00+02:00', kind: 'breakerSensorStuck', durationS: 90 },
  { at: '2026-06-22T11:00:00+02:00', kind: 'assetOffline', asset: 'bess', durationS: 300 },
  { at: '2026-06-22T11:10:00+02:00', kind: 'assetSetpointRejected', asset: 'hs-03', durationS: 900 },
  { at: '2026-06-22T11:30:00+02:00', kind: 'forecastMissing', durationS: 600 },
];
const inWindow = (kind: string, tMs: number): boolean =>
  FAULTS.some((f) => f.kind === kind && tMs >= Date.parse(f.at) && tMs < Date.parse(f.at) + f.durationS * S);

const FORECAST: ForecastResult = { ok: true, timeMs: [at('10:00:00'), at('11:00:00')], tempC: [21, 23] };

let profiles: LoadProfileLibrary;
let loaded: LoadedScenario;

function scenarioWith(edit: (raw: Record<string, unknown> & { assets: unknown[] }) => void): Scenario {
  const raw = JSON.parse(JSON.stringify(loaded.scenario));
  edit(raw);
  const r = parseScenario(JSON.stringify(raw));
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.scenario;
}

interface Harness {
  plant: Plant;
  clock: VirtualClock;
  field: SimulatedField;
  records: BreakerRecord[];
  delivered: Array<{ atMs: number; sample: BreakerSample }>;
  reports: Array<{ atMs: number; report: AssetReport }>;
  truthKw: Map<number, number>;
}

function harness(scenario: Scenario): Harness {
  const plant = new Plant({ scenario, weather: loaded.weatherActual, loadProfiles: profiles, series: loaded.series });
  const clock = new VirtualClock(plant.startMs);
  const field = new SimulatedField(plant, clock, () => FORECAST);
  const h: Harness = { plant, clock, field, records: [], delivered: [], reports: [], truthKw: new Map() };
  field.onBreakerSampleTaken = (r) => h.records.push(r);
  field.subscribe((sample) => h.delivered.push({ atMs: clock.nowMs(), sample }));
  field.subscribeReports((report) => h.reports.push({ atMs: clock.nowMs(), report }));
  field.start();
  return h;
}

/** Runs the plant and the clock the way a replay does (events at t see the plant at t), up to `untilMs`. */
function runUntil(h: Harness, untilMs: number): void {
  while (h.plant.nowMs < untilMs) {
    h.truthKw.set(h.plant.nowMs, h.plant.breakerKw);
    h.clock.runUntil(h.plant.nowMs);
    h.plant.step();
  }
}

let h: Harness;
const acks = new Map<string, { writtenMs: number; ack: SetpointAck | null; plantSetpointAfterMs?: number | null }>();
const forecasts = new Map<string, { askedMs: number; answeredMs: number | null; result: ForecastResult | null }>();

beforeAll(async () => {
  const res = resourcesDir();
  profiles = loadProfileLibraryFromResources(res);
  loaded = await loadScenarioFile(join(res, 'scenarios', 'faults-and-bad-data', 'scenario.json'));
  h = harness(scenarioWith((s) => (s.faults = FAULTS)));
  const write = (name: string, whenMs: number, assetId: string, powerKw: number): void => {
    h.clock.schedule(whenMs, () => {
      const entry = { writtenMs: h.clock.nowMs(), ack: null as SetpointAck | null };
      acks.set(name, entry);
      h.field.write({ commandId: name, assetId, issuedMs: whenMs, powerKw, expiresMs: whenMs + 600 * S, runId: null }, (ack) => {
        if (entry.ack) throw new Error(`second ack for ${name}`);
        entry.ack = ack;
        expect(h.clock.nowMs()).toBe(ack.ackMs);
      });
    });
  };
  write('bess-before', at('10:59:30'), 'bess', 50);
  write('bess-offline', at('11:01:00'), 'bess', -100);
  write('bess-after', at('11:05:10'), 'bess', 30);
  write('hs03-rejected', at('11:15:00'), 'hs-03', 2);
  write('hs04-during', at('11:15:00'), 'hs-04', 2);
  write('hs03-after', at('11:26:00'), 'hs-03', 2);
  write('load', at('11:27:00'), 'hh-001', 2);
  for (const [name, t] of [
    ['before', at('11:29:59')],
    ['start', at('11:30:00')],
    ['end', at('11:39:59')],
    ['after', at('11:40:00')],
  ] as const) {
    h.clock.schedule(t, () => {
      const entry = { askedMs: h.clock.nowMs(), answeredMs: null as number | null, result: null as ForecastResult | null };
      forecasts.set(name, entry);
      h.field.fetchForecast((result) => {
        entry.answeredMs = h.clock.nowMs();
        entry.result = result;
      });
    });
  }
  // What the plant holds for the offline BESS and the rejecting hs-03, 10 s after the writes.
  h.clock.schedule(at('11:01:10'), () => (acks.get('bess-offline')!.plantSetpointAfterMs = h.plant.read('bess')!.setpointKw));
  h.clock.schedule(at('11:15:10'), () => (acks.get('hs03-rejected')!.plantSetpointAfterMs = h.plant.read('hs-03')!.setpointKw));
  runUntil(h, at('12:00:00'));
});

describe('SimulatedField: breaker meter', () => {
  it('samples every breakerPeriodS (10 s) from the start, each with the plant truth at that instant', () => {
    expect(h.records.length).toBe(720);
    h.records.forEach((r, k) => {
      expect(r.sampleMs).toBe(h.plant.startMs + k * 10 * S);
    });
    const mismatched = h.records.filter((r) => !Object.is(r.trueKw, h.truthKw.get(r.sampleMs)));
    expect(mismatched).toEqual([]);
  });

  it('delivers each sample delayS (1 s) after it was taken, stamped with both times', () => {
    expect(h.delivered.length).toBeGreaterThan(690);
    for (const d of h.delivered) {
      expect(d.sample.arrivalMs).toBe(d.sample.sampleMs + 1 * S);
      expect(d.atMs).toBe(d.sample.arrivalMs);
    }
    // In order, and each sample at most once.
    const times = h.delivered.map((d) => d.sample.sampleMs);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(new Set(times).size).toBe(times.length);
  });

  it('adds Gaussian noise of breakerNoiseKw (0.5 kW): mean ≈ 0, standard deviation ≈ 0.5 kW', () => {
    const diffs = h.records.filter((r) => r.status === 'ok').map((r) => r.sentKw! - r.trueKw);
    const n = diffs.length;
    expect(n).toBeGreaterThan(650);
    const mean = diffs.reduce((a, b) => a + b, 0) / n;
    const sd = Math.sqrt(diffs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
    // Standard errors: mean 0.5/√n ≈ 0.019 kW, sd ≈ 0.5/√(2n) ≈ 0.014 kW; the bounds are ≥ 5 of them.
    expect(Math.abs(mean)).toBeLessThan(0.1);
    expect(sd).toBeGreaterThan(0.42);
    expect(sd).toBeLessThan(0.58);
    // And the delivered value is the one the sensor took.
    const sent = new Map(h.records.map((r) => [r.sampleMs, r.sentKw]));
    for (const d of h.delivered) if (Number.isFinite(d.sample.powerKw)) expect(d.sample.powerKw).toBe(sent.get(d.sample.sampleMs));
  });

  it('breakerSensorDropout: nothing is sent during the window; samples resume after it', () => {
    const inside = h.records.filter((r) => inWindow('breakerSensorDropout', r.sampleMs));
    expect(inside.length).toBe(12);
    expect(inside.every((r) => r.status === 'dropout' && r.sentKw === null)).toBe(true);
    expect(h.delivered.filter((d) => inWindow('breakerSensorDropout', d.sample.sampleMs))).toEqual([]);
    expect(h.delivered.some((d) => d.sample.sampleMs === at('10:32:00'))).toBe(true);
    expect(h.delivered.some((d) => d.sample.sampleMs === at('10:29:50'))).toBe(true);
  });

  it('breakerSensorNaN: samples arrive on time, with NaN', () => {
    const inside = h.delivered.filter((d) => inWindow('breakerSensorNaN', d.sample.sampleMs));
    expect(inside.length).toBe(6);
    expect(inside.every((d) => Number.isNaN(d.sample.powerKw))).toBe(true);
    const outside = h.delivered.filter((d) => !inWindow('breakerSensorNaN', d.sample.sampleMs));
    expect(outside.every((d) => Number.isFinite(d.sample.powerKw))).toBe(true);
  });

  it('breakerSensorStuck: the last value repeats with fresh timestamps', () => {
    const last = h.delivered.filter((d) => d.sample.sampleMs < at('10:50:00')).at(-1)!;
    expect(last.sample.sampleMs).toBe(at('10:49:50'));
    const inside = h.delivered.filter((d) => inWindow('breakerSensorStuck', d.sample.sampleMs));
    expect(inside.length).toBe(9);
    for (const d of inside) expect(d.sample.powerKw).toBe(last.sample.powerKw);
    expect(new Set(inside.map((d) => d.sample.sampleMs)).size).toBe(9);
    // The true power did move meanwhile (so a stuck value is a real fault, not a coincidence).
    const truths = h.records.filter((r) => inWindow('breakerSensorStuck', r.sampleMs)).map((r) => r.trueKw);
    expect(Math.max(...truths) - Math.min(...truths)).toBeGreaterThan(0.01);
    // Right after the window the values move again.
    const next = h.delivered.find((d) => d.sample.sampleMs === at('10:51:30'))!;
    expect(next.sample.powerKw).not.toBe(last.sample.powerKw);
  });
});

describe('SimulatedField: asset telemetry and writes', () => {
  it('reports the BESS every second and household storages / heat pumps every assetPeriodS, delayed by delayS', () => {
    const bess = h.reports.filter((r) => r.report.assetId === 'bess');
    const hs = h.reports.filter((r) => r.report.assetId === 'hs-01');
    const hp = h.reports.filter((r) => r.report.assetId === 'hp-07');
    expect(hs.map((r) => r.report.sampleMs)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map((k) => h.plant.startMs + k * 900 * S));
    expect(hp.length).toBe(8);
    for (const r of [...bess, ...hs, ...hp]) expect(r.atMs).toBe(r.report.sampleMs + 1 * S);
    expect(hs[0]!.report.socPct).toBeTypeOf('number');
    expect(hp[0]!.report.indoorC).toBeTypeOf('number');
    expect(hp[0]!.report.on).toBeTypeOf('boolean');
    // Loads and PV do not report.
    expect(h.reports.some((r) => r.report.assetId.startsWith('hh-') || r.report.assetId.startsWith('roof-'))).toBe(false);
    // BESS: every second except while offline (the sample of 11:59:59 is still in flight at 12:00).
    expect(bess.length).toBe(2 * 3600 - 300 - 1);
    expect(new Set(bess.map((r) => r.report.sampleMs)).size).toBe(bess.length);
  });

  it('acknowledges a write SIM_ACK_LATENCY_MS later, with the read-back at the write time', () => {
    const a = acks.get('bess-before')!;
    expect(a.ack).toMatchObject({ commandId: 'bess-before', assetId: 'bess', ok: true, ackMs: a.writtenMs + SIM_ACK_LATENCY_MS });
    expect(a.ack!.readBack!.sampleMs).toBe(a.writtenMs);
    expect(a.ack!.readBack!.socPct).toBeTypeOf('number');
    const load = acks.get('load')!;
    expect(load.ack).toMatchObject({ ok: false, error: expect.stringContaining('takes no setpoints') });
  });

  it('assetOffline: the asset neither applies nor answers writes and sends no reports', () => {
    const a = acks.get('bess-offline')!;
    expect(a.ack).toBeNull();
    // The earlier 50 kW expired by the BESS's own watchdog at 11:00:30; the offline write changed nothing.
    expect(a.plantSetpointAfterMs).toBeNull();
    const offlineReports = h.reports.filter((r) => r.report.assetId === 'bess' && inWindow('assetOffline', r.report.sampleMs));
    expect(offlineReports).toEqual([]);
    expect(h.reports.some((r) => r.report.assetId === 'bess' && r.report.sampleMs === at('10:59:59'))).toBe(true);
    expect(h.reports.some((r) => r.report.assetId === 'bess' && r.report.sampleMs === at('11:05:00'))).toBe(true);
    expect(acks.get('bess-after')!.ack).toMatchObject({ ok: true });
    // Other assets kept reporting.
    expect(h.reports.some((r) => r.report.assetId === 'hs-01' && r.report.sampleMs === at('11:00:00'))).toBe(true);
  });

  it('assetSetpointRejected: the asset answers ok:false and applies nothing; others are unaffected', () => {
    const a = acks.get('hs03-rejected')!;
    expect(a.ack).toMatchObject({ assetId: 'hs-03', ok: false, ackMs: a.writtenMs + SIM_ACK_LATENCY_MS });
    expect(a.ack!.error).toMatch(/rejected/);
    expect(a.plantSetpointAfterMs).toBeNull();
    expect(acks.get('hs04-during')!.ack).toMatchObject({ ok: true });
    expect(acks.get('hs03-after')!.ack).toMatchObject({ ok: true });
    // It still reports (rejecting writes is not being offline).
    expect(h.reports.some((r) => r.report.assetId === 'hs-03' && r.report.sampleMs === at('11:15:00'))).toBe(true);
  });

  it('forecastMissing: the weather service answers an error during the window, the forecast outside it', () => {
    for (const name of ['before', 'after']) {
      const f = forecasts.get(name)!;
      expect(f.result).toBe(FORECAST);
      expect(f.answeredMs).toBe(f.askedMs + SIM_ACK_LATENCY_MS);
    }
    for (const name of ['start', 'end']) {
      const f = forecasts.get(name)!;
      expect(f.result).toMatchObject({ ok: false, error: expect.stringMatching(/503/) });
      expect(f.answeredMs).toBe(f.askedMs + SIM_ACK_LATENCY_MS);
    }
  });

  it('the breaker noise is its own named stream: more assets leave its draws unchanged', () => {
    const more = harness(
      scenarioWith((s) => {
        s.faults = [];
        s.assets.unshift({ kind: 'load', id: 'bakery', count: 5, profile: 'G0', annualKwh: 30000, noisePct: 40 });
      }),
    );
    runUntil(more, more.plant.startMs + 1000 * S);
    const noise = (x: Harness) => x.records.slice(0, 100).map((r) => r.sentKw! - r.trueKw);
    const a = noise(h);
    const b = noise(more);
    expect(b.length).toBe(100);
    b.forEach((v, i) => expect(v).toBeCloseTo(a[i]!, 9));
    expect(more.records[5]!.trueKw).not.toBe(h.records[5]!.trueKw);
  });
});
