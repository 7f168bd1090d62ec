import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import Database from 'better-sqlite3';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { defaultHistoryFile, openHistoryStore } from '../../../src-main/storage/history-store';
import type { FlushTimer, HistoryStore, SeriesPoint, StoredRun } from '../../../src-main/storage/history-store';
import { explainNativeLoadError, HISTORY_APPLICATION_ID, MIGRATIONS, planBuckets, ROLLUP_LEVELS_MS, SCHEMA_VERSION } from '../../../src-main/storage/sqlite-history-store';

const T0 = Date.UTC(2025, 5, 1, 12);
const DAY_MS = 86_400_000;

/** A flush timer the test ticks by hand, to leap time instead of sleeping. */
function manualTimer(): FlushTimer & { tick(): void; intervalMs: number | null; stopped: boolean } {
  let tickFn: (() => void) | null = null;
  const timer = {
    intervalMs: null as number | null,
    stopped: false,
    start(intervalMs: number, tick: () => void) {
      timer.intervalMs = intervalMs;
      tickFn = tick;
      return { stop: () => (timer.stopped = true) };
    },
    tick: () => tickFn?.(),
  };
  return timer;
}

/** Deterministic pseudo-random numbers (mulberry32), so a failing case can be replayed. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The reference decimation, computed in JS from the points as they were appended (last value wins). */
function referenceBuckets(points: SeriesPoint[], seriesId: string, from: number, bucketMs: number, bucketCount: number, lastIncludedMs: number) {
  const latest = new Map<number, number>();
  // SQLite stores -0 as 0, which is the same power.
  for (const p of points) if (p.seriesId === seriesId) latest.set(p.timeMs, p.value === 0 ? 0 : p.value);
  const buckets = Array.from({ length: bucketCount }, () => ({ min: NaN, max: NaN, sum: 0, count: 0, nanCount: 0 }));
  for (const [t, v] of latest) {
    if (t < from || t > lastIncludedMs) continue;
    const b = buckets[Math.floor((t - from) / bucketMs)];
    if (!b) continue;
    if (Number.isNaN(v)) {
      b.nanCount++;
      continue;
    }
    b.min = b.count === 0 ? v : Math.min(b.min, v);
    b.max = b.count === 0 ? v : Math.max(b.max, v);
    b.sum += v;
    b.count++;
  }
  return buckets;
}

