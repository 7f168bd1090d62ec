import loadHighs from 'highs';
import { createHighsLpSolver } from '../../../../src-main/engine/optimiser/highs-solver.js';
import type { LpSolver } from '../../../../src-main/engine/optimiser/lp.js';
import type { DispatchProblem, HeatPumpUnitState, StorageUnitState } from '../../../../src-main/engine/optimiser/types.js';

let solver: LpSolver | null = null;
/** One HiGHS instance per test file (the WebAssembly loads once). */
export async function highsSolver(): Promise<LpSolver> {
  solver ??= createHighsLpSolver(await loadHighs(), { monotonicMs: () => performance.now() });
  return solver;
}

export const T0 = Date.UTC(2026, 5, 21, 8);

export function storage(over: Partial<StorageUnitState> = {}): StorageUnitState {
  return {
    id: 'bess',
    powerRatingKw: 300,
    energyKwh: 100,
    socPct: 60,
    socMinPct: 10,
    socMaxPct: 90,
    roundTripEfficiency: 1,
    powerKw: 0,
    available: true,
    ...over,
  };
}

export function heatPump(over: Partial<HeatPumpUnitState> = {}): HeatPumpUnitState {
  return {
    id: 'hp-01',
    powerKw: 3,
    cop: 3,
    capacityKwhPerK: 4,
    lossKwPerK: 0.15,
    indoorC: 21,
    indoorMinC: 20,
    indoorMaxC: 22.5,
    on: false,
    msSinceSwitch: 3_600_000,
    minOnS: 600,
    minOffS: 600,
    available: true,
    ...over,
  };
}

/** A problem of `slots` quarter hours with constant residual, target and tolerance. */
export function problem(slots: number, over: Partial<DispatchProblem> = {}): DispatchProblem {
  return {
    startMs: T0,
    stepS: 900,
    residualKw: new Float64Array(slots).fill(100),
    outdoorC: new Float64Array(slots).fill(5),
    targetKw: new Float64Array(slots).fill(0),
    toleranceKw: new Float64Array(slots).fill(10),
    bess: storage(),
    bessReserveKw: 0,
    households: [],
    heatPumps: [],
    connectionLimitKw: 630,
    ...over,
  };
}
