/**
 * `bound`: the physical limit of one run (KPI.md, "The reference: the physical limit"). The most held time
 * any controller could reach on the same run, knowing in advance the uncontrolled power, the measurement
 * noise and every measurement fault, with every flexible asset at its limits, from the assets' state when
 * the trigger arrived. It maximises held time, then (secondarily) minimises ∫|e| dt.
 *
 * Pure: no I/O and no clock; the solver is injected (`MipSolver`, HiGHS on the node side).
 *
 * ## What "held" means here (the KPI's rule, `run-kpis.ts`)
 * A breaker sample at t is held when t ∈ [requested start, requested end), and the mean of the VALID errors
 * e = P_B − P* of the run's samples in (t − 60 s, t] is within ±b. Held time = Σ over held samples of
 * min(breaker period, requested end − t). The run's samples start at the run's start = the requested start,
 * which is this problem's first sample.
 *
 * ## The model
 * One step per breaker sample k (period Δ = `stepS`): the sample at t_k sees the power of the period
 * (t_k − Δ, t_k]. Per step:
 * - e_k = U_k + Σ_s (c_s,k − d_s,k) + Σ_f x_f,k + y_k − P*_k, with U_k the uncontrolled breaker power as the
 *   meter reports it (loads, uncurtailed PV, recorded series, plus the meter's own noise, which does not
 *   depend on control);
 * - storages s (the community BESS; the household batteries of one kind pooled into one): charge c ∈ [0, P],
 *   discharge d ∈ [0, P], c + d ≤ P, E_k = E_k−1 + (η c − d/η)·Δ, E ∈ [E_min, E_max], η = √(round trip);
 * - heat-pump fleets f: electrical power x ∈ [0, N·P], the fleet's MEAN indoor temperature
 *   T_k = α T_k−1 + (1 − α)(T_out,k + cop·x/(N·L)), α = exp(−L·Δ/C) (the thermal model of `heat-pump.ts`,
 *   exact for power constant over the step), T_k ∈ [T_min,k, T_max,k] as the caller gives it (with margins);
 * - curtailable PV: y ∈ [0, Y_k], the PV power that may be given up at step k;
 * - the initial energy / temperature is a column of its own within the interval the caller gives (the exact
 *   state for a run whose starting state is known, the reachable interval otherwise).
 * Held sample i (binary h_i): −b·n_i − M⁻(1 − h_i) ≤ Σ_{j ∈ W_i} e_j ≤ b·n_i + M⁺(1 − h_i), W_i the valid
 * samples of its window (n_i of them), M± the largest excess the power limits allow (exact big-M, no guess).
 *
 * ## Relaxations (each only enlarges what is feasible, so the optimum is never below a real controller)
 * - Household batteries of one kind are one pooled battery (sum of powers, energies and initial energies);
 *   a heat-pump fleet is one unit with the members' mean temperature, a continuous power in [0, N·P]
 *   (on/off per member is a special case), and the comfort band applies to the mean only.
 * - No ramp limits, response delays, setpoint lifetimes, telemetry or vendor-cloud periods; no minimum
 *   on/off times (the caller widens the comfort band by the overshoot the devices' own min on/off times can
 *   cause, see `bound-truth.ts`); every asset is controllable at every step, also while the scenario has it
 *   offline or rejecting setpoints — except a storage whose `powerLimitKw` the caller sets to 0 where the
 *   device is certainly back at its 0 kW default (its last accepted setpoint has expired on the device),
 *   which is physics, not a controller's choice; and the community BESS of a run whose trigger arrives while
 *   the EMS holds nothing (`bound-truth.ts`, `idleAtArrival`): it is at rest then, and no controller can know
 *   the trigger before it arrives, so its power limit is 0 until its response delay has passed and then
 *   grows with its ramp. What a real controller still loses against the bound at such a start is what the
 *   rule lets over-correction win back: samples pushed beyond the band come before settling and hold
 *   nothing themselves, but they pay back the first error in the one-minute means of the samples after
 *   them. The bound may; the product's controllers do not (it would push the exchange far past the
 *   target in the other direction).
 * - A storage may charge and discharge in the same step (it can waste energy), bounded by c + d ≤ P.
 * - The state of charge / temperature is checked at step ends only.
 * - The settling requirement of the held rule ("samples before the run first settles are not held") is
 *   modelled for the run's first 2 minutes only (`addSettling`); the "run in force" requirement is
 *   dropped: the bound's run is always in force.
 * - A window that contains a sample the sensor sent stuck (`SAMPLE_FREE`) is taken as held: a stuck value
 *   does not follow the breaker, and whether the engine accepts it or not, a free value in the mean covers
 *   both.
 * ## The one modelling assumption that is not a relaxation, and its allowance
 * Asset power is constant over each breaker period and the sample sees that power. In the plant a new
 * setpoint takes effect after the response delay d and ramps at R kW/s, so the power the meter samples and
 * the period's mean power differ around a change: a controller that steps up and later down is seen at the
 * new power a little before it pays for it in energy. Summed over a run the delay part telescopes to at most
 * P·d and the ramp part of one full swing is P²/(2R); the caller gives each storage that much energy beyond
 * its limits (`allowanceKwh`, `bound-truth.ts`). A controller that shaped power between two samples on
 * purpose (up at once, down in small steps, over and over) could gain more; none of this product's does,
 * and a metering point that averaged over its period would not reward it. For a heat pump the comfort
 * margins take the same role.
 *
 * ## How it is solved
 * 1. Samples whose window cannot be in band at any power the assets can deliver are not held; samples whose
 *    window holds a stuck sample are held for free. The rest are candidates.
 * 2. One LP with every candidate held, minimising ∫|e| dt. If it is feasible that is the answer: every
 *    candidate held, exact (status `optimal`, one solve).
 * 3. Otherwise the MILP: maximise Σ w_i h_i − ε·∫|e| dt (ε small enough that ∫|e| can never buy a held
 *    sample: ε·max∫|e| ≤ 1 % of the smallest sample credit). `heldS` is the solver's proven bound plus that
 *    1 %, so it is a valid upper bound even when the solve stops at its time limit (status `time-limit`);
 *    `heldAchievedS` is what the best schedule found holds.
 */
