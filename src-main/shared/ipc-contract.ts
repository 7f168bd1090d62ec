/**
 * The one IPC contract between the main process and the renderer.
 *
 * Every channel the preload exposes, every handler main registers and every call the renderer makes is
 * derived from this file, so a channel cannot exist on one side only: the preload builds its surface from
 * the channel lists below, main declares its handlers `satisfies InvokeHandlers`, and the renderer types
 * `window.lfc` as `LfcApi`.
 *
 * This module is imported by main, by the sandboxed preload (bundled into it) and, type-only, by the
 * renderer. It must therefore stay pure: no Node, no Electron, no DOM.
 *
 * Naming: `domain:verb` for request/response channels, `domain:onSomething` for events pushed from main.
 * The API key in `window.lfc` IS the channel name, so the same string is grep-able on all three sides.
 */

// ---------------------------------------------------------------------------------------------------
// Result envelope (Signal style): handlers never throw across the process boundary.

/** Why a call failed. `FORBIDDEN_SENDER` and `BRIDGE_UNAVAILABLE` come from the IPC layer itself. */
export type IpcErrorCode =
  /** The calling frame is not the app's own page (see main's sender validation). */
  | 'FORBIDDEN_SENDER'
  /** The request arguments did not match the contract. */
  | 'BAD_REQUEST'
  /** The requested thing does not exist. */
  | 'NOT_FOUND'
  /** The service threw; the message is for the log and the developer, not for the operator. */
  | 'INTERNAL'
  /** Renderer side only: `window.lfc` is absent (page opened outside Electron, e.g. a browser test). */
  | 'BRIDGE_UNAVAILABLE'
  /** The call is valid but not now (no live session yet, a replay already running, …). */
  | 'NOT_READY'
  /** Serve mode only: the WebSocket to the headless core is closed; the call was not delivered. */
  | 'DISCONNECTED'
  /** This host cannot do it (e.g. a PDF export in serve mode: the browser prints instead). */
  | 'NOT_AVAILABLE';

export interface IpcError {
  code: IpcErrorCode;
  message: string;
}

export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: IpcError };

// ---------------------------------------------------------------------------------------------------
// Payload types.

export interface AppInfo {
  /** Product name as Electron reports it (package.json `productName`, else `name`). */
  name: string;
  /** Application version (package.json `version`). */
  version: string;
  /** Electron's version, or null when the code runs outside Electron (tests, headless tools). */
  electronVersion: string | null;
  /** Node's `process.platform`, e.g. `linux`, `win32`, `darwin`. */
  platform: string;
}

/** A scenario shipped in `resources/scenarios/<dir>/scenario.json`. */
export interface BundledScenario {
  name: string;
  description: string;
  /** Absolute path of the scenario.json file, to hand back to a later `scenario:*` call. */
  path: string;
}

// ---------------------------------------------------------------------------------------------------
// Core payloads: the live session, triggers, history, runs, exports and replays (src-main/core/).
// Times are Unix epoch ms (`…Ms`), powers kW in the load frame (positive = drawn from the grid).

/** Simulation pace: simulated seconds per wall-clock second, or as fast as the machine allows. */
export type SpeedSetting = number | 'max';

export type UseCaseCode = 0 | 1 | 2 | 3 | 4;

/** One package of a use-case 3/4 schedule. */
export interface SchedulePackageDto {
  fromMs: number;
  toMs: number;
  targetKw: number;
}

/** A trigger as the operator enters it on the Setpoint view. The core stamps id, source and time. */
export interface TriggerRequest {
  useCase: UseCaseCode;
  /** Use case 2 only. */
  targetKw?: number | null;
  /** Required for use case 2, optional for 1, 3 and 4. */
  durationS?: number | null;
  /** Default 10 kW. */
  toleranceKw?: number;
  /** Use cases 3 and 4. */
  schedule?: SchedulePackageDto[] | null;
}

