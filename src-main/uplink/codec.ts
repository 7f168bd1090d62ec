/**
 * The uplink's wire format: topics and payloads, shared by the EMS's publisher (`publisher.ts`) and the
 * fleet collector (`fleet/collector.ts`). Pure: no I/O.
 *
 * ## Topics (MQTT 5, QoS 1)
 * | topic | retained | payload |
 * | --- | --- | --- |
 * | `lfc/<siteId>/measurements` | no | `lfc-uplink-measurements/1`: a batch of points, many series per message |
 * | `lfc/<siteId>/runs` | no | `lfc-uplink-items/1`, `kind: "runs"`: run records (started, ended) as the console stores them |
 * | `lfc/<siteId>/kpis` | no | `lfc-uplink-items/1`, `kind: "kpis"`: a finished run's KPIs |
 * | `lfc/<siteId>/events` | no | `lfc-uplink-items/1`, `kind: "events"`: the EMS's events |
 * | `lfc/<siteId>/status` | yes | `lfc-uplink-status/1`: `online` while connected; the broker publishes the last will `offline` when the link dies |
 *
 * A site id is 1–64 of `A–Z a–z 0–9 _ -` (never `/`, `+`, `#`). Every batch carries the outbox sequence
 * numbers it holds (`fromSeq`…`toSeq`) and its outbox id, so a resent batch is recognisable; the collector is
 * idempotent on (site, series, time) for points and on (site, outbox, seq) for items, so a resend never
 * duplicates.
 *
 * ## Measurements payload (JSON)
 * `{ format, site, outbox, fromSeq, toSeq, series: [{ id, t0Ms, dtMs: [...], value: [...] }] }`: per
 * series, the first point's time `t0Ms` and each point's distance to the one before (`dtMs[0]` is 0), in
 * the order the EMS stored them; `value` in the series' unit (the id's suffix, `breaker.measuredKw`: kW,
 * load-frame sign: positive drawn from the grid), `null` for a NaN (a gap stays a gap).
 */
import { z } from 'zod';

export const MEASUREMENTS_FORMAT = 'lfc-uplink-measurements/1';
export const ITEMS_FORMAT = 'lfc-uplink-items/1';
export const STATUS_FORMAT = 'lfc-uplink-status/1';
export const TOPIC_ROOT = 'lfc';

export const SITE_ID_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

export type ItemKind = 'runs' | 'kpis' | 'events';
export type TopicKind = 'measurements' | ItemKind | 'status';
export const TOPIC_KINDS: readonly TopicKind[] = ['measurements', 'runs', 'kpis', 'events', 'status'];

export function topicFor(siteId: string, kind: TopicKind): string {
  if (!SITE_ID_PATTERN.test(siteId)) throw new Error(`uplink: site id ${JSON.stringify(siteId)} is not 1–64 of A–Z a–z 0–9 _ -`);
  return `${TOPIC_ROOT}/${siteId}/${kind}`;
}

/** `lfc/<site>/<kind>` → its parts, or null for any other topic. */
export function parseTopic(topic: string): { siteId: string; kind: TopicKind } | null {
  const parts = topic.split('/');
  if (parts.length !== 3 || parts[0] !== TOPIC_ROOT || !SITE_ID_PATTERN.test(parts[1]!)) return null;
  const kind = parts[2] as TopicKind;
  return TOPIC_KINDS.includes(kind) ? { siteId: parts[1]!, kind } : null;
}

/** A site name as a site id: lower case, anything outside the id's alphabet as `-`. */
export function siteIdFromName(name: string): string {
  const id = name
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 64);
  return id === '' ? 'site' : id;
}

/** One point of the outbox, in the order it was stored. */
export interface UplinkPoint {
  seq: number;
  seriesId: string;
  timeMs: number;
  value: number;
}

const seriesSchema = z.strictObject({
  id: z.string().min(1).max(200),
  t0Ms: z.number().int(),
  dtMs: z.array(z.number().int()),
  value: z.array(z.number().nullable()),
});

export const MeasurementsPayloadSchema = z.strictObject({
  format: z.literal(MEASUREMENTS_FORMAT),
  site: z.string().regex(SITE_ID_PATTERN),
  outbox: z.string().min(1).max(100),
  fromSeq: z.number().int().nonnegative(),
  toSeq: z.number().int().nonnegative(),
  series: z.array(seriesSchema),
});
export type MeasurementsPayload = z.output<typeof MeasurementsPayloadSchema>;

export const ItemsPayloadSchema = z.strictObject({
  format: z.literal(ITEMS_FORMAT),
  site: z.string().regex(SITE_ID_PATTERN),
  kind: z.enum(['runs', 'kpis', 'events']),
  outbox: z.string().min(1).max(100),
  fromSeq: z.number().int().nonnegative(),
  toSeq: z.number().int().nonnegative(),
  items: z.array(z.strictObject({ seq: z.number().int().nonnegative(), body: z.record(z.string(), z.unknown()) })),
});
export type ItemsPayload = z.output<typeof ItemsPayloadSchema>;

