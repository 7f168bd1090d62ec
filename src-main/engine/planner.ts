/**
 * The slow half of the two-speed control: every 15 minutes (and on a trigger, and when the BESS drifts
 * from the plan) a planner forecasts the uncontrolled power of the community over the rest of the run plus
 * a look-ahead and asks the optimiser (`optimiser/dispatch.ts`, HiGHS) how household storages, heat pumps,
 * curtailable PV and the BESS should share the work. The engine applies the plan's current slot; the 10 s
 * BESS loop corrects what the forecast missed.
 *
 * Two planners share one interface:
 * - `ForecastPlanner` (controller `lfc`): knows only what the EMS knows — the weather forecast it was
 *   sent, the BDEW profiles of the loads, the PV plant data, and the residual it measured so far (it
 *   corrects the forecast from it, see `forecast/load-forecast.ts`).
 * - `OraclePlanner` (controller `oracle`): perfect foresight. It is given the TRUE uncontrolled power of
 *   every 15-minute slot of the whole scenario (loads, PV and recorded series as the plant will produce
 *   them), the true outdoor temperature and every trigger of the scenario in advance. At every planning
 *   moment it solves one optimisation over the whole rest of the scenario from the measured state, over
 *   the same asset limits, the same 15-minute dispatch cadence and the same 10 s BESS loop as `lfc`.
 *   (Solving once at the start and applying that plan open-loop was tried and measured worse than `lfc`:
 *   the states drift from the plan's within a few slots.) It may do anything `lfc` may do, knowing the
 *   future exactly at 15-minute resolution; it does not know the sub-15-minute fluctuations (the BESS loop
 *   takes those, as for `lfc`, and a shortage re-plan takes the measured last seconds for the slot under
 *   way, as `lfc`'s does). It is the reference to compare against, not a controller for the field.
 */
import type { ForecastError, LoadForecastAsset } from './forecast/load-forecast.js';
import { computeForecastError, profileLoadForecast, ResidualCorrector } from './forecast/load-forecast.js';
import type { PvForecastAsset } from './forecast/pv-forecast.js';
import { forecastPv } from './forecast/pv-forecast.js';
import type { HourlyWeatherForecast } from './forecast/weather.js';
import { interpolateInstantaneous } from './forecast/weather.js';
import type { LoadProfileLibrary } from './models/load/index.js';
import { optimiseDispatch } from './optimiser/dispatch.js';
import type { LpSolver } from './optimiser/lp.js';
import type { DispatchPlan, HeatPumpFleetInput, ObjectiveWeights, StorageFleetInput, StorageUnitState } from './optimiser/types.js';

export interface SlotTarget {
  targetKw: number;
  toleranceKw: number;
}

export interface PlanRequest {
  nowMs: number;
  /** End of the planning horizon (exclusive), UTC ms. */
  horizonEndMs: number;
  /** The target in force at a time, or null where no use case holds the breaker. */
  target: (timeMs: number) => SlotTarget | null;
  bess: StorageUnitState;
  households: StorageFleetInput[];
  heatPumps: HeatPumpFleetInput[];
  connectionLimitKw: number;
  bessReserveKw: number;
  /** Look back only this far for the nowcast of the slot under way (default: the planner's own window). */
  nowcastWindowMs?: number;
}

export interface PlanResult {
  plan: DispatchPlan;
  /** Curtailable PV the plan assumed per slot (≤ 0), to turn its curtailment into member limits. */
  curtailablePvKw: Float64Array;
  /** The uncontrolled power the plan assumed per slot (forecast, or the truth for the oracle), kW. */
  residualKw: Float64Array;
}

export interface Planner {
  readonly kind: 'forecast' | 'oracle';
  plan(req: PlanRequest): PlanResult;
  setWeather(weather: HourlyWeatherForecast | null): void;
  /** The measured uncontrolled power at a breaker sample, to learn from. */
  observeResidual(sampleMs: number, residualKw: number): void;
  /** The 15-minute residual forecast against what was measured, over the replay so far. */
  forecastError(): ForecastReport | null;
}

export interface ForecastReport {
  /** Forecast made at the last plan before each quarter hour started, against the quarter hour's measured mean. */
  residual: ForecastError;
  /** Correction factors learnt at the end (1 = the profile and the PV forecast were right). */
  loadScale: number;
  pvScale: number;
}

export interface PlannerSite {
  latitudeDeg: number;
  longitudeDeg: number;
  timeZone: string;
  country: string | undefined;
}

const SLOT_MS = 900_000;
/**
 * Weights the engine plans with (over the optimiser's defaults): moving energy from one storage to
 * another must cost more than it gains at the horizon's end, or the plan shuffles energy between the
 * BESS and the households (measured: on summer-flex-exhaustion the default terminal-SOC pull made the
 * households and the BESS trade ±60/±190 kW back and forth every re-plan).
 */
