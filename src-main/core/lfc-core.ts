/**
 * The main-process core: one live session (today the bundled simulator), the history it writes, the runs
 * it produced, their exports, and the Replay view's side-by-side replays. The Electron main process and
 * the headless serve mode both host one `LfcCore` and expose it through the same IPC contract
 * (`shared/ipc-contract.ts`), so the console cannot tell which one it talks to.
 *
 * ## Time
 * The simulator runs on its scenario's calendar (virtual time), paced against the wall clock at
 * `speed` × real time (`'max'`: as fast as the machine allows, in slices of at most `maxSliceWallMs` so
 * the process stays responsive). The wall clock and its timers are injected: tests construct the core with
 * `autoRun: false` and drive it with `pump()` / `publishLive()` and a fake `now()`.
 *
 * ## What is recorded (series ids, see `series.ts` for units)
 * Every breaker sample (10 s): `breaker.measuredKw` (as the sensor sent it, NaN when missing or bad),
 * `breaker.targetKw`, `breaker.toleranceKw`, `flex.downKw` / `flex.upKw` (the engine's band, during a run),
 * `community.pvKw`, `community.loadKw`, the BESS's `…powerKw`, `…setpointKw`, `…socPct`. Every
 * `memberRecordPeriodS` (60 s): each household storage's `…powerKw`/`…socPct` and each heat pump's
 * `…powerKw`/`…indoorC`. Every engine event; every run (at its start, and with its KPIs at its end).
 * Every 15-minute plan the engine makes (it plans when the core has an LP solver): its forecasts into the
 * history's forecasts table, issued at the plan's time — `forecast.residualKw` (uncontrolled power),
 * `forecast.breakerKw` (planned breaker power) and `plan.bessKw` (planned BESS power), one value per slot.
 */
