/**
 * Serve mode's server: the built console (static files) and the IPC contract over one WebSocket, on
 * 127.0.0.1 unless told otherwise. No Electron: the same core services (`LfcCore`) answer the same channels.
 *
 * ## Authentication
 * One secret token (random per start, or `LFC_TOKEN`). Two things are protected, differently:
 *
 * **The WebSocket (it operates the plant)** is opened only with one of
 * - a *session secret* offered as the subprotocol `lfc.s.<secret>` next to `lfc.v1` (the server answers
 *   with `lfc.v1`). A browser gets its secret from the login: `…/login?token=<token>` redirects to
 *   `/#s=<secret>`, a fresh random value per login (never the token; the last {@link MAX_SESSIONS} logins
 *   stay valid until the server stops). The page moves it into `sessionStorage` and removes it from the
 *   address bar (src-renderer/src/api/index.ts). sessionStorage belongs to one origin (so one port) and
 *   one tab: a reload keeps it, a new tab needs the login URL again. A fragment is never sent to any
 *   server and never appears in a Referer.
 * - `Authorization: Bearer <token>` (scripts, tests, the benchmark; a browser cannot set this header on
 *   a WebSocket).
 * A client that offers subprotocols must offer `lfc.v1` (400 otherwise). Secrets and cookie live as long
 * as the server: after a restart a tab's link stays "lost" until the new login URL is opened.
 * A cookie never authorises the WebSocket. Browsers do not separate cookies by port and SameSite counts
 * every port of 127.0.0.1 as the same site, so any other server on this machine that the operator's
 * browser visits receives our cookie, and its script could then forge `Origin` from a non-browser
 * client. The `Origin` check stays as a second fence: a request with an `Origin` must come from this
 * server's own origin (http://<host>:<port> for 127.0.0.1, localhost or the `--host` name).
 *
 * **The page and its assets** are served to a request with the session cookie the login sets (HttpOnly,
 * SameSite=Strict, its own random value, unrelated to the session secrets) or with the bearer token. The
 * files are not secret (they are the repository's renderer); the cookie only keeps a browser that never
 * logged in from loading a console that could not connect, and tells it how to log in instead. A new tab
 * that has the cookie but no session secret gets the page, which asks for the login URL.
 *
 * The token, the cookie and the session secrets are compared in constant time; the token leaves the
 * address bar by the redirect, and `Referrer-Policy: no-referrer` keeps it out of any Referer.
 *
 * ## Wire format
 * Client → server: `{ "id": 1, "channel": "core:getState", "args": [] }`.
 * Server → client: `{ "id": 1, "result": { "ok": true, "value": … } }` or, pushed,
 * `{ "event": "core:onLive", "payload": … }`. A frame that is not JSON or names no known channel is
 * answered with a BAD_REQUEST result (or dropped when it has no id).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { Duplex } from 'node:stream';

import { WebSocketServer } from 'ws';
import type { WebSocket } from 'ws';

import { createCoreHandlers, invokeChannel, isInvokeChannel } from '../core/handlers';
import type { HostInfo } from '../core/handlers';
import type { LfcCore } from '../core/lfc-core';
import { contentSecurityPolicy } from '../main/security';
import { AuthFailureLimiter } from '../connectors/rest/auth-failures';
import type { IpcResult } from '../shared/ipc-contract';

export const SESSION_COOKIE = 'lfc_session';
export const WS_PATH = '/ws';
/** The subprotocol of the wire format below; the server always answers with it. */
export const WS_PROTOCOL = 'lfc.v1';
/** Prefix of the subprotocol that carries a browser's session secret: `lfc.s.<secret>`. */
export const WS_SESSION_PROTOCOL_PREFIX = 'lfc.s.';
/** The login redirects to `/#s=<secret>`; the page reads it from there. */
export const SESSION_FRAGMENT_KEY = 's';
/** Session secrets kept at once: a login beyond this invalidates the oldest (that tab logs in again). */
export const MAX_SESSIONS = 64;
/** Live frames are skipped for a client whose socket has this much unsent data (a stalled tab). */
const MAX_BUFFERED_BYTES = 4 * 1024 * 1024;

export interface ServeOptions {
  core: LfcCore;
  host: HostInfo;
  /** The built renderer (index.html and assets/). */
  rendererDirPath: string;
  token: string;
  /** Interface to bind; default 127.0.0.1. */
  bindHost?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Wrong tokens per address and minute before it is locked out for the rest of the minute (default 10). */
  maxAuthFailuresPerMinute?: number;
  /** More read-only pages behind the same login (the fleet's central history, `fleet-routes.ts`): true when handled. */
  extraRoutes?: (url: URL, req: IncomingMessage, res: ServerResponse) => boolean;
}

