/**
 * A small linear-programme builder that writes CPLEX LP text, and the solver contract the engine depends
 * on. The engine is synchronous and pure; HiGHS (npm `highs`, WebAssembly) loads asynchronously, so the node
 * side loads it once and injects an `LpSolver` (see `highs-solver.ts`).
 */

export type LpStatus = 'optimal' | 'infeasible' | 'unbounded' | 'time-limit' | 'error';

export interface LpSolution {
  status: LpStatus;
  /** Objective value; NaN unless optimal. */
  objective: number;
  /** Primal value of every column by name (empty unless optimal). */
  values: Map<string, number>;
  /** Wall time of the solve as the solver's host measured it, ms; null when it cannot tell. */
  solveTimeMs: number | null;
  /** What the solver said, for a non-optimal status. */
  message?: string;
}

/** Solves a CPLEX LP-format model (minimisation). Synchronous: it blocks until the solver returns. */
export interface LpSolver {
  solve(lpText: string): LpSolution;
  /**
   * Optional: solves the model exactly as `solve(model.toLpText())` would — the same model, column order and
   * numbers as the LP reader reads them — without writing and parsing the text (half a solve's time).
   */
  solveModel?(model: LpModelData): LpSolution;
}

/**
 * A model as HiGHS's LP reader reads `LpModel.toLpText()`: columns in the order they first appear in the
 * text (objective, rows, bounds), rows as written (empty ones left out), every number as printed. Rows are
 * compressed (`starts`, `indices`, `values`: CSR).
 */
export interface LpModelData {
  colNames: string[];
  colCost: Float64Array;
  colLower: Float64Array;
  colUpper: Float64Array;
  rowLower: Float64Array;
  rowUpper: Float64Array;
  starts: Int32Array;
  indices: Int32Array;
  values: Float64Array;
}

interface Column {
  name: string;
  lower: number;
  upper: number;
  cost: number;
}

interface Row {
  name: string;
  terms: Array<[string, number]>;
  sense: '<=' | '>=' | '=';
  rhs: number;
}

/** Formats a coefficient for LP text without exponents HiGHS's reader could misread. */
function num(x: number): string {
  if (!Number.isFinite(x)) throw new Error(`LP: non-finite number ${x}`);
  if (Math.abs(x) < 1e-12) return '0';
  // Whole numbers below 1e12 print as themselves (what the rounding below gives them); the rest repeat
  // often across a model's rows and a replay's plans (time steps, efficiencies, bounds): remembered.
  if (Number.isInteger(x) && Math.abs(x) < 1e12) return String(x);
  let text = numText.get(x);
  if (text === undefined) {
    const s = x.toPrecision(12);
    text = s.includes('e') ? x.toFixed(12) : String(Number(s));
    if (numText.size >= 50_000) numText.clear();
    numText.set(x, text);
  }
  return text;
}

const numText = new Map<number, string>();

/**
 * Columns and rows with names. Names must start with a letter other than `e`/`E` (the LP format would read
 * them as exponents) and contain only letters, digits and `_`.
 */
export class LpModel {
  private readonly columns = new Map<string, Column>();
  private readonly rows: Row[] = [];
  private objectiveConstant = 0;

  /** Adds a column; `cost` is its objective coefficient. Bounds may be ±Infinity. */
  addVar(name: string, lower: number, upper: number, cost = 0): string {
    if (this.columns.has(name)) throw new Error(`LP: column ${name} defined twice`);
    if (!/^[a-df-zA-DF-Z][A-Za-z0-9_]*$/.test(name)) throw new Error(`LP: bad column name ${name}`);
    if (Number.isNaN(lower) || Number.isNaN(upper)) throw new Error(`LP: NaN bound on ${name}`);
    this.columns.set(name, { name, lower, upper: Math.max(lower, upper), cost });
    return name;
  }

  addCost(name: string, cost: number): void {
    const c = this.columns.get(name);
    if (!c) throw new Error(`LP: unknown column ${name}`);
    c.cost += cost;
  }

  costOf(name: string): number {
    return this.columns.get(name)?.cost ?? 0;
  }

  setUpper(name: string, upper: number): void {
    const c = this.columns.get(name);
    if (!c) throw new Error(`LP: unknown column ${name}`);
    c.upper = Math.max(c.lower, upper);
  }

  addObjectiveConstant(value: number): void {
    this.objectiveConstant += value;
  }

