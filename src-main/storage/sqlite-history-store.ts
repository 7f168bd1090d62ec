/**
 * `HistoryStore` on SQLite (better-sqlite3): one file, WAL journal, `synchronous=NORMAL`, prepared
 * statements, and appends buffered in memory and committed in one transaction at least every second.
 *
 * Why this shape:
 * - WAL + NORMAL: a commit is one append to the WAL file without an fsync, so 250 series at 1 Hz cost a
 *   few milliseconds a second. A killed process loses nothing that was committed (the WAL is in the OS
 *   page cache); only a power cut can lose the last commits, and the file still opens clean either way.
 * - Series names are mapped to small integers (`series` table) and points live in a `WITHOUT ROWID`
 *   table keyed by (series, time): one series' points are contiguous on disk, so a 7-day range is a
 *   single range scan, and a row costs about 20 bytes instead of repeating the name.
 * - Decimation (min/max/mean per bucket) runs in SQL, so a chart never pulls 600,000 rows into JS.
 */
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

import Database from 'better-sqlite3';
import { z } from 'zod';

import type {
  DecimatedSeries,
  ForecastPoint,
  HistoryStore,
  OpenHistoryStoreOptions,
  RetentionDays,
  SeriesPoint,
  StoredEvent,
  StoredForecast,
  StoredRun,
} from './history-port';
import { DEFAULT_RETENTION_DAYS, type FlushTimer } from './history-port';
import { MIGRATIONS, ROLLUP_LEVELS_MS, SCHEMA_VERSION } from './history-migrations';

export { DEFAULT_RETENTION_DAYS, type FlushTimer };

/** The production timer: `setInterval`, unref'd so it never keeps a process alive on its own. */
export const unrefIntervalTimer: FlushTimer = {
  start(intervalMs, tick) {
    const handle = setInterval(tick, intervalMs);
    handle.unref();
    return { stop: () => clearInterval(handle) };
  },
};


/** `PRAGMA application_id` of a history file ('LFCH'): tells our file from any other SQLite file. */
export const HISTORY_APPLICATION_ID = 0x4c464348;

const MAX_FLUSH_INTERVAL_MS = 1000;
/**
 * Files up to this size get `PRAGMA quick_check` at open (it reads every page: about a second for this
 * much), so a file damaged inside (its header and schema intact, a table's pages not) is found at start
 * and moved aside, not met by the first query or commit in the middle of a run. A larger file is opened
 * unchecked (a minute for a month at 1 GB a day would hold up every start); the log says so.
 */
export const QUICK_CHECK_MAX_BYTES = 512 * 1024 * 1024;
const DEFAULT_MAX_BUFFERED_ROWS = 20_000;
const DAY_MS = 86_400_000;

export { MIGRATIONS, ROLLUP_LEVELS_MS, SCHEMA_VERSION } from './history-migrations';

const runSchema = z.object({
  runId: z.string().min(1),
  sessionId: z.string(),
  scenario: z.string().nullable(),
  controller: z.string(),
  useCase: z.number().int(),
  startMs: z.number().finite(),
  endMs: z.number().finite().nullable(),
  endReason: z.string().nullable(),
  trigger: z.record(z.string(), z.unknown()),
  kpis: z.record(z.string(), z.unknown()).nullable(),
  appVersion: z.string(),
  configVersion: z.string(),
});

const retentionSchema = z.object({
  measurements: z.number().positive(),
  events: z.number().positive(),
});

const EVENT_LEVELS = new Set(['info', 'warning', 'error']);

interface RunRow {
  run_id: string;
  session_id: string;
  scenario: string | null;
  controller: string;
  use_case: number;
  start_ms: number;
  end_ms: number | null;
  end_reason: string | null;
  trigger: string;
  kpis: string | null;
  app_version: string;
  config_version: string;
}

interface EventRow {
  time_ms: number;
  type: string;
  level: StoredEvent['level'];
  message: string;
  run_id: string | null;
  asset_id: string | null;
  data: string | null;
}

interface BucketRow {
  bucket: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  count: number;
  nanCount: number;
}

/** A row waiting for the next commit: series name (resolved to its id at commit), time, value or null. */
interface BufferedPoint {
  seriesId: string;
  timeMs: number;
  value: number | null;
}

interface BufferedForecast extends BufferedPoint {
  issuedMs: number;
}

interface BufferedEvent {
  timeMs: number;
  type: string;
  level: string;
  message: string;
  runId: string | null;
  assetId: string | null;
  data: string | null;
}

