/**
 * The run recorder: one sample per breaker sample of a run.
 * Tables of events in and commands/events out, on a virtual clock (time is leapt, never slept).
 */
import { describe, expect, it } from 'vitest';
import { harness, partContext, T0 } from './harness.js';
import { AssetBook } from '../../../../src-main/engine/parts/asset-book.js';
import type { Trigger } from '../../../../src-main/engine/model.js';
import { newRunRecord, RunRecorder } from '../../../../src-main/engine/parts/run-recorder.js';

describe('Engine run recorder', () => {
  it('records one KPI sample per breaker sample of the run, invalid ones as NaN', () => {
    const h = harness();
    h.trigger({ durationS: 60 });
    let k = 0;
    h.run(70, () => (k++ === 2 ? NaN : -100));
    const s = h.engine.runs[0]!.samples;
    expect(s.measuredKw.length).toBe(6);
    expect(s.measuredKw.filter((x) => Number.isNaN(x))).toHaveLength(1);
    expect(h.engine.runs[0]!.kpis!.samples.invalid).toBe(1);
  });
});

describe('RunRecorder on its own', () => {
  const trigger: Trigger = { id: 'T', source: 'test', receivedMs: T0, startMs: T0 + 600_000, useCase: 2, targetKw: -100, durationS: 3600, toleranceKw: 10, schedule: null };

  it('hands an announced trigger’s forecasts to its run once, and cuts a forecast beyond the request', () => {
    const { ctx } = partContext();
    const recorder = new RunRecorder(ctx, new AssetBook(ctx));
    recorder.recordPreparedPrediction(trigger, T0, T0 + 60_000);
    expect(recorder.takePreparedPredictions(trigger)).toEqual([{ madeMs: T0, atMs: T0 + 600_000 }]);
    expect(recorder.takePreparedPredictions(trigger)).toEqual([]);
    const run = newRunRecord('run-001', trigger, 'lfc', T0 + 600_000, []);
    recorder.recordPrediction(run, T0 + 600_000, T0 + 600_000 + 7_200_000);
    recorder.recordPrediction(run, T0 + 700_000, T0 + 1_200_000.4);
    expect(run.exhaustionPredictions).toEqual([{ madeMs: T0 + 600_000, atMs: null }, { madeMs: T0 + 700_000, atMs: T0 + 1_200_000 }]);
  });

  it('records a sample with the book’s band and the uncontrolled power; an invalid one as NaN', () => {
    const { ctx } = partContext();
    const book = new AssetBook(ctx);
    book.report({ assetId: 'bess', sampleMs: T0, arrivalMs: T0, powerKw: 20, socPct: 50 });
    const recorder = new RunRecorder(ctx, book);
    const run = newRunRecord('run-001', trigger, 'lfc', T0, []);
    recorder.recordSample(run, { sampleMs: T0, arrivalMs: T0 + 1000, powerKw: -80 }, true, -100, false);
    recorder.recordSample(run, { sampleMs: T0 + 10_000, arrivalMs: T0 + 11_000, powerKw: NaN }, false, -100, true);
    expect(run.samples.uncontrolledKw).toEqual([-100, NaN]);
    expect(run.samples.measuredKw).toEqual([-80, NaN]);
    expect(run.samples.inExhaustion).toEqual([0, 1]);
    expect(run.samples.flexDownKw[0]).toBeLessThan(0);
  });
});
