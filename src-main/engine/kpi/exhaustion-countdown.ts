/**
 * The exhaustion forecast as the operator's early warning: a countdown to the moment the flexibility is
 * predicted to run out, with how much to trust it. Pure: a function of the run's stored forecast series
 * (`RunRecord.exhaustionPredictions`) and now, so the console shows what the record will show.
 *
 * Confidence is the forecast's own agreement with itself, not a statistical interval: a warning that the
 * last forecasts repeat within a few minutes has proved stable; a first or a wandering one has not.
 * - `forecasts`: the unbroken run of forecasts (ending with the one in force) that each predicted an
 *   exhaustion before the requested end; `sinceMs`: when that run began (the warning's lead so far).
 * - `spreadS`: max − min of their predicted times over the last hour of that run.
 * - `confidence`: high with ≥ 3 agreeing forecasts within 10 min; medium with ≥ 2 within 20 min; else low.
 */
import type { ExhaustionForecastPoint } from './run-kpis.js';

export type ExhaustionConfidence = 'high' | 'medium' | 'low';

export interface ExhaustionCountdown {
  /** The predicted exhaustion in force, UTC ms. */
  atMs: number;
  /** Time from now to it, s (0 when it is due). */
  remainingS: number;
  /** When the forecast in force was made. */
  madeMs: number;
  /** Since when every forecast has predicted an exhaustion. */
  sinceMs: number;
  forecasts: number;
  spreadS: number;
  confidence: ExhaustionConfidence;
}

const SPREAD_WINDOW_MS = 3_600_000;

export function exhaustionCountdown(forecasts: ArrayLike<ExhaustionForecastPoint>, nowMs: number): ExhaustionCountdown | null {
  let last = -1;
  for (let k = 0; k < forecasts.length && forecasts[k]!.madeMs <= nowMs; k++) last = k;
  if (last < 0) return null;
  const inForce = forecasts[last]!;
  if (inForce.atMs === null) return null;
  let first = last;
  while (first > 0 && forecasts[first - 1]!.atMs !== null) first--;
  let lo = Infinity;
  let hi = -Infinity;
  let agreeing = 0;
  for (let k = first; k <= last; k++) {
    const p = forecasts[k]!;
    if (p.madeMs < nowMs - SPREAD_WINDOW_MS) continue;
    lo = Math.min(lo, p.atMs!);
    hi = Math.max(hi, p.atMs!);
    agreeing++;
  }
  const spreadS = agreeing > 0 ? (hi - lo) / 1000 : 0;
  const confidence: ExhaustionConfidence = agreeing >= 3 && spreadS <= 600 ? 'high' : agreeing >= 2 && spreadS <= 1200 ? 'medium' : 'low';
  return {
    atMs: inForce.atMs,
    remainingS: Math.max(0, (inForce.atMs - nowMs) / 1000),
    madeMs: inForce.madeMs,
    sinceMs: forecasts[first]!.madeMs,
    forecasts: last - first + 1,
    spreadS,
    confidence,
  };
}
