/**
 * The live EMS's record is the headless EMS's only durable history (`npm run ems` and the lab write their
 * other files at a run's end or at stop): what a `kill -9` can lose is what still waits in memory. A
 * measurement waits at most one real second — a minute's batch at 60×, one sample at 1× — however the
 * samples happen to fall (the time is leapt on a virtual clock).
 */
import { resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

import { VirtualClock } from '../../../src-main/engine/clock';
import type { BreakerSample } from '../../../src-main/engine/model';
import type { FieldConnectors } from '../../../src-main/engine/ports';
import { resourcesDir } from '../../../src-main/node/paths';
import { loadScenarioFile } from '../../../src-main/node/scenario-file';
import type { RecordLog } from '../../../src-main/record/record-log';
import { engineConfigFor } from '../../../src-main/replay/replay';
import { EmsRuntime, MAX_KEPT_EVENTS, MAX_UNRECORDED_WALL_S } from '../../../src-main/runtime/ems-runtime';

const T0 = Date.parse('2026-06-21T09:00:00Z');
let engineConfig: ReturnType<typeof engineConfigFor>;

beforeAll(async () => {
  const loaded = await loadScenarioFile(resolve(resourcesDir(), 'scenarios/summer-export-hold/scenario.json'));
  engineConfig = engineConfigFor(loaded.scenario, 'deadbeat');
});

/** A runtime at `speed` on a virtual clock, its breaker fed by the test, its record a list. */
async function runtimeAt(speed: number) {
  const clock = new VirtualClock(T0);
  const entries: Array<{ atMs: number; kind: string; data: { breaker?: { rows: number[][] } } }> = [];
  const record = { append: (kind: string, data: never) => entries.push({ atMs: clock.nowMs(), kind, data }) } as unknown as RecordLog;
  let feed: (s: BreakerSample) => void = () => {};
  const connectors: FieldConnectors = {
    breaker: { subscribe: (l) => ((feed = l), () => {}) },
    telemetry: { subscribe: () => () => {} },
    setpoints: { write: () => {} },
    weather: { fetchForecast: () => {} },
    triggers: { subscribe: () => () => {} },
  };
  const ems = new EmsRuntime({ engineConfig, clock, speed, record, connectors: () => connectors });
  await ems.start();
  const sample = (atMs: number) => {
    clock.runUntil(atMs);
    feed({ sampleMs: atMs - 1000, arrivalMs: atMs, powerKw: -100 });
  };
  /** Sample times in the record's measurement batches, and when each batch was written. */
  const recorded = () => entries.filter((e) => e.kind === 'measurements').flatMap((e) => e.data.breaker!.rows.map((r) => ({ sampleMs: r[0]!, writtenMs: e.atMs })));
  return { clock, sample, recorded, ems, entries };
}

describe('the EMS record as durable history', () => {
  it('at 1× every breaker sample is in the record within a second of its arrival, though a batch is a minute', async () => {
    const { clock, sample, recorded } = await runtimeAt(1);
    for (let k = 1; k <= 6; k++) sample(T0 + k * 10_000);
    clock.runUntil(T0 + 61_000);
    const rows = recorded();
    expect(rows.map((r) => r.sampleMs)).toEqual([1, 2, 3, 4, 5, 6].map((k) => T0 + k * 10_000 - 1000));
    for (const r of rows) expect(r.writtenMs - (r.sampleMs + 1000)).toBeLessThanOrEqual(MAX_UNRECORDED_WALL_S * 1000);
  });

  it('at 60× a minute of samples is one batch, written within a real second of its first sample', async () => {
    const { clock, sample, recorded } = await runtimeAt(60);
    for (let k = 1; k <= 12; k++) sample(T0 + k * 10_000);
    clock.runUntil(T0 + 200_000);
    const rows = recorded();
    expect(rows).toHaveLength(12);
    for (const r of rows) expect(r.writtenMs - (r.sampleMs + 1000)).toBeLessThanOrEqual(MAX_UNRECORDED_WALL_S * 1000 * 60);
    // One batch per EMS minute, not one per sample.
    expect(new Set(rows.map((r) => r.writtenMs)).size).toBeLessThanOrEqual(3);
  });

  it('writes a sample that arrives just before a batch would close without waiting for the next sample', async () => {
    // Samples 9.99 s apart at 10×: a batch (10 s of EMS time) must not wait for the sample after.
    const { clock, sample, recorded } = await runtimeAt(10);
    sample(T0 + 10_000);
    sample(T0 + 19_990);
    clock.runUntil(T0 + 40_000);
    for (const r of recorded()) expect(r.writtenMs - (r.sampleMs + 1000)).toBeLessThanOrEqual(MAX_UNRECORDED_WALL_S * 1000 * 10);
    expect(recorded()).toHaveLength(2);
  });
});

describe('the events the runtime keeps in memory', () => {
  it('are bounded to the newest MAX_KEPT_EVENTS, oldest leaving first, while the record gets every one', async () => {
    const { ems, entries } = await runtimeAt(1);
    const before = entries.filter((e) => e.kind === 'event').length;
    const total = MAX_KEPT_EVENTS * 2 + 123;
    for (let i = 0; i < total; i++) ems.connectorContext.onEvent({ timeMs: T0 + i, type: 'connector-retry', level: 'info', connector: 'test', message: `event ${i}` });
    expect(ems.events.length).toBeLessThanOrEqual(MAX_KEPT_EVENTS);
    expect(ems.events.length).toBeGreaterThanOrEqual(MAX_KEPT_EVENTS * 0.9);
    expect(ems.events.at(-1)!.message).toBe(`event ${total - 1}`);
    const kept = ems.events.filter((e) => e.source === 'connector');
    expect(kept[0]!.message).toBe(`event ${total - kept.length}`);
    expect(ems.eventsDropped + ems.events.length).toBe(total + before);
    expect(entries.filter((e) => e.kind === 'event').length).toBe(total + before);
  });
});
