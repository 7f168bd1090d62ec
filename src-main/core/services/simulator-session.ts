/**
 * The console's simulator mode: the bundled simulator (`LiveSimulation`) as a live session, with what the
 * console adds to it — every breaker sample, the engine's band, the members' readings (every
 * `memberRecordPeriodS`), every event, every run (at its start and at its end) and every 15-minute plan's
 * forecasts into the history; the recent window the Now chart shows; operator triggers stamped with the
 * session's time. The counterpart of `field-session.ts` for the field EMS.
 *
 * What is recorded (series ids, see `series.ts` for units): every breaker sample (10 s)
 * `breaker.measuredKw` (as the sensor sent it, NaN when missing or bad), `breaker.targetKw`,
 * `breaker.toleranceKw`, `flex.downKw` / `flex.upKw` (during a run), `community.pvKw`, `community.loadKw`,
 * the BESS's `…powerKw`, `…setpointKw`, `…socPct`; each household storage's `…powerKw`/`…socPct` and each
 * heat pump's `…powerKw`/`…indoorC` every `memberRecordPeriodS`. A plan's forecasts go into the forecasts
 * table issued at the plan's time: `forecast.residualKw`, `forecast.breakerKw`, `plan.bessKw`.
 */
import { randomUUID } from 'node:crypto';

import type { Engine, PlanView, RunRecord } from '../../engine/engine';
import type { EngineEvent } from '../../engine/model';
import type { LoadProfileLibrary } from '../../engine/models/load';
import type { LpSolver } from '../../engine/optimiser/lp';
import type { LoadedScenario } from '../../node/scenario-file';
import type { BreakerRecord } from '../../sim/field';
import type { LivePoint, LiveState, SpeedSetting, StoredEventDto, TriggerCheck, TriggerRequest, TriggerResponse } from '../../shared/ipc-contract';
import type { ForecastPoint, HistoryStore, SeriesPoint } from '../../storage/history-store';
import type { PaceAnchor } from '../live-logic';
import { LiveSimulation } from '../live-simulation';
import { breakerPoints, checkOperatorTrigger, eventDto, keepRecent, keepRecentEvent, liveStateOf, operatorTrigger } from '../live-state';
import { CoreError } from '../requests';
import { FORECAST_SERIES, SERIES } from '../series';
import { storedRun } from '../stored-run';

/** Whether an engine has a run in force, or a trigger accepted and announced for later. */
export function runInForceOf(engine: Pick<Engine, 'activeRun' | 'snapshot'>): 'run' | 'announced' | null {
  if (engine.activeRun) return 'run';
  return engine.snapshot().pendingTrigger ? 'announced' : null;
}

export interface SimulatorSessionOptions {
  loaded: LoadedScenario;
  loadProfiles: LoadProfileLibrary;
  solver: LpSolver | null;
  withScenarioTriggers: boolean;
  speed: SpeedSetting;
  /** The wall time the pace is anchored at. */
  wallNowMs: number;
  history: HistoryStore;
  appVersion: string;
  recentWindowMs: number;
  memberRecordPeriodS: number;
}

export class SimulatorSession {
  readonly sim: LiveSimulation;
  readonly loaded: LoadedScenario;
  readonly sessionId = `sim-${randomUUID().slice(0, 8)}`;
  speed: SpeedSetting;
  anchor: PaceAnchor;
  private readonly o: SimulatorSessionOptions;
  private pending: SeriesPoint[] = [];
  private readonly recent: LivePoint[] = [];
  private readonly recentEvents: StoredEventDto[] = [];
  private readonly lastReportMs = new Map<string, number>();
  private lastMemberRecordMs = -Infinity;
  private triggerSeq = 0;
  /** The last plan recorded into the forecasts table, to record each plan once. */
  private lastPlanKey: string | null = null;

