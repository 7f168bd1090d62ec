/**
 * The bundled simulator as a live session: plant, simulated field and engine on one virtual clock, built
 * exactly like `replay/replay.ts`'s `ReplaySession` (same order of subscriptions and timers, so the same
 * scenario gives the same physics), with two differences the console needs:
 * - the scenario's own triggers are scheduled only when asked (`withScenarioTriggers`): in the console the
 *   operator gives the orders;
 * - every breaker sample, asset report, engine event and finished run is handed to a `LiveObserver` as it
 *   happens, so the core can record it and push it to the screen.
 *
 * It is still driven from outside in plant steps (`advance`), so the caller decides the pace (wall clock ×
 * speed, or as fast as possible) and tests leap time.
 *
 * With an LP solver the engine plans every 15 minutes (`replay.ts`'s `plannerFor`: forecasts + HiGHS), as
 * in `npm run replay`; without one `lfc` dispatches by fair share and there is no plan to show.
 */
import { VirtualClock } from '../engine/clock';
import type { ControllerName } from '../engine/controllers';
import type { ForecastResult, RunRecord } from '../engine/engine';
import { Engine } from '../engine/engine';
import type { AssetReport, BreakerSample, EngineEvent, Trigger } from '../engine/model';
import type { LoadProfileLibrary } from '../engine/models/load';
import type { OpenMeteoForecast, Scenario, WeatherSeries } from '../engine/scenario';
import { fromOpenMeteo } from '../engine/forecast/weather';
import type { LpSolver } from '../engine/optimiser/lp';
import { engineConfigFor, plannerFor, triggersOf } from '../replay/replay';
import type { BreakerRecord } from '../sim/field';
import { faultInjectedEvent, SimulatedField } from '../sim/field';
import { Plant } from '../sim/plant';

export interface LiveObserver {
  /** Every breaker sample the sensor takes (delivered or not), at its sample time. */
  onBreakerSampleTaken(record: BreakerRecord): void;
  onBreakerSample(sample: BreakerSample): void;
  onAssetReport(report: AssetReport): void;
  onEvent(event: EngineEvent): void;
  onRunEnded(run: RunRecord): void;
}

export interface LiveSimulationInputs {
  scenario: Scenario;
  weatherActual: WeatherSeries;
  forecast: OpenMeteoForecast | null;
  series: Record<string, { timeMs: Float64Array; valueKw: Float64Array }>;
  loadProfiles: LoadProfileLibrary;
  controller: ControllerName;
  withScenarioTriggers: boolean;
  /** The 15-minute planner's solver; without one there is no plan (and no forecast to record). */
  solver?: LpSolver;
}

export class LiveSimulation {
  readonly plant: Plant;
  readonly clock: VirtualClock;
  readonly engine: Engine;
  readonly totalSteps: number;
  readonly stepMs: number;
  private stepIndex = 0;

  constructor(
    readonly inputs: LiveSimulationInputs,
    observer: LiveObserver,
  ) {
    const { scenario } = inputs;
    const plant = new Plant({ scenario, weather: inputs.weatherActual, loadProfiles: inputs.loadProfiles, series: inputs.series });
    this.plant = plant;
    const clock = new VirtualClock(plant.startMs);
    this.clock = clock;
    const forecast = inputs.forecast;
    // The same forecast the replay hands its engine: temperatures for the heat pumps, the whole hourly
    // weather for the planner's PV forecast.
    const forecastResult: ForecastResult = forecast
      ? { ok: true, timeMs: forecast.timeMs, tempC: forecast.tempC, weather: fromOpenMeteo(forecast, scenario.site.latitude, scenario.site.longitude) }
      : { ok: false, error: 'the scenario has no weather forecast' };
    const field = new SimulatedField(plant, clock, () => forecastResult);
    const planner = plannerFor(inputs);
    const engine = new Engine({ ...engineConfigFor(scenario, inputs.controller), ...(planner ? { planner } : {}) }, clock, {
      write: (cmd, onAck) => field.write(cmd, onAck),
      requestForecast: (onResult) => field.fetchForecast(onResult),
      emit: (e) => observer.onEvent(e),
      onRunEnded: (run) => observer.onRunEnded(run),
    });
    this.engine = engine;
    field.onBreakerSampleTaken = (r) => observer.onBreakerSampleTaken(r);
    field.onFaultInjected = (fault, atMs) => observer.onEvent(faultInjectedEvent(fault, atMs, engine.activeRun?.runId ?? null));
    field.subscribe((s) => {
      engine.handleBreakerSample(s);
      observer.onBreakerSample(s);
    });
    field.subscribeReports((r) => {
      engine.handleAssetReport(r);
      observer.onAssetReport(r);
    });
    if (inputs.withScenarioTriggers) {
      for (const t of triggersOf(scenario)) clock.schedule(t.receivedMs, () => engine.handleTrigger(t));
    }
    field.start();
    engine.start();
    this.stepMs = scenario.stepS * 1000;
    this.totalSteps = Math.round((plant.endMs - plant.startMs) / this.stepMs);
  }

  get done(): boolean {
    return this.stepIndex >= this.totalSteps;
  }

  /** Simulated time now. */
  get nowMs(): number {
    return this.plant.nowMs;
  }

  /** Advances by up to `steps` plant steps (events due at a step's instant fire before it integrates). */
  advance(steps: number): void {
    const until = Math.min(this.totalSteps, this.stepIndex + steps);
    for (; this.stepIndex < until; this.stepIndex++) {
      this.clock.runUntil(this.plant.nowMs);
      this.plant.step();
    }
  }

  /**
   * Fires the events due at the plant's current instant, which `advance` would fire first thing in the
   * next step anyway; afterwards the engine's clock reads the same time as the plant, so a trigger
   * stamped `nowMs` starts now rather than being taken for an announced one.
   */
  sync(): void {
    this.clock.runUntil(this.plant.nowMs);
  }

  /** An operator's trigger, received now on the session's clock (stamp it with `nowMs` after `sync`). */
  trigger(trigger: Trigger): { accepted: boolean; reason?: string } {
    this.sync();
    return this.engine.handleTrigger(trigger);
  }

  /** Ends what runs (reason `scenario-end`) and stops the engine's timers. */
  finish(): void {
    this.engine.finish();
  }
}
