/**
 * The 15-minute optimiser: over the rest of the run plus a look-ahead, one linear programme chooses the
 * household-storage fleets' power, the heat-pump fleets' shifts inside their comfort bands, PV curtailment
 * (last resort) and the BESS energy trajectory, so that the FORECAST breaker power stays on target. The BESS
 * power per slot is the feed-forward for the 10-second loop, which corrects the forecast's error with the
 * BESS power kept free for it. Solved on HiGHS through the injected `LpSolver`.
 *
 * ## Formulation (slot k = 0 … K−1 of length Δt_k h; all sums over k unless noted)
 * Every slot is `stepS` long except slot 0, which is `firstSlotS` (what is left of the slot under way when the
 * plan is made part-way through it, e.g. in a shortage); Δt below is each slot's own length.
 * Data: residual forecast r_k (loads + PV incl. curtailable, kW), fixed power of unavailable units f (kW),
 * target P*_k (NaN = none) and tolerance τ_k, outdoor temperature T_out,k, curtailable PV c̄_k ≥ 0.
 *
 * Variables (all ≥ 0 unless said):
 * - BESS: charge bc_k, discharge bd_k ≤ P_bess; energy bs_k (k = 1…K) in [E_min, E_max];
 *   reserve overrun bu_k, bv_k.
 * - Household fleet f (one per `householdStorage` asset, available members pooled): charge hc_f,k,
 *   discharge hd_f,k ≤ Σ ratings; energy hs_f,k in [Σ E_min, Σ E_max].
 * - Heat-pump fleet g (one per `heatPump` asset): electrical power pw_g,k in [h⁻_g,k, h⁺_g,k] (the bounds
 *   come from the members' min on/off times: a member that must stay on adds to h⁻, one that must stay
 *   off takes from h⁺, pro rata of the slot); heat state th_g,k = Σ C_i·(T_i − T_min,i) (kWh thermal above
 *   the comfort minimum); comfort slacks cl_g,k, cu_g,k.
 * - Curtailment ct_k ≤ c̄_k. Breaker deviation in the band ip_k, in_k ≤ τ_k; outside op_k, on_k.
 *   Connection overrun gp_k, gn_k. Terminal: tp, tn per storage; td_g per heat-pump fleet.
 *
 * Breaker forecast: P_B,k = r_k + f + bc_k − bd_k + Σ_f (hc_f,k − hd_f,k) + Σ_g pw_g,k + ct_k.
 * Constraints:
 * - tracking (slots with a target):  P_B,k − P*_k = ip_k − in_k + op_k − on_k
 * - do no harm (slots with a target):  |P_B,k − P*_k| ≤ max(|P_B,k(idle) − P*_k|, τ_k) + hz_k, where
 *   P_B,k(idle) = r_k + f + Σ h⁻_g,k is the breaker with every asset idle; hz_k costs 10·W_out. Without it the
 *   LP would, with linear costs, happily make the breaker worse now to be better later (e.g. empty a nearly
 *   full battery against an import target to refill it next slot) — optimal for the energy error, but not
 *   what an operator may ever see the EMS do.
 * - connection:  −L − gn_k ≤ P_B,k ≤ L + gp_k
 * - storage energy (η = √round-trip):  s_{k+1} = s_k + Δt·(η·c_k − d_k/η), s_0 = now
 * - BESS reserve:  bc_k − bd_k ≤ P − R + bu_k,  bd_k − bc_k ≤ P − R + bv_k   (R = `bessReserveKw`)
 * - heat (exact discretisation of C·dT/dt = COP·P − UA·(T − T_out), a = e^(−UA·Δt/C)):
 *   th_{k+1} = a·th_k + (1 − a)·C·(T_out,k − T_min) + (1 − a)·(C·COP/UA)·pw_k
 *   C·m − cl_k ≤ th_k ≤ C·(T_max − T_min) − C·m + cu_k   (m = `comfortMarginK`)
 * - terminal:  s_K − s_ref = tp − tn (s_ref at `terminalSocFraction` of the usable range);  th_K + td ≥ th_0
 *
 * Objective (minimise, each term × Δt so weights are per kWh; defaults in `DEFAULT_WEIGHTS`):
 *   W_out·w_k·(op + on) + W_in·(ip + in) + W_res·(bu + bv) + W_curt·ct + W_thr·(charge + discharge)
 *   + W_hp·pw + W_comf·(cl + cu) + W_conn·(gp + gn) + W_term·(tp + tn) + W_heat·td,
 * with w_k falling linearly from 1.5 (now) to 1 (horizon end): a deviation now costs more than one later,
 * so the use case in force is never broken to prepare for a later one, and when the target cannot be held
 * to the end the shortfall is pushed as late as possible. W_out ≫ W_in: when flexibility is short the
 * optimiser aims at the band edge to save energy; when it is plentiful it aims at the target.
 *
 * LP relaxation of the storages: charge and discharge in one slot could in principle both be positive (the
 * LP could burn energy at a full battery). After the solve any slot where both are (> 1e−4 kW) is fixed to
 * the direction of its net power and the LP solved again, until no such slot is left, so every plan is physical.
 *
 * Disaggregation (members):
 * - storages: per slot, the fleet power is shared in proportion to each member's available energy in that
 *   direction (room to charge, energy to discharge), water-filled against the power ratings, and each
 *   member's energy is stepped forward — members drain or fill together, as the pooled model assumes;
 * - heat pumps: per slot, n = round(P_fleet/P_unit) units on; a member bound by its min on/off time keeps
 *   its state; a member that would leave its comfort band in the slot is switched back (if min on/off
 *   allow), and one whose switch, held for its minimum time, would leave the band is not switched (the
 *   device refuses it); the rest, already-on first then coldest first (when more on is wanted), fill up to n; each
 *   member's temperature is stepped with its own thermal model.
 */
