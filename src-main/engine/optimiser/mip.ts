/**
 * A sparse mixed-integer programme in matrix form, a small builder for it, and the solver contract that
 * `bound.ts` depends on. The CPLEX-LP-text route of `lp.ts` parses names, which is slow for models with tens
 * of thousands of columns and does not report the MIP's proven bound; this route hands HiGHS the arrays
 * directly and returns the bound, so a solve stopped by its time limit still yields a valid bound.
 *
 * Pure: no I/O. The node side loads HiGHS and injects a `MipSolver` (see `highs-mip-solver.ts`).
 */

export type MipStatus = 'optimal' | 'infeasible' | 'unbounded' | 'time-limit' | 'error';

export interface MipProblem {
  sense: 'minimize' | 'maximize';
  numCols: number;
  colCost: Float64Array;
  colLower: Float64Array;
  colUpper: Float64Array;
  /** 1 where the column is integer. */
  integer: Uint8Array;
  numRows: number;
  rowLower: Float64Array;
  rowUpper: Float64Array;
  /** Rows in compressed sparse row form. */
  rowStarts: Int32Array;
  colIndex: Int32Array;
  values: Float64Array;
}

export interface MipOptions {
  /** Wall-clock limit of the solve, s. */
  timeLimitS?: number;
  /** Stop when incumbent and proven bound are this close (objective units). */
  mipAbsGap?: number;
  /** Stop when incumbent and proven bound are this close, relative. */
  mipRelGap?: number;
}

export interface MipSolution {
  status: MipStatus;
  /** Objective of the best solution found; NaN when none. */
  objective: number;
  /**
   * The best proven bound on the objective: for a maximisation no feasible point is better than it (an
   * upper bound), for a minimisation a lower bound. Equal to `objective` for an LP solved to optimality;
   * NaN when the solver proved nothing (error, infeasible).
   */
  bound: number;
  /** Primal value of every column (the best solution found), or null when there is none. */
  values: Float64Array | null;
  /** Wall time of the solve as the host measured it, ms; null when it cannot tell. */
  solveTimeMs: number | null;
  message?: string;
}

/** Solves a `MipProblem` synchronously. */
export interface MipSolver {
  solve(problem: MipProblem, options?: MipOptions): MipSolution;
}

/** Columns and rows by index, for models too large to name every column. */
export class SparseModelBuilder {
  private colLo: number[] = [];
  private colHi: number[] = [];
  private cost: number[] = [];
  private int: number[] = [];
  private rowLo: number[] = [];
  private rowHi: number[] = [];
  private starts: number[] = [0];
  private idx: number[] = [];
  private val: number[] = [];

  get numCols(): number {
    return this.colLo.length;
  }

  get numRows(): number {
    return this.rowLo.length;
  }

  /** Adds a column and returns its index. Bounds may be ±Infinity. */
  addCol(lower: number, upper: number, cost = 0, integer = false): number {
    if (Number.isNaN(lower) || Number.isNaN(upper) || !Number.isFinite(cost)) throw new Error(`MIP: bad column (${lower}, ${upper}, ${cost})`);
    this.colLo.push(lower);
    this.colHi.push(Math.max(lower, upper));
    this.cost.push(cost);
    this.int.push(integer ? 1 : 0);
    return this.colLo.length - 1;
  }

  setCost(col: number, cost: number): void {
    this.cost[col] = cost;
  }

  setBounds(col: number, lower: number, upper: number): void {
    this.colLo[col] = lower;
    this.colHi[col] = Math.max(lower, upper);
  }

  /** lower ≤ Σ coef·x ≤ upper; returns the row index. Duplicate columns in one row are merged. */
  addRow(lower: number, upper: number, cols: readonly number[], coefs: readonly number[]): number {
    if (Number.isNaN(lower) || Number.isNaN(upper)) throw new Error('MIP: NaN row bound');
    const merged = new Map<number, number>();
    for (let k = 0; k < cols.length; k++) {
      const c = cols[k]!;
      const v = coefs[k]!;
      if (!(c >= 0 && c < this.colLo.length)) throw new Error(`MIP: row uses unknown column ${c}`);
      if (!Number.isFinite(v)) throw new Error(`MIP: non-finite coefficient ${v}`);
      merged.set(c, (merged.get(c) ?? 0) + v);
    }
    for (const [c, v] of merged) {
      if (v === 0) continue;
      this.idx.push(c);
      this.val.push(v);
    }
    this.starts.push(this.idx.length);
    this.rowLo.push(lower);
    this.rowHi.push(upper);
    return this.rowLo.length - 1;
  }

  build(sense: MipProblem['sense']): MipProblem {
    return {
      sense,
      numCols: this.colLo.length,
      colCost: Float64Array.from(this.cost),
      colLower: Float64Array.from(this.colLo),
      colUpper: Float64Array.from(this.colHi),
      integer: Uint8Array.from(this.int),
      numRows: this.rowLo.length,
      rowLower: Float64Array.from(this.rowLo),
      rowUpper: Float64Array.from(this.rowHi),
      rowStarts: Int32Array.from(this.starts),
      colIndex: Int32Array.from(this.idx),
      values: Float64Array.from(this.val),
    };
  }
}
