/**
 * How a chart takes new data for the same series: the datasets' data are swapped in place, so chart.js
 * keeps its dataset controllers (much cheaper at 1 Hz than new datasets). Pure, unit-tested.
 */

export interface SwappableDataset {
  label?: string;
  data: unknown;
  hidden?: boolean;
  spanGaps?: boolean | number;
}

/**
 * Puts `next`'s data into `current` when both are the same series (same labels in the same order) and
 * says whether it did; otherwise the caller replaces the datasets. What follows the window goes along: the
 * gap limit grows with the range's bucket, and one kept from a shorter range broke a 24 h line at every
 * bucket (an empty plot).
 */
export function swapDatasetData(current: SwappableDataset[], next: readonly SwappableDataset[]): boolean {
  if (current.length !== next.length || !current.every((d, i) => d.label === next[i]!.label)) return false;
  current.forEach((d, i) => {
    const n = next[i]!;
    d.data = n.data;
    d.hidden = n.hidden;
    d.spanGaps = n.spanGaps;
  });
  return true;
}

/**
 * A series' buckets as chart points with their min and max, for the legend. Buckets without data are left out
 * (a bucket can be shorter than the sample period); real gaps still break the line (maxGapMs).
 */
export function bucketPoints(d: { timeMs: number[]; mean: Array<number | null>; min: Array<number | null>; max: Array<number | null> }): { points: Array<{ x: number; y: number }>; min: Array<number | null>; max: Array<number | null> } {
  const points: Array<{ x: number; y: number }> = [];
  const min: Array<number | null> = [];
  const max: Array<number | null> = [];
  d.timeMs.forEach((x, i) => {
    const y = d.mean[i];
    if (y === null || y === undefined) return;
    points.push({ x, y });
    min.push(d.min[i] ?? null);
    max.push(d.max[i] ?? null);
  });
  return { points, min, max };
}