import type { LpSolution, LpSolver } from './lp.js';
import { LpModel } from './lp.js';
import {
  DEFAULT_WEIGHTS,
  type DispatchPlan,
  type DispatchProblem,
  type HeatPumpFleetInput,
  type HeatPumpFleetPlan,
  type HeatPumpUnitState,
  type ObjectiveTerms,
  type ObjectiveWeights,
  type StorageFleetInput,
  type StorageFleetPlan,
  type StorageUnitState,
} from './types.js';

export class OptimiserInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'OptimiserInputError';
  }
}

type Category = Exclude<keyof ObjectiveTerms, 'total'>;

/** Solves allowed for fixing storage directions (the first solve included). */
const MAX_DIRECTION_ROUNDS = 6;

interface PooledStorage {
  prefix: string;
  powerKw: number;
  /**
   * Power limits by direction: members that are empty now get no discharge share (sharing is by available
   * energy), full ones no charge share, so only the others' ratings count; slot 0 is further limited by
   * what each member can still take or give within the slot.
   */
  chargeKw: number;
  dischargeKw: number;
  chargeKwSlot0: number;
  dischargeKwSlot0: number;
  e0: number;
  eMin: number;
  eMax: number;
  eta: number;
  eRef: number;
}

interface StorageColumns {
  charge: string[];
  discharge: string[];
  energy: string[];
}

function poolStorages(prefix: string, units: StorageUnitState[], terminalFraction: number, dtH: number): PooledStorage {
  let powerKw = 0;
  let e0 = 0;
  let eMin = 0;
  let eMax = 0;
  let etaSum = 0;
  let chargeKw = 0;
  let dischargeKw = 0;
  let chargeKwSlot0 = 0;
  let dischargeKwSlot0 = 0;
  for (const u of units) {
    powerKw += u.powerRatingKw;
    const eta = Math.sqrt(u.roundTripEfficiency);
    const roomKwh = Math.max(0, ((u.socMaxPct - u.socPct) / 100) * u.energyKwh);
    const availKwh = Math.max(0, ((u.socPct - u.socMinPct) / 100) * u.energyKwh);
    if (roomKwh > 1e-9) chargeKw += u.powerRatingKw;
    if (availKwh > 1e-9) dischargeKw += u.powerRatingKw;
    chargeKwSlot0 += Math.min(u.powerRatingKw, roomKwh / (eta * dtH));
    dischargeKwSlot0 += Math.min(u.powerRatingKw, (availKwh * eta) / dtH);
    e0 += (u.socPct / 100) * u.energyKwh;
    eMin += (u.socMinPct / 100) * u.energyKwh;
    eMax += (u.socMaxPct / 100) * u.energyKwh;
    etaSum += Math.sqrt(u.roundTripEfficiency);
  }
  const eta = units.length > 0 ? etaSum / units.length : 1;
  return {
    prefix,
    powerKw,
    chargeKw,
    dischargeKw,
    chargeKwSlot0,
    dischargeKwSlot0,
    e0,
    eMin,
    eMax,
    eta,
    eRef: eMin + terminalFraction * (eMax - eMin),
  };
}

function checkFinite(name: string, values: ArrayLike<number>, slots: number): void {
  if (values.length < slots) throw new OptimiserInputError(`${name}: expected ${slots} values (one per slot), got ${values.length}`);
  for (let k = 0; k < slots; k++) {
    if (!Number.isFinite(values[k]!)) throw new OptimiserInputError(`${name}[${k}]: expected a finite number, got ${values[k]} (fill forecast gaps before optimising)`);
  }
}

function validate(p: DispatchProblem): number {
  const slots = p.residualKw.length;
  if (slots === 0) throw new OptimiserInputError('residualKw: expected at least one slot');
  if (!(p.stepS > 0)) throw new OptimiserInputError(`stepS: expected a positive number of seconds, got ${p.stepS}`);
  if (p.firstSlotS !== undefined && !(p.firstSlotS > 0 && p.firstSlotS <= p.stepS)) {
    throw new OptimiserInputError(`firstSlotS: expected 0 < firstSlotS ≤ stepS (${p.stepS} s), got ${p.firstSlotS}`);
  }
  checkFinite('residualKw', p.residualKw, slots);
  if (p.curtailablePvKw) checkFinite('curtailablePvKw', p.curtailablePvKw, slots);
  if (p.targetKw.length < slots) throw new OptimiserInputError(`targetKw: expected ${slots} values (NaN = no target), got ${p.targetKw.length}`);
  checkFinite('toleranceKw', p.toleranceKw, slots);
  if (p.heatPumps.some((f) => f.members.some((m) => m.available))) checkFinite('outdoorC', p.outdoorC, slots);
  if (!(p.connectionLimitKw > 0)) throw new OptimiserInputError(`connectionLimitKw: expected > 0, got ${p.connectionLimitKw}`);
  const units = [...(p.bess ? [p.bess] : []), ...p.households.flatMap((f) => f.members)];
  for (const u of units) {
    if (!(u.energyKwh > 0) || !(u.powerRatingKw >= 0) || !(u.roundTripEfficiency > 0 && u.roundTripEfficiency <= 1) || !Number.isFinite(u.socPct)) {
      throw new OptimiserInputError(`storage ${u.id}: expected energyKwh > 0, powerRatingKw ≥ 0, 0 < roundTripEfficiency ≤ 1 and a finite socPct`);
    }
  }
  for (const f of p.heatPumps) {
    for (const m of f.members) {
      if (!(m.capacityKwhPerK > 0) || !(m.lossKwPerK >= 0) || !(m.cop > 0) || !Number.isFinite(m.indoorC) || !(m.indoorMaxC > m.indoorMinC)) {
        throw new OptimiserInputError(`heat pump ${m.id}: expected capacityKwhPerK > 0, lossKwPerK ≥ 0, cop > 0, a finite indoorC and indoorMaxC > indoorMinC`);
      }
    }
  }
  return slots;
}

