/**
 * The simulator as a live session on a real in-memory history: each breaker sample's series go into the
 * history at a flush (not before), the members' readings only every member period, an operator trigger is
 * stamped with the session's time and recorded as a run at once, and `end` closes it as `scenario-end`.
 */
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { SimulatorSession } from '../../../../src-main/core/services/simulator-session';
import { loadProfileLibraryFromResources } from '../../../../src-main/node/load-profiles';
import { resourcesDir } from '../../../../src-main/node/paths';
import { loadScenarioFile } from '../../../../src-main/node/scenario-file';
import type { LoadedScenario } from '../../../../src-main/node/scenario-file';
import { openHistoryStore } from '../../../../src-main/storage/history-store';
import type { HistoryStore } from '../../../../src-main/storage/history-store';

let loaded: LoadedScenario;
let history: HistoryStore;
let session: SimulatorSession;

beforeAll(async () => {
  loaded = await loadScenarioFile(join(resourcesDir(), 'scenarios', 'summer-export-hold', 'scenario.json'));
  history = openHistoryStore({ file: ':memory:' });
  session = new SimulatorSession({
    loaded,
    loadProfiles: loadProfileLibraryFromResources(resourcesDir()),
    solver: null,
    withScenarioTriggers: false,
    speed: 1,
    wallNowMs: 0,
    history,
    appVersion: 't',
    recentWindowMs: 30 * 60_000,
    memberRecordPeriodS: 60,
  });
});
afterAll(() => history.close());

describe('SimulatorSession', () => {
  it('holds samples until a flush, then writes the breaker, totals and BESS series', () => {
    const startMs = session.sim.nowMs;
    session.sim.advance(Math.round(120_000 / session.sim.stepMs));
    expect(history.listSeries()).toEqual([]);
    session.flush();
    const ids = history.listSeries();
    expect(ids).toEqual(expect.arrayContaining(['breaker.measuredKw', 'breaker.targetKw', 'community.pvKw', 'community.loadKw', `${session.bessId}.powerKw`, `${session.bessId}.socPct`]));
    const breaker = history.queryRaw('breaker.measuredKw', startMs, session.sim.nowMs + 1);
    expect(breaker.timeMs.length).toBeGreaterThanOrEqual(11);
    const member = ids.find((id) => id.endsWith('.indoorC') || (id.endsWith('.socPct') && !id.startsWith(session.bessId)));
    if (member) expect(history.queryRaw(member, startMs, session.sim.nowMs + 1).timeMs.length).toBeLessThanOrEqual(3);
    expect(session.getState()).toMatchObject({ status: 'running', source: { kind: 'simulator', scenario: loaded.scenario.name }, sessionId: session.sessionId });
  });

  it('stamps an operator trigger with its own time, records the run at once, and ends it at the end', () => {
    const r = session.sendTrigger({ useCase: 2, targetKw: 0, durationS: 3600 });
    expect(r).toMatchObject({ accepted: true });
    expect(session.runInForce()).toBe('run');
    const [stored] = history.listRuns();
    expect(stored).toMatchObject({ sessionId: session.sessionId, scenario: loaded.scenario.name, endMs: null });
    session.end();
    expect(session.runInForce()).toBeNull();
    expect(history.listRuns()[0]).toMatchObject({ endReason: 'scenario-end' });
  });
});
