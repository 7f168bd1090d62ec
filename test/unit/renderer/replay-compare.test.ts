import { describe, expect, it } from 'vitest';

import type { ReplaySide, SeriesData } from '../../../src-main/shared/ipc-contract';
import { compareLines, heldPctOf, twinRun } from '../../../src-renderer/src/composables/replay-compare';

const T0 = Date.parse('2026-06-21T10:00:00Z');
const replayRun = (runId: string, startMs: number, held: number | null) => ({ runId, useCase: 2, startMs, endMs: startMs + 600_000, endReason: 'duration-elapsed', kpis: held === null ? null : { availability: { heldPctOfRequested: held } } });

describe('a run beside its replay', () => {
  it('finds the replayed twin by its start (within a minute, the nearest)', () => {
    const runs = [replayRun('run-001', T0 - 3600_000, 50), replayRun('run-002', T0 + 20_000, 70), replayRun('run-003', T0 + 10_000, 80)];
    expect(twinRun(runs, { startMs: T0 })?.runId).toBe('run-003');
    expect(twinRun(runs, { startMs: T0 + 7200_000 })).toBeNull();
    expect(heldPctOf(twinRun(runs, { startMs: T0 })?.kpis)).toBe(80);
    expect(heldPctOf(null)).toBeNull();
    expect(heldPctOf({ availability: { heldPctOfRequested: null } })).toBeNull();
  });

  it('draws the run’s stored buckets with data and the replay’s samples inside the run’s span', () => {
    const d = (values: Array<number | null>): SeriesData => ({ seriesId: 'x', unit: 'kW', bucketMs: 10_000, timeMs: values.map((_, i) => T0 + i * 10_000), min: values, max: values, mean: values });
    const side: ReplaySide = { controller: 'deadbeat', timeMs: [T0 - 10_000, T0, T0 + 10_000, T0 + 30_000], measuredKw: [1, 2, 3, 4], targetKw: [0, 0, 0, 0], bessKw: [5, 6, null, 8], runs: [] };
    const lines = compareLines({ startMs: T0, endMs: T0 + 20_000 }, { breaker: d([-100, null, -110]), target: d([-120, -120, -120]), bess: null }, side);
    expect(lines.map((l) => l.id)).toEqual(['run.target', 'run.breaker', 'run.bess', 'replay.breaker', 'replay.bess']);
    expect(lines[1]!.points).toEqual([{ x: T0, y: -100 }, { x: T0 + 20_000, y: -110 }]);
    expect(lines[2]!.points).toEqual([]);
    expect(lines[3]!.points).toEqual([{ x: T0, y: 2 }, { x: T0 + 10_000, y: 3 }]);
    // A missing replay sample stays a gap.
    expect(lines[4]!.points).toEqual([{ x: T0, y: 6 }, { x: T0 + 10_000, y: null }]);
    expect(compareLines({ startMs: T0, endMs: null }, { breaker: null, target: null, bess: null }, null)).toHaveLength(3);
  });
});
