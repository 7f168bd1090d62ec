/**
 * The open-loop oracle: the best any plan could have done on a scenario at a given resolution, as one
 * optimisation with perfect foresight. A bound on plan-level figures at that resolution, used by the
 * optimiser bench and tests. (The replays' `oracle` controller is a different thing: the same knowledge,
 * re-solved from the measured state at every dispatch and run closed-loop with the BESS loop, see
 * `planner.ts`'s `OraclePlanner`; it is a reference, and `lfc` can beat it inside a quarter hour.)
 *
 * What it KNOWS: the true uncontrolled power of the plant (loads + PV, as the plant produced it, not a
 * forecast) at the resolution the caller gives (1 or 15 minutes), the true outdoor temperature, every
 * target and tolerance of the scenario from its start (it knows the triggers before they are announced),
 * and the true initial state of every asset.
 *
 * What it MAY DO: exactly the dispatch LP of `dispatch.ts` (same asset limits: power ratings, SOC limits,
 * round-trip efficiency, comfort bands, min on/off times at the start, curtailable PV), over the whole
 * scenario in one solve, with no fast-error reserve (it makes no forecast error) and without measurement
 * noise, response delay or ramp limits. Its relaxations make it a bound, not a schedule to copy:
 * household storages are pooled per asset, heat pumps are a continuous fleet power (not whole units),
 * power is constant within each slot. Within a slot it cannot do better than the slot's mean, so at 15
 * minutes it judges a meter's view (`mae15MinKw`), at 1 minute the breaker's.
 *
 * What it REPORTS, over the slots with a target: `withinBandPct` (share of slots with |e| ≤ tolerance),
 * `maeKw` (mean |e|), `energyErrorKwh` (∫|e| dt), and `heldPctOfRequested` (time from the first target
 * slot to the first slot beyond the band, as a share of the target time; 100 when never). Its objective is
 * the dispatch LP's: first the energy outside the band (weighted slightly more early, so shortfalls come
 * as late as possible), then the error inside it.
 */
import { optimiseDispatch } from './dispatch.js';
import type { LpSolver } from './lp.js';
import type { DispatchPlan, DispatchProblem } from './types.js';

export interface OracleResult {
  plan: DispatchPlan;
  withinBandPct: number;
  maeKw: number;
  energyErrorKwh: number;
  heldPctOfRequested: number;
  /** Slots with a target. */
  targetSlots: number;
}

/**
 * Solves the perfect-foresight dispatch. `problem.residualKw` must be the TRUE uncontrolled power
 * (P_B − Σ controllable) at `problem.stepS`; `bessReserveKw` is ignored (no forecast error to cover),
 * the terminal SOC term is kept (so the oracle does not win by emptying storages it would need afterwards).
 */
export function solveOracle(problem: DispatchProblem, solver: LpSolver): OracleResult {
  const plan = optimiseDispatch({ ...problem, bessReserveKw: 0 }, solver);
  const dtH = problem.stepS / 3600;
  let n = 0;
  let within = 0;
  let absSum = 0;
  let firstTarget = -1;
  let firstOut = -1;
  for (let k = 0; k < plan.slots; k++) {
    const target = problem.targetKw[k]!;
    if (!Number.isFinite(target)) continue;
    if (firstTarget < 0) firstTarget = k;
    n++;
    const e = Math.abs(plan.deviationKw[k]!);
    absSum += e;
    if (e <= problem.toleranceKw[k]! + 1e-6) within++;
    else if (firstOut < 0) firstOut = k;
  }
  let heldSlots = 0;
  if (firstTarget >= 0) {
    // Target slots from the first one up to the first slot beyond the band.
    for (let k = firstTarget; k < plan.slots && (firstOut < 0 || k < firstOut); k++) if (Number.isFinite(problem.targetKw[k]!)) heldSlots++;
  }
  return {
    plan,
    withinBandPct: n > 0 ? (100 * within) / n : Number.NaN,
    maeKw: n > 0 ? absSum / n : Number.NaN,
    energyErrorKwh: absSum * dtH,
    heldPctOfRequested: n > 0 ? (100 * heldSlots) / n : Number.NaN,
    targetSlots: n,
  };
}