export const ENGINE_PLAN_WEIGHTS: Partial<ObjectiveWeights> = { throughput: 0.05, terminalSoc: 0 };
/** The longest horizon a plan covers, in slots (12 h), to bound the solve time. */
const MAX_SLOTS = 48;
const FALLBACK_OUTDOOR_C = 10;
/** How far back the nowcast of the slot under way looks. */
const NOWCAST_WINDOW_MS = 600_000;
/** A last-minute mean this far from the window's mean is taken as a new regime. */
const NOWCAST_REGIME_CHANGE_KW = 30;

/**
 * The measured residual of the last minutes, for a nowcast of the slot under way: its mean, if there are
 * enough fresh samples to trust it; the last minute alone when it has moved far from that mean (a cloud
 * front, a load switched on: a new regime, not noise).
 */
export class ResidualNowcast {
  private recent: Array<{ timeMs: number; kw: number }> = [];

  observe(sampleMs: number, residualKw: number): void {
    if (!Number.isFinite(residualKw)) return;
    this.recent.push({ timeMs: sampleMs, kw: residualKw });
    while (this.recent.length > 0 && this.recent[0]!.timeMs < sampleMs - NOWCAST_WINDOW_MS) this.recent.shift();
  }

  kwAt(nowMs: number, windowMs = NOWCAST_WINDOW_MS): number | null {
    const mean = (fromMs: number): { kw: number; n: number } => {
      let sum = 0;
      let n = 0;
      for (const r of this.recent) {
        if (r.timeMs < fromMs) continue;
        sum += r.kw;
        n++;
      }
      return { kw: n > 0 ? sum / n : NaN, n };
    };
    const long = mean(nowMs - windowMs);
    if (long.n < (windowMs < NOWCAST_WINDOW_MS ? 1 : 3)) return null;
    const short = mean(nowMs - 60_000);
    if (short.n >= 3 && Math.abs(short.kw - long.kw) > NOWCAST_REGIME_CHANGE_KW) return short.kw;
    return long.kw;
  }
}

export interface ForecastPlannerSetup {
  site: PlannerSite;
  loads: LoadForecastAsset[];
  pvs: PvForecastAsset[];
  library: LoadProfileLibrary;
  solver: LpSolver;
  weights?: Partial<ObjectiveWeights>;
}

export class ForecastPlanner implements Planner {
  readonly kind = 'forecast' as const;
  private weather: HourlyWeatherForecast | null = null;
  private readonly corrector = new ResidualCorrector();
  /** What the latest plan assumed for each quarter hour: profile load, PV forecast, corrected residual. */
  private readonly assumed = new Map<number, { loadKw: number; pvKw: number; residualKw: number }>();
  /** The residual forecast made before each quarter hour started (the last such), and the measured mean. */
  private readonly forecastBefore = new Map<number, number>();
  private readonly measured = new Map<number, number>();
  private accSlotMs = -1;
  private accSumKw = 0;
  private accCount = 0;
  private lastMeasuredKw: number | null = null;
  private readonly nowcast = new ResidualNowcast();

  constructor(private readonly setup: ForecastPlannerSetup) {}

  setWeather(weather: HourlyWeatherForecast | null): void {
    if (weather) this.weather = weather;
  }

  observeResidual(sampleMs: number, residualKw: number): void {
    if (!Number.isFinite(residualKw)) return;
    const slot = Math.floor(sampleMs / SLOT_MS) * SLOT_MS;
    if (slot !== this.accSlotMs) {
      this.closeSlot();
      this.accSlotMs = slot;
    }
    this.accSumKw += residualKw;
    this.accCount++;
    this.nowcast.observe(sampleMs, residualKw);
  }

  private closeSlot(): void {
    if (this.accSlotMs < 0 || this.accCount === 0) return;
    const meanKw = this.accSumKw / this.accCount;
    this.measured.set(this.accSlotMs, meanKw);
    this.lastMeasuredKw = meanKw;
    const a = this.assumed.get(this.accSlotMs);
    if (a) this.corrector.observe(meanKw, a.loadKw, a.pvKw);
    this.accSumKw = 0;
    this.accCount = 0;
  }