function requireFinite(value: unknown, what: () => string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new Error(`${what()} must be a finite number, got ${String(value)}`);
  return value;
}

function requireRange(method: string, fromMs: number, toMs: number): void {
  requireFinite(fromMs, () => `${method}: fromMs`);
  requireFinite(toMs, () => `${method}: toMs`);
  if (toMs < fromMs) throw new Error(`${method}: toMs (${toMs}) is before fromMs (${fromMs})`);
}

function storedValue(value: unknown, what: () => string): number | null {
  if (typeof value !== 'number') throw new Error(`${what()} must be a number, got ${typeof value}`);
  return Number.isNaN(value) ? null : value;
}

function parseJsonColumn(text: string, where: string): Record<string, unknown> {
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new Error(`history file: ${where} holds malformed JSON`, { cause: error });
  }
}

interface BucketPlan {
  from: number;
  to: number;
  bucketMs: number;
  bucketCount: number;
  /** The rollup level the buckets are built from, or null for the raw points. */
  levelMs: number | null;
}

/**
 * Chooses the bucket size for a query: the smallest that fits [from, to] into maxBuckets. When that is at
 * least one rollup level, the buckets are whole multiples of the coarsest such level and start on its
 * boundary, and are summed from the rollups (a few thousand rows whatever the range) instead of the points.
 */
export function planBuckets(fromMs: number, toMs: number, maxBuckets: number): BucketPlan {
  const spanMs = toMs - fromMs;
  const levelMs = [...ROLLUP_LEVELS_MS].reverse().find((level) => level <= spanMs / maxBuckets) ?? null;
  if (levelMs === null) {
    // Whole milliseconds; floor(span / max) + 1 guarantees at most maxBuckets buckets.
    const bucketMs = Math.floor(spanMs / maxBuckets) + 1;
    return { from: fromMs, to: toMs, bucketMs, bucketCount: Math.floor(spanMs / bucketMs) + 1, levelMs };
  }
  const from = Math.floor(fromMs / levelMs) * levelMs;
  let bucketMs = Math.ceil(spanMs / maxBuckets / levelMs) * levelMs;
  while (Math.floor((toMs - from) / bucketMs) + 1 > maxBuckets) bucketMs += levelMs;
  return { from, to: toMs, bucketMs, bucketCount: Math.floor((toMs - from) / bucketMs) + 1, levelMs };
}

/**
 * A native addon built for another runtime fails with Node's "compiled against a different Node.js version
 * using NODE_MODULE_VERSION X … requires NODE_MODULE_VERSION Y": say which runtime wants which build and
 * what rebuilds it, instead of a crash the operator cannot act on. Other errors pass unchanged.
 */
export function explainNativeLoadError(error: Error): string {
  const m = /NODE_MODULE_VERSION (\d+)[\s\S]*?NODE_MODULE_VERSION (\d+)/.exec(error.message);
  if (!m) return error.message;
  const runtime = process.versions['electron'] ? `Electron ${process.versions['electron']}` : `Node.js ${process.versions.node}`;
  const fix = process.versions['electron']
    ? '`npm start` builds it for Electron (out/native/); an installer built by `npm run dist` carries its own'
    : 'run `npm rebuild better-sqlite3` (a checkout where `npm start` ran keeps the Electron build apart, in out/native/)';
  return `better-sqlite3's native addon was built for another runtime (ABI ${m[1]}) but ${runtime} needs ABI ${m[2]}: ${fix}. (${error.message.split('\n')[0]})`;
}

/**
 * The history file is damaged (not a database, or a malformed one): SQLite cannot read it. The host moves
 * it aside and starts a new one (never resets it in place), and says so; see `main/services/host-services.ts`.
 * Another application's database or a newer schema is not this error: those are refused, never moved.
 */
export class HistoryDamagedError extends Error {
  constructor(
    readonly file: string,
    reason: string,
    cause: unknown,
  ) {
    super(`history file ${file} cannot be used: ${reason}`, { cause });
    this.name = 'HistoryDamagedError';
  }
}

export class SqliteHistoryStore implements HistoryStore {
  private readonly db: Database.Database;
  private readonly seriesIds = new Map<string, number>();
  private pointBuffer: BufferedPoint[] = [];
  private eventBuffer: BufferedEvent[] = [];
  private forecastBuffer: BufferedForecast[] = [];
  private retention: RetentionDays = { ...DEFAULT_RETENTION_DAYS };
  private readonly timerHandle: { stop(): void };
  private closed = false;

