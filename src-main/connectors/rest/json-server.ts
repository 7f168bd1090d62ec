/**
 * A minimal JSON HTTP(S) server shared by the trigger intake and the lab's simulated backends: a route
 * table (`GET /v1/devices/:id`), JSON bodies with a size limit, bearer tokens by name (compared in constant
 * time), and a `stop()` that also closes kept-alive and hanging connections, so tests and Ctrl-C never wait
 * for a client to go away.
 */
import { timingSafeEqual } from 'node:crypto';
import * as http from 'node:http';
import * as https from 'node:https';
import { AuthFailureLimiter } from './auth-failures.js';
import type { AddressInfo } from 'node:net';

export interface JsonRequest {
  method: string;
  path: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: unknown;
  remoteAddress: string;
  /** Name of the bearer token that authorised the request, or null where none is required. */
  tokenName: string | null;
  /** Resolves when the client goes away before the answer (long polls stop waiting). */
  closed: Promise<void>;
}

export interface JsonReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Handler = (req: JsonRequest) => JsonReply | Promise<JsonReply>;

export interface Route {
  method: string;
  /** Path pattern with `:name` segments. */
  pattern: string;
  handler: Handler;
  /** Open routes skip the bearer check (health probes). */
  open?: boolean;
}

export interface JsonServerOptions {
  name: string;
  host?: string;
  port?: number;
  /** token name → secret; empty or absent = no authentication. */
  tokens?: Record<string, string>;
  tls?: { cert: string | Buffer; key: string | Buffer; ca?: string | Buffer; requestClientCert?: boolean };
  maxBodyBytes?: number;
  /** Refuse (403) requests whose remote address this returns false for, before anything else. */
  allowRemote?: (remoteAddress: string) => boolean;
  /**
   * Failed bearer-token checks allowed per remote address and window; past them, every further failure
   * from that address is answered 429 for the rest of the window (default 10 a minute), so a misconfigured
   * or hostile client cannot flood the record. A valid token always passes (a stop trigger from the control
   * room must never wait for someone else's mistakes); guessing is made hopeless by the tokens' length.
   */
  authFailures?: { max: number; windowMs: number };
  /** Told of every request refused before it reached a route handler (address, token, body), for the record. */
  onRefused?: (info: { status: number; error: string; remoteAddress: string; method: string; path: string }) => void;
}

export interface RunningServer {
  name: string;
  url: string;
  port: number;
  host: string;
  stop(): Promise<void>;
}

export class HttpProblem extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

function matchPattern(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/').filter(Boolean);
  const s = path.split('/').filter(Boolean);
  if (p.length !== s.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i]!.startsWith(':')) params[p[i]!.slice(1)] = decodeURIComponent(s[i]!);
    else if (p[i] !== s[i]) return null;
  }
  return params;
}

function tokenNameOf(header: string | undefined, tokens: Record<string, string>): string | null {
  const m = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  if (!m) return null;
  const given = Buffer.from(m[1]!);
  for (const [name, secret] of Object.entries(tokens)) {
    const want = Buffer.from(secret);
    if (want.length === given.length && timingSafeEqual(want, given)) return name;
  }
  return null;
}

