/**
 * The engine's vocabulary, apart from its behaviour: its configuration (assets, periods, safety limits), the
 * ports it speaks through, the run record every part writes into, and the read-only views it hands out. Kept
 * in a file of its own so that the engine's parts and its callers share it without importing the `Engine`.
 */
import type { Clock } from '../clock.js';
import type { ControllerName } from '../controllers.js';
import type { RequestedSpan, RunKpis, EnergyCheck } from '../kpi/index.js';
import type { EndReason, EngineEvent, EngineEventType, ForecastResult, SetpointAck, SetpointCommand, Trigger } from '../model.js';
import type { Planner } from '../planner.js';

export interface StorageConfig {
  id: string;
  powerKw: number;
  energyKwh: number;
  socInitPct: number;
  socMinPct: number;
  socMaxPct: number;
  roundTripEfficiency: number;
  /** How long the device takes to act on a new setpoint (asset key data), to time feed-forward. */
  responseDelayS?: number;
  /** Ramp limit, kW/s (asset key data), for the instantaneous band. */
  rampKwPerS?: number;
}

export interface HeatPumpConfig {
  id: string;
  powerKw: number;
  cop: number;
  capacityKwhPerK: number;
  lossKwPerK: number;
  indoorInitC: number;
  indoorMinC: number;
  indoorMaxC: number;
  /** The device thermostat's own setpoint, to predict what a released pump will do. */
  setpointC?: number;
  minOnS: number;
  minOffS: number;
}

/** The hysteresis assumed for a heat pump's own two-point thermostat around its setpoint. */
export const ASSUMED_THERMOSTAT_HYSTERESIS_K = 0.5;

export interface SafetyConfig {
  staleAfterS: number;
  holdLastS: number;
  faultStopAfterS: number;
  ackTimeoutS: number;
  lostAfterMissedAcks: number;
  bessLostStopS: number;
  stuckSamples: number;
  exhaustionConfirmS: number;
  settleAllowanceS: number;
  /** Horizon for the flexibility band and the plan of a run with no end (use case 1 without duration). */
  openRunHorizonS: number;
  /**
   * The dispatch runs this long after each slot boundary, once the assets' slot reports (sampled at the
   * boundary, delivered after the sensor delay) have arrived: it then starts from fresh states.
   */
  dispatchOffsetS: number;
}

export interface EngineConfig {
  controller: ControllerName;
  breakerPeriodS: number;
  bessPeriodS: number;
  dispatchPeriodS: number;
  connectionLimitKw: number;
  bess: StorageConfig & { setpointTtlS: number };
  households: Array<StorageConfig & { setpointTtlS: number; fleetId?: string }>;
  heatPumps: Array<HeatPumpConfig & { fleetId?: string }>;
  /** Curtailable PV members (the EMS may limit their feed-in, as a last resort). */
  curtailablePv?: Array<{ id: string; kwp: number }>;
  /**
   * The 15-minute planner (forecasts + optimiser). With one, `lfc` and `oracle` dispatch by its plan and
   * prepare for announced requests; without one (or when a solve fails), `lfc` falls back to fair share.
   */
  planner?: Planner;
  safety?: Partial<SafetyConfig>;
}

/** How long the BESS loop waits for the BESS telemetry of a breaker sample's instant before using older. */
export const BESS_TELEMETRY_WAIT_MS = 500;
/** While the BESS is saturated and the target missed, the plan is redone this often. */
export const EMERGENCY_REPLAN_S = 20;

export function defaultSafety(breakerPeriodS: number): SafetyConfig {
  return {
    staleAfterS: 2.5 * breakerPeriodS,
    holdLastS: 60,
    faultStopAfterS: 300,
    ackTimeoutS: 5,
    lostAfterMissedAcks: 2,
    bessLostStopS: 600,
    stuckSamples: 3,
    exhaustionConfirmS: 60,
    settleAllowanceS: 60,
    openRunHorizonS: 4 * 3600,
    dispatchOffsetS: 3,
  };
}

