import { describe, expect, it } from 'vitest';
import { computeRunKpis, energyCoverPct, latencyStats } from '../../../../src-main/engine/kpi/index.js';
import type { RunContext, RunKpis, RunSamples } from '../../../../src-main/engine/kpi/index.js';

/** 2026-06-21T08:00:00Z, a whole quarter hour (multiple of 900 000 ms). */
const T0 = Date.UTC(2026, 5, 21, 8, 0, 0);
const S = 1000;
const PERIOD_S = 10;

interface SeriesSpec {
  /** Sample times in ms; default T0 + i·10 s. */
  timesMs?: number[];
  /** Error e = P_B − P* per sample (P* = targetKw); NaN makes the sample invalid. */
  errKw: number[];
  targetKw?: number | number[];
  uncontrolledKw?: number | number[];
  flexDownKw?: number | number[];
  flexUpKw?: number | number[];
  arrivalDelayMs?: number | number[];
}

const at = (v: number | number[] | undefined, i: number, dflt: number): number =>
  v === undefined ? dflt : Array.isArray(v) ? (v[i] ?? NaN) : v;

function series(spec: SeriesSpec): RunSamples {
  const n = spec.errKw.length;
  const times = spec.timesMs ?? Array.from({ length: n }, (_, i) => T0 + i * PERIOD_S * S);
  const target = Float64Array.from({ length: n }, (_, i) => at(spec.targetKw, i, -150));
  return {
    sampleTimeMs: Float64Array.from(times),
    arrivalTimeMs: Float64Array.from(times, (t, i) => t + at(spec.arrivalDelayMs, i, 1000)),
    measuredKw: Float64Array.from(spec.errKw, (e, i) => (target[i] ?? NaN) + e),
    targetKw: target,
    flexDownKw: Float64Array.from({ length: n }, (_, i) => at(spec.flexDownKw, i, -1000)),
    flexUpKw: Float64Array.from({ length: n }, (_, i) => at(spec.flexUpKw, i, 1000)),
    uncontrolledKw: Float64Array.from({ length: n }, (_, i) => at(spec.uncontrolledKw, i, -100)),
  };
}

function ctx(n: number, over: Partial<RunContext> = {}): RunContext {
  return {
    triggerReceivedMs: T0,
    startMs: T0,
    endMs: T0 + n * PERIOD_S * S,
    endReason: 'duration-elapsed',
    requested: { startMs: T0, endMs: T0 + n * PERIOD_S * S, basis: 'duration' },
    toleranceKw: 10,
    breakerPeriodS: PERIOD_S,
    firstSetpointAckMs: null,
    exhaustionForecast: [],
    energyChecks: [],
    loopLatency: {},
    ...over,
  };
}

const run = (spec: SeriesSpec, over: Partial<RunContext> = {}): RunKpis =>
  computeRunKpis(series(spec), ctx(spec.errKw.length, over));

const fill = (n: number, v: number): number[] => Array.from({ length: n }, () => v);

/** Every number in the output is finite (NaN/Infinity would not survive JSON). */
function expectJsonSafe(k: RunKpis): void {
  const walk = (v: unknown, path: string): void => {
    if (typeof v === 'number') expect(Number.isFinite(v), `${path} = ${v}`).toBe(true);
    else if (v !== null && typeof v === 'object') {
      expect(ArrayBuffer.isView(v), `${path} is a typed array`).toBe(false);
      for (const [key, x] of Object.entries(v)) walk(x, `${path}.${key}`);
    }
  };
  walk(k, 'kpis');
  expect(JSON.parse(JSON.stringify(k))).toEqual(k);
}

