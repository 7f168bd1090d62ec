/**
 * Stitching issued plans into "the forecast as it was in force": each slot from the latest plan issued by
 * its start, else the first plan issued during it; the last plan's look-ahead after its issue.
 */
import { describe, expect, it } from 'vitest';

import { stitchForecasts } from '../../../src-main/core/series';
import type { StoredForecast } from '../../../src-main/storage/history-store';

const Q = 900_000;
const plan = (issuedMs: number, startMs: number, values: number[]): StoredForecast => ({
  seriesId: 'forecast.breakerKw',
  issuedMs,
  timeMs: Float64Array.from(values, (_v, k) => startMs + k * Q),
  value: Float64Array.from(values),
});

describe('stitchForecasts', () => {
  it('takes each slot from the plan in force at its start, and the last plan’s look-ahead', () => {
    // Plan A issued 5 min into slot 0 (covers 0..3), plan B issued 3 s into slot 1 (covers 1..4).
    const a = plan(300_000, 0, [10, 11, 12, 13]);
    const b = plan(Q + 3000, Q, [21, 22, 23, 24]);
    const r = stitchForecasts([a, b], 0, 5 * Q);
    expect(r.stepMs).toBe(Q);
    expect(r.timeMs).toEqual([0, Q, 2 * Q, 3 * Q, 4 * Q]);
    // Slot 0: no plan by its start → A (issued during it). Slot 1: A was in force at its start (B came 3 s
    // later). Slots 2–4: B, issued before them.
    expect(r.value).toEqual([10, 11, 22, 23, 24]);
    expect(r.issuedMs).toEqual([300_000, 300_000, Q + 3000, Q + 3000, Q + 3000]);
    expect(r.plans).toBe(2);
  });

  it('keeps only the slots that overlap the window, and turns NaN into null', () => {
    const a = plan(0, 0, [1, Number.NaN, 3, 4]);
    const r = stitchForecasts([a], Q + 1, 2 * Q);
    expect(r.timeMs).toEqual([Q, 2 * Q]);
    expect(r.value).toEqual([null, 3]);
  });

  it('says so when nothing is stored', () => {
    expect(stitchForecasts([], 0, Q)).toEqual({ stepMs: 0, timeMs: [], value: [], issuedMs: [], plans: 0 });
  });
});
