/**
 * A small JSON-over-HTTP(S) client for the REST connectors: HTTPS with a configurable CA and an optional
 * client certificate, a bearer token, a hard deadline per attempt, and bounded retries with exponential
 * backoff and full jitter (delay = random · min(maxDelayMs, baseDelayMs · 2^(attempt−1))).
 *
 * What is retried: network errors, deadline exceeded, 5xx, 408 and 429. What is not: every other 4xx (the
 * server understood and said no; asking again changes nothing). Writes are safe to retry because every
 * setpoint carries an `Idempotency-Key` the servers dedupe on.
 *
 * `sleep` and `random` are injected so tests leap the backoff instead of waiting for it. The deadline is a
 * real timer: it is what guarantees that a silent server never hangs the caller.
 */
import * as http from 'node:http';
import * as https from 'node:https';

export interface RetryPolicy {
  /** Attempts in all (1 = no retry). */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 3, baseDelayMs: 200, maxDelayMs: 2000 };

export interface TlsOptions {
  /** PEM of the CA(s) that sign the server's certificate; without it the system's CAs are used. */
  ca?: string | Buffer;
  /** Client certificate and key (PEM), for servers that require mutual TLS. */
  cert?: string | Buffer;
  key?: string | Buffer;
}

export interface RetryInfo {
  client: string;
  method: string;
  path: string;
  attempt: number;
  delayMs: number;
  reason: string;
}

export interface RestClientOptions {
  /** A name for messages: "storage backend", "DSO platform". */
  name: string;
  baseUrl: string;
  bearerToken?: string;
  tls?: TlsOptions;
  timeoutMs: number;
  retry?: RetryPolicy;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  onRetry?: (info: RetryInfo) => void;
}

export interface RestResponse {
  status: number;
  body: unknown;
  headers: http.IncomingHttpHeaders;
}

export class RestError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly attempts: number,
    readonly status?: number,
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'RestError';
  }
}

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  query?: Record<string, string | number | undefined>;
  /** Per-attempt deadline, overriding the client's (long polls wait longer). */
  timeoutMs?: number;
  /** Override the retry policy for this request. */
  retry?: RetryPolicy;
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class RestClient {
  readonly name: string;
  private readonly base: URL;
  private readonly agent: http.Agent;
  private readonly opts: RestClientOptions;
  private readonly inFlight = new Set<http.ClientRequest>();
  private closed = false;

  constructor(opts: RestClientOptions) {
    this.opts = opts;
    this.name = opts.name;
    this.base = new URL(opts.baseUrl.endsWith('/') ? opts.baseUrl : opts.baseUrl + '/');
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:') throw new Error(`${opts.name}: baseUrl must be http(s), got ${opts.baseUrl}`);
    this.agent =
      this.base.protocol === 'https:'
        ? new https.Agent({ keepAlive: true, ca: opts.tls?.ca, cert: opts.tls?.cert, key: opts.tls?.key, rejectUnauthorized: true })
        : new http.Agent({ keepAlive: true });
  }

  /** Sends a request with retries; resolves with any 2xx answer, throws a RestError otherwise. */
  async request(method: string, path: string, ro: RequestOptions = {}): Promise<RestResponse> {
    const policy = ro.retry ?? this.opts.retry ?? DEFAULT_RETRY;
    const sleep = this.opts.sleep ?? realSleep;
    const random = this.opts.random ?? Math.random;
    let lastError: RestError | null = null;
    for (let attempt = 1; attempt <= Math.max(1, policy.maxAttempts); attempt++) {
      if (this.closed) throw new RestError(`${this.name}: client closed`, false, attempt - 1);
      try {
        const res = await this.once(method, path, ro);
        if (res.status >= 200 && res.status < 300) return res;
        const retryable = res.status >= 500 || res.status === 408 || res.status === 429;
        const detail = errorText(res.body);
        lastError = new RestError(`${this.name}: ${method} ${path} answered ${res.status}${detail ? `: ${detail}` : ''}`, retryable, attempt, res.status, res.body);
      } catch (err) {
        if (this.closed) throw new RestError(`${this.name}: client closed`, false, attempt);
        lastError = new RestError(`${this.name}: ${method} ${path} failed: ${err instanceof Error ? err.message : String(err)}`, true, attempt);
      }
      if (!lastError.retryable || attempt >= policy.maxAttempts) break;
      const delayMs = Math.round(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)));
      this.opts.onRetry?.({ client: this.name, method, path, attempt, delayMs, reason: lastError.message });
      await sleep(delayMs);
    }
    throw new RestError(`${lastError!.message} (after ${lastError!.attempts} attempt${lastError!.attempts === 1 ? '' : 's'})`, lastError!.retryable, lastError!.attempts, lastError!.status, lastError!.body);
  }

  private once(method: string, path: string, ro: RequestOptions): Promise<RestResponse> {
    const url = new URL(path.replace(/^\//, ''), this.base);
    for (const [k, v] of Object.entries(ro.query ?? {})) if (v !== undefined) url.searchParams.set(k, String(v));
    const payload = ro.body === undefined ? undefined : Buffer.from(JSON.stringify(ro.body));
    const headers: Record<string, string> = { accept: 'application/json', ...ro.headers };
    if (payload) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = String(payload.length);
    }
    if (this.opts.bearerToken) headers.authorization = `Bearer ${this.opts.bearerToken}`;
    const timeoutMs = ro.timeoutMs ?? this.opts.timeoutMs;
    const mod = url.protocol === 'https:' ? https : http;
    return new Promise<RestResponse>((resolve, reject) => {
      const req = mod.request(url, { method, headers, agent: this.agent });
      this.inFlight.add(req);
      const deadline = setTimeout(() => req.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      const done = () => {
        clearTimeout(deadline);
        this.inFlight.delete(req);
      };
      req.on('error', (err) => {
        done();
        reject(err);
      });
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', (err) => {
          done();
          reject(err);
        });
        res.on('end', () => {
          done();
          const text = Buffer.concat(chunks).toString('utf8');
          let body: unknown = null;
          if (text.length > 0) {
            try {
              body = JSON.parse(text);
            } catch {
              body = text;
            }
          }
          resolve({ status: res.statusCode ?? 0, body, headers: res.headers });
        });
      });
      req.end(payload);
    });
  }

  /** Aborts what is in flight and frees the sockets. */
  close(): void {
    this.closed = true;
    for (const req of this.inFlight) req.destroy(new Error('client closed'));
    this.inFlight.clear();
    this.agent.destroy();
  }
}

function errorText(body: unknown): string {
  if (body && typeof body === 'object' && 'error' in body && typeof (body as { error: unknown }).error === 'string') return (body as { error: string }).error;
  if (typeof body === 'string') return body.slice(0, 200);
  return '';
}