/** Remaining forced time in a state, ms (0 when the unit is free to switch). */
function forcedMs(m: HeatPumpUnitState): number {
  return Math.max(0, (m.on ? m.minOnS : m.minOffS) * 1000 - m.msSinceSwitch);
}

/** Length of slot k, s: slot 0 may be the rest of the slot under way. */
export function slotLengthS(p: Pick<DispatchProblem, 'stepS' | 'firstSlotS'>, k: number): number {
  return k === 0 ? (p.firstSlotS ?? p.stepS) : p.stepS;
}

/**
 * Fleet power bounds per slot from the members' min on/off times (slot 0 is `firstSlotMs` long, the others
 * `stepMs`).
 */
export function heatPumpPowerBounds(members: HeatPumpUnitState[], slots: number, stepMs: number, firstSlotMs = stepMs): { lower: Float64Array; upper: Float64Array } {
  const lower = new Float64Array(slots);
  const upper = new Float64Array(slots);
  for (const m of members) {
    const forced = forcedMs(m);
    for (let k = 0; k < slots; k++) {
      const fromMs = k === 0 ? 0 : firstSlotMs + (k - 1) * stepMs;
      const lengthMs = k === 0 ? firstSlotMs : stepMs;
      const share = Math.min(1, Math.max(0, (forced - fromMs) / lengthMs));
      upper[k] = upper[k]! + m.powerKw * (m.on ? 1 : 1 - share);
      lower[k] = lower[k]! + m.powerKw * (m.on ? share : 0);
    }
  }
  return { lower, upper };
}

interface BuiltModel {
  model: LpModel;
  category: Map<string, Category>;
  bess: StorageColumns | null;
  bessPool: PooledStorage | null;
  fleets: Array<{ input: StorageFleetInput; members: StorageUnitState[]; pool: PooledStorage; cols: StorageColumns }>;
  hps: Array<{ input: HeatPumpFleetInput; members: HeatPumpUnitState[]; power: string[]; heat: string[]; capacity: number; tMinMean: number }>;
  curtail: string[];
  outOfBand: Array<[string, string] | null>;
  fixedKw: number;
}

