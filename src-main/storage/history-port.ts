/**
 * The history's port: what a history store is (`HistoryStore`) and the shapes it keeps, apart from any
 * implementation, so that the SQLite store (`sqlite-history-store.ts`) and a server database later implement
 * it without importing the factory that chooses between them (`history-store.ts`): no circle between them.
 *
 * Conventions: times are Unix epoch milliseconds (stored to the whole millisecond), ranges are inclusive at both ends (`fromMs ≤ t ≤ toMs`),
 * powers follow the load-frame sign convention of `engine/model.ts`. A value that was NaN when it was
 * appended is stored (as SQL NULL) and read back as NaN: a gap in the data stays visible as a gap.
 */
import type { RunDto, StoredEventDto } from '../shared/ipc-contract';

/** Starts the periodic flush; returns how to stop it. Injected so tests can leap time. */
export interface FlushTimer {
  start(intervalMs: number, tick: () => void): { stop(): void };
}

/** One sample of one series, e.g. `{ seriesId: 'breaker.measuredKw', timeMs, value: -212.4 }`. */
export interface SeriesPoint {
  seriesId: string;
  timeMs: number;
  value: number;
}

/**
 * One series reduced to buckets of `bucketMs` (one bucket per chart pixel), computed in SQL. The arrays
 * are dense: bucket `i` covers `[timeMs[i], timeMs[i] + bucketMs)`, and a bucket with no finite value has
 * `count` 0 and NaN for min, max and mean, so a chart can break its line there.
 *
 * Buckets shorter than 10 s are computed from the points and start exactly at `fromMs`. Wider buckets are
 * summed from stored rollups (10 s, 1 min, 15 min): they are whole multiples of the rollup level, `fromMs`
 * is rounded down to its boundary, and the last bucket may take in points up to one level after `toMs`.
 * That is invisible on a chart and keeps a 7-day query at a few thousand rows.
 */
export interface DecimatedSeries {
  seriesId: string;
  fromMs: number;
  toMs: number;
  bucketMs: number;
  /** Start of each bucket. */
  timeMs: Float64Array;
  min: Float64Array;
  max: Float64Array;
  mean: Float64Array;
  /** Finite (non-NaN) values in the bucket. */
  count: Uint32Array;
  /** Stored NaN values in the bucket (a sensor that delivered bad data), so they are not mistaken for no data. */
  nanCount: Uint32Array;
}

export type StoredEventLevel = StoredEventDto['level'];

/** An engine event as stored; the same shape the console receives (`shared/ipc-contract.ts`). */
export type StoredEvent = StoredEventDto;

/**
 * The record of one use-case run (KPI.md "Where they go"): trigger as received, end, KPIs, versions. The
 * same shape the console receives (`RunDto`): one definition, in the contract the renderer may import.
 */
export type StoredRun = RunDto;

/** One value of a forecast issued at `issuedMs` for time `timeMs` (e.g. `pv.powerKw`). */
export interface ForecastPoint {
  issuedMs: number;
  seriesId: string;
  timeMs: number;
  value: number;
}

/** One issued forecast of one series, ordered by time. */
export interface StoredForecast {
  seriesId: string;
  issuedMs: number;
  timeMs: Float64Array;
  value: Float64Array;
}

export interface RetentionDays {
  /** Series points and forecasts older than this are deleted by `prune`. */
  measurements: number;
  /** Events older than this are deleted by `prune`. Runs are never pruned: they are small and are the proof. */
  events: number;
}

export interface HistoryStore {
  /** Buffers the points; they are committed by the next flush (at least every second). NaN is stored as NULL, never dropped. */
  appendPoints(points: readonly SeriesPoint[]): void;
  /** Buffers the events; committed together with the points. */
  appendEvents(events: readonly StoredEvent[]): void;
  /** Inserts or updates by runId, committed at once. */
  saveRun(run: StoredRun): void;
  /** Newest first (by startMs); `beforeMs` pages backwards: only runs with startMs < beforeMs. */
  listRuns(opts?: { limit?: number; beforeMs?: number }): StoredRun[];
  getRun(runId: string): StoredRun | null;
  /** Every series id ever stored, sorted. */
  listSeries(): string[];
  /** min/max/mean per bucket, at most `maxBuckets` buckets, computed in SQL. */
  querySeries(seriesId: string, fromMs: number, toMs: number, maxBuckets: number): DecimatedSeries;
  queryRaw(seriesId: string, fromMs: number, toMs: number): { timeMs: Float64Array; value: Float64Array };
  /** Events in time order; `types` and `runId` narrow the result. */
  events(fromMs: number, toMs: number, opts?: { types?: string[]; runId?: string }): StoredEvent[];
  /** Buffers forecast values; committed with the next flush. Re-sending the same (issuedMs, series, time) replaces the value. */
  appendForecasts(points: readonly ForecastPoint[]): void;
  /** The latest forecast of a series issued at or before `issuedAtOrBeforeMs`, or null. */
  latestForecast(seriesId: string, issuedAtOrBeforeMs: number): StoredForecast | null;
  /** Issue times of the forecasts of a series within the range, ascending. */
  listForecastIssues(seriesId: string, fromMs: number, toMs: number): number[];
  /** Sets how long data is kept; applied by `prune`. */
  setRetention(days: RetentionDays): void;
  getRetention(): RetentionDays;
  /** Deletes points, forecasts and events older than the retention; returns how many rows went. */
  prune(nowMs: number): { points: number; events: number };
  /** Commits what is buffered. */
  flush(): void;
  /** Flushes, stops the timer and closes the file. Any later call throws. */
  close(): void;
}

export interface OpenHistoryStoreOptions {
  /** The SQLite file (its folder is created), or ':memory:' for tests. */
  file: string | ':memory:';
  /** How often buffered data is committed; at most 1000 ms (the crash-safety promise), default 1000. */
  flushIntervalMs?: number;
  /**
   * better-sqlite3's compiled addon to load instead of its own (`build/Release/better_sqlite3.node`): the
   * desktop app started from a checkout passes the one `npm start` built for Electron's ABI
   * (`scripts/native-for-electron.mjs`), so the Node build the tests use stays as it is.
   */
  nativeBinding?: string;
  /** The flush timer; defaults to an unref'd `setInterval`, tests pass a manual one to leap time. */
  timer?: FlushTimer;
  /** Buffered rows that trigger an immediate flush, bounding memory; default 20,000. */
  maxBufferedRows?: number;
}

/** Default retention: a month of full-resolution measurements (the bench reports the size per day), a year of events. */
export const DEFAULT_RETENTION_DAYS: RetentionDays = { measurements: 31, events: 366 };
