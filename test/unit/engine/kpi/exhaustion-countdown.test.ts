import { describe, expect, it } from 'vitest';
import { exhaustionCountdown } from '../../../../src-main/engine/kpi/index.js';

const T0 = Date.parse('2026-06-21T08:00:00Z');
const MIN = 60_000;

describe('exhaustionCountdown', () => {
  it('none without a forecast in force that predicts an exhaustion', () => {
    expect(exhaustionCountdown([], T0)).toBeNull();
    expect(exhaustionCountdown([{ madeMs: T0, atMs: null }], T0 + MIN)).toBeNull();
    // A forecast made after now is not in force yet.
    expect(exhaustionCountdown([{ madeMs: T0 + 5 * MIN, atMs: T0 + 60 * MIN }], T0)).toBeNull();
  });

  it('counts down to the forecast in force; agreement makes it trusted', () => {
    const f = [
      { madeMs: T0, atMs: null },
      { madeMs: T0 + 15 * MIN, atMs: T0 + 95 * MIN },
      { madeMs: T0 + 30 * MIN, atMs: T0 + 92 * MIN },
      { madeMs: T0 + 45 * MIN, atMs: T0 + 90 * MIN },
    ];
    const c = exhaustionCountdown(f, T0 + 50 * MIN)!;
    expect(c.atMs).toBe(T0 + 90 * MIN);
    expect(c.remainingS).toBe(40 * 60);
    expect(c.sinceMs).toBe(T0 + 15 * MIN);
    expect(c.forecasts).toBe(3);
    expect(c.spreadS).toBe(5 * 60);
    expect(c.confidence).toBe('high');
    // Only the first warning: low; two that differ by 15 minutes: medium.
    expect(exhaustionCountdown(f.slice(0, 2), T0 + 20 * MIN)!.confidence).toBe('low');
    expect(exhaustionCountdown([f[1]!, { madeMs: T0 + 30 * MIN, atMs: T0 + 110 * MIN }], T0 + 31 * MIN)!.confidence).toBe('medium');
  });

  it('a wandering forecast stays low, and a cleared warning starts over', () => {
    const wandering = [0, 1, 2, 3].map((k) => ({ madeMs: T0 + k * 15 * MIN, atMs: T0 + (100 + k * 30) * MIN }));
    expect(exhaustionCountdown(wandering, T0 + 50 * MIN)!.confidence).toBe('low');
    const cleared = [...wandering, { madeMs: T0 + 60 * MIN, atMs: null }, { madeMs: T0 + 75 * MIN, atMs: T0 + 120 * MIN }];
    const c = exhaustionCountdown(cleared, T0 + 80 * MIN)!;
    expect(c.forecasts).toBe(1);
    expect(c.sinceMs).toBe(T0 + 75 * MIN);
  });
});
