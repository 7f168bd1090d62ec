/**
 * Serve mode's door: a real server on port 0 over a real core. No page, asset or WebSocket without the
 * token; the login sets an HttpOnly SameSite=Strict cookie for the page and hands the tab a per-login
 * session secret in the URL fragment; the WebSocket opens only with that secret as a subprotocol (or the
 * bearer token), never with the cookie; a foreign Origin is refused; the contract travels over the
 * WebSocket with the same envelope as in Electron. (That the renderer offers the same subprotocols is
 * shown end to end by test/e2e/console.e2e.test.ts in Chromium.)
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';

import { LfcCore } from '../../../src-main/core/lfc-core';
import { resourcesDir } from '../../../src-main/node/paths';
import {
  allowedOrigins,
  MAX_SESSIONS,
  parseCookies,
  SESSION_COOKIE,
  startServer,
  WS_PROTOCOL,
  WS_SESSION_PROTOCOL_PREFIX,
} from '../../../src-main/serve/server';
import type { RunningServer } from '../../../src-main/serve/server';
import { parseServeArgs } from '../../../src-main/serve/main';
import { openHistoryStore } from '../../../src-main/storage/history-store';
import type { HistoryStore } from '../../../src-main/storage/history-store';

const TOKEN = 'test-token-0123456789';
let dir: string;
let history: HistoryStore;
let core: LfcCore;
let server: RunningServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lfc-serve-'));
  const renderer = join(dir, 'renderer');
  mkdirSync(join(renderer, 'assets'), { recursive: true });
  writeFileSync(join(renderer, 'index.html'), '<!doctype html><title>console</title>');
  writeFileSync(join(renderer, 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(join(dir, 'secret.txt'), 'do not serve');
  history = openHistoryStore({ file: ':memory:' });
  core = new LfcCore({ resourcesDirPath: resourcesDir(), dataDirPath: dir, history, appVersion: 't', autoRun: false });
  await core.startSimulator({});
  server = await startServer({
    core,
    host: { appInfo: () => ({ name: 'lfc', version: 't', electronVersion: null, platform: 'linux' }), resourcesRootPath: resolve(resourcesDir(), '..') },
    rendererDirPath: renderer,
    token: TOKEN,
    port: 0,
    // These tests refuse many wrong credentials on purpose; the lockout has a test of its own.
    maxAuthFailuresPerMinute: 1000,
  });
});

afterAll(async () => {
  await server.close();
  core.close();
  history.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The session secret of a login's redirect `/#s=<secret>`. */
function sessionSecretOf(login: Response): string {
  const location = login.headers.get('location') ?? '';
  const match = /^\/#s=([A-Za-z0-9_-]{32})$/.exec(location);
  if (!match) throw new Error(`login redirected to ${JSON.stringify(location)}, not /#s=<secret>`);
  return match[1]!;
}

async function logIn(): Promise<{ secret: string; cookie: string }> {
  const login = await fetch(server.loginUrl, { redirect: 'manual' });
  return { secret: sessionSecretOf(login), cookie: login.headers.get('set-cookie')!.split(';')[0]! };
}

function openWs(headers: Record<string, string>, protocols: string[] = []): Promise<{ ws: WebSocket } | { status: number }> {
  return new Promise((done) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, protocols, { headers });
    ws.once('open', () => done({ ws }));
    ws.once('unexpected-response', (_req, res) => done({ status: res.statusCode ?? 0 }));
    ws.once('error', () => undefined);
  });
}

