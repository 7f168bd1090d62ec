/**
 * Headless replay: the plant simulator, the simulated field connectors and the engine on one virtual
 * clock, from the scenario's start to its end, as fast as the machine allows. Pure (no file system): the
 * caller passes the loaded scenario and gets the run records, the event log and the time series back;
 * `outputs.ts` turns them into `kpi.json`, `timeseries.csv` and `events.jsonl`.
 */
import { VirtualClock } from '../engine/clock.js';
import type { ControllerName } from '../engine/controllers.js';
import type { EngineConfig, ForecastResult, RunRecord } from '../engine/engine.js';
import { Engine, targetOfTrigger } from '../engine/engine.js';
import { scenarioTriggers } from '../engine/trigger/trigger.js';
import { fromOpenMeteo } from '../engine/forecast/weather.js';
import { defaultCountryForTimeZone } from '../engine/models/load/index.js';
import type { LpSolver } from '../engine/optimiser/lp.js';
import type { ForecastReport, OracleTruth, Planner } from '../engine/planner.js';
import { ForecastPlanner, OraclePlanner } from '../engine/planner.js';
import type { AssetReport, BreakerSample, EngineEvent, Trigger } from '../engine/model.js';
import type { LoadProfileLibrary } from '../engine/models/load/index.js';
import type { OpenMeteoForecast, Scenario, WeatherSeries } from '../engine/scenario/index.js';
import type { BreakerRecord } from '../sim/field.js';
import { faultInjectedEvent, SimulatedField } from '../sim/field.js';
import { heatPumpParams, memberIds, Plant } from '../sim/plant.js';

export interface ReplayInputs {
  scenario: Scenario;
  weatherActual: WeatherSeries;
  forecast: OpenMeteoForecast | null;
  series: Record<string, { timeMs: Float64Array; valueKw: Float64Array }>;
  loadProfiles: LoadProfileLibrary;
  controller: ControllerName;
  /**
   * The LP solver for the 15-minute planner (HiGHS, loaded asynchronously by the caller). Without one,
   * `lfc` dispatches by fair share and `oracle` is not available.
   */
  solver?: LpSolver;
}

/** One column of the per-sample asset record. */
export interface AssetColumn {
  name: string;
  values: Float64Array;
}

export interface ReplayResult {
  scenario: Scenario;
  controller: ControllerName;
  runs: RunRecord[];
  events: EngineEvent[];
  breaker: {
    sampleMs: Float64Array;
    trueKw: Float64Array;
    sentKw: Float64Array;
    status: string[];
    targetKw: Float64Array;
    runId: Array<string | null>;
  };
  assetColumns: AssetColumn[];
  /** Plant-side truths for tests and the benchmark. */
  plant: Plant;
  simulatedS: number;
  /** Wall-clock solve time of every plan, ms (for the bench; never written to the output files). */
  planSolveTimesMs: number[];
  /** The planner's 15-minute residual forecast against what was measured (lfc with a planner). */
  forecast: ForecastReport | null;
}

export type ProgressListener = (fraction: number) => void;

/** Builds the engine's configuration from the scenario: the asset key data the EMS is given. */
export function engineConfigFor(scenario: Pick<Scenario, 'control' | 'assets' | 'site' | 'measurement'>, controller: ControllerName): EngineConfig {
  const c = scenario.control;
  const bessAsset = scenario.assets.find((a) => a.kind === 'bess');
  if (!bessAsset || bessAsset.kind !== 'bess') throw new Error('the scenario has no community BESS (kind "bess")');
  const config: EngineConfig = {
    controller,
    breakerPeriodS: scenario.measurement.breakerPeriodS,
    bessPeriodS: c.bessPeriodS,
    dispatchPeriodS: c.dispatchPeriodS,
    connectionLimitKw: scenario.site.connectionLimitKw,
    bess: { ...bessAsset, setpointTtlS: bessAsset.setpointTtlS ?? 6 * c.bessPeriodS },
    households: [],
    heatPumps: [],
  };
  for (const a of scenario.assets) {
    if (a.kind === 'householdStorage') {
      for (const id of memberIds(a.id, a.count)) config.households.push({ ...a, id, fleetId: a.id, setpointTtlS: a.setpointTtlS ?? 2 * c.dispatchPeriodS });
    } else if (a.kind === 'heatPump') {
      for (const id of memberIds(a.id, a.count)) {
        config.heatPumps.push({ id, fleetId: a.id, ...heatPumpParams(a) });
      }
    }
  }
  config.curtailablePv = scenario.assets.flatMap((a) => (a.kind === 'pv' && a.curtailable ? memberIds(a.id, a.count).map((id) => ({ id, kwp: a.kwp })) : []));
  return config;
}

