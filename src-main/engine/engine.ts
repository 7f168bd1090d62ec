/**
 * The EMS engine: the use-case state machine (trigger codes 0–4, announced triggers), the 10 s BESS loop,
 * the 15-minute dispatch slot, flexibility bands, run records with their KPIs, and the safety rules that
 * keep a setpoint from outliving the measurements that justify it.
 *
 * The `Engine` composes its parts (`parts/`), each with one job and a small interface to the others, and
 * wires the events it hears to them in a fixed order:
 * - `run-lifecycle.ts`: which trigger is in force (accept, announce, supersede, stop, end reasons);
 * - `breaker-guard.ts`: which breaker samples count (NaN, stuck, implausible, out of order) and gaps;
 * - `asset-book.ts`: what the EMS knows of each asset between reports, and the flexibility bands;
 * - `command-channel.ts`: every setpoint written, its acknowledgement, expiry and the links it proves;
 * - `bess-loop.ts`: the 10 s BESS loop and its feed-forwards (dispatch, heat-pump lock, package steps);
 * - `slot-dispatcher.ts`: the 15-minute plan, its decisions, curtailment, drift re-plans, preparation;
 * - `run-recorder.ts`: each run's samples, energy checks, exhaustion forecasts and KPIs.
 * Shared vocabulary (configuration, ports, records, views) is in `parts/types.ts`; triggers in `trigger/`.
 *
 * It is pure: it hears events through its `handle…` methods (a breaker sample arrives, an asset reports,
 * an acknowledgement comes back, a trigger comes in), reads time only from the injected `Clock`, and speaks
 * only through `EnginePorts`. The same engine runs in a replay (virtual clock, simulated connectors) and in
 * the field (wall clock, OPC UA and REST connectors).
 *
 * ## Safety rules (each logged as an event when it acts)
 * - A breaker sample that is NaN, or repeats the previous value exactly (a stuck sensor: a real meter's
 *   noise never repeats to the last bit `stuckSamples` times in a row), is invalid and ignored.
 * - No valid breaker sample for `staleAfterS`: `breaker-stale`. The last BESS setpoint is renewed for at
 *   most `holdLastS` more (a short gap is better bridged than answered with a jump), then the engine goes
 *   to its safe state: BESS to 0 kW, household storages and heat pumps released to their own control.
 *   After `faultStopAfterS` without valid data the run ends with reason `fault`.
 * - Every setpoint carries an expiry; the asset returns to its default when nobody renews it, so a silent
 *   EMS can never leave a setpoint in force.
 * - A write not acknowledged within `ackTimeoutS` is an `ack-timeout`; after `lostAfterMissedAcks` in a row
 *   the asset is `asset-lost` and counts for no flexibility until it answers again. A BESS lost for
 *   `bessLostStopS` ends the run with reason `fault`.
 * - A breaker sample not newer than the last one (`breaker-out-of-order`) is ignored, not recorded; one beyond
 *   twice the connection limit (`breaker-implausible`: a wrong scale or unit) counts as invalid, like NaN.
 * - A rejected write is logged (`setpoint-rejected`) once per episode; the asset counts for no flexibility
 *   until a later write succeeds.
 * - Flexibility short: the error is outside the tolerance band in a direction in which the BESS is already
 *   at its power or state-of-charge limit → `flex-exhaustion-warning`, shortage re-plans, the samples are
 *   not held. Flexibility exhausted: the BESS is at its state-of-charge limit in that direction for
 *   `exhaustionConfirmS` in a row, or short at its power limit for a whole dispatch period → the run ends
 *   with reason `flex-exhausted`. A shorter shortage at the power limit (a cloud, the gap before a package)
 *   leaves the run in force, to hold again when it passes.
 */
import type { Clock } from './clock.js';
import type { Controller } from './controllers.js';
import { controllerByName } from './controllers.js';
import type { AssetReport, BreakerSample, EngineEvent, EngineEventType, Trigger } from './model.js';
import { AssetBook, linkState } from './parts/asset-book.js';
import { BessLoop } from './parts/bess-loop.js';
import { BreakerGuard } from './parts/breaker-guard.js';
import { CommandChannel } from './parts/command-channel.js';
import { RunLifecycle } from './parts/run-lifecycle.js';
import { RunRecorder } from './parts/run-recorder.js';
import { SlotDispatcher } from './parts/slot-dispatcher.js';
import type { EngineConfig, EngineContext, EnginePorts, EngineSnapshot, PlanView, RunRecord, SafetyConfig } from './parts/types.js';
import { defaultSafety } from './parts/types.js';

