/**
 * The console's field mode: the field EMS (`field/field-ems.ts`, the very one `npm run ems` runs headless)
 * hosted by the core, so the desktop app and `npm run serve -- --site FILE` show, record and command it as
 * they do the simulator. What it adds to the headless EMS is the console's side:
 * - every breaker sample, the engine's band and each asset's report into the history (the Trends and Runs
 *   views, the exports), runs saved at their start and at their end, every event (engine and connector);
 * - the `LiveState` picture with each connection's health and data age;
 * - operator triggers (stamped `operator:console`, on the signed record like the intake's).
 *
 * The EMS runs on its own clock (the wall clock in the field, a lab rig's in the lab): no pacing here.
 */
import type { RunRecord } from '../engine/engine';
import type { AssetReport, BreakerSample } from '../engine/model';
import { FieldEms } from '../field/field-ems';
import { siteConnectionHealth, siteConnections, testSiteConnection, uplinkStatusOf } from '../field/site-connections';
import type { RuntimeEvent } from '../runtime/ems-runtime';
import type { ConnectionInfo, ConnectionTestResult, LivePoint, LiveState, StoredEventDto, TriggerCheck, TriggerRequest, TriggerResponse } from '../shared/ipc-contract';
import type { LoadedSite } from '../site/site-file';
import type { HistoryStore, SeriesPoint } from '../storage/history-store';
import { storedRun } from './stored-run';
import { assetPoints, breakerPoints, checkOperatorTrigger, eventDto, keepRecent, keepRecentEvent, liveStateOf, operatorTrigger } from './live-state';
import { CoreError } from './requests';

export interface FieldSessionOptions {
  loaded: LoadedSite;
  dataDir: string;
  outDir: string;
  history: HistoryStore;
  appVersion: string;
  recentWindowMs: number;
  /** How often household storages and heat pumps go into the history, EMS seconds. */
  memberRecordPeriodS: number;
}

export class FieldSession {
  readonly ems: FieldEms;
  readonly sessionId: string;
  private readonly o: FieldSessionOptions;
  private startMs = 0;
  private pending: SeriesPoint[] = [];
  private readonly recent: LivePoint[] = [];
  private readonly recentEvents: StoredEventDto[] = [];
  private readonly lastReportMs = new Map<string, number>();
  private lastMemberRecordMs = -Infinity;
  private lastTriggerMs: number | null = null;
  private triggerSeq = 0;
  private stopped = false;
  /** Set when the core lets go of the history (closing): from then on nothing is written to it. */
  private detached = false;

  constructor(o: FieldSessionOptions) {
    this.o = o;
    this.sessionId = `field-${Math.random().toString(16).slice(2, 10)}`;
    this.ems = new FieldEms({
      loaded: o.loaded,
      dataDir: o.dataDir,
      outDir: o.outDir,
      appVersion: o.appVersion,
      // The console's bookkeeping never throws into the EMS (see `toHistory`).
      onEvent: (e) => this.safely('an event', () => this.recordEvent(e)),
      onRunEnded: (run) => this.safely('a run end', () => this.saveRun(run)),
      onBreakerSample: (s) => this.safely('a breaker sample', () => this.recordSample(s)),
      onAssetReport: (r) => this.safely('an asset report', () => this.noteReport(r)),
    });
  }

  get site() {
    return this.o.loaded.site;
  }

  get loaded(): LoadedSite {
    return this.o.loaded;
  }

  /** Connects to the site; throws (having let go of everything) when a connection cannot be made. */
  async start(): Promise<void> {
    await this.ems.start();
    this.startMs = this.ems.nowMs();
  }

  get running(): boolean {
    return !this.stopped && this.ems.ems !== null;
  }

  /** Whether a run is in force (a mode switch waits for it to end). */
  get runInForce(): boolean {
    return this.ems.ems?.engine.activeRun != null;
  }

  private engine() {
    const e = this.ems.ems?.engine;
    if (!e || this.stopped) throw new CoreError('NOT_READY', 'the field EMS is not running');
    return e;
  }

  checkTrigger(req: TriggerRequest): TriggerCheck {
    return checkOperatorTrigger(this.engine(), req);
  }

  sendTrigger(req: TriggerRequest): TriggerResponse {
    const ems = this.ems.ems;
    if (!ems || this.stopped) throw new CoreError('NOT_READY', 'the field EMS is not running');
    const trigger = operatorTrigger(req, ++this.triggerSeq, this.ems.nowMs());
    const r = ems.submit(trigger);
    this.flush();
    return { accepted: r.accepted, triggerId: trigger.id, ...(r.reason !== undefined ? { reason: r.reason } : {}) };
  }

  connections(): ConnectionInfo[] {
    return siteConnections(this.site, this.ems.intake ? this.ems.intakeUrl : null);
  }