/** A weather forecast as a source delivers it (defined beside the ports, which `ports.ts` needs). */
export type { ForecastResult } from '../model.js';

export interface EnginePorts {
  write(cmd: SetpointCommand, onAck: (ack: SetpointAck) => void): void;
  requestForecast(onResult: (result: ForecastResult) => void): void;
  emit(event: EngineEvent): void;
  onRunEnded?(run: RunRecord): void;
}

/** One run: from a trigger that starts use case 1–4 to the moment it ends. */
export interface RunRecord {
  runId: string;
  trigger: Trigger;
  controller: ControllerName;
  startMs: number;
  endMs: number | null;
  endReason: EndReason | null;
  firstSetpointAckMs: number | null;
  /** The exhaustion forecast in force now (the latest one made; null: none before the requested end). */
  predictedExhaustionAtMs: number | null;
  /** Every exhaustion forecast made during the run, in order (null: none expected before the requested end). */
  exhaustionPredictions: Array<{ madeMs: number; atMs: number | null }>;
  /**
   * What was requested (KPI.md): the denominator of every share. An open-ended request whose run ended by
   * exhaustion or fault has no end until the next trigger or the recording's end (then `endMs` is null).
   */
  requested: RequestedSpan;
  /** Energy sufficiency at every dispatch slot of the run. */
  energyChecks: EnergyCheck[];
  samples: {
    sampleTimeMs: number[];
    arrivalTimeMs: number[];
    measuredKw: number[];
    targetKw: number[];
    flexDownKw: number[];
    flexUpKw: number[];
    uncontrolledKw: number[];
    inExhaustion: number[];
  };
  latencyMs: Record<'sensorToEms' | 'decision' | 'emsToAck' | 'total', number[]>;
  /** The breaker sample time of each control cycle in `latencyMs` (same order), to store them per sample. */
  latencySampleTimeMs: number[];
  kpis: RunKpis | null;
}

export type AssetLinkState = 'ok' | 'lost' | 'rejecting';

/** The 15-minute plan in force, per slot from `startMs`: what the console overlays on the measurements. */
export interface PlanView {
  issuedMs: number;
  startMs: number;
  stepS: number;
  /** Forecast uncontrolled power, kW. */
  residualKw: number[];
  /** Planned breaker power, kW. */
  breakerKw: number[];
  /** Planned BESS power (feed-forward), kW. */
  bessKw: number[];
  curtailmentKw: number[];
  predictedExhaustionAtMs: number | null;
}

export interface EngineSnapshot {
  nowMs: number;
  controller: ControllerName;
  run: {
    runId: string;
    useCase: number;
    triggerId: string;
    startMs: number;
    plannedEndMs: number | null;
    targetKw: number | null;
    toleranceKw: number;
    predictedExhaustionAtMs: number | null;
    band: { downKw: number; upKw: number };
    inExhaustion: boolean;
  } | null;
  pendingTrigger: { triggerId: string; startMs: number; useCase: number } | null;
  breaker: { lastSampleMs: number | null; lastPowerKw: number | null; lastValidSampleMs: number; stale: boolean; safeState: boolean };
  forecastMissing: boolean;
  assets: Array<{
    id: string;
    kind: 'bess' | 'householdStorage' | 'heatPump';
    powerKw: number;
    setpointKw: number | null;
    socPct?: number;
    indoorC?: number;
    link: AssetLinkState;
  }>;
}

/** What every part of the engine shares: its configuration, its clock and its voice (events carry the run in force). */
export interface EngineContext {
  readonly config: EngineConfig;
  readonly safety: SafetyConfig;
  readonly clock: Clock;
  emit(type: EngineEventType, level: EngineEvent['level'], message: string, data: Record<string, unknown>, assetId?: string): void;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
