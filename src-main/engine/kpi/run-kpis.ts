/**
 * Run KPIs (UC2-K01 availability, UC2-K02 responsiveness, UC2-K03 accuracy) computed from the stored time
 * series of one run, as defined in `docs/KPI.md`. Pure: no I/O, no clock; the same series gives the same
 * figures bit for bit, so a lab replay and a field run can be compared.
 *
 * Sign convention: power in kW, positive = drawn from the grid (import). Error e = P_B − P*.
 *
 * Decisions where KPI.md leaves room (keep in sync with the report / docs):
 *
 * - **Reference time.** KPI.md measures `firstSetpointS` and `settlingS` from "trigger received". For an
 *   ANNOUNCED trigger (received before `startMs`) nothing was asked before the start, so counting the
 *   announcement lead time would punish the controller for waiting as told. Both fields are therefore measured
 *   from `referenceMs = max(triggerReceivedMs, startMs)`; `responsiveness.referenceAt`/`referenceKind` say which.
 *   A negative duration (ack or settled sample before the reference) is clamped to 0.
 * - **Valid sample.** A sample is valid when its sample time, P_B and P* are all finite. Invalid samples are
 *   counted (`samples.invalid`) and never enter a mean.
 * - **Settled.** The first valid sample from which |e| ≤ b holds for it and the next two valid samples;
 *   invalid samples in between are skipped (they say nothing about the error), they neither break nor count.
 * - **Settling cutoff.** The earlier of the first settled sample time and `startMs + settleAllowanceS`
 *   (the allowance counts from the run start, as specified). Samples with t < cutoff go to
 *   `accuracy.settling`, the others to the main accuracy figures.
 * - **Hold rule (energy integrals and heldS).** Sample i stands for min(t[i+1] − t[i], breakerPeriodS) of
 *   time, the last one for min(endMs − t[i], breakerPeriodS); negative or non-finite spans count as 0. The next
 *   sample is the next one in the series whatever its validity, so a dropout is never bridged by the sample
 *   before it for longer than one breaker period (the time during a dropout is simply not integrated).
 * - **Band test.** |e| ≤ b uses a tolerance of 1e-9 kW so that float noise (110.1 − 100.1) does not flip it;
 *   the same tolerance is used for F⁻ ≤ r ≤ F⁺.
 * - **mae15MinKw.** Quarter hours aligned to the clock (UTC ms multiple of 900 000, equal to local quarter
 *   hours for every European zone) lying wholly inside [cutoff, endMs). ē₁₅ is the plain mean of the valid
 *   e samples in the quarter hour (not time-weighted); quarter hours without a valid sample are skipped.
 *   null if no quarter hour qualifies.
 * - **Loop latency percentiles.** Nearest rank: the value at sorted index ceil(p/100 · n) − 1. Non-finite
 *   latency samples are dropped.
 * - **Stale samples.** Any sample (valid or not) whose arrival − sample time > 2 breaker periods; samples
 *   with a non-finite time are not counted.
 * - **Availability.** Evaluated over the whole run (settling included) on valid samples whose P_unc, F⁻ and
 *   F⁺ are finite (`availability.samples`). Headroom may be negative (a shortfall).
 *   `actualExhaustionAt` is the first sample of the trailing stretch of evaluated samples where r is outside
 *   [F⁻, F⁺]; null if r is inside at the last evaluated sample (or nothing was evaluated).
 * - **heldS.** Summed with the hold rule over ALL samples at or after the first settled sample with
 *   `inExhaustion` = 0: the exhaustion flag is the engine's own state and stays known during a sensor dropout.
 *   0 if the run never settled. `heldPctOfRequested` is a percentage (0–100 for a run that did not overrun);
 *   for an open-ended run (`requestedDurationS` null) the denominator is endMs − startMs and
 *   `heldBasis` = 'run-span'.
 *
 * Output is JSON-serialisable: plain numbers (never NaN or Infinity), null where a figure has no data.
 */

