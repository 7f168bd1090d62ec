/**
 * REST connectors for the vendor clouds behind the household storages and heat pumps (and, until the OPC UA
 * connector is configured, the community BESS's management backend, which speaks the storage dialect):
 * telemetry by long poll (`GET /v1/telemetry?after=<seq>&waitMs=<ms>`, `AssetTelemetry`) and setpoints by
 * `PUT` with an `Idempotency-Key` (`SetpointSink`), so a retried write is applied once.
 *
 * Acknowledgements: 200 → `ok: true` with the read-back; 422 (the device refused) → `ok: false` with the
 * backend's reason; a timeout, a 5xx or a dead connection after the bounded retries → no acknowledgement
 * and a `connector-no-ack` event, so the engine's ack timeout counts it (it never hears a fake "ok").
 */
import type { AssetReport, SetpointAck, SetpointCommand } from '../../engine/model.js';
import type { AssetTelemetry, SetpointSink, Unsubscribe } from '../../engine/ports.js';
import { PollLoop, wallNow, type ConnectorContext } from './connector-context.js';
import { RestClient, RestError, type RestClientOptions } from './http-client.js';
import type { HeatPumpModeRequest, HeatPumpReportWire, SetpointAppliedWire, StorageReportWire, StorageSetpointRequest, TelemetryPage } from './wire.js';

export interface VendorBackendOptions {
  client: Omit<RestClientOptions, 'sleep' | 'random' | 'onRetry'>;
  /** How long one long poll may wait for news, in EMS-clock seconds (turned into real time by the speed). */
  longPollS?: number;
  /** Asset ids this backend serves (for routing and to ignore reports of others). */
  assetIds: readonly string[];
}

abstract class VendorBackendConnector<R> implements AssetTelemetry, SetpointSink {
  readonly client: RestClient;
  readonly assetIds: ReadonlySet<string>;
  private readonly listeners = new Set<(r: AssetReport) => void>();
  private readonly loop: PollLoop;
  private cursor = 0;
  private bootId: string | null = null;

  constructor(
    protected readonly ctx: ConnectorContext,
    protected readonly opts: VendorBackendOptions,
  ) {
    this.assetIds = new Set(opts.assetIds);
    this.client = new RestClient({
      ...opts.client,
      ...(ctx.sleep ? { sleep: ctx.sleep } : {}),
      ...(ctx.random ? { random: ctx.random } : {}),
      onRetry: (info) =>
        ctx.onEvent({ timeMs: ctx.clock.nowMs(), type: 'connector-retry', level: 'info', connector: this.client.name, message: `${info.method} ${info.path}: attempt ${info.attempt} failed (${info.reason}); retrying in ${info.delayMs} ms`, data: { ...info } }),
    });
    const waitWallMs = Math.max(50, Math.round(((opts.longPollS ?? 30) * 1000) / ctx.speed));
    this.loop = new PollLoop(this.client.name, ctx, async () => {
      const res = await this.client.request('GET', '/v1/telemetry', {
        query: { after: this.cursor, waitMs: waitWallMs },
        timeoutMs: waitWallMs + opts.client.timeoutMs,
        retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 },
      });
      const page = res.body as TelemetryPage<R>;
      if (this.bootId !== null && page.bootId !== this.bootId) {
        ctx.onEvent({ timeMs: ctx.clock.nowMs(), type: 'server-restart-detected', level: 'warning', connector: this.client.name, message: `${this.client.name} restarted (boot ${this.bootId} → ${page.bootId}); telemetry cursor reset` });
        this.bootId = page.bootId;
        this.cursor = 0;
        return;
      }
      this.bootId = page.bootId;
      this.cursor = page.seq;
      const arrivalMs = ctx.clock.nowMs();
      for (const wire of page.reports) {
        const report = this.toReport(wire, arrivalMs);
        if (report && this.assetIds.has(report.assetId)) for (const l of this.listeners) l(report);
      }
    });
  }

  protected abstract toReport(wire: R, arrivalMs: number): AssetReport | null;
  protected abstract writeRequest(cmd: SetpointCommand): { path: string; body: unknown };

  subscribe(listener: (report: AssetReport) => void): Unsubscribe {
    this.listeners.add(listener);
    if (this.listeners.size === 1 && !this.started) {
      this.started = true;
      this.loop.start();
    }
    return () => this.listeners.delete(listener);
  }

  private started = false;

  write(cmd: SetpointCommand, onAck: (ack: SetpointAck) => void): void {
    const ctx = this.ctx;
    const { path, body } = this.writeRequest(cmd);
    const t0 = (ctx.wallNowMs ?? wallNow)();
    let attempts = 1;
    const trace = (outcome: 'ack' | 'rejected' | 'no-ack') =>
      ctx.onWriteTrace?.({ commandId: cmd.commandId, assetId: cmd.assetId, connector: this.client.name, issuedMs: cmd.issuedMs, answeredMs: ctx.clock.nowMs(), wireWallMs: (ctx.wallNowMs ?? wallNow)() - t0, attempts, outcome });
    this.client
      .request('PUT', path, { body, headers: { 'idempotency-key': `${ctx.sessionId}:${cmd.commandId}` } })
      .then((res) => {
        const a = res.body as SetpointAppliedWire;
        const ack: SetpointAck = { commandId: cmd.commandId, assetId: cmd.assetId, ackMs: ctx.clock.nowMs(), ok: true };
        if (a.readBack) {
          ack.readBack = { powerKw: a.readBack.powerKw, sampleMs: Date.parse(a.readBack.sampleTime) };
          if (a.readBack.socPct !== undefined) ack.readBack.socPct = a.readBack.socPct;
        }
        trace('ack');
        onAck(ack);
      })
      .catch((err: unknown) => {
        if (this.loop.isStopped) return;
        const e = err instanceof RestError ? err : new RestError(String(err), false, 1);
        attempts = e.attempts;
        if (e.status !== undefined && e.status >= 400 && e.status < 500 && !e.retryable && e.status !== 401 && e.status !== 403) {
          // The device (or the backend for it) said no: a rejection the engine must hear.
          trace('rejected');
          ctx.onEvent({ timeMs: ctx.clock.nowMs(), type: 'connector-rejected', level: 'warning', connector: this.client.name, assetId: cmd.assetId, message: e.message, data: { commandId: cmd.commandId, status: e.status } });
          onAck({ commandId: cmd.commandId, assetId: cmd.assetId, ackMs: ctx.clock.nowMs(), ok: false, error: e.message });
          return;
        }
        // No answer we can trust: no acknowledgement, so the engine's timeout decides.
        trace('no-ack');
        ctx.onEvent({ timeMs: ctx.clock.nowMs(), type: 'connector-no-ack', level: 'warning', connector: this.client.name, assetId: cmd.assetId, message: `${cmd.assetId}: setpoint ${cmd.commandId} not acknowledged: ${e.message}`, data: { commandId: cmd.commandId, attempts: e.attempts, status: e.status ?? null } });
      });
  }

  close(): void {
    this.loop.stop();
    this.listeners.clear();
    this.client.close();
  }
}