export interface TriggerResponse {
  accepted: boolean;
  triggerId: string;
  /** Why the engine refused it, in words. */
  reason?: string;
}

/** The pre-flight check of a trigger: limits first, then whether the flexibility band can deliver it. */
export interface TriggerCheck {
  /** Problems that forbid sending it (beyond the connection limit, missing duration, …). */
  errors: string[];
  verdict: 'feasible' | 'tight' | 'infeasible' | 'unknown';
  /** The correction the assets must deliver: target − uncontrolled power, kW. */
  requiredKw: number | null;
  /** What the controllable assets can hold for the requested duration (engine's band), kW. */
  band: { downKw: number; upKw: number } | null;
  uncontrolledKw: number | null;
  connectionLimitKw: number;
  /** Explanation for the operator (English; the console translates the verdict itself). */
  message: string;
}

export type AssetKind = 'bess' | 'householdStorage' | 'heatPump';
export type LinkState = 'ok' | 'lost' | 'rejecting';

export interface AssetRow {
  id: string;
  kind: AssetKind;
  powerKw: number;
  setpointKw: number | null;
  socPct: number | null;
  indoorC: number | null;
  link: LinkState;
  /** When the EMS last heard from the asset (sample time), or null. */
  lastReportMs: number | null;
  /** The asset's own flexibility band for the next hour (or the rest of the run), kW. */
  band: { downKw: number; upKw: number } | null;
}

/** Live K01–K03 headline figures of the active run (full KPIs come with the run record at its end). */
export interface LiveKpis {
  coveredPct: number | null;
  /** Held share of the request elapsed so far (a live run has not been asked for its future yet). */
  heldPctOfRequested: number | null;
  heldS: number;
  /** The request's span so far, and what ends it (KPI.md): null basis while the end is not known. */
  requestedS: number;
  requestedBasis: 'duration' | 'schedule' | 'next-trigger' | 'recording-end' | 'superseded' | 'operator-stop' | null;
  /** The least energy cover of the request's rest so far, percent (null before the first check). */
  minEnergyCoverPct: number | null;
  firstSetpointS: number | null;
  settlingS: number | null;
  maeKw: number | null;
  withinBandPct: number | null;
  samples: number;
}

export interface LiveRun {
  runId: string;
  useCase: number;
  startMs: number;
  plannedEndMs: number | null;
  targetKw: number | null;
  toleranceKw: number;
  predictedExhaustionAtMs: number | null;
  /** The exhaustion warning as a countdown with its confidence (`engine/kpi/exhaustion-countdown.ts`). */
  exhaustion: {
    atMs: number;
    remainingS: number;
    sinceMs: number;
    forecasts: number;
    spreadS: number;
    confidence: 'high' | 'medium' | 'low';
  } | null;
  band: { downKw: number; upKw: number };
  inExhaustion: boolean;
  kpis: LiveKpis | null;
}

/** One point of the Now chart: a breaker sample as the EMS received it. */
export interface LivePoint {
  timeMs: number;
  measuredKw: number | null;
  targetKw: number | null;
}

/** The whole live picture: `core:getState` returns it, `core:onLive` pushes it once a second. */
export interface LiveState {
  /** 'idle' before a session starts; 'ended' when the simulated scenario reached its end. */
  status: 'idle' | 'running' | 'ended';
  source: LiveSource | null;
  sessionId: string | null;
  speed: SpeedSetting;
  /** The session's clock (simulated time for the simulator). */
  nowMs: number;
  startMs: number;
  endMs: number;
  timezone: string;
  connectionLimitKw: number;
  breaker: { measuredKw: number | null; sampleMs: number | null; stale: boolean; safeState: boolean; targetKw: number | null };
  run: LiveRun | null;
  pendingTrigger: { triggerId: string; startMs: number; useCase: number } | null;
  forecastMissing: boolean;
  assets: AssetRow[];
  /** The breaker samples of the last `recentWindowMs` of session time, oldest first. */
  recent: LivePoint[];
  recentWindowMs: number;
  /** Up to 20 newest engine events, newest first. */
  recentEvents: StoredEventDto[];
  /** Every connection of the session with its health and the age of its data (the Now view's link panel). */
  connections: ConnectionHealth[];
}