import type { MipSolution, MipSolver } from './mip.js';
import { SparseModelBuilder } from './mip.js';

/** How a breaker sample enters the held rule. */
export const SAMPLE_VALID = 0;
/** Recorded but invalid (NaN, rejected): not in any mean, may itself be held on its window's valid samples. */
export const SAMPLE_INVALID = 1;
/** Never recorded (a dropout): neither in a mean nor held. */
export const SAMPLE_ABSENT = 2;
/** Sent stuck (the value does not follow the breaker): any window holding it may be taken as held. */
export const SAMPLE_FREE = 3;

export interface BoundStorage {
  id: string;
  powerKw: number;
  minKwh: number;
  maxKwh: number;
  roundTripEfficiency: number;
  /** Energy at the start of the first step: an interval (equal ends when known). */
  initialKwh: { min: number; max: number };
  /**
   * Energy the storage may go beyond [minKwh, maxKwh] in the model, kWh (default 0): what the difference
   * between the power a sample sees and the period's mean power can be worth (see "the one modelling
   * assumption" above).
   */
  allowanceKwh?: number;
  /**
   * Per step, the most the storage can charge or discharge, kW (≤ `powerKw`; default `powerKw` at every
   * step). 0 where the device is physically at its default of 0 kW: offline or rejecting every write, after
   * its own setpoint lifetime has run out (SCENARIOS.md, `assetOffline`), so no controller can move it.
   */
  powerLimitKw?: Float64Array;
}

