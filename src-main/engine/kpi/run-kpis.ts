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
 * - **The requested span** is the caller's (`requested-span.ts`): every share is of it, never of the run's
 *   own span. Held time is counted only inside it and while the run is in force.
 * - **Held.** Sample i is held when it lies in [requested start, requested end), at or after the first settled
 *   sample, and the mean of the valid errors with sample time in (tᵢ − 60 s, tᵢ] is within the band. An invalid
 *   sample whose window holds valid ones is judged by them (a NaN says nothing about the error); a window
 *   without a valid sample is not held. Each held sample stands for its hold-rule span, cut at the requested
 *   end. The engine's own exhaustion flag plays no part: the error alone decides.
 * - **actualExhaustionAt.** For a run ended by `flex-exhausted`, its end. Otherwise, when the run's last
 *   in-force samples are not held (and the request went on past them): the first sample after the last held
 *   one (the run's start if none was held). null when the run was held to its last sample.
 * - **Coverage (K01 power).** Over valid samples in the request with finite P_unc, F⁻ and F⁺; [F⁻, F⁺] is the
 *   band the assets can deliver at that instant (the engine's `instantaneousBand`). The requested time after
 *   a run ended by exhaustion or a fault counts as not covered, as it counts as not held: one breaker period a
 *   sample (`availability.uncoveredAfterEndSamples`).
 * - **Energy sufficiency (K01 energy).** Net over the rest of the request, because one storage serves both
 *   directions: at each check τ the forecast ∫ r dt over [τ, requested end] (`neededKwh`, + = the assets must
 *   absorb) against the range of energy the assets can take or give from their state at τ
 *   (`availableDownKwh` ≤ 0 ≤ `availableUpKwh`, heat pumps by their comfort band). Cover = 100 inside the
 *   range, else the share of the need the range reaches. `minEnergyCoverPct` = the least cover; null without
 *   a check.
 * - **Exhaustion forecast quality.** The forecasts are the engine's, in the order made: (made, predicted time
 *   or null). Forecast in force at t = the last one made at or before t. `exhaustionLeadS`: x − the making time
 *   of the first forecast of the trailing unbroken stretch of non-null forecasts made before x (0 when the last
 *   forecast before x was null or none was made). `exhaustionErrorS.atN`: |x̂ − x| of the forecast in force N
 *   minutes before x (null when none was in force or it predicted none: a miss). `falseAlarmS` (runs without x):
 *   the in-force time inside the request during which a forecast in force predicted an exhaustion.
 *
 * Output is JSON-serialisable: plain numbers (never NaN or Infinity), null where a figure has no data.
 */
import type { EndReason } from '../model.js';
import { DEFAULT_TOLERANCE_KW } from '../model.js';
import type { RequestedBasis } from './requested-span.js';

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
  /** F⁻: the lowest total power the controllable assets can deliver at the sample's instant, kW. */
  flexDownKw: Float64Array;
  /** F⁺: the highest total power the controllable assets can deliver at the sample's instant, kW. */
  flexUpKw: Float64Array;
  /** P_unc = measured breaker power minus the controllable assets' measured power, kW (NaN if unknown). */
  uncontrolledKw: Float64Array;
}

/** One exhaustion forecast of the engine: made at `madeMs`, predicting `atMs` (null: none before the requested end). */
export interface ExhaustionForecastPoint {
  madeMs: number;
  atMs: number | null;
}

/** One energy-sufficiency check at a dispatch slot (see the file header). */
export interface EnergyCheck {
  atMs: number;
  /** Forecast ∫ r dt over [atMs, requested end], kWh; + = the assets must absorb (draw) energy. */
  neededKwh: number;
  /** The least net energy the assets can deliver over that span, kWh (≤ 0: they give energy back). */
  availableDownKwh: number;
  /** The most net energy the assets can absorb over that span, kWh. */
  availableUpKwh: number;
}

