import { describe, expect, it } from 'vitest';

import { swapDatasetData } from '../../../src-renderer/src/composables/chart-datasets';
import { lowerBound, markerNear, valueAt, windowStats } from '../../../src-renderer/src/composables/trend-stats';
import { fromDatetimeLocal, toDatetimeLocal, wallTimeOf, wallTimeToMs } from '../../../src-renderer/src/composables/zoned-time';

const pts = [
  { x: 0, y: 1 },
  { x: 10, y: 2 },
  { x: 20, y: null },
  { x: 30, y: 4 },
  { x: 100, y: 8 },
];

describe('the crosshair: each series’ value at the cursor', () => {
  it('finds the nearest point of a measured series, and none across a gap', () => {
    expect(lowerBound(pts, 11)).toBe(2);
    expect(valueAt(pts, 4, 15)).toEqual({ x: 0, y: 1 });
    expect(valueAt(pts, 6, 15)).toEqual({ x: 10, y: 2 });
    // The null at 20 is skipped: the nearest real value is taken within the gap limit.
    expect(valueAt(pts, 21, 15)).toEqual({ x: 30, y: 4 });
    // 60 is 30 from either side: beyond the gap limit, no value rather than a guess.
    expect(valueAt(pts, 65, 15)).toBeNull();
    expect(valueAt([], 5, 15)).toBeNull();
    expect(valueAt(pts, 200, 15)).toBeNull();
  });

  it('holds a stepped series’ last value until its next point', () => {
    const target = [
      { x: 0, y: -100 },
      { x: 50, y: -200 },
    ];
    expect(valueAt(target, 49, 10, true)).toEqual({ x: 0, y: -100 });
    expect(valueAt(target, 50, 10, true)).toEqual({ x: 50, y: -200 });
    expect(valueAt(target, 55, 10, true)).toEqual({ x: 50, y: -200 });
    expect(valueAt(target, 70, 10, true)).toBeNull(); // past the last point by more than the gap
    expect(valueAt(target, -1, 10, true)).toBeNull();
  });
});

describe('the legend: min, mean and max of the visible window', () => {
  it('takes the mean of the bucket means and the extremes of the buckets themselves', () => {
    expect(windowStats(pts, 0, 30)).toEqual({ min: 1, mean: 7 / 3, max: 4, n: 3 });
    expect(windowStats(pts, 5, 200)).toEqual({ min: 2, mean: 14 / 3, max: 8, n: 3 });
    const mins = [0.5, 1.5, null, 3, 7];
    const maxs = [1.5, 9, null, 5, 8];
    expect(windowStats(pts, 0, 30, mins, maxs)).toEqual({ min: 0.5, mean: 7 / 3, max: 9, n: 3 });
    expect(windowStats(pts, 40, 90)).toEqual({ min: null, mean: null, max: null, n: 0 });
  });
});

describe('markers under the cursor', () => {
  it('takes the nearest within the tolerance', () => {
    const m = [{ timeMs: 100, kind: 'a' }, { timeMs: 130, kind: 'b' }];
    expect(markerNear(m, 118, 20)?.kind).toBe('b');
    expect(markerNear(m, 105, 20)?.kind).toBe('a');
    expect(markerNear(m, 200, 20)).toBeNull();
  });
});

describe('wall times in the site’s zone', () => {
  it('reads and writes Rome’s wall time whatever the machine’s zone', () => {
    const ms = Date.UTC(2026, 5, 21, 12, 5); // 14:05 in Rome (CEST)
    expect(wallTimeOf(ms, 'Europe/Rome')).toMatchObject({ year: 2026, month: 6, day: 21, hour: 14, minute: 5 });
    expect(toDatetimeLocal(ms, 'Europe/Rome')).toBe('2026-06-21T14:05');
    expect(fromDatetimeLocal('2026-06-21T14:05', 'Europe/Rome')).toBe(ms);
    expect(fromDatetimeLocal('2026-01-10T08:00', 'Europe/Rome')).toBe(Date.UTC(2026, 0, 10, 7, 0));
    expect(fromDatetimeLocal('2026-06-21T14:05', 'UTC')).toBe(Date.UTC(2026, 5, 21, 14, 5));
    expect(fromDatetimeLocal('2026-13-01T00:00', 'UTC')).toBeNull();
    expect(fromDatetimeLocal('yesterday', 'UTC')).toBeNull();
  });

  it('takes the first of a doubled autumn hour, and a skipped spring hour with the offset before the change', () => {
    // 25 Oct 2026: 03:00 CEST → 02:00 CET; 02:30 occurs twice, first at 00:30 UTC.
    expect(wallTimeToMs({ year: 2026, month: 10, day: 25, hour: 2, minute: 30 }, 'Europe/Rome')).toBe(Date.UTC(2026, 9, 25, 0, 30));
    // 29 Mar 2026: 02:00 CET → 03:00 CEST; 02:30 does not exist.
    const skipped = wallTimeToMs({ year: 2026, month: 3, day: 29, hour: 2, minute: 30 }, 'Europe/Rome');
    expect([Date.UTC(2026, 2, 29, 1, 30), Date.UTC(2026, 2, 29, 0, 30)]).toContain(skipped);
  });
});

describe('swapDatasetData: new data for the same series', () => {
  it('swaps data, visibility and the gap limit in place, and refuses other series', () => {
    const current = [
      { label: 'a (kW)', data: [1], hidden: false, spanGaps: 60_000 },
      { label: 'b (kW)', data: [2], hidden: false, spanGaps: 60_000 },
    ];
    const first = current[0];
    // The 24 h range: buckets of 108 s, so the gap limit grows to 270 s (it stayed 60 s: an empty plot).
    expect(swapDatasetData(current, [
      { label: 'a (kW)', data: [3], hidden: true, spanGaps: 270_000 },
      { label: 'b (kW)', data: [4], hidden: false, spanGaps: 270_000 },
    ])).toBe(true);
    expect(current[0]).toBe(first);
    expect(current).toEqual([
      { label: 'a (kW)', data: [3], hidden: true, spanGaps: 270_000 },
      { label: 'b (kW)', data: [4], hidden: false, spanGaps: 270_000 },
    ]);
    expect(swapDatasetData(current, [{ label: 'a (kW)', data: [] }])).toBe(false);
    expect(swapDatasetData(current, [{ label: 'b (kW)', data: [] }, { label: 'a (kW)', data: [] }])).toBe(false);
  });
});
