/**
 * Serve mode's door: a real server on port 0 over a real core. No page, asset or WebSocket without the
 * token; the login sets an HttpOnly SameSite=Strict cookie; a foreign Origin is refused; the contract
 * travels over the WebSocket with the same envelope as in Electron, and the renderer's bridge speaks it.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';

import { LfcCore } from '../../../src-main/core/lfc-core';
import { resourcesDir } from '../../../src-main/node/paths';
import { allowedOrigins, parseCookies, SESSION_COOKIE, startServer } from '../../../src-main/serve/server';
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
  });
});

afterAll(async () => {
  await server.close();
  core.close();
  history.close();
  rmSync(dir, { recursive: true, force: true });
});

function openWs(headers: Record<string, string>): Promise<{ ws: WebSocket } | { status: number }> {
  return new Promise((done) => {
    const ws = new WebSocket(`ws://127.0.0.1:${server.port}/ws`, { headers });
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

  it('serves nothing without the token, and refuses a wrong one', async () => {
    expect((await fetch(server.url)).status).toBe(401);
    expect((await fetch(`${server.url}assets/app.js`)).status).toBe(401);
    expect((await fetch(`${server.url}login?token=wrong`, { redirect: 'manual' })).status).toBe(401);
  });

  it('logs in with the token: an HttpOnly SameSite=Strict session cookie, then pages and assets', async () => {
    const login = await fetch(server.loginUrl, { redirect: 'manual' });
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/');
    expect(login.headers.get('referrer-policy')).toBe('no-referrer');
    const cookie = login.headers.get('set-cookie')!;
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/SameSite=Strict/);
    const value = parseCookies(cookie.split(';')[0]).get(SESSION_COOKIE)!;
    expect(value).not.toContain(TOKEN);
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

  it('parses its command line', () => {
    expect(parseServeArgs([])).toMatchObject({ port: 8765, host: '127.0.0.1', speed: 1 });
    expect(parseServeArgs(['--port', '0', '--speed', 'max', '--host', '0.0.0.0'])).toMatchObject({ port: 0, speed: 'max', host: '0.0.0.0' });
    expect(() => parseServeArgs(['--speed', '0'])).toThrow(/--speed/);
    expect(() => parseServeArgs(['--bogus'])).toThrow(/unknown argument/);
  });
});
