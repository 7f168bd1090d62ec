/**
 * The engine's vocabulary: what it hears (samples, reports, acknowledgements, triggers) and what it says
 * (setpoint commands, events).
 *
 * ## The one sign convention
 * Every power in this code base is in kW in the **load frame**: positive where power is drawn from the
 * grid at that point, negative where it is fed in. At the breaker, positive = the community imports; at a
 * battery, positive = charging; at a heat pump or load, positive = consuming; a PV array's power is
 * negative when it generates. The breaker power is the plain sum of all assets:
 * `P_B = Σ loads + Σ heat pumps + Σ storages + Σ PV` (with PV ≤ 0).
 *
 * Times are Unix epoch milliseconds (`…Ms`), durations seconds (`…S`) unless the name says otherwise.
 */

import type { HourlyWeatherForecast } from './forecast/weather.js';

/** Trigger codes of I-01: 0 stop, 1 island (0 kW), 2 fixed target, 3 import packages, 4 export packages. */
export type UseCase = 0 | 1 | 2 | 3 | 4;

export interface SchedulePackage {
  fromMs: number;
  toMs: number;
  targetKw: number;
}

/** The band ± around a target when a trigger names none (I-01), kW: one value for every way a trigger comes in. */
export const DEFAULT_TOLERANCE_KW = 10;

/** A trigger as received (I-01): who sent it, when, and what it asks. */
export interface Trigger {
  id: string;
  source: string;
  receivedMs: number;
  /** When the run starts; equal to receivedMs unless the request was announced. */
  startMs: number;
  useCase: UseCase;
  targetKw: number | null;
  durationS: number | null;
  toleranceKw: number;
  schedule: SchedulePackage[] | null;
}

/** A breaker measurement as the EMS receives it (I-05), already converted to active power. */
export interface BreakerSample {
  /** Timestamp set at the sensor. */
  sampleMs: number;
  /** When the EMS received it. */
  arrivalMs: number;
  powerKw: number;
}

export type ControllableKind = 'bess' | 'householdStorage' | 'heatPump' | 'pv';

/** What an asset reports about itself (I-05 via a vendor backend, or the BESS read-back). */
export interface AssetReport {
  assetId: string;
  sampleMs: number;
  arrivalMs: number;
  powerKw: number;
  /** Storages only. */
  socPct?: number;
  /** Heat pumps only. */
  indoorC?: number;
  /** Heat pumps only: whether the compressor runs. */
  on?: boolean;
  /** Heat pumps: ms since the last on/off switch, for min on/off times. */
  msSinceSwitch?: number;
}

/**
 * A setpoint sent to one asset (I-06). `powerKw` for storages; for heat pumps `powerKw` is either 0 (off)
 * or the rated power (on); for PV it is the curtailment limit as a (negative) floor on the feed-in.
 * `null` releases the asset to its own default behaviour. Every command carries an expiry: an asset that
 * hears nothing more returns to its default when it passes, so no setpoint outlives the EMS's knowledge.
 */
export interface SetpointCommand {
  commandId: string;
  assetId: string;
  issuedMs: number;
  powerKw: number | null;
  expiresMs: number;
  runId: string | null;
}

export interface SetpointAck {
  commandId: string;
  assetId: string;
  ackMs: number;
  ok: boolean;
  error?: string;
  /** Read-back after the write, when the connector offers it (the BESS does). */
  readBack?: { powerKw: number; socPct?: number; sampleMs: number };
}

export type EndReason =
  | 'duration-elapsed'
  | 'superseded'
  | 'operator-stop'
  | 'flex-exhausted'
  | 'fault'
  /** The replayed scenario ended while a run was still in force (an extension of the KPI.md list). */
  | 'scenario-end'
  /** The field EMS was stopped (SIGTERM, the operator quit) while a run was in force (an extension too). */
  | 'ems-stopped';

export type EngineEventType =
  | 'trigger-received'
  | 'trigger-refused'
  | 'run-started'
  | 'run-ended'
  | 'dispatch'
  | 'plan-failed'
  | 'band-edge'
  | 'setpoint-rejected'
  | 'ack-timeout'
  | 'asset-lost'
  | 'asset-restored'
  | 'breaker-stale'
  | 'telemetry-stale'
  | 'breaker-restored'
  | 'breaker-invalid'
  | 'breaker-stuck'
  | 'breaker-out-of-order'
  | 'breaker-implausible'
  | 'forecast-missing'
  | 'forecast-restored'
  | 'flex-exhaustion-warning'
  | 'flex-exhausted'
  | 'safe-state'
  | 'fault-injected';

export interface EngineEvent {
  timeMs: number;
  type: EngineEventType;
  level: 'info' | 'warning' | 'error';
  message: string;
  runId?: string | null;
  assetId?: string;
  data?: Record<string, unknown>;
}

/** A weather forecast as a source delivers it (I-02, I-03), or why there is none. */
export interface ForecastResult {
  ok: boolean;
  error?: string;
  /** Hourly outdoor temperature, for the heat pumps' flexibility. */
  timeMs?: ArrayLike<number>;
  tempC?: ArrayLike<number>;
  /** The whole hourly forecast, for the planner's PV and load forecasts. */
  weather?: HourlyWeatherForecast;
}
