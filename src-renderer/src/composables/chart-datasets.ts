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
