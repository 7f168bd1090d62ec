/**
 * The lab's simulated vendor backends, following `resources/openapi/storage-backend.json` and
 * `heatpump-backend.json`: a sequence-numbered telemetry buffer served by long poll, and idempotent
 * setpoint writes (a repeated `Idempotency-Key` gets the first answer again and is never applied twice;
 * a key reused with a different body is refused with 422).
 */
import { createHash } from 'node:crypto';
import { HttpProblem, type JsonRequest, type JsonServerOptions, type Route } from '../connectors/rest/json-server.js';
import type { HeatPumpModeRequest, HeatPumpReportWire, SetpointAppliedWire, StorageReportWire, StorageSetpointRequest, TelemetryPage } from '../connectors/rest/wire.js';
import { LabService } from './lab-service.js';

/** What a lab device answers to a write. */
export type DeviceWriteOutcome =
  | { kind: 'applied'; readBack?: { powerKw: number; socPct?: number; sampleMs: number } }
  | { kind: 'rejected'; error: string }
  | { kind: 'no-answer' };

export interface LabDevices {
  has(deviceId: string): boolean;
  write(deviceId: string, powerKw: number | null, expiresMs: number): Promise<DeviceWriteOutcome>;
  nowMs(): number;
}

const MAX_BUFFER = 20_000;
const MAX_WAIT_MS = 60_000;

/** The telemetry buffer with long-poll waiters. */
export class TelemetryBuffer<R> {
  private items: Array<{ seq: number; report: R }> = [];
  private seq = 0;
  private waiters = new Set<() => void>();

  publish(report: R): void {
    this.items.push({ seq: ++this.seq, report });
    if (this.items.length > MAX_BUFFER) this.items.splice(0, this.items.length - MAX_BUFFER / 2);
    for (const w of this.waiters) w();
    this.waiters.clear();
  }

  reset(): void {
    this.items = [];
    this.seq = 0;
  }

  async page(bootId: string, after: number, waitMs: number, closed: Promise<void>): Promise<TelemetryPage<R>> {
    const newer = () => this.items.filter((i) => i.seq > after);
    let found = newer();
    if (found.length === 0 && waitMs > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(waitMs, MAX_WAIT_MS));
        const wake = () => {
          clearTimeout(timer);
          resolve();
        };
        this.waiters.add(wake);
        void closed.then(wake);
      });
      found = newer();
    }
    return { bootId, seq: found.length > 0 ? found[found.length - 1]!.seq : Math.max(after > this.seq ? 0 : after, 0), reports: found.map((i) => i.report) };
  }
}

function readCursor(req: JsonRequest): { after: number; waitMs: number } {
  const after = Number(req.query.get('after') ?? '0');
  const waitMs = Number(req.query.get('waitMs') ?? '0');
  if (!Number.isInteger(after) || after < 0) throw new HttpProblem(400, `after must be a non-negative integer, got ${JSON.stringify(req.query.get('after'))}`);
  if (!Number.isFinite(waitMs) || waitMs < 0) throw new HttpProblem(400, `waitMs must be a non-negative number, got ${JSON.stringify(req.query.get('waitMs'))}`);
  return { after, waitMs };
}

/** Idempotent writes: the first request with a key is executed, every later one gets its answer. */
export class IdempotencyStore {
  private readonly seen = new Map<string, { bodyHash: string; answer: Promise<{ status: number; body: unknown }> }>();
  applied = 0;

