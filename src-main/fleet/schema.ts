/**
 * The fleet's central database schema (PostgreSQL), as an ordered list of migrations recorded in
 * `schema_migrations` (version, name, when). `migrate` applies the missing ones in order, each in its own
 * transaction, under an advisory lock so two collectors starting together do not both apply one. A
 * database with a migration this code does not know (a newer collector was there) is refused.
 *
 * Tables (times as `timestamptz`, to the millisecond; powers in the load-frame sign convention of
 * `engine/model.ts`: positive drawn from the grid):
 * - `sites`: every site heard of, with its last status (`online`/`offline`) and when it was last heard;
 * - `runs`: one row per run (`run_id` = `<EMS session>/<run>`), the console's run record as JSON plus its
 *   columns; a started run is updated when it ends, an ended one is never taken back to running;
 * - `kpis`: a finished run's KPIs (KPI.md), one row per run;
 * - `events`: every EMS event, unique on (site, outbox, seq) — the EMS's outbox id and sequence number;
 * - `measurements`: (site, series, time) → value, the primary key, so a resent point never duplicates;
 *   partitioned by range of `time`, one partition per UTC day, created on demand by the writer.
 */
import type { PoolClient } from 'pg';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'sites, runs, kpis, events, day-partitioned measurements',
    sql: `
      CREATE TABLE sites (
        site_id text PRIMARY KEY,
        name text,
        app_version text,
        state text,
        state_since timestamptz,
        first_seen timestamptz NOT NULL DEFAULT now(),
        last_seen timestamptz NOT NULL DEFAULT now()
      );
      CREATE TABLE runs (
        site_id text NOT NULL REFERENCES sites,
        run_id text NOT NULL,
        session_id text NOT NULL,
        controller text NOT NULL,
        use_case integer NOT NULL,
        start_time timestamptz NOT NULL,
        end_time timestamptz,
        end_reason text,
        record jsonb NOT NULL,
        updated timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (site_id, run_id)
      );
      CREATE INDEX runs_site_start ON runs (site_id, start_time DESC);
      CREATE TABLE kpis (
        site_id text NOT NULL REFERENCES sites,
        run_id text NOT NULL,
        end_time timestamptz,
        kpis jsonb NOT NULL,
        received timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (site_id, run_id)
      );
      CREATE TABLE events (
        site_id text NOT NULL REFERENCES sites,
        outbox text NOT NULL,
        seq bigint NOT NULL,
        time timestamptz NOT NULL,
        type text NOT NULL,
        level text NOT NULL,
        message text NOT NULL,
        run_id text,
        body jsonb NOT NULL,
        PRIMARY KEY (site_id, outbox, seq)
      );
      CREATE INDEX events_site_time ON events (site_id, time);
      CREATE TABLE measurements (
        site_id text NOT NULL,
        series text NOT NULL,
        time timestamptz NOT NULL,
        value double precision,
        PRIMARY KEY (site_id, series, time)
      ) PARTITION BY RANGE (time);
    `,
  },
];

/** Applies the migrations the database lacks; returns the versions applied. */
export async function migrate(client: PoolClient): Promise<number[]> {
  await client.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())');
  const applied: number[] = [];
  await client.query('BEGIN');
  try {
    // One migrator at a time (the lock ends with the transaction).
    await client.query('SELECT pg_advisory_xact_lock(7141917)');
    const have = new Set((await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version));
    const known = new Set(MIGRATIONS.map((m) => m.version));
    const unknown = [...have].filter((v) => !known.has(v));
    if (unknown.length > 0) throw new Error(`the fleet database has migration ${unknown.join(', ')}, which this collector does not know (a newer version migrated it); refusing to write`);
    for (const m of MIGRATIONS) {
      if (have.has(m.version)) continue;
      await client.query(m.sql);
      await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {});
    throw err;
  }
  return applied;
}

const DAY_MS = 86_400_000;

/** The name and bounds of the day partition of `measurements` that holds `timeMs`. */
export function dayPartition(timeMs: number): { name: string; fromIso: string; toIso: string; dayStartMs: number } {
  const dayStartMs = Math.floor(timeMs / DAY_MS) * DAY_MS;
  const from = new Date(dayStartMs).toISOString();
  return { name: `measurements_p${from.slice(0, 10).replace(/-/g, '')}`, fromIso: from, toIso: new Date(dayStartMs + DAY_MS).toISOString(), dayStartMs };
}
