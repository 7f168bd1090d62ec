/**
 * The live session's switches and refusals, on the real simulator without a planner: idle until started,
 * one session at a time, no switch to field mode while a run is in force, nothing after close.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { CoreEvents } from '../../../../src-main/core/services/host-ports';
import { LiveSessionService } from '../../../../src-main/core/services/live-session';
import { Pacer } from '../../../../src-main/core/services/pacer';
import { ScenarioFiles } from '../../../../src-main/core/services/scenario-files';
import type { SiteService } from '../../../../src-main/core/site-service';
import { resourcesDir } from '../../../../src-main/node/paths';
import { openHistoryStore } from '../../../../src-main/storage/history-store';
import type { HistoryStore } from '../../../../src-main/storage/history-store';
import { FakeWall } from './fakes';

let dir: string;
let history: HistoryStore;
let live: LiveSessionService;
const wall = new FakeWall();
const heard: string[] = [];
let siteLoads = 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'lfc-live-session-'));
  history = openHistoryStore({ file: ':memory:' });
  const events = new CoreEvents();
  events.subscribe((channel) => heard.push(channel));
  live = new LiveSessionService({
    resourcesDirPath: resourcesDir(),
    dataDirPath: dir,
    appVersion: 't',
    history,
    files: new ScenarioFiles({ resourcesDirPath: resourcesDir(), allowedFileRoots: null, loadSolver: null }),
    events,
    pacer: new Pacer(wall, { maxSliceWallMs: 30, maxStepsPerTick: 3600 }),
    wall,
    site: () => ({ load: () => (siteLoads++, { site: { name: 'x' } }) }) as unknown as SiteService,
    recentWindowMs: 30 * 60_000,
    memberRecordPeriodS: 60,
  });
});
afterAll(() => {
  live.close();
  history.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('LiveSessionService', () => {
  it('is idle and refuses commands before a session starts', () => {
    expect(live.getState()).toMatchObject({ status: 'idle', source: null });
    expect(live.active).toBe(false);
    expect(live.nowMs()).toBeNull();
    expect(() => live.setSpeed(10)).toThrow(/no live session/);
    expect(() => live.sendTrigger({ useCase: 0 })).toThrow(expect.objectContaining({ code: 'NOT_READY' }));
  });

  it('starts the simulator and paces it by the wall clock', async () => {
    const state = await live.startSimulator({ speed: 60 });
    expect(state).toMatchObject({ status: 'running', speed: 60 });
    const t0 = live.nowMs()!;
    wall.t += 1000;
    live.pump();
    expect(live.nowMs()! - t0).toBe(60_000);
    expect(live.bessId()).toBeTruthy();
  });

  it('refuses to switch to field mode while a run is in force, before it touches the site', async () => {
    expect(live.sendTrigger({ useCase: 2, targetKw: 0, durationS: 3600 }).accepted).toBe(true);
    await expect(live.startField()).rejects.toThrow(/a run is in force: stop it before switching to field mode/);
    expect(siteLoads).toBe(0);
    expect(live.stop().accepted).toBe(true);
  });

  it('a restart ends the previous session (scenario-end) and its run; after close nothing starts', async () => {
    const first = live.getState().sessionId;
    live.sendTrigger({ useCase: 2, targetKw: 0, durationS: 3600 });
    await live.startSimulator({});
    expect(live.getState().sessionId).not.toBe(first);
    expect(history.listRuns().find((r) => r.sessionId === first && r.endMs === null)).toBeUndefined();
    live.close();
    await expect(live.startSimulator({})).rejects.toThrow(/the console is closing/);
    expect(live.active).toBe(false);
  });
});
