/**
 * History store benchmark: how fast the runtime's appends commit, how fast the trend chart's widest query
 * answers, and how big the file grows per day.
 *
 * - ingest: 250 series at 1 Hz, one `appendPoints` of 250 points per simulated second and one commit per
 *   second, exactly as the runtime's flush timer batches them (real WAL file on disk).
 * - range query: 7 days of one series reduced to 2,000 buckets, median of 20, at 10 s resolution (the
 *   breaker period) and at 1 s resolution (an asset series sampled every second).
 * - file size per day: measured growth of the ingest file, scaled from the ingested span to 24 h.
 *
 * Run alone with `npx tsx bench/sqlite.ts`.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { openHistoryStore } from '../src-main/storage/history-store';
import type { FlushTimer, SeriesPoint } from '../src-main/storage/history-store';

const SERIES_COUNT = 250;
const INGEST_SECONDS = 1800;
const QUERY_REPEATS = 20;
const DAY_MS = 86_400_000;
const START_MS = Date.UTC(2025, 5, 1);

/** The bench commits explicitly, once per simulated second, instead of waiting for wall-clock ticks. */
const manualTimer: FlushTimer = { start: () => ({ stop: () => undefined }) };

function fileBytes(file: string): number {
  let bytes = 0;
  for (const suffix of ['', '-wal']) {
    try {
      bytes += statSync(file + suffix).size;
    } catch {
      // no WAL file after a checkpointing close
    }
  }
  return bytes;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function seriesNames(): string[] {
  const names = ['breaker.measuredKw', 'breaker.targetKw', 'bess.powerKw', 'bess.socPct', 'bess.setpointKw'];
  for (let i = 0; names.length < SERIES_COUNT; i++) names.push(`hs-${String(i).padStart(3, '0')}.${['powerKw', 'socPct', 'setpointKw'][i % 3]}`);
  return names;
}

function benchIngest(dir: string): Array<Record<string, string | number>> {
  const file = join(dir, 'ingest.sqlite3');
  const store = openHistoryStore({ file, timer: manualTimer });
  const names = seriesNames();
  const batch: SeriesPoint[] = names.map((seriesId) => ({ seriesId, timeMs: 0, value: 0 }));
  // Warm-up second creates the series rows, as the first second of a real session does.
  store.appendPoints(batch.map((p) => ({ ...p, timeMs: START_MS - 1000 })));
  store.flush();
  const bytesBefore = fileBytes(file);
  const commitMs: number[] = [];
  const t0 = performance.now();
  for (let s = 0; s < INGEST_SECONDS; s++) {
    const timeMs = START_MS + s * 1000;
    for (let i = 0; i < batch.length; i++) {
      const p = batch[i]!;
      p.timeMs = timeMs;
      p.value = Math.round((Math.sin(s / 60 + i) * 150 + i) * 100) / 100;
    }
    const c0 = performance.now();
    store.appendPoints(batch);
    store.flush();
    commitMs.push(performance.now() - c0);
  }
  const elapsedS = (performance.now() - t0) / 1000;
  const bytesPerDay = ((fileBytes(file) - bytesBefore) / INGEST_SECONDS) * 86_400;
  store.close();
  const points = SERIES_COUNT * INGEST_SECONDS;
  return [
    { bench: 'sqlite', case: `ingest ${SERIES_COUNT} series × 1 Hz, 1 commit/s (${INGEST_SECONDS} s simulated)`, metric: 'points/s', value: Math.round(points / elapsedS) },
    { bench: 'sqlite', case: `one 1-s commit of ${SERIES_COUNT} points`, metric: 'median ms', value: +median(commitMs).toFixed(3) },
    { bench: 'sqlite', case: `one 1-s commit of ${SERIES_COUNT} points`, metric: 'max ms', value: +Math.max(...commitMs).toFixed(3) },
    { bench: 'sqlite', case: `file growth, ${SERIES_COUNT} series × 1 Hz`, metric: 'MB/day', value: +(bytesPerDay / 1e6).toFixed(1) },
    { bench: 'sqlite', case: 'file growth per stored point', metric: 'bytes', value: +(bytesPerDay / (SERIES_COUNT * 86_400)).toFixed(1) },
  ];
}

function benchRangeQuery(dir: string, periodMs: number, label: string): Array<Record<string, string | number>> {
  const file = join(dir, `range-${periodMs}.sqlite3`);
  const store = openHistoryStore({ file, timer: manualTimer });
  // Three series interleaved in time, as the runtime writes them, so the queried one is not alone in the file.
  const ids = ['breaker.measuredKw', 'breaker.targetKw', 'bess.powerKw'];
  const count = (7 * DAY_MS) / periodMs;
  const chunk: SeriesPoint[] = [];
  for (let k = 0; k < count; k++) {
    const timeMs = START_MS + k * periodMs;
    for (const seriesId of ids) chunk.push({ seriesId, timeMs, value: Math.sin(k / 360) * 200 });
    if (chunk.length >= 15_000) {
      store.appendPoints(chunk);
      store.flush();
      chunk.length = 0;
    }
  }
  store.appendPoints(chunk);
  store.flush();
  const times: number[] = [];
  let buckets = 0;
  for (let r = 0; r < QUERY_REPEATS; r++) {
    const q0 = performance.now();
    const result = store.querySeries('breaker.measuredKw', START_MS, START_MS + 7 * DAY_MS, 2000);
    times.push(performance.now() - q0);
    buckets = result.timeMs.length;
  }
  store.close();
  return [
    { bench: 'sqlite', case: `7-day query, ${label} (${count} rows) → ${buckets} buckets`, metric: 'median ms', value: +median(times).toFixed(2) },
  ];
}

export async function benchSqlite(): Promise<Array<Record<string, string | number>>> {
  const dir = mkdtempSync(join(tmpdir(), 'lfc-bench-sqlite-'));
  try {
    return [...benchIngest(dir), ...benchRangeQuery(dir, 10_000, '10 s resolution'), ...benchRangeQuery(dir, 1_000, '1 s resolution')];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  console.table(await benchSqlite());
}