/** The planner a controller plans with: `lfc` from forecasts, `oracle` from the truth; none without a solver. */
export function plannerFor(inputs: ReplayInputs): Planner | undefined {
  const { scenario, solver } = inputs;
  if (!solver || inputs.controller === 'deadbeat') return undefined;
  const site = scenario.site;
  const country = site.country ?? defaultCountryForTimeZone(site.timezone);
  if (inputs.controller === 'oracle') return new OraclePlanner(oracleTruth(inputs), solver);
  return new ForecastPlanner({
    site: { latitudeDeg: site.latitude, longitudeDeg: site.longitude, timeZone: site.timezone, country },
    loads: scenario.assets.flatMap((a) => (a.kind === 'load' ? [{ id: a.id, count: a.count, profile: a.profile, annualKwh: a.annualKwh }] : [])),
    pvs: scenario.assets.flatMap((a) =>
      a.kind === 'pv' ? [{ id: a.id, count: a.count, kwp: a.kwp, tiltDeg: a.tiltDeg, azimuthDeg: a.azimuthDeg, lossesPct: a.lossesPct, curtailable: a.curtailable }] : [],
    ),
    library: inputs.loadProfiles,
    solver,
  });
}

/**
 * What the oracle is told: the plant's true uncontrolled power (loads, PV uncurtailed, recorded series),
 * curtailable PV and outdoor temperature as 15-minute means over the whole scenario, from a pass of the
 * plant with no EMS (these quantities do not depend on control), and every trigger in advance.
 */
export function oracleTruth(inputs: ReplayInputs): OracleTruth {
  const { scenario } = inputs;
  const plant = new Plant({ scenario, weather: inputs.weatherActual, loadProfiles: inputs.loadProfiles, series: inputs.series });
  const slotMs = 900_000;
  const startMs = Math.floor(plant.startMs / slotMs) * slotMs;
  const slots = Math.ceil((plant.endMs - startMs) / slotMs);
  const sums = { residual: new Float64Array(slots), pv: new Float64Array(slots), curtailable: new Float64Array(slots), outdoor: new Float64Array(slots), n: new Float64Array(slots) };
  const curtailable = plant.members.filter((m) => m.kind === 'pv' && scenario.assets.some((a) => a.id === m.assetId && a.kind === 'pv' && a.curtailable));
  const steps = Math.round((plant.endMs - plant.startMs) / (scenario.stepS * 1000));
  for (let k = 0; k < steps; k++) {
    const slot = Math.floor((plant.nowMs - startMs) / slotMs);
    let residual = 0;
    for (let i = 0; i < plant.loadPowerKw.length; i++) residual += plant.loadPowerKw[i]!;
    let pv = 0;
    for (let i = 0; i < plant.pvPowerKw.length; i++) pv += plant.pvPowerKw[i]!;
    residual += pv;
    for (let i = 0; i < plant.seriesPowerKw.length; i++) residual += plant.seriesPowerKw[i]!;
    sums.pv[slot] = sums.pv[slot]! + pv;
    let curt = 0;
    for (const m of curtailable) curt += plant.pvPowerKw[m.index]!;
    sums.residual[slot] = sums.residual[slot]! + residual;
    sums.curtailable[slot] = sums.curtailable[slot]! + curt;
    sums.outdoor[slot] = sums.outdoor[slot]! + plant.outdoorC;
    sums.n[slot] = sums.n[slot]! + 1;
    plant.step();
  }
  const mean = (a: Float64Array): Float64Array => a.map((x, i) => (sums.n[i]! > 0 ? x / sums.n[i]! : 0));
  const triggers = triggersOf(scenario);
  return {
    startMs,
    residualKw: mean(sums.residual),
    pvKw: mean(sums.pv),
    curtailablePvKw: mean(sums.curtailable),
    outdoorC: mean(sums.outdoor),
    target: (t) => {
      // The trigger in force at t: the last one started by then (a stop ends everything).
      let inForce: Trigger | null = null;
      for (const tr of triggers) if (tr.startMs <= t) inForce = tr;
      if (!inForce || inForce.useCase === 0) return null;
      if (inForce.durationS !== null && t >= inForce.startMs + inForce.durationS * 1000) return null;
      return targetOfTrigger(inForce, t);
    },
  };
}