  plan(req: PlanRequest): PlanResult {
    const { site } = this.setup;
    const startMs = Math.floor(req.nowMs / SLOT_MS) * SLOT_MS;
    const slots = Math.max(1, Math.min(MAX_SLOTS, Math.ceil((req.horizonEndMs - startMs) / SLOT_MS)));
    const endMs = startMs + slots * SLOT_MS;
    const load = profileLoadForecast(this.setup.library, this.setup.loads, { startMs, endMs, timeZone: site.timeZone, country: site.country });
    let pvKw: Float64Array = new Float64Array(slots).fill(NaN);
    let curtailablePvKw: Float64Array = new Float64Array(slots);
    if (this.weather && this.setup.pvs.length > 0) {
      const pv = forecastPv(this.setup.pvs, { weather: this.weather, latitudeDeg: site.latitudeDeg, longitudeDeg: site.longitudeDeg, startMs, endMs, stepS: 900 });
      pvKw = pv.totalKw;
      curtailablePvKw = Float64Array.from(pv.curtailableKw, (x) => (Number.isFinite(x) ? x : 0));
    } else if (this.setup.pvs.length === 0) {
      pvKw = new Float64Array(slots);
    }
    const residualKw = new Float64Array(slots);
    const outdoorC = new Float64Array(slots);
    const targetKw = new Float64Array(slots);
    const toleranceKw = new Float64Array(slots);
    const nowcast = this.nowcast.kwAt(req.nowMs, req.nowcastWindowMs);
    const firstSlotS = firstSlotSAt(startMs, req.nowMs);
    for (let k = 0; k < slots; k++) {
      const t = startMs + k * SLOT_MS;
      const l = load.totalKw[k] ?? NaN;
      const p = pvKw[k] ?? NaN;
      // A forecast gap is filled with what was last measured (persistence), never with a zero.
      const forecastKw = this.corrector.loadScale * l + this.corrector.pvScale * p;
      let r = Number.isFinite(forecastKw) ? forecastKw : (this.lastMeasuredKw ?? (Number.isFinite(l) ? l : 0));
      this.assumed.set(t, { loadKw: l, pvKw: p, residualKw: r });
      // The slot under way is better known from the last minutes than from any forecast (a nowcast),
      // and the next one partly so. What the nowcast says beyond the load is PV: the curtailable PV is
      // scaled alike, so that curtailment can take what the sun gives now, not what was forecast.
      if (nowcast !== null && k <= 1) {
        const weight = k === 0 ? 1 : 0.5;
        const pvNowKw = nowcast - this.corrector.loadScale * (Number.isFinite(l) ? l : 0);
        const pvForecastKw = this.corrector.pvScale * p;
        if (Number.isFinite(pvForecastKw) && pvForecastKw < -1 && pvNowKw < 0) {
          const factor = Math.min(5, Math.max(0.2, pvNowKw / pvForecastKw));
          curtailablePvKw[k] = curtailablePvKw[k]! * (1 - weight + weight * factor);
        }
        r = weight * nowcast + (1 - weight) * r;
      }
      residualKw[k] = r;
      if (k >= 1) this.forecastBefore.set(t, r);
      const w = this.weather;
      const temp = w ? interpolateInstantaneous(w.timeMs, w.tempC, slotMidMs(startMs, k, firstSlotS)) : NaN;
      outdoorC[k] = Number.isFinite(temp) ? temp : FALLBACK_OUTDOOR_C;
      const target = req.target(slotMidMs(startMs, k, firstSlotS));
      targetKw[k] = target ? target.targetKw : NaN;
      toleranceKw[k] = target ? target.toleranceKw : 10;
    }
    return solvePlan(req, { startMs, firstSlotS, residualKw, curtailablePvKw, outdoorC, targetKw, toleranceKw }, this.setup.solver, this.setup.weights);
  }

  forecastError(): ForecastReport | null {
    this.closeSlot();
    const actual: number[] = [];
    const forecast: number[] = [];
    for (const [t, m] of [...this.measured.entries()].sort((a, b) => a[0] - b[0])) {
      const f = this.forecastBefore.get(t);
      if (f === undefined) continue;
      actual.push(m);
      forecast.push(f);
    }
    if (actual.length === 0) return null;
    return { residual: computeForecastError(actual, forecast), loadScale: this.corrector.loadScale, pvScale: this.corrector.pvScale };
  }
}

/** The truth an oracle is given: per 15-minute slot from `startMs`. */
export interface OracleTruth {
  startMs: number;
  residualKw: Float64Array;
  /** All PV (≤ 0), curtailable included: the part of the residual a cloud moves. */
  pvKw: Float64Array;
  curtailablePvKw: Float64Array;
  outdoorC: Float64Array;
  /** Every trigger's target at any time, as the scenario will send them. */
  target: (timeMs: number) => SlotTarget | null;
}

export class OraclePlanner implements Planner {
  readonly kind = 'oracle' as const;

  constructor(
    private readonly truth: OracleTruth,
    private readonly solver: LpSolver,
    private readonly weights?: Partial<ObjectiveWeights>,
  ) {}