describe('computeRunKpis – accuracy', () => {
  it('constant in-band error: every figure equals the error', () => {
    // e = 4 kW on 30 samples: in band from the first sample, so settled at t0, cutoff = start, nothing in settling.
    // energy = 30 samples × 10 s × 4 kW = 1200 kWs = 1/3 kWh.
    const k = run({ errKw: fill(30, 4) });
    expect(k.accuracy.maeKw).toBeCloseTo(4, 12);
    expect(k.accuracy.rmseKw).toBeCloseTo(4, 12);
    expect(k.accuracy.maxAbsErrorKw).toBeCloseTo(4, 12);
    expect(k.accuracy.biasKw).toBeCloseTo(4, 12);
    expect(k.accuracy.withinBandPct).toBe(100);
    expect(k.accuracy.energyErrorKwh).toBeCloseTo(1 / 3, 12);
    expect(k.accuracy.netEnergyErrorKwh).toBeCloseTo(1 / 3, 12);
    expect(k.accuracy.samples).toBe(30);
    expect(k.accuracy.settling).toEqual({ samples: 0, maeKw: null, maxAbsErrorKw: null, withinBandPct: null });
    expect(k.responsiveness.settlingS).toBe(0);
    expect(k.samples).toEqual({ total: 30, valid: 30, invalid: 0 });
    expectJsonSafe(k);
  });

  it('constant out-of-band error: never settles, cutoff by the 60 s allowance', () => {
    // e = −20 kW: never settles → cutoff = start + 60 s; samples at 0..50 s (6) go to settling, 24 stay.
    const k = run({ errKw: fill(30, -20) });
    expect(k.responsiveness.settlingS).toBeNull();
    expect(k.accuracy.cutoffAt).toBe(new Date(T0 + 60 * S).toISOString());
    expect(k.accuracy.settling.samples).toBe(6);
    expect(k.accuracy.settling.maeKw).toBeCloseTo(20, 12);
    expect(k.accuracy.settling.withinBandPct).toBe(0);
    expect(k.accuracy.samples).toBe(24);
    expect(k.accuracy.biasKw).toBeCloseTo(-20, 12);
    expect(k.accuracy.withinBandPct).toBe(0);
    // 24 × 10 s × 20 kW = 4800 kWs = 4/3 kWh, net negative.
    expect(k.accuracy.energyErrorKwh).toBeCloseTo(4 / 3, 12);
    expect(k.accuracy.netEnergyErrorKwh).toBeCloseTo(-4 / 3, 12);
    expect(k.availability.heldS).toBe(0);
  });

  it('alternating ±e: bias 0, mae = rmse = e, net energy 0', () => {
    // +5, −5, … on 30 samples: mean |e| = 5, mean e = 0; energy = 30 × 10 s × 5 kW = 1500 kWs = 5/12 kWh.
    const k = run({ errKw: Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? 5 : -5)) });
    expect(k.accuracy.biasKw).toBeCloseTo(0, 12);
    expect(k.accuracy.maeKw).toBeCloseTo(5, 12);
    expect(k.accuracy.rmseKw).toBeCloseTo(5, 12);
    expect(k.accuracy.energyErrorKwh).toBeCloseTo(5 / 12, 12);
    expect(k.accuracy.netEnergyErrorKwh).toBeCloseTo(0, 12);
  });

  it('one outlier pulls rmse far more than mae', () => {
    // 29 × 0 and one 100 kW on 30 samples: mae = 100/30, rmse = sqrt(10000/30) ≈ 18.257, within = 29/30.
    const errKw = fill(30, 0);
    errKw[20] = 100;
    const k = run({ errKw });
    expect(k.accuracy.maeKw).toBeCloseTo(100 / 30, 12);
    expect(k.accuracy.biasKw).toBeCloseTo(100 / 30, 12);
    expect(k.accuracy.rmseKw).toBeCloseTo(Math.sqrt(10000 / 30), 12);
    expect(k.accuracy.maxAbsErrorKw).toBe(100);
    expect(k.accuracy.withinBandPct).toBeCloseTo((29 / 30) * 100, 12);
  });

  it('settling phase cut by the first settled sample (before the allowance)', () => {
    // e = 50, 40, 30, then 5 for ever: settled at sample 3 (t = 30 s) < 60 s → cutoff 30 s.
    // Settling: 3 samples, mae (50+40+30)/3 = 40, max 50, within 0 %. Main: 27 samples of 5 kW.
    const errKw = [50, 40, 30, ...fill(27, 5)];
    const k = run({ errKw });
    expect(k.accuracy.cutoffAt).toBe(new Date(T0 + 30 * S).toISOString());
    expect(k.accuracy.settling).toEqual({ samples: 3, maeKw: 40, maxAbsErrorKw: 50, withinBandPct: 0 });
    expect(k.accuracy.samples).toBe(27);
    expect(k.accuracy.maeKw).toBeCloseTo(5, 12);
    expect(k.responsiveness.settlingS).toBe(30);
    expect(k.responsiveness.referenceKind).toBe('trigger-received');
  });

  it('settling phase cut by the allowance when settling comes late', () => {
    // 9 samples at 50 kW, then 0: settled at sample 9 (90 s) > 60 s → cutoff 60 s; samples 6..8 (50 kW) are
    // in the main figures: main = 3 × 50 + 21 × 0 over 24 → mae 150/24 = 6.25; settlingS = 90.
    const k = run({ errKw: [...fill(9, 50), ...fill(21, 0)] });
    expect(k.accuracy.cutoffAt).toBe(new Date(T0 + 60 * S).toISOString());
    expect(k.accuracy.settling.samples).toBe(6);
    expect(k.accuracy.samples).toBe(24);
    expect(k.accuracy.maeKw).toBeCloseTo(6.25, 12);
    expect(k.responsiveness.settlingS).toBe(90);
  });

  it('quarter-hour mean: partial quarter hours at both ends excluded', () => {
    // Run 08:05 → 08:50 UTC, settled at once (cutoff 08:05). Whole quarter hours inside: 08:15–08:30 and
    // 08:30–08:45. 08:05–08:15 and 08:45–08:50 are partial (e = 9 there, must not count).
    // QH1: e = 7 → |ē| = 7. QH2: alternating +4/−10 (90 samples, 45 each) → ē = −3, |ē| = 3. mae15 = (7+3)/2 = 5.
    const start = T0 + 5 * 60 * S;
    const n = 45 * 6; // 45 min of 10 s samples
    const timesMs = Array.from({ length: n }, (_, i) => start + i * 10 * S);
    const errKw = timesMs.map((t, i) => {
      const min = (t - T0) / 60_000;
      if (min < 15 || min >= 45) return 9;
      if (min < 30) return 7;
      return i % 2 === 0 ? 4 : -10;
    });
    const k = computeRunKpis(series({ timesMs, errKw }), ctx(n, { startMs: start, triggerReceivedMs: start, endMs: start + n * 10 * S }));
    expect(k.accuracy.quarterHours).toBe(2);
    expect(k.accuracy.mae15MinKw).toBeCloseTo(5, 12);
    // The per-sample mae differs: (60×9 + 90×7 + 45×4 + 45×10 + 30×9)/270 = 2070/270.
    expect(k.accuracy.maeKw).toBeCloseTo(2070 / 270, 12);
  });

  it('quarter-hour mean is null when no whole quarter hour fits', () => {
    const k = run({ errKw: fill(30, 1) }); // 5 minutes
    expect(k.accuracy.mae15MinKw).toBeNull();
    expect(k.accuracy.quarterHours).toBe(0);
  });

  it('NaN samples are excluded and counted; settling skips them', () => {
    // e = 2 except: sample 10 measured NaN, sample 11 target NaN, sample 12 measured NaN.
    const s = series({ errKw: fill(30, 2) });
    s.measuredKw[10] = NaN;
    s.targetKw[11] = NaN;
    s.measuredKw[12] = Number.POSITIVE_INFINITY;
    const k = computeRunKpis(s, ctx(30));
    expect(k.samples).toEqual({ total: 30, valid: 27, invalid: 3 });
    expect(k.accuracy.maeKw).toBeCloseTo(2, 12);
    // Each valid sample holds 10 s (the next sample is 10 s later, valid or not): 27 × 10 × 2 = 540 kWs.
    expect(k.accuracy.energyErrorKwh).toBeCloseTo(540 / 3600, 12);
    expectJsonSafe(k);

    // 50, 5, NaN, 5, 5: the NaN neither breaks nor counts → settled at sample 1 (10 s).
    const k2 = run({ errKw: [50, 5, NaN, 5, 5, 50] });
    expect(k2.responsiveness.settlingS).toBe(10);
  });

  it('hold rule: gaps are capped at one breaker period, the last sample at the end of the run', () => {
    // t = 0, 10, 20, 60, 75 s, end 78 s → holds 10, 10, 10 (gap 40 capped), 10 (gap 15 capped), 3 = 43 s.
    // e = 36 kW → 36 × 43 / 3600 = 0.43 kWh.
    const timesMs = [0, 10, 20, 60, 75].map((x) => T0 + x * S);
    const k = computeRunKpis(series({ timesMs, errKw: fill(5, 36) }), ctx(5, { endMs: T0 + 78 * S, requested: { startMs: T0, endMs: T0 + 78 * S, basis: 'duration' }, toleranceKw: 40 }));
    expect(k.accuracy.energyErrorKwh).toBeCloseTo(0.43, 12);
    expect(k.availability.heldS).toBeCloseTo(43, 12);
  });
});

