/**
 * The grid operator's platform (the DSO technical platform the use case routes I-04/I-05/I-06 through):
 * - `DsoBreakerMeter` (`BreakerMeter`): the breaker measurement as 3-phase U, I, φ (I-05), by long poll
 *   (`GET /v1/meters/{meterId}/measurement?after=<ms>&waitMs=<ms>`; 204 = nothing newer yet), converted to
 *   P = Σ U·I·cos φ (see `three-phase.ts` for the sign convention of φ). A sample with a missing phase value
 *   is delivered as NaN, so the engine sees and logs it as invalid instead of a silent gap.
 * - `DsoSetpointForwarder` (`SetpointSink`): setpoint forwarding to a controller in the field (I-06), as a
 *   static value in kW or relative in % of the asset's rating, with an `Idempotency-Key`; plus
 *   `sendSchedule` for a setpoint schedule (t+1) and `sendSocTarget` for a state-of-charge target.
 */
import type { BreakerSample, SetpointAck, SetpointCommand } from '../../engine/model.js';
import type { BreakerMeter, SetpointSink, Unsubscribe } from '../../engine/ports.js';
import { PollLoop, wallNow, type ConnectorContext } from './connector-context.js';
import { RestClient, RestError, type RestClientOptions } from './http-client.js';
import { activePowerKw } from './three-phase.js';
import type { BreakerMeasurementWire, ControllerSetpointAnswer, ControllerSetpointRequest, SetpointUnit } from './wire.js';

export interface DsoBreakerMeterOptions {
  client: Omit<RestClientOptions, 'sleep' | 'random' | 'onRetry'>;
  meterId: string;
  /** Breaker period in EMS-clock seconds: a long poll waits up to two of them. */
  breakerPeriodS: number;
}

function retryEvents(ctx: ConnectorContext, name: () => string): RestClientOptions['onRetry'] {
  return (info) =>
    ctx.onEvent({ timeMs: ctx.clock.nowMs(), type: 'connector-retry', level: 'info', connector: name(), message: `${info.method} ${info.path}: attempt ${info.attempt} failed (${info.reason}); retrying in ${info.delayMs} ms`, data: { ...info } });
}

export class DsoBreakerMeter implements BreakerMeter {
  readonly client: RestClient;
  private readonly listeners = new Set<(s: BreakerSample) => void>();
  private readonly loop: PollLoop;
  private lastSampleMs = 0;
  private bootId: string | null = null;
  private started = false;

  constructor(ctx: ConnectorContext, opts: DsoBreakerMeterOptions) {
    this.client = new RestClient({ ...opts.client, ...(ctx.sleep ? { sleep: ctx.sleep } : {}), ...(ctx.random ? { random: ctx.random } : {}), onRetry: retryEvents(ctx, () => this.client.name) });
    const waitWallMs = Math.max(50, Math.round((2 * opts.breakerPeriodS * 1000) / ctx.speed));
    const path = `/v1/meters/${encodeURIComponent(opts.meterId)}/measurement`;
    this.loop = new PollLoop(this.client.name, ctx, async () => {
      const res = await this.client.request('GET', path, {
        query: { after: this.lastSampleMs, waitMs: waitWallMs },
        timeoutMs: waitWallMs + opts.client.timeoutMs,
        retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
      });
      if (res.status === 204) return;
      const m = res.body as BreakerMeasurementWire;
      if (this.bootId !== null && m.bootId !== this.bootId) {
        ctx.onEvent({ timeMs: ctx.clock.nowMs(), type: 'server-restart-detected', level: 'warning', connector: this.client.name, message: `${this.client.name} restarted (boot ${this.bootId} → ${m.bootId})` });
      }
      this.bootId = m.bootId;
      const sampleMs = Date.parse(m.sampleTime);
      if (!Number.isFinite(sampleMs) || sampleMs <= this.lastSampleMs) return;
      this.lastSampleMs = sampleMs;
      const phases = m.phases.map((p) => ({ voltageV: p.voltageV ?? NaN, currentA: p.currentA ?? NaN, phiDeg: p.phiDeg ?? NaN }));
      const sample: BreakerSample = { sampleMs, arrivalMs: ctx.clock.nowMs(), powerKw: activePowerKw(phases) };
      for (const l of this.listeners) l(sample);
    });
  }

  subscribe(listener: (sample: BreakerSample) => void): Unsubscribe {
    this.listeners.add(listener);
    if (!this.started) {
      this.started = true;
      this.loop.start();
    }
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.loop.stop();
    this.listeners.clear();
    this.client.close();
  }
}

export interface DsoSetpointForwarderOptions {
  client: Omit<RestClientOptions, 'sleep' | 'random' | 'onRetry'>;
  /** How each controller takes its setpoint: kW, or % of `ratedKw`. */
  controllers: Record<string, { unit: 'kW' | '%'; ratedKw?: number }>;
}

export class DsoSetpointForwarder implements SetpointSink {
  readonly client: RestClient;
  private closed = false;

