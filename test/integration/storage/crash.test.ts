/**
 * Crash safety of the history store: a process that is SIGKILLed while ingesting at 10 Hz leaves a file
 * that opens clean, passes `PRAGMA integrity_check`, and holds every point the store had committed, i.e.
 * everything appended before the last 1-s flush.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';

import { openHistoryStore } from '../../../src-main/storage/history-store';

const CHILD_PATH = fileURLToPath(new URL('./fixtures/ingest-child.ts', import.meta.url));
const SERIES_PER_BATCH = 100;
const FLUSHES_BEFORE_KILL = 3;

interface ChildLine {
  appended?: number;
  flushed?: number | null;
  atMs?: number;
}

describe('history store crash safety', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lfc-crash-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps everything committed before a SIGKILL and opens clean', async () => {
    const file = join(dir, 'history.sqlite3');
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD_PATH, file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));

    const appended: number[] = [];
    const flushes: Array<{ upToMs: number; appendedBefore: number }> = [];
    let killedAfterAppendMs: number | null = null;
    for await (const text of createInterface({ input: child.stdout })) {
      const line = JSON.parse(text) as ChildLine;
      if (line.appended !== undefined) {
        appended.push(line.appended);
        // Kill at an arbitrary moment between two flushes, with data buffered but not yet committed.
        if (flushes.length >= FLUSHES_BEFORE_KILL && killedAfterAppendMs === null) {
          killedAfterAppendMs = line.appended;
          child.kill('SIGKILL');
        }
      } else if (line.flushed !== undefined && line.flushed !== null) {
        flushes.push({ upToMs: line.flushed, appendedBefore: appended.length });
      }
    }
    expect(await exited, `child stderr: ${stderr}`).toBe('SIGKILL');
    expect(killedAfterAppendMs).not.toBeNull();

    // The file is sound at the SQLite level…
    const raw = new Database(file);
    expect(raw.pragma('integrity_check', { simple: true })).toBe('ok');
    raw.close();

    // …and opens as a history store, with every batch up to the last reported flush complete.
    const store = openHistoryStore({ file });
    try {
      const lastFlushedMs = flushes[flushes.length - 1]!.upToMs;
      const committed = appended.filter((t) => t <= lastFlushedMs);
      const stored = store.queryRaw('breaker.measuredKw', 0, Number.MAX_SAFE_INTEGER);
      const storedTimes = new Set(stored.timeMs);
      expect(committed.filter((t) => !storedTimes.has(t))).toEqual([]);
      for (const seriesId of ['bess.socPct', 'hs-096.socPct']) {
        expect(store.queryRaw(seriesId, appended[0]!, lastFlushedMs).timeMs.length).toBe(committed.length);
      }
      expect(store.listSeries()).toHaveLength(SERIES_PER_BATCH);
      expect(store.events(0, lastFlushedMs, { types: ['tick'] })).toHaveLength(committed.length);
      // NaN readings were kept as NaN, not dropped.
      expect(Array.from(stored.value).some(Number.isNaN)).toBe(true);

      // At most one second of batches (10 Hz) lies between two commits, so at most that much can be lost.
      const batchesBetweenFlushes = flushes.slice(1).map((f, i) => f.appendedBefore - flushes[i]!.appendedBefore);
      expect(Math.max(...batchesBetweenFlushes)).toBeLessThanOrEqual(12);
      const lostMs = appended[appended.length - 1]! - Math.max(...stored.timeMs);
      console.info(`[crash] ${appended.length} batches appended, ${stored.timeMs.length} stored, last ${lostMs} ms of appends lost`);
    } finally {
      store.close();
    }
  }, 60_000);
});