/**
 * What the live session runs on. `simulator`: the bundled plant in-process, paced. `field`: the real EMS
 * against a site (a real one, or a lab rig reached over the wire), from a site file (`lfc-site/1`).
 */
export type LiveSource =
  | { kind: 'simulator'; scenario: string; scenarioPath: string }
  | { kind: 'field'; site: string; sitePath: string; clock: 'system' | 'lab-rig'; intakeUrl: string | null };

/** One connection's health as the EMS sees it now. */
export interface ConnectionHealth {
  id: string;
  label: string;
  kind: ConnectionKind;
  /** `ok`: data within three of its periods; `stale`: older; `down`: the link is lost or nothing came yet. */
  health: 'ok' | 'stale' | 'down';
  /** Sample time of the newest data from it (EMS clock), or null. */
  lastDataMs: number | null;
  detail: string;
}

export interface StoredEventDto {
  timeMs: number;
  type: string;
  level: 'info' | 'warning' | 'error';
  message: string;
  runId?: string | null;
  assetId?: string;
  data?: Record<string, unknown>;
}

export interface StartSimulatorRequest {
  /** A scenario.json path; default the bundled `summer-export-hold`. */
  scenarioPath?: string;
  speed?: SpeedSetting;
  /** Replay the scenario's own triggers too (default false: only the operator's triggers act). */
  withScenarioTriggers?: boolean;
}

export interface SeriesInfo {
  seriesId: string;
  /** From the id's suffix: `…Kw` → kW, `…Pct` → %, `…C` → °C. */
  unit: string;
  /** `measured`: points (query with `history:querySeries`); `forecast`: issued plans (`history:queryForecast`). */
  kind: 'measured' | 'forecast';
  /** For a measured series: the forecast series that predicts it, when one is stored (the Trends overlay). */
  forecastSeriesId: string | null;
}

/** A forecast series over a window, as the planner issued it (see `ForecastData`). */
export interface ForecastQuery {
  seriesId: string;
  fromMs: number;
  toMs: number;
}

/**
 * A forecast "as it was in force": for each slot of the window, the value the latest plan issued at or
 * before the slot's start gave it (else the first plan issued during the slot), and after the last plan's
 * issue time, that plan's look-ahead. So measured-vs-forecast compares what was known beforehand.
 */
export interface ForecastData {
  seriesId: string;
  unit: string;
  /** Slot length of the plans, ms (15 min); 0 when nothing is stored. */
  stepMs: number;
  /** Start of each slot. */
  timeMs: number[];
  value: Array<number | null>;
  /** When the plan that gave each value was issued. */
  issuedMs: number[];
  /** How many plans the window drew from. */
  plans: number;
}

export interface SeriesQuery {
  seriesId: string;
  fromMs: number;
  toMs: number;
  maxBuckets: number;
}

/** A decimated series in plain arrays (typed arrays do not survive JSON); null where a bucket has no data. */
export interface SeriesData {
  seriesId: string;
  unit: string;
  bucketMs: number;
  timeMs: number[];
  min: Array<number | null>;
  max: Array<number | null>;
  mean: Array<number | null>;
}

export interface EventsQuery {
  fromMs: number;
  toMs: number;
  types?: string[];
  runId?: string;
}

export interface RunDto {
  runId: string;
  sessionId: string;
  scenario: string | null;
  controller: string;
  useCase: number;
  startMs: number;
  endMs: number | null;
  endReason: string | null;
  trigger: Record<string, unknown>;
  kpis: Record<string, unknown> | null;
  appVersion: string;
  configVersion: string;
}