export interface RunningServer {
  port: number;
  /** http://host:port/ */
  url: string;
  /** The URL to open in a browser: it carries the token once. */
  loginUrl: string;
  close(): Promise<void>;
}

export function newToken(): string {
  return randomBytes(24).toString('base64url');
}

function sameSecret(a: string | null | undefined, b: string): boolean {
  if (typeof a !== 'string') return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function parseCookies(header: string | undefined): Map<string, string> {
  const jar = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0) jar.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  return jar;
}

/** The subprotocols a WebSocket upgrade offers (`Sec-WebSocket-Protocol: a, b`), in order. */
export function offeredProtocols(req: IncomingMessage): string[] {
  const header = req.headers['sec-websocket-protocol'];
  return (header ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p !== '');
}

function bearer(req: IncomingMessage): string | null {
  const h = req.headers.authorization;
  return h && h.startsWith('Bearer ') ? h.slice(7).trim() : null;
}

/** Origins a browser may open the WebSocket from: this server's own, under the names it answers to. */
export function allowedOrigins(bindHost: string, port: number): Set<string> {
  const names = new Set([bindHost, '127.0.0.1', 'localhost']);
  if (bindHost === '0.0.0.0' || bindHost === '::') names.delete(bindHost);
  return new Set([...names].map((n) => `http://${n.includes(':') ? `[${n}]` : n}:${port}`));
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
};