  private readonly statements: ReturnType<SqliteHistoryStore['prepareStatements']>;
  private readonly commitBuffers: (points: BufferedPoint[], events: BufferedEvent[], forecasts: BufferedForecast[], newIds: Map<string, number>) => void;

  /** Opens the file; see `openHistoryStore`. */
  static open(opts: OpenHistoryStoreOptions): SqliteHistoryStore {
    const flushIntervalMs = opts.flushIntervalMs ?? MAX_FLUSH_INTERVAL_MS;
    if (!(flushIntervalMs > 0 && flushIntervalMs <= MAX_FLUSH_INTERVAL_MS)) {
      throw new Error(`openHistoryStore: flushIntervalMs must be in (0, ${MAX_FLUSH_INTERVAL_MS}] so at most a second is lost in a crash, got ${flushIntervalMs}`);
    }
    const file = opts.file === ':memory:' ? ':memory:' : resolve(opts.file);
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    let db: Database.Database;
    try {
      db = new Database(file, opts.nativeBinding ? { nativeBinding: opts.nativeBinding } : {});
    } catch (error) {
      throw new Error(`history file ${file} cannot be opened: ${explainNativeLoadError(error as Error)}`, { cause: error });
    }
    try {
      SqliteHistoryStore.configure(db, file);
      SqliteHistoryStore.migrate(db, file);
    } catch (error) {
      db.close();
      throw error;
    }
    return new SqliteHistoryStore(db, flushIntervalMs, opts.timer ?? unrefIntervalTimer, opts.maxBufferedRows ?? DEFAULT_MAX_BUFFERED_ROWS);
  }

  private static configure(db: Database.Database, file: string): void {
    try {
      // Reading the header first turns "not a database" into an error here, not in the middle of a run.
      const applicationId = db.pragma('application_id', { simple: true }) as number;
      const tableCount = (db.prepare("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table'").get() as { n: number }).n;
      if (applicationId !== HISTORY_APPLICATION_ID && !(applicationId === 0 && tableCount === 0)) {
        throw new Error('it is another SQLite database, not a Local Flex Controller history file');
      }
      if (file !== ':memory:' && tableCount > 0) {
        const bytes = statSync(file).size;
        if (bytes <= QUICK_CHECK_MAX_BYTES) {
          const verdict = String(db.pragma('quick_check(1)', { simple: true }));
          if (verdict !== 'ok') throw Object.assign(new Error(`database disk image is malformed (quick_check: ${verdict.replace(/\s*\n\s*/g, ' ')})`), { code: 'SQLITE_CORRUPT' });
        } else {
          console.warn(`[history] ${file} (${Math.round(bytes / 1024 / 1024)} MiB) opened without quick_check (above ${QUICK_CHECK_MAX_BYTES / 1024 / 1024} MiB)`);
        }
      }
      if (file !== ':memory:') db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      db.pragma('foreign_keys = ON');
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') throw new HistoryDamagedError(file, (error as Error).message, error);
      throw new Error(`history file ${file} cannot be used: ${(error as Error).message}`, { cause: error });
    }
  }

  private static migrate(db: Database.Database, file: string): void {
    db.exec('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_ms INTEGER NOT NULL, description TEXT NOT NULL)');
    const current = (db.prepare('SELECT max(version) AS v FROM schema_version').get() as { v: number | null }).v ?? 0;
    if (current > SCHEMA_VERSION) {
      throw new Error(`history file ${file} has schema version ${current}, written by a newer app (this one knows up to ${SCHEMA_VERSION}); update the app or choose another data folder`);
    }
    const record = db.prepare('INSERT INTO schema_version (version, applied_ms, description) VALUES (?, ?, ?)');
    for (const migration of MIGRATIONS) {
      if (migration.version <= current) continue;
      db.transaction(() => {
        db.exec(migration.sql);
        record.run(migration.version, Date.now(), migration.description);
        db.pragma(`application_id = ${HISTORY_APPLICATION_ID}`);
      })();
    }
  }