export type {
  AssetLinkState,
  EngineConfig,
  EnginePorts,
  EngineSnapshot,
  ForecastResult,
  HeatPumpConfig,
  PlanView,
  RunRecord,
  SafetyConfig,
  StorageConfig,
} from './parts/types.js';
export { ASSUMED_THERMOSTAT_HYSTERESIS_K, BESS_TELEMETRY_WAIT_MS, EMERGENCY_REPLAN_S, defaultSafety } from './parts/types.js';
export { MAX_TRIGGER_AHEAD_S, MAX_TRIGGER_DURATION_S, targetOfTrigger } from './trigger/trigger.js';
export { runKpis } from './parts/run-recorder.js';
export { nearestIndex } from './parts/asset-book.js';

export class Engine {
  readonly config: EngineConfig;
  readonly safety: SafetyConfig;
  private readonly clock: Clock;
  private readonly ports: EnginePorts;
  private readonly controller: Controller;

  private readonly book: AssetBook;
  private readonly guard: BreakerGuard;
  private readonly channel: CommandChannel;
  private readonly recorder: RunRecorder;
  private readonly lifecycle: RunLifecycle;
  private readonly loop: BessLoop;
  private readonly dispatcher: SlotDispatcher;
  private forecastMissing = false;
  private stopped = false;

  constructor(config: EngineConfig, clock: Clock, ports: EnginePorts) {
    this.config = config;
    this.safety = { ...defaultSafety(config.breakerPeriodS), ...config.safety };
    this.clock = clock;
    this.ports = ports;
    this.controller = controllerByName(config.controller);
    const ctx: EngineContext = {
      config,
      safety: this.safety,
      clock,
      emit: (type, level, message, data, assetId) => this.emit(type, level, message, data, assetId),
    };
    const book = new AssetBook(ctx);
    const guard = new BreakerGuard(ctx);
    const recorder = new RunRecorder(ctx, book);
    const channel = new CommandChannel(ctx, ports, book, () => this.lifecycle.run);
    const hasPlanner = config.planner !== undefined;
    this.lifecycle = new RunLifecycle(ctx, this.controller.name, recorder, {
      releaseAll: (why) => this.releaseAll(why),
      handOver: () => {
        this.dispatcher.forgetRunControl();
        this.loop.resetAim();
      },
      runStarting: () => {
        this.loop.resetForRun();
        this.book.resetBessMean();
      },
      dispatch: (reason) => this.dispatcher.dispatch(reason),
      runStarted: (run) => this.loop.scheduleTargetSteps(run),
      hasPlanner,
      ...(ports.onRunEnded ? { onRunEnded: (run: RunRecord) => ports.onRunEnded!(run) } : {}),
    });
    this.loop = new BessLoop(ctx, this.controller, book, channel, guard, {
      run: () => this.lifecycle.run,
      targetKwAt: (t) => this.lifecycle.targetKwAt(t),
      plan: () => this.dispatcher.plan,
      lastDispatchMs: () => this.dispatcher.lastDispatchMs,
      hasPlanner,
      dispatch: (reason) => this.dispatcher.dispatch(reason),
      curtailAllForShortage: (nowMs) => this.dispatcher.curtailAllForShortage(nowMs),
      endRun: (reason) => this.lifecycle.endRun(reason),
      afterCycle: (sampleMs, bessPowerKw) => this.dispatcher.checkPlanDrift(sampleMs, bessPowerKw),
    });
    this.dispatcher = new SlotDispatcher(ctx, this.controller, book, channel, this.loop, recorder, guard, {
      run: () => this.lifecycle.run,
      pendingTrigger: () => this.lifecycle.pending?.trigger ?? null,
      releaseAll: (why) => this.releaseAll(why),
    });
    this.book = book;
    this.guard = guard;
    this.channel = channel;
    this.recorder = recorder;
  }

  /** Every run so far, in order (the one in force last). */
  get runs(): RunRecord[] {
    return this.lifecycle.runs;
  }

  get activeRun(): RunRecord | null {
    return this.lifecycle.run;
  }

  /** Solve times of every plan (wall-clock, from the solver's host): kept out of every output file. */
  get planSolveTimesMs(): number[] {
    return this.dispatcher.planSolveTimesMs;
  }