describe('computeRunKpis – responsiveness', () => {
  it('stale samples: arrival more than 2 breaker periods late (strictly)', () => {
    // Delays 1 s, 20 s (= 2 periods, not stale), 20.001 s, 25 s, NaN (unknown, not counted).
    const k = run({ errKw: fill(5, 0), arrivalDelayMs: [1000, 20_000, 20_001, 25_000, NaN] });
    expect(k.responsiveness.staleSamples).toBe(2);
  });

  it('announced trigger: first setpoint and settling measured from the start', () => {
    // Received 30 min before the start; ack 2.5 s after the start; settled at sample 3 (30 s after start).
    const k = run(
      { errKw: [50, 40, 30, ...fill(27, 5)] },
      { triggerReceivedMs: T0 - 1800 * S, firstSetpointAckMs: T0 + 2500 },
    );
    expect(k.responsiveness.referenceKind).toBe('start');
    expect(k.responsiveness.referenceAt).toBe(new Date(T0).toISOString());
    expect(k.responsiveness.firstSetpointS).toBe(2.5);
    expect(k.responsiveness.settlingS).toBe(30);
  });

  it('trigger received after the start time: measured from reception', () => {
    const k = run({ errKw: [50, 40, 30, ...fill(27, 5)] }, { triggerReceivedMs: T0 + 5 * S, firstSetpointAckMs: T0 + 7 * S });
    expect(k.responsiveness.referenceKind).toBe('trigger-received');
    expect(k.responsiveness.firstSetpointS).toBe(2);
    expect(k.responsiveness.settlingS).toBe(25);
  });

  it('no acknowledgement → firstSetpointS null', () => {
    expect(run({ errKw: fill(3, 0) }).responsiveness.firstSetpointS).toBeNull();
  });

  it('nearest-rank percentiles per hop', () => {
    // 1..100: p50 = value at rank ceil(50) = 50, p95 = 95, p99 = 99.
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    // [5, 1, NaN, 3] → [1, 3, 5]: p50 rank ceil(1.5) = 2 → 3; p95 rank ceil(2.85) = 3 → 5; p99 → 5.
    const k = run({ errKw: fill(3, 0) }, { loopLatency: { total: hundred, decision: Float64Array.from([5, 1, NaN, 3]), emsToAck: [] } });
    expect(k.responsiveness.loopLatencyMs['total']).toEqual({ p50: 50, p95: 95, p99: 99, max: 100, count: 100 });
    expect(k.responsiveness.loopLatencyMs['decision']).toEqual({ p50: 3, p95: 5, p99: 5, max: 5, count: 3 });
    expect(k.responsiveness.loopLatencyMs['emsToAck']).toEqual({ p50: null, p95: null, p99: null, max: null, count: 0 });
    expect(latencyStats([42])).toEqual({ p50: 42, p95: 42, p99: 42, max: 42, count: 1 });
    expectJsonSafe(k);
  });
});