/** The scenario's events as the triggers the operator's system would send (the one builder, `engine/trigger`). */
export const triggersOf = scenarioTriggers;

function forecastResult(forecast: OpenMeteoForecast | null, scenario: Scenario): () => ForecastResult {
  if (!forecast) return () => ({ ok: false, error: 'the scenario has no weather forecast' });
  const weather = fromOpenMeteo(forecast, scenario.site.latitude, scenario.site.longitude);
  const result: ForecastResult = { ok: true, timeMs: forecast.timeMs, tempC: forecast.tempC, weather };
  return () => result;
}

export function runReplay(inputs: ReplayInputs, onProgress?: ProgressListener): ReplayResult {
  const session = new ReplaySession(inputs);
  const chunk = Math.max(1, Math.floor(session.totalSteps / 100));
  while (!session.done) {
    session.advance(chunk);
    onProgress?.(session.progress);
  }
  return session.finish();
}

/** What a simulation hands out as it happens (each optional: the replay records, the live session pushes). */
export interface SimulationHooks {
  /** Every breaker sample the sensor takes (delivered or not), at its sample time. */
  onBreakerSampleTaken?(record: BreakerRecord): void;
  /** A breaker sample as the EMS received it, after the engine has handled it. */
  onBreakerSample?(sample: BreakerSample): void;
  /** An asset report as the EMS received it, after the engine has handled it. */
  onAssetReport?(report: AssetReport): void;
  onEvent(event: EngineEvent): void;
  onRunEnded?(run: RunRecord): void;
}

/**
 * The plant, the simulated field and the engine on one virtual clock, wired in one fixed order (so the same
 * scenario gives the same physics in a replay and in the console's live session), advanced from outside in
 * plant steps: the caller decides the pace. Inside one plant step every event due at the step's instant
 * fires first (sensor samples read the plant as it is at that instant), then the plant integrates.
 */
export class ScenarioSimulation {
  readonly plant: Plant;
  readonly clock: VirtualClock;
  readonly engine: Engine;
  readonly planner: Planner | null;
  readonly totalSteps: number;
  readonly stepMs: number;
  private stepIndex = 0;

  /** `withScenarioTriggers`: schedule the scenario's own events as triggers (the replay does; the console only when asked). */
  constructor(inputs: ReplayInputs, hooks: SimulationHooks, withScenarioTriggers: boolean) {
    const { scenario } = inputs;
    const plant = new Plant({ scenario, weather: inputs.weatherActual, loadProfiles: inputs.loadProfiles, series: inputs.series });
    this.plant = plant;
    const clock = new VirtualClock(plant.startMs);
    this.clock = clock;
    const field = new SimulatedField(plant, clock, forecastResult(inputs.forecast, scenario));
    const planner = plannerFor(inputs);
    this.planner = planner ?? null;
    const engine = new Engine({ ...engineConfigFor(scenario, inputs.controller), ...(planner ? { planner } : {}) }, clock, {
      write: (cmd, onAck) => field.write(cmd, onAck),
      requestForecast: (onResult) => field.fetchForecast(onResult),
      emit: (e) => hooks.onEvent(e),
      ...(hooks.onRunEnded ? { onRunEnded: (run: RunRecord) => hooks.onRunEnded!(run) } : {}),
    });
    this.engine = engine;
    if (hooks.onBreakerSampleTaken) field.onBreakerSampleTaken = (r) => hooks.onBreakerSampleTaken!(r);
    field.onFaultInjected = (fault, atMs) => hooks.onEvent(faultInjectedEvent(fault, atMs, engine.activeRun?.runId ?? null));
    field.subscribe((sample) => {
      engine.handleBreakerSample(sample);
      hooks.onBreakerSample?.(sample);
    });
    field.subscribeReports((report) => {
      engine.handleAssetReport(report);
      hooks.onAssetReport?.(report);
    });
    if (withScenarioTriggers) for (const t of triggersOf(scenario)) clock.schedule(t.receivedMs, () => engine.handleTrigger(t));
    field.start();
    engine.start();
    this.stepMs = scenario.stepS * 1000;
    this.totalSteps = Math.round((plant.endMs - plant.startMs) / this.stepMs);
  }

