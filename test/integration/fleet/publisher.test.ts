/**
 * The uplink publisher against a real Mosquitto: with no broker it keeps everything (the watermark stays at
 * 0), when the broker comes it sends the backlog in seq order, rate-limited, and the outbox's watermark
 * reaches the last row only through PUBACKs. The status topic is retained `online`, and the broker publishes
 * the last will `offline` when the EMS's link dies without a goodbye.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeMessage } from '../../../src-main/uplink/codec';
import { UplinkOutbox } from '../../../src-main/uplink/outbox';
import { UplinkPublisher } from '../../../src-main/uplink/publisher';
import { freeLoopbackPort } from '../../fixtures/services/free-port';
import { MOSQUITTO_MISSING, MosquittoBroker, mosquittoBinary } from '../../fixtures/services/mosquitto';

const missing = mosquittoBinary() ? null : MOSQUITTO_MISSING;
if (missing) console.warn(`publisher.test.ts: ${missing}`);

describe.skipIf(missing !== null)('the uplink publisher over a real broker', () => {
  let dir: string;
  let broker: MosquittoBroker;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lfc-publisher-'));
    broker = await MosquittoBroker.start();
  });
  afterAll(async () => {
    await broker?.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the backlog while no broker answers, then sends it in order, rate-limited, acknowledged to the last row', async () => {
    const outbox = new UplinkOutbox(join(dir, 'a.sqlite'));
    const N = 20_000;
    for (let i = 0; i < N; i++) outbox.appendPoint(`s${i % 4}.powerKw`, 1_000_000 + Math.floor(i / 4) * 1000, i);
    outbox.flush();
    // First no broker at all: a port nobody listens on.
    const deadPort = await freeLoopbackPort();
    const dead = new UplinkPublisher(outbox, { url: `mqtt://127.0.0.1:${deadPort}`, siteId: 'site-p' }, { name: 'p', appVersion: 't' });
    dead.start();
    await new Promise((r) => setTimeout(r, 1_500));
    expect(dead.status()).toMatchObject({ connected: false, backlogPoints: N });
    expect(outbox.ackedSeq('measurements')).toBe(0);
    await dead.stop(0);

    const seen: Array<{ fromSeq: number; toSeq: number; points: number }> = [];
    const sub = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'watcher' });
    await sub.subscribeAsync('lfc/site-p/#', { qos: 1 });
    sub.on('message', (topic, payload) => {
      const d = decodeMessage(topic, payload);
      if (d.kind === 'measurements') seen.push({ fromSeq: d.payload.fromSeq, toSeq: d.payload.toSeq, points: d.points.timeMs.length });
    });
    const RATE = 10_000;
    const pub = new UplinkPublisher(outbox, { url: broker.url, siteId: 'site-p', maxPointsPerS: RATE, maxPointsPerMessage: 2_000 }, { name: 'p', appVersion: 't' });
    const t0 = performance.now();
    pub.start();
    while (!pub.drained()) await new Promise((r) => setTimeout(r, 50));
    const seconds = (performance.now() - t0) / 1000;
    // A full bucket (one second's worth) goes at once, the rest at the rate.
    expect(seconds).toBeGreaterThan((N - RATE) / RATE - 0.3);
    expect(outbox.ackedSeq('measurements')).toBe(N);
    await new Promise((r) => setTimeout(r, 300));
    expect(seen.map((s) => s.fromSeq)).toEqual(seen.map((_, i) => i * 2_000 + 1));
    expect(seen.reduce((a, s) => a + s.points, 0)).toBe(N);
    await pub.stop();
    await sub.endAsync();
    outbox.close();
  }, 60_000);

  it('says online on the retained status topic, and the broker says offline (the last will) when the link dies', async () => {
    const outbox = new UplinkOutbox(join(dir, 'b.sqlite'));
    const pub = new UplinkPublisher(outbox, { url: broker.url, siteId: 'site-w' }, { name: 'w', appVersion: 't' });
    pub.start();
    while (!pub.status().connected) await new Promise((r) => setTimeout(r, 50));
    const states: string[] = [];
    const sub = await mqtt.connectAsync(broker.url, { protocolVersion: 5, clientId: 'status-watcher' });
    sub.on('message', (_t, p) => states.push((JSON.parse(p.toString()) as { state: string }).state));
    await sub.subscribeAsync('lfc/site-w/status', { qos: 1 });
    await new Promise((r) => setTimeout(r, 300));
    expect(states).toEqual(['online']); // retained
    // The link dies without a DISCONNECT: the broker sends the will.
    (pub as unknown as { client: { stream: { destroy(): void } } }).client.stream.destroy();
    const until = Date.now() + 5_000;
    while (!states.includes('offline') && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
    expect(states).toContain('offline');
    await pub.stop(0);
    await sub.endAsync();
    outbox.close();
  }, 30_000);
});
