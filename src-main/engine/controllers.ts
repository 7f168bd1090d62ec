/**
 * The control laws. A controller is `{ name, bessSetpointKw(), dispatch() }` (after OpenEMS's
 * `{ config, run() }`): pure functions of a snapshot the engine takes, so a test is a table of inputs and
 * expected outputs. The engine owns timing, safety and I/O; a controller only decides numbers.
 *
 * - `deadbeat`: the reference every other EMS uses (OpenEMS's balancing controller):
 *   `P_bess,new = P_bess,meas − (P_B,meas − P*)`, clamped to the BESS limits; no household dispatch.
 * - `lfc`: the same fast correction plus a feed-forward of the EMS's own dispatch changes (so the BESS
 *   never fights them), and a 15-minute fair-share dispatch of household storages and heat pumps that
 *   takes the slow part of the imbalance off the BESS, so all storages drain or fill together and the
 *   target is held as long as the community's energy allows. (A softer gain inside the tolerance band was
 *   tried and measured: it cost accuracy on every bundled scenario, so the correction is full.)
 */

/**
 * The controllers by name: the names are this interface's keys, so the type follows what is registered. A
 * new control law adds itself in its own module — `declare module './controllers' { interface
 * ControllerRegistry { mine: Controller } }` and `registerController({ name: 'mine', … })` — and every
 * `ControllerName` (the engine's config, the replay command's `--controller`) accepts it.
 */
export interface ControllerRegistry {
  lfc: Controller;
  deadbeat: Controller;
  oracle: Controller;
}

export type ControllerName = keyof ControllerRegistry;

export interface BessLoopInput {
  targetKw: number;
  breakerKw: number;
  /** BESS power measured at (or just before) the breaker sample's time. */
  bessPowerKw: number;
  bessRatingKw: number;
  bessSocPct: number;
  bessSocMinPct: number;
  bessSocMaxPct: number;
  toleranceKw: number;
  /**
   * How much the uncontrolled power changed per cycle over the last two cycles when it changed the same
   * way both times (a ramp, such as a cloud edge passing over the PV), else 0. `lfc` leads the ramp by one
   * cycle instead of trailing it; a single step gives no trend, so steps are not overshot.
   */
  rampPerCycleKw?: number;
}

export interface StorageMemberState {
  id: string;
  powerRatingKw: number;
  energyKwh: number;
  socPct: number;
  socMinPct: number;
  socMaxPct: number;
  /** Estimated power now (kW, load frame). */
  powerKw: number;
  available: boolean;
}

export interface HeatPumpMemberState {
  id: string;
  powerKw: number;
  on: boolean;
  indoorC: number;
  indoorMinC: number;
  indoorMaxC: number;
  msSinceSwitch: number;
  minOnS: number;
  minOffS: number;
  available: boolean;
  /** What the EMS dispatched and is still in force (true on, false off), or null/absent: its own thermostat. */
  dispatchedOn?: boolean | null;
}

export interface DispatchInput {
  /** Mean BESS power over the last dispatch period: the slow part of the imbalance it carried. */
  bessMeanKw: number;
  bess: StorageMemberState;
  households: StorageMemberState[];
  heatPumps: HeatPumpMemberState[];
  periodS: number;
}

export interface DispatchDecision {
  /** Setpoint per household storage member; absent = release to self-consumption. */
  householdKw: Map<string, number>;
  /** Dispatched on/off per heat pump; absent = release to its own thermostat. */
  heatPumpOn: Map<string, boolean>;
  /** What the dispatch expects the BESS to carry on average after it (for the record). */
  bessShareKw: number;
}

export interface Controller {
  readonly name: ControllerName;
  bessSetpointKw(input: BessLoopInput): number;
  dispatch(input: DispatchInput): DispatchDecision;
}

function clampBess(input: BessLoopInput, setpointKw: number): number {
  let p = Math.max(-input.bessRatingKw, Math.min(input.bessRatingKw, setpointKw));
  // Do not ask for what the state of charge forbids: it only winds up the loop.
  if (p > 0 && input.bessSocPct >= input.bessSocMaxPct) p = 0;
  if (p < 0 && input.bessSocPct <= input.bessSocMinPct) p = 0;
  return p;
}

export const deadbeatController: Controller = {
  name: 'deadbeat',
  bessSetpointKw(input) {
    return clampBess(input, input.bessPowerKw - (input.breakerKw - input.targetKw));
  },
  dispatch() {
    return { householdKw: new Map(), heatPumpOn: new Map(), bessShareKw: 0 };
  },
};

/** Share of a detected ramp that `lfc` leads by (below 1: a ramp that ends is overshot only partly). */
export const LFC_RAMP_GAIN = 1.0;
/** Smallest per-cycle change of the uncontrolled power that counts as a ramp, kW. */
export const RAMP_MIN_KW = 4;

/**
 * The ramp of the uncontrolled power from its last three values (one per BESS cycle): both changes in
 * the same direction and each beyond `RAMP_MIN_KW` → the smaller of the two, else 0.
 */
export function rampPerCycleKw(r0: number, r1: number, r2: number): number {
  const d1 = r1 - r0;
  const d2 = r2 - r1;
  if (!Number.isFinite(d1) || !Number.isFinite(d2) || Math.sign(d1) !== Math.sign(d2)) return 0;
  if (Math.abs(d1) < RAMP_MIN_KW || Math.abs(d2) < RAMP_MIN_KW) return 0;
  return Math.sign(d2) * Math.min(Math.abs(d1), Math.abs(d2));
}

/** Heat pumps are only shifted when the house has at least this margin to the comfort edge. */
export const HEAT_PUMP_MARGIN_K = 0.3;

