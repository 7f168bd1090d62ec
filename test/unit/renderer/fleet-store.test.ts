/**
 * The Fleet view's store against a fake bridge: the view is hidden unless the host says it has a central
 * history, a site's runs and series load together with the default series picked, a run's window has its
 * margins, an answer for a site no longer picked is dropped, and an export failure is kept for the view.
 */
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';

import { setBridge } from '../../../src-renderer/src/api';
import type { IpcResult, LfcApi, RunDto, SeriesInfo } from '../../../src-renderer/src/api';
import { de, en } from '../../../src-renderer/src/i18n/messages';
import { bucketPoints } from '../../../src-renderer/src/composables/chart-datasets';
import { defaultSeries, runWindow, useFleetStore } from '../../../src-renderer/src/stores/fleet';
import { viewFromHash } from '../../../src-renderer/src/stores/navigation';

const ok = <T>(value: T): Promise<IpcResult<T>> => Promise.resolve({ ok: true, value });
const T0 = Date.parse('2026-06-21T09:00:00Z');
const run = (id: string): RunDto => ({ runId: id, sessionId: 's', scenario: null, controller: 'lfc', useCase: 2, startMs: T0, endMs: T0 + 600_000, endReason: 'duration-elapsed', trigger: {}, kpis: null, appVersion: 't', configVersion: 'c' });
const info = (seriesId: string): SeriesInfo => ({ seriesId, unit: 'kW', kind: 'measured', forecastSeriesId: null });

function fakeBridge(calls: Array<[string, unknown[]]>, handlers: Record<string, (...a: unknown[]) => unknown>): LfcApi {
  return new Proxy({} as LfcApi, {
    get: (_t, channel: string) =>
      (...args: unknown[]) => {
        calls.push([channel, args]);
        const h = handlers[channel];
        if (h) return h(...args);
        return Promise.resolve({ ok: false, error: { code: 'NOT_AVAILABLE', message: `${channel}: not configured` } });
      },
  });
}

beforeEach(() => {
  setActivePinia(createPinia());
  setBridge(null);
});

describe('fleet store helpers', () => {
  it('shows a run with a tenth of its length either side, at least a minute; a run in force reaches to now', () => {
    expect(runWindow({ startMs: T0, endMs: T0 + 3_600_000 }, 0)).toEqual({ fromMs: T0 - 360_000, toMs: T0 + 3_960_000 });
    expect(runWindow({ startMs: T0, endMs: T0 + 60_000 }, 0)).toEqual({ fromMs: T0 - 60_000, toMs: T0 + 120_000 });
    expect(runWindow({ startMs: T0, endMs: null }, T0 + 1_200_000)).toEqual({ fromMs: T0 - 120_000, toMs: T0 + 1_320_000 });
  });
  it('picks the breaker and the BESS when sent, else the first series', () => {
    expect(defaultSeries([info('bess.socPct'), info('breaker.measuredKw'), info('breaker.targetKw')])).toEqual(['breaker.measuredKw', 'breaker.targetKw']);
    expect(defaultSeries([info('hp-1.powerKw')])).toEqual(['hp-1.powerKw']);
    expect(defaultSeries([])).toEqual([]);
  });
  it('leaves empty buckets out of the points', () => {
    expect(bucketPoints({ timeMs: [1, 2, 3], mean: [5, null, 7], min: [4, null, 6], max: [6, null, 8] })).toEqual({ points: [{ x: 1, y: 5 }, { x: 3, y: 7 }], min: [4, 6], max: [6, 8] });
  });
  it('the fleet view is reachable by its hash, and named in both languages', () => {
    expect(viewFromHash('#/fleet')).toBe('fleet');
    expect(en.nav.fleet).toBe('Fleet');
    expect(Object.keys(de.fleet).sort()).toEqual(Object.keys(en.fleet).sort());
  });
});

