/**
 * The SQLite history's schema (`sqlite-history-store.ts`): the append-only migration list and the rollup
 * levels the schema's rollup tables hold. Apart from the store so that the store reads as behaviour and
 * the schema as data.
 */
export interface Migration {
  version: number;
  description: string;
  sql: string;
}

/**
 * The schema, as an append-only list of migrations: a released migration is never edited, a change is a
 * new entry. `schema_version` records which ran and when.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'series, points, events, runs, forecasts',
    sql: `
      CREATE TABLE series (
        id   INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE
      );
      -- value NULL = the sample was NaN (kept, so bad data stays visible)
      CREATE TABLE points (
        series_id INTEGER NOT NULL REFERENCES series(id),
        time_ms   INTEGER NOT NULL,
        value     REAL,
        PRIMARY KEY (series_id, time_ms)
      ) WITHOUT ROWID;
      CREATE TABLE events (
        id       INTEGER PRIMARY KEY,
        time_ms  INTEGER NOT NULL,
        type     TEXT NOT NULL,
        level    TEXT NOT NULL CHECK (level IN ('info', 'warning', 'error')),
        message  TEXT NOT NULL,
        run_id   TEXT,
        asset_id TEXT,
        data     TEXT
      );
      CREATE INDEX events_by_time ON events(time_ms);
      CREATE INDEX events_by_run ON events(run_id, time_ms) WHERE run_id IS NOT NULL;
      CREATE TABLE runs (
        run_id         TEXT PRIMARY KEY,
        session_id     TEXT NOT NULL,
        scenario       TEXT,
        controller     TEXT NOT NULL,
        use_case       INTEGER NOT NULL,
        start_ms       INTEGER NOT NULL,
        end_ms         INTEGER,
        end_reason     TEXT,
        trigger        TEXT NOT NULL,
        kpis           TEXT,
        app_version    TEXT NOT NULL,
        config_version TEXT NOT NULL
      );
      CREATE INDEX runs_by_start ON runs(start_ms);
      CREATE TABLE forecasts (
        series_id INTEGER NOT NULL REFERENCES series(id),
        issued_ms INTEGER NOT NULL,
        time_ms   INTEGER NOT NULL,
        value     REAL,
        PRIMARY KEY (series_id, issued_ms, time_ms)
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    description: 'rollups: min/max/sum/count per 10 s, 1 min and 15 min, for fast wide-range queries',
    sql: `
      CREATE TABLE rollups (
        level_ms  INTEGER NOT NULL,
        series_id INTEGER NOT NULL REFERENCES series(id),
        bucket_ms INTEGER NOT NULL,
        min       REAL,
        max       REAL,
        sum       REAL,
        count     INTEGER NOT NULL,
        nan_count INTEGER NOT NULL,
        PRIMARY KEY (level_ms, series_id, bucket_ms)
      ) WITHOUT ROWID;
      INSERT INTO rollups
        SELECT 10000, series_id, (time_ms / 10000) * 10000, min(value), max(value), sum(value), count(value), count(*) - count(value)
        FROM points GROUP BY series_id, time_ms / 10000;
      INSERT INTO rollups
        SELECT 60000, series_id, (bucket_ms / 60000) * 60000, min(min), max(max), sum(sum), sum(count), sum(nan_count)
        FROM rollups WHERE level_ms = 10000 GROUP BY series_id, bucket_ms / 60000;
      INSERT INTO rollups
        SELECT 900000, series_id, (bucket_ms / 900000) * 900000, min(min), max(max), sum(sum), sum(count), sum(nan_count)
        FROM rollups WHERE level_ms = 60000 GROUP BY series_id, bucket_ms / 900000;
    `,
  },
];

/**
 * Rollup levels, finest first: each level's buckets are whole multiples of the epoch and are recomputed
 * from the level below (the first from the points) for every bucket a commit touched, so they are exact
 * even when a point is re-sent with another value.
 */
export const ROLLUP_LEVELS_MS = [10_000, 60_000, 900_000] as const;

export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
