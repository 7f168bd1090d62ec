/**
 * The bundled simulator as a live session: `replay/replay.ts`'s `ScenarioSimulation` (plant, simulated
 * field and engine on one virtual clock, wired exactly as a replay is, so the same scenario gives the same
 * physics), with two differences the console needs:
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
import type { RunRecord } from '../engine/engine';
import type { AssetReport, BreakerSample, EngineEvent, Trigger } from '../engine/model';
import type { ReplayInputs } from '../replay/replay';
import { ScenarioSimulation } from '../replay/replay';
import type { BreakerRecord } from '../sim/field';

export interface LiveObserver {
  /** Every breaker sample the sensor takes (delivered or not), at its sample time. */
  onBreakerSampleTaken(record: BreakerRecord): void;
  onBreakerSample(sample: BreakerSample): void;
  onAssetReport(report: AssetReport): void;
  onEvent(event: EngineEvent): void;
  onRunEnded(run: RunRecord): void;
}

export interface LiveSimulationInputs extends ReplayInputs {
  withScenarioTriggers: boolean;
}

export class LiveSimulation extends ScenarioSimulation {
  constructor(
    readonly inputs: LiveSimulationInputs,
    observer: LiveObserver,
  ) {
    super(inputs, observer, inputs.withScenarioTriggers);
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
