/**
 * Serve mode's server: the built console (static files) and the IPC contract over one WebSocket, on
 * 127.0.0.1 unless told otherwise. No Electron: the same `LfcCore` answers the same channels.
 *
 * ## Authentication
 * One secret token (random per start, or `LFC_TOKEN`). Nothing is served without it:
 * - A browser opens the printed `…/login?token=<token>` once. The server answers with an HttpOnly,
 *   SameSite=Strict session cookie (a second random value, never the token itself) and redirects to `/`,
 *   so the token leaves the address bar and the history; `Referrer-Policy: no-referrer` keeps it out of
 *   any Referer. Every later page, asset and WebSocket request is authorised by that cookie.
 * - Any other client (scripts, tests, the benchmark) sends `Authorization: Bearer <token>`.
 * - WebSocket upgrades are also checked for their `Origin`: a browser's must be this server's own origin
 *   (http://<host>:<port> for 127.0.0.1, localhost or the `--host` name), so another site open in the same
 *   browser cannot ride on the cookie (SameSite already blocks it; the check makes it explicit). A request
 *   without `Origin` (not a browser) must carry the bearer token.
 * Tokens and cookies are compared in constant time.
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
import type { IpcResult } from '../shared/ipc-contract';

export const SESSION_COOKIE = 'lfc_session';
export const WS_PATH = '/ws';
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
  const sessionSecret = randomBytes(24).toString('base64url');
  const rendererDir = resolve(options.rendererDirPath);
  const handlers = createCoreHandlers(options.core, options.host);
  const csp = contentSecurityPolicy({ dev: false });
  let port = 0;

  const authorised = (req: IncomingMessage): boolean =>
    sameSecret(parseCookies(req.headers.cookie).get(SESSION_COOKIE), sessionSecret) || sameSecret(bearer(req), options.token);

  const send = (res: ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void => {
    res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store' });
    res.end(body);
  };

  const server = createServer((req, res) => {
    res.setHeader('Content-Security-Policy', csp);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    res.setHeader('X-Frame-Options', 'DENY');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'only GET');
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname === '/login') {
      if (!sameSecret(url.searchParams.get('token'), options.token)) return send(res, 401, 'wrong or missing token: open the URL that `npm run serve` printed');
      res.writeHead(303, { Location: '/', 'Set-Cookie': `${SESSION_COOKIE}=${sessionSecret}; HttpOnly; SameSite=Strict; Path=/`, 'Cache-Control': 'no-store' });
      return res.end();
    }
    if (!authorised(req)) return send(res, 401, 'not signed in: open the URL that `npm run serve` printed (it carries the token once)');
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

  const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024 });
  const reject = (socket: Duplex, status: number, why: string): void => {
    socket.write(`HTTP/1.1 ${status} ${why}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    socket.destroy();
  };
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== WS_PATH) return reject(socket, 404, 'Not Found');
    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (!allowedOrigins(bindHost, port).has(origin)) return reject(socket, 403, 'Forbidden Origin');
      if (!authorised(req)) return reject(socket, 401, 'Unauthorized');
    } else if (!sameSecret(bearer(req), options.token)) {
      return reject(socket, 401, 'Unauthorized');
    }
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
