/**
 * The live session behind the Now, Setpoint and Assets views: the simulator (`simulator-session.ts`) or
 * the field EMS (`../field-session.ts`), never both. It starts and switches them (one switch at a time, in
 * the order asked, and never while a run is in force or a trigger announced), paces the simulator, hands
 * the operator's triggers to whichever runs, and pushes `core:onLive`.
 */
import { join } from 'node:path';

import type { RunRecord } from '../../engine/engine';
import type { LiveState, SpeedSetting, StartSimulatorRequest, TriggerCheck, TriggerRequest, TriggerResponse } from '../../shared/ipc-contract';
import type { HistoryStore } from '../../storage/history-store';
import { FieldSession } from '../field-session';
import { CoreError, parseRequest, SpeedSchema, StartSimulatorRequestSchema, TriggerRequestSchema } from '../requests';
import type { SiteService } from '../site-service';
import type { CoreEvents, WallTimers } from './host-ports';
import { DEFAULT_SCENARIO } from './host-ports';
import type { Pacer } from './pacer';
import type { ScenarioFiles } from './scenario-files';
import { runInForceOf, SimulatorSession } from './simulator-session';

export interface LiveSessionOptions {
  resourcesDirPath: string;
  dataDirPath: string;
  appVersion: string;
  history: HistoryStore;
  files: ScenarioFiles;
  events: CoreEvents;
  pacer: Pacer;
  wall: Pick<WallTimers, 'now'>;
  /** The saved site field mode starts on; set after construction (it asks this service what runs). */
  site: () => SiteService;
  recentWindowMs: number;
  memberRecordPeriodS: number;
}

export class LiveSessionService {
  private readonly o: LiveSessionOptions;
  private simulator: SimulatorSession | null = null;
  /** The field EMS, when the live session runs in field mode (then `simulator` is null). */
  private fieldSession: FieldSession | null = null;
  /** The queue of mode switches (see `serially`). */
  private switching: Promise<unknown> = Promise.resolve();
  /** The stop of a field EMS that `close()` let go of. */
  private fieldStopping: Promise<void> | null = null;
  private closed = false;

  constructor(o: LiveSessionOptions) {
    this.o = o;
  }

  /** The field EMS running now, if any. */
  get field(): FieldSession | null {
    return this.fieldSession;
  }

  /** The simulator session, if the live session is the simulator (running or ended). */
  get simulation(): SimulatorSession | null {
    return this.simulator;
  }

  get active(): boolean {
    return this.simulator !== null || this.fieldSession !== null;
  }

  /** The scenario the simulator starts on by default. */
  defaultScenarioPath(): string {
    return join(this.o.resourcesDirPath, 'scenarios', DEFAULT_SCENARIO, 'scenario.json');
  }

  /** Advances the simulator to where the wall clock says it should be; writes what the field EMS took. */
  pump(): void {
    this.fieldSession?.flush();
    const sim = this.simulator;
    if (sim && !sim.done) {
      this.o.pacer.advance(sim.sim, sim.anchor, sim.speed);
      if (sim.done) {
        sim.sim.finish();
        this.o.events.emit('core:onLive', this.getState());
      }
      sim.flush();
    }
  }

  /** Writes what the live session holds back into the history (before a query reads it). */
  flush(): void {
    this.simulator?.flush();
    this.fieldSession?.flush();
  }

