/**
 * The console's "Test" of a REST connection (the DSO platform's breaker meter, a vendor backend, the weather
 * service): reach (`GET /v1/health`, which needs no token), then one authenticated read of what the EMS
 * will poll, with its round trip. A 401/403 is a failed login, not a dead server; nothing is ever written.
 */
import type { ConnectionTestResult, ConnectionTestStep } from '../../shared/ipc-contract.js';
import { RestClient, RestError, type TlsOptions } from './http-client.js';

export interface RestProbeOptions {
  name: string;
  baseUrl: string;
  bearerToken?: string;
  tls?: TlsOptions;
  timeoutMs: number;
  /** The authenticated read: path, query, and what its answer says (for the message). */
  read: { path: string; query?: Record<string, string | number>; describe: (status: number, body: unknown) => string };
}

export async function probeRest(o: RestProbeOptions): Promise<Omit<ConnectionTestResult, 'id'>> {
  const steps: ConnectionTestStep[] = [];
  const once = { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 };
  const client = new RestClient({ name: o.name, baseUrl: o.baseUrl, timeoutMs: o.timeoutMs, retry: once, ...(o.bearerToken ? { bearerToken: o.bearerToken } : {}), ...(o.tls ? { tls: o.tls } : {}) });
  let latencyMs: number | null = null;
  const fail = (step: ConnectionTestStep['step'], detail: string) => {
    steps.push({ step, ok: false, detail });
    return { ok: false, message: `${o.baseUrl}: ${detail}`, steps, latencyMs, opcua: null };
  };
  try {
    const t0 = performance.now();
    try {
      const h = await client.request('GET', '/v1/health');
      steps.push({ step: 'reach', ok: true, detail: `health ${h.status} in ${Math.round(performance.now() - t0)} ms` });
    } catch (err) {
      // A server without /v1/health that answers at all is reached: its answer decides the rest.
      if (!(err instanceof RestError && err.status !== undefined)) return fail('reach', `cannot reach the server: ${(err as Error).message}`);
      steps.push({ step: 'reach', ok: true, detail: `answered ${err.status} (no health route)` });
    }
    const r0 = performance.now();
    try {
      const res = await client.request('GET', o.read.path, o.read.query ? { query: o.read.query } : {});
      latencyMs = Math.round((performance.now() - r0) * 10) / 10;
      steps.push({ step: 'login', ok: true, detail: o.bearerToken ? 'bearer token accepted' : 'no token configured' });
      const what = o.read.describe(res.status, res.body);
      steps.push({ step: 'read', ok: true, detail: `${what} in ${latencyMs} ms` });
      return { ok: true, message: `${o.baseUrl}: reached, ${what} in ${latencyMs} ms`, steps, latencyMs, opcua: null };
    } catch (err) {
      latencyMs = Math.round((performance.now() - r0) * 10) / 10;
      if (err instanceof RestError && (err.status === 401 || err.status === 403)) return fail('login', `the token was refused (${err.status})`);
      return fail('read', (err as Error).message);
    }
  } finally {
    client.close();
  }
}