export const lfcController: Controller = {
  name: 'lfc',
  bessSetpointKw(input) {
    const errorKw = input.breakerKw - input.targetKw;
    // The residual keeps moving by `rampPerCycleKw` until the next cycle acts: the BESS moves that much
    // further (in the load frame, more residual import means less BESS power).
    return clampBess(input, input.bessPowerKw - errorKw - LFC_RAMP_GAIN * (input.rampPerCycleKw ?? 0));
  },
  dispatch(input) {
    return fairShareDispatch(input);
  },
};

/**
 * Splits the storage power the community needs (what the BESS carried on average plus what the households
 * already do) over BESS and household storages in proportion to the energy each can still give in that
 * direction, bounded by each one's power rating (water-filling). Heat pumps then take over part of what is
 * left on the BESS by switching on (more demand wanted) or off (less), coldest or warmest house first,
 * inside their comfort band and never against min on/off times.
 */
export function fairShareDispatch(input: DispatchInput): DispatchDecision {
  const householdKw = new Map<string, number>();
  const heatPumpOn = new Map<string, boolean>();
  const hs = input.households.filter((h) => h.available);
  const hps = input.heatPumps.filter((h) => h.available);
  // What heat pumps already shift by dispatch is part of the need: a shift made in one slot is kept,
  // not undone and redone, in the next.
  const shiftKw = (h: HeatPumpMemberState): number => (h.dispatchedOn === true ? h.powerKw : h.dispatchedOn === false ? -h.powerKw : 0);
  const neededKw =
    input.bessMeanKw + hs.reduce((sum, h) => sum + h.powerKw, 0) + hps.reduce((sum, h) => sum + shiftKw(h), 0);
  const charging = neededKw > 0;
  const all = [input.bess, ...hs];
  const weight = (s: StorageMemberState): number =>
    Math.max(0, ((charging ? s.socMaxPct - s.socPct : s.socPct - s.socMinPct) / 100) * s.energyKwh);

  const shareKw = new Map<string, number>();
  let remainingKw = neededKw;
  let open = all.filter((s) => weight(s) > 0);
  for (let iter = 0; iter < all.length && open.length > 0 && Math.abs(remainingKw) > 1e-9; iter++) {
    const totalWeight = open.reduce((sum, s) => sum + weight(s), 0);
    const next: StorageMemberState[] = [];
    let assigned = 0;
    for (const s of open) {
      const current = shareKw.get(s.id) ?? 0;
      const want = current + (remainingKw * weight(s)) / totalWeight;
      const limited = Math.max(-s.powerRatingKw, Math.min(s.powerRatingKw, want));
      shareKw.set(s.id, limited);
      assigned += limited - current;
      if (Math.abs(limited) < s.powerRatingKw - 1e-9) next.push(s);
    }
    remainingKw -= assigned;
    open = next;
  }
  // A member with nothing to give in the needed direction (full, or empty) is released to
  // self-consumption rather than pinned at 0 kW.
  for (const h of hs) if (weight(h) > 0) householdKw.set(h.id, shareKw.get(h.id) ?? 0);
  let bessShareKw = (shareKw.get(input.bess.id) ?? 0) + remainingKw;

  // Heat pumps take over part of the BESS share in whole units: those already shifted that way first
  // (no churn), then the coldest (to switch on) or warmest (to switch off) house; inside the comfort
  // margin and never against min on/off times.
  if (bessShareKw > 0) {
    const keep = hps.filter((h) => h.dispatchedOn === true && h.indoorC < h.indoorMaxC - HEAT_PUMP_MARGIN_K);
    const fresh = hps
      .filter((h) => !h.on && h.dispatchedOn !== true && h.indoorC < h.indoorMaxC - HEAT_PUMP_MARGIN_K && h.msSinceSwitch >= h.minOffS * 1000)
      .sort((a, b) => a.indoorC - b.indoorC);
    for (const h of [...keep, ...fresh]) {
      if (bessShareKw < h.powerKw / 2) break;
      heatPumpOn.set(h.id, true);
      bessShareKw -= h.powerKw;
    }
  } else if (bessShareKw < 0) {
    const keep = hps.filter((h) => h.dispatchedOn === false && h.indoorC > h.indoorMinC + HEAT_PUMP_MARGIN_K);
    const fresh = hps
      .filter((h) => h.on && h.dispatchedOn !== false && h.indoorC > h.indoorMinC + HEAT_PUMP_MARGIN_K && h.msSinceSwitch >= h.minOnS * 1000)
      .sort((a, b) => b.indoorC - a.indoorC);
    for (const h of [...keep, ...fresh]) {
      if (-bessShareKw < h.powerKw / 2) break;
      heatPumpOn.set(h.id, false);
      bessShareKw += h.powerKw;
    }
  }
  return { householdKw, heatPumpOn, bessShareKw };
}

/**
 * `oracle` runs the same fast loop as `lfc`; what sets it apart is its planner (perfect foresight, see
 * `planner.ts`), which the engine is given with it.
 */
export const oracleController: Controller = { ...lfcController, name: 'oracle' };

const registered = new Map<string, Controller>();

/** Makes a controller known by its name (a second one under the same name replaces the first). */
export function registerController(controller: Controller): void {
  registered.set(controller.name, controller);
}

/** The names registered, in the order of registration. */
export function controllerNames(): ControllerName[] {
  return [...registered.keys()] as ControllerName[];
}

export function controllerByName(name: ControllerName): Controller {
  const c = registered.get(name);
  if (!c) throw new Error(`no controller ${JSON.stringify(name)} is registered (known: ${controllerNames().join(', ')})`);
  return c;
}

for (const c of [lfcController, deadbeatController, oracleController]) registerController(c);