export interface BoundHeatPumpFleet {
  id: string;
  count: number;
  /** Electrical power of one member when on, kW. */
  powerKw: number;
  cop: number;
  /** One member's thermal capacity, kWh/K, and loss, kW/K. */
  capacityKwhPerK: number;
  lossKwPerK: number;
  /**
   * The band the fleet's mean indoor temperature is kept in at the end of each step (the caller adds the
   * devices' margins and what the physics forces, e.g. a summer house warming above its top with the pump off).
   */
  minC: Float64Array;
  maxC: Float64Array;
  /** Mean indoor temperature at the start of the first step: an interval. */
  initialC: { min: number; max: number };
}

export interface BoundProblem {
  /** Breaker period, s: one step per breaker sample. */
  stepS: number;
  /** Time of the first sample, ms (the run's start). Step k is the sample at firstSampleMs + k·stepS. */
  firstSampleMs: number;
  /** Uncontrolled breaker power as the meter reports it at each sample (noise included), kW. */
  uncontrolledKw: Float64Array;
  /** `SAMPLE_VALID` … `SAMPLE_FREE` per sample. */
  sampleKind: Uint8Array;
  /** P* at each sample, kW (NaN where the run has none). */
  targetKw: Float64Array;
  /** Tolerance b at each sample, kW. */
  toleranceKw: Float64Array;
  /** Outdoor temperature over each step's period, °C (heat pumps only). */
  outdoorC: Float64Array;
  /** PV power that may be curtailed at each sample, kW ≥ 0. */
  curtailableKw: Float64Array;
  requested: { startMs: number; endMs: number };
  /** The held rule's window, s. Default 60. */
  holdWindowS?: number;
  storages: BoundStorage[];
  heatPumps: BoundHeatPumpFleet[];
  /** Time limit of the MILP, s. Default 20. */
  timeLimitS?: number;
}

export type BoundStatus = 'optimal' | 'time-limit' | 'infeasible' | 'error' | 'empty';

export interface BoundResult {
  /** Upper bound on held time, s (exact when `status` is `optimal`). */
  heldS: number;
  /** Held time of the best schedule found, s (≤ heldS). */
  heldAchievedS: number;
  requestedS: number;
  heldPctOfRequested: number | null;
  /** ∫|e| dt of the best schedule found over the valid samples of the request, kWh. */
  energyErrorKwh: number;
  stepS: number;
  status: BoundStatus;
  solveTimeMs: number;
  solves: number;
  /** Candidates (samples neither impossible nor free), samples held for free, samples impossible. */
  samples: { candidates: number; free: number; impossible: number; inRequest: number };
  /** Per sample: 1 where the best schedule found holds it. */
  held: Uint8Array;
  /** Per sample: the best schedule's error, kW (NaN where none). */
  errorKw: Float64Array;
  message?: string;
}

const BAND_EPS_KW = 1e-6;

interface Columns {
  /** Error column per step (−1 where the step has no valid error). */
  e: Int32Array;
  abs: Int32Array;
  held: Int32Array;
}