/** One entry per breaker sample of the run, in time order. All arrays have the same length. */
export interface RunSamples {
  /** Timestamp at the sensor, UTC ms. */
  sampleTimeMs: Float64Array;
  /** When the EMS received the sample, UTC ms. */
  arrivalTimeMs: Float64Array;
  /** P_B in kW; NaN where the sample was invalid (NaN value, stuck, rejected). */
  measuredKw: Float64Array;
  /** P* in force at the sample, kW. */
  targetKw: Float64Array;
  /** F⁻: the lowest total power the controllable assets can hold for the rest of the run, kW. */
  flexDownKw: Float64Array;
  /** F⁺: the highest total power the controllable assets can hold for the rest of the run, kW. */
  flexUpKw: Float64Array;
  /** P_unc = measured breaker power minus the controllable assets' measured power, kW (NaN if unknown). */
  uncontrolledKw: Float64Array;
  /** 1 while the engine had declared flexibility exhaustion. */
  inExhaustion: Uint8Array;
}

/** What the series alone does not say about the run. */
export interface RunContext {
  triggerReceivedMs: number;
  startMs: number;
  endMs: number;
  /** Requested duration in s; null for open-ended runs (then heldPctOfRequested uses endMs − startMs). */
  requestedDurationS: number | null;
  /** Tolerance band b in kW (the caller applies the default of 10). */
  toleranceKw: number;
  breakerPeriodS: number;
  /** Settling allowance in s, counted from startMs; default 60. */
  settleAllowanceS?: number;
  /** First setpoint for this run acknowledged by an asset, UTC ms. */
  firstSetpointAckMs: number | null;
  /** First exhaustion prediction made in the run, UTC ms. */
  predictedExhaustionAtMs: number | null;
  /** Hop name → latency samples in ms (e.g. sensorToEms, decision, emsToAck, total). */
  loopLatency: Record<string, ArrayLike<number>>;
}

/** Nearest-rank percentiles of one loop hop, ms; null when the hop has no finite sample. */
export interface LatencyStatsMs {
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  count: number;
}

/** UC2-K03 figures over the samples before the settling cutoff. */
export interface SettlingAccuracy {
  /** Valid samples before the cutoff. */
  samples: number;
  maeKw: number | null;
  maxAbsErrorKw: number | null;
  withinBandPct: number | null;
}

/** UC2-K03 accuracy, over the valid samples at or after the settling cutoff. */
export interface AccuracyKpis {
  maeKw: number | null;
  rmseKw: number | null;
  maxAbsErrorKw: number | null;
  biasKw: number | null;
  /** Share of samples with |e| ≤ b, percent. */
  withinBandPct: number | null;
  /** ∫|e| dt in kWh (hold rule, see file header); 0 when there is no valid sample. */
  energyErrorKwh: number;
  /** ∫e dt in kWh; 0 when there is no valid sample. */
  netEnergyErrorKwh: number;
  /** Mean |ē₁₅| over the whole clock-aligned quarter hours in [cutoff, endMs); null if none. */
  mae15MinKw: number | null;
  /** Valid samples the figures above are computed over. */
  samples: number;
  /** Settling cutoff, ISO UTC (null only if start time and allowance are not finite). */
  cutoffAt: string | null;
  /** Whole quarter hours that had at least one valid sample and entered mae15MinKw. */
  quarterHours: number;
  settling: SettlingAccuracy;
}

/** UC2-K02 responsiveness. */
export interface ResponsivenessKpis {
  /** Reference → first setpoint acknowledged, s; null if none. */
  firstSetpointS: number | null;
  /** Reference → first settled sample, s; null if the run never settled. */
  settlingS: number | null;
  /** The reference time max(triggerReceivedMs, startMs), ISO UTC. */
  referenceAt: string | null;
  /** 'start' for an announced trigger (received before the start), else 'trigger-received'. */
  referenceKind: 'trigger-received' | 'start';
  loopLatencyMs: Record<string, LatencyStatsMs>;
  /** Samples that arrived more than 2 breaker periods after their timestamp. */
  staleSamples: number;
}

