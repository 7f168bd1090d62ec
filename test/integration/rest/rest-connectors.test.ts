/**
 * The REST connectors against the lab's servers over real loopback HTTP(S): answers follow the OpenAPI
 * documents; 500s and timeouts get bounded retries and an event, never a hang; a retried setpoint is applied
 * once; HTTPS with our own CA and a client certificate.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorContext, ConnectorEvent } from '../../../src-main/connectors/rest/connector-context.js';
import { DsoBreakerMeter, DsoSetpointForwarder } from '../../../src-main/connectors/rest/dso-platform.js';
import { RestClient, RestError } from '../../../src-main/connectors/rest/http-client.js';
import { startJsonServer } from '../../../src-main/connectors/rest/json-server.js';
import { StorageBackendConnector } from '../../../src-main/connectors/rest/vendor-backends.js';
import { VirtualClock } from '../../../src-main/engine/clock.js';
import type { BreakerSample, SetpointAck } from '../../../src-main/engine/model.js';
import { dsoPlatformServer } from '../../../src-main/lab/dso-weather-servers.js';
import { storageBackendServer, type DeviceWriteOutcome, type LabDevices } from '../../../src-main/lab/vendor-servers.js';
import { requestSchema, responseSchema, validate } from './openapi-validate.js';

const T0 = Date.parse('2026-06-21T09:00:00Z');
const doc = (name: string) => JSON.parse(readFileSync(resolve('resources/openapi', `${name}.json`), 'utf8')) as Record<string, unknown>;

/** A device table that applies writes at once (or as told), counting them. */
function fakeDevices(ids: string[], behave: () => DeviceWriteOutcome | Promise<DeviceWriteOutcome> = () => ({ kind: 'applied', readBack: { powerKw: -50, socPct: 55, sampleMs: T0 } })) {
  const applied: Array<{ id: string; powerKw: number | null }> = [];
  const devices: LabDevices & { ratedKw(id: string): number; schedule(at: number, fn: () => void): void } = {
    has: (id) => ids.includes(id),
    nowMs: () => T0,
    write: async (id, powerKw) => {
      const out = await behave();
      if (out.kind === 'applied') applied.push({ id, powerKw });
      return out;
    },
    ratedKw: () => 300,
    schedule: () => undefined,
  };
  return { devices, applied };
}

function context(events: ConnectorEvent[], sleeps: number[] = []): ConnectorContext {
  return { clock: new VirtualClock(T0), speed: 1, sessionId: 'test', onEvent: (e) => events.push(e), sleep: async (ms) => void sleeps.push(ms), random: () => 0.5 };
}