/** What the series alone does not say about the run. */
export interface RunContext {
  triggerReceivedMs: number;
  startMs: number;
  /** When the run stopped being in force (or "now" for a run in progress). */
  endMs: number;
  /** How the run ended; null while in force. */
  endReason: EndReason | null;
  /** The requested span (`requested-span.ts`); a live run passes a provisional end. */
  requested: { startMs: number; endMs: number; basis: RequestedBasis | null };
  /** Tolerance band b in kW (the caller applies the default of 10). */
  toleranceKw: number;
  breakerPeriodS: number;
  /** Settling allowance in s, counted from startMs; default 60. */
  settleAllowanceS?: number;
  /** First setpoint for this run acknowledged by an asset, UTC ms. */
  firstSetpointAckMs: number | null;
  /** Every exhaustion forecast the engine made in the run, in order. */
  exhaustionForecast: ArrayLike<ExhaustionForecastPoint>;
  /** Every energy-sufficiency check of the run, in order. */
  energyChecks: ArrayLike<EnergyCheck>;
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

/** How well the exhaustion forecast foretold the loss (KPI.md, "Prediction quality"). */
export interface ExhaustionQuality {
  /** x − the start of the unbroken stretch of forecasts that predicted it, s; null without an actual exhaustion. */
  exhaustionLeadS: number | null;
  /** |x̂ − x| of the forecast in force 60, 30 and 15 minutes before x, s (null: a miss, or no x). */
  exhaustionErrorS: { at60: number | null; at30: number | null; at15: number | null };
  /** Runs without x: time in force during which an exhaustion was predicted, s; null when there was one. */
  falseAlarmS: number | null;
  /** Forecasts made during the run. */
  forecasts: number;
}

/** UC2-K01 flexibility availability. */
export interface AvailabilityKpis {
  /** The requested span every share is of (KPI.md), ISO UTC. */
  requestedStartAt: string | null;
  requestedEndAt: string | null;
  requestedS: number;
  requestedBasis: RequestedBasis | null;
  /** Time the run was in force inside the request, held or not, s. */
  inForceS: number;
  /** Held time (one-minute mean error in band, in force, after settling), s. */
  heldS: number;
  /** heldS / requestedS × 100; null for an empty request. */
  heldPctOfRequested: number | null;
  /** Share of evaluated samples with F⁻ ≤ r ≤ F⁺ (the instantaneous band), percent. */
  coveredPct: number | null;
  /** min(F⁺ − r), kW; negative means a shortfall. */
  minHeadroomUpKw: number | null;
  /** min(r − F⁻), kW; negative means a shortfall. */
  minHeadroomDownKw: number | null;
  /** The least energy cover over the checks, percent; null without a check. */
  minEnergyCoverPct: number | null;
  energyChecks: number;
  /** The first exhaustion the engine predicted in the run, ISO UTC. */
  predictedExhaustionAt: string | null;
  actualExhaustionAt: string | null;
  exhaustion: ExhaustionQuality;
  /** Samples availability was evaluated on (valid, in the request, with finite P_unc, F⁻, F⁺). */
  samples: number;
  /** Breaker periods of the request after an exhaustion or fault end, counted as not covered. */
  uncoveredAfterEndSamples: number;
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
const CONSECUTIVE_TO_SETTLE = 3;
/** The held rule's window, ms (KPI.md: the mean error over the last minute). */
const HOLD_WINDOW_MS = 60_000;

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
  const reqStartMs = ctx.requested.startMs;
  const reqEndMs = ctx.requested.endMs;
  const inRequest = (ti: number): boolean => ti >= reqStartMs && ti < reqEndMs;
  let avN = 0, covered = 0, minUp = Infinity, minDown = Infinity;
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(errKw[i] ?? NaN) || !inRequest(t[i] ?? NaN)) continue;
    const r = (samples.targetKw[i] ?? NaN) - (samples.uncontrolledKw[i] ?? NaN);
    const lo = samples.flexDownKw[i] ?? NaN;
    const hi = samples.flexUpKw[i] ?? NaN;
    if (!Number.isFinite(r) || !Number.isFinite(lo) || !Number.isFinite(hi)) continue;
    avN++;
    const up = hi - r;
    const down = r - lo;
    minUp = Math.min(minUp, up);
    minDown = Math.min(minDown, down);
    if (up >= -BAND_EPS_KW && down >= -BAND_EPS_KW) covered++;
  }
  const lostEnd = ctx.endReason === 'flex-exhausted' || ctx.endReason === 'fault';
  const afterEndMs = lostEnd ? Math.max(0, reqEndMs - Math.max(ctx.endMs, reqStartMs)) : 0;
  const uncoveredAfter = periodMs > 0 && Number.isFinite(afterEndMs) ? Math.round(afterEndMs / periodMs) : 0;

  // Held: a sliding one-minute window over the valid errors (two pointers: samples are in time order).
  let heldMs = 0;
  let lastHeldIdx = -1;
  let lastInForceIdx = -1;
  {
    let lo = 0, winSum = 0, winN = 0;
    for (let i = 0; i < n; i++) {
      const ti = t[i] ?? NaN;
      const ei = errKw[i] ?? NaN;
      if (!Number.isNaN(ei)) { winSum += ei; winN++; }
      while (lo <= i && !((t[lo] ?? NaN) > ti - HOLD_WINDOW_MS)) {
        const el = errKw[lo] ?? NaN;
        if (!Number.isNaN(el)) { winSum -= el; winN--; }
        lo++;
      }
      if (!inRequest(ti)) continue;
      lastInForceIdx = i;
      if (settledIdx < 0 || i < settledIdx || winN === 0) continue;
      if (!inBand(winSum / winN)) continue;
      heldMs += Math.min(holdMs[i] ?? 0, Math.max(0, reqEndMs - ti));
      lastHeldIdx = i;
    }
  }
  const heldS = heldMs / 1000;
  let actualExhaustionMs: number | null = null;
  if (ctx.endReason === 'flex-exhausted') actualExhaustionMs = ctx.endMs;
  else if (lastInForceIdx >= 0 && lastHeldIdx < lastInForceIdx && ctx.endMs < reqEndMs + periodMs) {
    // The run's tail is not held and the request did not end before it: it was lost for good.
    actualExhaustionMs = lastHeldIdx >= 0 ? (t[lastHeldIdx + 1] ?? null) : Math.max(ctx.startMs, reqStartMs);
  }
  const requestedMs = Math.max(0, reqEndMs - reqStartMs);
  const inForceMs = Math.max(0, Math.min(ctx.endMs, reqEndMs) - Math.max(ctx.startMs, reqStartMs));
  const exhaustion = exhaustionQuality(ctx, actualExhaustionMs, reqStartMs, Math.min(ctx.endMs, reqEndMs));
  let firstPredictedMs: number | null = null;
  for (let k = 0; k < ctx.exhaustionForecast.length; k++) {
    const p = ctx.exhaustionForecast[k];
    if (p && p.atMs !== null) { firstPredictedMs = p.atMs; break; }
  }
  let minCover = Infinity;
  for (let k = 0; k < ctx.energyChecks.length; k++) {
    const c = ctx.energyChecks[k];
    if (c) minCover = Math.min(minCover, energyCoverPct(c));
  }
  const availability: AvailabilityKpis = {
    requestedStartAt: isoOrNull(reqStartMs),
    requestedEndAt: isoOrNull(reqEndMs),
    requestedS: Number.isFinite(requestedMs) ? requestedMs / 1000 : 0,
    requestedBasis: ctx.requested.basis,
    inForceS: Number.isFinite(inForceMs) ? inForceMs / 1000 : 0,
    heldS: finiteOrNull(heldS) ?? 0,
    heldPctOfRequested: requestedMs > 0 ? finiteOrNull((heldMs / requestedMs) * 100) : null,
    coveredPct: meanOrNull(covered * 100, avN + uncoveredAfter),
    minHeadroomUpKw: avN > 0 ? finiteOrNull(minUp) : null,
    minHeadroomDownKw: avN > 0 ? finiteOrNull(minDown) : null,
    minEnergyCoverPct: Number.isFinite(minCover) ? minCover : null,
    energyChecks: ctx.energyChecks.length,
    predictedExhaustionAt: isoOrNull(firstPredictedMs),
    actualExhaustionAt: isoOrNull(actualExhaustionMs),
    exhaustion,
    samples: avN,
    uncoveredAfterEndSamples: uncoveredAfter,
  };

  return { accuracy, responsiveness, availability, samples: { total: n, valid, invalid: n - valid } };
}

