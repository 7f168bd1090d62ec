/**
 * The connector interfaces: the small contracts through which the EMS reaches the field. The plant
 * simulator implements them for a replay or the lab; OPC UA and REST connectors implement them for the
 * field; a configuration picks which one serves which asset. They are callback-based, not promise-based, so
 * that a replay in virtual time stays deterministic (no microtask ordering between simulated instants).
 */
import type { AssetReport, BreakerSample, ForecastResult, SetpointAck, SetpointCommand, Trigger } from './model.js';

export type Unsubscribe = () => void;

/** The breaker meter at the MV/LV connection (I-04, I-05). */
export interface BreakerMeter {
  subscribe(listener: (sample: BreakerSample) => void): Unsubscribe;
}

/** Telemetry of the controllable assets (BESS backend, vendor clouds). */
export interface AssetTelemetry {
  subscribe(listener: (report: AssetReport) => void): Unsubscribe;
}

/** Setpoint delivery (I-06): every write is answered by exactly one acknowledgement, or by none (timeout). */
export interface SetpointSink {
  write(command: SetpointCommand, onAck: (ack: SetpointAck) => void): void;
}

/** Weather forecasts (I-02, I-03). */
export interface WeatherSource {
  fetchForecast(onResult: (result: ForecastResult) => void): void;
}

/** The operator's triggers (I-01). */
export interface TriggerIntake {
  subscribe(listener: (trigger: Trigger) => void): Unsubscribe;
}

export interface FieldConnectors {
  breaker: BreakerMeter;
  telemetry: AssetTelemetry;
  setpoints: SetpointSink;
  weather: WeatherSource;
  triggers: TriggerIntake;
}