describe('SqliteHistoryStore', () => {
  let dir: string;
  let store: HistoryStore | null = null;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lfc-history-'));
  });
  afterEach(() => {
    try {
      store?.close();
    } catch {
      // a test may have closed it already
    }
    store = null;
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps appends in memory until the flush timer ticks, then commits them in one go', () => {
    const file = join(dir, 'h.sqlite3');
    const timer = manualTimer();
    store = openHistoryStore({ file, timer });
    expect(timer.intervalMs).toBe(1000);
    store.appendPoints([
      { seriesId: 'breaker.measuredKw', timeMs: T0, value: -210.5 },
      { seriesId: 'bess.socPct', timeMs: T0, value: 55 },
    ]);
    const reader = new Database(file, { readonly: true });
    const committedPoints = () => (reader.prepare('SELECT count(*) AS n FROM points').get() as { n: number }).n;
    expect(committedPoints()).toBe(0);
    timer.tick();
    expect(committedPoints()).toBe(2);
    reader.close();
    store.close();
    expect(timer.stopped).toBe(true);
    store = null;
  });

  it('refuses a flush interval longer than a second, which would break the crash-safety promise', () => {
    expect(() => openHistoryStore({ file: ':memory:', flushIntervalMs: 5000 })).toThrow(/at most a second/);
  });

  it('stores NaN as NULL and reads it back as NaN, never dropping it', () => {
    store = openHistoryStore({ file: ':memory:', timer: manualTimer() });
    store.appendPoints([
      { seriesId: 'breaker.measuredKw', timeMs: T0, value: 1 },
      { seriesId: 'breaker.measuredKw', timeMs: T0 + 1000, value: NaN },
      { seriesId: 'breaker.measuredKw', timeMs: T0 + 2000, value: 3 },
    ]);
    const raw = store.queryRaw('breaker.measuredKw', T0, T0 + 2000);
    expect(Array.from(raw.timeMs)).toEqual([T0, T0 + 1000, T0 + 2000]);
    expect(Array.from(raw.value)).toEqual([1, NaN, 3]);
    const decimated = store.querySeries('breaker.measuredKw', T0, T0 + 2000, 1);
    expect(decimated.count[0]).toBe(2);
    expect(decimated.nanCount[0]).toBe(1);
    expect(decimated.mean[0]).toBe(2);
  });

  it('rejects a bad batch whole, with an error that says which point and why', () => {
    store = openHistoryStore({ file: ':memory:', timer: manualTimer() });
    expect(() =>
      store!.appendPoints([
        { seriesId: 'a', timeMs: T0, value: 1 },
        { seriesId: 'b', timeMs: NaN, value: 1 },
      ]),
    ).toThrow(/point 1 \(series "b"\) timeMs must be a finite number/);
    expect(() => store!.appendPoints([{ seriesId: 'a', timeMs: T0, value: 'x' as unknown as number }])).toThrow(/value must be a number/);
    expect(store.listSeries()).toEqual([]);
  });

  it('decimates the points exactly when buckets are shorter than the finest rollup', () => {
    store = openHistoryStore({ file: ':memory:', timer: manualTimer() });
    const random = seededRandom(7);
    const points: SeriesPoint[] = [];
    for (let i = 0; i < 3000; i++) {
      const value = random() < 0.05 ? NaN : Math.round((random() - 0.5) * 4000) / 10;
      points.push({ seriesId: 'bess.powerKw', timeMs: T0 + i * 1000 + Math.floor(random() * 900), value });
      points.push({ seriesId: 'bess.socPct', timeMs: T0 + i * 1000, value: 50 });
    }
    store.appendPoints(points);
    const from = T0 + 12_345;
    const to = T0 + 2_500_000;
    const result = store.querySeries('bess.powerKw', from, to, 400);
    expect(result.bucketMs).toBeLessThan(ROLLUP_LEVELS_MS[0]);
    expect(result.timeMs.length).toBeLessThanOrEqual(400);
    expect(result.timeMs[0]).toBe(from);
    const expected = referenceBuckets(points, 'bess.powerKw', from, result.bucketMs, result.timeMs.length, to);
    expected.forEach((b, i) => {
      expect(result.count[i]).toBe(b.count);
      expect(result.nanCount[i]).toBe(b.nanCount);
      expect(result.min[i]).toBe(b.min);
      expect(result.max[i]).toBe(b.max);
      if (b.count > 0) expect(result.mean[i]).toBeCloseTo(b.sum / b.count, 9);
      else expect(result.mean[i]).toBeNaN();
    });
  });

  it('decimates wide ranges from the rollups with the same answer as the points, also after re-sent values', () => {
    const file = join(dir, 'rollups.sqlite3');
    store = openHistoryStore({ file, timer: manualTimer() });
    const random = seededRandom(11);
    const points: SeriesPoint[] = [];
    // Two days at 10 s with gaps and NaN, committed in many batches as the runtime would.
    for (let i = 0; i < 17_280; i++) {
      if (i % 997 < 30) continue;
      const value = random() < 0.02 ? NaN : Math.round((random() - 0.5) * 6000) / 10;
      points.push({ seriesId: 'breaker.measuredKw', timeMs: T0 + i * 10_000, value });
      if (points.length % 500 === 0) store.appendPoints(points.slice(-500));
    }
    store.appendPoints(points.slice(points.length - (points.length % 500)));
    store.flush();
    // Re-send some values: the stored value is replaced and every rollup level recomputed.
    const resent: SeriesPoint[] = [];
    for (let i = 0; i < 200; i++) {
      const original = points[Math.floor(random() * points.length)]!;
      resent.push({ ...original, value: random() < 0.3 ? NaN : 9999 - i });
    }
    store.appendPoints(resent);
    points.push(...resent);

    for (const [maxBuckets, expectedLevel] of [
      [2000, 60_000],
      [100, 900_000],
      [10_000, 10_000],
    ] as const) {
      const from = T0 + 3_600_123;
      const to = T0 + 2 * DAY_MS - 1;
      const result = store.querySeries('breaker.measuredKw', from, to, maxBuckets);
      expect(result.timeMs.length).toBeLessThanOrEqual(maxBuckets);
      expect(result.bucketMs % expectedLevel).toBe(0);
      expect(result.fromMs % expectedLevel).toBe(0);
      expect(result.fromMs).toBeLessThanOrEqual(from);
      const lastIncludedMs = Math.floor(to / expectedLevel) * expectedLevel + expectedLevel - 1;
      const expected = referenceBuckets(points, 'breaker.measuredKw', result.fromMs, result.bucketMs, result.timeMs.length, lastIncludedMs);
      expected.forEach((b, i) => {
        expect({ i, count: result.count[i], nan: result.nanCount[i], min: result.min[i], max: result.max[i] }).toEqual({ i, count: b.count, nan: b.nanCount, min: b.min, max: b.max });
        if (b.count > 0) expect(result.mean[i]).toBeCloseTo(b.sum / b.count, 6);
      });
    }
  });

  it('plans at most maxBuckets buckets that cover the whole range, for any range', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4e12 }), fc.integer({ min: 0, max: 400 * DAY_MS }), fc.integer({ min: 1, max: 5000 }), (fromMs, spanMs, maxBuckets) => {
        const plan = planBuckets(fromMs, fromMs + spanMs, maxBuckets);
        expect(plan.bucketCount).toBeGreaterThanOrEqual(1);
        expect(plan.bucketCount).toBeLessThanOrEqual(maxBuckets);
        expect(plan.from).toBeLessThanOrEqual(fromMs);
        expect(plan.from + plan.bucketCount * plan.bucketMs).toBeGreaterThan(fromMs + spanMs);
        if (plan.levelMs !== null) expect(plan.bucketMs % plan.levelMs).toBe(0);
      }),
    );
  });

  it('stores events and filters them by time, type and run', () => {
    store = openHistoryStore({ file: ':memory:', timer: manualTimer() });
    store.appendEvents([
      { timeMs: T0, type: 'trigger-received', level: 'info', message: 'UC2 -250 kW for 1 h', runId: 'run-1', data: { targetKw: -250 } },
      { timeMs: T0 + 5000, type: 'asset-lost', level: 'warning', message: 'hs-004 silent', runId: 'run-1', assetId: 'hs-004' },
      { timeMs: T0 + 9000, type: 'breaker-stale', level: 'error', message: 'no breaker sample for 30 s', runId: null },
    ]);
    expect(store.events(T0, T0 + 9000).map((e) => e.type)).toEqual(['trigger-received', 'asset-lost', 'breaker-stale']);
    expect(store.events(T0, T0 + 9000, { runId: 'run-1', types: ['asset-lost'] })).toEqual([
      { timeMs: T0 + 5000, type: 'asset-lost', level: 'warning', message: 'hs-004 silent', runId: 'run-1', assetId: 'hs-004' },
    ]);
    expect(store.events(T0, T0 + 1000)[0]!.data).toEqual({ targetKw: -250 });
    expect(store.events(T0 + 1, T0 + 8999, { types: [] })).toEqual([]);
    expect(() => store!.appendEvents([{ timeMs: T0, type: 'x', level: 'fatal' as 'error', message: '' }])).toThrow(/event 0 \("x"\) level must be info, warning or error/);
  });

  it('inserts and updates runs, and lists them newest first with paging', () => {
    store = openHistoryStore({ file: ':memory:', timer: manualTimer() });
    const run = (n: number, patch: Partial<StoredRun> = {}): StoredRun => ({
      runId: `run-${n}`,
      sessionId: 's-1',
      scenario: 'summer-export-hold',
      controller: 'lfc',
      useCase: 2,
      startMs: T0 + n * 60_000,
      endMs: null,
      endReason: null,
      trigger: { id: `t-${n}`, targetKw: -250, durationS: 3600 },
      kpis: null,
      appVersion: '0.1.0',
      configVersion: 'cfg-1',
      ...patch,
    });
    for (let n = 1; n <= 5; n++) store.saveRun(run(n));
    store.saveRun(run(3, { endMs: T0 + 999_000, endReason: 'duration-elapsed', kpis: { maeKw: 3.2 } }));
    expect(store.getRun('run-3')).toEqual(run(3, { endMs: T0 + 999_000, endReason: 'duration-elapsed', kpis: { maeKw: 3.2 } }));
    expect(store.getRun('nope')).toBeNull();
    expect(store.listRuns().map((r) => r.runId)).toEqual(['run-5', 'run-4', 'run-3', 'run-2', 'run-1']);
    expect(store.listRuns({ limit: 2, beforeMs: T0 + 4 * 60_000 }).map((r) => r.runId)).toEqual(['run-3', 'run-2']);
    expect(() => store!.saveRun(run(6, { startMs: NaN }))).toThrow(/run "run-6" is invalid/);
  });

  it('keeps forecasts by issue time and answers the latest one issued before a moment', () => {
    store = openHistoryStore({ file: ':memory:', timer: manualTimer() });
    const issue = (issuedMs: number, offset: number) =>
      [0, 1, 2].map((k) => ({ issuedMs, seriesId: 'pv.powerKw', timeMs: issuedMs + k * 900_000, value: -100 - offset - k }));
    store.appendForecasts([...issue(T0, 0), ...issue(T0 + 3_600_000, 50)]);
    expect(store.listForecastIssues('pv.powerKw', T0 - 1, T0 + DAY_MS)).toEqual([T0, T0 + 3_600_000]);
    const latest = store.latestForecast('pv.powerKw', T0 + 3_599_999)!;
    expect(latest.issuedMs).toBe(T0);
    expect(Array.from(latest.value)).toEqual([-100, -101, -102]);
    expect(store.latestForecast('pv.powerKw', T0 + DAY_MS)!.issuedMs).toBe(T0 + 3_600_000);
    expect(store.latestForecast('pv.powerKw', T0 - 1)).toBeNull();
    expect(store.latestForecast('unknown', T0)).toBeNull();
  });

  it('prunes by retention and keeps the rollups consistent with the points that remain', () => {
    store = openHistoryStore({ file: ':memory:', timer: manualTimer() });
    const points: SeriesPoint[] = [];
    for (let i = 0; i < 10 * 24 * 60; i++) points.push({ seriesId: 'bess.socPct', timeMs: T0 + i * 60_000 + 7_000, value: i % 100 });
    store.appendPoints(points);
    store.appendEvents([
      { timeMs: T0, type: 'old', level: 'info', message: '' },
      { timeMs: T0 + 9 * DAY_MS, type: 'new', level: 'info', message: '' },
    ]);
    store.setRetention({ measurements: 3, events: 5 });
    expect(() => store!.setRetention({ measurements: 0, events: 5 })).toThrow(/setRetention/);
    const nowMs = T0 + 10 * DAY_MS + 12_345;
    const cutMs = nowMs - 3 * DAY_MS;
    const removed = store.prune(nowMs);
    expect(removed.points).toBe(points.filter((p) => p.timeMs < cutMs).length);
    expect(removed.events).toBe(1);
    const kept = points.filter((p) => p.timeMs >= cutMs);
    const result = store.querySeries('bess.socPct', T0, nowMs, 500);
    const expected = referenceBuckets(kept, 'bess.socPct', result.fromMs, result.bucketMs, result.timeMs.length, nowMs + DAY_MS);
    expect(Array.from(result.count)).toEqual(expected.map((b) => b.count));
    expect(Array.from(result.min)).toEqual(expected.map((b) => b.min));
  });

  it('creates the file and its folder, records the schema version, and keeps data across reopen', () => {
    const file = defaultHistoryFile(join(dir, 'app-data'));
    store = openHistoryStore({ file, timer: manualTimer() });
    store.appendPoints([{ seriesId: 'hs-001.socPct', timeMs: T0, value: 80 }]);
    store.close();
    store = openHistoryStore({ file, timer: manualTimer() });
    expect(store.listSeries()).toEqual(['hs-001.socPct']);
    expect(Array.from(store.queryRaw('hs-001.socPct', T0, T0).value)).toEqual([80]);
    store.close();
    store = null;
    const db = new Database(file, { readonly: true });
    expect(db.prepare('SELECT version FROM schema_version ORDER BY version').pluck().all()).toEqual(MIGRATIONS.map((m) => m.version));
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });

  it('migrates a version-1 file, back-filling the rollups from its points', () => {
    const file = join(dir, 'v1.sqlite3');
    const db = new Database(file);
    db.exec('CREATE TABLE schema_version (version INTEGER PRIMARY KEY, applied_ms INTEGER NOT NULL, description TEXT NOT NULL)');
    db.exec(MIGRATIONS[0]!.sql);
    db.prepare('INSERT INTO schema_version VALUES (1, 0, ?)').run(MIGRATIONS[0]!.description);
    db.pragma(`application_id = ${HISTORY_APPLICATION_ID}`);
    db.prepare("INSERT INTO series (id, name) VALUES (1, 'breaker.measuredKw')").run();
    const insert = db.prepare('INSERT INTO points VALUES (1, ?, ?)');
    const points: SeriesPoint[] = [];
    db.transaction(() => {
      for (let i = 0; i < 8640; i++) {
        const value = i % 50 === 0 ? NaN : Math.sin(i / 100) * 300;
        points.push({ seriesId: 'breaker.measuredKw', timeMs: T0 + i * 10_000, value });
        insert.run(T0 + i * 10_000, Number.isNaN(value) ? null : value);
      }
    })();
    db.close();
    store = openHistoryStore({ file, timer: manualTimer() });
    const result = store.querySeries('breaker.measuredKw', T0, T0 + DAY_MS, 100);
    expect(result.bucketMs % 900_000).toBe(0);
    const expected = referenceBuckets(points, 'breaker.measuredKw', result.fromMs, result.bucketMs, result.timeMs.length, T0 + 2 * DAY_MS);
    expect(Array.from(result.count)).toEqual(expected.map((b) => b.count));
    expect(Array.from(result.nanCount)).toEqual(expected.map((b) => b.nanCount));
    expect(Array.from(result.max)).toEqual(expected.map((b) => b.max));
    expect(SCHEMA_VERSION).toBeGreaterThanOrEqual(2);
  });

  it('loads the native addon it is told to, and says what to do when one is built for another runtime', () => {
    const own = join(dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json')), 'build', 'Release', 'better_sqlite3.node');
    const store = openHistoryStore({ file: join(dir, 'bound.sqlite3'), timer: manualTimer(), nativeBinding: own });
    store.appendPoints([{ seriesId: 'x.powerKw', timeMs: 0, value: 1 }]);
    store.flush();
    expect(store.listSeries()).toEqual(['x.powerKw']);
    store.close();
    expect(() => openHistoryStore({ file: join(dir, 'nobinding.sqlite3'), timer: manualTimer(), nativeBinding: join(dir, 'missing.node') })).toThrow(/nobinding\.sqlite3 cannot be opened/);
    // Node's own words for an addon of another ABI (here: built for Electron 45's Node, loaded by Node 20).
    const abi = new Error(
      "The module '/x/better_sqlite3.node'\nwas compiled against a different Node.js version using\nNODE_MODULE_VERSION 140. This version of Node.js requires\nNODE_MODULE_VERSION 115. Please try re-compiling or re-installing\nthe module (for instance, using `npm rebuild` or `npm install`).",
    );
    expect(explainNativeLoadError(abi)).toMatch(/built for another runtime \(ABI 140\) but Node\.js 20\.\S+ needs ABI 115: run `npm rebuild better-sqlite3`/);
    expect(explainNativeLoadError(new Error('disk full'))).toBe('disk full');
  });

  it('refuses, naming the file, a newer schema, another SQLite database and a file that is not SQLite', () => {
    const newer = join(dir, 'newer.sqlite3');
    openHistoryStore({ file: newer, timer: manualTimer() }).close();
    const db = new Database(newer);
    db.prepare('INSERT INTO schema_version VALUES (99, 0, ?)').run('from the future');
    db.close();
    expect(() => openHistoryStore({ file: newer, timer: manualTimer() })).toThrow(/newer\.sqlite3 has schema version 99, written by a newer app/);

    const other = join(dir, 'other.sqlite3');
    const otherDb = new Database(other);
    otherDb.exec('CREATE TABLE unrelated (x)');
    otherDb.close();
    expect(() => openHistoryStore({ file: other, timer: manualTimer() })).toThrow(/other\.sqlite3 cannot be used: it is another SQLite database/);

    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'this is not a database, just some text that is long enough to fill a header page. '.repeat(20));
    expect(() => openHistoryStore({ file: text, timer: manualTimer() })).toThrow(/notes\.txt cannot be used: file is not a database/);
  });

  it('refuses any call after close', () => {
    store = openHistoryStore({ file: ':memory:', timer: manualTimer() });
    store.close();
    expect(() => store!.appendPoints([])).toThrow(/appendPoints called after close/);
    store = null;
  });
});
