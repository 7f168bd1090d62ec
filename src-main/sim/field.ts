/**
 * The simulated field: the plant behind the same connector interfaces the real field offers (a breaker
 * meter with noise, period and delay; asset telemetry; setpoint writes answered by acknowledgements; a
 * weather service), with the scenario's faults injected where the real ones would happen — at the sensor,
 * the asset's link or the weather service, never inside the EMS.
 *
 * Telemetry periods: the breaker meter reports every `breakerPeriodS`; household storages and heat pumps
 * report through their vendor clouds every `assetPeriodS`; the community BESS backend publishes its power
 * and state of charge every `BESS_TELEMETRY_PERIOD_S` (an OPC UA subscription), and reads back after
 * every write.
 */
import type { Clock } from '../engine/clock.js';
import type { ForecastResult } from '../engine/engine.js';
import type { AssetReport, BreakerSample, EngineEvent, SetpointAck, SetpointCommand } from '../engine/model.js';
import type { AssetTelemetry, BreakerMeter, SetpointSink, Unsubscribe, WeatherSource } from '../engine/ports.js';
import { Rng, streamSeed } from '../engine/random.js';
import type { ScenarioFault } from '../engine/scenario/index.js';
import type { Plant, PlantMember } from './plant.js';

export const BESS_TELEMETRY_PERIOD_S = 1;
export const SIM_ACK_LATENCY_MS = 50;

export type SensorStatus = 'ok' | 'dropout' | 'nan' | 'stuck';

interface ActiveFault {
  fault: ScenarioFault;
  fromMs: number;
  toMs: number;
  /** Member ids the fault concerns (asset faults). */
  members: Set<string>;
}

export interface BreakerRecord {
  sampleMs: number;
  trueKw: number;
  sentKw: number | null;
  status: SensorStatus;
}

/** The record of a fault the simulator injects (distinct from what the EMS notices of it). */
export function faultInjectedEvent(fault: ScenarioFault, atMs: number, runId: string | null): EngineEvent {
  return {
    timeMs: atMs,
    type: 'fault-injected',
    level: 'info',
    message: `simulator injects ${fault.kind}${'asset' in fault && fault.asset ? ` on ${fault.asset}` : ''} for ${fault.durationS} s`,
    runId,
    data: { source: 'simulator', ...fault },
  };
}

export class SimulatedField implements BreakerMeter, SetpointSink, WeatherSource {
  private readonly breakerListeners: Array<(s: BreakerSample) => void> = [];
  private readonly reportListeners: Array<(r: AssetReport) => void> = [];
  private readonly faults: ActiveFault[];
  private readonly breakerRng: Rng;
  private lastSentKw = 0;
  /** Hook for the replay's recorder: every breaker sample the sensor takes, delivered or not. */
  onBreakerSampleTaken: ((record: BreakerRecord) => void) | null = null;
  /** Hook for the replay's event log: the faults as they are injected. */
  onFaultInjected: ((fault: ScenarioFault, atMs: number) => void) | null = null;

  constructor(
    private readonly plant: Plant,
    private readonly clock: Clock,
    private readonly forecast: () => ForecastResult,
  ) {
    const s = plant.scenario;
    this.breakerRng = new Rng(streamSeed(s.seed, 'sensor:breaker'));
    this.faults = s.faults.map((f) => {
      const fromMs = Date.parse(f.at);
      const members = new Set<string>();
      if ('asset' in f && f.asset) {
        for (const m of plant.members) if (m.id === f.asset || m.assetId === f.asset) members.add(m.id);
      }
      return { fault: f, fromMs, toMs: fromMs + f.durationS * 1000, members };
    });
  }

  /** Schedules the sensors and fault markers over [startMs, endMs). */
  start(): void {
    const s = this.plant.scenario;
    const startMs = this.plant.startMs;
    const endMs = this.plant.endMs;
    const m = s.measurement;
    for (const f of this.faults) this.clock.schedule(f.fromMs, () => this.onFaultInjected?.(f.fault, f.fromMs));

    const breakerMs = m.breakerPeriodS * 1000;
    const delayMs = m.delayS * 1000;
    // Each periodic source schedules its next sample when it takes one, so the clock's queue stays short.
    const every = (periodMs: number, take: (t: number) => void): void => {
      const tick = (t: number): void => {
        take(t);
        if (t + periodMs < endMs) this.clock.schedule(t + periodMs, () => tick(t + periodMs));
      };
      this.clock.schedule(startMs, () => tick(startMs));
    };
    every(breakerMs, (t) => this.takeBreakerSample(t, delayMs));
    const controllable = this.plant.members.filter((x) => x.kind === 'householdStorage' || x.kind === 'heatPump');
    every(m.assetPeriodS * 1000, (t) => {
      for (const member of controllable) this.report(member, t, delayMs);
    });
    const bessMembers = this.plant.members.filter((x) => x.kind === 'bess');
    every(BESS_TELEMETRY_PERIOD_S * 1000, (t) => {
      for (const member of bessMembers) this.report(member, t, delayMs);
    });
  }