describe('serve mode', () => {
  it('listens on 127.0.0.1 and prints a login URL with the token', () => {
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/`);
    expect(server.loginUrl).toBe(`http://127.0.0.1:${server.port}/login?token=${TOKEN}`);
  });

  it('answers /favicon.ico with the app icon, without a login', async () => {
    const r = await fetch(`${server.url}favicon.ico`);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('image/png');
    const bytes = new Uint8Array(await r.arrayBuffer());
    expect([...bytes.subarray(1, 4)].map((b) => String.fromCharCode(b)).join('')).toBe('PNG');
  });

  it('answers wrong tokens past ten a minute with 429, at /login and on the WebSocket, and still lets the right one in', async () => {
    const other = await startServer({ core, host: { appInfo: () => ({ name: 'x', version: '0', electronVersion: null, platform: 'linux' }), resourcesRootPath: resolve(resourcesDir(), '..') }, rendererDirPath: join(dir, 'renderer'), token: 'the-right-token-of-this-test', port: 0 });
    try {
      for (let i = 0; i < 10; i++) expect((await fetch(`${other.url}login?token=guess-${i}`, { redirect: 'manual' })).status).toBe(401);
      const locked = await fetch(`${other.url}login?token=guess-again`, { redirect: 'manual' });
      expect(locked.status).toBe(429);
      expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
      // The operator with the printed URL is never shut out by someone else's wrong tries.
      expect((await fetch(`${other.url}login?token=the-right-token-of-this-test`, { redirect: 'manual' })).status).toBe(303);
      const ws = await new Promise<number>((done) => {
        const w = new WebSocket(`ws://127.0.0.1:${other.port}/ws`, [], { headers: { authorization: 'Bearer wrong' } });
        w.once('open', () => {
          w.close();
          done(101);
        });
        w.once('unexpected-response', (_req, res) => done(res.statusCode ?? 0));
        w.once('error', () => undefined);
      });
      expect(ws).toBe(429);
    } finally {
      await other.close();
    }
  });

  it('serves nothing without the token, and refuses a wrong one', async () => {
    expect((await fetch(server.url)).status).toBe(401);
    expect((await fetch(`${server.url}assets/app.js`)).status).toBe(401);
    expect((await fetch(`${server.url}login?token=wrong`, { redirect: 'manual' })).status).toBe(401);
  });

  it('logs in with the token: a session secret in the fragment, an HttpOnly SameSite=Strict cookie, then pages and assets', async () => {
    const login = await fetch(server.loginUrl, { redirect: 'manual' });
    expect(login.status).toBe(303);
    const secret = sessionSecretOf(login);
    expect(secret).not.toContain(TOKEN);
    expect(login.headers.get('referrer-policy')).toBe('no-referrer');
    const cookie = login.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const value = parseCookies(cookie.split(';')[0]).get(SESSION_COOKIE)!;
    expect(value).not.toContain(TOKEN);
    expect(value).not.toBe(secret);
    // A fresh secret per login.
    expect(sessionSecretOf(await fetch(server.loginUrl, { redirect: 'manual' }))).not.toBe(secret);
    const page = await fetch(server.url, { headers: { cookie: `${SESSION_COOKIE}=${value}` } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await page.text()).toContain('console');
    const asset = await fetch(`${server.url}assets/app.js`, { headers: { cookie: `${SESSION_COOKIE}=${value}` } });
    expect(asset.headers.get('content-type')).toMatch(/javascript/);
    // Path traversal never leaves the renderer folder.
    const escape = await fetch(`${server.url}..%2fsecret.txt`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await escape.text()).not.toContain('do not serve');
  });

  it('checks the Origin and the credentials of WebSocket upgrades', async () => {
    expect(await openWs({})).toEqual({ status: 401 });
    expect(await openWs({ authorization: 'Bearer nope' })).toEqual({ status: 401 });
    expect(await openWs({ origin: 'http://evil.example', authorization: `Bearer ${TOKEN}` })).toEqual({ status: 403 });
    expect(await openWs({ origin: `http://127.0.0.1:${server.port}` })).toEqual({ status: 401 });
    const ok = await openWs({ origin: `http://localhost:${server.port}`, authorization: `Bearer ${TOKEN}` });
    expect('ws' in ok).toBe(true);
    if ('ws' in ok) ok.ws.close();
    expect(allowedOrigins('127.0.0.1', 80)).toEqual(new Set(['http://127.0.0.1:80', 'http://localhost:80']));
  });

  it('never lets the session cookie open the WebSocket: only the session secret as a subprotocol', async () => {
    const { secret, cookie } = await logIn();
    const ownOrigin = `http://127.0.0.1:${server.port}`;
    // (a) The reviewer's attack: another local server received our cookie (cookies ignore ports) and
    // replays it with a forged Origin of ours. Refused, with or without the lfc.v1 subprotocol.
    expect(await openWs({ origin: ownOrigin, cookie })).toEqual({ status: 401 });
    expect(await openWs({ origin: ownOrigin, cookie }, [WS_PROTOCOL])).toEqual({ status: 401 });
    expect(await openWs({ cookie })).toEqual({ status: 401 });
    // Nor does the secret itself travel as a cookie.
    expect(await openWs({ origin: ownOrigin, cookie: `${SESSION_COOKIE}=${secret}` }, [WS_PROTOCOL])).toEqual({ status: 401 });
    // (b) The secret as a subprotocol opens it; the server answers lfc.v1, never echoing the secret.
    const ok = await openWs({ origin: ownOrigin }, [WS_PROTOCOL, WS_SESSION_PROTOCOL_PREFIX + secret]);
    if (!('ws' in ok)) throw new Error(`upgrade refused: ${ok.status}`);
    expect(ok.ws.protocol).toBe(WS_PROTOCOL);
    ok.ws.close();
    // (c) A wrong secret (same length, one character off), an empty one, or the token in its place: refused.
    const wrong = secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A');
    expect(await openWs({ origin: ownOrigin, cookie }, [WS_PROTOCOL, WS_SESSION_PROTOCOL_PREFIX + wrong])).toEqual({ status: 401 });
    expect(await openWs({ origin: ownOrigin }, [WS_PROTOCOL, WS_SESSION_PROTOCOL_PREFIX + secret.slice(1)])).toEqual({ status: 401 });
    expect(await openWs({ origin: ownOrigin }, [WS_PROTOCOL, WS_SESSION_PROTOCOL_PREFIX + TOKEN])).toEqual({ status: 401 });
    // The right secret from a foreign origin is still refused, and the secret without lfc.v1 is a bad request.
    expect(await openWs({ origin: 'http://127.0.0.1:1' }, [WS_PROTOCOL, WS_SESSION_PROTOCOL_PREFIX + secret])).toEqual({ status: 403 });
    expect(await openWs({ origin: ownOrigin }, ['other.v9', WS_SESSION_PROTOCOL_PREFIX + secret])).toEqual({ status: 400 });
  });

  it('keeps the last MAX_SESSIONS logins: an older one must log in again', async () => {
    const { secret: oldest } = await logIn();
    const ownOrigin = `http://localhost:${server.port}`;
    const stillValid = await openWs({ origin: ownOrigin }, [WS_PROTOCOL, WS_SESSION_PROTOCOL_PREFIX + oldest]);
    if ('ws' in stillValid) stillValid.ws.close();
    expect('ws' in stillValid).toBe(true);
    let newest = '';
    for (let i = 0; i < MAX_SESSIONS; i++) newest = (await logIn()).secret;
    expect(await openWs({ origin: ownOrigin }, [WS_PROTOCOL, WS_SESSION_PROTOCOL_PREFIX + oldest])).toEqual({ status: 401 });
    const fresh = await openWs({ origin: ownOrigin }, [WS_PROTOCOL, WS_SESSION_PROTOCOL_PREFIX + newest]);
    if ('ws' in fresh) fresh.ws.close();
    expect('ws' in fresh).toBe(true);
  });

  it('carries the contract over the WebSocket: results with the IPC envelope, errors as values, pushed events', async () => {
    const opened = await openWs({ authorization: `Bearer ${TOKEN}` });
    if (!('ws' in opened)) throw new Error(`upgrade refused: ${opened.status}`);
    const ws = opened.ws;
    const replies = new Map<number, unknown>();
    const events: Array<{ event: string; payload: { status?: string } }> = [];
    const waiters: Array<() => void> = [];
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data)) as { id?: number; result?: unknown; event?: string; payload?: { status?: string } };
      if (typeof msg.id === 'number') replies.set(msg.id, msg.result);
      else if (msg.event) events.push({ event: msg.event, payload: msg.payload ?? {} });
      for (const w of waiters.splice(0)) w();
    });
    const until = async (test: () => boolean): Promise<void> => {
      while (!test()) await new Promise<void>((r) => waiters.push(r));
    };
    try {
      ws.send(JSON.stringify({ id: 1, channel: 'core:getState', args: [] }));
      ws.send(JSON.stringify({ id: 2, channel: 'core:sendTrigger', args: [{ useCase: 7 }] }));
      ws.send(JSON.stringify({ id: 3, channel: 'no:such', args: [] }));
      ws.send(JSON.stringify({ id: 4, channel: 'scenario:listBundled' }));
      ws.send('not json');
      await until(() => replies.size === 4);
      expect(replies.get(1)).toMatchObject({ ok: true, value: { status: 'running' } });
      expect(replies.get(2)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
      expect(replies.get(3)).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST', message: expect.stringContaining('unknown channel') } });
      expect((replies.get(4) as { value: Array<{ name: string }> }).value.map((s) => s.name)).toContain('summer-export-hold');
      core.publishLive();
      await until(() => events.length > 0);
      expect(events[0]).toMatchObject({ event: 'core:onLive', payload: { status: 'running' } });
    } finally {
      ws.close();
    }
  });

  it('gives another origin nothing to forge or read: no state-changing HTTP, no CORS, the page cookie opens no WebSocket (CSRF)', async () => {
    const { cookie } = await logIn();
    const before = core.getState().run;
    // A page on another origin posting a form (or any method) with the operator's cookie: refused, nothing changes.
    for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
      const r = await fetch(`${server.url}ws`, { method, headers: { origin: 'http://evil.example', cookie, 'content-type': 'application/x-www-form-urlencoded' }, body: 'useCase=0' });
      expect(r.status).toBe(405);
      expect(r.headers.get('access-control-allow-origin')).toBeNull();
    }
    // A preflight is not granted, and a cross-origin read of the page gets no CORS permission.
    const preflight = await fetch(server.url, { method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(405);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const page = await fetch(server.url, { headers: { origin: 'http://evil.example', cookie } });
    expect(page.headers.get('access-control-allow-origin')).toBeNull();
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    // Cross-site WebSocket hijacking: the cookie with a foreign Origin, or with none, opens nothing.
    expect(await openWs({ origin: 'http://evil.example', cookie }, [WS_PROTOCOL])).toEqual({ status: 403 });
    expect(core.getState().run).toEqual(before);
  });

  it('never lets the static files out of the renderer folder, however the path is spelled', async () => {
    const raw = (path: string) =>
      new Promise<string>((done, fail) => {
        const socket = connect(server.port, '127.0.0.1', () => socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\nConnection: close\r\n\r\n`));
        let text = '';
        socket.on('data', (b: Buffer) => (text += b.toString()));
        socket.on('end', () => done(text));
        socket.on('error', fail);
      });
    for (const path of ['/../secret.txt', '/assets/../../secret.txt', '/%2e%2e/secret.txt', '/%2e%2e%2fsecret.txt', '/..%5csecret.txt', '/assets/%2e%2e/%2e%2e/secret.txt', `/${'..%2f'.repeat(8)}etc/passwd`, '/%00../secret.txt', '/%E0%A4%A']) {
      const answer = await raw(path);
      expect(answer, path).toMatch(/^HTTP\/1\.1 (200|400|404)/);
      expect(answer, path).not.toContain('do not serve');
      expect(answer, path).not.toContain('root:');
    }
  });

  it('closes a WebSocket that sends an oversized or deeply nested frame, and goes on serving the others', async () => {
    const open = async () => {
      const o = await openWs({ authorization: `Bearer ${TOKEN}` });
      if (!('ws' in o)) throw new Error(`upgrade refused: ${o.status}`);
      return o.ws;
    };
    const ask = (ws: WebSocket, frame: string) =>
      new Promise<{ reply?: { ok: boolean; error?: { code: string } }; closed?: number }>((done) => {
        ws.once('message', (data) => done({ reply: (JSON.parse(String(data)) as { result: { ok: boolean } }).result }));
        ws.once('close', (code) => done({ closed: code }));
        ws.send(frame);
      });
    // Over the 1 MiB frame limit: that connection is closed (1009, message too big), nothing else.
    const big = await open();
    expect(await ask(big, JSON.stringify({ id: 1, channel: 'core:getState', args: ['x'.repeat(2 * 1024 * 1024)] }))).toEqual({ closed: 1009 });
    // 100,000 levels of nesting in the arguments: an error as a value, the server unharmed.
    const deep = await open();
    const nested = '['.repeat(100_000) + ']'.repeat(100_000);
    const answer = await ask(deep, `{"id":2,"channel":"core:sendTrigger","args":[${nested}]}`);
    expect(answer.reply).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    expect(core.getState().run).toBeNull();
    expect(await ask(deep, JSON.stringify({ id: 3, channel: 'core:getState', args: [] }))).toMatchObject({ reply: { ok: true } });
    deep.close();
  });

  it('drops a request whose headers come too slowly instead of holding the connection', async () => {
    const closedAfterMs = await new Promise<number>((done, fail) => {
      const t0 = Date.now();
      const socket = connect(server.port, '127.0.0.1', () => socket.write('GET / HTTP/1.1\r\nHost: x\r\n'));
      // One more header byte every second: never the end of the headers.
      const drip = setInterval(() => socket.writable && socket.write('X'), 1000);
      socket.on('error', fail);
      socket.on('close', () => {
        clearInterval(drip);
        done(Date.now() - t0);
      });
      socket.resume();
    });
    // The server's headers timeout (10 s), not Node's default of a minute, nor never.
    expect(closedAfterMs).toBeGreaterThanOrEqual(9_000);
    expect(closedAfterMs).toBeLessThan(20_000);
  }, 40_000);

  it('parses its command line', () => {
    expect(parseServeArgs([])).toMatchObject({ port: 8765, host: '127.0.0.1', speed: 1 });
    expect(parseServeArgs(['--port', '0', '--speed', 'max', '--host', '0.0.0.0'])).toMatchObject({ port: 0, speed: 'max', host: '0.0.0.0' });
    expect(() => parseServeArgs(['--speed', '0'])).toThrow(/--speed/);
    expect(() => parseServeArgs(['--bogus'])).toThrow(/Unknown option '--bogus'/);
    expect(parseServeArgs(['--site', 'x/site.json'])).toMatchObject({ sitePath: expect.stringMatching(/x\/site\.json$/), scenarioPath: undefined, dataDirPath: expect.stringMatching(/x\/site\.data$/) });
    expect(parseServeArgs(['--site', 'x/site.json', '--data-dir', 'd'])).toMatchObject({ dataDirPath: expect.stringMatching(/\/d$/) });
    expect(() => parseServeArgs(['--site', 's.json', '--scenario', 'x.json'])).toThrow(/--site runs the field EMS/);
  });
});
