/**
 * `MipSolver` on HiGHS's persistent model API (npm `highs`, WebAssembly): the arrays go in as they are (no
 * LP text to write and parse), and the answer includes the MIP's proven bound (`mip_dual_bound`), so a solve
 * stopped by its time limit still says how good the best possible schedule could at most be.
 *
 * ```ts
 * import loadHighs from 'highs';
 * const solver = createHighsMipSolver(await loadHighs(), { monotonicMs: () => performance.now() });
 * ```
 */
import type { Highs } from 'highs';
import type { MipOptions, MipProblem, MipSolution, MipSolver, MipStatus } from './mip.js';

export interface HighsMipSolverOptions {
  /** Default time limit of a solve, s (a solve's own option wins). Default 10. */
  timeLimitS?: number;
  /** A monotonic clock for the reported solve time (the engine has none of its own). */
  monotonicMs?: () => number;
}

/** The part of the loaded `highs` module this adapter uses. */
export type HighsMipLike = Pick<Highs, 'createModel' | 'constants' | 'infinity'>;

export function createHighsMipSolver(highs: HighsMipLike, options: HighsMipSolverOptions = {}): MipSolver {
  const ms = highs.constants.modelStatus;
  const statusOf = (code: number): MipStatus => {
    if (code === ms.optimal) return 'optimal';
    if (code === ms.infeasible) return 'infeasible';
    if (code === ms.unbounded || code === ms.unboundedOrInfeasible) return 'unbounded';
    if (code === ms.timeLimit || code === ms.iterationLimit) return 'time-limit';
    return 'error';
  };
  const inf = highs.infinity;
  const clampInf = (a: Float64Array): Float64Array => a.map((x) => (x === Infinity ? inf : x === -Infinity ? -inf : x));
  return {
    solve(p: MipProblem, opts: MipOptions = {}): MipSolution {
      const t0 = options.monotonicMs?.();
      const elapsed = (): number | null => (t0 === undefined || !options.monotonicMs ? null : options.monotonicMs() - t0);
      const isMip = p.integer.some((x) => x === 1);
      let model: ReturnType<Highs['createModel']> | null = null;
      try {
        model = highs.createModel({
          numCols: p.numCols,
          numRows: p.numRows,
          sense: p.sense === 'maximize' ? highs.constants.objectiveSense.maximize : highs.constants.objectiveSense.minimize,
          colCost: p.colCost,
          colLower: clampInf(p.colLower),
          colUpper: clampInf(p.colUpper),
          rowLower: clampInf(p.rowLower),
          rowUpper: clampInf(p.rowUpper),
          matrix: { format: 'csr', numRows: p.numRows, numCols: p.numCols, starts: p.rowStarts, indices: p.colIndex, values: p.values },
          ...(isMip ? { integrality: Int32Array.from(p.integer) } : {}),
        });
        const set: Record<string, number | boolean | string> = {
          output_flag: false,
          time_limit: opts.timeLimitS ?? options.timeLimitS ?? 10,
        };
        if (isMip && opts.mipAbsGap !== undefined) set.mip_abs_gap = opts.mipAbsGap;
        if (isMip && opts.mipRelGap !== undefined) set.mip_rel_gap = opts.mipRelGap;
        model.options.set(set as never);
        model.run();
        const status = statusOf(model.getModelStatus());
        const hasPrimal = Number(model.info.get('primal_solution_status')) === 2;
        const values = hasPrimal ? model.getSolution().colValue : null;
        const objective = hasPrimal ? model.getObjectiveValue() : Number.NaN;
        let bound = Number.NaN;
        if (isMip) {
          const b = Number(model.info.get('mip_dual_bound'));
          bound = Number.isFinite(b) ? b : Number.NaN;
        } else if (status === 'optimal') {
          bound = objective;
        }
        return {
          status,
          objective,
          bound,
          values,
          solveTimeMs: elapsed(),
          ...(status === 'optimal' ? {} : { message: `HiGHS model status ${model.getModelStatus()}` }),
        };
      } catch (err) {
        return { status: 'error', objective: Number.NaN, bound: Number.NaN, values: null, solveTimeMs: elapsed(), message: `HiGHS: ${err instanceof Error ? err.message : String(err)}` };
      } finally {
        model?.dispose();
      }
    },
  };
}