  subscribe(listener: (sample: BreakerSample) => void): Unsubscribe {
    this.breakerListeners.push(listener);
    return () => {
      const i = this.breakerListeners.indexOf(listener);
      if (i >= 0) this.breakerListeners.splice(i, 1);
    };
  }

  subscribeReports(listener: (report: AssetReport) => void): Unsubscribe {
    this.reportListeners.push(listener);
    return () => {
      const i = this.reportListeners.indexOf(listener);
      if (i >= 0) this.reportListeners.splice(i, 1);
    };
  }

  /** A view of this field as the `AssetTelemetry` connector. */
  get telemetry(): AssetTelemetry {
    return { subscribe: (l) => this.subscribeReports(l) };
  }

  private activeFault(kind: ScenarioFault['kind'], atMs: number, memberId?: string): boolean {
    for (const f of this.faults) {
      if (f.fault.kind !== kind || atMs < f.fromMs || atMs >= f.toMs) continue;
      if (memberId === undefined || f.members.has(memberId)) return true;
    }
    return false;
  }

  private takeBreakerSample(sampleMs: number, delayMs: number): void {
    const trueKw = this.plant.breakerKw;
    const noiseKw = this.plant.scenario.measurement.breakerNoiseKw * this.breakerRng.normal();
    let status: SensorStatus = 'ok';
    let sentKw: number | null = trueKw + noiseKw;
    if (this.activeFault('breakerSensorDropout', sampleMs)) {
      status = 'dropout';
      sentKw = null;
    } else if (this.activeFault('breakerSensorNaN', sampleMs)) {
      status = 'nan';
      sentKw = NaN;
    } else if (this.activeFault('breakerSensorStuck', sampleMs)) {
      status = 'stuck';
      sentKw = this.lastSentKw;
    }
    if (sentKw !== null && Number.isFinite(sentKw)) this.lastSentKw = sentKw;
    this.onBreakerSampleTaken?.({ sampleMs, trueKw, sentKw, status });
    if (sentKw === null) return;
    const sample: BreakerSample = { sampleMs, arrivalMs: sampleMs + delayMs, powerKw: sentKw };
    this.clock.schedule(sample.arrivalMs, () => {
      for (const l of this.breakerListeners) l(sample);
    });
  }

  private report(member: PlantMember, sampleMs: number, delayMs: number): void {
    if (this.activeFault('assetOffline', sampleMs, member.id)) return;
    const r = this.plant.read(member.id);
    if (!r) return;
    const report: AssetReport = { assetId: member.id, sampleMs, arrivalMs: sampleMs + delayMs, powerKw: r.powerKw };
    if (r.socPct !== undefined) report.socPct = r.socPct;
    if (r.indoorC !== undefined) report.indoorC = r.indoorC;
    if (r.on !== undefined) report.on = r.on;
    if (r.msSinceSwitch !== undefined) report.msSinceSwitch = r.msSinceSwitch;
    this.clock.schedule(report.arrivalMs, () => {
      for (const l of this.reportListeners) l(report);
    });
  }

  write(command: SetpointCommand, onAck: (ack: SetpointAck) => void): void {
    const now = this.clock.nowMs();
    const id = command.assetId;
    // An offline asset neither applies nor answers: the EMS must notice by the missing acknowledgement.
    if (this.activeFault('assetOffline', now, id)) return;
    const ackMs = now + SIM_ACK_LATENCY_MS;
    if (this.activeFault('assetSetpointRejected', now, id)) {
      this.clock.schedule(ackMs, () => onAck({ commandId: command.commandId, assetId: id, ackMs, ok: false, error: 'write rejected by the device' }));
      return;
    }
    const result = this.plant.write(id, command.powerKw, command.expiresMs);
    const reading = this.plant.read(id);
    this.clock.schedule(ackMs, () => {
      const ack: SetpointAck = { commandId: command.commandId, assetId: id, ackMs, ok: result.ok };
      if (!result.ok) ack.error = result.error;
      if (reading) {
        ack.readBack = { powerKw: reading.powerKw, sampleMs: now };
        if (reading.socPct !== undefined) ack.readBack.socPct = reading.socPct;
      }
      onAck(ack);
    });
  }

  fetchForecast(onResult: (result: ForecastResult) => void): void {
    const now = this.clock.nowMs();
    const answer: ForecastResult = this.activeFault('forecastMissing', now)
      ? { ok: false, error: 'weather service answered 503 Service Unavailable' }
      : this.forecast();
    this.clock.schedule(now + SIM_ACK_LATENCY_MS, () => onResult(answer));
  }
}
