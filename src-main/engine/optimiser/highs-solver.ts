/**
 * `LpSolver` on HiGHS (npm `highs`, WebAssembly). The WebAssembly module loads asynchronously, which the
 * pure, synchronous engine cannot do: the node side loads it once and hands the loaded instance in.
 *
 * ```ts
 * import loadHighs from 'highs';
 * const solver = createHighsLpSolver(await loadHighs(), { monotonicMs: () => performance.now() });
 * ```
 *
 * Each `solve` runs a fresh native solver on the LP text (the legacy one-shot API), silently, with a time
 * limit so a pathological model can never stall the engine's cycle.
 */
import type { Highs } from 'highs';
import type { LpModelData, LpSolution, LpSolver, LpStatus } from './lp.js';

export interface HighsSolverOptions {
  /** Solver time limit, s. Default 2. */
  timeLimitS?: number;
  /** A monotonic clock for the reported solve time (the engine has none of its own). */
  monotonicMs?: () => number;
}

/** The part of the loaded `highs` module this adapter uses (`createModel` where the build has it). */
export type HighsLike = Pick<Highs, 'solve'> & Partial<Pick<Highs, 'createModel' | 'constants'>>;

/** HiGHS's model status codes (`constants.modelStatus`) by the legacy API's status text. */
const STATUS_BY_CODE: Record<number, string> = { 7: 'Optimal', 8: 'Infeasible', 9: 'Primal infeasible or unbounded', 10: 'Unbounded', 13: 'Time limit reached', 14: 'Iteration limit reached' };

function statusOf(s: string): LpStatus {
  switch (s) {
    case 'Optimal':
      return 'optimal';
    case 'Infeasible':
      return 'infeasible';
    case 'Unbounded':
    case 'Primal infeasible or unbounded':
      return 'unbounded';
    case 'Time limit reached':
    case 'Iteration limit reached':
      return 'time-limit';
    default:
      return 'error';
  }
}

export function createHighsLpSolver(highs: HighsLike, options: HighsSolverOptions = {}): LpSolver {
  const timeLimitS = options.timeLimitS ?? 2;
  const createModel = highs.createModel?.bind(highs);
  return {
    ...(createModel
      ? {
          solveModel(m: LpModelData): LpSolution {
            const t0 = options.monotonicMs?.();
            let status: LpStatus;
            let statusText: string;
            let objective = Number.NaN;
            const values = new Map<string, number>();
            try {
              const model = createModel();
              try {
                model.options.set({ output_flag: false, time_limit: timeLimitS, presolve: 'on' });
                model.passModel({
                  numCols: m.colNames.length,
                  numRows: m.rowLower.length,
                  colCost: m.colCost,
                  colLower: m.colLower,
                  colUpper: m.colUpper,
                  rowLower: m.rowLower,
                  rowUpper: m.rowUpper,
                  matrix: { format: 'csr', numRows: m.rowLower.length, numCols: m.colNames.length, starts: m.starts, indices: m.indices, values: m.values },
                });
                model.run();
                statusText = STATUS_BY_CODE[model.getModelStatus()] ?? 'Unknown';
                status = statusOf(statusText);
                if (status === 'optimal') {
                  objective = model.getObjectiveValue();
                  const x = model.getSolution().colValue;
                  for (let j = 0; j < m.colNames.length; j++) values.set(m.colNames[j]!, x[j]!);
                }
              } finally {
                model.dispose();
              }
            } catch (err) {
              return { status: 'error', objective: Number.NaN, values: new Map(), solveTimeMs: null, message: `HiGHS: ${err instanceof Error ? err.message : String(err)}` };
            }
            const solveTimeMs = t0 === undefined || !options.monotonicMs ? null : options.monotonicMs() - t0;
            return { status, objective, values, solveTimeMs, ...(status === 'optimal' ? {} : { message: `HiGHS status: ${statusText}` }) };
          },
        }
      : {}),
    solve(lpText: string): LpSolution {
      const t0 = options.monotonicMs?.();
      let result: ReturnType<Highs['solve']>;
      try {
        result = highs.solve(lpText, { output_flag: false, time_limit: timeLimitS, presolve: 'on' } as Parameters<Highs['solve']>[1]);
      } catch (err) {
        return { status: 'error', objective: Number.NaN, values: new Map(), solveTimeMs: null, message: `HiGHS: ${err instanceof Error ? err.message : String(err)}` };
      }
      const solveTimeMs = t0 === undefined || !options.monotonicMs ? null : options.monotonicMs() - t0;
      const status = statusOf(result.Status);
      const values = new Map<string, number>();
      if (status === 'optimal') {
        for (const [name, col] of Object.entries(result.Columns)) {
          const primal = (col as { Primal?: number }).Primal;
          if (typeof primal === 'number') values.set(name, primal);
        }
      }
      return {
        status,
        objective: status === 'optimal' ? result.ObjectiveValue : Number.NaN,
        values,
        solveTimeMs,
        ...(status === 'optimal' ? {} : { message: `HiGHS status: ${result.Status}` }),
      };
    },
  };
}