/** A request of `s` seconds from T0. */
const requested = (s: number, basis: RunContext['requested']['basis'] = 'duration'): RunContext['requested'] => ({ startMs: T0, endMs: T0 + s * S, basis });

describe('computeRunKpis – availability', () => {
  it('coverage and headroom against the instantaneous band', () => {
    // P* = −150, P_unc = −100, −50, −200, −300 → r = −50, −100, 50, 150; band [−200, 100].
    // Inside: 3 of 4 → 75 %. F⁺ − r = 150, 200, 50, −50 → −50. r − F⁻ = 150, 100, 250, 350 → 100.
    const k = run({ errKw: fill(4, 0), uncontrolledKw: [-100, -50, -200, -300], flexDownKw: -200, flexUpKw: 100 });
    expect(k.availability.coveredPct).toBe(75);
    expect(k.availability.minHeadroomUpKw).toBe(-50);
    expect(k.availability.minHeadroomDownKw).toBe(100);
    expect(k.availability.samples).toBe(4);
    // Held throughout: coverage alone never makes an exhaustion.
    expect(k.availability.actualExhaustionAt).toBeNull();
  });

  it('held by the one-minute mean error: a short spike inside a good minute stays held', () => {
    // 18 samples; e = 0 except one sample of +40 kW at sample 9: the minute's mean is 40/6 ≈ 6.7 ≤ 10.
    const err = fill(18, 0);
    err[9] = 40;
    const k = run({ errKw: err });
    expect(k.availability.heldS).toBe(180);
    expect(k.availability.heldPctOfRequested).toBe(100);
    // A sustained +20 kW from sample 9 on: the mean leaves the band once it exceeds 10 kW, i.e. from the
    // fourth bad sample in the window (3·20/6 = 10 is still in; 4·20/6 > 10).
    const bad = [...fill(9, 0), ...fill(9, 20)];
    const b = run({ errKw: bad });
    expect(b.availability.heldS).toBe(120);
    expect(b.availability.actualExhaustionAt).toBe(new Date(T0 + 120 * S).toISOString());
  });

  it('held time is a share of the request, with its basis; open-ended is not divided by the run', () => {
    // The run holds 12 samples (120 s) and ends for exhaustion, but the request was 200 s long.
    const k = run({ errKw: fill(12, 0) }, { endReason: 'flex-exhausted', requested: requested(200) });
    expect(k.availability.heldS).toBe(120);
    expect(k.availability.heldPctOfRequested).toBe(60);
    expect(k.availability.requestedS).toBe(200);
    expect(k.availability.requestedBasis).toBe('duration');
    expect(k.availability.inForceS).toBe(120);
    expect(k.availability.actualExhaustionAt).toBe(new Date(T0 + 120 * S).toISOString());
    // The 80 s after the end count as 8 uncovered breaker periods: 12 covered of 20 = 60 %.
    expect(k.availability.uncoveredAfterEndSamples).toBe(8);
    expect(k.availability.coveredPct).toBe(60);
    // An open-ended request that the next trigger ended at 600 s: 120 of 600 s.
    const open = run({ errKw: fill(12, 0) }, { endReason: 'fault', requested: requested(600, 'next-trigger') });
    expect(open.availability.heldPctOfRequested).toBe(20);
    expect(open.availability.requestedBasis).toBe('next-trigger');
    // Settled at sample 2, but the minute's mean carries the two bad samples until sample 6 (50/6 ≤ 10):
    // held 6..11 = 60 s.
    const late = run({ errKw: [50, 50, ...fill(10, 0)] });
    expect(late.responsiveness.settlingS).toBe(20);
    expect(late.availability.heldS).toBe(60);
  });

  it('a withdrawn request is cut where it was withdrawn: superseded and stopped runs are not penalised', () => {
    const k = run({ errKw: fill(12, 0) }, { endReason: 'superseded', requested: requested(120, 'superseded') });
    expect(k.availability.heldPctOfRequested).toBe(100);
    expect(k.availability.actualExhaustionAt).toBeNull();
  });

  it('samples outside the request are not held (an announced run that started early)', () => {
    const k = run({ errKw: fill(12, 0) }, { requested: { startMs: T0 + 30 * S, endMs: T0 + 120 * S, basis: 'duration' } });
    expect(k.availability.heldS).toBe(90);
    expect(k.availability.heldPctOfRequested).toBe(100);
  });

  it('actualExhaustionAt agrees with held time: the first sample after the last held one', () => {
    // Held 0..50 s, lost 60..110 s, back 120..150 s, lost for good from 160 s on (mean of +30 kW errors).
    const err = [...fill(6, 0), ...fill(6, 30), ...fill(6, 0), ...fill(6, 30)];
    const k = run({ errKw: err });
    const held = k.availability.heldS;
    expect(held).toBeGreaterThan(0);
    expect(held).toBeLessThan(240);
    const x = Date.parse(k.availability.actualExhaustionAt!);
    expect(x).toBeGreaterThan(T0 + 150 * S);
    expect(x).toBeLessThanOrEqual(T0 + 200 * S);
    // Nothing held: the request's start.
    expect(run({ errKw: fill(12, 50) }).availability.actualExhaustionAt).toBe(new Date(T0).toISOString());
  });

  it('exhaustion forecast quality: lead from the trailing stretch of warnings, errors at 60/30/15 min', () => {
    // A 3-hour request, exhausted at T0 + 2 h. Forecasts every 5 minutes from T0: none until 40 min,
    // a false one at 20 min, then from 50 min on predicting 2 h 06 min (6 minutes late).
    const n = 3 * 360;
    const x = T0 + 7200 * S;
    const exhaustionForecast: Array<{ madeMs: number; atMs: number | null }> = [];
    for (let m = 0; m < 120; m += 5) {
      const madeMs = T0 + m * 60 * S;
      exhaustionForecast.push({ madeMs, atMs: m === 20 ? T0 + 9000 * S : m >= 50 ? x + 360 * S : null });
    }
    const k = run({ errKw: fill(720, 0) }, { endMs: x, endReason: 'flex-exhausted', requested: requested(n * PERIOD_S), exhaustionForecast });
    expect(k.availability.actualExhaustionAt).toBe(new Date(x).toISOString());
    expect(k.availability.exhaustion.exhaustionLeadS).toBe(70 * 60);
    expect(k.availability.exhaustion.exhaustionErrorS).toEqual({ at60: 360, at30: 360, at15: 360 });
    expect(k.availability.exhaustion.falseAlarmS).toBeNull();
    expect(k.availability.predictedExhaustionAt).toBe(new Date(T0 + 9000 * S).toISOString());
    // A warning that came 10 minutes before: no forecast 60 and 30 minutes before (misses), lead 600 s.
    const late = run({ errKw: fill(720, 0) }, {
      endMs: x, endReason: 'flex-exhausted', requested: requested(n * PERIOD_S),
      exhaustionForecast: [{ madeMs: T0, atMs: null }, { madeMs: x - 600 * S, atMs: x }],
    });
    expect(late.availability.exhaustion.exhaustionLeadS).toBe(600);
    expect(late.availability.exhaustion.exhaustionErrorS).toEqual({ at60: null, at30: null, at15: null });
    // No forecast ever: the exhaustion came as a surprise.
    const surprise = run({ errKw: fill(720, 0) }, { endMs: x, endReason: 'flex-exhausted', requested: requested(n * PERIOD_S) });
    expect(surprise.availability.exhaustion.exhaustionLeadS).toBe(0);
  });

  it('false alarms: the time a forecast predicted an exhaustion that did not come', () => {
    // Held throughout 20 minutes; a warning in force from 5 to 8 minutes.
    const k = run({ errKw: fill(120, 0) }, {
      exhaustionForecast: [{ madeMs: T0, atMs: null }, { madeMs: T0 + 300 * S, atMs: T0 + 1000 * S }, { madeMs: T0 + 480 * S, atMs: null }],
    });
    expect(k.availability.actualExhaustionAt).toBeNull();
    expect(k.availability.exhaustion.falseAlarmS).toBe(180);
    expect(k.availability.exhaustion.exhaustionLeadS).toBeNull();
  });

  it('energy cover: 100 inside the assets\' range, else the share of the need they reach', () => {
    expect(energyCoverPct({ atMs: T0, neededKwh: 50, availableDownKwh: -100, availableUpKwh: 200 })).toBe(100);
    expect(energyCoverPct({ atMs: T0, neededKwh: 400, availableDownKwh: -100, availableUpKwh: 200 })).toBe(50);
    expect(energyCoverPct({ atMs: T0, neededKwh: -400, availableDownKwh: -100, availableUpKwh: 200 })).toBe(25);
    expect(energyCoverPct({ atMs: T0, neededKwh: 0, availableDownKwh: 0, availableUpKwh: 0 })).toBe(100);
    expect(energyCoverPct({ atMs: T0, neededKwh: NaN, availableDownKwh: 0, availableUpKwh: 0 })).toBe(0);
    const k = run({ errKw: fill(3, 0) }, {
      energyChecks: [
        { atMs: T0, neededKwh: 50, availableDownKwh: -100, availableUpKwh: 200 },
        { atMs: T0 + 10 * S, neededKwh: 400, availableDownKwh: -100, availableUpKwh: 200 },
      ],
    });
    expect(k.availability.minEnergyCoverPct).toBe(50);
    expect(k.availability.energyChecks).toBe(2);
    expect(run({ errKw: fill(3, 0) }).availability.minEnergyCoverPct).toBeNull();
  });
});