const waitFor = async (cond: () => boolean, what: string, timeoutMs = 5000) => {
  const t = Date.now();
  while (!cond()) {
    if (Date.now() - t > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe('answers follow the OpenAPI documents', () => {
  it('storage backend: telemetry page, applied setpoint, problems', async () => {
    const { devices } = fakeDevices(['hs-01']);
    const server = storageBackendServer('storage', { name: 'storage', tokens: { t: 'tok' } }, devices);
    await server.service.start();
    const d = doc('storage-backend');
    const client = new RestClient({ name: 'c', baseUrl: server.service.url, bearerToken: 'tok', timeoutMs: 2000, retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 } });
    try {
      server.telemetry.publish({ deviceId: 'hs-01', sampleTime: new Date(T0).toISOString(), powerKw: 1.5, socPct: 40 });
      const page = await client.request('GET', '/v1/telemetry', { query: { after: 0, waitMs: 0 } });
      expect(validate(d, responseSchema(d, '/v1/telemetry', 'get', 200), page.body)).toEqual([]);
      const body = { powerKw: -2, validUntil: new Date(T0 + 60_000).toISOString() };
      expect(validate(d, requestSchema(d, '/v1/devices/{deviceId}/setpoint', 'put'), body)).toEqual([]);
      const ok = await client.request('PUT', '/v1/devices/hs-01/setpoint', { body, headers: { 'idempotency-key': 'k1' } });
      expect(validate(d, responseSchema(d, '/v1/devices/{deviceId}/setpoint', 'put', 200), ok.body)).toEqual([]);
      const missing = (await client.request('PUT', '/v1/devices/hs-99/setpoint', { body, headers: { 'idempotency-key': 'k2' } }).catch((e: RestError) => e)) as RestError;
      expect(missing.status).toBe(404);
      expect(validate(d, responseSchema(d, '/v1/devices/{deviceId}/setpoint', 'put', 404), missing.body)).toEqual([]);
      const noKey = (await client.request('PUT', '/v1/devices/hs-01/setpoint', { body }).catch((e: RestError) => e)) as RestError;
      expect(noKey.status).toBe(400);
    } finally {
      client.close();
      await server.service.stop();
    }
  });

  it('DSO platform: 3-phase measurement, setpoint forwarding in % and a schedule', async () => {
    const { devices, applied } = fakeDevices(['bess']);
    const dso = dsoPlatformServer('dso', { name: 'dso', tokens: { t: 'tok' } }, 'm1', devices);
    await dso.service.start();
    const d = doc('dso-platform');
    const events: ConnectorEvent[] = [];
    const ctx = context(events);
    const meter = new DsoBreakerMeter(ctx, { client: { name: 'dso', baseUrl: dso.service.url, bearerToken: 'tok', timeoutMs: 2000 }, meterId: 'm1', breakerPeriodS: 0.5 });
    const samples: BreakerSample[] = [];
    try {
      dso.publish({ sampleMs: T0 + 10_000, powerKw: -151.25 });
      const raw = new RestClient({ name: 'raw', baseUrl: dso.service.url, bearerToken: 'tok', timeoutMs: 2000 });
      const m = await raw.request('GET', '/v1/meters/m1/measurement', { query: { after: 0 } });
      raw.close();
      expect(validate(d, responseSchema(d, '/v1/meters/{meterId}/measurement', 'get', 200), m.body)).toEqual([]);
      meter.subscribe((s) => samples.push(s));
      await waitFor(() => samples.length === 1, 'the first sample');
      // P = Σ U·I·cos φ recovers the active power the sensor measured (export: negative).
      expect(samples[0]!.powerKw).toBeCloseTo(-151.25, 6);
      dso.publish({ sampleMs: T0 + 20_000, powerKw: NaN });
      await waitFor(() => samples.length === 2, 'the NaN sample');
      expect(samples[1]!.powerKw).toBeNaN();

      const fwd = new DsoSetpointForwarder(ctx, { client: { name: 'dso-fwd', baseUrl: dso.service.url, bearerToken: 'tok', timeoutMs: 2000 }, controllers: { bess: { unit: '%', ratedKw: 300 } } });
      expect(fwd.encode('bess', -150)).toEqual({ value: -50, unit: '%' });
      const acks: SetpointAck[] = [];
      fwd.write({ commandId: 'c1', assetId: 'bess', issuedMs: T0, powerKw: -150, expiresMs: T0 + 60_000, runId: null }, (a) => acks.push(a));
      await waitFor(() => acks.length === 1, 'the forwarded setpoint ack');
      expect(acks[0]!.ok).toBe(true);
      expect(applied).toEqual([{ id: 'bess', powerKw: -150 }]);
      const sched = await fwd.sendSchedule('bess', 'c2', [{ fromMs: T0 + 3_600_000, toMs: T0 + 7_200_000, powerKw: 100 }]);
      expect(validate(d, responseSchema(d, '/v1/controllers/{controllerId}/setpoints', 'post', 200), sched)).toEqual([]);
      expect(sched.status).toBe('scheduled');
      const soc = await fwd.sendSocTarget('bess', 'c3', 80, T0 + 60_000).catch((e: RestError) => e);
      expect((soc as RestError).status).toBe(422);
      fwd.close();
    } finally {
      meter.close();
      await dso.service.stop();
    }
  });
});

describe('faults on the wire: bounded retries, an event, never a hang', () => {
  it('a backend answering 500 gets exactly maxAttempts tries with exponential backoff, then no ack and an event', async () => {
    const { devices, applied } = fakeDevices(['bess']);
    const server = storageBackendServer('bess', { name: 'bess' }, devices);
    await server.service.start();
    server.service.faults.http500 = true;
    const events: ConnectorEvent[] = [];
    const sleeps: number[] = [];
    const c = new StorageBackendConnector(context(events, sleeps), { client: { name: 'bess', baseUrl: server.service.url, timeoutMs: 2000, retry: { maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 300 } }, assetIds: ['bess'] });
    const acks: SetpointAck[] = [];
    try {
      c.write({ commandId: 'c1', assetId: 'bess', issuedMs: T0, powerKw: 10, expiresMs: T0 + 60_000, runId: null }, (a) => acks.push(a));
      await waitFor(() => events.some((e) => e.type === 'connector-no-ack'), 'the no-ack event');
      // random() = 0.5: half of min(300, 100·2^(n−1)) → 50, 100, 150.
      expect(sleeps).toEqual([50, 100, 150]);
      expect(events.filter((e) => e.type === 'connector-retry')).toHaveLength(3);
      expect(events.find((e) => e.type === 'connector-no-ack')!.message).toMatch(/answered 500.*after 4 attempts/);
      expect(acks).toEqual([]);
      expect(applied).toEqual([]);
    } finally {
      c.close();
      await server.service.stop();
    }
  });

  it('a backend that never answers is given up after the deadline × attempts, with an event', async () => {
    const { devices } = fakeDevices(['bess']);
    const server = storageBackendServer('bess', { name: 'bess' }, devices);
    await server.service.start();
    server.service.faults.hang = true;
    const events: ConnectorEvent[] = [];
    const c = new StorageBackendConnector(context(events), { client: { name: 'bess', baseUrl: server.service.url, timeoutMs: 150, retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 10 } }, assetIds: ['bess'] });
    try {
      const t = Date.now();
      c.write({ commandId: 'c1', assetId: 'bess', issuedMs: T0, powerKw: 10, expiresMs: T0 + 60_000, runId: null }, () => {
        throw new Error('a hung backend must not produce an acknowledgement');
      });
      await waitFor(() => events.some((e) => e.type === 'connector-no-ack'), 'the no-ack event');
      expect(Date.now() - t).toBeLessThan(3000);
      expect(events.find((e) => e.type === 'connector-no-ack')!.message).toMatch(/no answer within 150 ms.*after 2 attempts/);
    } finally {
      c.close();
      await server.service.stop();
    }
  });

  it('a rejected write is an ok:false acknowledgement with the device\'s reason', async () => {
    const { devices } = fakeDevices(['bess'], () => ({ kind: 'rejected', error: 'battery in local mode' }));
    const server = storageBackendServer('bess', { name: 'bess' }, devices);
    await server.service.start();
    const events: ConnectorEvent[] = [];
    const c = new StorageBackendConnector(context(events), { client: { name: 'bess', baseUrl: server.service.url, timeoutMs: 2000 }, assetIds: ['bess'] });
    const acks: SetpointAck[] = [];
    try {
      c.write({ commandId: 'c1', assetId: 'bess', issuedMs: T0, powerKw: 10, expiresMs: T0 + 60_000, runId: null }, (a) => acks.push(a));
      await waitFor(() => acks.length === 1, 'the rejection');
      expect(acks[0]).toMatchObject({ ok: false });
      expect(acks[0]!.error).toMatch(/battery in local mode/);
      expect(events.some((e) => e.type === 'connector-rejected')).toBe(true);
    } finally {
      c.close();
      await server.service.stop();
    }
  });

  it('a retry after a lost answer is not applied twice (Idempotency-Key)', async () => {
    // The device answers after 300 ms; the client gives up each attempt after 200 ms and retries with the
    // same key: the server joins the retry to the first execution.
    const { devices, applied } = fakeDevices(['bess'], () => new Promise((r) => setTimeout(() => r({ kind: 'applied' }), 300)));
    const server = storageBackendServer('bess', { name: 'bess' }, devices);
    await server.service.start();
    const events: ConnectorEvent[] = [];
    const c = new StorageBackendConnector(context(events), { client: { name: 'bess', baseUrl: server.service.url, timeoutMs: 200, retry: { maxAttempts: 3, baseDelayMs: 0, maxDelayMs: 0 } }, assetIds: ['bess'] });
    const acks: SetpointAck[] = [];
    try {
      c.write({ commandId: 'c1', assetId: 'bess', issuedMs: T0, powerKw: 10, expiresMs: T0 + 60_000, runId: null }, (a) => acks.push(a));
      await waitFor(() => acks.length === 1, 'the acknowledgement');
      expect(acks[0]!.ok).toBe(true);
      expect(events.filter((e) => e.type === 'connector-retry').length).toBeGreaterThanOrEqual(1);
      expect(applied).toHaveLength(1);
      expect(server.idempotency.applied).toBe(1);
    } finally {
      c.close();
      await server.service.stop();
    }
  });

  it('a restarted backend is noticed by its boot id and telemetry resumes', async () => {
    const { devices } = fakeDevices(['bess']);
    const server = storageBackendServer('bess', { name: 'bess' }, devices);
    await server.service.start();
    const events: ConnectorEvent[] = [];
    const ctx: ConnectorContext = { ...context(events), sleep: (ms) => new Promise((r) => setTimeout(r, Math.min(ms, 20))) };
    const c = new StorageBackendConnector(ctx, { client: { name: 'bess', baseUrl: server.service.url, timeoutMs: 1000 }, assetIds: ['bess'], longPollS: 0.2 });
    const seen: number[] = [];
    c.subscribe((r) => seen.push(r.powerKw));
    try {
      server.telemetry.publish({ deviceId: 'bess', sampleTime: new Date(T0).toISOString(), powerKw: 1, socPct: 50 });
      await waitFor(() => seen.length === 1, 'the first report');
      await server.service.restart(() => server.telemetry.reset());
      server.telemetry.publish({ deviceId: 'bess', sampleTime: new Date(T0 + 1000).toISOString(), powerKw: 2, socPct: 50 });
      await waitFor(() => seen.includes(2), 'the report after the restart');
      expect(events.some((e) => e.type === 'server-restart-detected' || e.type === 'connector-error')).toBe(true);
    } finally {
      c.close();
      await server.service.stop();
    }
  });
});

describe('HTTPS with our own CA and a client certificate', () => {
  let dir: string;
  const pem: Record<string, string> = {};
  let haveOpenssl = true;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'lfc-tls-'));
    const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
    try {
      ossl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=LFC test CA');
      for (const who of ['server', 'client']) {
        ossl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=${who === 'server' ? '127.0.0.1' : 'lfc-ems'}`);
        writeFileSync(join(dir, `${who}.ext`), who === 'server' ? 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' : 'extendedKeyUsage=clientAuth\n');
        ossl('x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${who}.pem`, '-days', '2', '-extfile', `${who}.ext`);
      }
      for (const f of ['ca.pem', 'server.pem', 'server.key', 'client.pem', 'client.key']) pem[f] = readFileSync(join(dir, f), 'utf8');
    } catch {
      haveOpenssl = false;
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('connects with the CA and the client certificate; refuses without either', async (t) => {
    if (!haveOpenssl) t.skip();
    const server = await startJsonServer({ name: 'tls', tokens: { t: 'tok' }, tls: { cert: pem['server.pem']!, key: pem['server.key']!, ca: pem['ca.pem']!, requestClientCert: true } }, [
      { method: 'GET', pattern: '/v1/health', handler: () => ({ status: 200, body: { status: 'ok' } }) },
    ]);
    const once = { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 };
    try {
      expect(server.url).toMatch(/^https:/);
      const good = new RestClient({ name: 'good', baseUrl: server.url, bearerToken: 'tok', timeoutMs: 3000, retry: once, tls: { ca: pem['ca.pem']!, cert: pem['client.pem']!, key: pem['client.key']! } });
      expect((await good.request('GET', '/v1/health')).body).toEqual({ status: 'ok' });
      good.close();
      const noCert = new RestClient({ name: 'no-cert', baseUrl: server.url, bearerToken: 'tok', timeoutMs: 3000, retry: once, tls: { ca: pem['ca.pem']! } });
      await expect(noCert.request('GET', '/v1/health')).rejects.toBeInstanceOf(RestError);
      noCert.close();
      const noCa = new RestClient({ name: 'no-ca', baseUrl: server.url, bearerToken: 'tok', timeoutMs: 3000, retry: once, tls: { cert: pem['client.pem']!, key: pem['client.key']! } });
      await expect(noCa.request('GET', '/v1/health')).rejects.toThrow(/self[- ]signed|unable to (verify|get)/i);
      noCa.close();
    } finally {
      await server.stop();
    }
  });
});
