/**
 * The field EMS's breaker samples for timeseries.csv are bounded: the newest MAX_KEPT_SAMPLES stay, older
 * ones leave in chunks, but never a sample of the run in force; a run that ended before the window's oldest
 * sample leaves the output files with its rows.
 */
import { describe, expect, it } from 'vitest';

import { BreakerWindow, MAX_KEPT_SAMPLES } from '../../../src-main/field/breaker-window';

const push = (w: BreakerWindow, k: number, runId: string | null, active: string | null) => w.push(k * 10_000, -k, Number.NaN, runId, active);

describe('BreakerWindow', () => {
  it('keeps every sample up to its limit (by default 100 000, 11.5 days at 10 s)', () => {
    expect(MAX_KEPT_SAMPLES).toBe(100_000);
    const w = new BreakerWindow(100);
    for (let k = 0; k < 100; k++) push(w, k, null, null);
    expect(w.sampleMs).toHaveLength(100);
    expect(w.dropped).toBe(0);
    expect(w.keeps(-1)).toBe(true);
  });

  it('lets the oldest go beyond it, the arrays staying parallel', () => {
    const w = new BreakerWindow(100);
    for (let k = 0; k < 1000; k++) push(w, k, k < 500 ? 'run-001' : null, null);
    expect(w.sampleMs.length).toBeLessThanOrEqual(100);
    expect(w.sampleMs.at(-1)).toBe(999 * 10_000);
    expect(w.powerKw).toEqual(w.sampleMs.map((t) => -t / 10_000));
    expect(w.runId).toHaveLength(w.sampleMs.length);
    expect(w.dropped + w.sampleMs.length).toBe(1000);
    // run-001 ended at its 500th sample, long before the window: out of the files.
    expect(w.keeps(499 * 10_000)).toBe(false);
    expect(w.keeps(w.sampleMs[0]!)).toBe(true);
  });

  it('never lets go of a sample of the run in force, however long it runs', () => {
    const w = new BreakerWindow(100);
    for (let k = 0; k < 50; k++) push(w, k, null, null);
    for (let k = 50; k < 400; k++) push(w, k, 'run-002', 'run-002');
    expect(w.runId.filter((r) => r === 'run-002')).toHaveLength(350);
    expect(w.sampleMs[0]).toBe(50 * 10_000);
    // Once it has ended, the window shrinks back to its limit.
    for (let k = 400; k < 420; k++) push(w, k, null, null);
    expect(w.sampleMs.length).toBeLessThanOrEqual(100);
  });
});
