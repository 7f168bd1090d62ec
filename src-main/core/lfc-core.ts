/**
 * The main-process core as one object: the services of `services/core-services.ts` (live session,
 * history, exports, replay, settings, records, site) composed once, with the contract's operations on it
 * one line each. The Electron main process and the headless serve mode both host one `LfcCore` (through
 * `main/services/host-services.ts`) and bind the IPC contract to its `services` (`handlers.ts`), so the
 * console cannot tell which one it talks to. Tests and tools drive it as a whole.
 */
import type { RunRecord } from '../engine/engine';
import type {
  ConnectionTestResult,
  CoreSettings,
  EventsQuery,
  ExportFormat,
  ExportedFile,
  ForecastData,
  ForecastQuery,
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
import { createCoreServices } from './services/core-services';
import type { CoreServices, CoreServicesOptions } from './services/core-services';
import type { CoreEventListener } from './services/host-ports';
import type { SiteService } from './site-service';

export type { SecretPort } from './site-service';
export { DEFAULT_SCENARIO, realWallTimers } from './services/host-ports';
export type { CoreEventListener, PreferencesPort, WallTimers } from './services/host-ports';

export type LfcCoreOptions = CoreServicesOptions;

export class LfcCore {
  /** The services behind the contract (the IPC handlers bind to them). */
  readonly services: CoreServices;
  /** The site of field mode: its file, secrets, PKI and connection tests (Settings → Connections). */
  readonly site: SiteService;

  constructor(options: LfcCoreOptions) {
    this.services = createCoreServices(options);
    this.site = this.services.site;
  }

  // ------------------------------------------------------------------------------------------- events, pacing

  /** Subscribes to the contract's events (`core:onLive`, `replay:onProgress`). */
  subscribe(listener: CoreEventListener): Unsubscribe {
    return this.services.subscribe(listener);
  }

  /** Pushes the live picture and the replay's progress (the 1 Hz timer calls it). */
  publishLive(): void {
    this.services.publishLive();
  }

  /** Advances the live session and the replay to where the wall clock says they should be. */
  pump(): void {
    this.services.pump();
  }

  // ------------------------------------------------------------------------------------------- the live session

  startSimulator(request: StartSimulatorRequest = {}): Promise<LiveState> {
    return this.services.live.startSimulator(request);
  }

  setSpeed(speed: SpeedSetting): LiveState {
    return this.services.live.setSpeed(speed);
  }

  startField(): Promise<LiveState> {
    return this.services.live.startField();
  }

  stopField(): Promise<void> {
    return this.services.live.stopField();
  }

  checkTrigger(request: TriggerRequest): TriggerCheck {
    return this.services.live.checkTrigger(request);
  }

  sendTrigger(request: TriggerRequest): TriggerResponse {
    return this.services.live.sendTrigger(request);
  }

  stop(): TriggerResponse {
    return this.services.live.stop();
  }

  getState(): LiveState {
    return this.services.live.getState();
  }

  /** The engine's run records of the live session (for tools and tests that compare exports with them). */
  engineRuns(): readonly RunRecord[] {
    return this.services.live.engineRuns();
  }

  // ------------------------------------------------------------------------------------------- history, exports

  listSeries(): SeriesInfo[] {
    return this.services.history.listSeries();
  }

  queryForecast(query: ForecastQuery): ForecastData {
    return this.services.history.queryForecast(query);
  }

  querySeries(query: SeriesQuery): SeriesData {
    return this.services.history.querySeries(query);
  }

  events(query: EventsQuery): StoredEventDto[] {
    return this.services.history.events(query);
  }

  listRuns(): RunDto[] {
    return this.services.history.listRuns();
  }

  getRun(runId: string): RunDto {
    return this.services.history.getRun(runId);
  }

  pruneHistory(wallNowMs: number): { points: number; events: number } {
    return this.services.history.prune(wallNowMs);
  }

  exportRun(runId: string, format: ExportFormat): Promise<ExportedFile> {
    return this.services.exports.exportRun(runId, format);
  }

  saveRunAsScenario(request: SaveAsScenarioRequest): Promise<SavedScenario> {
    return this.services.exports.saveRunAsScenario(request);
  }

  // ------------------------------------------------------------------------------------------- replay

  startReplay(request: ReplayRequest): Promise<ReplayState> {
    return this.services.replay.start(request);
  }

  getReplay(): ReplayState {
    return this.services.replay.getState();
  }

  stopReplay(): ReplayState {
    return this.services.replay.stop();
  }

  // ------------------------------------------------------------------------------------------- settings, records

  getSettings(): CoreSettings {
    return this.services.settings.get();
  }

  setPreferences(patch: Partial<Preferences>): Preferences {
    return this.services.settings.setPreferences(patch);
  }

  testConnection(connectionId: string): Promise<ConnectionTestResult> {
    return this.services.settings.testConnection(connectionId);
  }

  verifyRecord(path: string): Promise<RecordVerification> {
    return this.services.records.verify(path);
  }

  // ------------------------------------------------------------------------------------------- lifecycle

  /** Ends the live session and any replay and forgets them (the history is kept); for isolated tests. */
  reset(): void {
    this.services.reset();
  }

  /**
   * Stops the timers and the sessions; the caller closes the history store it passed in. A field EMS still
   * running should be stopped first (`await stopField()`: the hosts do), so its run ends and its files are
   * written; here it can only be told to stop.
   */
  close(): void {
    this.services.close();
  }
}