export type ExportFormat = 'csv' | 'xlsx' | 'json';

/** An exported file; bytes as base64 so it survives JSON and IPC alike. */
export interface ExportedFile {
  fileName: string;
  mimeType: string;
  base64: string;
}

export interface SaveAsScenarioRequest {
  runId: string;
  /** Scenario name (letters, digits, `_`, `.`, `-`); default `recorded-<runId>`. */
  name?: string;
}

export interface SavedScenario {
  name: string;
  /** Absolute path of the written scenario.json. */
  path: string;
}

export interface ReplayRequest {
  scenarioPath: string;
  speed: SpeedSetting;
}

/** One controller's side of a replay, reduced to the breaker samples so far. */
export interface ReplaySide {
  controller: 'lfc' | 'deadbeat';
  timeMs: number[];
  measuredKw: Array<number | null>;
  targetKw: Array<number | null>;
  bessKw: Array<number | null>;
  runs: Array<{ runId: string; useCase: number; startMs: number; endMs: number | null; endReason: string | null; kpis: Record<string, unknown> | null }>;
}

export interface ReplayState {
  status: 'idle' | 'running' | 'done' | 'failed';
  scenario: string | null;
  scenarioPath: string | null;
  speed: SpeedSetting;
  progress: number;
  nowMs: number | null;
  error: string | null;
  sides: ReplaySide[];
}

export type ConnectionKind = 'simulator' | 'opcua' | 'modbus' | 'rest' | 'intake' | 'mqtt';

export interface ConnectionInfo {
  id: string;
  label: string;
  kind: ConnectionKind;
  endpoint: string;
  /** What the connection carries, e.g. "breaker meter (I-05)", "community BESS (I-04, I-06)". */
  role: string;
}

/** A certificate as an OPC UA tool shows it (UaExpert's columns). */
export interface CertificateInfo {
  subject: string;
  issuer: string;
  /** Lower-case hex, no separators. */
  sha1: string;
  sha256: string;
  validFrom: string;
  validTo: string;
}

/** One step of a connection test (reach, certificate, secure channel, login, a read …) with its outcome. */
export interface ConnectionTestStep {
  step: 'reach' | 'certificate' | 'secure-channel' | 'login' | 'read' | 'listen';
  ok: boolean;
  detail: string;
}

export interface ConnectionTestResult {
  id: string;
  ok: boolean;
  message: string;
  /** In order; the first that failed is the last one. */
  steps: ConnectionTestStep[];
  /** Round trip of the test's read, real ms (null when it got no answer). */
  latencyMs: number | null;
  opcua: {
    securityMode: string;
    securityPolicy: string;
    /** The server's certificate, with whether this EMS's PKI trusts it; null with security None. */
    certificate: (CertificateInfo & { trusted: boolean }) | null;
    /** `user <name>` or `anonymous`, with `ok` when the session opened. */
    login: { as: string; ok: boolean } | null;
    socPct: number | null;
  } | null;
  /** A Modbus/SunSpec test: what discovery found on the device, and one reading. */
  modbus?: {
    unitId: number;
    baseAddress: number;
    models: Array<{ id: number; name: string; address: number; length: number }>;
    device: string | null;
    serialNumber: string | null;
    /** The model setpoints are written to: 704 (DER AC controls) or 124 (basic storage controls). */
    control: '704' | '124';
    socPct: number | null;
    powerKw: number | null;
  } | null;
}

/** The EMS's OPC UA PKI (node-opcua's layout): its own certificate and the server certificates it trusts or refused. */
export interface PkiState {
  pkiDir: string;
  trustedDir: string;
  rejectedDir: string;
  ownCertificate: CertificateInfo | null;
  trusted: CertificateInfo[];
  rejected: CertificateInfo[];
}

/**
 * The site the console edits (Settings → Connections): the site file's text (`lfc-site/1`, no secret in
 * it), where it is, and the secrets it names with whether each is set (never their values).
 */