/** Solves the bound of one run. */
export function solveBound(p: BoundProblem, solver: MipSolver): BoundResult {
  const n = p.uncontrolledKw.length;
  const dtS = p.stepS;
  const dtH = dtS / 3600;
  const windowMs = (p.holdWindowS ?? 60) * 1000;
  const reqStart = p.requested.startMs;
  const reqEnd = p.requested.endMs;
  const requestedS = Math.max(0, (reqEnd - reqStart) / 1000);
  const tOf = (k: number): number => p.firstSampleMs + k * dtS * 1000;

  // Per sample: credit, validity and power range of e.
  const credit = new Float64Array(n);
  const validErr = new Uint8Array(n);
  const r = new Float64Array(n);
  const eLo = new Float64Array(n);
  const eHi = new Float64Array(n);
  // Per step, the most the storages can move the breaker down / up, kW.
  const pDown = new Float64Array(n);
  for (const s of p.storages) for (let k = 0; k < n; k++) pDown[k] = pDown[k]! + storageLimitKw(s, k);
  let hpUp = 0;
  for (const f of p.heatPumps) hpUp += f.count * f.powerKw;
  let inRequest = 0;
  for (let k = 0; k < n; k++) {
    const t = tOf(k);
    const target = p.targetKw[k]!;
    const kind = p.sampleKind[k]!;
    if (Number.isFinite(target) && t >= reqStart && t < reqEnd && kind !== SAMPLE_ABSENT) {
      credit[k] = Math.min(dtS, (reqEnd - t) / 1000);
      inRequest++;
    }
    if (kind === SAMPLE_VALID && Number.isFinite(target) && Number.isFinite(p.uncontrolledKw[k]!)) {
      validErr[k] = 1;
      r[k] = p.uncontrolledKw[k]! - target;
      eLo[k] = r[k]! - pDown[k]!;
      eHi[k] = r[k]! + pDown[k]! + hpUp + Math.max(0, p.curtailableKw[k] ?? 0);
    }
  }

  // Windows: valid samples in (t − 60 s, t] (the problem starts with the run, so nothing before sample 0).
  const winFrom = new Int32Array(n);
  const winFree = new Uint8Array(n);
  {
    let lo = 0;
    let freeCount = 0;
    for (let k = 0; k < n; k++) {
      if (p.sampleKind[k] === SAMPLE_FREE) freeCount++;
      while (lo <= k && !(tOf(lo) > tOf(k) - windowMs)) {
        if (p.sampleKind[lo] === SAMPLE_FREE) freeCount--;
        lo++;
      }
      winFrom[k] = lo;
      winFree[k] = freeCount > 0 ? 1 : 0;
    }
  }
  const kind = new Uint8Array(n); // 0 none, 1 candidate, 2 free, 3 impossible
  let candidates = 0;
  let free = 0;
  let impossible = 0;
  for (let i = 0; i < n; i++) {
    if (credit[i]! <= 0) continue;
    if (winFree[i]) {
      kind[i] = 2;
      free++;
      continue;
    }
    let m = 0;
    let lo = 0;
    let hi = 0;
    for (let j = winFrom[i]!; j <= i; j++) {
      if (!validErr[j]) continue;
      m++;
      lo += eLo[j]!;
      hi += eHi[j]!;
    }
    const b = p.toleranceKw[i]!;
    if (m === 0 || lo > b * m + BAND_EPS_KW || hi < -b * m - BAND_EPS_KW) {
      kind[i] = 3;
      impossible++;
    } else {
      kind[i] = 1;
      candidates++;
    }
  }

  const freeS = sumCredit(credit, kind, 2);
  const base: Omit<BoundResult, 'heldS' | 'heldAchievedS' | 'heldPctOfRequested' | 'energyErrorKwh' | 'status' | 'held' | 'errorKw'> = {
    requestedS,
    stepS: dtS,
    solveTimeMs: 0,
    solves: 0,
    samples: { candidates, free, impossible, inRequest },
  };
  const pct = (heldS: number): number | null => (requestedS > 0 ? (100 * heldS) / requestedS : null);

  if (candidates === 0) {
    const held = new Uint8Array(n);
    for (let i = 0; i < n; i++) if (kind[i] === 2) held[i] = 1;
    return { ...base, heldS: freeS, heldAchievedS: freeS, heldPctOfRequested: pct(freeS), energyErrorKwh: 0, status: 'empty', held, errorKw: new Float64Array(n).fill(NaN) };
  }

  // Phase 1: every candidate held.
  const lp = buildModel(p, { r, validErr, credit, kind, winFrom, eLo, eHi }, 'lp', 0);
  const first = solver.solve(lp.builder.build('minimize'), { timeLimitS: p.timeLimitS ?? 20 });
  let solveTimeMs = first.solveTimeMs ?? 0;
  if (first.status === 'optimal' && first.values) {
    const all = sumCredit(credit, kind, 1) + freeS;
    const { held, errorKw, energyKwh } = readSchedule(first, lp.cols, kind, credit, n, dtH);
    return { ...base, solveTimeMs, solves: 1, heldS: all, heldAchievedS: all, heldPctOfRequested: pct(all), energyErrorKwh: energyKwh, status: 'optimal', held, errorKw };
  }
  if (first.status !== 'infeasible') {
    // Nothing proven: the only safe bound is every candidate.
    const all = sumCredit(credit, kind, 1) + freeS;
    return {
      ...base, solveTimeMs, solves: 1, heldS: all, heldAchievedS: freeS, heldPctOfRequested: pct(all), energyErrorKwh: Number.NaN,
      status: first.status === 'time-limit' ? 'time-limit' : 'error', held: new Uint8Array(n), errorKw: new Float64Array(n).fill(NaN),
      message: `phase 1: ${first.status}${first.message ? ` (${first.message})` : ''}`,
    };
  }

  // Phase 2: the MILP.
  let minCredit = Infinity;
  let maxAbsKwh = 0;
  for (let i = 0; i < n; i++) if (kind[i] === 1) minCredit = Math.min(minCredit, credit[i]!);
  for (let k = 0; k < n; k++) if (validErr[k] && credit[k]! > 0) maxAbsKwh += Math.max(Math.abs(eLo[k]!), Math.abs(eHi[k]!)) * (credit[k]! / 3600);
  const slackS = 0.01 * minCredit;
  const eps = maxAbsKwh > 0 ? slackS / maxAbsKwh : 0;
  const mip = buildModel(p, { r, validErr, credit, kind, winFrom, eLo, eHi }, 'mip', eps);
  const sol = solver.solve(mip.builder.build('maximize'), { timeLimitS: p.timeLimitS ?? 20, mipAbsGap: 0.5 * minCredit, mipRelGap: 0 });
  solveTimeMs += sol.solveTimeMs ?? 0;
  const allS = sumCredit(credit, kind, 1) + freeS;
  if (sol.status === 'infeasible' || (sol.status === 'error' && !sol.values)) {
    return {
      ...base, solveTimeMs, solves: 2, heldS: allS, heldAchievedS: freeS, heldPctOfRequested: pct(allS), energyErrorKwh: Number.NaN,
      status: sol.status === 'infeasible' ? 'infeasible' : 'error', held: new Uint8Array(n), errorKw: new Float64Array(n).fill(NaN),
      message: `phase 2: ${sol.status}${sol.message ? ` (${sol.message})` : ''}`,
    };
  }
  const { held, errorKw, energyKwh, heldS: achievedCandS } = sol.values
    ? readSchedule(sol, mip.cols, kind, credit, n, dtH)
    : { held: new Uint8Array(n), errorKw: new Float64Array(n).fill(NaN), energyKwh: Number.NaN, heldS: 0 };
  const achieved = achievedCandS + freeS;
  // The proven bound on Σ w·h − ε∫|e|; ∫|e| ≤ maxAbsKwh, so Σ w·h ≤ bound + slackS.
  const upper = Number.isFinite(sol.bound) ? Math.min(allS, latticeFloor(sol.bound + slackS, credit, kind) + freeS) : allS;
  const heldS = Math.max(achieved, upper);
  return {
    ...base,
    solveTimeMs,
    solves: 2,
    heldS,
    heldAchievedS: achieved,
    heldPctOfRequested: pct(heldS),
    energyErrorKwh: energyKwh,
    status: sol.status === 'optimal' ? 'optimal' : sol.status === 'time-limit' ? 'time-limit' : 'error',
    held,
    errorKw,
    ...(sol.status === 'optimal' ? {} : { message: `phase 2: ${sol.status}${sol.message ? ` (${sol.message})` : ''}` }),
  };
}