/** Energy cover of one check, percent (see the file header). */
export function energyCoverPct(c: EnergyCheck): number {
  const need = c.neededKwh;
  const lo = c.availableDownKwh;
  const hi = c.availableUpKwh;
  if (![need, lo, hi].every(Number.isFinite)) return 0;
  if (need >= lo - 1e-9 && need <= hi + 1e-9) return 100;
  const share = need > hi ? Math.max(0, hi) / need : need < 0 ? Math.max(0, -lo) / -need : need / lo;
  return Math.max(0, Math.min(100, share * 100));
}

/** The forecast in force at `atMs`: the last one made at or before it (undefined when none). */
function forecastInForce(f: ArrayLike<ExhaustionForecastPoint>, atMs: number): ExhaustionForecastPoint | undefined {
  let found: ExhaustionForecastPoint | undefined;
  for (let k = 0; k < f.length; k++) {
    const p = f[k];
    if (!p || p.madeMs > atMs) break;
    found = p;
  }
  return found;
}

function exhaustionQuality(ctx: RunContext, xMs: number | null, fromMs: number, untilMs: number): ExhaustionQuality {
  const f = ctx.exhaustionForecast;
  if (xMs === null) {
    // False alarms: in-force time covered by a forecast that predicted an exhaustion.
    let alarmMs = 0;
    for (let k = 0; k < f.length; k++) {
      const p = f[k]!;
      if (p.atMs === null) continue;
      const next = k + 1 < f.length ? f[k + 1]!.madeMs : untilMs;
      alarmMs += Math.max(0, Math.min(next, untilMs) - Math.max(p.madeMs, fromMs));
    }
    return { exhaustionLeadS: null, exhaustionErrorS: { at60: null, at30: null, at15: null }, falseAlarmS: alarmMs / 1000, forecasts: f.length };
  }
  let stretchStartMs: number | null = null;
  for (let k = 0; k < f.length; k++) {
    const p = f[k]!;
    if (p.madeMs > xMs) break;
    if (p.atMs === null) stretchStartMs = null;
    else if (stretchStartMs === null) stretchStartMs = p.madeMs;
  }
  const errorAt = (minutes: number): number | null => {
    const p = forecastInForce(f, xMs - minutes * 60_000);
    return p && p.atMs !== null ? Math.abs(p.atMs - xMs) / 1000 : null;
  };
  return {
    exhaustionLeadS: stretchStartMs === null ? 0 : Math.max(0, xMs - stretchStartMs) / 1000,
    exhaustionErrorS: { at60: errorAt(60), at30: errorAt(30), at15: errorAt(15) },
    falseAlarmS: null,
    forecasts: f.length,
  };
}