  testConnection(id: string): Promise<ConnectionTestResult> {
    if (!this.connections().some((c) => c.id === id)) throw new CoreError('NOT_FOUND', `no connection ${id} in the site ${this.site.name}`);
    return testSiteConnection(this.o.loaded, this.o.dataDir, id, this.ems.intake ? this.ems.intakeUrl : null);
  }

  getState(): LiveState {
    const engine = this.ems.ems?.engine;
    const site = this.site;
    const intakeUrl = this.ems.intake ? this.ems.intakeUrl : null;
    if (!engine) throw new CoreError('NOT_READY', 'the field EMS is not running');
    const nowMs = this.ems.nowMs();
    return liveStateOf(engine, {
      status: this.stopped ? 'ended' : 'running',
      source: { kind: 'field', site: site.name, sitePath: this.o.loaded.path, clock: site.clock.source, intakeUrl },
      sessionId: this.sessionId,
      speed: this.ems.speed,
      startMs: this.startMs,
      // A site has no end: the axis runs to now.
      endMs: nowMs,
      timezone: site.plant.site.timezone,
      outdoorC: null,
      lastReportMs: this.lastReportMs,
      recent: this.recent,
      recentWindowMs: this.o.recentWindowMs,
      recentEvents: this.recentEvents,
      connections: siteConnectionHealth(site, engine.snapshot(), this.lastReportMs, { url: intakeUrl, lastTriggerMs: this.lastTriggerMs }, uplinkStatusOf(this.ems.uplink)),
    });
  }

  /** Ends a run in force (`ems-stopped`), releases the assets, writes the output files, flushes the history. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    const runs = await this.ems.stop();
    this.stopped = true;
    for (const r of runs) this.saveRun(r);
    this.flush();
    this.toHistory('its last points', () => this.o.history.flush());
  }

  /** Writes buffered points into the history. */
  flush(): void {
    if (this.pending.length === 0) return;
    const points = this.pending;
    this.pending = [];
    this.toHistory('points', () => this.o.history.appendPoints(points));
  }

  /**
   * From now on the history is not written (the core is closing it); the EMS itself runs on until `stop()`
   * has ended its run and released the assets.
   */
  detach(): void {
    this.detached = true;
  }

  /**
   * Every history write made from the EMS's callbacks goes through here: a history that fails (a closed
   * store, a full disk) is logged and never thrown into the engine's control path, where it would stop the
   * release of the assets. The signed record and the output files keep what the history loses.
   */
  private toHistory(what: string, write: () => void): void {
    if (this.detached) return;
    try {
      write();
    } catch (error) {
      console.error(`[field] the history could not take ${what}:`, error instanceof Error ? error.message : error);
    }
  }

  private safely(what: string, fn: () => void): void {
    try {
      fn();
    } catch (error) {
      console.error(`[field] the console could not keep ${what}:`, error instanceof Error ? error.message : error);
    }
  }

  private saveRun(run: RunRecord): void {
    this.toHistory(`run ${run.runId}`, () => this.o.history.saveRun(storedRun(run, this.sessionId, this.site.name, this.o.appVersion)));
  }

  private noteReport(r: AssetReport): void {
    const prev = this.lastReportMs.get(r.assetId);
    if (prev === undefined || r.sampleMs > prev) this.lastReportMs.set(r.assetId, r.sampleMs);
  }

  private recordSample(s: BreakerSample): void {
    const engine = this.ems.ems?.engine;
    if (!engine) return;
    const t = s.sampleMs;
    const p = this.pending;
    const target = breakerPoints(engine, t, s.powerKw, p);
    // What the EMS believes of each asset (its last report, carried forward), the BESS at every sample.
    const members = t - this.lastMemberRecordMs >= this.o.memberRecordPeriodS * 1000;
    if (members) this.lastMemberRecordMs = t;
    assetPoints(engine, t, members, p);
    keepRecent(this.recent, { timeMs: t, measuredKw: Number.isFinite(s.powerKw) ? s.powerKw : null, targetKw: target }, this.o.recentWindowMs);
    if (p.length >= 2000) this.flush();
  }

  private recordEvent(e: RuntimeEvent): void {
    const dto = eventDto({ ...e, data: e.source === 'connector' ? { connector: e.connector, ...(e.data ?? {}) } : e.data });
    this.toHistory(`event ${e.type}`, () => this.o.history.appendEvents([dto]));
    keepRecentEvent(this.recentEvents, dto);
    if (e.type === 'trigger-received') this.lastTriggerMs = e.timeMs;
    const run = this.ems.ems?.engine.activeRun;
    if (e.type === 'run-started' && run) this.saveRun(run);
  }
}
