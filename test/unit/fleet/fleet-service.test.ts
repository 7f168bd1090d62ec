/**
 * The `fleet:*` channels' service on a stand-in central history: "not configured" without one (through the
 * same handlers and envelope the hosts use), requests checked like the local history's, units from the
 * series ids, events filtered by type and run, and a run exported as a local run's file named with its site.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createCoreHandlers, invokeChannel } from '../../../src-main/core/handlers';
import type { CoreServices } from '../../../src-main/core/services/core-services';
import { FleetService, type FleetHistoryPort } from '../../../src-main/fleet/fleet-service';
import { resourcesDir } from '../../../src-main/node/paths';
import type { RunDto } from '../../../src-main/shared/ipc-contract';

const T0 = Date.parse('2026-06-21T09:00:00Z');
const RUN: RunDto = {
  runId: 'field-abc/run-001',
  sessionId: 'field-abc',
  scenario: 'lab',
  controller: 'lfc',
  useCase: 2,
  startMs: T0,
  endMs: T0 + 60_000,
  endReason: 'duration-elapsed',
  trigger: { useCase: 2, targetKw: -250 },
  kpis: { availability: { heldPctOfRequested: 97.5 } },
  appVersion: 't',
  configVersion: 'c',
};

function standIn(): FleetHistoryPort & { calls: unknown[][] } {
  const calls: unknown[][] = [];
  return {
    calls,
    listSites: async () => [{ siteId: 'site-x', name: 'X', state: 'online', lastSeenMs: T0, runs: 1 }],
    listRuns: async (...a) => (calls.push(['listRuns', ...a]), [RUN]),
    getRun: async (site, run) => (site === 'site-x' && run === RUN.runId ? RUN : null),
    listSeries: async () => ['bess.socPct', 'breaker.measuredKw'],
    querySeries: async (_s, seriesId, fromMs, toMs, maxBuckets) => (calls.push(['querySeries', maxBuckets]), { seriesId, fromMs, toMs, bucketMs: 10_000, timeMs: [fromMs], min: [1], max: [3], mean: [2] }),
    queryRaw: async (_s, seriesId) => ({ timeMs: Float64Array.from([T0, T0 + 10_000]), value: Float64Array.from(seriesId === 'bess.socPct' ? [50, 51] : [-240, NaN]) }),
    events: async () => [
      { timeMs: T0, type: 'run-started', level: 'info', message: 'run-001 started', runId: 'run-001' },
      { timeMs: T0 + 1, type: 'fault', level: 'error', message: 'x', runId: null },
    ],
  };
}

describe('FleetService', () => {
  it('without a central history says so: configured false, every read NOT_AVAILABLE through the handlers', async () => {
    const handlers = createCoreHandlers({ services: { settings: { preferences: () => null } } as unknown as CoreServices }, { appInfo: () => ({ name: 'x', version: '0', electronVersion: null, platform: 'linux' }), resourcesRootPath: join(resourcesDir(), '..') });
    expect(await invokeChannel(handlers, 'fleet:getStatus', [])).toEqual({ ok: true, value: { configured: false } });
    const r = await invokeChannel(handlers, 'fleet:listSites', []);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('NOT_AVAILABLE');
      expect(r.error.message).toMatch(/not configured/);
    }
  });

  it('lists sites, runs and series with their units, and checks the requests', async () => {
    const h = standIn();
    const f = new FleetService(h);
    expect(f.status()).toEqual({ configured: true });
    expect(await f.listSites()).toHaveLength(1);
    expect(await f.listRuns('site-x', { limit: 5 })).toEqual([RUN]);
    expect(h.calls).toContainEqual(['listRuns', 'site-x', { limit: 5 }]);
    await expect(f.listRuns('', {})).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(f.listRuns('site-x', { limit: 0 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(await f.listSeries('site-x')).toEqual([
      { seriesId: 'bess.socPct', unit: '%', kind: 'measured', forecastSeriesId: null },
      { seriesId: 'breaker.measuredKw', unit: 'kW', kind: 'measured', forecastSeriesId: null },
    ]);
  });

  it('reduces a series with its unit, at most 5000 buckets, and refuses an empty window', async () => {
    const h = standIn();
    const f = new FleetService(h);
    const d = await f.querySeries('site-x', { seriesId: 'breaker.measuredKw', fromMs: T0, toMs: T0 + 60_000, maxBuckets: 20_000 });
    expect(d).toMatchObject({ seriesId: 'breaker.measuredKw', unit: 'kW', bucketMs: 10_000, mean: [2] });
    expect(h.calls).toContainEqual(['querySeries', 5000]);
    await expect(f.querySeries('site-x', { seriesId: 'x', fromMs: T0, toMs: T0, maxBuckets: 10 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it('filters events by type and run', async () => {
    const f = new FleetService(standIn());
    expect(await f.events('site-x', { fromMs: T0, toMs: T0 + 10, types: ['fault'] })).toHaveLength(1);
    expect(await f.events('site-x', { fromMs: T0, toMs: T0 + 10, runId: 'run-001' })).toHaveLength(1);
  });

  it('exports a run as a local run is exported, named with its site; an unknown run is NOT_FOUND', async () => {
    const f = new FleetService(standIn());
    const csv = await f.exportRun('site-x', RUN.runId, 'csv', 'de');
    expect(csv.fileName).toMatch(/^site-x-.*\.csv$/);
    const text = Buffer.from(csv.base64, 'base64').toString('utf8');
    expect(text).toContain('field-abc/run-001');
    expect(text).toContain('kpi.availability.heldPctOfRequested;97,5;%'); // German: `;` and decimal comma
    expect(text).toMatch(/Z;50;-240\n.*Z;51;\n/); // a gap stays empty
    const json = JSON.parse(Buffer.from((await f.exportRun('site-x', RUN.runId, 'json', 'en')).base64, 'base64').toString('utf8')) as { format: string };
    expect(json.format).toBe('lfc-run-export/1');
    await expect(f.exportRun('site-x', 'nope', 'csv', 'en')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(f.exportRun('site-x', RUN.runId, 'pdf' as 'csv', 'en')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});