function buildModel(p: DispatchProblem, slots: number): BuiltModel {
  const w: ObjectiveWeights = { ...DEFAULT_WEIGHTS, ...p.weights };
  const dtHOf = (k: number): number => slotLengthS(p, k) / 3600;
  const stepMs = p.stepS * 1000;
  const terminalFraction = p.terminalSocFraction ?? 0.5;
  const marginK = p.comfortMarginK ?? 0.1;
  const model = new LpModel();
  const category = new Map<string, Category>();
  // Costs are per kWh: a per-kW variable of slot k costs its weight × Δt_k.
  const v = (name: string, lo: number, hi: number, cost: number, cat: Category | null, dtH: number): string => {
    model.addVar(name, lo, hi, cost * dtH);
    if (cat) category.set(name, cat);
    return name;
  };
  // Terms of the controllable breaker power per slot.
  const breakerTerms: Array<Array<[string, number]>> = Array.from({ length: slots }, () => []);
  let fixedKw = 0;
  // Power the heat pumps must draw in each slot (min on times): part of "doing nothing".
  const forcedHeatPumpKw = new Float64Array(slots);

  const addStorage = (pool: PooledStorage): StorageColumns => {
    const cols: StorageColumns = { charge: [], discharge: [], energy: [] };
    const lo = Math.min(pool.eMin, pool.e0);
    const hi = Math.max(pool.eMax, pool.e0);
    for (let k = 0; k < slots; k++) {
      const dtH = dtHOf(k);
      cols.charge.push(v(`${pool.prefix}c${k}`, 0, k === 0 ? pool.chargeKwSlot0 : pool.chargeKw, w.throughput, 'throughput', dtH));
      cols.discharge.push(v(`${pool.prefix}d${k}`, 0, k === 0 ? pool.dischargeKwSlot0 : pool.dischargeKw, w.throughput, 'throughput', dtH));
      cols.energy.push(v(`${pool.prefix}s${k + 1}`, lo, hi, 0, null, dtH));
      breakerTerms[k]!.push([cols.charge[k]!, 1], [cols.discharge[k]!, -1]);
      const terms: Array<[string, number]> = [
        [cols.energy[k]!, 1],
        [cols.charge[k]!, -dtH * pool.eta],
        [cols.discharge[k]!, dtH / pool.eta],
      ];
      if (k > 0) terms.push([cols.energy[k - 1]!, -1]);
      model.addRow(`${pool.prefix}E${k}`, terms, '=', k === 0 ? pool.e0 : 0);
    }
    // Terminal balance: end where the storage lasts longest in either direction.
    const tp = v(`${pool.prefix}tp`, 0, Infinity, 0, 'terminalSoc', 1);
    const tn = v(`${pool.prefix}tn`, 0, Infinity, 0, 'terminalSoc', 1);
    model.addCost(tp, w.terminalSoc);
    model.addCost(tn, w.terminalSoc);
    model.addRow(`${pool.prefix}T`, [[cols.energy[slots - 1]!, 1], [tp, -1], [tn, 1]], '=', pool.eRef);
    return cols;
  };

  // BESS ---------------------------------------------------------------------------------------------
  let bess: StorageColumns | null = null;
  let bessPool: PooledStorage | null = null;
  if (p.bess && p.bess.available) {
    bessPool = poolStorages('b', [p.bess], terminalFraction, dtHOf(0));
    bess = addStorage(bessPool);
    const freeKw = Math.max(0, bessPool.powerKw - Math.max(0, p.bessReserveKw));
    for (let k = 0; k < slots; k++) {
      const bu = v(`bu${k}`, 0, Infinity, w.reserve, 'reserve', dtHOf(k));
      const bv = v(`bv${k}`, 0, Infinity, w.reserve, 'reserve', dtHOf(k));
      model.addRow(`bR${k}`, [[bess.charge[k]!, 1], [bess.discharge[k]!, -1], [bu, -1]], '<=', freeKw);
      model.addRow(`bQ${k}`, [[bess.discharge[k]!, 1], [bess.charge[k]!, -1], [bv, -1]], '<=', freeKw);
    }
  } else if (p.bess) fixedKw += p.bess.powerKw;

  // Household fleets -----------------------------------------------------------------------------------
  const fleets: BuiltModel['fleets'] = [];
  p.households.forEach((f, i) => {
    const members = f.members.filter((m) => m.available);
    for (const m of f.members) if (!m.available) fixedKw += m.powerKw;
    if (members.length === 0) return;
    const pool = poolStorages(`h${i}_`, members, terminalFraction, dtHOf(0));
    fleets.push({ input: f, members, pool, cols: addStorage(pool) });
  });

  // Heat-pump fleets -----------------------------------------------------------------------------------
  const hps: BuiltModel['hps'] = [];
  p.heatPumps.forEach((f, i) => {
    const members = f.members.filter((m) => m.available);
    for (const m of f.members) if (!m.available && m.on) fixedKw += m.powerKw;
    if (members.length === 0) return;
    let capacity = 0;
    let ua = 0;
    let copPower = 0;
    let power = 0;
    let heat0 = 0;
    let band = 0;
    let tMinC = 0;
    for (const m of members) {
      capacity += m.capacityKwhPerK;
      ua += m.lossKwPerK;
      copPower += m.cop * m.powerKw;
      power += m.powerKw;
      heat0 += m.capacityKwhPerK * (m.indoorC - m.indoorMinC);
      band += m.capacityKwhPerK * (m.indoorMaxC - m.indoorMinC);
      tMinC += m.capacityKwhPerK * m.indoorMinC;
    }
    const cop = copPower / power;
    const tMinMean = tMinC / capacity;
    const slot0S = slotLengthS(p, 0);
    const bounds = heatPumpPowerBounds(members, slots, stepMs, slot0S * 1000);
    // Slot 0, where each house's temperature is known: the members the disaggregation will not leave to the
    // plan (a house that would leave its band in the slot is switched back; a switch the device would refuse,
    // its minimum time outlasting the slot, is not made) bound the fleet power, so the plan never counts on
    // a member it cannot have. (Not modelled: a switch in a short slot 0 whose minimum time reaches into
    // slot 1. Linking the two slots for it was tried and measured worse, 0.2–1.2 points of held time on
    // faults-and-bad-data and summer-flex-exhaustion: it makes the plan shy of the switches a shortage
    // needs; the BESS loop takes the difference in slot 1.)
    for (const m of members) {
      if (forcedMs(m) > 0) continue;
      const tOut = p.outdoorC[0]!;
      if (stepIndoorC(m, m.indoorC, false, tOut, slot0S) < m.indoorMinC) bounds.lower[0] = bounds.lower[0]! + m.powerKw;
      else if (stepIndoorC(m, m.indoorC, true, tOut, slot0S) > m.indoorMaxC) bounds.upper[0] = bounds.upper[0]! - m.powerKw;
      else if (!m.on && stepIndoorC(m, m.indoorC, true, tOut, Math.max(slot0S, m.minOnS)) > m.indoorMaxC) bounds.upper[0] = bounds.upper[0]! - m.powerKw;
      else if (m.on && stepIndoorC(m, m.indoorC, false, tOut, Math.max(slot0S, m.minOffS)) < m.indoorMinC) bounds.lower[0] = bounds.lower[0]! + m.powerKw;
    }
    for (let k = 0; k < slots; k++) forcedHeatPumpKw[k] = forcedHeatPumpKw[k]! + bounds.lower[k]!;
    const hLo = capacity * marginK;
    const hHi = band - capacity * marginK;
    const powerCols: string[] = [];
    const heatCols: string[] = [];
    for (let k = 0; k < slots; k++) {
      const dtH = dtHOf(k);
      const a = ua > 0 ? Math.exp((-ua * dtH) / capacity) : 1;
      const gainPerKw = ua > 0 ? ((1 - a) * capacity * cop) / ua : dtH * cop;
      powerCols.push(v(`p${i}_${k}`, bounds.lower[k]!, bounds.upper[k]!, w.heatPumpEnergy, 'heatPumpEnergy', dtH));
      heatCols.push(v(`t${i}_${k + 1}`, -Infinity, Infinity, 0, null, dtH));
      breakerTerms[k]!.push([powerCols[k]!, 1]);
      const lossTerm = ua > 0 ? (1 - a) * capacity * (p.outdoorC[k]! - tMinMean) : 0;
      const terms: Array<[string, number]> = [
        [heatCols[k]!, 1],
        [powerCols[k]!, -gainPerKw],
      ];
      if (k > 0) terms.push([heatCols[k - 1]!, -a]);
      model.addRow(`tH${i}_${k}`, terms, '=', (k === 0 ? a * heat0 : 0) + lossTerm);
      const cl = v(`l${i}_${k}`, 0, Infinity, w.comfort, 'comfort', dtH);
      const cu = v(`u${i}_${k}`, 0, Infinity, w.comfort, 'comfort', dtH);
      model.addRow(`tL${i}_${k}`, [[heatCols[k]!, 1], [cl, 1]], '>=', hLo);
      model.addRow(`tU${i}_${k}`, [[heatCols[k]!, 1], [cu, -1]], '<=', hHi);
    }
    const td = v(`td${i}`, 0, Infinity, 0, 'terminalHeat', 1);
    model.addCost(td, w.terminalHeat);
    model.addRow(`tT${i}`, [[heatCols[slots - 1]!, 1], [td, 1]], '>=', Math.min(Math.max(heat0, hLo), hHi));
    hps.push({ input: f, members, power: powerCols, heat: heatCols, capacity, tMinMean });
  });

  // Curtailment, tracking, connection --------------------------------------------------------------------
  const curtail: string[] = [];
  const outOfBand: Array<[string, string] | null> = [];
  for (let k = 0; k < slots; k++) {
    const dtH = dtHOf(k);
    const cap = p.curtailablePvKw ? Math.max(0, -p.curtailablePvKw[k]!) : 0;
    if (cap > 0) {
      curtail.push(v(`ct${k}`, 0, cap, w.curtailment, 'curtailment', dtH));
      breakerTerms[k]!.push([curtail[k]!, 1]);
    } else curtail.push('');
    const base = p.residualKw[k]! + fixedKw;
    const target = p.targetKw[k]!;
    if (Number.isFinite(target)) {
      const tol = Math.max(0, p.toleranceKw[k]!);
      const timeWeight = 1 + 0.5 * (slots > 1 ? (slots - 1 - k) / (slots - 1) : 1);
      const ip = v(`ip${k}`, 0, tol, w.inBand, 'inBand', dtH);
      const inn = v(`in${k}`, 0, tol, w.inBand, 'inBand', dtH);
      const op = v(`op${k}`, 0, Infinity, w.outOfBand * timeWeight, 'outOfBand', dtH);
      const on = v(`on${k}`, 0, Infinity, w.outOfBand * timeWeight, 'outOfBand', dtH);
      model.addRow(`D${k}`, [...breakerTerms[k]!, [ip, -1], [inn, 1], [op, -1], [on, 1]], '=', target - base);
      outOfBand.push([op, on]);
      // Do no harm: never push the breaker further from the target than doing nothing would leave it.
      const idleDeviationKw = Math.max(Math.abs(base + forcedHeatPumpKw[k]! - target), tol);
      const hz = v(`hz${k}`, 0, Infinity, w.outOfBand * 10, 'outOfBand', dtH);
      model.addRow(`Z${k}`, [...breakerTerms[k]!, [hz, -1]], '<=', target + idleDeviationKw - base);
      model.addRow(`Y${k}`, [...breakerTerms[k]!, [hz, 1]], '>=', target - idleDeviationKw - base);
    } else outOfBand.push(null);
    const gp = v(`gp${k}`, 0, Infinity, w.connection, 'connection', dtH);
    const gn = v(`gn${k}`, 0, Infinity, w.connection, 'connection', dtH);
    model.addRow(`G${k}`, [...breakerTerms[k]!, [gp, -1]], '<=', p.connectionLimitKw - base);
    model.addRow(`H${k}`, [...breakerTerms[k]!, [gn, 1]], '>=', -p.connectionLimitKw - base);
  }
  return { model, category, bess, bessPool, fleets, hps, curtail, outOfBand, fixedKw };
}

