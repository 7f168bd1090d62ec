import loadHighs from 'highs';
import { performance } from 'node:perf_hooks';
import type { MipSolver } from '../engine/optimiser/mip.js';
import { createHighsMipSolver } from '../engine/optimiser/highs-mip-solver.js';

let cached: Promise<MipSolver> | null = null;

/**
 * The HiGHS MIP solver (WebAssembly, persistent-model API), loaded once per process, for the physical limit
 * (`bound.ts`). Its solve times use the process's monotonic clock.
 */
export function loadMipSolver(): Promise<MipSolver> {
  cached ??= loadHighs().then((highs) => createHighsMipSolver(highs, { monotonicMs: () => performance.now() }));
  return cached;
}
