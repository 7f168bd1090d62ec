import loadHighs from 'highs';
import { performance } from 'node:perf_hooks';
import type { LpSolver } from '../engine/optimiser/lp.js';
import { createHighsLpSolver } from '../engine/optimiser/highs-solver.js';

let cached: Promise<LpSolver> | null = null;

/**
 * The HiGHS LP solver (WebAssembly), loaded once per process. The engine is synchronous and pure, so it is
 * loaded here, on the Node side, and injected; its solve times use the process's monotonic clock.
 */
export function loadLpSolver(): Promise<LpSolver> {
  cached ??= loadHighs().then((highs) => createHighsLpSolver(highs, { monotonicMs: () => performance.now() }));
  return cached;
}