export interface SiteDocument {
  path: string;
  /** The site file as JSON text; null when no site has been saved yet. */
  text: string | null;
  /**
   * A site file to start from when none is saved: the bundled default scenario's plant with example
   * connections (placeholder addresses) that the operator edits.
   */
  template: string;
  secrets: Array<{ name: string; set: boolean; from: 'console' | 'environment' | 'secrets-file' | null }>;
  /** Where the console keeps the secrets it is given: the OS keychain (desktop) or an encrypted file (serve). */
  secretStore: string;
  /**
   * After a save: secrets the console forgot because where they are sent changed (a new URL, another OPC
   * UA server or security) and no new value came with the save. They must be entered again.
   */
  cleared: string[];
}

export interface SaveSiteRequest {
  /** The site file as JSON text (validated whole before anything is written). */
  text: string;
  /** Secrets to store (name → value); an empty value deletes that secret. Names the site does not use are refused. */
  secrets?: Record<string, string>;
}

export type LanguageSetting = 'en' | 'de';
export type ThemeSetting = 'system' | 'light' | 'dark';

/** The operator's display preferences, kept by the host's settings store (not per browser tab). */
export interface Preferences {
  language: LanguageSetting;
  theme: ThemeSetting;
}

export interface CoreSettings {
  /** Where the history database, exports and saved scenarios live. */
  dataDirPath: string;
  /** Where the host writes its log file, or null when it keeps none. */
  logFilePath: string | null;
  connections: ConnectionInfo[];
  /** The stored display preferences, or null when the host keeps none (the console then keeps its own). */
  preferences: Preferences | null;
}

/** The outcome of verifying a tamper-evident record file (`npm run verify-log`, File → Verify record…). */
export type RecordVerification =
  | {
      ok: true;
      path: string;
      entries: number;
      keyFingerprint: string;
      installation: string;
      /** Ends with the seal its writer adds on closing (if not: the writer stopped, or entries were cut from its end). */
      sealed: boolean;
      /** Continuations, and how many followed a writer that stopped without closing the record. */
      resumes: number;
      resumesAfterUnsealed: number;
      /** Lines torn by a crash that were moved aside: the entry that says so and the file. */
      recoveries: Array<{ entry: number; savedTo: string }>;
    }
  | { ok: false; path: string; entry: number; line: number; message: string };

// ---------------------------------------------------------------------------------------------------
// The fleet's central history (PostgreSQL, filled by `npm run fleet`), read-only: serve mode with
// `--fleet-postgres URL` answers the `fleet:*` channels; a host without one answers `fleet:getStatus` with
// `configured: false` and every other `fleet:*` channel NOT_AVAILABLE ("not configured").

export interface FleetStatus {
  /** This host has a central history to read (serve mode's `--fleet-postgres`). */
  configured: boolean;
}

/** A site of the fleet as the collector last heard it. */
export interface FleetSiteDto {
  siteId: string;
  /** The site's name from its status message (null until it sent one). */
  name: string | null;
  /** `online` / `offline` (the retained status topic), or null. */
  state: string | null;
  lastSeenMs: number;
  runs: number;
}

export interface FleetRunsQuery {
  /** Default 100, at most 1000. */
  limit?: number;
  /** Only runs that started before this time (paging backwards). */
  beforeMs?: number;
}

/** The console's views, in menu and Alt+N order. */
export const CONSOLE_VIEWS = ['now', 'setpoint', 'assets', 'trends', 'runs', 'replay', 'settings'] as const;
export type ConsoleView = (typeof CONSOLE_VIEWS)[number];

/**
 * What a desktop menu item asks the console to do. Items that need a file show the file dialog in main
 * first and carry the chosen path.
 */
export type MenuCommand =
  | { action: 'openScenario'; path: string }
  | { action: 'exportRun' }
  | { action: 'verifyRecord'; path: string }
  | { action: 'view'; view: ConsoleView }
  | { action: 'stop' }
  | { action: 'about' };