export const StatusPayloadSchema = z.strictObject({
  format: z.literal(STATUS_FORMAT),
  site: z.string().regex(SITE_ID_PATTERN),
  state: z.enum(['online', 'offline']),
  name: z.string().optional(),
  appVersion: z.string().optional(),
  sinceMs: z.number().optional(),
});
export type StatusPayload = z.output<typeof StatusPayloadSchema>;

/** Points (ascending seq) as one measurements message. */
export function encodeMeasurements(siteId: string, outboxId: string, points: readonly UplinkPoint[]): MeasurementsPayload {
  if (points.length === 0) throw new Error('uplink: an empty measurements batch');
  const bySeries = new Map<string, { id: string; t0Ms: number; dtMs: number[]; value: Array<number | null>; lastMs: number }>();
  for (const p of points) {
    let s = bySeries.get(p.seriesId);
    if (!s) {
      s = { id: p.seriesId, t0Ms: p.timeMs, dtMs: [], value: [], lastMs: p.timeMs };
      bySeries.set(p.seriesId, s);
    }
    s.dtMs.push(p.timeMs - s.lastMs);
    s.lastMs = p.timeMs;
    s.value.push(Number.isFinite(p.value) ? p.value : null);
  }
  return {
    format: MEASUREMENTS_FORMAT,
    site: siteId,
    outbox: outboxId,
    fromSeq: points[0]!.seq,
    toSeq: points[points.length - 1]!.seq,
    series: [...bySeries.values()].map(({ id, t0Ms, dtMs, value }) => ({ id, t0Ms, dtMs, value })),
  };
}

/** Flat columns of a measurements message, for a bulk insert: NaN for a gap. */
export interface PointColumns {
  seriesId: string[];
  timeMs: number[];
  value: number[];
}

export function decodeMeasurements(p: MeasurementsPayload): PointColumns {
  const out: PointColumns = { seriesId: [], timeMs: [], value: [] };
  for (const s of p.series) {
    if (s.dtMs.length !== s.value.length) throw new Error(`series ${s.id}: ${s.dtMs.length} times but ${s.value.length} values`);
    let t = s.t0Ms;
    for (let i = 0; i < s.dtMs.length; i++) {
      t += s.dtMs[i]!;
      out.seriesId.push(s.id);
      out.timeMs.push(t);
      out.value.push(s.value[i] ?? NaN);
    }
  }
  return out;
}

/** Says where and why a payload is refused: `lfc/x/measurements: $.series[2].dtMs: expected array`. */
export class PayloadError extends Error {
  constructor(topic: string, detail: string) {
    super(`${topic}: ${detail}`);
    this.name = 'PayloadError';
  }
}

export type DecodedMessage =
  | { kind: 'measurements'; siteId: string; payload: MeasurementsPayload; points: PointColumns }
  | { kind: ItemKind; siteId: string; payload: ItemsPayload }
  | { kind: 'status'; siteId: string; payload: StatusPayload };

function zodDetail(err: z.ZodError): string {
  return err.issues
    .slice(0, 5)
    .map((i) => `$${i.path.map((k) => (typeof k === 'number' ? `[${k}]` : `.${String(k)}`)).join('')}: ${i.message}`)
    .join('; ');
}

/** Checks and decodes a message of any uplink topic; throws `PayloadError` naming the topic, the path and the reason. */
export function decodeMessage(topic: string, bytes: Buffer | string): DecodedMessage {
  const t = parseTopic(topic);
  if (!t) throw new PayloadError(topic, `not an uplink topic (${TOPIC_ROOT}/<site>/{${TOPIC_KINDS.join(',')}})`);
  let raw: unknown;
  try {
    raw = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch (err) {
    throw new PayloadError(topic, `not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const siteOf = (p: { site: string }) => {
    if (p.site !== t.siteId) throw new PayloadError(topic, `$.site is ${JSON.stringify(p.site)}, the topic names ${JSON.stringify(t.siteId)}`);
  };
  if (t.kind === 'measurements') {
    const r = MeasurementsPayloadSchema.safeParse(raw);
    if (!r.success) throw new PayloadError(topic, zodDetail(r.error));
    siteOf(r.data);
    let points: PointColumns;
    try {
      points = decodeMeasurements(r.data);
    } catch (err) {
      throw new PayloadError(topic, err instanceof Error ? err.message : String(err));
    }
    return { kind: 'measurements', siteId: t.siteId, payload: r.data, points };
  }
  if (t.kind === 'status') {
    const r = StatusPayloadSchema.safeParse(raw);
    if (!r.success) throw new PayloadError(topic, zodDetail(r.error));
    siteOf(r.data);
    return { kind: 'status', siteId: t.siteId, payload: r.data };
  }
  const r = ItemsPayloadSchema.safeParse(raw);
  if (!r.success) throw new PayloadError(topic, zodDetail(r.error));
  siteOf(r.data);
  if (r.data.kind !== t.kind) throw new PayloadError(topic, `$.kind is ${JSON.stringify(r.data.kind)} on the ${t.kind} topic`);
  return { kind: t.kind, siteId: t.siteId, payload: r.data };
}