/**
 * The largest sum of candidate credits that is ≤ `u`: held time is a sum of whole samples' credits, so a
 * proven bound between two such sums is as good as the lower one. Credits are one step each, except at
 * most a partial last sample at the requested end; with any other mix `u` is returned as it is.
 */
function latticeFloor(u: number, credit: Float64Array, kind: Uint8Array): number {
  let full = 0;
  for (let i = 0; i < credit.length; i++) if (kind[i] === 1) full = Math.max(full, credit[i]!);
  if (full <= 0) return u;
  let partial = 0;
  for (let i = 0; i < credit.length; i++) {
    if (kind[i] !== 1 || Math.abs(credit[i]! - full) < 1e-9) continue;
    if (partial > 0) return u; // two partial samples: not the shape this rounding knows
    partial = credit[i]!;
  }
  const tol = 1e-6 * full;
  let best = Math.floor((u + tol) / full) * full;
  if (partial > 0 && u + tol >= partial) best = Math.max(best, Math.floor((u - partial + tol) / full) * full + partial);
  return Math.min(u, best);
}

/** The storage's power limit at step k, kW. */
function storageLimitKw(s: BoundStorage, k: number): number {
  const l = s.powerLimitKw?.[k];
  return l === undefined || !Number.isFinite(l) ? s.powerKw : Math.max(0, Math.min(s.powerKw, l));
}