  constructor(
    private readonly ctx: ConnectorContext,
    private readonly opts: DsoSetpointForwarderOptions,
  ) {
    this.client = new RestClient({ ...opts.client, ...(ctx.sleep ? { sleep: ctx.sleep } : {}), ...(ctx.random ? { random: ctx.random } : {}), onRetry: retryEvents(ctx, () => this.client.name) });
  }

  /** The value a controller receives for a power in kW. */
  encode(assetId: string, powerKw: number | null): { value: number | null; unit: SetpointUnit } {
    const c = this.opts.controllers[assetId];
    if (!c) throw new Error(`${this.client.name}: no controller configured for ${assetId}`);
    if (powerKw === null || c.unit === 'kW') return { value: powerKw, unit: c.unit };
    if (!c.ratedKw || !(c.ratedKw > 0)) throw new Error(`${this.client.name}: ${assetId} takes % setpoints but has no ratedKw`);
    return { value: (powerKw / c.ratedKw) * 100, unit: '%' };
  }

  write(cmd: SetpointCommand, onAck: (ack: SetpointAck) => void): void {
    const ctx = this.ctx;
    const t0 = (ctx.wallNowMs ?? wallNow)();
    let encoded: { value: number | null; unit: SetpointUnit };
    try {
      encoded = this.encode(cmd.assetId, cmd.powerKw);
    } catch (err) {
      onAck({ commandId: cmd.commandId, assetId: cmd.assetId, ackMs: ctx.clock.nowMs(), ok: false, error: err instanceof Error ? err.message : String(err) });
      return;
    }
    const body: ControllerSetpointRequest = { type: 'setpoint', ...encoded, validUntil: new Date(cmd.expiresMs).toISOString() };
    const trace = (outcome: 'ack' | 'rejected' | 'no-ack', attempts: number) =>
      ctx.onWriteTrace?.({ commandId: cmd.commandId, assetId: cmd.assetId, connector: this.client.name, issuedMs: cmd.issuedMs, answeredMs: ctx.clock.nowMs(), wireWallMs: (ctx.wallNowMs ?? wallNow)() - t0, attempts, outcome });
    this.send(cmd.assetId, `${ctx.sessionId}:${cmd.commandId}`, body).then(
      () => {
        trace('ack', 1);
        onAck({ commandId: cmd.commandId, assetId: cmd.assetId, ackMs: ctx.clock.nowMs(), ok: true });
      },
      (err: unknown) => {
        if (this.closed) return;
        const e = err instanceof RestError ? err : new RestError(String(err), false, 1);
        if (e.status === 422 || e.status === 409) {
          trace('rejected', e.attempts);
          ctx.onEvent({ timeMs: ctx.clock.nowMs(), type: 'connector-rejected', level: 'warning', connector: this.client.name, assetId: cmd.assetId, message: e.message });
          onAck({ commandId: cmd.commandId, assetId: cmd.assetId, ackMs: ctx.clock.nowMs(), ok: false, error: e.message });
        } else {
          trace('no-ack', e.attempts);
          ctx.onEvent({ timeMs: ctx.clock.nowMs(), type: 'connector-no-ack', level: 'warning', connector: this.client.name, assetId: cmd.assetId, message: `${cmd.assetId}: setpoint ${cmd.commandId} not acknowledged: ${e.message}`, data: { attempts: e.attempts } });
        }
      },
    );
  }

  /** A setpoint schedule (I-06, t+1): packages of kW or % values. */
  async sendSchedule(assetId: string, commandId: string, packages: Array<{ fromMs: number; toMs: number; powerKw: number }>): Promise<ControllerSetpointAnswer> {
    const unit = this.encode(assetId, 0).unit;
    const body: ControllerSetpointRequest = {
      type: 'schedule',
      unit,
      packages: packages.map((p) => ({ from: new Date(p.fromMs).toISOString(), to: new Date(p.toMs).toISOString(), value: this.encode(assetId, p.powerKw).value! })),
    };
    return this.send(assetId, `${this.ctx.sessionId}:${commandId}`, body);
  }

  /** A state-of-charge target in % (I-06 "[SOC]"): the controller reaches it with its own power. */
  async sendSocTarget(assetId: string, commandId: string, socPct: number, validUntilMs: number): Promise<ControllerSetpointAnswer> {
    if (!(socPct >= 0 && socPct <= 100)) throw new Error(`SOC target must be within 0–100 %, got ${socPct}`);
    return this.send(assetId, `${this.ctx.sessionId}:${commandId}`, { type: 'setpoint', value: socPct, unit: 'SOC', validUntil: new Date(validUntilMs).toISOString() });
  }

  private async send(assetId: string, key: string, body: ControllerSetpointRequest): Promise<ControllerSetpointAnswer> {
    const res = await this.client.request('POST', `/v1/controllers/${encodeURIComponent(assetId)}/setpoints`, { body, headers: { 'idempotency-key': key } });
    return res.body as ControllerSetpointAnswer;
  }

  close(): void {
    this.closed = true;
    this.client.close();
  }
}