  get done(): boolean {
    return this.stepIndex >= this.totalSteps;
  }

  get progress(): number {
    return this.totalSteps === 0 ? 1 : this.stepIndex / this.totalSteps;
  }

  /** Simulated time now. */
  get nowMs(): number {
    return this.plant.nowMs;
  }

  /** Advances by up to `steps` plant steps (events due at a step's instant fire before it integrates). */
  advance(steps: number): void {
    const until = Math.min(this.totalSteps, this.stepIndex + steps);
    const clock = this.clock;
    const plant = this.plant;
    for (; this.stepIndex < until; this.stepIndex++) {
      clock.runUntil(plant.nowMs);
      plant.step();
    }
  }
}

/**
 * A replay that can be advanced in slices, so a caller can pace it (`--speed N`) or show progress: a
 * `ScenarioSimulation` with the scenario's triggers that records the breaker and every asset at each
 * breaker sample.
 */
export class ReplaySession {
  readonly inputs: ReplayInputs;
  readonly plant: Plant;
  readonly clock: VirtualClock;
  readonly engine: Engine;
  readonly totalSteps: number;
  private readonly sim: ScenarioSimulation;
  private readonly events: EngineEvent[] = [];
  private row = 0;
  private readonly breaker: ReplayResult['breaker'];
  private columns: RecordedColumn[] = [];
  private finished: ReplayResult | null = null;

  constructor(inputs: ReplayInputs) {
    this.inputs = inputs;
    const { scenario } = inputs;
    // The per-sample record (breaker truth and what the sensor sent, and every asset's state) exists before
    // the simulation that fills it; the asset columns, which read the plant, are added once it is built.
    const rows = Math.ceil((Date.parse(scenario.end) - Date.parse(scenario.start)) / (scenario.measurement.breakerPeriodS * 1000));
    this.breaker = {
      sampleMs: new Float64Array(rows),
      trueKw: new Float64Array(rows),
      sentKw: new Float64Array(rows),
      status: new Array<string>(rows),
      targetKw: new Float64Array(rows),
      runId: new Array<string | null>(rows),
    };
    const events = this.events;
    const sim = new ScenarioSimulation(inputs, { onEvent: (e) => events.push(e), onBreakerSampleTaken: (r) => this.record(r) }, true);
    this.sim = sim;
    this.plant = sim.plant;
    this.clock = sim.clock;
    this.engine = sim.engine;
    this.totalSteps = sim.totalSteps;
    this.columns = assetColumnsFor(sim.plant, rows);
  }

  private record(r: BreakerRecord): void {
    const row = this.row;
    const breaker = this.breaker;
    if (row >= breaker.sampleMs.length) return;
    const engine = this.engine;
    breaker.sampleMs[row] = r.sampleMs;
    breaker.trueKw[row] = r.trueKw;
    breaker.sentKw[row] = r.sentKw === null ? NaN : r.sentKw;
    breaker.status[row] = r.status;
    breaker.targetKw[row] = engine.targetKwAt(r.sampleMs) ?? NaN;
    breaker.runId[row] = engine.activeRun?.runId ?? null;
    const plant = this.plant;
    for (const col of this.columns) col.values[row] = readColumn(plant, col);
    this.row++;
  }

  get done(): boolean {
    return this.sim.done;
  }

  get progress(): number {
    return this.sim.progress;
  }

  /** Simulated time now. */
  get nowMs(): number {
    return this.sim.nowMs;
  }

  /** Advances by up to `steps` plant steps. */
  advance(steps: number): void {
    this.sim.advance(steps);
  }