import { createPublicKey, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';

import type { PlanView, RunRecord } from '../engine/engine';
import type { EngineEvent } from '../engine/model';
import type { LoadProfileLibrary } from '../engine/models/load';
import type { LpSolver } from '../engine/optimiser/lp';
import { loadProfileLibraryFromResources } from '../node/load-profiles';
import { loadScenarioFile, ScenarioError } from '../node/scenario-file';
import { loadLpSolver } from '../node/solver';
import { describePublicKey, PUBLIC_KEY_FILE } from '../record/installation-key';
import { verifyRecordText } from '../record/verify';
import type { LoadedScenario } from '../node/scenario-file';
import type { BreakerRecord } from '../sim/field';
import type {
  CoreSettings,
  ConnectionInfo,
  ConnectionTestResult,
  EventChannel,
  EventContract,
  EventsQuery,
  ExportFormat,
  ExportedFile,
  ForecastData,
  ForecastQuery,
  LivePoint,
  LiveState,
  Preferences,
  RecordVerification,
  ReplayRequest,
  ReplayState,
  RunDto,
  SaveAsScenarioRequest,
  SavedScenario,
  SeriesData,
  SeriesInfo,
  SeriesQuery,
  SpeedSetting,
  StartSimulatorRequest,
  StoredEventDto,
  TriggerCheck,
  TriggerRequest,
  TriggerResponse,
  Unsubscribe,
} from '../shared/ipc-contract';
import type { ForecastPoint, HistoryStore, SeriesPoint } from '../storage/history-store';
import { stepsDue } from './live-logic';
import { breakerPoints, checkOperatorTrigger, eventDto, keepRecent, keepRecentEvent, liveStateOf, operatorTrigger } from './live-state';
import { interruptedRunKpis, storedRun } from './stored-run';
import { FieldSession } from './field-session';
import { SiteService } from './site-service';
import type { SecretPort } from './site-service';
export type { SecretPort } from './site-service';
import type { PaceAnchor } from './live-logic';
import { LiveSimulation } from './live-simulation';
import { buildRecordedScenario } from './recorded-scenario';
import type { StoredTrigger } from './recorded-scenario';
import { ReplayComparison } from './replay-compare';
import {
  CoreError,
  EventsQuerySchema,
  ExportFormatSchema,
  ForecastQuerySchema,
  parseRequest,
  PreferencesPatchSchema,
  ReplayRequestSchema,
  SaveAsScenarioRequestSchema,
  SeriesQuerySchema,
  SpeedSchema,
  StartSimulatorRequestSchema,
  TriggerRequestSchema,
} from './requests';
import { exportRun } from './run-export';
import { FORECAST_OVERLAYS, FORECAST_SERIES, SERIES, stitchForecasts, toSeriesData, unitOf } from './series';

export interface WallTimers {
  now(): number;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export const realWallTimers: WallTimers = {
  now: () => Date.now(),
  setInterval: (fn, ms) => {
    const h = setInterval(fn, ms);
    h.unref?.();
    return h;
  },
  clearInterval: (h) => clearInterval(h as ReturnType<typeof setInterval>),
};

/** Where the host keeps the operator's display preferences (its settings store). */
export interface PreferencesPort {
  get(): Preferences;
  /** Validates and stores; throws (changing nothing) when a value is invalid. */
  set(patch: Partial<Preferences>): Preferences;
}

export interface LfcCoreOptions {
  /** The bundled `resources/` folder (scenarios, load profiles). */
  resourcesDirPath: string;
  /** Where saved scenarios and exports go. */
  dataDirPath: string;
  history: HistoryStore;
  appVersion: string;
  /** The host's settings for language and theme; without it the console keeps its own (per browser). */
  preferences?: PreferencesPort | null;
  /** Shown on the Settings view: the host's log file. */
  logFilePath?: string | null;
  /**
   * Folders the console may name files in (scenarios to open, records to verify). Serve mode sets it to the
   * bundled resources and the data folder: a browser client must not probe the host's files. Unset (the
   * desktop app, whose files come from the native file dialog): any path.
   */
  allowedFileRoots?: readonly string[] | null;
  /**
   * Loads the LP solver of the 15-minute planner (default: HiGHS, `node/solver.ts`); null runs the live
   * simulator without a planner (fair-share dispatch, no forecasts recorded).
   */
  loadSolver?: (() => Promise<LpSolver>) | null;
  wall?: WallTimers;
  /** Run the pacing and 1 Hz live timers (default true). Tests pass false and call `pump()` themselves. */
  autoRun?: boolean;
  /**
   * Close, at start, the runs the history holds as still in force (see `closeInterruptedRuns`). Only for the
   * process that owns the history (its lock, `node/owner-lock.ts`): another one's live run is not dead.
   */
  closeInterruptedRuns?: boolean;
  tickMs?: number;
  liveIntervalMs?: number;
  /** The longest wall time one tick may spend simulating at speed 'max'. */
  maxSliceWallMs?: number;
  /** Cap of plant steps per tick at speed 'max' (a bound that holds even if the wall clock is frozen). */
  maxStepsPerTick?: number;
  memberRecordPeriodS?: number;
  /** Session time shown in the Now chart. */
  recentWindowMs?: number;
  /** The site file field mode runs on and Settings → Connections edits (default `<dataDir>/site/site.json`). */
  sitePath?: string | null;
  /**
   * Where the console keeps the secrets the operator enters for the site (the desktop app: the OS keychain
   * via Electron `safeStorage`; serve mode: its encrypted secrets file). Without it the secrets come only
   * from the environment (`LFC_SECRET_<NAME>`) and the 0600 secrets file beside the site file.
   */
  secretStore?: SecretPort | null;
}

export type CoreEventListener = <C extends EventChannel>(channel: C, payload: EventContract[C]) => void;

export const DEFAULT_SCENARIO = 'summer-export-hold';

interface LiveContext {
  sim: LiveSimulation;
  loaded: LoadedScenario;
  sessionId: string;
  speed: SpeedSetting;
  anchor: PaceAnchor;
  pending: SeriesPoint[];
  recent: LivePoint[];
  recentEvents: StoredEventDto[];
  lastReportMs: Map<string, number>;
  lastMemberRecordMs: number;
  triggerSeq: number;
  /** The last plan recorded into the forecasts table, to record each plan once. */
  lastPlanKey: string | null;
}

interface ReplayContext {
  comparison: ReplayComparison | null;
  state: ReplayState;
  anchor: PaceAnchor;
}

const idleReplay = (): ReplayState => ({ status: 'idle', scenario: null, scenarioPath: null, speed: 1, progress: 0, nowMs: null, error: null, sides: [] });

export class LfcCore {
  private readonly wall: WallTimers;
  private readonly history: HistoryStore;
  private readonly opts: Required<Omit<LfcCoreOptions, 'wall' | 'history' | 'preferences' | 'logFilePath' | 'loadSolver' | 'sitePath' | 'secretStore' | 'closeInterruptedRuns'>>;
  /** The site of field mode: its file, secrets, PKI and connection tests (Settings → Connections). */
  readonly site: SiteService;
  /** The field EMS, when the live session runs in field mode (then `live` is null). */
  private field: FieldSession | null = null;
  /** The queue of mode switches (see `serially`). */
  private switching: Promise<unknown> = Promise.resolve();
  /** The stop of a field EMS that `close()` let go of. */
  private fieldStopping: Promise<void> | null = null;
  private readonly preferences: PreferencesPort | null;
  private readonly logFilePath: string | null;
  private readonly loadSolver: (() => Promise<LpSolver>) | null;
  private readonly listeners = new Set<CoreEventListener>();
  private live: LiveContext | null = null;
  private replay: ReplayContext = { comparison: null, state: idleReplay(), anchor: { wallMs: 0, simMs: 0 } };
  private profiles: LoadProfileLibrary | null = null;
  private timers: unknown[] = [];
  private closed = false;

  constructor(options: LfcCoreOptions) {
    this.wall = options.wall ?? realWallTimers;
    this.history = options.history;
    this.preferences = options.preferences ?? null;
    this.logFilePath = options.logFilePath ?? null;
    this.loadSolver = options.loadSolver === undefined ? loadLpSolver : options.loadSolver;
    this.site = new SiteService({
      sitePath: options.sitePath ?? join(options.dataDirPath, 'site', 'site.json'),
      dataDirPath: options.dataDirPath,
      resourcesDirPath: options.resourcesDirPath,
      secretStore: options.secretStore ?? null,
      running: () => this.field,
      templateScenarioPath: join(options.resourcesDirPath, 'scenarios', DEFAULT_SCENARIO, 'scenario.json'),
    });
    this.opts = {
      allowedFileRoots: options.allowedFileRoots ?? null,
      resourcesDirPath: options.resourcesDirPath,
      dataDirPath: options.dataDirPath,
      appVersion: options.appVersion,
      autoRun: options.autoRun ?? true,
      tickMs: options.tickMs ?? 50,
      liveIntervalMs: options.liveIntervalMs ?? 1000,
      maxSliceWallMs: options.maxSliceWallMs ?? 30,
      maxStepsPerTick: options.maxStepsPerTick ?? 3600,
      memberRecordPeriodS: options.memberRecordPeriodS ?? 60,
      recentWindowMs: options.recentWindowMs ?? 30 * 60_000,
    };
    if (options.closeInterruptedRuns) this.closeInterruptedRuns();
    if (this.opts.autoRun) this.startTimers();
  }

  /**
   * Runs the history holds as still in force belong to a process that is gone (killed, crashed, powered
   * off): no session of this one can end them. They are closed as `interrupted` at the last moment the
   * history heard of them (their last event, else their start), so the Runs view never shows a dead run
   * as running, and given the KPIs the history holds the material for (`interruptedRunKpis`): every breaker
   * sample up to the crash against the request as received.
   */
  private closeInterruptedRuns(): void {
    const runs = this.history.listRuns({ limit: 500 });
    for (const run of runs) {
      if (run.endMs !== null) continue;
      // Engine run ids repeat across sessions (run-001 …): look no further than the next run's start.
      // Another session's run starting at the same instant (a replayed scenario) bounds it too.
      const nextStartMs = Math.min(Number.MAX_SAFE_INTEGER, ...runs.filter((r) => r !== run && r.startMs >= run.startMs && r.runId !== run.runId).map((r) => (r.startMs > run.startMs ? r.startMs : run.startMs)));
      const events = this.history.events(run.startMs, nextStartMs, { runId: run.runId.split('/').pop()! });
      const lastMs = Math.max(run.startMs, ...events.map((e) => e.timeMs));
      // Up to the crash: the last sign of life is the newer of its last event and its last stored breaker sample.
      const target = this.history.queryRaw(SERIES.breakerTarget, run.startMs, Math.min(nextStartMs, Number.MAX_SAFE_INTEGER));
      let lastSampleMs = run.startMs;
      for (let i = 0; i < target.timeMs.length && Number.isFinite(target.value[i]!); i++) lastSampleMs = target.timeMs[i]!;
      const endMs = Math.max(lastMs, lastSampleMs);
      this.history.saveRun({ ...run, endMs, endReason: 'interrupted', kpis: run.kpis ?? interruptedRunKpis(this.history, run, endMs) });
      console.warn(`[core] run ${run.runId} was still in force when its process stopped; closed as interrupted at ${new Date(endMs).toISOString()}, its KPIs computed from the history up to then`);
    }
  }

  // ------------------------------------------------------------------------------------------- events

  /** Subscribes to the contract's events (`core:onLive`, `replay:onProgress`). */
  subscribe(listener: CoreEventListener): Unsubscribe {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit<C extends EventChannel>(channel: C, payload: EventContract[C]): void {
    for (const l of this.listeners) {
      try {
        l(channel, payload);
      } catch (error) {
        console.error(`[core] a ${channel} listener failed:`, error);
      }
    }
  }

  private startTimers(): void {
    this.timers.push(this.wall.setInterval(() => this.pump(), this.opts.tickMs));
    this.timers.push(this.wall.setInterval(() => this.publishLive(), this.opts.liveIntervalMs));
  }

  private stopTimers(): void {
    for (const t of this.timers) this.wall.clearInterval(t);
    this.timers = [];
  }

  /** Pushes the live picture and the replay's progress (the 1 Hz timer calls it). */
  publishLive(): void {
    if (this.live || this.field) this.emit('core:onLive', this.getState());
    if (this.replay.state.status === 'running') this.emit('replay:onProgress', this.replay.state);
  }

  // ------------------------------------------------------------------------------------------- pacing

  /** Advances the live session and the replay to where the wall clock says they should be. */
  pump(): void {
    if (this.closed) return;
    this.field?.flush();
    const live = this.live;
    if (live && !live.sim.done) {
      this.advancePaced(live.anchor, live.speed, live.sim.stepMs, () => live.sim.nowMs, (n) => live.sim.advance(n), () => live.sim.done);
      if (live.sim.done) {
        live.sim.finish();
        this.emit('core:onLive', this.getState());
      }
      this.flushLive(live);
    }
    const rp = this.replay;
    const cmp = rp.comparison;
    if (cmp && rp.state.status === 'running') {
      try {
        this.advancePaced(rp.anchor, rp.state.speed, cmp.stepMs, () => cmp.nowMs, (n) => cmp.advance(n), () => cmp.done);
        rp.state = { ...rp.state, progress: cmp.progress, nowMs: cmp.nowMs, sides: cmp.data(), status: cmp.done ? 'done' : 'running' };
      } catch (error) {
        rp.state = { ...rp.state, status: 'failed', error: error instanceof Error ? error.message : String(error) };
      }
      if (rp.state.status !== 'running') this.emit('replay:onProgress', rp.state);
    }
  }

  private advancePaced(anchor: PaceAnchor, speed: SpeedSetting, stepMs: number, simNow: () => number, advance: (n: number) => void, done: () => boolean): void {
    const wall0 = this.wall.now();
    if (speed === 'max') {
      // Slices of work until the wall budget is spent, bounded by a step cap in case the clock is frozen.
      let stepsLeft = this.opts.maxStepsPerTick;
      const slice = Math.max(1, Math.round(10_000 / stepMs));
      while (stepsLeft > 0 && !done() && this.wall.now() - wall0 < this.opts.maxSliceWallMs) {
        advance(Math.min(slice, stepsLeft));
        stepsLeft -= slice;
      }
      return;
    }
    const due = stepsDue(anchor, wall0, simNow(), speed, stepMs, this.opts.maxStepsPerTick);
    if (due.steps > 0) advance(due.steps);
    if (due.reanchor) {
      anchor.wallMs = wall0;
      anchor.simMs = simNow();
    }
  }

  // ------------------------------------------------------------------------------------------- the live session

  /** Starts (or restarts) the simulator on a scenario; the previous live session ends (`scenario-end`). */
  startSimulator(request: StartSimulatorRequest = {}): Promise<LiveState> {
    return this.serially(() => this.startSimulatorNow(request));
  }

  /**
   * Mode switches (simulator ↔ field, a restart of either) one at a time, in the order asked: two at once
   * would otherwise leave both sessions live, or a field EMS started after the core was closed.
   */
  private serially<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.switching.then(() => {
      if (this.closed) throw new CoreError('NOT_READY', 'the console is closing');
      return fn();
    });
    this.switching = next.catch(() => undefined);
    return next;
  }

  private async startSimulatorNow(request: StartSimulatorRequest): Promise<LiveState> {
    const req = parseRequest(StartSimulatorRequestSchema, request, 'core:startSimulator');
    const path = req.scenarioPath ?? join(this.opts.resourcesDirPath, 'scenarios', DEFAULT_SCENARIO, 'scenario.json');
    const loaded = await this.load(path);
    const solver = this.loadSolver ? await this.solverOrNull() : null;
    if (this.field) {
      this.refuseSwitchDuringRun('the simulator');
      await this.stopFieldNow();
    }
    this.endLive();
    const sessionId = `sim-${randomUUID().slice(0, 8)}`;
    const speed = req.speed ?? 1;
    const context: Partial<LiveContext> & { pending: SeriesPoint[] } = {
      loaded,
      sessionId,
      speed,
      pending: [],
      recent: [],
      recentEvents: [],
      lastReportMs: new Map(),
      lastMemberRecordMs: -Infinity,
      triggerSeq: 0,
      lastPlanKey: null,
    };
    const sim = new LiveSimulation(
      { ...loaded, loadProfiles: this.loadProfiles(), controller: 'lfc', withScenarioTriggers: req.withScenarioTriggers ?? false, ...(solver ? { solver } : {}) },
      {
        onBreakerSampleTaken: (r) => this.recordSample(context as LiveContext, r),
        onBreakerSample: () => undefined,
        onAssetReport: (r) => context.lastReportMs!.set(r.assetId, r.sampleMs),
        onEvent: (e) => this.recordEvent(context as LiveContext, e),
        onRunEnded: (run) => this.saveRun(context as LiveContext, run),
      },
    );
    context.sim = sim;
    context.anchor = { wallMs: this.wall.now(), simMs: sim.nowMs };
    this.live = context as LiveContext;
    return this.getState();
  }

  /** Changes the pace of the live session (and of a running replay). */
  setSpeed(speed: SpeedSetting): LiveState {
    const s = parseRequest(SpeedSchema, speed, 'core:setSpeed');
    const live = this.requireLive();
    live.speed = s;
    live.anchor = { wallMs: this.wall.now(), simMs: live.sim.nowMs };
    return this.getState();
  }

  /** Whether the live session (simulator or field) has a run in force, or a trigger announced for later. */
  private runInForce(): 'run' | 'announced' | null {
    const engine = this.field ? this.field.ems.ems?.engine : this.live && !this.live.sim.done ? this.live.sim.engine : null;
    if (!engine) return null;
    if (engine.activeRun) return 'run';
    return engine.snapshot().pendingTrigger ? 'announced' : null;
  }

  /** A switch between simulator and field never ends a run, or drops an accepted trigger, behind the operator's back. */
  private refuseSwitchDuringRun(to: string): void {
    const busy = this.runInForce();
    if (busy === 'run') throw new CoreError('NOT_READY', `a run is in force: stop it before switching to ${to}`);
    if (busy === 'announced') throw new CoreError('NOT_READY', `a trigger is announced and accepted: stop it (Stop withdraws it) before switching to ${to}`);
  }

  /**
   * Switches the live session to the field EMS on the saved site (Settings → Connections): loads and checks
   * the site file and its secrets, connects to every connection (OPC UA with the PKI's trust, REST), opens
   * the trigger intake. Refused while a run is in force. On failure nothing is left open and the previous
   * session is gone only if it was stopped to make way (the message says why the site did not start).
   */
  startField(): Promise<LiveState> {
    return this.serially(() => this.startFieldNow());
  }

  private async startFieldNow(): Promise<LiveState> {
    this.refuseSwitchDuringRun('field mode');
    const loaded = this.site.load();
    await this.stopFieldNow();
    this.endLive();
    const session = new FieldSession({
      loaded,
      dataDir: this.opts.dataDirPath,
      outDir: join(this.opts.dataDirPath, 'field-out'),
      history: this.history,
      appVersion: this.opts.appVersion,
      recentWindowMs: this.opts.recentWindowMs,
      memberRecordPeriodS: this.opts.memberRecordPeriodS,
    });
    try {
      await session.start();
    } catch (error) {
      throw new CoreError('NOT_READY', `the site ${loaded.site.name} did not start: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (this.closed) {
      // Closed while it connected: it must not run on unseen.
      session.detach();
      await session.stop();
      throw new CoreError('NOT_READY', 'the console closed while the field EMS started; it was stopped again');
    }
    this.field = session;
    return this.getState();
  }

  /**
   * Stops the field EMS (a run in force ends `ems-stopped`, the assets are released, its files written).
   * The hosts call it before they close the core and its history.
   */
  stopField(): Promise<void> {
    if (this.closed) return this.fieldStopping ?? Promise.resolve();
    return this.serially(() => this.stopFieldNow());
  }

  private async stopFieldNow(): Promise<void> {
    const f = this.field;
    if (!f) return;
    this.field = null;
    try {
      await f.stop();
    } catch (error) {
      console.error('[core] the field EMS did not stop cleanly:', error);
    }
  }

  checkTrigger(request: TriggerRequest): TriggerCheck {
    const req = parseRequest(TriggerRequestSchema, request, 'core:checkTrigger');
    if (this.field) return this.field.checkTrigger(req);
    const live = this.requireLive();
    if (!live.sim.done) live.sim.sync();
    return checkOperatorTrigger(live.sim.engine, req);
  }

  /** An operator's trigger: stamped with the session's time and handed to the engine, which may refuse it. */
  sendTrigger(request: TriggerRequest): TriggerResponse {
    const req = parseRequest(TriggerRequestSchema, request, 'core:sendTrigger');
    if (this.field) return this.field.sendTrigger(req);
    const live = this.requireLive();
    if (live.sim.done) throw new CoreError('NOT_READY', 'the simulated scenario has ended: start the simulator again');
    live.sim.sync();
    const trigger = operatorTrigger(req, ++live.triggerSeq, live.sim.nowMs);
    const r = live.sim.trigger(trigger);
    this.flushLive(live);
    return { accepted: r.accepted, triggerId: trigger.id, ...(r.reason !== undefined ? { reason: r.reason } : {}) };
  }

  /** Operator stop (use case 0): the run in force ends, every asset is released. */
  stop(): TriggerResponse {
    return this.sendTrigger({ useCase: 0 });
  }

  getState(): LiveState {
    if (this.field) return this.field.getState();
    const live = this.live;
    if (!live) return this.idleState();
    const { sim, loaded } = live;
    if (!sim.done) sim.sync();
    const snap = sim.engine.snapshot();
    const fresh = !snap.breaker.stale && snap.breaker.lastSampleMs !== null;
    return liveStateOf(sim.engine, {
      status: sim.done ? 'ended' : 'running',
      source: { kind: 'simulator', scenario: loaded.scenario.name, scenarioPath: loaded.path },
      sessionId: live.sessionId,
      speed: live.speed,
      startMs: sim.plant.startMs,
      endMs: sim.plant.endMs,
      timezone: loaded.scenario.site.timezone,
      outdoorC: sim.plant.outdoorC,
      lastReportMs: live.lastReportMs,
      recent: live.recent,
      recentWindowMs: this.opts.recentWindowMs,
      recentEvents: live.recentEvents,
      connections: [
        {
          id: 'simulator',
          label: 'Bundled simulator',
          kind: 'simulator',
          health: sim.done ? 'down' : fresh ? 'ok' : 'stale',
          lastDataMs: snap.breaker.lastSampleMs,
          detail: sim.done ? 'the scenario has ended' : `${loaded.scenario.name} in-process`,
        },
      ],
    });
  }

  private idleState(): LiveState {
    return {
      status: 'idle',
      source: null,
      sessionId: null,
      speed: 1,
      nowMs: 0,
      startMs: 0,
      endMs: 0,
      timezone: 'UTC',
      connectionLimitKw: 0,
      breaker: { measuredKw: null, sampleMs: null, stale: false, safeState: false, targetKw: null },
      run: null,
      pendingTrigger: null,
      forecastMissing: false,
      assets: [],
      recent: [],
      recentWindowMs: this.opts.recentWindowMs,
      recentEvents: [],
      connections: [],
    };
  }

  /** The live session's clock (simulated or field), or null without one. */
  private liveNowMs(): number | null {
    if (this.field) return this.field.ems.nowMs();
    return this.live?.sim.nowMs ?? null;
  }

  /** The engine's run records of the live session (for tools and tests that compare exports with them). */
  engineRuns(): readonly RunRecord[] {
    return this.live?.sim.engine.runs ?? [];
  }

  private requireLive(): LiveContext {
    if (!this.live) throw new CoreError('NOT_READY', 'no live session: start the simulator first');
    return this.live;
  }

  private recordSample(live: LiveContext, r: BreakerRecord): void {
    const sim = live.sim;
    const engine = sim.engine;
    const t = r.sampleMs;
    const p = live.pending;
    const measured = r.sentKw === null ? NaN : r.sentKw;
    const target = breakerPoints(engine, t, measured, p);
    const plant = sim.plant;
    let pv = 0;
    for (const x of plant.pvPowerKw) pv += x;
    let load = 0;
    for (const x of plant.loadPowerKw) load += x;
    p.push({ seriesId: SERIES.pvTotal, timeMs: t, value: pv });
    p.push({ seriesId: SERIES.loadTotal, timeMs: t, value: load });
    const members = t - live.lastMemberRecordMs >= this.opts.memberRecordPeriodS * 1000;
    if (members) live.lastMemberRecordMs = t;
    for (const m of plant.members) {
      if (m.kind !== 'bess' && !(members && (m.kind === 'householdStorage' || m.kind === 'heatPump'))) continue;
      const reading = plant.read(m.id);
      if (!reading) continue;
      p.push({ seriesId: `${m.id}.powerKw`, timeMs: t, value: reading.powerKw });
      if (m.kind === 'bess') p.push({ seriesId: `${m.id}.setpointKw`, timeMs: t, value: reading.setpointKw ?? NaN });
      if (reading.socPct !== undefined) p.push({ seriesId: `${m.id}.socPct`, timeMs: t, value: reading.socPct });
      if (reading.indoorC !== undefined) p.push({ seriesId: `${m.id}.indoorC`, timeMs: t, value: reading.indoorC });
    }
    keepRecent(live.recent, { timeMs: t, measuredKw: Number.isFinite(measured) ? measured : null, targetKw: target }, this.opts.recentWindowMs);
  }

  private recordEvent(live: LiveContext, e: EngineEvent): void {
    const dto = eventDto(e);
    this.history.appendEvents([dto]);
    keepRecentEvent(live.recentEvents, dto);
    // The run exists in the engine by the time it says so: record it at once, so the Runs view lists it.
    const run = live.sim?.engine.activeRun;
    if (e.type === 'run-started' && run) this.saveRun(live, run);
    // The engine says 'dispatch' right after it made (and adopted) a plan: record that plan's forecasts.
    if (e.type === 'dispatch' && e.data?.['method'] === 'plan' && live.sim) this.recordPlan(live, live.sim.engine.planView());
  }

  /**
   * Writes one plan's forecasts (issued at the plan's time) into the history; a plan already recorded (the
   * engine keeps its last plan when a re-plan fails) is not written again under a new issue time.
   */
  private recordPlan(live: LiveContext, view: PlanView | null): void {
    if (!view || view.residualKw.length === 0) return;
    const key = JSON.stringify([view.startMs, view.residualKw, view.breakerKw, view.bessKw]);
    if (key === live.lastPlanKey) return;
    live.lastPlanKey = key;
    const stepMs = view.stepS * 1000;
    const points: ForecastPoint[] = [];
    const add = (seriesId: string, values: readonly number[]): void => {
      values.forEach((value, k) => points.push({ issuedMs: view.issuedMs, seriesId, timeMs: view.startMs + k * stepMs, value }));
    };
    add(FORECAST_SERIES.residual, view.residualKw);
    add(FORECAST_SERIES.breaker, view.breakerKw);
    add(FORECAST_SERIES.bess, view.bessKw);
    this.history.appendForecasts(points);
  }

  private saveRun(live: LiveContext, run: RunRecord): void {
    this.history.saveRun(storedRun(run, live.sessionId, live.loaded.scenario.name, this.opts.appVersion));
  }

  private flushLive(live: LiveContext): void {
    if (live.pending.length === 0) return;
    this.history.appendPoints(live.pending);
    live.pending = [];
  }

  private endLive(): void {
    const live = this.live;
    if (!live) return;
    if (!live.sim.done) live.sim.finish();
    this.flushLive(live);
    this.history.flush();
    this.live = null;
  }

  // ------------------------------------------------------------------------------------------- history

  /** Every stored series: measured ones (with the forecast that overlays each, if stored) and forecasts. */
  listSeries(): SeriesInfo[] {
    this.flushAll();
    const ids = this.history.listSeries();
    const forecasts = new Set(ids.filter((id) => this.history.listForecastIssues(id, 0, Number.MAX_SAFE_INTEGER).length > 0));
    const bessId = this.live?.sim.engine.config.bess.id ?? 'bess';
    const overlays: Record<string, string> = { ...FORECAST_OVERLAYS, [`${bessId}.powerKw`]: FORECAST_SERIES.bess };
    return ids.map((seriesId) => {
      const overlay = overlays[seriesId];
      return forecasts.has(seriesId)
        ? { seriesId, unit: unitOf(seriesId), kind: 'forecast' as const, forecastSeriesId: null }
        : { seriesId, unit: unitOf(seriesId), kind: 'measured' as const, forecastSeriesId: overlay !== undefined && forecasts.has(overlay) ? overlay : null };
    });
  }

  /** A forecast series over a window as it was in force (see `ForecastData`). */
  queryForecast(query: ForecastQuery): ForecastData {
    const q = parseRequest(ForecastQuerySchema, query, 'history:queryForecast');
    if (!(q.toMs > q.fromMs)) throw new CoreError('BAD_REQUEST', `history:queryForecast: toMs (${q.toMs}) must be after fromMs (${q.fromMs})`);
    this.flushAll();
    // Plans reach 12 h ahead: one issued up to 12 h before the window can still hold values inside it.
    const lookBackMs = 12 * 3_600_000;
    const issues = this.history.listForecastIssues(q.seriesId, q.fromMs - lookBackMs, q.toMs);
    const plans = issues.map((issuedMs) => this.history.latestForecast(q.seriesId, issuedMs)).filter((p) => p !== null);
    return { seriesId: q.seriesId, unit: unitOf(q.seriesId), ...stitchForecasts(plans, q.fromMs, q.toMs) };
  }

  querySeries(query: SeriesQuery): SeriesData {
    const q = parseRequest(SeriesQuerySchema, query, 'history:querySeries');
    if (!(q.toMs > q.fromMs)) throw new CoreError('BAD_REQUEST', `history:querySeries: toMs (${q.toMs}) must be after fromMs (${q.fromMs})`);
    this.flushAll();
    return toSeriesData(this.history.querySeries(q.seriesId, q.fromMs, q.toMs, q.maxBuckets));
  }

  events(query: EventsQuery): StoredEventDto[] {
    const q = parseRequest(EventsQuerySchema, query, 'history:events');
    this.flushAll();
    const opts: { types?: string[]; runId?: string } = {};
    if (q.types) opts.types = q.types;
    if (q.runId) opts.runId = q.runId;
    return this.history.events(q.fromMs, q.toMs, opts);
  }

  listRuns(): RunDto[] {
    this.flushAll();
    return this.history.listRuns({ limit: 500 });
  }

  private flushAll(): void {
    if (this.live) this.flushLive(this.live);
    this.field?.flush();
    this.history.flush();
  }

  /** The series a run export carries, in column order. */
  private exportSeriesIds(): string[] {
    const bessId = this.live?.sim.engine.config.bess.id ?? this.field?.site.plant.assets.find((a) => a.kind === 'bess')?.id ?? 'bess';
    return [SERIES.breakerMeasured, SERIES.breakerTarget, SERIES.breakerTolerance, SERIES.flexDown, SERIES.flexUp, `${bessId}.powerKw`, `${bessId}.setpointKw`, `${bessId}.socPct`, SERIES.pvTotal, SERIES.loadTotal];
  }

  /** One recorded run, or NOT_FOUND (hosts use it to name the files they make of a run). */
  getRun(runId: string): RunDto {
    return this.requireRun(runId);
  }

  private requireRun(runId: string): RunDto {
    if (typeof runId !== 'string' || runId.length === 0) throw new CoreError('BAD_REQUEST', 'a run id is required');
    this.flushAll();
    const run = this.history.getRun(runId);
    if (!run) throw new CoreError('NOT_FOUND', `no run ${runId} in the history`);
    return run;
  }

  async exportRun(runId: string, format: ExportFormat): Promise<ExportedFile> {
    const fmt = parseRequest(ExportFormatSchema, format, 'runs:export format');
    const run = this.requireRun(runId);
    const toMs = run.endMs ?? this.liveNowMs() ?? run.startMs;
    const series = this.exportSeriesIds().map((seriesId) => ({ seriesId, ...this.history.queryRaw(seriesId, run.startMs, toMs) }));
    const events = this.history.events(run.startMs, toMs);
    // The CSV in the console's language; local times in the zone of the session the run belongs to.
    const live = this.getState();
    const language = this.preferences?.get().language === 'de' ? 'de' : 'en';
    const timeZone = live.sessionId !== null && run.sessionId === live.sessionId && live.timezone !== 'UTC' ? live.timezone : null;
    return exportRun({ run, series, events }, fmt, { language, timeZone });
  }

  /** Writes `<dataDir>/scenarios/<name>/scenario.json` (+ its series and weather) from a recorded run. */
  async saveRunAsScenario(request: SaveAsScenarioRequest): Promise<SavedScenario> {
    const req = parseRequest(SaveAsScenarioRequestSchema, request, 'runs:saveAsScenario');
    const run = this.requireRun(req.runId);
    if (run.sessionId.startsWith('field-')) {
      throw new CoreError('NOT_AVAILABLE', `runs:saveAsScenario: ${run.runId} ran in the field, where the weather and each asset's power were not recorded as a scenario needs them; export it (CSV, XLSX, JSON) instead`);
    }
    const sourcePath = this.live && this.live.sessionId === run.sessionId ? this.live.loaded.path : null;
    const source = sourcePath ? this.live!.loaded : await this.load(join(this.opts.resourcesDirPath, 'scenarios', run.scenario ?? DEFAULT_SCENARIO, 'scenario.json'));
    const name = req.name ?? `recorded-${run.scenario ?? 'live'}-${run.runId}`.replace(/[^A-Za-z0-9_.-]+/g, '-');
    const bessId = source.scenario.assets.find((a) => a.kind === 'bess')?.id ?? 'bess';
    const breakerMs = source.scenario.measurement.breakerPeriodS * 1000;
    const fromMs = Math.floor((Math.min(run.startMs, Date.parse(String((run.trigger as unknown as StoredTrigger).receivedAt))) - 60_000) / breakerMs) * breakerMs;
    const toMs = (run.endMs ?? this.liveNowMs() ?? run.startMs) + 60_000;
    const forecastFile = source.scenario.weather.forecast?.file ?? null;
    const recorded = buildRecordedScenario({
      name,
      run,
      source: source.scenario,
      breaker: this.history.queryRaw(SERIES.breakerMeasured, fromMs, toMs),
      bessPowerKw: this.history.queryRaw(`${bessId}.powerKw`, fromMs, toMs),
      bessSocPct: this.history.queryRaw(`${bessId}.socPct`, fromMs, toMs),
      weatherActualFile: 'weather/actual.csv',
      weatherForecastFile: forecastFile ? 'weather/forecast.json' : null,
    });
    const dir = resolve(this.opts.dataDirPath, 'scenarios', name);
    await mkdir(join(dir, 'weather'), { recursive: true });
    await copyFile(resolve(source.dir, source.scenario.weather.actual.file), join(dir, 'weather', 'actual.csv'));
    if (forecastFile) await copyFile(resolve(source.dir, forecastFile), join(dir, 'weather', 'forecast.json'));
    await writeFile(join(dir, recorded.seriesFile), recorded.seriesCsv);
    const path = join(dir, 'scenario.json');
    await writeFile(path, JSON.stringify(recorded.scenario, null, 2) + '\n');
    return { name, path };
  }

  // ------------------------------------------------------------------------------------------- replay

  async startReplay(request: ReplayRequest): Promise<ReplayState> {
    const req = parseRequest(ReplayRequestSchema, request, 'replay:start');
    const loaded = await this.load(req.scenarioPath);
    // With the planner's solver, as `npm run replay` runs lfc (deadbeat never plans).
    const solver = this.loadSolver ? await this.solverOrNull() : null;
    const comparison = new ReplayComparison({ ...loaded, loadProfiles: this.loadProfiles(), ...(solver ? { solver } : {}) });
    this.replay = {
      comparison,
      anchor: { wallMs: this.wall.now(), simMs: comparison.nowMs },
      state: { status: 'running', scenario: loaded.scenario.name, scenarioPath: loaded.path, speed: req.speed, progress: 0, nowMs: comparison.nowMs, error: null, sides: comparison.data() },
    };
    return this.replay.state;
  }

  getReplay(): ReplayState {
    return this.replay.state;
  }

  stopReplay(): ReplayState {
    this.replay = { comparison: null, state: { ...this.replay.state, status: this.replay.state.status === 'running' ? 'idle' : this.replay.state.status }, anchor: this.replay.anchor };
    return this.replay.state;
  }

  // ------------------------------------------------------------------------------------------- settings

  getSettings(): CoreSettings {
    const live = this.live;
    const simulator: ConnectionInfo = {
      id: 'simulator',
      label: 'Bundled simulator',
      kind: 'simulator',
      endpoint: live ? live.loaded.path : join(this.opts.resourcesDirPath, 'scenarios', DEFAULT_SCENARIO, 'scenario.json'),
      role: 'the plant in-process (simulator mode)',
    };
    return {
      dataDirPath: this.opts.dataDirPath,
      logFilePath: this.logFilePath,
      preferences: this.preferences ? this.preferences.get() : null,
      connections: [simulator, ...this.site.connections()],
    };
  }

  /** Stores the operator's language and theme in the host's settings. */
  setPreferences(patch: Partial<Preferences>): Preferences {
    const p = parseRequest(PreferencesPatchSchema, patch, 'settings:setPreferences');
    if (!this.preferences) throw new CoreError('NOT_AVAILABLE', 'this host keeps no preferences: the console keeps them itself');
    return this.preferences.set(p);
  }

  /** Verifies a tamper-evident record file (the same check as `npm run verify-log`). */
  async verifyRecord(path: string): Promise<RecordVerification> {
    if (typeof path !== 'string' || path.length === 0) throw new CoreError('BAD_REQUEST', 'record:verify: a file path is required');
    const file = this.allowedFile(path, 'record:verify');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new CoreError('NOT_FOUND', `record:verify: ${file} cannot be read: ${(error as Error).message}`);
    }
    // Pin this installation's key when it has one, so a record re-signed wholesale with another key fails.
    const pinned = installationPublicKeyBase64(this.opts.dataDirPath);
    const r = verifyRecordText(text, pinned !== null ? { publicKeyBase64: pinned } : {});
    return r.ok
      ? {
          ok: true,
          path: file,
          entries: r.entries,
          keyFingerprint: r.keyFingerprint,
          installation: r.installation,
          sealed: r.sealed,
          resumes: r.resumes,
          resumesAfterUnsealed: r.resumesAfterUnsealed,
          recoveries: r.recoveries,
        }
      : { ok: false, path: file, entry: r.entry, line: r.line, message: r.message };
  }

  /**
   * Applies the history's retention at wall time `wallNowMs`, but never to the live session: a simulated
   * session runs on its scenario's calendar, which may lie months back, and its data must outlive the run.
   */
  pruneHistory(wallNowMs: number): { points: number; events: number } {
    this.flushAll();
    // Nor to any simulated session with a recorded run: its data lie on its scenario's calendar, so a
    // wall-clock retention would empty its runs at the next start (their exports and save-as-scenario with
    // them). Until the history stores when data were recorded, simulated sessions are kept whole.
    const simulatedRunStarts = this.history
      .listRuns()
      .filter((r) => r.sessionId.startsWith('sim-'))
      .map((r) => r.startMs - 3_600_000);
    const liveStart = this.live ? [this.live.sim.plant.startMs] : [];
    const keepFromMs = simulatedRunStarts.length + liveStart.length > 0 ? Math.min(...simulatedRunStarts, ...liveStart) : null;
    const retentionMs = this.history.getRetention().measurements * 86_400_000;
    return this.history.prune(keepFromMs === null ? wallNowMs : Math.min(wallNowMs, keepFromMs + retentionMs));
  }

  /** Tests one connection for real: `simulator`, a fresh breaker sample; a site's, `SiteService.test`. */
  async testConnection(connectionId: string): Promise<ConnectionTestResult> {
    if (typeof connectionId !== 'string' || connectionId.length === 0) throw new CoreError('BAD_REQUEST', 'connections:test: a connection id is required');
    if (connectionId !== 'simulator') return this.site.test(connectionId);
    const live = this.live;
    const steps = (ok: boolean, detail: string): ConnectionTestResult['steps'] => [{ step: 'read', ok, detail }];
    if (!live) return { id: connectionId, ok: false, message: 'simulator: not started', steps: steps(false, 'not started'), latencyMs: null, opcua: null };
    const snap = live.sim.engine.snapshot();
    const ok = !snap.breaker.stale && snap.breaker.lastSampleMs !== null;
    const detail = ok ? `breaker sample at ${new Date(snap.breaker.lastSampleMs!).toISOString()}` : 'no fresh breaker sample';
    return { id: connectionId, ok, message: `simulator (${live.loaded.scenario.name}): ${detail}`, steps: steps(ok, detail), latencyMs: null, opcua: null };
  }

  // ------------------------------------------------------------------------------------------- lifecycle

  /** The planner's solver, or null (with the reason in the log) when it cannot be loaded: the live session still runs, by fair share. */
  private async solverOrNull(): Promise<LpSolver | null> {
    try {
      return await this.loadSolver!();
    } catch (error) {
      console.error('[core] the LP solver did not load; the live session dispatches by fair share and records no forecasts:', error);
      return null;
    }
  }

  private loadProfiles(): LoadProfileLibrary {
    this.profiles ??= loadProfileLibraryFromResources(this.opts.resourcesDirPath);
    return this.profiles;
  }

  /** Resolves a file the console named, refusing it outside `allowedFileRoots` (without reading it). */
  private allowedFile(path: string, what: string): string {
    const file = resolve(path);
    const roots = this.opts.allowedFileRoots;
    if (roots && !roots.some((root) => file === resolve(root) || file.startsWith(resolve(root) + sep))) {
      throw new CoreError('BAD_REQUEST', `${what}: ${file} is outside the folders this console may read (${roots.map((r) => resolve(r)).join(', ')})`);
    }
    return file;
  }

  private async load(path: string): Promise<LoadedScenario> {
    try {
      return await loadScenarioFile(this.allowedFile(path, 'scenario'));
    } catch (error) {
      if (error instanceof ScenarioError) throw new CoreError('BAD_REQUEST', error.message);
      throw error;
    }
  }

  /** Ends the live session and any replay and forgets them (the history is kept); for isolated tests. */
  reset(): void {
    this.endLive();
    this.replay = { comparison: null, state: idleReplay(), anchor: { wallMs: 0, simMs: 0 } };
  }

  /**
   * Stops the timers and the sessions; the caller closes the history store it passed in. A field EMS still
   * running should be stopped first (`await stopField()`: the hosts do), so its run ends and its files are
   * written; here it can only be told to stop.
   */
  close(): void {
    if (this.closed) return;
    if (this.field) {
      // It ends its run and releases the assets on its own; the history is not written any more.
      const f = this.field;
      this.field = null;
      f.detach();
      this.fieldStopping = f.stop().catch((error: unknown) => console.error('[core] the field EMS did not stop cleanly:', error));
    }
    this.stopTimers();
    this.reset();
    this.listeners.clear();
    this.closed = true;
  }
}


/** The installation's public key (base64 SPKI DER) from `<data folder>/keys/`, or null if it has none yet. */
function installationPublicKeyBase64(dataDirPath: string): string | null {
  try {
    return describePublicKey(createPublicKey(readFileSync(join(dataDirPath, 'keys', PUBLIC_KEY_FILE), 'utf8'))).publicKeyBase64;
  } catch {
    return null;
  }
}