  private readonly nowcast = new ResidualNowcast();

  setWeather(): void {}

  observeResidual(sampleMs: number, residualKw: number): void {
    this.nowcast.observe(sampleMs, residualKw);
  }

  forecastError(): ForecastReport | null {
    return null;
  }

  /** Solves from the measured state over the whole rest of the scenario, knowing its truth. */
  plan(req: PlanRequest): PlanResult {
    const t = this.truth;
    const first = Math.max(0, Math.min(t.residualKw.length - 1, Math.floor((Math.floor(req.nowMs / SLOT_MS) * SLOT_MS - t.startMs) / SLOT_MS)));
    const slots = t.residualKw.length - first;
    const startMs = t.startMs + first * SLOT_MS;
    const firstSlotS = firstSlotSAt(startMs, req.nowMs);
    const targetKw = new Float64Array(slots);
    const toleranceKw = new Float64Array(slots);
    for (let k = 0; k < slots; k++) {
      const target = t.target(slotMidMs(startMs, k, firstSlotS));
      targetKw[k] = target ? target.targetKw : NaN;
      toleranceKw[k] = target ? target.toleranceKw : 10;
    }
    const curtailablePvKw = t.curtailablePvKw.slice(first);
    const residualKw = t.residualKw.slice(first);
    // In a shortage the engine plans from the last seconds' measurements (see `nowcastWindowMs`): so does the
    // oracle, which knows the slot's mean but not the minutes left of it (a cloud gap inside one slot).
    // What the nowcast says beyond the true load is PV, and the curtailable PV is scaled alike, as the
    // forecast planner does: curtailment can then take what the sun gives now.
    if (req.nowcastWindowMs !== undefined) {
      const nowKw = this.nowcast.kwAt(req.nowMs, req.nowcastWindowMs);
      if (nowKw !== null) {
        const pvKw = t.pvKw[first]!;
        const pvNowKw = nowKw - (residualKw[0]! - pvKw);
        if (pvKw < -1 && pvNowKw < 0) curtailablePvKw[0] = curtailablePvKw[0]! * Math.min(5, Math.max(0.2, pvNowKw / pvKw));
        residualKw[0] = nowKw;
      }
    }
    return solvePlan(req, { startMs, firstSlotS, residualKw, curtailablePvKw, outdoorC: t.outdoorC.slice(first), targetKw, toleranceKw }, this.solver, this.weights);
  }
}

/**
 * What is left of the slot under way at `nowMs`, s: the length of a plan's slot 0, so that a re-plan made
 * part-way through a slot (a trigger, a drift, a shortage) plans the minutes left, not a whole slot.
 */
export function firstSlotSAt(slotStartMs: number, nowMs: number): number {
  return Math.min(SLOT_MS, Math.max(1000, slotStartMs + SLOT_MS - nowMs)) / 1000;
}

/** Middle of slot k of a plan whose slot 0 is `firstSlotS` long: where its target is read. */
function slotMidMs(slotStartMs: number, k: number, firstSlotS: number): number {
  const t = slotStartMs + k * SLOT_MS;
  return k === 0 ? t + SLOT_MS - (firstSlotS * 1000) / 2 : t + SLOT_MS / 2;
}

/** What a planner knows of the slots ahead (forecast or truth); the rest of the problem is the request's. */
interface PlanSlots {
  startMs: number;
  firstSlotS: number;
  residualKw: Float64Array;
  curtailablePvKw: Float64Array;
  outdoorC: Float64Array;
  targetKw: Float64Array;
  toleranceKw: Float64Array;
}

/** One 15-minute plan from the measured state in `req`: the same problem for either planner. */
function solvePlan(req: PlanRequest, slots: PlanSlots, solver: LpSolver, weights: Partial<ObjectiveWeights> | undefined): PlanResult {
  const plan = optimiseDispatch(
    {
      ...slots,
      stepS: SLOT_MS / 1000,
      bess: req.bess,
      bessReserveKw: req.bessReserveKw,
      households: req.households,
      heatPumps: req.heatPumps,
      connectionLimitKw: req.connectionLimitKw,
      weights: { ...ENGINE_PLAN_WEIGHTS, ...weights },
    },
    solver,
  );
  return { plan, curtailablePvKw: slots.curtailablePvKw, residualKw: slots.residualKw };
}

/** Index of the plan slot containing `timeMs`, or -1 outside the plan. */
export function planSlotAt(plan: DispatchPlan, timeMs: number): number {
  const k = Math.floor((timeMs - plan.startMs) / (plan.stepS * 1000));
  return k >= 0 && k < plan.slots ? k : -1;
}
