/**
 * The one composition of the console's host: the services behind the IPC contract, wired once here for
 * both hosts — the Electron main process and serve mode (`main/services/host-services.ts` calls this for
 * both) — and for the tests and tools that host a core (`LfcCore`).
 *
 *   ScenarioFiles ──┬─ LiveSessionService (simulator ⇄ field EMS, triggers, core:onLive) ─┐
 *   Pacer ──────────┤   ├─ SimulatorSession (simulator-session.ts)                        │
 *   CoreEvents ─────┤   └─ FieldSession (../field-session.ts)                             ├─ HistoryStore
 *                   ├─ ReplayService (the Replay view, replay:onProgress)                 │
 *                   ├─ HistoryService (Trends, Runs, retention) ──────────────────────────┤
 *                   ├─ ExportService (CSV/XLSX/JSON, save as scenario) ───────────────────┘
 *                   ├─ SettingsService (preferences, connections, their tests) ── SiteService
 *                   └─ RecordService (record:verify)
 *
 * The channels are bound to these services, one line each, in `../handlers.ts`.
 *
 * ## Time
 * The simulator runs on its scenario's calendar (virtual time), paced against the wall clock at
 * `speed` × real time (`'max'`: as fast as the machine allows, in slices of at most `maxSliceWallMs` so
 * the process stays responsive). The wall clock and its timers are injected: tests compose with
 * `autoRun: false` and drive it with `pump()` / `publishLive()` and a fake `now()`.
 */
import { join } from 'node:path';

import type { LpSolver } from '../../engine/optimiser/lp';
import { loadLpSolver } from '../../node/solver';
import type { Unsubscribe } from '../../shared/ipc-contract';
import type { HistoryStore } from '../../storage/history-store';
import { SiteService } from '../site-service';
import type { SecretPort } from '../site-service';
import { ExportService } from './exports';
import { HistoryService } from './history';
import { CoreEvents, DEFAULT_SCENARIO, realWallTimers } from './host-ports';
import type { CoreEventListener, PreferencesPort, WallTimers } from './host-ports';
import { LiveSessionService } from './live-session';
import { Pacer } from './pacer';
import { RecordService } from './records';
import { ReplayService } from './replay';
import { ScenarioFiles } from './scenario-files';
import { SettingsService } from './settings';

export interface CoreServicesOptions {
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
   * Close, at start, the runs the history holds as still in force (see `HistoryService.closeInterruptedRuns`).
   * Only for the process that owns the history (its lock, `node/owner-lock.ts`): another one's live run is not dead.
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

export interface CoreServices {
  readonly wall: WallTimers;
  readonly files: ScenarioFiles;
  readonly live: LiveSessionService;
  readonly replay: ReplayService;
  readonly history: HistoryService;
  readonly exports: ExportService;
  readonly settings: SettingsService;
  readonly records: RecordService;
  /** The site of field mode: its file, secrets, PKI and connection tests (Settings → Connections). */
  readonly site: SiteService;
  /** Subscribes to the contract's events (`core:onLive`, `replay:onProgress`). */
  subscribe(listener: CoreEventListener): Unsubscribe;
  /** Advances the live session and the replay to where the wall clock says they should be. */
  pump(): void;
  /** Pushes the live picture and the replay's progress (the 1 Hz timer calls it). */
  publishLive(): void;
  /** Ends the live session and any replay and forgets them (the history is kept); for isolated tests. */
  reset(): void;
  /** Stops the timers and the sessions; the caller closes the history store it passed in. */
  close(): void;
}

export function createCoreServices(options: CoreServicesOptions): CoreServices {
  const wall = options.wall ?? realWallTimers;
  const { resourcesDirPath, dataDirPath, appVersion } = options;
  const recentWindowMs = options.recentWindowMs ?? 30 * 60_000;
  const memberRecordPeriodS = options.memberRecordPeriodS ?? 60;
  const events = new CoreEvents();
  const pacer = new Pacer(wall, { maxSliceWallMs: options.maxSliceWallMs ?? 30, maxStepsPerTick: options.maxStepsPerTick ?? 3600 });
  const files = new ScenarioFiles({
    resourcesDirPath,
    allowedFileRoots: options.allowedFileRoots ?? null,
    loadSolver: options.loadSolver === undefined ? loadLpSolver : options.loadSolver,
  });
  const live: LiveSessionService = new LiveSessionService({
    resourcesDirPath,
    dataDirPath,
    appVersion,
    history: options.history,
    files,
    events,
    pacer,
    wall,
    site: () => site,
    recentWindowMs,
    memberRecordPeriodS,
  });
  const site = new SiteService({
    sitePath: options.sitePath ?? join(dataDirPath, 'site', 'site.json'),
    dataDirPath,
    resourcesDirPath,
    secretStore: options.secretStore ?? null,
    running: () => live.field,
    templateScenarioPath: join(resourcesDirPath, 'scenarios', DEFAULT_SCENARIO, 'scenario.json'),
  });
  const replay = new ReplayService({ files, events, pacer, wall });
  const history = new HistoryService(options.history, {
    flush: () => live.flush(),
    simulatorBessId: () => live.simulation?.bessId ?? null,
    simulatorStartMs: () => live.simulation?.sim.plant.startMs ?? null,
  });
  const settings = new SettingsService({ dataDirPath, logFilePath: options.logFilePath ?? null, preferences: options.preferences ?? null, site, live });
  const exports = new ExportService({
    resourcesDirPath,
    dataDirPath,
    history: options.history,
    runs: history,
    files,
    preferences: () => settings.preferences(),
    live: {
      getState: () => live.getState(),
      nowMs: () => live.nowMs(),
      bessId: () => live.bessId(),
      simulatorScenario: () => (live.simulation ? { sessionId: live.simulation.sessionId, loaded: live.simulation.loaded } : null),
    },
  });
  const records = new RecordService(dataDirPath, files);

  let closed = false;
  let timers: unknown[] = [];
  const services: CoreServices = {
    wall,
    files,
    live,
    replay,
    history,
    exports,
    settings,
    records,
    site,
    subscribe: (listener) => events.subscribe(listener),
    pump() {
      if (closed) return;
      live.pump();
      replay.pump();
    },
    publishLive() {
      if (live.active) events.emit('core:onLive', live.getState());
      replay.publish();
    },
    reset() {
      live.endSimulator();
      replay.reset();
    },
    close() {
      if (closed) return;
      live.close();
      for (const t of timers) wall.clearInterval(t);
      timers = [];
      replay.reset();
      events.clear();
      closed = true;
    },
  };
  if (options.closeInterruptedRuns) history.closeInterruptedRuns();
  if (options.autoRun ?? true) {
    timers = [wall.setInterval(() => services.pump(), options.tickMs ?? 50), wall.setInterval(() => services.publishLive(), options.liveIntervalMs ?? 1000)];
  }
  return services;
}