  /** The model as the LP reader reads `toLpText()` (see `LpModelData`); `solveModel` takes it. */
  toModelData(): LpModelData {
    const printed = (x: number): number => Number(num(x));
    const index = new Map<string, number>();
    const names: string[] = [];
    const appear = (name: string): number => {
      let i = index.get(name);
      if (i === undefined) {
        i = names.length;
        index.set(name, i);
        names.push(name);
      }
      return i;
    };
    const objective: Array<[number, number]> = [];
    for (const c of this.columns.values()) if (c.cost !== 0) objective.push([appear(c.name), (c.cost < 0 ? -1 : 1) * printed(Math.abs(c.cost))]);
    if (objective.length === 0 && this.columns.size > 0) appear(this.columns.keys().next().value!);
    const rows = this.rows.filter((r) => r.terms.length > 0);
    const starts = new Int32Array(rows.length + 1);
    let nnz = 0;
    for (const r of rows) nnz += r.terms.length;
    const indices = new Int32Array(nnz);
    const values = new Float64Array(nnz);
    const rowLower = new Float64Array(rows.length);
    const rowUpper = new Float64Array(rows.length);
    let k = 0;
    rows.forEach((r, i) => {
      for (const [col, coef] of r.terms) {
        indices[k] = appear(col);
        values[k++] = (coef < 0 ? -1 : 1) * printed(Math.abs(coef));
      }
      starts[i + 1] = k;
      const rhs = printed(r.rhs);
      rowLower[i] = r.sense === '<=' ? -Infinity : rhs;
      rowUpper[i] = r.sense === '>=' ? Infinity : rhs;
    });
    for (const name of this.columns.keys()) appear(name);
    const n = names.length;
    const colCost = new Float64Array(n);
    const colLower = new Float64Array(n);
    const colUpper = new Float64Array(n);
    for (const [j, cost] of objective) colCost[j] = cost;
    names.forEach((name, j) => {
      const c = this.columns.get(name)!;
      colLower[j] = c.lower === -Infinity ? -Infinity : printed(c.lower);
      colUpper[j] = c.upper === Infinity ? Infinity : printed(c.upper);
    });
    return { colNames: names, colCost, colLower, colUpper, rowLower, rowUpper, starts, indices, values };
  }

  /** Σ coef·column (sense) rhs. Terms on the same column are merged. */
  addRow(name: string, terms: Array<[string, number]>, sense: '<=' | '>=' | '=', rhs: number): void {
    if (!Number.isFinite(rhs)) throw new Error(`LP: row ${name} has a non-finite right-hand side ${rhs}`);
    const merged = new Map<string, number>();
    for (const [col, coef] of terms) {
      if (!this.columns.has(col)) throw new Error(`LP: row ${name} uses unknown column ${col}`);
      merged.set(col, (merged.get(col) ?? 0) + coef);
    }
    this.rows.push({ name, terms: [...merged].filter(([, c]) => Math.abs(c) > 1e-12), sense, rhs });
  }

  get size(): { variables: number; constraints: number } {
    return { variables: this.columns.size, constraints: this.rows.length };
  }

  get constant(): number {
    return this.objectiveConstant;
  }

  /** The model as CPLEX LP text. */
  toLpText(): string {
    const out: string[] = ['Minimize'];
    const objTerms: string[] = [];
    for (const c of this.columns.values()) if (c.cost !== 0) objTerms.push(`${c.cost < 0 ? '-' : '+'} ${num(Math.abs(c.cost))} ${c.name}`);
    // A model with no cost still needs an objective line.
    if (objTerms.length === 0) objTerms.push(`+ 0 ${this.columns.keys().next().value ?? 'x'}`);
    pushWrapped(out, ' obj:', objTerms);
    out.push('Subject To');
    for (const r of this.rows) {
      const terms = r.terms.map(([col, coef]) => `${coef < 0 ? '-' : '+'} ${num(Math.abs(coef))} ${col}`);
      if (terms.length === 0) continue;
      pushWrapped(out, ` ${r.name}:`, terms, `${r.sense} ${num(r.rhs)}`);
    }
    out.push('Bounds');
    for (const c of this.columns.values()) {
      const lo = c.lower === -Infinity ? '-inf' : num(c.lower);
      const hi = c.upper === Infinity ? '+inf' : num(c.upper);
      if (c.lower === -Infinity && c.upper === Infinity) out.push(` ${c.name} free`);
      else out.push(` ${lo} <= ${c.name} <= ${hi}`);
    }
    out.push('End', '');
    return out.join('\n');
  }
}

function pushWrapped(out: string[], head: string, terms: string[], tail = ''): void {
  let line = head;
  for (const t of terms) {
    if (line.length + t.length > 200) {
      out.push(line);
      line = '  ';
    }
    line += ` ${t}`;
  }
  out.push(tail ? `${line} ${tail}` : line);
}