function sumCredit(credit: Float64Array, kind: Uint8Array, which: number): number {
  let s = 0;
  for (let i = 0; i < credit.length; i++) if (kind[i] === which) s += credit[i]!;
  return s;
}

export interface Prepared {
  r: Float64Array;
  validErr: Uint8Array;
  credit: Float64Array;
  kind: Uint8Array;
  winFrom: Int32Array;
  eLo: Float64Array;
  eHi: Float64Array;
}

export function buildModel(p: BoundProblem, q: Prepared, mode: 'lp' | 'mip', eps: number): { builder: SparseModelBuilder; cols: Columns } {
  const n = p.uncontrolledKw.length;
  const dtS = p.stepS;
  const dtH = dtS / 3600;
  const m = new SparseModelBuilder();
  // Per step, the columns of the controllable power at the breaker: (column, coefficient).
  const powerCols: number[][] = Array.from({ length: n }, () => []);
  const powerCoefs: number[][] = Array.from({ length: n }, () => []);

  for (const s of p.storages) {
    const eta = Math.sqrt(s.roundTripEfficiency);
    const allowance = Math.max(0, s.allowanceKwh ?? 0);
    const eMin = Math.min(s.minKwh, s.initialKwh.min) - allowance;
    const eMax = Math.max(s.maxKwh, s.initialKwh.max) + allowance;
    let prev = m.addCol(s.initialKwh.min, s.initialKwh.max);
    for (let k = 0; k < n; k++) {
      const limitKw = storageLimitKw(s, k);
      const c = m.addCol(0, limitKw);
      const d = m.addCol(0, limitKw);
      const e = m.addCol(eMin, eMax);
      m.addRow(0, 0, [e, prev, c, d], [1, -1, -eta * dtH, dtH / eta]);
      m.addRow(-Infinity, limitKw, [c, d], [1, 1]);
      powerCols[k]!.push(c, d);
      powerCoefs[k]!.push(1, -1);
      prev = e;
    }
  }
  for (const f of p.heatPumps) {
    const alpha = Math.exp((-f.lossKwPerK * dtS) / (f.capacityKwhPerK * 3600));
    const gain = ((1 - alpha) * f.cop) / (f.count * f.lossKwPerK);
    let prev = m.addCol(f.initialC.min, f.initialC.max);
    for (let k = 0; k < n; k++) {
      const x = m.addCol(0, f.count * f.powerKw);
      const temp = m.addCol(Math.min(f.minC[k]!, f.maxC[k]!), Math.max(f.minC[k]!, f.maxC[k]!));
      const out = p.outdoorC[k]!;
      m.addRow((1 - alpha) * out, (1 - alpha) * out, [temp, prev, x], [1, -alpha, -gain]);
      powerCols[k]!.push(x);
      powerCoefs[k]!.push(1);
      prev = temp;
    }
  }
  for (let k = 0; k < n; k++) {
    const y = p.curtailableKw[k] ?? 0;
    if (y > 0) {
      powerCols[k]!.push(m.addCol(0, y));
      powerCoefs[k]!.push(1);
    }
  }

  const cols: Columns = { e: new Int32Array(n).fill(-1), abs: new Int32Array(n).fill(-1), held: new Int32Array(n).fill(-1) };
  for (let k = 0; k < n; k++) {
    if (!q.validErr[k]) continue;
    const e = m.addCol(q.eLo[k]!, q.eHi[k]!);
    cols.e[k] = e;
    // e − Σ power = r
    m.addRow(q.r[k]!, q.r[k]!, [e, ...powerCols[k]!], [1, ...powerCoefs[k]!.map((c) => -c)]);
    if (q.credit[k]! > 0) {
      const wKwh = q.credit[k]! / 3600;
      const a = m.addCol(0, Infinity, mode === 'lp' ? wKwh : -eps * wKwh);
      cols.abs[k] = a;
      m.addRow(0, Infinity, [a, e], [1, -1]);
      m.addRow(0, Infinity, [a, e], [1, 1]);
    }
  }
  void dtH;

  const settledBy = addSettling(p, q, mode, m, cols);

  for (let i = 0; i < n; i++) {
    if (q.kind[i] !== 1) continue;
    const wc: number[] = [];
    let lo = 0;
    let hi = 0;
    for (let j = q.winFrom[i]!; j <= i; j++) {
      if (cols.e[j]! < 0) continue;
      wc.push(cols.e[j]!);
      lo += q.eLo[j]!;
      hi += q.eHi[j]!;
    }
    const band = p.toleranceKw[i]! * wc.length;
    const ones = wc.map(() => 1);
    if (mode === 'lp') {
      m.addRow(-band, band, wc, ones);
      continue;
    }
    const h = m.addCol(0, 1, q.credit[i]!, true);
    cols.held[i] = h;
    const mUp = Math.max(0, hi - band);
    const mDown = Math.max(0, -band - lo);
    // Σe ≤ band + M⁺(1 − h)   and   Σe ≥ −band − M⁻(1 − h)
    if (mUp > 0) m.addRow(-Infinity, band + mUp, [...wc, h], [...ones, mUp]);
    if (mDown > 0) m.addRow(-band - mDown, Infinity, [...wc, h], [...ones, -mDown]);
    const settled = settledBy.get(i);
    if (settled === -1) m.addRow(-Infinity, 0, [h], [1]);
    else if (settled !== undefined) m.addRow(-Infinity, 0, [h, settled], [1, -1]);
  }
  return { builder: m, cols };
}