  // ------------------------------------------------------------------------------------------- switches

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
    const loaded = await this.o.files.load(req.scenarioPath ?? this.defaultScenarioPath());
    const solver = await this.o.files.solverOrNull();
    if (this.fieldSession) {
      this.refuseSwitchDuringRun('the simulator');
      await this.stopFieldNow();
    }
    this.endSimulator();
    this.simulator = new SimulatorSession({
      loaded,
      loadProfiles: this.o.files.loadProfiles(),
      solver,
      withScenarioTriggers: req.withScenarioTriggers ?? false,
      speed: req.speed ?? 1,
      wallNowMs: this.o.wall.now(),
      history: this.o.history,
      appVersion: this.o.appVersion,
      recentWindowMs: this.o.recentWindowMs,
      memberRecordPeriodS: this.o.memberRecordPeriodS,
    });
    return this.getState();
  }

  /** Changes the pace of the live session. */
  setSpeed(speed: SpeedSetting): LiveState {
    const s = parseRequest(SpeedSchema, speed, 'core:setSpeed');
    this.requireSimulator().setSpeed(s, this.o.wall.now());
    return this.getState();
  }

  /** Whether the live session (simulator or field) has a run in force, or a trigger announced for later. */
  private runInForce(): 'run' | 'announced' | null {
    if (this.fieldSession) {
      const engine = this.fieldSession.ems.ems?.engine;
      return engine ? runInForceOf(engine) : null;
    }
    return this.simulator?.runInForce() ?? null;
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
    const loaded = this.o.site().load();
    await this.stopFieldNow();
    this.endSimulator();
    const session = new FieldSession({
      loaded,
      dataDir: this.o.dataDirPath,
      outDir: join(this.o.dataDirPath, 'field-out'),
      history: this.o.history,
      appVersion: this.o.appVersion,
      recentWindowMs: this.o.recentWindowMs,
      memberRecordPeriodS: this.o.memberRecordPeriodS,
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
    this.fieldSession = session;
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
    const f = this.fieldSession;
    if (!f) return;
    this.fieldSession = null;
    try {
      await f.stop();
    } catch (error) {
      console.error('[core] the field EMS did not stop cleanly:', error);
    }
  }

  // ------------------------------------------------------------------------------------------- commands

  checkTrigger(request: TriggerRequest): TriggerCheck {
    const req = parseRequest(TriggerRequestSchema, request, 'core:checkTrigger');
    if (this.fieldSession) return this.fieldSession.checkTrigger(req);
    return this.requireSimulator().checkTrigger(req);
  }

  /** An operator's trigger: stamped with the session's time and handed to the engine, which may refuse it. */
  sendTrigger(request: TriggerRequest): TriggerResponse {
    const req = parseRequest(TriggerRequestSchema, request, 'core:sendTrigger');
    if (this.fieldSession) return this.fieldSession.sendTrigger(req);
    return this.requireSimulator().sendTrigger(req);
  }

  /** Operator stop (use case 0): the run in force ends, every asset is released. */
  stop(): TriggerResponse {
    return this.sendTrigger({ useCase: 0 });
  }

  // ------------------------------------------------------------------------------------------- what it shows

  getState(): LiveState {
    if (this.fieldSession) return this.fieldSession.getState();
    return this.simulator ? this.simulator.getState() : this.idleState();
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
      recentWindowMs: this.o.recentWindowMs,
      recentEvents: [],
      connections: [],
    };
  }

  /** The live session's clock (simulated or field), or null without one. */
  nowMs(): number | null {
    if (this.fieldSession) return this.fieldSession.ems.nowMs();
    return this.simulator?.sim.nowMs ?? null;
  }

  /** The BESS of the live session (its series go into the exports), or null without one. */
  bessId(): string | null {
    return this.simulator?.bessId ?? this.fieldSession?.site.plant.assets.find((a) => a.kind === 'bess')?.id ?? null;
  }

  /** The engine's run records of the simulator (for tools and tests that compare exports with them). */
  engineRuns(): readonly RunRecord[] {
    return this.simulator?.sim.engine.runs ?? [];
  }

  private requireSimulator(): SimulatorSession {
    if (!this.simulator) throw new CoreError('NOT_READY', 'no live session: start the simulator first');
    return this.simulator;
  }

  // ------------------------------------------------------------------------------------------- lifecycle

  /** Ends the simulator session and forgets it (the history is kept). */
  endSimulator(): void {
    const sim = this.simulator;
    if (!sim) return;
    sim.end();
    this.simulator = null;
  }

  /**
   * Stops the sessions. A field EMS still running should be stopped first (`await stopField()`: the hosts
   * do), so its run ends and its files are written; here it can only be told to stop.
   */
  close(): void {
    if (this.fieldSession) {
      // It ends its run and releases the assets on its own; the history is not written any more.
      const f = this.fieldSession;
      this.fieldSession = null;
      f.detach();
      this.fieldStopping = f.stop().catch((error: unknown) => console.error('[core] the field EMS did not stop cleanly:', error));
    }
    this.endSimulator();
    this.closed = true;
  }
}