  private constructor(db: Database.Database, flushIntervalMs: number, timer: FlushTimer, private readonly maxBufferedRows: number) {
    this.db = db;
    this.statements = this.prepareStatements();
    for (const row of this.statements.allSeries.all() as Array<{ id: number; name: string }>) this.seriesIds.set(row.name, row.id);
    this.commitBuffers = db.transaction((points: BufferedPoint[], events: BufferedEvent[], forecasts: BufferedForecast[], newIds: Map<string, number>) => {
      const { insertPointIfNew, replacePoint, addToRollup, insertEvent, upsertForecast } = this.statements;
      const finestLevelMs = ROLLUP_LEVELS_MS[0];
      const replaced = new Map<number, Set<number>>();
      for (const p of points) {
        const seriesKey = this.seriesKeyInTransaction(p.seriesId, newIds);
        if (insertPointIfNew.run(seriesKey, p.timeMs, p.value).changes === 1) {
          // The common case, a new point: add it to each level's bucket (one upsert, no read of the points).
          const finite = p.value === null ? 0 : 1;
          for (const levelMs of ROLLUP_LEVELS_MS) {
            addToRollup.run({ levelMs, seriesKey, bucketMs: Math.floor(p.timeMs / levelMs) * levelMs, value: p.value, count: finite, nanCount: 1 - finite });
          }
        } else {
          // A re-sent point replaces the stored value; its buckets can only be recomputed, not adjusted.
          replacePoint.run(p.value, seriesKey, p.timeMs);
          let buckets = replaced.get(seriesKey);
          if (!buckets) replaced.set(seriesKey, (buckets = new Set()));
          buckets.add(Math.floor(p.timeMs / finestLevelMs) * finestLevelMs);
        }
      }
      this.recomputeRollups(replaced);
      for (const f of forecasts) upsertForecast.run(this.seriesKeyInTransaction(f.seriesId, newIds), f.issuedMs, f.timeMs, f.value);
      for (const e of events) insertEvent.run(e.timeMs, e.type, e.level, e.message, e.runId, e.assetId, e.data);
    });
    this.timerHandle = timer.start(flushIntervalMs, () => this.flushFromTimer());
  }