  constructor(o: SimulatorSessionOptions) {
    this.o = o;
    this.loaded = o.loaded;
    this.speed = o.speed;
    this.sim = new LiveSimulation(
      { ...o.loaded, loadProfiles: o.loadProfiles, controller: 'lfc', withScenarioTriggers: o.withScenarioTriggers, ...(o.solver ? { solver: o.solver } : {}) },
      {
        onBreakerSampleTaken: (r) => this.recordSample(r),
        onBreakerSample: () => undefined,
        onAssetReport: (r) => this.lastReportMs.set(r.assetId, r.sampleMs),
        onEvent: (e) => this.recordEvent(e),
        onRunEnded: (run) => this.saveRun(run),
      },
    );
    this.anchor = { wallMs: o.wallNowMs, simMs: this.sim.nowMs };
  }

  get done(): boolean {
    return this.sim.done;
  }

  /** The BESS whose series the exports carry. */
  get bessId(): string {
    return this.sim.engine.config.bess.id;
  }

  /** A new pace from now on. */
  setSpeed(speed: SpeedSetting, wallNowMs: number): void {
    this.speed = speed;
    this.anchor = { wallMs: wallNowMs, simMs: this.sim.nowMs };
  }

  /** Whether a run is in force, or a trigger announced for later. */
  runInForce(): 'run' | 'announced' | null {
    return this.sim.done ? null : runInForceOf(this.sim.engine);
  }

  checkTrigger(req: TriggerRequest): TriggerCheck {
    if (!this.sim.done) this.sim.sync();
    return checkOperatorTrigger(this.sim.engine, req);
  }

  /** An operator's trigger: stamped with the session's time and handed to the engine, which may refuse it. */
  sendTrigger(req: TriggerRequest): TriggerResponse {
    const sim = this.sim;
    if (sim.done) throw new CoreError('NOT_READY', 'the simulated scenario has ended: start the simulator again');
    sim.sync();
    const trigger = operatorTrigger(req, ++this.triggerSeq, sim.nowMs);
    const r = sim.trigger(trigger);
    this.flush();
    return { accepted: r.accepted, triggerId: trigger.id, ...(r.reason !== undefined ? { reason: r.reason } : {}) };
  }

  /** Whether the simulator has a fresh breaker sample, and since when. */
  breakerFreshness(): { fresh: boolean; lastSampleMs: number | null } {
    const snap = this.sim.engine.snapshot();
    return { fresh: !snap.breaker.stale && snap.breaker.lastSampleMs !== null, lastSampleMs: snap.breaker.lastSampleMs };
  }

  getState(): LiveState {
    const { sim, loaded } = this;
    if (!sim.done) sim.sync();
    const { fresh, lastSampleMs } = this.breakerFreshness();
    return liveStateOf(sim.engine, {
      status: sim.done ? 'ended' : 'running',
      source: { kind: 'simulator', scenario: loaded.scenario.name, scenarioPath: loaded.path },
      sessionId: this.sessionId,
      speed: this.speed,
      startMs: sim.plant.startMs,
      endMs: sim.plant.endMs,
      timezone: loaded.scenario.site.timezone,
      outdoorC: sim.plant.outdoorC,
      lastReportMs: this.lastReportMs,
      recent: this.recent,
      recentWindowMs: this.o.recentWindowMs,
      recentEvents: this.recentEvents,
      connections: [
        {
          id: 'simulator',
          label: 'Bundled simulator',
          kind: 'simulator',
          health: sim.done ? 'down' : fresh ? 'ok' : 'stale',
          lastDataMs: lastSampleMs,
          detail: sim.done ? 'the scenario has ended' : `${loaded.scenario.name} in-process`,
        },
      ],
    });
  }

  /** Writes the samples taken since the last flush into the history. */
  flush(): void {
    if (this.pending.length === 0) return;
    this.o.history.appendPoints(this.pending);
    this.pending = [];
  }

