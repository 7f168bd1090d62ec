/**
 * What the Trends chart tells beside its lines, as Grafana does: every visible series' value under the
 * cursor (the crosshair), min/mean/max of each over the visible window (the legend), and the marker under
 * the cursor. Pure functions over the chart's points, unit-tested; each is a binary search or one pass, so
 * a mouse move over 13 series × 800 points costs microseconds and redraws no canvas.
 */

export interface XY {
  x: number;
  y: number | null;
}

/** Index of the first point with x ≥ xMs (points sorted by x). */
export function lowerBound(points: readonly XY[], xMs: number): number {
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (points[mid]!.x < xMs) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The value a series shows at `xMs`: a stepped series (a target, a forecast slot) holds its last point's
 * value; any other series gives the nearest point's. Null beyond `maxGapMs` from any point (a gap in the
 * data shows as a gap, not as the value on its far side) or outside the series.
 */
export function valueAt(points: readonly XY[], xMs: number, maxGapMs: number, stepped = false): { x: number; y: number } | null {
  if (points.length === 0) return null;
  const i = lowerBound(points, xMs);
  if (stepped) {
    // The last point at or before xMs; its value holds until the next point.
    const j = i < points.length && points[i]!.x === xMs ? i : i - 1;
    if (j < 0) return null;
    const p = points[j]!;
    const next = points[j + 1];
    if (p.y === null || (next === undefined && xMs - p.x > maxGapMs)) return null;
    return { x: p.x, y: p.y };
  }
  let best: XY | null = null;
  for (const k of [i - 1, i]) {
    const p = points[k];
    if (!p || p.y === null) continue;
    if (best === null || Math.abs(p.x - xMs) < Math.abs(best.x - xMs)) best = p;
  }
  if (best === null || best.y === null || Math.abs(best.x - xMs) > maxGapMs) return null;
  return { x: best.x, y: best.y };
}

export interface WindowStats {
  min: number | null;
  mean: number | null;
  max: number | null;
  /** How many points (buckets) the figures come from. */
  n: number;
}

/**
 * Min, mean and max of a series over [fromMs, toMs]. With the buckets' own min and max (the core's
 * decimation keeps them) the extremes are the data's, not the extremes of bucket means; the mean is the
 * mean of the bucket means (buckets are of equal length; empty ones are left out).
 */
export function windowStats(points: readonly XY[], fromMs: number, toMs: number, bucketMin?: ReadonlyArray<number | null>, bucketMax?: ReadonlyArray<number | null>): WindowStats {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  let n = 0;
  for (let i = lowerBound(points, fromMs); i < points.length; i++) {
    const p = points[i]!;
    if (p.x > toMs) break;
    if (p.y === null || !Number.isFinite(p.y)) continue;
    sum += p.y;
    n++;
    const lo = bucketMin?.[i] ?? p.y;
    const hi = bucketMax?.[i] ?? p.y;
    if (lo < min) min = lo;
    if (hi > max) max = hi;
  }
  return n === 0 ? { min: null, mean: null, max: null, n: 0 } : { min, mean: sum / n, max, n };
}

/** The marker nearest to `xMs` within `toleranceMs`, or null. */
export function markerNear<M extends { timeMs: number }>(markers: readonly M[], xMs: number, toleranceMs: number): M | null {
  let best: M | null = null;
  for (const m of markers) {
    const d = Math.abs(m.timeMs - xMs);
    if (d <= toleranceMs && (best === null || d < Math.abs(best.timeMs - xMs))) best = m;
  }
  return best;
}