const num = (v: number | null | undefined): number => (v === null || v === undefined ? NaN : v);

/** Household storages (and the BESS backend in its REST dialect). */
export class StorageBackendConnector extends VendorBackendConnector<StorageReportWire> {
  protected toReport(w: StorageReportWire, arrivalMs: number): AssetReport | null {
    const sampleMs = Date.parse(w.sampleTime);
    if (!Number.isFinite(sampleMs)) return null;
    const r: AssetReport = { assetId: w.deviceId, sampleMs, arrivalMs, powerKw: num(w.powerKw) };
    if (w.socPct !== null) r.socPct = w.socPct;
    // An invalid reading is dropped here rather than handed to the engine as a number it would trust.
    return Number.isFinite(r.powerKw) ? r : null;
  }

  protected writeRequest(cmd: SetpointCommand): { path: string; body: StorageSetpointRequest } {
    return { path: `/v1/devices/${encodeURIComponent(cmd.assetId)}/setpoint`, body: { powerKw: cmd.powerKw, validUntil: new Date(cmd.expiresMs).toISOString() } };
  }
}

/** Heat pumps: on (powerKw > 0), off (0) or back to their own thermostat (null). */
export class HeatPumpBackendConnector extends VendorBackendConnector<HeatPumpReportWire> {
  protected toReport(w: HeatPumpReportWire, arrivalMs: number): AssetReport | null {
    const sampleMs = Date.parse(w.sampleTime);
    if (!Number.isFinite(sampleMs) || w.powerKw === null) return null;
    const r: AssetReport = { assetId: w.deviceId, sampleMs, arrivalMs, powerKw: w.powerKw, on: w.on };
    if (w.indoorC !== null) r.indoorC = w.indoorC;
    if (w.msSinceSwitch !== null) r.msSinceSwitch = w.msSinceSwitch;
    return r;
  }

  protected writeRequest(cmd: SetpointCommand): { path: string; body: HeatPumpModeRequest } {
    const mode = cmd.powerKw === null ? 'auto' : cmd.powerKw > 0 ? 'on' : 'off';
    return { path: `/v1/heatpumps/${encodeURIComponent(cmd.assetId)}/mode`, body: { mode, validUntil: new Date(cmd.expiresMs).toISOString() } };
  }
}