// ---------------------------------------------------------------------------------------------------
// Channels.

/** Request/response channels (renderer → main → renderer). `args` is the renderer's argument tuple. */
export interface InvokeContract {
  'app:getInfo': { args: []; result: AppInfo };
  'scenario:listBundled': { args: []; result: BundledScenario[] };
  'core:getState': { args: []; result: LiveState };
  'core:startSimulator': { args: [request: StartSimulatorRequest]; result: LiveState };
  'core:setSpeed': { args: [speed: SpeedSetting]; result: LiveState };
  'core:checkTrigger': { args: [request: TriggerRequest]; result: TriggerCheck };
  'core:sendTrigger': { args: [request: TriggerRequest]; result: TriggerResponse };
  /** Operator stop (use case 0), at any time, from any view. */
  'core:stop': { args: []; result: TriggerResponse };
  'history:listSeries': { args: []; result: SeriesInfo[] };
  'history:querySeries': { args: [query: SeriesQuery]; result: SeriesData };
  'history:events': { args: [query: EventsQuery]; result: StoredEventDto[] };
  'history:queryForecast': { args: [query: ForecastQuery]; result: ForecastData };
  'runs:list': { args: []; result: RunDto[] };
  'runs:export': { args: [runId: string, format: ExportFormat]; result: ExportedFile };
  /**
   * The printable report of a run as a PDF, printed from the calling page (which shows the report under
   * its print CSS). Desktop only; serve mode answers NOT_AVAILABLE and the console uses `window.print()`.
   */
  'runs:exportPdf': { args: [runId: string]; result: ExportedFile };
  'runs:saveAsScenario': { args: [request: SaveAsScenarioRequest]; result: SavedScenario };
  'replay:start': { args: [request: ReplayRequest]; result: ReplayState };
  'replay:getState': { args: []; result: ReplayState };
  'replay:stop': { args: []; result: ReplayState };
  'settings:get': { args: []; result: CoreSettings };
  'settings:setPreferences': { args: [patch: Partial<Preferences>]; result: Preferences };
  /** Tests one connection for real (OPC UA: reach, certificate, secure channel, login, a read of the SoC). */
  'connections:test': { args: [connectionId: string]; result: ConnectionTestResult };
  'connections:pki': { args: []; result: PkiState };
  /** Trusts a server certificate the PKI refused (by SHA-1), as UaExpert's "Trust". */
  'connections:trustCertificate': { args: [sha1: string]; result: PkiState };
  /** Moves a trusted server certificate back to the refused ones (by SHA-1). */
  'connections:rejectCertificate': { args: [sha1: string]; result: PkiState };
  'site:get': { args: []; result: SiteDocument };
  /** Validates and writes the site file and stores its secrets; refused while the field EMS runs on it. */
  'site:save': { args: [request: SaveSiteRequest]; result: SiteDocument };
  /**
   * Switches the live session to the field EMS on the saved site. Refused while a run is in force (stop it
   * first); the console asks the operator to confirm before it calls this.
   */
  'core:startField': { args: []; result: LiveState };
  /** What went wrong at start-up that the operator should know (settings that fell back to defaults, …). */
  'app:getStartupProblems': { args: []; result: string[] };
  /** Verifies a tamper-evident record file on the host's disk. */
  'record:verify': { args: [path: string]; result: RecordVerification };
  /** Whether this host reads a central history (the console shows the Fleet view only then). */
  'fleet:getStatus': { args: []; result: FleetStatus };
  'fleet:listSites': { args: []; result: FleetSiteDto[] };
  /** A site's runs as the Runs view shows a local run's (`RunDto`, the record the site sent), newest first. */
  'fleet:listRuns': { args: [siteId: string, query: FleetRunsQuery]; result: RunDto[] };
  /** The series the central history holds of a site (unit from the id's suffix; all measured). */
  'fleet:listSeries': { args: [siteId: string]; result: SeriesInfo[] };
  /** One series of a site reduced to min / max / mean buckets (computed in SQL). */
  'fleet:querySeries': { args: [siteId: string, query: SeriesQuery]; result: SeriesData };
  'fleet:events': { args: [siteId: string, query: EventsQuery]; result: StoredEventDto[] };
  /** A run of a site exported as a local run is (`runs:export`: the same CSV, XLSX and JSON). */
  'fleet:exportRun': { args: [siteId: string, runId: string, format: ExportFormat]; result: ExportedFile };
}