/** Slots where a storage both charges and discharges in the LP solution. */
function simultaneous(cols: StorageColumns, values: Map<string, number>): number[] {
  const out: number[] = [];
  for (let k = 0; k < cols.charge.length; k++) {
    if (Math.min(values.get(cols.charge[k]!) ?? 0, values.get(cols.discharge[k]!) ?? 0) > 1e-4) out.push(k);
  }
  return out;
}

/**
 * Shares `fleetKw` over members in proportion to their available energy in that direction, water-filled
 * against the power ratings and the energy each can take or give in `dtH`. Returns per-member kW.
 */
export function shareStoragePower(
  fleetKw: number,
  members: ReadonlyArray<{ powerRatingKw: number; energyKwh: number; socMinPct: number; socMaxPct: number; roundTripEfficiency: number }>,
  energyKwh: ArrayLike<number>,
  dtH: number,
): Float64Array {
  const n = members.length;
  const out = new Float64Array(n);
  if (Math.abs(fleetKw) < 1e-9) return out;
  const charging = fleetKw > 0;
  // Per member: how much power it can take in this direction this slot, and its weight.
  const capKw = new Float64Array(n);
  const weight = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const m = members[i]!;
    const eta = Math.sqrt(m.roundTripEfficiency);
    const roomKwh = Math.max(0, (m.socMaxPct / 100) * m.energyKwh - energyKwh[i]!);
    const availKwh = Math.max(0, energyKwh[i]! - (m.socMinPct / 100) * m.energyKwh);
    weight[i] = charging ? roomKwh : availKwh;
    capKw[i] = Math.min(m.powerRatingKw, charging ? roomKwh / (eta * dtH) : (availKwh * eta) / dtH);
  }
  let remaining = Math.abs(fleetKw);
  let open = Array.from({ length: n }, (_, i) => i).filter((i) => weight[i]! > 0 && capKw[i]! > 0);
  while (remaining > 1e-9 && open.length > 0) {
    const total = open.reduce((s, i) => s + weight[i]!, 0);
    const next: number[] = [];
    let assigned = 0;
    for (const i of open) {
      const want = out[i]! + (remaining * weight[i]!) / total;
      const got = Math.min(capKw[i]!, want);
      assigned += got - out[i]!;
      out[i] = got;
      if (got < capKw[i]! - 1e-9) next.push(i);
    }
    remaining -= assigned;
    if (next.length === open.length) break;
    open = next;
  }
  if (!charging) for (let i = 0; i < n; i++) out[i] = -out[i]!;
  return out;
}

