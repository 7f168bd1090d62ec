/**
 * The fleet collector: subscribes to every site's uplink (`lfc/+/+`, QoS 1) and writes what arrives into
 * PostgreSQL (`fleet-store.ts`). It acknowledges a message (PUBACK) only after its transaction has
 * committed, so a collector killed mid-write gets the message again; it keeps a persistent session (a fixed
 * client id, clean start off, a session that never expires), so what the sites publish while it is down waits
 * in the broker and comes on its return. Writes are idempotent: a message delivered twice changes nothing.
 *
 * mqtt.js hands messages over one at a time (`handleMessage`: the next packet waits for its callback, and
 * its PUBACK goes out after it), so the order of a site's messages is kept. A message that cannot be decoded
 * or that the database refuses as data is logged with its topic and reason and acknowledged (retrying a
 * broken message would stop the whole fleet's ingest); a database that is down is retried with backoff
 * while the message stays unacknowledged, and the broker keeps the rest.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { IPublishPacket } from 'mqtt';
import { decodeMessage, PayloadError, TOPIC_ROOT } from '../uplink/codec';
import { FleetStore, isBadMessage } from './fleet-store';

export interface CollectorOptions {
  mqttUrl: string;
  postgresUrl: string;
  /** The persistent session's client id (one per collector; default `lfc-fleet-collector`). */
  clientId?: string;
  username?: string;
  password?: string;
  tls?: { ca?: string; cert?: string; key?: string; rejectUnauthorized?: boolean };
  log?: (message: string) => void;
}

export interface CollectorStats {
  messages: number;
  points: number;
  /** Points received again and skipped (already in the database). */
  duplicatePoints: number;
  items: number;
  refused: number;
  connected: boolean;
}

export class FleetCollector {
  readonly store: FleetStore;
  private client: MqttClient | null = null;
  private stopped = false;
  readonly stats: CollectorStats = { messages: 0, points: 0, duplicatePoints: 0, items: 0, refused: 0, connected: false };

  constructor(private readonly o: CollectorOptions) {
    this.store = new FleetStore(o.postgresUrl);
  }

  private log(m: string): void {
    this.o.log?.(m);
  }

  /** Migrates the database, then connects and subscribes; resolves on the first subscription. */
  async start(): Promise<void> {
    const applied = await this.store.migrate();
    if (applied.length > 0) this.log(`fleet: applied schema migration ${applied.join(', ')}`);
    const tls = this.o.tls;
    const options: IClientOptions = {
      protocolVersion: 5,
      clientId: this.o.clientId ?? 'lfc-fleet-collector',
      clean: false,
      properties: { sessionExpiryInterval: 0xffffffff },
      reconnectPeriod: 1_000,
      connectTimeout: 10_000,
      keepalive: 30,
      ...(this.o.username !== undefined ? { username: this.o.username } : {}),
      ...(this.o.password !== undefined ? { password: this.o.password } : {}),
      ...(tls?.ca ? { ca: tls.ca } : {}),
      ...(tls?.cert ? { cert: tls.cert } : {}),
      ...(tls?.key ? { key: tls.key } : {}),
      ...(tls?.rejectUnauthorized === false ? { rejectUnauthorized: false } : {}),
    };
    const client = mqtt.connect(this.o.mqttUrl, options);
    this.client = client;
    client.handleMessage = (packet, callback) => {
      // A message not written (the collector stopping while the database is down) is not acknowledged:
      // the broker keeps it for the persistent session's next connection.
      this.handle(packet).then(
        () => callback(),
        (err: unknown) => callback(err instanceof Error ? err : new Error(String(err))),
      );
    };
    client.on('error', (err) => this.log(`fleet: MQTT: ${err.message}`));
    client.on('close', () => {
      if (this.stats.connected) this.log(`fleet: lost the broker ${this.o.mqttUrl}; reconnecting`);
      this.stats.connected = false;
    });
    await new Promise<void>((resolveStart, reject) => {
      let first = true;
      client.on('connect', (ack) => {
        this.stats.connected = true;
        this.log(`fleet: connected to ${this.o.mqttUrl} (session ${ack.sessionPresent ? 'resumed: queued messages follow' : 'new'})`);
        if (ack.sessionPresent && !first) return;
        client.subscribe(`${TOPIC_ROOT}/+/+`, { qos: 1 }, (err) => {
          if (err) {
            if (first) reject(err);
            else this.log(`fleet: subscribe failed: ${err.message}`);
          } else if (first) resolveStart();
          first = false;
        });
      });
    });
  }

  /** Decodes and writes one message; resolves when it may be acknowledged. */
  private async handle(packet: IPublishPacket): Promise<void> {
    if (packet.cmd !== 'publish') return;
    const topic = packet.topic;
    let decoded;
    try {
      decoded = decodeMessage(topic, packet.payload as Buffer);
    } catch (err) {
      this.stats.refused++;
      this.log(`fleet: refused a message: ${err instanceof PayloadError ? err.message : String(err)}`);
      return;
    }
    let backoffMs = 500;
    for (;;) {
      try {
        const r = await this.store.write(decoded);
        this.stats.messages++;
        if (decoded.kind === 'measurements') {
          this.stats.points += r.inserted;
          this.stats.duplicatePoints += r.received - r.inserted;
        } else this.stats.items += r.inserted;
        return;
      } catch (err) {
        if (isBadMessage(err)) {
          this.stats.refused++;
          this.log(`fleet: ${topic}: the database refused the message: ${err instanceof Error ? err.message : String(err)}`);
          return;
        }
        if (this.stopped) throw err;
        this.log(`fleet: ${topic}: cannot write (${err instanceof Error ? err.message : String(err)}); retrying in ${backoffMs} ms, the message stays unacknowledged`);
        await new Promise((r) => setTimeout(r, backoffMs));
        backoffMs = Math.min(10_000, backoffMs * 2);
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    const c = this.client;
    this.client = null;
    if (c) await new Promise<void>((r) => c.end(false, {}, () => r()));
    await this.store.close();
  }
}
