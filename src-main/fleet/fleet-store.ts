/**
 * The collector's writer: decoded uplink messages (`uplink/codec.ts`) into PostgreSQL (`schema.ts`), each
 * message in one transaction, idempotent — a resent message changes nothing. Measurements go in with one
 * `INSERT … SELECT FROM unnest(arrays) ON CONFLICT DO NOTHING` per message (thousands of points per
 * statement); the day partitions a batch needs are created first (and remembered).
 */
import pg from 'pg';
import type { DecodedMessage, PointColumns } from '../uplink/codec';
import { dayPartition, migrate } from './schema';

export interface WriteResult {
  /** Rows inserted (points, items); a resend inserts 0. */
  inserted: number;
  /** Rows in the message. */
  received: number;
}

const DAY_MS = 86_400_000;

/** A message the database cannot take as it is (a missing field, a value of the wrong type): retrying will not help. */
export class BadMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BadMessageError';
  }
}

/**
 * Whether a failed write is the message's fault (SQLSTATE class 22 data exception, 23 integrity, 42 syntax
 * or access) rather than the database's state (connection lost, shutting down, out of resources: retry).
 */
export function isBadMessage(err: unknown): boolean {
  if (err instanceof BadMessageError) return true;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && /^(22|23|42)/.test(code);
}

export class FleetStore {
  readonly pool: pg.Pool;
  private readonly partitions = new Set<string>();

  constructor(postgresUrl: string) {
    this.pool = new pg.Pool({ connectionString: postgresUrl, max: 4 });
    // An idle client that loses its server is replaced by the pool; the error must not crash the process.
    this.pool.on('error', () => {});
  }

  /** Applies the schema's migrations (returns the versions applied). */
  async migrate(): Promise<number[]> {
    const c = await this.pool.connect();
    try {
      return await migrate(c);
    } finally {
      c.release();
    }
  }

  /** Writes one message in one transaction. */
  async write(m: DecodedMessage): Promise<WriteResult> {
    if (m.kind === 'measurements') await this.ensurePartitions(m.points);
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const r = await this.writeIn(c, m);
      await c.query('COMMIT');
      return r;
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      c.release();
    }
  }

  private async touchSite(c: pg.PoolClient, siteId: string): Promise<void> {
    await c.query('INSERT INTO sites (site_id) VALUES ($1) ON CONFLICT (site_id) DO UPDATE SET last_seen = now()', [siteId]);
  }

  private async writeIn(c: pg.PoolClient, m: DecodedMessage): Promise<WriteResult> {
    switch (m.kind) {
      case 'status': {
        const p = m.payload;
        await c.query(
          `INSERT INTO sites (site_id, name, app_version, state, state_since) VALUES ($1, $2, $3, $4, to_timestamp($5 / 1000.0))
           ON CONFLICT (site_id) DO UPDATE SET name = coalesce(excluded.name, sites.name), app_version = coalesce(excluded.app_version, sites.app_version),
             state = excluded.state, state_since = excluded.state_since, last_seen = now()`,
          [m.siteId, p.name ?? null, p.appVersion ?? null, p.state, p.sinceMs ?? null],
        );
        return { inserted: 1, received: 1 };
      }
      case 'measurements': {
        await this.touchSite(c, m.siteId);
        const pts = m.points;
        const r = await c.query(
          `INSERT INTO measurements (site_id, series, time, value)
           SELECT $1, u.s, timestamptz 'epoch' + u.t * interval '1 millisecond', u.v FROM unnest($2::text[], $3::bigint[], $4::float8[]) AS u(s, t, v)
           ON CONFLICT DO NOTHING`,
          [m.siteId, pts.seriesId, pts.timeMs, pts.value.map((v) => (Number.isFinite(v) ? v : null))],
        );
        return { inserted: r.rowCount ?? 0, received: pts.timeMs.length };
      }
      case 'events': {
        await this.touchSite(c, m.siteId);
        const items = m.payload.items;
        const r = await c.query(
          `INSERT INTO events (site_id, outbox, seq, time, type, level, message, run_id, body)
           SELECT $1, $2, u.seq, timestamptz 'epoch' + (u.body->>'timeMs')::bigint * interval '1 millisecond', u.body->>'type', u.body->>'level', coalesce(u.body->>'message', ''), u.body->>'runId', u.body
           FROM unnest($3::bigint[], $4::jsonb[]) AS u(seq, body)
           ON CONFLICT DO NOTHING`,
          [m.siteId, m.payload.outbox, items.map((i) => i.seq), items.map((i) => JSON.stringify(i.body))],
        );
        return { inserted: r.rowCount ?? 0, received: items.length };
      }
      case 'runs': {
        await this.touchSite(c, m.siteId);
        let inserted = 0;
        for (const { body } of m.payload.items) {
          const r = await c.query(
            `INSERT INTO runs (site_id, run_id, session_id, controller, use_case, start_time, end_time, end_reason, record)
             VALUES ($1, $2, $3, $4, $5, timestamptz 'epoch' + $6::bigint * interval '1 millisecond',
                     timestamptz 'epoch' + $7::bigint * interval '1 millisecond', $8, $9)
             ON CONFLICT (site_id, run_id) DO UPDATE SET end_time = excluded.end_time, end_reason = excluded.end_reason, record = excluded.record, updated = now()
             WHERE runs.end_time IS NULL AND (excluded.end_time IS NOT NULL OR excluded.record IS DISTINCT FROM runs.record)`,
            [m.siteId, str(body.runId, 'runId'), str(body.sessionId, 'sessionId'), str(body.controller, 'controller'), num(body.useCase, 'useCase'), num(body.startMs, 'startMs'), body.endMs ?? null, body.endReason ?? null, JSON.stringify(body)],
          );
          inserted += r.rowCount ?? 0;
        }
        return { inserted, received: m.payload.items.length };
      }
      case 'kpis': {
        await this.touchSite(c, m.siteId);
        let inserted = 0;
        for (const { body } of m.payload.items) {
          const r = await c.query(
            `INSERT INTO kpis (site_id, run_id, end_time, kpis) VALUES ($1, $2, timestamptz 'epoch' + $3::bigint * interval '1 millisecond', $4)
             ON CONFLICT (site_id, run_id) DO NOTHING`,
            [m.siteId, str(body.runId, 'runId'), body.endMs ?? null, JSON.stringify(body.kpis ?? null)],
          );
          inserted += r.rowCount ?? 0;
        }
        return { inserted, received: m.payload.items.length };
      }
    }
  }

  /** Creates the day partitions the points fall into (outside the write's transaction; idempotent). */
  private async ensurePartitions(points: PointColumns): Promise<void> {
    if (points.timeMs.length === 0) return;
    let lo = Infinity;
    let hi = -Infinity;
    for (const t of points.timeMs) {
      if (t < lo) lo = t;
      if (t > hi) hi = t;
    }
    for (let day = Math.floor(lo / DAY_MS) * DAY_MS; day <= hi; day += DAY_MS) {
      const p = dayPartition(day);
      if (this.partitions.has(p.name)) continue;
      await this.pool.query(`CREATE TABLE IF NOT EXISTS ${p.name} PARTITION OF measurements FOR VALUES FROM ('${p.fromIso}') TO ('${p.toIso}')`);
      this.partitions.add(p.name);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

function str(v: unknown, field: string): string {
  if (typeof v !== 'string' || v === '') throw new BadMessageError(`$.items[].body.${field}: expected a string, got ${JSON.stringify(v)}`);
  return v;
}

function num(v: unknown, field: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new BadMessageError(`$.items[].body.${field}: expected a number, got ${JSON.stringify(v)}`);
  return v;
}
