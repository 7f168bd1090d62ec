/**
 * The JSON bodies of the three REST interfaces, as TypeScript types. They mirror the OpenAPI 3.1 documents
 * in `resources/openapi/` (a test validates the lab servers' answers against those documents' schemas), so
 * clients and simulated servers cannot drift apart silently.
 */

/** Every long-poll answer names the server's boot: a new bootId means it restarted and its cursor reset. */
export interface TelemetryPage<R> {
  bootId: string;
  seq: number;
  reports: R[];
}

// ---------------------------------------------------------------- storage vendor backend

export interface StorageReportWire {
  deviceId: string;
  sampleTime: string;
  powerKw: number | null;
  socPct: number | null;
}

export interface StorageSetpointRequest {
  /** kW in the load frame (positive = charging); null = back to the device's own mode. */
  powerKw: number | null;
  validUntil: string;
}

export interface SetpointAppliedWire {
  commandId: string;
  deviceId: string;
  status: 'applied';
  appliedAt: string;
  readBack?: { powerKw: number; socPct?: number; sampleTime: string };
}

export interface ProblemWire {
  error: string;
  deviceId?: string;
  commandId?: string;
}

// ---------------------------------------------------------------- heat-pump vendor backend

export interface HeatPumpReportWire {
  deviceId: string;
  sampleTime: string;
  powerKw: number | null;
  on: boolean;
  indoorC: number | null;
  msSinceSwitch: number | null;
}

export interface HeatPumpModeRequest {
  mode: 'on' | 'off' | 'auto';
  validUntil: string;
}

// ---------------------------------------------------------------- grid operator's platform

export interface PhaseWire {
  phase: 'L1' | 'L2' | 'L3';
  /** null when the sensor delivered an invalid value. */
  voltageV: number | null;
  currentA: number | null;
  phiDeg: number | null;
}

export interface BreakerMeasurementWire {
  bootId: string;
  meterId: string;
  sampleTime: string;
  phases: PhaseWire[];
}

export type SetpointUnit = 'kW' | '%' | 'SOC';

export type ControllerSetpointRequest =
  | { type: 'setpoint'; value: number | null; unit: SetpointUnit; validUntil: string }
  | { type: 'schedule'; unit: SetpointUnit; packages: Array<{ from: string; to: string; value: number }> };

export interface ControllerSetpointAnswer {
  commandId: string;
  controllerId: string;
  status: 'applied' | 'scheduled';
  appliedAt: string;
}