export async function startServer(options: ServeOptions): Promise<RunningServer> {
  const bindHost = options.bindHost ?? '127.0.0.1';
  /** Lets the page and its assets load (see the header); never consulted for the WebSocket. */
  const pageCookieSecret = randomBytes(24).toString('base64url');
  /** One per login, oldest first; each authorises WebSocket upgrades that offer it. */
  const sessionSecrets: string[] = [];
  const rendererDir = resolve(options.rendererDirPath);
  const handlers = createCoreHandlers(options.core, options.host);
  const csp = contentSecurityPolicy({ dev: false });
  let port = 0;

  const mayLoadPage = (req: IncomingMessage): boolean =>
    sameSecret(parseCookies(req.headers.cookie).get(SESSION_COOKIE), pageCookieSecret) || sameSecret(bearer(req), options.token);

  /** Whether `offered` is a live session secret; compares with every one, so the time taken says nothing. */
  const isSessionSecret = (offered: string): boolean => {
    let found = false;
    for (const secret of sessionSecrets) found = sameSecret(offered, secret) || found;
    return found;
  };

  const send = (res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void => {
    res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
    res.end(body);
  };

  // Wrong tokens per address and minute, at /login and on WebSocket upgrades: past ten, further wrong ones
  // from that address are answered 429 for the rest of the minute (a tab of an earlier start that keeps
  // reconnecting floods nothing). A valid token or session always passes: the token's 192 bits make
  // guessing hopeless, and a lockout must not shut the operator out.
  const limiter = new AuthFailureLimiter(options.maxAuthFailuresPerMinute ?? 10, 60_000);

  const server = createServer({ connectionsCheckingInterval: 1000 }, (req, res) => {
    res.setHeader('Content-Security-Policy', csp);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'only GET');
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/login') {
      const address = req.socket.remoteAddress ?? '';
      if (!sameSecret(url.searchParams.get('token'), options.token)) {
        const waitS = limiter.lockedOutS(address);
        if (waitS !== null) {
          res.setHeader('Retry-After', String(waitS));
          return send(res, 429, `too many wrong tokens from ${address}: wait ${waitS} s`);
        }
        limiter.fail(address);
        return send(res, 401, 'wrong or missing token: open the URL that `npm run serve` printed');
      }
      const sessionSecret = randomBytes(24).toString('base64url');
      sessionSecrets.push(sessionSecret);
      if (sessionSecrets.length > MAX_SESSIONS) sessionSecrets.shift();
      res.writeHead(303, {
        Location: `/#${SESSION_FRAGMENT_KEY}=${sessionSecret}`,
        'Set-Cookie': `${SESSION_COOKIE}=${pageCookieSecret}; HttpOnly; SameSite=Strict; Path=/`,
        'Cache-Control': 'no-store',
      });
      return res.end();
    }
    // The app's icon is public (a browser asks for it before any login, and shows it on the tab).
    if (url.pathname === '/favicon.ico') {
      const icon = join(options.host.resourcesRootPath, 'resources', 'icons', '256x256.png');
      res.writeHead(200, { 'Content-Type': 'image/png', 'Cache-Control': 'max-age=86400' });
      createReadStream(icon).on('error', () => res.destroy()).pipe(res);
      return;
    }
    if (!mayLoadPage(req)) return send(res, 401, 'not signed in: open the URL that `npm run serve` printed (it carries the token once)');
    if (options.extraRoutes?.(url, req, res)) return;
    void serveStatic(url.pathname, res).catch((error: unknown) => send(res, 500, error instanceof Error ? error.message : String(error)));
  });

  async function serveStatic(pathname: string, res: ServerResponse): Promise<void> {
    let rel: string;
    try {
      rel = normalize(decodeURIComponent(pathname)).replace(/^([/\\])+/, '');
    } catch {
      return send(res, 400, 'bad path');
    }
    let file = resolve(rendererDir, rel);
    if (file !== rendererDir && !file.startsWith(rendererDir + sep)) return send(res, 404, 'not found');
    const info = await stat(file).catch(() => null);
    // Unknown paths without an extension are routes of the single-page app.
    if (!info || info.isDirectory()) {
      if (extname(rel) !== '' && !info) return send(res, 404, 'not found');
      file = join(rendererDir, 'index.html');
    }
    const type = MIME[extname(file)] ?? 'application/octet-stream';
    res.writeHead(200, { 'Content-Type': type, 'Cache-Control': file.endsWith('.html') ? 'no-store' : 'max-age=3600' });
    createReadStream(file).on('error', () => res.destroy()).pipe(res);
  }

  // Every upgrade that reaches handleUpgrade has been checked below; a client that offers subprotocols
  // (a browser always offers lfc.v1 with its secret) gets lfc.v1 back, never the secret.
  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024, handleProtocols: (offered) => (offered.has(WS_PROTOCOL) ? WS_PROTOCOL : false) });
  const reject = (socket: Duplex, status: number, why: string): void => {
    socket.write(`HTTP/1.1 ${status} ${why}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    socket.destroy();
  };
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== WS_PATH) return reject(socket, 404, 'Not Found');
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins(bindHost, port).has(origin)) return reject(socket, 403, 'Forbidden Origin');
    // Cookies are deliberately not looked at: see the header.
    const protocols = offeredProtocols(req);
    const offeredSecret = protocols.find((p) => p.startsWith(WS_SESSION_PROTOCOL_PREFIX))?.slice(WS_SESSION_PROTOCOL_PREFIX.length);
    const bySession = offeredSecret !== undefined && isSessionSecret(offeredSecret);
    const address = req.socket.remoteAddress ?? '';
    if (!bySession && !sameSecret(bearer(req), options.token)) {
      if (limiter.lockedOutS(address) !== null) return reject(socket, 429, 'Too Many Requests');
      limiter.fail(address);
      return reject(socket, 401, 'Unauthorized');
    }
    if (protocols.length > 0 && !protocols.includes(WS_PROTOCOL)) return reject(socket, 400, `Subprotocol ${WS_PROTOCOL} Required`);
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });

  wss.on('connection', (ws: WebSocket) => {
    // A frame over the size limit or with invalid UTF-8 is an 'error' on the socket: close that one
    // connection. Unhandled, it would end the whole process (and lose what the history still buffers).
    ws.on('error', () => ws.terminate());
    ws.on('message', (data) => {
      let msg: unknown;
      try {
        msg = JSON.parse(String(data));
      } catch {
        return;
      }
      if (typeof msg !== 'object' || msg === null) return;
      const { id, channel, args } = msg as { id?: unknown; channel?: unknown; args?: unknown };
      if (typeof id !== 'number') return;
      const reply = (result: IpcResult<unknown>): void => {
        if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ id, result }));
      };
      if (!isInvokeChannel(channel)) return reply({ ok: false, error: { code: 'BAD_REQUEST', message: `unknown channel ${JSON.stringify(channel)}` } });
      if (args !== undefined && !Array.isArray(args)) return reply({ ok: false, error: { code: 'BAD_REQUEST', message: 'args must be an array' } });
      void invokeChannel(handlers, channel, (args as unknown[] | undefined) ?? []).then(reply);
    });
  });

  const unsubscribe = options.core.subscribe((channel, payload) => {
    const frame = JSON.stringify({ event: channel, payload });
    for (const client of wss.clients) {
      if (client.readyState === client.OPEN && client.bufferedAmount < MAX_BUFFERED_BYTES) client.send(frame);
    }
  });

  // A client that sends its request a byte at a time does not hold a connection: headers within 10 s.
  server.headersTimeout = 10_000;
  server.requestTimeout = 20_000;
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port ?? 0, bindHost, () => ok());
  });
  port = (server.address() as AddressInfo).port;
  const shownHost = bindHost === '0.0.0.0' || bindHost === '::' ? '127.0.0.1' : bindHost;
  const base = `http://${shownHost.includes(':') ? `[${shownHost}]` : shownHost}:${port}`;
  return {
    port,
    url: `${base}/`,
    loginUrl: `${base}/login?token=${encodeURIComponent(options.token)}`,
    close: async () => {
      unsubscribe();
      for (const client of wss.clients) client.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}