/** Events pushed from main to the renderer; the value is the payload type. */
export interface EventContract {
  /** The live picture, once a second of wall time. */
  'core:onLive': LiveState;
  /** Replay progress, at most once a second of wall time and once at the end. */
  'replay:onProgress': ReplayState;
  /** A desktop menu item was chosen (Electron only). */
  'app:onMenu': MenuCommand;
}

export type InvokeChannel = keyof InvokeContract;
export type EventChannel = keyof EventContract;
export type Channel = InvokeChannel | EventChannel;

/**
 * The runtime channel lists. The `satisfies` + `Exact` checks below make the compiler reject a list
 * that misses or invents a channel, so the preload (which loops over these) cannot drift from the types.
 */
export const INVOKE_CHANNELS = [
  'app:getInfo',
  'scenario:listBundled',
  'core:getState',
  'core:startSimulator',
  'core:setSpeed',
  'core:checkTrigger',
  'core:sendTrigger',
  'core:stop',
  'history:listSeries',
  'history:querySeries',
  'history:events',
  'history:queryForecast',
  'runs:list',
  'runs:export',
  'runs:exportPdf',
  'runs:saveAsScenario',
  'replay:start',
  'replay:getState',
  'replay:stop',
  'settings:get',
  'settings:setPreferences',
  'connections:test',
  'connections:pki',
  'connections:trustCertificate',
  'connections:rejectCertificate',
  'site:get',
  'site:save',
  'core:startField',
  'app:getStartupProblems',
  'record:verify',
  'fleet:getStatus',
  'fleet:listSites',
  'fleet:listRuns',
  'fleet:listSeries',
  'fleet:querySeries',
  'fleet:events',
  'fleet:exportRun',
] as const satisfies readonly InvokeChannel[];
export const EVENT_CHANNELS = ['core:onLive', 'replay:onProgress', 'app:onMenu'] as const satisfies readonly EventChannel[];
export const CHANNELS = [...INVOKE_CHANNELS, ...EVENT_CHANNELS] as const;

type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type AssertTrue<T extends true> = T;
/** Compile-time only: fails to type-check when a list misses a channel of its contract. */
export type _ChannelListsAreComplete = AssertTrue<
  Exact<(typeof INVOKE_CHANNELS)[number], InvokeChannel> | Exact<(typeof EVENT_CHANNELS)[number], EventChannel>
>;

// ---------------------------------------------------------------------------------------------------
// The surfaces built from the contract.

export type Unsubscribe = () => void;

/** What the preload exposes as `window.lfc`: exactly one function per channel, nothing else. */
export type LfcApi = {
  readonly [C in InvokeChannel]: (...args: InvokeContract[C]['args']) => Promise<IpcResult<InvokeContract[C]['result']>>;
} & {
  readonly [C in EventChannel]: (listener: (payload: EventContract[C]) => void) => Unsubscribe;
};

/**
 * What main implements per request channel. Handlers return the plain value (or throw); main's IPC layer
 * validates the sender and wraps the outcome into an `IpcResult`.
 */
export type InvokeHandlers = {
  readonly [C in InvokeChannel]: (...args: InvokeContract[C]['args']) => InvokeContract[C]['result'] | Promise<InvokeContract[C]['result']>;
};