  private prepareStatements() {
    const db = this.db;
    return {
      allSeries: db.prepare('SELECT id, name FROM series'),
      insertSeries: db.prepare('INSERT INTO series (name) VALUES (?) RETURNING id'),
      listSeries: db.prepare('SELECT name FROM series ORDER BY name').pluck(),
      insertPointIfNew: db.prepare('INSERT INTO points (series_id, time_ms, value) VALUES (?, ?, ?) ON CONFLICT (series_id, time_ms) DO NOTHING'),
      replacePoint: db.prepare('UPDATE points SET value = ? WHERE series_id = ? AND time_ms = ?'),
      // SQLite's two-argument min()/max() return NULL if either is NULL (a NaN point): coalesce keeps the finite one.
      addToRollup: db.prepare(`
        INSERT INTO rollups (level_ms, series_id, bucket_ms, min, max, sum, count, nan_count)
        VALUES (@levelMs, @seriesKey, @bucketMs, @value, @value, @value, @count, @nanCount)
        ON CONFLICT (level_ms, series_id, bucket_ms) DO UPDATE SET
          min = min(coalesce(min, excluded.min), coalesce(excluded.min, min)),
          max = max(coalesce(max, excluded.max), coalesce(excluded.max, max)),
          sum = CASE WHEN sum IS NULL THEN excluded.sum WHEN excluded.sum IS NULL THEN sum ELSE sum + excluded.sum END,
          count = count + excluded.count,
          nan_count = nan_count + excluded.nan_count`),
      upsertForecast: db.prepare(
        'INSERT INTO forecasts (series_id, issued_ms, time_ms, value) VALUES (?, ?, ?, ?) ON CONFLICT (series_id, issued_ms, time_ms) DO UPDATE SET value = excluded.value',
      ),
      insertEvent: db.prepare('INSERT INTO events (time_ms, type, level, message, run_id, asset_id, data) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      upsertRun: db.prepare(`
        INSERT INTO runs (run_id, session_id, scenario, controller, use_case, start_ms, end_ms, end_reason, trigger, kpis, app_version, config_version)
        VALUES (@runId, @sessionId, @scenario, @controller, @useCase, @startMs, @endMs, @endReason, @trigger, @kpis, @appVersion, @configVersion)
        ON CONFLICT (run_id) DO UPDATE SET
          session_id = excluded.session_id, scenario = excluded.scenario, controller = excluded.controller,
          use_case = excluded.use_case, start_ms = excluded.start_ms, end_ms = excluded.end_ms,
          end_reason = excluded.end_reason, trigger = excluded.trigger, kpis = excluded.kpis,
          app_version = excluded.app_version, config_version = excluded.config_version`),
      getRun: db.prepare('SELECT * FROM runs WHERE run_id = ?'),
      listRuns: db.prepare('SELECT * FROM runs WHERE start_ms < ? ORDER BY start_ms DESC, run_id DESC LIMIT ?'),
      // Bucket index from the range start; integer division because every operand is an integer.
      decimate: db.prepare(`
        SELECT CAST((time_ms - @fromMs) / @bucketMs AS INTEGER) AS bucket,
               min(value) AS min, max(value) AS max, avg(value) AS mean,
               count(value) AS count, count(*) - count(value) AS nanCount
        FROM points
        WHERE series_id = @seriesKey AND time_ms >= @fromMs AND time_ms <= @toMs
        GROUP BY bucket`),
      raw: db.prepare('SELECT time_ms, value FROM points WHERE series_id = ? AND time_ms >= ? AND time_ms <= ? ORDER BY time_ms').raw(),
      latestIssue: db.prepare('SELECT max(issued_ms) FROM forecasts WHERE series_id = ? AND issued_ms <= ?').pluck(),
      forecastValues: db.prepare('SELECT time_ms, value FROM forecasts WHERE series_id = ? AND issued_ms = ? ORDER BY time_ms').raw(),
      forecastIssues: db.prepare('SELECT DISTINCT issued_ms FROM forecasts WHERE series_id = ? AND issued_ms >= ? AND issued_ms <= ? ORDER BY issued_ms').pluck(),
      rollupFromPoints: db.prepare(`
        INSERT INTO rollups (level_ms, series_id, bucket_ms, min, max, sum, count, nan_count)
        SELECT @levelMs, @seriesKey, @bucketMs, min(value), max(value), sum(value), count(value), count(*) - count(value)
        FROM points WHERE series_id = @seriesKey AND time_ms >= @bucketMs AND time_ms < @endMs
        ON CONFLICT (level_ms, series_id, bucket_ms) DO UPDATE SET
          min = excluded.min, max = excluded.max, sum = excluded.sum, count = excluded.count, nan_count = excluded.nan_count`),
      rollupFromLevel: db.prepare(`
        INSERT INTO rollups (level_ms, series_id, bucket_ms, min, max, sum, count, nan_count)
        SELECT @levelMs, @seriesKey, @bucketMs, min(min), max(max), sum(sum), coalesce(sum(count), 0), coalesce(sum(nan_count), 0)
        FROM rollups WHERE level_ms = @lowerLevelMs AND series_id = @seriesKey AND bucket_ms >= @bucketMs AND bucket_ms < @endMs
        ON CONFLICT (level_ms, series_id, bucket_ms) DO UPDATE SET
          min = excluded.min, max = excluded.max, sum = excluded.sum, count = excluded.count, nan_count = excluded.nan_count`),
      decimateRollup: db.prepare(`
        SELECT CAST((bucket_ms - @fromMs) / @bucketMs AS INTEGER) AS bucket,
               min(min) AS min, max(max) AS max, sum(sum) / sum(count) AS mean,
               sum(count) AS count, sum(nan_count) AS nanCount
        FROM rollups
        WHERE level_ms = @levelMs AND series_id = @seriesKey AND bucket_ms >= @fromMs AND bucket_ms <= @toMs
        GROUP BY bucket`),
      prunePoints: db.prepare('DELETE FROM points WHERE series_id = ? AND time_ms < ?'),
      pruneRollups: db.prepare('DELETE FROM rollups WHERE level_ms = ? AND series_id = ? AND bucket_ms + level_ms <= ?'),
      pruneForecasts: db.prepare('DELETE FROM forecasts WHERE series_id = ? AND issued_ms < ?'),
      pruneEvents: db.prepare('DELETE FROM events WHERE time_ms < ?'),
    };
  }

  /**
   * Recomputes, level by level, every rollup bucket that contains a touched finest-level bucket (after a
   * point was replaced or pruned). Runs inside the caller's transaction; each recompute reads at most a few
   * dozen rows.
   */
  private recomputeRollups(touchedFinest: Map<number, Set<number>>): void {
    let touched = touchedFinest;
    ROLLUP_LEVELS_MS.forEach((levelMs, index) => {
      const lowerLevelMs = index === 0 ? null : ROLLUP_LEVELS_MS[index - 1]!;
      const next = new Map<number, Set<number>>();
      for (const [seriesKey, buckets] of touched) {
        const parents = new Set<number>();
        for (const lowerBucketMs of buckets) parents.add(Math.floor(lowerBucketMs / levelMs) * levelMs);
        for (const bucketMs of parents) {
          const params = { levelMs, seriesKey, bucketMs, endMs: bucketMs + levelMs };
          if (lowerLevelMs === null) this.statements.rollupFromPoints.run(params);
          else this.statements.rollupFromLevel.run({ ...params, lowerLevelMs });
        }
        next.set(seriesKey, parents);
      }
      touched = next;
    });
  }

  private seriesKeyInTransaction(name: string, newIds: Map<string, number>): number {
    const known = this.seriesIds.get(name) ?? newIds.get(name);
    if (known !== undefined) return known;
    const id = (this.statements.insertSeries.get(name) as { id: number }).id;
    newIds.set(name, id);
    return id;
  }

  private assertOpen(method: string): void {
    if (this.closed) throw new Error(`history store: ${method} called after close()`);
  }

  private bufferedRowCount(): number {
    return this.pointBuffer.length + this.eventBuffer.length + this.forecastBuffer.length;
  }

  private flushIfFull(): void {
    if (this.bufferedRowCount() >= this.maxBufferedRows) this.flush();
  }

  appendPoints(points: readonly SeriesPoint[]): void {
    this.assertOpen('appendPoints');
    // Validate the whole batch first: a bad point rejects the batch with a clear error and buffers nothing of it.
    const rows: BufferedPoint[] = new Array<BufferedPoint>(points.length);
    for (let i = 0; i < points.length; i++) {
      const p = points[i]!;
      const where = () => `appendPoints: point ${i} (series ${JSON.stringify(p.seriesId)})`;
      if (typeof p.seriesId !== 'string' || p.seriesId.length === 0) throw new Error(`appendPoints: point ${i} has no seriesId`);
      rows[i] = { seriesId: p.seriesId, timeMs: Math.round(requireFinite(p.timeMs, () => `${where()} timeMs`)), value: storedValue(p.value, () => `${where()} value`) };
    }
    for (const row of rows) this.pointBuffer.push(row);
    this.flushIfFull();
  }

  appendEvents(events: readonly StoredEvent[]): void {
    this.assertOpen('appendEvents');
    const rows: BufferedEvent[] = events.map((e, i) => {
      const where = `appendEvents: event ${i} (${JSON.stringify(e.type)})`;
      requireFinite(e.timeMs, () => `${where} timeMs`);
      if (typeof e.type !== 'string' || e.type.length === 0) throw new Error(`appendEvents: event ${i} has no type`);
      if (!EVENT_LEVELS.has(e.level)) throw new Error(`${where} level must be info, warning or error, got ${String(e.level)}`);
      if (typeof e.message !== 'string') throw new Error(`${where} message must be a string`);
      let data: string | null = null;
      if (e.data !== undefined) {
        try {
          data = JSON.stringify(e.data);
        } catch (error) {
          throw new Error(`${where} data cannot be stored as JSON: ${(error as Error).message}`, { cause: error });
        }
      }
      return { timeMs: e.timeMs, type: e.type, level: e.level, message: e.message, runId: e.runId ?? null, assetId: e.assetId ?? null, data };
    });
    for (const row of rows) this.eventBuffer.push(row);
    this.flushIfFull();
  }

  appendForecasts(points: readonly ForecastPoint[]): void {
    this.assertOpen('appendForecasts');
    const rows: BufferedForecast[] = points.map((p, i) => {
      const where = () => `appendForecasts: point ${i} (series ${JSON.stringify(p.seriesId)})`;
      if (typeof p.seriesId !== 'string' || p.seriesId.length === 0) throw new Error(`appendForecasts: point ${i} has no seriesId`);
      return {
        seriesId: p.seriesId,
        issuedMs: Math.round(requireFinite(p.issuedMs, () => `${where()} issuedMs`)),
        timeMs: Math.round(requireFinite(p.timeMs, () => `${where()} timeMs`)),
        value: storedValue(p.value, () => `${where()} value`),
      };
    });
    for (const row of rows) this.forecastBuffer.push(row);
    this.flushIfFull();
  }

  saveRun(run: StoredRun): void {
    this.assertOpen('saveRun');
    const parsed = runSchema.safeParse(run);
    if (!parsed.success) throw new Error(`saveRun: run ${JSON.stringify(run?.runId)} is invalid: ${z.prettifyError(parsed.error)}`);
    const r = parsed.data;
    this.statements.upsertRun.run({ ...r, trigger: JSON.stringify(r.trigger), kpis: r.kpis === null ? null : JSON.stringify(r.kpis) });
  }

  private runFromRow(row: RunRow): StoredRun {
    return {
      runId: row.run_id,
      sessionId: row.session_id,
      scenario: row.scenario,
      controller: row.controller,
      useCase: row.use_case,
      startMs: row.start_ms,
      endMs: row.end_ms,
      endReason: row.end_reason,
      trigger: parseJsonColumn(row.trigger, `run ${row.run_id} trigger`),
      kpis: row.kpis === null ? null : parseJsonColumn(row.kpis, `run ${row.run_id} kpis`),
      appVersion: row.app_version,
      configVersion: row.config_version,
    };
  }

  listRuns(opts: { limit?: number; beforeMs?: number } = {}): StoredRun[] {
    this.assertOpen('listRuns');
    const limit = opts.limit ?? 100;
    if (!Number.isInteger(limit) || limit < 0) throw new Error(`listRuns: limit must be a non-negative integer, got ${limit}`);
    const beforeMs = opts.beforeMs ?? Number.MAX_SAFE_INTEGER;
    return (this.statements.listRuns.all(beforeMs, limit) as RunRow[]).map((row) => this.runFromRow(row));
  }

  getRun(runId: string): StoredRun | null {
    this.assertOpen('getRun');
    const row = this.statements.getRun.get(runId) as RunRow | undefined;
    return row ? this.runFromRow(row) : null;
  }

  listSeries(): string[] {
    this.assertOpen('listSeries');
    this.flush();
    return this.statements.listSeries.all() as string[];
  }

  querySeries(seriesId: string, fromMs: number, toMs: number, maxBuckets: number): DecimatedSeries {
    this.assertOpen('querySeries');
    requireRange('querySeries', fromMs, toMs);
    if (!Number.isInteger(maxBuckets) || maxBuckets < 1) throw new Error(`querySeries: maxBuckets must be a positive integer, got ${maxBuckets}`);
    this.flush();
    const plan = planBuckets(Math.floor(fromMs), Math.floor(toMs), maxBuckets);
    const { from, to, bucketMs, bucketCount, levelMs } = plan;
    const result: DecimatedSeries = {
      seriesId,
      fromMs: from,
      toMs: to,
      bucketMs,
      timeMs: new Float64Array(bucketCount),
      min: new Float64Array(bucketCount).fill(Number.NaN),
      max: new Float64Array(bucketCount).fill(Number.NaN),
      mean: new Float64Array(bucketCount).fill(Number.NaN),
      count: new Uint32Array(bucketCount),
      nanCount: new Uint32Array(bucketCount),
    };
    for (let i = 0; i < bucketCount; i++) result.timeMs[i] = from + i * bucketMs;
    const seriesKey = this.seriesIds.get(seriesId);
    if (seriesKey === undefined) return result;
    const rows =
      levelMs === null
        ? this.statements.decimate.iterate({ seriesKey, fromMs: from, toMs: to, bucketMs })
        : this.statements.decimateRollup.iterate({ seriesKey, fromMs: from, toMs: to, bucketMs, levelMs });
    for (const row of rows as IterableIterator<BucketRow>) {
      const i = row.bucket;
      result.min[i] = row.min ?? Number.NaN;
      result.max[i] = row.max ?? Number.NaN;
      result.mean[i] = row.mean ?? Number.NaN;
      result.count[i] = row.count;
      result.nanCount[i] = row.nanCount;
    }
    return result;
  }

  queryRaw(seriesId: string, fromMs: number, toMs: number): { timeMs: Float64Array; value: Float64Array } {
    this.assertOpen('queryRaw');
    requireRange('queryRaw', fromMs, toMs);
    this.flush();
    const seriesKey = this.seriesIds.get(seriesId);
    if (seriesKey === undefined) return { timeMs: new Float64Array(0), value: new Float64Array(0) };
    const rows = this.statements.raw.all(seriesKey, fromMs, toMs) as Array<[number, number | null]>;
    const timeMs = new Float64Array(rows.length);
    const value = new Float64Array(rows.length);
    rows.forEach(([t, v], i) => {
      timeMs[i] = t;
      value[i] = v ?? Number.NaN;
    });
    return { timeMs, value };
  }

  events(fromMs: number, toMs: number, opts: { types?: string[]; runId?: string } = {}): StoredEvent[] {
    this.assertOpen('events');
    requireRange('events', fromMs, toMs);
    this.flush();
    const where = ['time_ms >= ?', 'time_ms <= ?'];
    const params: Array<string | number> = [fromMs, toMs];
    if (opts.runId !== undefined) {
      where.push('run_id = ?');
      params.push(opts.runId);
    }
    if (opts.types !== undefined) {
      if (opts.types.length === 0) return [];
      where.push(`type IN (${opts.types.map(() => '?').join(', ')})`);
      params.push(...opts.types);
    }
    const rows = this.db.prepare(`SELECT time_ms, type, level, message, run_id, asset_id, data FROM events WHERE ${where.join(' AND ')} ORDER BY time_ms, id`).all(...params) as EventRow[];
    return rows.map((row) => {
      const event: StoredEvent = { timeMs: row.time_ms, type: row.type, level: row.level, message: row.message, runId: row.run_id };
      if (row.asset_id !== null) event.assetId = row.asset_id;
      if (row.data !== null) event.data = parseJsonColumn(row.data, `event ${row.type} at ${row.time_ms} data`);
      return event;
    });
  }

  latestForecast(seriesId: string, issuedAtOrBeforeMs: number): StoredForecast | null {
    this.assertOpen('latestForecast');
    requireFinite(issuedAtOrBeforeMs, () => 'latestForecast: issuedAtOrBeforeMs');
    this.flush();
    const seriesKey = this.seriesIds.get(seriesId);
    if (seriesKey === undefined) return null;
    const issuedMs = this.statements.latestIssue.get(seriesKey, issuedAtOrBeforeMs) as number | null;
    if (issuedMs === null) return null;
    const rows = this.statements.forecastValues.all(seriesKey, issuedMs) as Array<[number, number | null]>;
    return {
      seriesId,
      issuedMs,
      timeMs: Float64Array.from(rows, ([t]) => t),
      value: Float64Array.from(rows, ([, v]) => v ?? Number.NaN),
    };
  }

  listForecastIssues(seriesId: string, fromMs: number, toMs: number): number[] {
    this.assertOpen('listForecastIssues');
    requireRange('listForecastIssues', fromMs, toMs);
    this.flush();
    const seriesKey = this.seriesIds.get(seriesId);
    return seriesKey === undefined ? [] : (this.statements.forecastIssues.all(seriesKey, fromMs, toMs) as number[]);
  }

  setRetention(days: RetentionDays): void {
    const parsed = retentionSchema.safeParse(days);
    if (!parsed.success) throw new Error(`setRetention: ${z.prettifyError(parsed.error)}`);
    this.retention = { ...parsed.data };
  }

  getRetention(): RetentionDays {
    return { ...this.retention };
  }

  prune(nowMs: number): { points: number; events: number } {
    this.assertOpen('prune');
    requireFinite(nowMs, () => 'prune: nowMs');
    this.flush();
    const pointsBeforeMs = nowMs - this.retention.measurements * DAY_MS;
    const eventsBeforeMs = nowMs - this.retention.events * DAY_MS;
    return this.db.transaction(() => {
      let points = 0;
      // Per series, so each delete is a range scan of the (series, time) key rather than a full scan.
      const boundaryBuckets = new Map<number, Set<number>>();
      for (const seriesKey of this.seriesIds.values()) {
        points += this.statements.prunePoints.run(seriesKey, pointsBeforeMs).changes;
        this.statements.pruneForecasts.run(seriesKey, pointsBeforeMs);
        for (const levelMs of ROLLUP_LEVELS_MS) this.statements.pruneRollups.run(levelMs, seriesKey, pointsBeforeMs);
        boundaryBuckets.set(seriesKey, new Set([Math.floor(pointsBeforeMs / ROLLUP_LEVELS_MS[0]) * ROLLUP_LEVELS_MS[0]]));
      }
      // The buckets that straddle the cut lost some of their points: recompute them.
      this.recomputeRollups(boundaryBuckets);
      const events = this.statements.pruneEvents.run(eventsBeforeMs).changes;
      return { points, events };
    })();
  }

  flush(): void {
    this.assertOpen('flush');
    if (this.bufferedRowCount() === 0) return;
    const points = this.pointBuffer;
    const events = this.eventBuffer;
    const forecasts = this.forecastBuffer;
    const newIds = new Map<string, number>();
    // On failure the transaction rolls back and the buffers stay as they were: nothing is lost, the next flush retries.
    this.commitBuffers(points, events, forecasts, newIds);
    for (const [name, id] of newIds) this.seriesIds.set(name, id);
    this.pointBuffer = [];
    this.eventBuffer = [];
    this.forecastBuffer = [];
  }

  private flushFromTimer(): void {
    if (this.closed) return;
    try {
      this.flush();
    } catch (error) {
      // A timer cannot throw to anyone; the data stays buffered and the next append or flush reports the error.
      console.error('[history] periodic flush failed, keeping the data buffered:', error);
    }
  }

  close(): void {
    if (this.closed) return;
    try {
      this.flush();
    } finally {
      this.closed = true;
      this.timerHandle.stop();
      this.db.close();
    }
  }
}
