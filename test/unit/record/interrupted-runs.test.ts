/**
 * A run a killed process left in force is found in its record and closed as `interrupted` at its last
 * recorded sample, with its KPIs from the record's samples: the record holds each sample the run took
 * exactly as the run held it, sessions are told apart (engine run ids repeat), and a run is closed once.
 */
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { VirtualClock } from '../../../src-main/engine/clock';
import type { BreakerSample, Trigger } from '../../../src-main/engine/model';
import type { FieldConnectors } from '../../../src-main/engine/ports';
import { resourcesDir } from '../../../src-main/node/paths';
import { loadScenarioFile } from '../../../src-main/node/scenario-file';
import { interruptedRunEndedEntry, interruptedRunsInRecord } from '../../../src-main/record/interrupted-runs';
import type { RecordLog } from '../../../src-main/record/record-log';
import { engineConfigFor } from '../../../src-main/replay/replay';
import { EmsRuntime } from '../../../src-main/runtime/ems-runtime';

const T0 = Date.parse('2026-06-21T09:00:00Z');
const OPTS = { breakerPeriodS: 10, settleAllowanceS: 60, controller: 'deadbeat' as const };
let engineConfig: ReturnType<typeof engineConfigFor>;

beforeAll(async () => {
  const loaded = await loadScenarioFile(resolve(resourcesDir(), 'scenarios/summer-export-hold/scenario.json'));
  engineConfig = engineConfigFor(loaded.scenario, 'deadbeat');
});

/** A runtime on a virtual clock whose record is a list of lines as `RecordLog` writes them (unsigned). */
async function session(lines: string[], withTrigger = true) {
  const clock = new VirtualClock(T0);
  const append = (kind: string, data: unknown) => lines.push(JSON.stringify({ n: lines.length, timeMs: clock.nowMs(), kind, data }));
  append(lines.length === 0 ? 'header' : 'resumed', {});
  const record = { append } as unknown as RecordLog;
  let feed: (s: BreakerSample) => void = () => {};
  const connectors: FieldConnectors = {
    breaker: { subscribe: (l) => ((feed = l), () => {}) },
    telemetry: { subscribe: () => () => {} },
    setpoints: { write: () => {} },
    weather: { fetchForecast: () => {} },
    triggers: { subscribe: () => () => {} },
  };
  const ems = new EmsRuntime({ engineConfig, clock, speed: 1, record, connectors: () => connectors });
  await ems.start();
  const trigger: Trigger = { id: 'tr-1', source: 'test', receivedMs: T0, startMs: T0, useCase: 2, targetKw: -100, durationS: 3600, toleranceKw: 10, schedule: null };
  if (withTrigger) expect(ems.submit(trigger).accepted).toBe(true);
  const samples = (fromS: number, toS: number) => {
    for (let s = fromS; s <= toS; s += 10) {
      clock.runUntil(T0 + s * 1000 + 500);
      feed({ sampleMs: T0 + s * 1000, arrivalMs: T0 + s * 1000 + 500, powerKw: s % 60 === 0 ? Number.NaN : -100 + (s % 30) });
    }
  };
  return { ems, clock, samples, append };
}

describe('interruptedRunsInRecord', () => {
  it('closes a run the record shows in force at its last recorded sample, with the run’s own series', async () => {
    const lines: string[] = [];
    const { ems, clock, samples } = await session(lines);
    samples(10, 180);
    clock.runUntil(T0 + 182_000);
    // Killed here: one sample arrives that never reaches the record.
    samples(190, 190);
    const live = ems.engine.activeRun!;
    const found = interruptedRunsInRecord(lines.join('\n') + '\n', OPTS);
    expect(found).toHaveLength(1);
    const { run } = found[0]!;
    const n = live.samples.sampleTimeMs.length - 1;
    expect(run.samples.sampleTimeMs.length).toBe(n);
    expect(run).toMatchObject({ runId: `${live.runId}@${found[0]!.startedAtEntry}`, endReason: 'interrupted', startMs: live.startMs, endMs: T0 + 180_000, requested: { startMs: T0, endMs: T0 + 3_600_000, basis: 'duration' } });
    for (const k of ['sampleTimeMs', 'arrivalTimeMs', 'targetKw', 'flexDownKw', 'flexUpKw', 'uncontrolledKw', 'inExhaustion'] as const) expect(run.samples[k], k).toEqual(live.samples[k].slice(0, n));
    // A sample the engine did not accept (NaN) stays one.
    expect(run.samples.measuredKw.map((v) => (Number.isFinite(v) ? v : null))).toEqual(live.samples.measuredKw.slice(0, n).map((v) => (Number.isFinite(v) ? v : null)));
    // Against the whole hour requested: three minutes hold at most 5 % of it.
    expect(run.kpis!.availability.heldPctOfRequested!).toBeLessThanOrEqual(5);
    expect(run.kpis!.samples.total).toBe(n);
    expect(found[0]!.events.at(-1)).toMatchObject({ type: 'run-ended', timeMs: T0 + 180_000, runId: run.runId });
  });

  it('leaves alone a run that ended in its session, and one an earlier start closed already', async () => {
    const lines: string[] = [];
    const first = await session(lines);
    first.samples(10, 60);
    first.ems.engine.finish('ems-stopped');
    expect(interruptedRunsInRecord(lines.join('\n'), OPTS)).toEqual([]);

    // A session whose run was killed, then a start that closed it, then another start: closed once.
    const killed = await session(lines);
    killed.samples(10, 60);
    killed.clock.runUntil(T0 + 62_000);
    const closer = await session(lines, false);
    const found = interruptedRunsInRecord(lines.join('\n'), OPTS);
    // Engine run ids repeat across sessions: the open one is the second session's.
    expect(found.map((r) => r.engineRunId)).toEqual([killed.ems.engine.runs[0]!.runId]);
    expect(found[0]!.startedAtEntry).toBeGreaterThan(lines.findIndex((l) => l.includes('"resumed"')));
    closer.append('run-ended', interruptedRunEndedEntry(found[0]!));
    await session(lines, false);
    expect(interruptedRunsInRecord(lines.join('\n'), OPTS)).toEqual([]);
  });
});