function disaggregateStorage(
  input: StorageFleetInput,
  members: StorageUnitState[],
  fleetKw: Float64Array,
  dtHOf: (k: number) => number,
): Pick<StorageFleetPlan, 'memberKw' | 'memberSocPct'> {
  const slots = fleetKw.length;
  const energy = Float64Array.from(members, (m) => (m.socPct / 100) * m.energyKwh);
  const memberKw = new Map<string, Float64Array>();
  const memberSocPct = new Map<string, Float64Array>();
  members.forEach((m, i) => {
    memberKw.set(m.id, new Float64Array(slots));
    const soc = new Float64Array(slots + 1);
    soc[0] = (energy[i]! / m.energyKwh) * 100;
    memberSocPct.set(m.id, soc);
  });
  for (let k = 0; k < slots; k++) {
    const dtH = dtHOf(k);
    const share = shareStoragePower(fleetKw[k]!, members, energy, dtH);
    members.forEach((m, i) => {
      const kw = share[i]!;
      const eta = Math.sqrt(m.roundTripEfficiency);
      energy[i] = energy[i]! + (kw > 0 ? kw * eta : kw / eta) * dtH;
      memberKw.get(m.id)![k] = kw;
      memberSocPct.get(m.id)![k + 1] = (energy[i]! / m.energyKwh) * 100;
    });
  }
  // Unavailable members: not dispatched; their SOC is unknown to the plan.
  for (const m of input.members) if (!m.available) memberKw.set(m.id, new Float64Array(slots).fill(Number.NaN));
  return { memberKw, memberSocPct };
}

/** Indoor temperature after `dtS` with the heat pump on or off (exact solution of the first-order model). */
export function stepIndoorC(m: HeatPumpUnitState, indoorC: number, on: boolean, outdoorC: number, dtS: number): number {
  const heatKw = on ? m.cop * m.powerKw : 0;
  if (m.lossKwPerK <= 0) return indoorC + (heatKw * dtS) / 3600 / m.capacityKwhPerK;
  const eqC = outdoorC + heatKw / m.lossKwPerK;
  return eqC + (indoorC - eqC) * Math.exp((-m.lossKwPerK * dtS) / 3600 / m.capacityKwhPerK);
}