  /** Starts the engine's own timers: the BESS watchdog, the dispatch slots and the forecast requests. */
  start(): void {
    const now = this.clock.nowMs();
    const bessMs = this.config.bessPeriodS * 1000;
    const watchdog = (): void => {
      if (this.stopped) return;
      this.checkBreakerFreshness();
      this.checkLostAssets();
      this.clock.schedule(this.clock.nowMs() + bessMs, watchdog);
    };
    this.clock.schedule(now + bessMs, watchdog);
    const slotMs = this.config.dispatchPeriodS * 1000;
    const offsetMs = this.safety.dispatchOffsetS * 1000;
    const slot = (): void => {
      if (this.stopped) return;
      this.requestForecast();
      // A dispatch already made in this slot (a run that started at its boundary) is not repeated; one made
      // in the previous slot does not stand for this one.
      this.dispatcher.onSlot(slotMs);
      this.clock.schedule(Math.floor(this.clock.nowMs() / slotMs) * slotMs + slotMs + offsetMs, slot);
    };
    this.requestForecast();
    const firstMs = Math.floor(now / slotMs) * slotMs + offsetMs;
    this.clock.schedule(firstMs > now ? firstMs : firstMs + slotMs, slot);
  }

  /**
   * Ends what is running and stops the timers: at the end of a replay (`scenario-end`), or when the field
   * EMS is stopped (`ems-stopped`). Either way the recording ends here.
   */
  finish(reason: 'scenario-end' | 'ems-stopped' = 'scenario-end'): void {
    this.lifecycle.finish(reason);
    this.stopped = true;
  }

  /** The plan in force (copies: the console and the history may keep them), or null. */
  planView(): PlanView | null {
    return this.dispatcher.planView();
  }

  /** A read-only view of what the engine knows now, for the console and the lab (no internals leak). */
  snapshot(): EngineSnapshot {
    const now = this.clock.nowMs();
    const run = this.lifecycle.run;
    const pending = this.lifecycle.pending;
    const book = this.book;
    const guard = this.guard;
    return {
      nowMs: now,
      controller: this.controller.name,
      run: run
        ? {
            runId: run.runId,
            useCase: run.trigger.useCase,
            triggerId: run.trigger.id,
            startMs: run.startMs,
            plannedEndMs: run.trigger.durationS !== null ? run.startMs + run.trigger.durationS * 1000 : null,
            targetKw: this.targetKwAt(now),
            toleranceKw: run.trigger.toleranceKw,
            predictedExhaustionAtMs: run.predictedExhaustionAtMs,
            band: this.instantaneousBand(now),
            inExhaustion: this.loop.exhaustionSinceMs !== null,
          }
        : null,
      pendingTrigger: pending ? { triggerId: pending.trigger.id, startMs: pending.trigger.startMs, useCase: pending.trigger.useCase } : null,
      breaker: {
        lastSampleMs: guard.lastSample?.sampleMs ?? null,
        lastPowerKw: guard.lastSample?.powerKw ?? null,
        lastValidSampleMs: guard.lastValidSampleMs,
        stale: guard.stale,
        safeState: guard.safeState,
      },
      forecastMissing: this.forecastMissing,
      assets: [
        { id: book.bess.config.id, kind: 'bess' as const, powerKw: book.bessPowerAt(now), setpointKw: this.loop.lastBessCommandKw, socPct: book.bess.socPct, link: linkState(book.bess.link) },
        ...[...book.households.values()].map((h) => ({
          id: h.config.id,
          kind: 'householdStorage' as const,
          powerKw: h.powerKw,
          setpointKw: h.setpointKw,
          socPct: h.socPct,
          link: linkState(h.link),
        })),
        ...[...book.heatPumps.values()].map((h) => ({
          id: h.config.id,
          kind: 'heatPump' as const,
          powerKw: h.on ? h.config.powerKw : 0,
          setpointKw: h.dispatchedOn === null ? null : h.dispatchedOn ? h.config.powerKw : 0,
          indoorC: h.indoorC,
          link: linkState(h.link),
        })),
      ],
    };
  }

  /** The target in force now, or null when no run is active. */
  targetKwAt(timeMs: number): number | null {
    return this.lifecycle.targetKwAt(timeMs);
  }

  /** A trigger arrives (I-01). Refused triggers change nothing; accepted ones start now or at `startMs`. */
  handleTrigger(trigger: Trigger): { accepted: boolean; reason?: string } {
    return this.lifecycle.handleTrigger(trigger);
  }

  /** After a stop the EMS dispatches nothing: BESS to 0 kW, storages and heat pumps to their own control. */
  private releaseAll(why: string): void {
    const now = this.clock.nowMs();
    this.loop.release(why);
    // Also what was commanded but is not acknowledged yet: its acknowledgement may still arrive.
    const commanded = (id: string): boolean => this.channel.isCommanded(id);
    for (const [id, h] of this.book.households) if (h.setpointKw !== null || commanded(id)) this.channel.write(id, null, now, `release (${why})`);
    for (const [id, h] of this.book.heatPumps) if (h.dispatchedOn !== null || commanded(id)) this.channel.write(id, null, now, `release (${why})`);
    this.dispatcher.releaseControl(why);
    this.loop.resetAim();
  }

