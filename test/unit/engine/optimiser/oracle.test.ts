import { beforeAll, describe, expect, it } from 'vitest';
import type { LpSolver } from '../../../../src-main/engine/optimiser/lp.js';
import { solveOracle } from '../../../../src-main/engine/optimiser/oracle.js';
import { highsSolver, problem, storage } from './helpers.js';

let solver: LpSolver;
beforeAll(async () => {
  solver = await highsSolver();
});

describe('solveOracle', () => {
  it('with enough energy holds every slot', () => {
    const r = solveOracle(problem(8, { bess: storage({ energyKwh: 600, socPct: 90 }), bessReserveKw: 100 }), solver);
    expect(r.withinBandPct).toBe(100);
    expect(r.heldPctOfRequested).toBe(100);
    expect(r.maeKw).toBeCloseTo(0, 6);
  });

  it('knows the short residual spike in advance at 1-minute resolution, and reports the held share when energy runs out', () => {
    // 1-minute slots for 2 h: residual +100 kW, BESS with 50 kWh usable, target 0 ± 10: at the band edge
    // 90 kW lasts 33.3 min → 33 whole minutes held of 120 (27.5 %).
    const n = 120;
    const r = solveOracle(problem(n, { stepS: 60, bessReserveKw: 50 }), solver);
    expect(r.targetSlots).toBe(120);
    expect(r.heldPctOfRequested).toBeCloseTo((100 * 33) / 120, 6);
    expect(r.withinBandPct).toBeCloseTo((100 * 33) / 120, 6);
    expect(r.energyErrorKwh).toBeGreaterThan(0);
  });
});
