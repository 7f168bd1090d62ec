/**
 * The uplink's publisher: reads the outbox (`outbox.ts`) in seq order and publishes it to the fleet's MQTT
 * broker (MQTT 5, QoS 1), many points per message (`codec.ts`). A batch is marked acknowledged in the
 * outbox only after the broker's PUBACK, and only once every batch before it of its stream is acknowledged
 * too, so the outbox's watermark never skips a hole. A lost connection drops the batches in flight; the next
 * connection starts again from the watermark (a batch may so reach the broker twice: the collector is
 * idempotent).
 *
 * After an outage the backlog goes out in order, rate-limited by a token bucket (`maxPointsPerS`, an item
 * counts as one point) so that a site coming back does not flood the broker or its own uplink. Reconnection
 * is the publisher's own (mqtt.js's is off, so its in-memory store never resends behind our back), with
 * backoff 0.5 s doubling to 30 s. The retained `status` topic says `online`; the last will, `offline`.
 *
 * Nothing here is awaited by the control path: the owner appends to the outbox and calls `kick()`.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { encodeMeasurements, ITEMS_FORMAT, STATUS_FORMAT, topicFor, type ItemKind, type ItemsPayload, type StatusPayload } from './codec';
import type { OutboxStream, UplinkOutbox } from './outbox';

export interface UplinkLinkConfig {
  /** `mqtt://host:1883` or `mqtts://host:8883` (TLS). */
  url: string;
  siteId: string;
  username?: string;
  password?: string;
  /** PEM text (not paths): the CA that signed the broker's certificate, and a client certificate and key. */
  tls?: { ca?: string; cert?: string; key?: string; rejectUnauthorized?: boolean };
  /** Backlog rate limit, points per second (an item counts as one); default 30,000. */
  maxPointsPerS?: number;
  /** Points per measurements message; default 5,000. */
  maxPointsPerMessage?: number;
  /** Messages awaiting their PUBACK at once; default 8. */
  maxInFlight?: number;
}

export interface UplinkStatus {
  connected: boolean;
  url: string;
  siteId: string;
  backlogPoints: number;
  backlogItems: number;
  /** Wall-clock ms of the last PUBACK (null: none yet). */
  lastAckMs: number | null;
  lastError: string | null;
  /** Connections made since start. */
  connections: number;
}

interface Batch {
  stream: OutboxStream;
  toSeq: number;
  acked: boolean;
}

const ITEMS_PER_MESSAGE = 500;
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 30_000;

export interface UplinkPublisherOptions {
  name: string;
  appVersion: string;
  /** Diagnostics (connected, lost, refused); never on the control path. */
  log?: (message: string) => void;
}

export class UplinkPublisher {
  private client: MqttClient | null = null;
  private gen = 0;
  private connected = false;
  private stopped = false;
  private readonly inFlight: Batch[] = [];
  private readonly sentSeq: Record<OutboxStream, number> = { measurements: 0, items: 0 };
  private pumping = false;
  private again = false;
  private tokens: number;
  private tokensAtMs = performance.now();
  private backoffMs = BACKOFF_MIN_MS;
  private reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  private waitTimer: ReturnType<typeof setTimeout> | null = null;
  private lastAckMs: number | null = null;
  private lastError: string | null = null;
  private connections = 0;
  /** Connection attempts failed in a row (for the log: the first, then every 20th). */
  private failStreak = 0;
  private readonly rate: number;
  private readonly perMessage: number;
  private readonly maxInFlight: number;
  private readonly statusTopic: string;

  constructor(
    private readonly outbox: UplinkOutbox,
    private readonly cfg: UplinkLinkConfig,
    private readonly opts: UplinkPublisherOptions,
  ) {
    this.rate = cfg.maxPointsPerS ?? 30_000;
    this.perMessage = cfg.maxPointsPerMessage ?? 5_000;
    this.maxInFlight = cfg.maxInFlight ?? 8;
    this.tokens = Math.max(this.rate, this.perMessage);
    this.statusTopic = topicFor(cfg.siteId, 'status');
  }

  start(): void {
    this.connect();
  }