describe('computeRunKpis – degenerate runs', () => {
  it('empty run: nulls for means, zero counts, JSON-safe', () => {
    const k = run({ errKw: [] }, { endMs: T0 + 600 * S, requested: requested(600) });
    expect(k.samples).toEqual({ total: 0, valid: 0, invalid: 0 });
    expect(k.accuracy.maeKw).toBeNull();
    expect(k.accuracy.rmseKw).toBeNull();
    expect(k.accuracy.biasKw).toBeNull();
    expect(k.accuracy.maxAbsErrorKw).toBeNull();
    expect(k.accuracy.withinBandPct).toBeNull();
    expect(k.accuracy.mae15MinKw).toBeNull();
    expect(k.accuracy.energyErrorKwh).toBe(0);
    expect(k.responsiveness.settlingS).toBeNull();
    expect(k.availability.coveredPct).toBeNull();
    expect(k.availability.minHeadroomUpKw).toBeNull();
    expect(k.availability.heldS).toBe(0);
    expect(k.availability.heldPctOfRequested).toBe(0);
    expectJsonSafe(k);
  });

  it('all-invalid run: counts say why the means are null', () => {
    const k = run({ errKw: fill(10, NaN) });
    expect(k.samples).toEqual({ total: 10, valid: 0, invalid: 10 });
    expect(k.accuracy.maeKw).toBeNull();
    expect(k.accuracy.settling.maeKw).toBeNull();
    expect(k.availability.samples).toBe(0);
    expectJsonSafe(k);
  });

  it('rejects arrays of different lengths', () => {
    const s = series({ errKw: fill(3, 0) });
    s.flexUpKw = new Float64Array(2);
    expect(() => computeRunKpis(s, ctx(3))).toThrow(RangeError);
  });
});

