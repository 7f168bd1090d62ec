/**
 * The intake as a caller (or an attacker) meets it over HTTP on loopback: a retried request with the same
 * requestId gets the first answer and starts nothing new; the same id with another request is a conflict;
 * wrong tokens past the limit are answered 429 while a valid one still passes; an oversized or deeply nested body, a
 * wrong content type and a request sent too slowly are refused and change nothing.
 */
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { HttpTriggerIntake, type TriggerTarget } from '../../../../src-main/connectors/trigger-intake/trigger-intake.js';
import type { EngineSnapshot } from '../../../../src-main/engine/engine.js';
import type { Trigger } from '../../../../src-main/engine/model.js';

const TOKEN = 'a-long-enough-token-for-the-tests';
let submitted: Trigger[];
let intake: HttpTriggerIntake;

const snapshot = (): EngineSnapshot => ({
  nowMs: 0,
  controller: 'lfc',
  run: null,
  pendingTrigger: null,
  breaker: { lastSampleMs: 0, lastPowerKw: -100, lastValidSampleMs: 0, stale: false, safeState: false },
  forecastMissing: false,
  assets: [],
});

beforeEach(async () => {
  submitted = [];
  const target: TriggerTarget = { nowMs: () => Date.parse('2026-06-21T09:00:00Z'), connectionLimitKw: 630, submit: (t) => (submitted.push(t), { accepted: true }), snapshot };
  intake = new HttpTriggerIntake(target, { tokens: { dso: TOKEN } });
  await intake.start();
});
afterEach(async () => {
  await intake.stop();
});

async function post(body: unknown, token: string | null = TOKEN, contentType = 'application/json'): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(intake.url, { method: 'POST', headers: { 'content-type': contentType, ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

describe('the trigger intake over HTTP', () => {
  it('answers a retry with the same requestId with the first answer, and starts nothing new', async () => {
    const t = { useCase: 2, targetKw: -150, durationS: 600, requestId: 'dso-4711' };
    const first = await post(t);
    expect(first.status).toBe(202);
    const again = await post(t);
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ triggerId: first.body['triggerId'], replayed: true });
    expect(submitted).toHaveLength(1);
    // The same id for another request is a conflict, not a new trigger.
    const other = await post({ ...t, targetKw: -200 });
    expect(other.status).toBe(409);
    expect(other.body['error']).toMatch(/requestId dso-4711 was already used for another request/);
    expect(submitted).toHaveLength(1);
    // The same instant written another way is the same request.
    const at = { useCase: 1, startAt: '2026-06-21T12:00:00Z', requestId: 'dso-4712' };
    expect((await post(at)).status).toBe(202);
    expect((await post({ ...at, startAt: '2026-06-21T14:00:00+02:00' })).body).toMatchObject({ replayed: true });
    expect(submitted).toHaveLength(2);
    // Without a requestId every request is a new one.
    await post({ useCase: 2, targetKw: -150, durationS: 600 });
    await post({ useCase: 2, targetKw: -150, durationS: 600 });
    expect(submitted).toHaveLength(4);
  });

  it('answers an address that keeps guessing with 429 for the window, and still takes a valid stop from it', async () => {
    for (let i = 0; i < 10; i++) expect((await post({ useCase: 0 }, `guess-${i}`)).status).toBe(401);
    const locked = await post({ useCase: 0 }, 'guess-again');
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(locked.body['error']).toMatch(/too many requests with a wrong or missing token/);
    expect(submitted).toHaveLength(0);
    // A stop from the control room never waits for someone else's mistakes.
    expect((await post({ useCase: 0 })).status).toBe(202);
    expect(submitted.map((t) => t.useCase)).toEqual([0]);
  });

  it('refuses an oversized body, a deeply nested one, a wrong content type and NaN, changing nothing', async () => {
    expect((await post({ useCase: 0, pad: 'x'.repeat(70 * 1024) })).status).toBe(413);
    const deep = '{"useCase":0,"a":' + '['.repeat(5000) + ']'.repeat(5000) + '}';
    expect((await post(deep)).status).toBe(422);
    expect((await post('{"useCase":0}', TOKEN, 'text/plain')).status).toBe(415);
    const nan = await post('{"useCase":2,"targetKw":NaN,"durationS":60}');
    expect(nan.status).toBe(400);
    expect(submitted).toHaveLength(0);
  });

  it('starts nothing for a page on another origin (CSRF): no simple form post, no preflight, no CORS', async () => {
    // What a browser sends without a preflight: a form or text/plain body, no Authorization header.
    for (const contentType of ['application/x-www-form-urlencoded', 'text/plain', 'multipart/form-data; boundary=x']) {
      const res = await fetch(intake.url, { method: 'POST', headers: { origin: 'http://evil.example', 'content-type': contentType }, body: 'useCase=0' });
      expect([401, 415]).toContain(res.status);
      expect(res.headers.get('access-control-allow-origin')).toBeNull();
    }
    // Even a page that knew the token could only send it after a preflight, which is never granted.
    const preflight = await fetch(intake.url, { method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } });
    expect(preflight.status).toBeGreaterThanOrEqual(400);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    expect(preflight.headers.get('access-control-allow-headers')).toBeNull();
    // With the token but as a simple request (text/plain, so no preflight): refused as the wrong type.
    expect((await post('{"useCase":0}', TOKEN, 'text/plain')).status).toBe(415);
    expect(submitted).toHaveLength(0);
  });

  it('drops a request sent too slowly instead of holding the connection', async () => {
    const { port } = new URL(intake.url);
    const closedAfterMs = await new Promise<number>((resolve, reject) => {
      const t0 = Date.now();
      const socket = connect(Number(port), '127.0.0.1', () => socket.write('POST /v1/triggers HTTP/1.1\r\nHost: x\r\n'));
      socket.on('error', reject);
      socket.on('close', () => resolve(Date.now() - t0));
      socket.resume();
    });
    // The headers never end: the server gives up after its headers timeout (10 s), not never.
    expect(closedAfterMs).toBeGreaterThanOrEqual(9_000);
    expect(closedAfterMs).toBeLessThan(30_000);
    expect(submitted).toHaveLength(0);
  }, 40_000);
});