/** UC2-K01 flexibility availability. */
export interface AvailabilityKpis {
  /** Share of evaluated samples with F⁻ ≤ r ≤ F⁺, percent. */
  coveredPct: number | null;
  /** min(F⁺ − r), kW; negative means a shortfall. */
  minHeadroomUpKw: number | null;
  /** min(r − F⁻), kW; negative means a shortfall. */
  minHeadroomDownKw: number | null;
  predictedExhaustionAt: string | null;
  actualExhaustionAt: string | null;
  /** Time from settling to the run's end not in exhaustion, s. */
  heldS: number;
  /** heldS / requested duration × 100, percent. */
  heldPctOfRequested: number | null;
  /** 'requested': divided by requestedDurationS; 'run-span': open-ended run, divided by endMs − startMs. */
  heldBasis: 'requested' | 'run-span';
  /** Samples availability was evaluated on (valid, with finite P_unc, F⁻, F⁺). */
  samples: number;
}

export interface RunKpis {
  accuracy: AccuracyKpis;
  responsiveness: ResponsivenessKpis;
  availability: AvailabilityKpis;
  samples: { total: number; valid: number; invalid: number };
}

const QUARTER_HOUR_MS = 900_000;
const MS_PER_H = 3_600_000;
/** Float-noise allowance for band tests, kW. */
const BAND_EPS_KW = 1e-9;
const DEFAULT_SETTLE_ALLOWANCE_S = 60;
const DEFAULT_TOLERANCE_KW = 10;
const CONSECUTIVE_TO_SETTLE = 3;

function isoOrNull(ms: number | null | undefined): string | null {
  return ms !== null && ms !== undefined && Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

/** Divides, or null when there is nothing to divide by; never NaN or Infinity. */
function meanOrNull(sum: number, n: number): number | null {
  if (n <= 0) return null;
  const m = sum / n;
  return Number.isFinite(m) ? m : null;
}

function finiteOrNull(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/** Nearest-rank percentile of an ascending-sorted, non-empty array. */
function nearestRank(sorted: number[], pct: number): number | null {
  if (sorted.length === 0) return null;
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((pct / 100) * sorted.length) - 1));
  return sorted[idx] ?? null;
}

/** Latency summary of one hop (exported for tests and the report). */
export function latencyStats(values: ArrayLike<number>): LatencyStatsMs {
  const sorted: number[] = [];
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v !== undefined && Number.isFinite(v)) sorted.push(v);
  }
  sorted.sort((a, b) => a - b);
  return {
    p50: nearestRank(sorted, 50),
    p95: nearestRank(sorted, 95),
    p99: nearestRank(sorted, 99),
    max: sorted.length > 0 ? (sorted[sorted.length - 1] ?? null) : null,
    count: sorted.length,
  };
}