  /** New rows are committed in the outbox: send them when the link and the rate limit allow. */
  kick(): void {
    if (this.connected) void this.pump();
  }

  status(): UplinkStatus {
    const b = this.outbox.backlog();
    return { connected: this.connected, url: this.cfg.url, siteId: this.cfg.siteId, backlogPoints: b.points, backlogItems: b.items, lastAckMs: this.lastAckMs, lastError: this.lastError, connections: this.connections };
  }

  private statusPayload(state: 'online' | 'offline'): string {
    const p: StatusPayload = { format: STATUS_FORMAT, site: this.cfg.siteId, state, name: this.opts.name, appVersion: this.opts.appVersion, sinceMs: Date.now() };
    return JSON.stringify(p);
  }

  private connect(): void {
    if (this.stopped) return;
    const gen = ++this.gen;
    const tls = this.cfg.tls;
    const options: IClientOptions = {
      protocolVersion: 5,
      clientId: `lfc-ems-${this.cfg.siteId}`,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      keepalive: 30,
      will: { topic: this.statusTopic, payload: Buffer.from(this.statusPayload('offline')), qos: 1, retain: true },
      ...(this.cfg.username !== undefined ? { username: this.cfg.username } : {}),
      ...(this.cfg.password !== undefined ? { password: this.cfg.password } : {}),
      ...(tls?.ca ? { ca: tls.ca } : {}),
      ...(tls?.cert ? { cert: tls.cert } : {}),
      ...(tls?.key ? { key: tls.key } : {}),
      ...(tls?.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
    };
    const client = mqtt.connect(this.cfg.url, options);
    this.client = client;
    client.on('connect', () => {
      if (gen !== this.gen) return;
      this.connected = true;
      this.connections++;
      this.failStreak = 0;
      this.backoffMs = BACKOFF_MIN_MS;
      this.lastError = null;
      this.inFlight.length = 0;
      this.sentSeq.measurements = this.outbox.ackedSeq('measurements');
      this.sentSeq.items = this.outbox.ackedSeq('items');
      this.opts.log?.(`uplink: connected to ${this.cfg.url} as site ${this.cfg.siteId}`);
      client.publish(this.statusTopic, this.statusPayload('online'), { qos: 1, retain: true });
      void this.pump();
    });
    const lost = (why: string) => {
      if (gen !== this.gen) return;
      this.gen++;
      this.lastError = why;
      if (this.connected) this.opts.log?.(`uplink: lost the link to ${this.cfg.url} (${why}); the outbox keeps everything, resending from seq ${this.outbox.ackedSeq('measurements') + 1}`);
      else if (this.failStreak === 0 || (this.failStreak + 1) % 20 === 0) this.opts.log?.(`uplink: cannot reach ${this.cfg.url} (${why}); retrying, the outbox keeps everything`);
      this.failStreak = this.connected ? 0 : this.failStreak + 1;
      this.connected = false;
      this.inFlight.length = 0;
      client.removeAllListeners();
      client.on('error', () => {});
      client.end(true);
      if (this.client === client) this.client = null;
      if (this.stopped) return;
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = null;
        this.connect();
      }, this.backoffMs);
      this.reconnectTimer.unref?.();
      this.backoffMs = Math.min(BACKOFF_MAX_MS, this.backoffMs * 2);
    };
    client.on('error', (err) => lost(err.message));
    client.on('close', () => lost('connection closed'));
    client.on('disconnect', (p) => lost(`the broker disconnected us (reason ${p.reasonCode ?? '?'})`));
  }

  /** Sends batches while the link is up, the window has room and the token bucket allows. */
  private async pump(): Promise<void> {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        while (this.connected && this.client && this.inFlight.length < this.maxInFlight) {
          const gen = this.gen;
          const next = this.nextBatch();
          if (!next) break;
          await this.takeTokens(next.cost);
          if (gen !== this.gen || !this.connected) break;
          this.send(next);
        }
      } while (this.again && this.connected);
    } finally {
      this.pumping = false;
    }
  }

  private nextBatch(): { stream: OutboxStream; toSeq: number; topic: string; payload: string; cost: number } | null {
    const items = this.outbox.itemsAfter(this.sentSeq.items, ITEMS_PER_MESSAGE);
    if (items.length > 0) {
      const kind: ItemKind = items[0]!.kind;
      let n = 0;
      while (n < items.length && items[n]!.kind === kind) n++;
      const batch = items.slice(0, n);
      const payload: ItemsPayload = {
        format: ITEMS_FORMAT,
        site: this.cfg.siteId,
        kind,
        outbox: this.outbox.id,
        fromSeq: batch[0]!.seq,
        toSeq: batch[n - 1]!.seq,
        items: batch.map((i) => ({ seq: i.seq, body: i.body })),
      };
      return { stream: 'items', toSeq: payload.toSeq, topic: topicFor(this.cfg.siteId, kind), payload: JSON.stringify(payload), cost: n };
    }
    const points = this.outbox.pointsAfter(this.sentSeq.measurements, this.perMessage);
    if (points.length === 0) return null;
    const payload = encodeMeasurements(this.cfg.siteId, this.outbox.id, points);
    return { stream: 'measurements', toSeq: payload.toSeq, topic: topicFor(this.cfg.siteId, 'measurements'), payload: JSON.stringify(payload), cost: points.length };
  }

  /** Waits until the token bucket holds `cost` points (a batch above the bucket's size waits for a full bucket). */
  private async takeTokens(cost: number): Promise<void> {
    const capacity = Math.max(this.rate, this.perMessage);
    const need = Math.min(cost, capacity);
    for (;;) {
      const now = performance.now();
      this.tokens = Math.min(capacity, this.tokens + ((now - this.tokensAtMs) / 1000) * this.rate);
      this.tokensAtMs = now;
      if (this.tokens >= need) {
        this.tokens -= need;
        return;
      }
      const waitMs = Math.ceil(((need - this.tokens) / this.rate) * 1000);
      await new Promise<void>((r) => {
        this.waitTimer = setTimeout(r, waitMs);
      });
      this.waitTimer = null;
      if (this.stopped) return;
    }
  }

  private send(b: { stream: OutboxStream; toSeq: number; topic: string; payload: string }): void {
    const gen = this.gen;
    const batch: Batch = { stream: b.stream, toSeq: b.toSeq, acked: false };
    this.inFlight.push(batch);
    this.sentSeq[b.stream] = b.toSeq;
    this.client!.publish(b.topic, b.payload, { qos: 1 }, (err) => {
      if (gen !== this.gen) return;
      if (err) {
        this.lastError = err.message;
        return; // the link is going; `lost` resets the window and the next connection resends from the watermark
      }
      batch.acked = true;
      this.lastAckMs = Date.now();
      while (this.inFlight.length > 0 && this.inFlight[0]!.acked) {
        const done = this.inFlight.shift()!;
        this.outbox.markAcked(done.stream, done.toSeq);
      }
      void this.pump();
    });
  }

  /** Everything committed has been acknowledged. */
  drained(): boolean {
    const b = this.outbox.backlog();
    return b.points === 0 && b.items === 0;
  }

  /**
   * Stops: waits up to `drainMs` for the backlog to go out while the link is up, says `offline` on the
   * status topic, and closes. What is left stays in the outbox for the next start.
   */
  async stop(drainMs = 2_000): Promise<void> {
    const deadline = performance.now() + drainMs;
    while (this.connected && !this.drained() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    if (this.waitTimer) clearTimeout(this.waitTimer);
    const client = this.client;
    this.client = null;
    this.gen++;
    if (!client) return;
    client.removeAllListeners();
    client.on('error', () => {});
    if (this.connected) {
      await new Promise<void>((r) => {
        const t = setTimeout(r, 1_000);
        client.publish(this.statusTopic, this.statusPayload('offline'), { qos: 1, retain: true }, () => {
          clearTimeout(t);
          r();
        });
      });
    }
    this.connected = false;
    await new Promise<void>((r) => {
      const t = setTimeout(r, 2_000);
      client.end(false, {}, () => {
        clearTimeout(t);
        r();
      });
    });
  }
}