/** Per-slot on/off of each member that realises the fleet power as closely as comfort and min on/off allow. */
export function disaggregateHeatPumps(
  members: HeatPumpUnitState[],
  fleetKw: ArrayLike<number>,
  outdoorC: ArrayLike<number>,
  stepS: number,
  firstSlotS = stepS,
): Pick<HeatPumpFleetPlan, 'memberOn' | 'memberIndoorC' | 'memberSwitch'> {
  const slots = fleetKw.length;
  const n = members.length;
  const on = Uint8Array.from(members, (m) => (m.on ? 1 : 0));
  const since = Float64Array.from(members, (m) => m.msSinceSwitch);
  const temp = Float64Array.from(members, (m) => m.indoorC);
  const memberOn = new Map<string, Uint8Array>();
  const memberIndoorC = new Map<string, Float64Array>();
  const memberSwitch = new Map<string, Uint8Array>();
  for (let i = 0; i < n; i++) {
    memberOn.set(members[i]!.id, new Uint8Array(slots));
    memberSwitch.set(members[i]!.id, new Uint8Array(slots));
    const t = new Float64Array(slots + 1);
    t[0] = temp[i]!;
    memberIndoorC.set(members[i]!.id, t);
  }
  const unitKw = members.reduce((s, m) => s + m.powerKw, 0) / Math.max(1, n);
  for (let k = 0; k < slots; k++) {
    const tOut = outdoorC[k]!;
    const slotS = k === 0 ? firstSlotS : stepS;
    const wantOn = Math.max(0, Math.min(n, Math.round(fleetKw[k]! / unitKw)));
    const next = new Int8Array(n).fill(-1); // -1 undecided, 0 off, 1 on
    const free: number[] = [];
    for (let i = 0; i < n; i++) {
      const m = members[i]!;
      const locked = since[i]! < (on[i] ? m.minOnS : m.minOffS) * 1000;
      if (locked) {
        next[i] = on[i]!;
        continue;
      }
      // Comfort first: a house that would leave its band in this slot is switched back into it.
      if (stepIndoorC(m, temp[i]!, false, tOut, slotS) < m.indoorMinC) next[i] = 1;
      else if (stepIndoorC(m, temp[i]!, true, tOut, slotS) > m.indoorMaxC) next[i] = 0;
      // A switch holds for the minimum time, which may outlast the slot: the device refuses one that would
      // leave the band within it, so the plan must not count on it.
      else if (!on[i] && stepIndoorC(m, temp[i]!, true, tOut, Math.max(slotS, m.minOnS)) > m.indoorMaxC) next[i] = 0;
      else if (on[i] && stepIndoorC(m, temp[i]!, false, tOut, Math.max(slotS, m.minOffS)) < m.indoorMinC) next[i] = 1;
      else free.push(i);
    }
    let count = 0;
    for (let i = 0; i < n; i++) if (next[i] === 1) count++;
    // Already-on first (no switch), then the coldest houses.
    free.sort((a, b) => on[b]! - on[a]! || temp[a]! - temp[b]!);
    for (const i of free) {
      if (count < wantOn) {
        next[i] = 1;
        count++;
      } else next[i] = 0;
    }
    for (let i = 0; i < n; i++) {
      const m = members[i]!;
      const state = next[i] === 1 ? 1 : 0;
      memberSwitch.get(m.id)![k] = state !== on[i] ? 1 : 0;
      if (state !== on[i]) {
        on[i] = state;
        since[i] = 0;
      }
      memberOn.get(m.id)![k] = state;
      temp[i] = stepIndoorC(m, temp[i]!, state === 1, tOut, slotS);
      since[i] = since[i]! + slotS * 1000;
      memberIndoorC.get(m.id)![k + 1] = temp[i]!;
    }
  }
  return { memberOn, memberIndoorC, memberSwitch };
}

function emptyTerms(): ObjectiveTerms {
  return {
    total: 0,
    outOfBand: 0,
    inBand: 0,
    reserve: 0,
    curtailment: 0,
    throughput: 0,
    heatPumpEnergy: 0,
    terminalSoc: 0,
    terminalHeat: 0,
    comfort: 0,
    connection: 0,
  };
}

function failedPlan(p: DispatchProblem, slots: number, message: string, size: { variables: number; constraints: number }, solveTimeMs: number | null, solves: number): DispatchPlan {
  const nan = (): Float64Array => new Float64Array(slots).fill(Number.NaN);
  return {
    status: 'failed',
    message,
    startMs: p.startMs,
    stepS: p.stepS,
    slots,
    breakerKw: nan(),
    deviationKw: nan(),
    outOfBandKw: nan(),
    bessKw: nan(),
    bessEnergyKwh: new Float64Array(0),
    households: [],
    heatPumps: [],
    curtailmentKw: nan(),
    predictedExhaustionAtMs: null,
    objective: { ...emptyTerms(), total: Number.NaN },
    solveTimeMs,
    lpSize: size,
    solves,
  };
}

/** Solves `model` by its numbers where the solver takes them (the same solution, without LP text), else as text. */
function solveLp(solver: LpSolver, model: LpModel): LpSolution {
  return solver.solveModel ? solver.solveModel(model.toModelData()) : solver.solve(model.toLpText());
}

/**
 * Builds and solves the dispatch LP (see the file comment) and disaggregates it to members.
 * @throws OptimiserInputError on malformed input (NaN forecast, wrong lengths, impossible asset data).
 */