/** Computes every KPI of one run. Throws RangeError if the sample arrays differ in length. */
export function computeRunKpis(samples: RunSamples, ctx: RunContext): RunKpis {
  const n = samples.sampleTimeMs.length;
  for (const [name, arr] of Object.entries(samples) as [string, ArrayLike<number>][]) {
    if (arr.length !== n) throw new RangeError(`RunSamples.${name} has ${arr.length} entries, sampleTimeMs has ${n}`);
  }
  const t = samples.sampleTimeMs;
  const bandKw = Number.isFinite(ctx.toleranceKw) && ctx.toleranceKw >= 0 ? ctx.toleranceKw : DEFAULT_TOLERANCE_KW;
  const periodMs = Number.isFinite(ctx.breakerPeriodS) && ctx.breakerPeriodS > 0 ? ctx.breakerPeriodS * 1000 : 0;
  const allowanceS = ctx.settleAllowanceS ?? DEFAULT_SETTLE_ALLOWANCE_S;

  // Error per sample; NaN marks an invalid one so every later loop tests one thing.
  const errKw = new Float64Array(n);
  let valid = 0;
  for (let i = 0; i < n; i++) {
    const e = (samples.measuredKw[i] ?? NaN) - (samples.targetKw[i] ?? NaN);
    const ok = Number.isFinite(t[i] ?? NaN) && Number.isFinite(e);
    errKw[i] = ok ? e : NaN;
    if (ok) valid++;
  }
  const inBand = (e: number): boolean => Math.abs(e) <= bandKw + BAND_EPS_KW;

  // Hold rule (see header): how long each sample stands for, in ms.
  const holdMs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const ti = t[i] ?? NaN;
    const next = i + 1 < n ? (t[i + 1] ?? NaN) : ctx.endMs;
    const span = Math.min(next - ti, periodMs);
    holdMs[i] = Number.isFinite(span) && span > 0 ? span : 0;
  }

  // First settled sample: it and the next two valid samples in band.
  let settledIdx = -1;
  {
    let run = 0;
    let runStart = -1;
    for (let i = 0; i < n && settledIdx < 0; i++) {
      const e = errKw[i] ?? NaN;
      if (Number.isNaN(e)) continue;
      if (inBand(e)) {
        if (run === 0) runStart = i;
        run++;
        if (run >= CONSECUTIVE_TO_SETTLE) settledIdx = runStart;
      } else {
        run = 0;
      }
    }
  }
  const settledMs = settledIdx >= 0 ? (t[settledIdx] ?? NaN) : NaN;
  const allowanceEndMs = ctx.startMs + allowanceS * 1000;
  // min() with a NaN would be NaN, so pick whichever is finite.
  const cutoffMs = Number.isFinite(settledMs) ? Math.min(settledMs, allowanceEndMs) : allowanceEndMs;

  // --- UC2-K03 accuracy
  let mainN = 0, sumAbs = 0, sumSq = 0, sum = 0, maxAbs = 0, mainIn = 0, energyAbsKwh = 0, energyNetKwh = 0;
  let setN = 0, setSumAbs = 0, setMaxAbs = 0, setIn = 0;
  for (let i = 0; i < n; i++) {
    const e = errKw[i] ?? NaN;
    if (Number.isNaN(e)) continue;
    const a = Math.abs(e);
    // A NaN cutoff (non-finite start) sends everything to the main figures rather than losing it.
    if ((t[i] ?? NaN) < cutoffMs) {
      setN++; setSumAbs += a; setMaxAbs = Math.max(setMaxAbs, a); if (inBand(e)) setIn++;
      continue;
    }
    mainN++; sumAbs += a; sumSq += e * e; sum += e; maxAbs = Math.max(maxAbs, a); if (inBand(e)) mainIn++;
    const h = (holdMs[i] ?? 0) / MS_PER_H;
    energyAbsKwh += a * h;
    energyNetKwh += e * h;
  }

  // Whole clock-aligned quarter hours inside [cutoff, endMs).
  let qhCount = 0, qhSumAbsMean = 0;
  if (Number.isFinite(cutoffMs) && Number.isFinite(ctx.endMs)) {
    const firstQ = Math.ceil(cutoffMs / QUARTER_HOUR_MS) * QUARTER_HOUR_MS;
    let i = 0;
    for (let q = firstQ; q + QUARTER_HOUR_MS <= ctx.endMs; q += QUARTER_HOUR_MS) {
      // Samples are in time order, so one forward pass over them serves all quarter hours.
      while (i < n && !((t[i] ?? NaN) >= q)) i++;
      let s = 0, k = 0;
      while (i < n && (t[i] ?? NaN) < q + QUARTER_HOUR_MS) {
        const e = errKw[i] ?? NaN;
        if (!Number.isNaN(e)) { s += e; k++; }
        i++;
      }
      if (k > 0) { qhCount++; qhSumAbsMean += Math.abs(s / k); }
    }
  }

  const accuracy: AccuracyKpis = {
    maeKw: meanOrNull(sumAbs, mainN),
    rmseKw: mainN > 0 ? finiteOrNull(Math.sqrt(sumSq / mainN)) : null,
    maxAbsErrorKw: mainN > 0 ? finiteOrNull(maxAbs) : null,
    biasKw: meanOrNull(sum, mainN),
    withinBandPct: meanOrNull(mainIn * 100, mainN),
    energyErrorKwh: finiteOrNull(energyAbsKwh) ?? 0,
    netEnergyErrorKwh: finiteOrNull(energyNetKwh) ?? 0,
    mae15MinKw: meanOrNull(qhSumAbsMean, qhCount),
    samples: mainN,
    cutoffAt: isoOrNull(cutoffMs),
    quarterHours: qhCount,
    settling: {
      samples: setN,
      maeKw: meanOrNull(setSumAbs, setN),
      maxAbsErrorKw: setN > 0 ? finiteOrNull(setMaxAbs) : null,
      withinBandPct: meanOrNull(setIn * 100, setN),
    },
  };

  // --- UC2-K02 responsiveness
  const announced = ctx.triggerReceivedMs < ctx.startMs;
  const referenceMs = announced ? ctx.startMs : ctx.triggerReceivedMs;
  const sinceRefS = (ms: number | null): number | null => {
    if (ms === null || !Number.isFinite(ms) || !Number.isFinite(referenceMs)) return null;
    return Math.max(0, (ms - referenceMs) / 1000);
  };
  const loopLatencyMs: Record<string, LatencyStatsMs> = {};
  for (const [hop, values] of Object.entries(ctx.loopLatency)) loopLatencyMs[hop] = latencyStats(values);
  let stale = 0;
  for (let i = 0; i < n; i++) {
    const lateMs = (samples.arrivalTimeMs[i] ?? NaN) - (t[i] ?? NaN);
    if (Number.isFinite(lateMs) && lateMs > 2 * periodMs) stale++;
  }
  const responsiveness: ResponsivenessKpis = {
    firstSetpointS: sinceRefS(ctx.firstSetpointAckMs),
    settlingS: sinceRefS(Number.isFinite(settledMs) ? settledMs : null),
    referenceAt: isoOrNull(referenceMs),
    referenceKind: announced ? 'start' : 'trigger-received',
    loopLatencyMs,
    staleSamples: stale,
  };

  // --- UC2-K01 availability
  let avN = 0, covered = 0, minUp = Infinity, minDown = Infinity;
  // Start of the current stretch of evaluated samples outside the band (-1 while inside): whatever it is after
  // the last evaluated sample is the stretch r never came back from.
  let outsideSinceIdx = -1;
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(errKw[i] ?? NaN)) continue;
    const r = (samples.targetKw[i] ?? NaN) - (samples.uncontrolledKw[i] ?? NaN);
    const lo = samples.flexDownKw[i] ?? NaN;
    const hi = samples.flexUpKw[i] ?? NaN;
    if (!Number.isFinite(r) || !Number.isFinite(lo) || !Number.isFinite(hi)) continue;
    avN++;
    const up = hi - r;
    const down = r - lo;
    minUp = Math.min(minUp, up);
    minDown = Math.min(minDown, down);
    if (up >= -BAND_EPS_KW && down >= -BAND_EPS_KW) {
      covered++;
      outsideSinceIdx = -1;
    } else if (outsideSinceIdx < 0) {
      outsideSinceIdx = i;
    }
  }
  const actualExhaustionMs = outsideSinceIdx >= 0 ? (t[outsideSinceIdx] ?? null) : null;

  let heldMs = 0;
  if (settledIdx >= 0) {
    for (let i = settledIdx; i < n; i++) if ((samples.inExhaustion[i] ?? 0) === 0) heldMs += holdMs[i] ?? 0;
  }
  const heldS = heldMs / 1000;
  const openEnded = ctx.requestedDurationS === null;
  const denomS = openEnded ? (ctx.endMs - ctx.startMs) / 1000 : (ctx.requestedDurationS as number);
  const availability: AvailabilityKpis = {
    coveredPct: meanOrNull(covered * 100, avN),
    minHeadroomUpKw: avN > 0 ? finiteOrNull(minUp) : null,
    minHeadroomDownKw: avN > 0 ? finiteOrNull(minDown) : null,
    predictedExhaustionAt: isoOrNull(ctx.predictedExhaustionAtMs),
    actualExhaustionAt: isoOrNull(actualExhaustionMs),
    heldS: finiteOrNull(heldS) ?? 0,
    heldPctOfRequested: Number.isFinite(denomS) && denomS > 0 ? finiteOrNull((heldS / denomS) * 100) : null,
    heldBasis: openEnded ? 'run-span' : 'requested',
    samples: avN,
  };

  return { accuracy, responsiveness, availability, samples: { total: n, valid, invalid: n - valid } };
}