/** Tiny seeded PRNG so the property test is reproducible. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('computeRunKpis – invariants on random series', () => {
  it('holds 0 ≤ withinBand ≤ 100, rmse ≥ mae ≥ |bias|, max ≥ mae, everything finite', () => {
    const rnd = mulberry32(20260621);
    const eps = 1e-9;
    for (let iter = 0; iter < 300; iter++) {
      const n = Math.floor(rnd() * 400);
      const scaleKw = rnd() * 100;
      const offsetKw = (rnd() - 0.5) * 40;
      const timesMs: number[] = [];
      let t = T0 + Math.floor(rnd() * 900) * S;
      for (let i = 0; i < n; i++) {
        timesMs.push(t);
        t += (5 + rnd() * 30) * S; // jittered period, sometimes gaps
      }
      const errKw = timesMs.map(() => (rnd() < 0.05 ? NaN : offsetKw + (rnd() - 0.5) * scaleKw));
      const k = computeRunKpis(
        series({
          timesMs,
          errKw,
          uncontrolledKw: timesMs.map(() => (rnd() < 0.05 ? NaN : (rnd() - 0.5) * 600)),
          arrivalDelayMs: timesMs.map(() => rnd() * 40_000),
        }),
        ctx(n, {
          startMs: timesMs[0] ?? T0,
          endMs: t,
          endReason: rnd() < 0.3 ? 'flex-exhausted' : 'duration-elapsed',
          requested: { startMs: timesMs[0] ?? T0, endMs: (timesMs[0] ?? T0) + 3600 * S, basis: 'duration' },
          toleranceKw: rnd() * 20,
        }),
      );
      const a = k.accuracy;
      expect(k.samples.valid + k.samples.invalid).toBe(n);
      expect(a.samples + a.settling.samples).toBe(k.samples.valid);
      for (const pct of [a.withinBandPct, a.settling.withinBandPct, k.availability.coveredPct]) {
        if (pct !== null) {
          expect(pct).toBeGreaterThanOrEqual(0);
          expect(pct).toBeLessThanOrEqual(100);
        }
      }
      if (a.samples > 0) {
        const { maeKw, rmseKw, biasKw, maxAbsErrorKw } = a;
        if (maeKw === null || rmseKw === null || biasKw === null || maxAbsErrorKw === null) throw new Error('null with samples');
        expect(rmseKw).toBeGreaterThanOrEqual(maeKw - eps);
        expect(maeKw).toBeGreaterThanOrEqual(Math.abs(biasKw) - eps);
        expect(maxAbsErrorKw).toBeGreaterThanOrEqual(maeKw - eps);
        expect(a.energyErrorKwh).toBeGreaterThanOrEqual(Math.abs(a.netEnergyErrorKwh) - eps);
      } else {
        expect(a.maeKw).toBeNull();
      }
      const av = k.availability;
      expect(av.heldS).toBeGreaterThanOrEqual(0);
      expect(av.heldS).toBeLessThanOrEqual(av.inForceS + 1e-9);
      expect(av.inForceS).toBeLessThanOrEqual(av.requestedS + 1e-9);
      // Held to the last sample means no exhaustion; an exhaustion time means the end was not held.
      if (av.heldPctOfRequested === 100) expect(av.actualExhaustionAt).toBeNull();
      expectJsonSafe(k);
    }
  });
});