/** Valid samples that must be in band, one after another, for a run to count as settled (`run-kpis.ts`). */
const CONSECUTIVE_TO_SETTLE = 3;

/**
 * The held rule's settling (KPI.md: "samples before first settling are not held"; `run-kpis.ts`: the first
 * valid sample from which it and the next two valid samples are in band, instantaneously). Without it the
 * bound held the very samples it over-corrected beyond the band after an unavoidable first error.
 *
 * MILP: a binary z_j per valid sample j that may start the settling (it and the next two valid samples
 * within ±b, big-M from their power range), Σ z ≤ 1, and a candidate i held only if some z_j, j ≤ i, is
 * 1. (The rule's first settled sample is then at or before the chosen j, so every held sample is held by
 * the rule too; and a controller's own first settled sample is one of the choices.) Only the first `SETTLE_HORIZON_S` of the run are modelled: a later sample is not constrained by
 * settling (a relaxation, so the bound stays a bound). LP (phase 1, every candidate held): the settling
 * starts at the last valid sample at or before the first candidate — one choice of the MILP's, so an
 * infeasible phase 1 only sends the problem on to the MILP.
 */
function addSettling(p: BoundProblem, q: Prepared, mode: 'lp' | 'mip', m: SparseModelBuilder, cols: Columns): Map<number, number> {
  /** Per candidate inside the horizon, the column "settled by then" (−1: it cannot be yet). */
  const settledBy = new Map<number, number>();
  const n = p.uncontrolledKw.length;
  const valid: number[] = [];
  for (let k = 0; k < n; k++) if (cols.e[k]! >= 0) valid.push(k);
  const inBandRows = (k: number, z: number | null): void => {
    const b = p.toleranceKw[k]!;
    const e = cols.e[k]!;
    if (z === null) {
      m.addRow(-b, b, [e], [1]);
      return;
    }
    const mUp = Math.max(0, q.eHi[k]! - b);
    const mDown = Math.max(0, -b - q.eLo[k]!);
    // e ≤ b + M⁺(1 − z)   and   e ≥ −b − M⁻(1 − z)
    if (mUp > 0) m.addRow(-Infinity, b + mUp, [e, z], [1, mUp]);
    if (mDown > 0) m.addRow(-b - mDown, Infinity, [e, z], [1, -mDown]);
  };
  if (mode === 'lp') {
    let first = -1;
    for (let i = 0; i < n && first < 0; i++) if (q.kind[i] === 1) first = i;
    if (first < 0) return settledBy;
    let at = -1;
    for (let v = 0; v < valid.length && valid[v]! <= first; v++) at = v;
    if (at < 0) at = 0;
    for (let v = at; v < Math.min(valid.length, at + CONSECUTIVE_TO_SETTLE); v++) inBandRows(valid[v]!, null);
    return settledBy;
  }
  const horizonMs = SETTLE_HORIZON_S * 1000;
  const zs: number[] = [];
  let cumulative = -1;
  let v = 0;
  for (let i = 0; i < n && i * p.stepS * 1000 < horizonMs; i++) {
    // Samples up to i may start the settling: a z for each valid one with two valid samples after it.
    while (v < valid.length && valid[v]! <= i) {
      if (v + CONSECUTIVE_TO_SETTLE - 1 < valid.length) {
        const z = m.addCol(0, 1, 0, true);
        zs.push(z);
        for (let w = v; w < v + CONSECUTIVE_TO_SETTLE; w++) inBandRows(valid[w]!, z);
        // The settled indicator by i: the running sum of the z's so far.
        const c = m.addCol(0, 1);
        m.addRow(0, 0, cumulative < 0 ? [c, z] : [c, cumulative, z], cumulative < 0 ? [1, -1] : [1, -1, -1]);
        cumulative = c;
      }
      v++;
    }
    if (q.kind[i] === 1) {
      if (cumulative < 0) settledBy.set(i, -1);
      else settledBy.set(i, cumulative);
    }
  }
  if (zs.length > 1) m.addRow(-Infinity, 1, zs, zs.map(() => 1));
  return settledBy;
}

/** How much of a run's start the bound models settling for, s. */
const SETTLE_HORIZON_S = 120;

function readSchedule(
  sol: MipSolution,
  cols: Columns,
  kind: Uint8Array,
  credit: Float64Array,
  n: number,
  dtH: number,
): { held: Uint8Array; errorKw: Float64Array; energyKwh: number; heldS: number } {
  const v = sol.values!;
  const held = new Uint8Array(n);
  const errorKw = new Float64Array(n).fill(NaN);
  let energyKwh = 0;
  let heldS = 0;
  for (let k = 0; k < n; k++) {
    if (cols.e[k]! >= 0) errorKw[k] = v[cols.e[k]!]!;
    if (cols.abs[k]! >= 0) energyKwh += Math.abs(v[cols.e[k]!]!) * (credit[k]! / 3600);
    if (kind[k] === 2) held[k] = 1;
    else if (kind[k] === 1) {
      const h = cols.held[k]!;
      if (h < 0 || v[h]! > 0.5) {
        held[k] = 1;
        heldS += credit[k]!;
      }
    }
  }
  void dtH;
  return { held, errorKw, energyKwh, heldS };
}
