import { describe, expect, it } from 'vitest';
import { firstSlotSAt, ResidualNowcast } from '../../../src-main/engine/planner.js';

const T0 = Date.UTC(2026, 1, 24, 13, 45);

describe('firstSlotSAt', () => {
  it('is what is left of the slot under way', () => {
    expect(firstSlotSAt(T0, T0)).toBe(900);
    expect(firstSlotSAt(T0, T0 + 600_000)).toBe(300);
  });
  it('never shorter than a second nor longer than a slot', () => {
    expect(firstSlotSAt(T0, T0 + 899_900)).toBe(1);
    expect(firstSlotSAt(T0, T0 - 60_000)).toBe(900);
  });
});

describe('ResidualNowcast', () => {
  it('says nothing until it has enough fresh samples', () => {
    const n = new ResidualNowcast();
    n.observe(T0, 50);
    n.observe(T0 + 10_000, 50);
    expect(n.kwAt(T0 + 20_000)).toBeNull();
    // A short window (a shortage re-plan) trusts a single sample.
    expect(n.kwAt(T0 + 20_000, 20_000)).toBe(50);
  });
  it('takes the last minute alone when it moved far from the window mean (a new regime)', () => {
    const n = new ResidualNowcast();
    for (let s = 0; s < 540; s += 10) n.observe(T0 + s * 1000, 0);
    for (let s = 540; s < 600; s += 10) n.observe(T0 + s * 1000, -200);
    expect(n.kwAt(T0 + 600_000)).toBeCloseTo(-200, 9);
  });
  it('ignores a NaN measurement', () => {
    const n = new ResidualNowcast();
    for (let s = 0; s < 60; s += 10) n.observe(T0 + s * 1000, s === 30 ? Number.NaN : 10);
    expect(n.kwAt(T0 + 60_000)).toBe(10);
  });
});