describe('useFleetStore', () => {
  it('is not configured on a host without a central history, and unknown when the host did not answer', async () => {
    const calls: Array<[string, unknown[]]> = [];
    setBridge(fakeBridge(calls, { 'fleet:getStatus': () => ok({ configured: false }) }));
    const f = useFleetStore();
    expect(await f.loadStatus()).toBe(false);
    setActivePinia(createPinia());
    setBridge(fakeBridge(calls, { 'fleet:getStatus': () => Promise.resolve({ ok: false, error: { code: 'DISCONNECTED', message: 'lost' } }) }));
    expect(await useFleetStore().loadStatus()).toBeNull();
  });

  it('loads a site: its runs and series together, the defaults picked; a run loads its window of each series and the events', async () => {
    const calls: Array<[string, unknown[]]> = [];
    setBridge(
      fakeBridge(calls, {
        'fleet:listRuns': () => ok([run('a/run-001')]),
        'fleet:listSeries': () => ok([info('bess.powerKw'), info('breaker.measuredKw'), info('hp.powerKw')]),
        'fleet:querySeries': (_s, q) => ok({ seriesId: (q as { seriesId: string }).seriesId, unit: 'kW', bucketMs: 1000, timeMs: [T0], min: [1], max: [1], mean: [1] }),
        'fleet:events': () => ok([{ timeMs: T0, type: 'run-started', level: 'info', message: 'x' }]),
      }),
    );
    const f = useFleetStore();
    await f.pickSite('site-x');
    expect(f.runs.map((r) => r.runId)).toEqual(['a/run-001']);
    expect(f.selected).toEqual(['breaker.measuredKw', 'bess.powerKw']);
    await f.pickRun('a/run-001');
    const queries = calls.filter(([c]) => c === 'fleet:querySeries').map(([, a]) => a);
    expect(queries).toEqual([
      ['site-x', { seriesId: 'breaker.measuredKw', fromMs: T0 - 60_000, toMs: T0 + 660_000, maxBuckets: 1200 }],
      ['site-x', { seriesId: 'bess.powerKw', fromMs: T0 - 60_000, toMs: T0 + 660_000, maxBuckets: 1200 }],
    ]);
    expect(f.data.map((d) => d.seriesId)).toEqual(['breaker.measuredKw', 'bess.powerKw']);
    expect(f.events).toHaveLength(1);
    await f.toggleSeries('bess.powerKw');
    expect(f.data.map((d) => d.seriesId)).toEqual(['breaker.measuredKw']);
  });

  it('drops the answer for a site no longer picked', async () => {
    let release: () => void = () => undefined;
    const slow = new Promise<void>((r) => (release = r));
    setBridge(
      fakeBridge([], {
        'fleet:listRuns': async (site) => {
          if (site === 'slow') await slow;
          return { ok: true, value: [run(`${String(site)}/run-001`)] };
        },
        'fleet:listSeries': () => ok([]),
      }),
    );
    const f = useFleetStore();
    const first = f.pickSite('slow');
    await f.pickSite('fast');
    release();
    await first;
    expect(f.siteId).toBe('fast');
    expect(f.runs.map((r) => r.runId)).toEqual(['fast/run-001']);
  });

  it('exports through fleet:exportRun with the picked site, and keeps a failure for the view', async () => {
    const calls: Array<[string, unknown[]]> = [];
    setBridge(
      fakeBridge(calls, {
        'fleet:listRuns': () => ok([]),
        'fleet:listSeries': () => ok([]),
        'fleet:exportRun': (_s, r) => (r === 'gone' ? Promise.resolve({ ok: false, error: { code: 'NOT_FOUND', message: 'no run' } }) : ok({ fileName: 'site-x-a.csv', mimeType: 'text/csv', base64: '' })),
      }),
    );
    const f = useFleetStore();
    expect(await f.exportRun('a', 'csv')).toBeNull(); // no site picked
    await f.pickSite('site-x');
    expect(await f.exportRun('a', 'csv')).toMatchObject({ fileName: 'site-x-a.csv' });
    expect(calls).toContainEqual(['fleet:exportRun', ['site-x', 'a', 'csv']]);
    expect(await f.exportRun('gone', 'json')).toBeNull();
    expect(f.error?.code).toBe('NOT_FOUND');
  });
});