  /** Ends what runs (`scenario-end`) and writes what is pending. */
  end(): void {
    if (!this.sim.done) this.sim.finish();
    this.flush();
    this.o.history.flush();
  }

  private recordSample(r: BreakerRecord): void {
    const sim = this.sim;
    const engine = sim.engine;
    const t = r.sampleMs;
    const p = this.pending;
    const measured = r.sentKw === null ? NaN : r.sentKw;
    const target = breakerPoints(engine, t, measured, p);
    const plant = sim.plant;
    let pv = 0;
    for (const x of plant.pvPowerKw) pv += x;
    let load = 0;
    for (const x of plant.loadPowerKw) load += x;
    p.push({ seriesId: SERIES.pvTotal, timeMs: t, value: pv });
    p.push({ seriesId: SERIES.loadTotal, timeMs: t, value: load });
    const members = t - this.lastMemberRecordMs >= this.o.memberRecordPeriodS * 1000;
    if (members) this.lastMemberRecordMs = t;
    for (const m of plant.members) {
      if (m.kind !== 'bess' && !(members && (m.kind === 'householdStorage' || m.kind === 'heatPump'))) continue;
      const reading = plant.read(m.id);
      if (!reading) continue;
      p.push({ seriesId: `${m.id}.powerKw`, timeMs: t, value: reading.powerKw });
      if (m.kind === 'bess') p.push({ seriesId: `${m.id}.setpointKw`, timeMs: t, value: reading.setpointKw ?? NaN });
      if (reading.socPct !== undefined) p.push({ seriesId: `${m.id}.socPct`, timeMs: t, value: reading.socPct });
      if (reading.indoorC !== undefined) p.push({ seriesId: `${m.id}.indoorC`, timeMs: t, value: reading.indoorC });
    }
    keepRecent(this.recent, { timeMs: t, measuredKw: Number.isFinite(measured) ? measured : null, targetKw: target }, this.o.recentWindowMs);
  }

  private recordEvent(e: EngineEvent): void {
    const dto = eventDto(e);
    this.o.history.appendEvents([dto]);
    keepRecentEvent(this.recentEvents, dto);
    // The engine emits events while `LiveSimulation` is being built: `sim` is not assigned yet then.
    const sim = this.sim as LiveSimulation | undefined;
    // The run exists in the engine by the time it says so: record it at once, so the Runs view lists it.
    const run = sim?.engine.activeRun;
    if (e.type === 'run-started' && run) this.saveRun(run);
    // The engine says 'dispatch' right after it made (and adopted) a plan: record that plan's forecasts.
    if (e.type === 'dispatch' && e.data?.['method'] === 'plan' && sim) this.recordPlan(sim.engine.planView());
  }

  /**
   * Writes one plan's forecasts (issued at the plan's time) into the history; a plan already recorded (the
   * engine keeps its last plan when a re-plan fails) is not written again under a new issue time.
   */
  private recordPlan(view: PlanView | null): void {
    if (!view || view.residualKw.length === 0) return;
    const key = JSON.stringify([view.startMs, view.residualKw, view.breakerKw, view.bessKw]);
    if (key === this.lastPlanKey) return;
    this.lastPlanKey = key;
    const stepMs = view.stepS * 1000;
    const points: ForecastPoint[] = [];
    const add = (seriesId: string, values: readonly number[]): void => {
      values.forEach((value, k) => points.push({ issuedMs: view.issuedMs, seriesId, timeMs: view.startMs + k * stepMs, value }));
    };
    add(FORECAST_SERIES.residual, view.residualKw);
    add(FORECAST_SERIES.breaker, view.breakerKw);
    add(FORECAST_SERIES.bess, view.bessKw);
    this.o.history.appendForecasts(points);
  }

  private saveRun(run: RunRecord): void {
    this.o.history.saveRun(storedRun(run, this.sessionId, this.loaded.scenario.name, this.o.appVersion));
  }
}
