import { beforeAll, describe, expect, it } from 'vitest';
import type { LpSolver } from '../../../src-main/engine/optimiser/lp.js';
import { firstSlotSAt, OraclePlanner, ResidualNowcast } from '../../../src-main/engine/planner.js';
import { highsSolver, storage } from './optimiser/helpers.js';

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

describe('OraclePlanner', () => {
  let solver: LpSolver;
  beforeAll(async () => {
    solver = await highsSolver();
  });

  it('plans a shortage from the measured last seconds, scaling the curtailable PV with the sun now, and leaves its truth alone', () => {
    // Slot means: load 80 kW, PV −100 kW (half curtailable). Measured now: −120 kW, i.e. the PV at −200 kW.
    const truth = {
      startMs: T0,
      residualKw: Float64Array.from([-20, -20]),
      pvKw: Float64Array.from([-100, -100]),
      curtailablePvKw: Float64Array.from([-50, -50]),
      outdoorC: Float64Array.from([10, 10]),
      target: () => ({ targetKw: 0, toleranceKw: 10 }),
    };
    const oracle = new OraclePlanner(truth, solver);
    for (let s = 0; s < 20; s += 10) oracle.observeResidual(T0 + 300_000 + s * 1000, -120);
    const req = { nowMs: T0 + 320_000, horizonEndMs: T0 + 1_800_000, target: truth.target, bess: storage(), households: [], heatPumps: [], connectionLimitKw: 630, bessReserveKw: 0 };
    const shortage = oracle.plan({ ...req, nowcastWindowMs: 20_000 });
    expect(shortage.residualKw[0]).toBe(-120);
    expect(shortage.curtailablePvKw[0]).toBeCloseTo(-100, 9);
    expect(shortage.plan.startMs).toBe(T0);
    expect(truth.residualKw[0]).toBe(-20);
    expect(truth.curtailablePvKw[0]).toBe(-50);
    // A routine re-plan keeps the slot's true mean.
    expect(oracle.plan(req).residualKw[0]).toBe(-20);
  });
});