export async function startJsonServer(opts: JsonServerOptions, routes: Route[]): Promise<RunningServer> {
  const tokens = opts.tokens ?? {};
  const needAuth = Object.keys(tokens).length > 0;
  const maxBody = opts.maxBodyBytes ?? 256 * 1024;
  const limiter = new AuthFailureLimiter(opts.authFailures?.max, opts.authFailures?.windowMs);
  const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const send = (reply: JsonReply) => {
      if (res.headersSent || res.destroyed) return;
      const text = reply.body === undefined ? '' : JSON.stringify(reply.body);
      res.writeHead(reply.status, { ...(text ? { 'content-type': 'application/json' } : {}), ...reply.headers });
      res.end(text);
    };
    const remoteAddress = req.socket.remoteAddress ?? '';
    const url = new URL(req.url ?? '/', 'http://x');
    const refuse = (reply: JsonReply & { body: { error: string } }) => {
      opts.onRefused?.({ status: reply.status, error: reply.body.error, remoteAddress, method: req.method ?? '', path: url.pathname });
      send(reply);
    };
    if (opts.allowRemote && !opts.allowRemote(remoteAddress)) {
      refuse({ status: 403, body: { error: `${opts.name} accepts requests from this host only; ${remoteAddress} is not allowed` } });
      return;
    }
    let params: Record<string, string> | null = null;
    const route = routes.find((r) => r.method === req.method && (params = matchPattern(r.pattern, url.pathname)) !== null);
    if (!route || !params) {
      const pathKnown = routes.some((r) => matchPattern(r.pattern, url.pathname));
      send(pathKnown ? { status: 405, body: { error: `${req.method} is not allowed on ${url.pathname}` } } : { status: 404, body: { error: `no route ${req.method} ${url.pathname}` } });
      req.resume();
      return;
    }
    let tokenName: string | null = null;
    if (needAuth && !route.open) {
      tokenName = tokenNameOf(req.headers.authorization, tokens);
      if (tokenName === null) {
        // A valid token always passes; only failures from an address past the limit are answered 429.
        const waitS = limiter.lockedOutS(remoteAddress);
        if (waitS !== null) {
          refuse({ status: 429, body: { error: `too many requests with a wrong or missing token from ${remoteAddress}: wait ${waitS} s` }, headers: { 'retry-after': String(waitS) } });
          req.resume();
          return;
        }
        limiter.fail(remoteAddress);
        refuse({ status: 401, body: { error: req.headers.authorization ? 'the bearer token is not valid' : 'a bearer token is required (Authorization: Bearer <token>)' }, headers: { 'www-authenticate': 'Bearer' } });
        req.resume();
        return;
      }
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let aborted = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBody) {
        if (!aborted) refuse({ status: 413, body: { error: `request body larger than ${maxBody} bytes` } });
        aborted = true;
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => {
      if (aborted) return;
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown = undefined;
      if (text.length > 0) {
        try {
          body = JSON.parse(text);
        } catch (err) {
          refuse({ status: 400, body: { error: `the body is not valid JSON: ${err instanceof Error ? err.message : String(err)}` } });
          return;
        }
      }
      const closed = new Promise<void>((resolve) => res.on('close', () => resolve()));
      Promise.resolve()
        .then(() => route.handler({ method: req.method!, path: url.pathname, params: params!, query: url.searchParams, headers: req.headers, body, remoteAddress, tokenName, closed }))
        .then(send, (err: unknown) => {
          if (err instanceof HttpProblem) send({ status: err.status, body: { error: err.message, ...err.extra } });
          else send({ status: 500, body: { error: `internal error: ${err instanceof Error ? err.message : String(err)}` } });
        });
    });
  };
  // The request timeouts below are checked this often (Node's default, 30 s, would let a slow client stay 30 s).
  const timing = { connectionsCheckingInterval: 1000 };
  const server = opts.tls
    ? https.createServer({ ...timing, cert: opts.tls.cert, key: opts.tls.key, ca: opts.tls.ca, requestCert: opts.tls.requestClientCert ?? false, rejectUnauthorized: opts.tls.requestClientCert ?? false }, listener)
    : http.createServer(timing, listener);
  server.keepAliveTimeout = 5000;
  // A client that sends its request slowly (a byte a minute) does not hold a connection for long: the
  // headers within 10 s, the whole request within 20 s. Long polls are not affected (they wait to answer).
  server.headersTimeout = 10_000;
  server.requestTimeout = 20_000;
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    name: opts.name,
    url: `${opts.tls ? 'https' : 'http'}://${urlHost}:${port}`,
    port,
    host,
    stop: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** True for 127.0.0.0/8, ::1 and their IPv4-mapped forms. */
export function isLoopback(address: string): boolean {
  const a = address.startsWith('::ffff:') ? address.slice(7) : address;
  return a === '::1' || /^127\.\d+\.\d+\.\d+$/.test(a);
}