export function optimiseDispatch(problem: DispatchProblem, solver: LpSolver): DispatchPlan {
  const slots = validate(problem);
  const dtHOf = (k: number): number => slotLengthS(problem, k) / 3600;
  const built = buildModel(problem, slots);
  const { model } = built;
  let solution = solveLp(solver, model);
  let solves = 1;
  let solveTimeMs = solution.solveTimeMs;
  if (solution.status !== 'optimal') {
    return failedPlan(problem, slots, solution.message ?? `LP ${solution.status}`, model.size, solveTimeMs, solves);
  }
  // Make every storage plan physical (see "LP relaxation of the storages"): fix the direction of each slot
  // where a storage charges and discharges at once, and solve again, until none is left (a re-solve may
  // move the cycling to another slot; each round fixes at least one slot, so this ends).
  const storages = [...(built.bess ? [built.bess] : []), ...built.fleets.map((f) => f.cols)];
  for (let round = 0; round < MAX_DIRECTION_ROUNDS; round++) {
    let fixed = 0;
    let cycling = 0;
    for (const cols of storages) cycling += simultaneous(cols, solution.values).length;
    if (cycling === 0) break;
    for (const cols of storages) {
      // First round: only the slots that cycle. If cycling moved elsewhere (as it does when the LP burns
      // energy to raise consumption in a shortage), fix every slot's direction by its net power at once:
      // the next solve is then physical by construction.
      const slotsToFix = round === 0 ? simultaneous(cols, solution.values) : cols.charge.map((_, k) => k);
      for (const k of slotsToFix) {
        const net = (solution.values.get(cols.charge[k]!) ?? 0) - (solution.values.get(cols.discharge[k]!) ?? 0);
        model.setUpper(net >= 0 ? cols.discharge[k]! : cols.charge[k]!, 0);
        fixed++;
      }
    }
    if (fixed === 0) break;
    if (round === MAX_DIRECTION_ROUNDS - 1) {
      return failedPlan(problem, slots, 'storages still charge and discharge at once after fixing directions', model.size, solveTimeMs, solves);
    }
    solution = solveLp(solver, model);
    solves++;
    if (solveTimeMs !== null && solution.solveTimeMs !== null) solveTimeMs += solution.solveTimeMs;
    if (solution.status !== 'optimal') {
      return failedPlan(problem, slots, solution.message ?? `LP ${solution.status} after fixing storage directions`, model.size, solveTimeMs, solves);
    }
  }
  const val = (name: string): number => (name ? (solution.values.get(name) ?? 0) : 0);

  // Read the plan back.
  const bessKw = new Float64Array(slots);
  const bessEnergyKwh = new Float64Array(built.bess ? slots + 1 : 0);
  if (built.bess && built.bessPool) {
    bessEnergyKwh[0] = built.bessPool.e0;
    for (let k = 0; k < slots; k++) {
      bessKw[k] = val(built.bess.charge[k]!) - val(built.bess.discharge[k]!);
      bessEnergyKwh[k + 1] = val(built.bess.energy[k]!);
    }
  } else if (problem.bess) bessKw.fill(problem.bess.powerKw);
  const households: StorageFleetPlan[] = built.fleets.map((f) => {
    const powerKw = new Float64Array(slots);
    const energyKwh = new Float64Array(slots + 1);
    energyKwh[0] = f.pool.e0;
    for (let k = 0; k < slots; k++) {
      powerKw[k] = val(f.cols.charge[k]!) - val(f.cols.discharge[k]!);
      energyKwh[k + 1] = val(f.cols.energy[k]!);
    }
    return { id: f.input.id, powerKw, energyKwh, ...disaggregateStorage(f.input, f.members, powerKw, dtHOf) };
  });
  const heatPumps: HeatPumpFleetPlan[] = built.hps.map((h) => {
    const powerKw = Float64Array.from(h.power, (c) => val(c));
    const meanIndoorC = new Float64Array(slots + 1);
    meanIndoorC[0] = h.members.reduce((s, m) => s + m.capacityKwhPerK * m.indoorC, 0) / h.capacity;
    for (let k = 0; k < slots; k++) meanIndoorC[k + 1] = h.tMinMean + val(h.heat[k]!) / h.capacity;
    return { id: h.input.id, powerKw, meanIndoorC, ...disaggregateHeatPumps(h.members, powerKw, problem.outdoorC, problem.stepS, slotLengthS(problem, 0)) };
  });
  const curtailmentKw = Float64Array.from(built.curtail, (c) => val(c));
  const breakerKw = new Float64Array(slots);
  const deviationKw = new Float64Array(slots);
  const outOfBandKw = new Float64Array(slots);
  const threshold = problem.exhaustionThresholdKw ?? 0.5;
  let predictedExhaustionAtMs: number | null = null;
  for (let k = 0; k < slots; k++) {
    // An unavailable BESS is in fixedKw already, at its last known power.
    let pb = problem.residualKw[k]! + built.fixedKw + (built.bess ? bessKw[k]! : 0) + curtailmentKw[k]!;
    for (const f of households) pb += f.powerKw[k]!;
    for (const h of heatPumps) pb += h.powerKw[k]!;
    breakerKw[k] = pb;
    const target = problem.targetKw[k]!;
    deviationKw[k] = Number.isFinite(target) ? pb - target : Number.NaN;
    const ob = built.outOfBand[k];
    outOfBandKw[k] = ob ? val(ob[0]) + val(ob[1]) : 0;
    if (predictedExhaustionAtMs === null && outOfBandKw[k]! > threshold) {
      // Slot 0 starts now, which is part-way through its grid slot when it is shorter than the rest.
      predictedExhaustionAtMs = problem.startMs + (k === 0 ? problem.stepS - slotLengthS(problem, 0) : k * problem.stepS) * 1000;
    }
  }
  const objective = emptyTerms();
  for (const [name, cat] of built.category) {
    const x = solution.values.get(name) ?? 0;
    if (x === 0) continue;
    objective[cat] += x * model.costOf(name);
  }
  objective.total = solution.objective;
  return {
    status: 'optimal',
    startMs: problem.startMs,
    stepS: problem.stepS,
    slots,
    breakerKw,
    deviationKw,
    outOfBandKw,
    bessKw,
    bessEnergyKwh,
    households,
    heatPumps,
    curtailmentKw,
    predictedExhaustionAtMs,
    objective,
    solveTimeMs,
    lpSize: model.size,
    solves,
  };
}
