/**
 * The history service on a real in-memory store and a stand-in live session: it writes the live session's
 * pending samples before it reads, refuses bad windows and unknown runs, closes a dead process's runs and
 * never prunes a simulated session.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { HistoryService } from '../../../../src-main/core/services/history';
import type { HistoryLiveView } from '../../../../src-main/core/services/history';
import type { RunDto } from '../../../../src-main/shared/ipc-contract';
import { openHistoryStore } from '../../../../src-main/storage/history-store';
import type { HistoryStore } from '../../../../src-main/storage/history-store';

const DAY_MS = 86_400_000;

function run(runId: string, sessionId: string, startMs: number, endMs: number | null): RunDto {
  return { runId, sessionId, scenario: null, controller: 'lfc', useCase: 2, startMs, endMs, endReason: endMs === null ? null : 'completed', trigger: { useCase: 2, targetKw: 0, durationS: 600, receivedAt: new Date(startMs).toISOString() }, kpis: null, appVersion: 't', configVersion: 'c' };
}

let store: HistoryStore;
let live: HistoryLiveView & { flushes: number; simStartMs: number | null };
let service: HistoryService;

beforeEach(() => {
  store = openHistoryStore({ file: ':memory:' });
  live = {
    flushes: 0,
    simStartMs: null,
    flush() {
      this.flushes++;
      store.appendPoints([{ seriesId: 'breaker.measuredKw', timeMs: 1_000_000, value: 5 }]);
    },
    simulatorBessId: () => 'bess-1',
    simulatorStartMs() {
      return this.simStartMs;
    },
  };
  service = new HistoryService(store, live);
});
afterEach(() => store.close());

describe('HistoryService', () => {
  it('writes what the live session holds before it answers a query', () => {
    const data = service.querySeries({ seriesId: 'breaker.measuredKw', fromMs: 0, toMs: 2_000_000, maxBuckets: 10 });
    expect(live.flushes).toBe(1);
    expect(data.unit).toBe('kW');
    expect(service.listSeries().map((s) => s.seriesId)).toContain('breaker.measuredKw');
  });

  it('refuses a window that ends before it starts, a run id that is none, and a run it does not hold', () => {
    expect(() => service.querySeries({ seriesId: 'x', fromMs: 10, toMs: 10, maxBuckets: 10 })).toThrow(/toMs \(10\) must be after fromMs/);
    expect(() => service.queryForecast({ seriesId: 'forecast.breakerKw', fromMs: 10, toMs: 5 })).toThrow(/history:queryForecast/);
    expect(() => service.getRun('')).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    expect(() => service.getRun('nope')).toThrow(expect.objectContaining({ code: 'NOT_FOUND' }));
  });

  it('closes a run left in force at its last sign of life, and leaves ended runs alone', () => {
    store.saveRun(run('sim-a/run-001', 'sim-a', 1_000_000, null));
    store.saveRun(run('sim-a/run-000', 'sim-a', 500_000, 900_000));
    store.appendEvents([{ timeMs: 1_200_000, type: 'dispatch', level: 'info', runId: 'run-001', message: 'x' }]);
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    service.closeInterruptedRuns();
    warn.mockRestore();
    expect(store.getRun('sim-a/run-001')).toMatchObject({ endReason: 'interrupted', endMs: 1_200_000 });
    expect(store.getRun('sim-a/run-000')).toMatchObject({ endReason: 'completed', endMs: 900_000 });
  });

  it('prunes by the retention, but keeps a simulated session from an hour before its first run', () => {
    store.setRetention({ measurements: 1, events: 1 });
    const t0 = 100 * DAY_MS;
    store.appendPoints([
      { seriesId: 'old', timeMs: t0 - 2 * 3_600_000, value: 1 },
      { seriesId: 'old', timeMs: t0 - 30 * 60_000, value: 2 },
    ]);
    store.saveRun(run('sim-b/run-001', 'sim-b', t0, t0 + 600_000));
    service.prune(t0 + 400 * DAY_MS);
    const left = store.queryRaw('old', 0, Number.MAX_SAFE_INTEGER);
    expect(Array.from(left.value)).toEqual([2]);
  });
});