  /** Runs to the end (if not there yet), closes the engine and returns the result. */
  finish(): ReplayResult {
    if (this.finished) return this.finished;
    this.advance(this.totalSteps);
    // Events of the last instant (acknowledgements in flight) still land; then what runs ends.
    this.clock.runUntil(this.plant.endMs - 1);
    this.engine.finish();
    const row = this.row;
    const b = this.breaker;
    this.finished = {
      scenario: this.inputs.scenario,
      controller: this.inputs.controller,
      runs: this.engine.runs,
      events: this.events.slice().sort((a, c) => a.timeMs - c.timeMs),
      breaker: {
        sampleMs: b.sampleMs.subarray(0, row),
        trueKw: b.trueKw.subarray(0, row),
        sentKw: b.sentKw.subarray(0, row),
        status: b.status.slice(0, row),
        targetKw: b.targetKw.subarray(0, row),
        runId: b.runId.slice(0, row),
      },
      assetColumns: this.columns.map((c) => ({ name: c.name, values: c.values.subarray(0, row) })),
      plant: this.plant,
      simulatedS: (this.plant.endMs - this.plant.startMs) / 1000,
      planSolveTimesMs: this.engine.planSolveTimesMs,
      forecast: this.sim.planner?.forecastError() ?? null,
    };
    return this.finished;
  }
}

/** What an asset column reads of the plant (by code, so that the read at every sample is one monomorphic switch). */
const READ = { storageSetpoint: 0, storagePower: 1, storageSoc: 2, heatPumpSetpoint: 3, heatPumpPower: 4, heatPumpIndoor: 5, pvSetpoint: 6, pvPower: 7, loadPower: 8, seriesPower: 9 } as const;
type ReadCode = (typeof READ)[keyof typeof READ];
type RecordedColumn = AssetColumn & { read: ReadCode; index: number };

function assetColumnsFor(plant: Plant, rows: number): RecordedColumn[] {
  const cols: RecordedColumn[] = [];
  const add = (name: string, read: ReadCode, index: number): void => {
    cols.push({ name, values: new Float64Array(rows), read, index });
  };
  // Direct reads of the plant's state (no per-sample objects): this runs for every member at every sample.
  for (const m of plant.members) {
    const id = m.id;
    const i = m.index;
    if (m.kind === 'bess' || m.kind === 'householdStorage') {
      add(`${id}.setpointKw`, READ.storageSetpoint, i);
      add(`${id}.powerKw`, READ.storagePower, i);
      add(`${id}.socPct`, READ.storageSoc, i);
    } else if (m.kind === 'heatPump') {
      add(`${id}.setpointKw`, READ.heatPumpSetpoint, i);
      add(`${id}.powerKw`, READ.heatPumpPower, i);
      add(`${id}.indoorC`, READ.heatPumpIndoor, i);
    } else if (m.kind === 'pv') {
      add(`${id}.setpointKw`, READ.pvSetpoint, i);
      add(`${id}.powerKw`, READ.pvPower, i);
    } else if (m.kind === 'load') {
      add(`${id}.powerKw`, READ.loadPower, i);
    } else {
      add(`${id}.powerKw`, READ.seriesPower, i);
    }
  }
  return cols;
}

function readColumn(plant: Plant, c: RecordedColumn): number {
  const i = c.index;
  switch (c.read) {
    case READ.storageSetpoint:
      return plant.storages[i]!.setpointKw ?? NaN;
    case READ.storagePower:
      return plant.storages[i]!.physics.powerKw;
    case READ.storageSoc:
      return plant.storages[i]!.physics.socPct;
    case READ.heatPumpSetpoint: {
      const hp = plant.heatPumps[i]!;
      return hp.dispatchedOn === null ? NaN : hp.dispatchedOn ? hp.params.powerKw : 0;
    }
    case READ.heatPumpPower:
      return plant.heatPumps[i]!.powerKw;
    case READ.heatPumpIndoor:
      return plant.heatPumps[i]!.indoorC;
    case READ.pvSetpoint:
      return plant.pvSetpointKw(i);
    case READ.pvPower:
      return plant.pvPowerKw[i]!;
    case READ.loadPower:
      return plant.loadPowerKw[i]!;
    default:
      return plant.seriesPowerKw[i]!;
  }
}