  // ---------------------------------------------------------------- measurements

  handleBreakerSample(sample: BreakerSample): void {
    if (this.stopped) return;
    const verdict = this.guard.screen(sample);
    if (verdict === 'ignored') return;
    const valid = verdict === 'valid';
    const run = this.lifecycle.run;
    if (run && sample.sampleMs >= run.startMs) this.recorder.recordSample(run, sample, valid, this.targetKwAt(sample.sampleMs), this.loop.exhaustionSinceMs !== null);
    if (!valid) return;
    this.guard.restore(sample);
    const planner = this.dispatcher.planner;
    if (planner) planner.observeResidual(sample.sampleMs, sample.powerKw - this.book.controllablePowerKw(sample.sampleMs));
    const now = this.clock.nowMs();
    if (run && this.loop.onSample(run, sample)) return;
    if (!run && this.lifecycle.pending && this.dispatcher.preparationDue(now)) {
      // Preparation setpoints are renewed only on fresh, valid measurements, like every other setpoint.
      this.dispatcher.prepareBess(now);
    }
  }

  handleAssetReport(report: AssetReport): void {
    if (this.stopped) return;
    const outcome = this.book.report(report);
    if (outcome.kind === 'bess') this.loop.onBessTelemetry(outcome.sampleMs);
    else if (outcome.kind === 'heatPumpLocked') this.loop.scheduleLockedSwitch(outcome.pump, outcome.lockEndMs);
  }

  /**
   * The band `[F⁻, F⁺]` the controllable assets can deliver at `timeMs` (KPI.md, K01 power sufficiency);
   * see `AssetBook.instantaneousBand`.
   */
  instantaneousBand(timeMs: number): { downKw: number; upKw: number } {
    return this.book.instantaneousBand(timeMs);
  }

  /** The community's flexibility band `[F⁻, F⁺]` held on average for the rest of the run, from what the EMS knows. */
  communityBand(run: RunRecord, timeMs: number): { downKw: number; upKw: number } {
    return this.book.communityBand(run, timeMs);
  }

  /** `indoorEstimateC` of one heat pump now (null for an unknown id): for tests and diagnostics. */
  heatPumpIndoorEstimateC(assetId: string): number | null {
    const h = this.book.heatPumps.get(assetId);
    return h ? this.book.indoorEstimateC(h, this.clock.nowMs()) : null;
  }

  // ---------------------------------------------------------------- safety

  private checkBreakerFreshness(): void {
    const run = this.lifecycle.run;
    const preparing = !run && this.lifecycle.pending !== null && this.dispatcher.hasPlan;
    switch (this.guard.checkFreshness(this.clock.nowMs(), run !== null, preparing)) {
      case 'fault':
        this.lifecycle.endRun('fault');
        return;
      case 'hold':
        this.loop.holdLast();
        return;
      case 'safe-state':
        this.releaseAll('breaker data stale');
        return;
      case 'none':
        return;
    }
  }

  private checkLostAssets(): void {
    if (this.lifecycle.run && this.channel.bessLostTooLong(this.clock.nowMs())) {
      this.emit('safe-state', 'error', `BESS unreachable for ${this.safety.bessLostStopS} s: the run stops`, {}, this.book.bess.config.id);
      this.lifecycle.endRun('fault');
    }
  }

  private requestForecast(): void {
    this.ports.requestForecast((result) => {
      if (!result.ok) {
        if (!this.forecastMissing) {
          this.forecastMissing = true;
          this.emit('forecast-missing', 'warning', `weather forecast unavailable: ${result.error ?? 'no reason given'}; using the last good one`, {});
        }
        return;
      }
      if (this.forecastMissing) {
        this.forecastMissing = false;
        this.emit('forecast-restored', 'info', 'weather forecast available again', {});
      }
      this.book.setForecast(result);
      if (result.weather) this.dispatcher.planner?.setWeather(result.weather);
    });
  }

  private emit(type: EngineEventType, level: EngineEvent['level'], message: string, data: Record<string, unknown>, assetId?: string): void {
    const event: EngineEvent = { timeMs: this.clock.nowMs(), type, level, message, runId: this.lifecycle.run?.runId ?? null, data };
    if (assetId !== undefined) event.assetId = assetId;
    this.ports.emit(event);
  }
}