  run(key: string | undefined, body: unknown, exec: () => Promise<{ status: number; body: unknown }>): Promise<{ status: number; body: unknown }> {
    if (!key) return Promise.resolve({ status: 400, body: { error: 'an Idempotency-Key header is required on every setpoint' } });
    const bodyHash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
    const prior = this.seen.get(key);
    if (prior) {
      if (prior.bodyHash !== bodyHash) return Promise.resolve({ status: 422, body: { error: `Idempotency-Key ${key} was already used with a different request`, commandId: key } });
      return prior.answer;
    }
    const answer = exec().then((a) => {
      // Only a final answer is remembered: after a 504 the same key may be tried again.
      if (a.status >= 500) this.seen.delete(key);
      return a;
    });
    this.seen.set(key, { bodyHash, answer });
    if (this.seen.size > 50_000) this.seen.delete(this.seen.keys().next().value!);
    return answer;
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

function validUntilMs(v: unknown): number {
  const ms = typeof v === 'string' ? Date.parse(v) : NaN;
  if (!Number.isFinite(ms)) throw new HttpProblem(400, `validUntil must be an ISO 8601 date-time, got ${JSON.stringify(v)}`);
  return ms;
}

async function applyWrite(devices: LabDevices, idem: IdempotencyStore, key: string, deviceId: string, powerKw: number | null, expiresMs: number) {
  // A release (null) needs no validity: going back to the device's own mode is always allowed.
  if (powerKw !== null && expiresMs <= devices.nowMs()) return { status: 422, body: { error: `setpoint expired at ${iso(expiresMs)} before it arrived`, deviceId, commandId: key } };
  const outcome = await devices.write(deviceId, powerKw, expiresMs);
  if (outcome.kind === 'no-answer') return { status: 504, body: { error: `${deviceId} did not answer`, deviceId, commandId: key } };
  if (outcome.kind === 'rejected') return { status: 422, body: { error: outcome.error, deviceId, commandId: key } };
  idem.applied++;
  const answer: SetpointAppliedWire = { commandId: key, deviceId, status: 'applied', appliedAt: iso(devices.nowMs()) };
  if (outcome.readBack) {
    answer.readBack = { powerKw: outcome.readBack.powerKw, sampleTime: iso(outcome.readBack.sampleMs) };
    if (outcome.readBack.socPct !== undefined) answer.readBack.socPct = outcome.readBack.socPct;
  }
  return { status: 200, body: answer };
}

export interface VendorServer<R> {
  service: LabService;
  telemetry: TelemetryBuffer<R>;
  idempotency: IdempotencyStore;
}

/**
 * A vendor backend: health and long-polled telemetry (the same on every vendor here), plus the one write
 * route that differs, built with the backend's idempotency store.
 */
function vendorBackendServer<R>(role: string, opts: JsonServerOptions, writeRoute: (idempotency: IdempotencyStore) => Route): VendorServer<R> {
  const telemetry = new TelemetryBuffer<R>();
  const idempotency = new IdempotencyStore();
  const service: LabService = new LabService(role, opts, [
    { method: 'GET', pattern: '/v1/health', open: true, handler: () => ({ status: 200, body: { status: 'ok', bootId: service.bootId } }) },
    {
      method: 'GET',
      pattern: '/v1/telemetry',
      handler: async (req) => {
        const { after, waitMs } = readCursor(req);
        return { status: 200, body: await telemetry.page(service.bootId, after, waitMs, req.closed) };
      },
    },
    writeRoute(idempotency),
  ]);
  return { service, telemetry, idempotency };
}

export function storageBackendServer(role: string, opts: JsonServerOptions, devices: LabDevices): VendorServer<StorageReportWire> {
  return vendorBackendServer<StorageReportWire>(role, opts, (idempotency) => ({
    method: 'PUT',
    pattern: '/v1/devices/:deviceId/setpoint',
    handler: async (req) => {
      const id = req.params.deviceId!;
      if (!devices.has(id)) throw new HttpProblem(404, `no device ${id}`, { deviceId: id });
      const b = req.body as Partial<StorageSetpointRequest> | undefined;
      if (!b || typeof b !== 'object' || !('powerKw' in b) || (b.powerKw !== null && (typeof b.powerKw !== 'number' || !Number.isFinite(b.powerKw)))) {
        throw new HttpProblem(400, 'body must be { powerKw: number | null, validUntil: date-time }', { deviceId: id });
      }
      const expiresMs = validUntilMs(b.validUntil);
      const key = req.headers['idempotency-key'] as string | undefined;
      return idempotency.run(key, { id, b }, () => applyWrite(devices, idempotency, key!, id, b.powerKw ?? null, expiresMs));
    },
  }));
}

export function heatPumpBackendServer(role: string, opts: JsonServerOptions, devices: LabDevices & { ratedKw(id: string): number }): VendorServer<HeatPumpReportWire> {
  return vendorBackendServer<HeatPumpReportWire>(role, opts, (idempotency) => ({
    method: 'PUT',
    pattern: '/v1/heatpumps/:deviceId/mode',
    handler: async (req) => {
      const id = req.params.deviceId!;
      if (!devices.has(id)) throw new HttpProblem(404, `no heat pump ${id}`, { deviceId: id });
      const b = req.body as Partial<HeatPumpModeRequest> | undefined;
      if (!b || (b.mode !== 'on' && b.mode !== 'off' && b.mode !== 'auto')) throw new HttpProblem(400, 'body must be { mode: "on" | "off" | "auto", validUntil: date-time }', { deviceId: id });
      const expiresMs = validUntilMs(b.validUntil);
      const powerKw = b.mode === 'auto' ? null : b.mode === 'on' ? devices.ratedKw(id) : 0;
      const key = req.headers['idempotency-key'] as string | undefined;
      return idempotency.run(key, { id, b }, () => applyWrite(devices, idempotency, key!, id, powerKw, expiresMs));
    },
  }));
}
