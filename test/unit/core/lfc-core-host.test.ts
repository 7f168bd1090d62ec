/**
 * What the core offers its hosts beyond the console's live picture: the planner's forecasts recorded into
 * the history (real HiGHS solver, real in-memory SQLite) and queried back for the Trends overlay; pruning
 * that never eats the live session; preferences; record verification.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { createCoreHandlers, invokeChannel } from '../../../src-main/core/handlers';
import { LfcCore } from '../../../src-main/core/lfc-core';
import type { WallTimers } from '../../../src-main/core/lfc-core';
import { resourcesDir } from '../../../src-main/node/paths';
import { loadOrCreateInstallationKey } from '../../../src-main/record/installation-key';
import { RecordLog } from '../../../src-main/record/record-log';
import { openHistoryStore } from '../../../src-main/storage/history-store';
import type { HistoryStore } from '../../../src-main/storage/history-store';

class FakeWall implements WallTimers {
  t = 1_000_000;
  now(): number {
    return this.t;
  }
  setInterval(): unknown {
    throw new Error('tests drive the core by hand');
  }
  clearInterval(): void {}
}

let dir: string;
let history: HistoryStore;
let core: LfcCore;
const wall = new FakeWall();
const leap = (simS: number, speed: number): void => {
  for (let s = 0; s < simS; s += speed) {
    wall.t += 1000;
    core.pump();
  }
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lfc-core-host-'));
  history = openHistoryStore({ file: ':memory:' });
  core = new LfcCore({ resourcesDirPath: resourcesDir(), dataDirPath: dir, history, appVersion: '0.0.0-test', wall, autoRun: false });
  await core.startSimulator({ speed: 60 });
  leap(300, 60);
  const measured = core.getState().breaker.measuredKw!;
  expect(core.sendTrigger({ useCase: 2, targetKw: Math.round(measured - 80), durationS: 3600, toleranceKw: 10 }).accepted).toBe(true);
  leap(1800, 60);
});

afterAll(() => {
  core.close();
  history.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('forecasts of the 15-minute plans', () => {
  it('records each plan’s residual, breaker and BESS forecasts, issued at the plan’s time', () => {
    const dispatches = core.events({ fromMs: 0, toMs: Number.MAX_SAFE_INTEGER, types: ['dispatch'] }).filter((e) => e.data?.['method'] === 'plan');
    expect(dispatches.length).toBeGreaterThanOrEqual(2);
    const issues = history.listForecastIssues('forecast.breakerKw', 0, Number.MAX_SAFE_INTEGER);
    // One issue per plan (a plan kept after a failed re-plan is not recorded twice).
    expect(issues.length).toBeGreaterThanOrEqual(2);
    expect(issues.length).toBeLessThanOrEqual(dispatches.length);
    for (const t of issues) expect(dispatches.map((d) => d.timeMs)).toContain(t);
    for (const id of ['forecast.residualKw', 'plan.bessKw']) expect(history.listForecastIssues(id, 0, Number.MAX_SAFE_INTEGER)).toEqual(issues);
    const latest = history.latestForecast('forecast.breakerKw', Number.MAX_SAFE_INTEGER)!;
    expect(latest.timeMs[1]! - latest.timeMs[0]!).toBe(900_000);
    // During a use-case-2 run the plan holds the breaker at the target, within the tolerance.
    const target = core.getState().run!.targetKw!;
    expect(Math.abs(latest.value[1]! - target)).toBeLessThanOrEqual(10);
  });

  it('lists forecast series apart and names the overlay of the measured breaker power', () => {
    const series = core.listSeries();
    const byId = new Map(series.map((s) => [s.seriesId, s]));
    expect(byId.get('forecast.breakerKw')).toEqual({ seriesId: 'forecast.breakerKw', unit: 'kW', kind: 'forecast', forecastSeriesId: null });
    expect(byId.get('plan.bessKw')?.kind).toBe('forecast');
    expect(byId.get('breaker.measuredKw')).toMatchObject({ kind: 'measured', forecastSeriesId: 'forecast.breakerKw' });
    expect(byId.get('bess.powerKw')).toMatchObject({ kind: 'measured', forecastSeriesId: 'plan.bessKw' });
    expect(byId.get('community.pvKw')).toMatchObject({ kind: 'measured', forecastSeriesId: null });
  });

  it('answers the forecast as it was in force over a window, through the contract', async () => {
    const s = core.getState();
    const handlers = createCoreHandlers(core, { appInfo: () => ({ name: 'x', version: '0', electronVersion: null, platform: 'linux' }), resourcesRootPath: join(resourcesDir(), '..') });
    const r = await invokeChannel(handlers, 'history:queryForecast', [{ seriesId: 'forecast.breakerKw', fromMs: s.run!.startMs, toMs: s.nowMs + 1_800_000 }]);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const f = r.value;
    expect(f.unit).toBe('kW');
    expect(f.stepMs).toBe(900_000);
    expect(f.plans).toBeGreaterThanOrEqual(2);
    expect(f.timeMs.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < f.timeMs.length; i++) expect(f.timeMs[i]! - f.timeMs[i - 1]!).toBe(900_000);
    // Every slot after the first plan comes from a plan issued by its start.
    f.timeMs.forEach((t, i) => {
      if (i > 0) expect(f.issuedMs[i]!).toBeLessThanOrEqual(t);
    });
    const bad = await invokeChannel(handlers, 'history:queryForecast', [{ seriesId: 'forecast.breakerKw', fromMs: 5, toMs: 1 }]);
    expect(bad).toMatchObject({ ok: false, error: { code: 'BAD_REQUEST' } });
    const none = core.queryForecast({ seriesId: 'nothing.stored', fromMs: 0, toMs: 1 });
    expect(none).toMatchObject({ plans: 0, timeMs: [], stepMs: 0 });
  });

  it('records nothing without a solver, and says so (no forecast series)', async () => {
    const h = openHistoryStore({ file: ':memory:' });
    const w = new FakeWall();
    const c = new LfcCore({ resourcesDirPath: resourcesDir(), dataDirPath: dir, history: h, appVersion: 't', wall: w, autoRun: false, loadSolver: null });
    await c.startSimulator({ speed: 60 });
    c.sendTrigger({ useCase: 2, targetKw: -100, durationS: 1800 });
    for (let i = 0; i < 20; i++) {
      w.t += 1000;
      c.pump();
    }
    expect(c.listSeries().filter((s) => s.kind === 'forecast')).toEqual([]);
    expect(c.listSeries().find((s) => s.seriesId === 'breaker.measuredKw')?.forecastSeriesId).toBeNull();
    c.close();
    h.close();
  });
});

describe('host services of the core', () => {
  it('prunes by the retention at wall time, but never the live session on its old scenario calendar', () => {
    const s = core.getState();
    // The scenario lies in June 2026; a wall clock two years later would put all of it past 31 days.
    const twoYearsLaterMs = s.startMs + 2 * 365 * 86_400_000;
    history.appendPoints([{ seriesId: 'old.valueKw', timeMs: s.startMs - 40 * 86_400_000, value: 1 }]);
    const removed = core.pruneHistory(twoYearsLaterMs);
    expect(removed.points).toBe(1);
    expect(core.querySeries({ seriesId: 'breaker.measuredKw', fromMs: s.startMs, toMs: s.nowMs, maxBuckets: 10 }).mean.some((x) => x !== null)).toBe(true);
  });

  it('keeps a past simulated session whose run is recorded, after that session has ended', () => {
    const s = core.getState();
    const twoYearsLaterMs = s.startMs + 2 * 365 * 86_400_000;
    // A run of a simulated session that is no longer live, with its data months back on its calendar.
    const runStartMs = s.startMs - 90 * 86_400_000;
    history.saveRun({ runId: 'old-run', sessionId: 'sim-old', scenario: 'x', controller: 'lfc', useCase: 2, startMs: runStartMs, endMs: runStartMs + 3_600_000, endReason: 'duration-elapsed', trigger: {}, kpis: null, appVersion: 't', configVersion: 't' });
    history.appendPoints([{ seriesId: 'old.valueKw', timeMs: runStartMs + 60_000, value: 1 }]);
    core.pruneHistory(twoYearsLaterMs);
    expect(history.queryRaw('old.valueKw', runStartMs, runStartMs + 3_600_000).value.length).toBe(1);
  });

  it('refuses preferences when the host keeps none, and validates them', async () => {
    expect(core.getSettings().preferences).toBeNull();
    expect(() => core.setPreferences({ theme: 'dark' })).toThrow(/keeps no preferences/);
    expect(() => core.setPreferences({ theme: 'neon' as 'dark' })).toThrow(/theme/);
    const handlers = createCoreHandlers(core, { appInfo: () => ({ name: 'x', version: '0', electronVersion: null, platform: 'linux' }), resourcesRootPath: '.' });
    expect(await invokeChannel(handlers, 'settings:setPreferences', [{ theme: 'dark' }])).toMatchObject({ ok: false, error: { code: 'NOT_AVAILABLE' } });
    expect(await invokeChannel(handlers, 'runs:exportPdf', ['x'])).toMatchObject({ ok: false, error: { code: 'NOT_AVAILABLE' } });
    expect(await invokeChannel(handlers, 'app:getStartupProblems', [])).toEqual({ ok: true, value: [] });
  });

  it('a console limited to its folders does not read a file elsewhere, nor echo it', async () => {
    const h = openHistoryStore({ file: ':memory:' });
    const c = new LfcCore({ resourcesDirPath: resourcesDir(), dataDirPath: dir, history: h, appVersion: 't', wall: new FakeWall(), autoRun: false, loadSolver: null, allowedFileRoots: [resourcesDir(), dir] });
    await expect(c.verifyRecord('/etc/passwd')).rejects.toThrow(/outside the folders this console may read/);
    await expect(c.startSimulator({ scenarioPath: '/etc/passwd' })).rejects.toThrow(/outside the folders/);
    await expect(c.verifyRecord(join(dir, '..', '..', 'etc', 'passwd'))).rejects.toThrow(/outside the folders/);
    c.close();
    h.close();
  });

  it('pins the installation key from the data folder: a record signed with another key fails', async () => {
    loadOrCreateInstallationKey(join(dir, 'keys'));
    const file = join(dir, 'forged.jsonl');
    let t = 2e12;
    const forged = new RecordLog({ file, key: loadOrCreateInstallationKey(join(dir, 'another-key')), installation: 'test-site', nowMs: () => (t += 1000) });
    forged.append('event', { type: 'run-ended', endReason: 'duration-elapsed' });
    forged.close();
    const r = await core.verifyRecord(file);
    expect(r.ok).toBe(false);
    rmSync(join(dir, 'keys'), { recursive: true, force: true });
  });

  it('verifies a record file, names the first broken line, and says when the file cannot be read', async () => {
    const file = join(dir, 'record.jsonl');
    let t = 2e12;
    const log = new RecordLog({ file, key: loadOrCreateInstallationKey(join(dir, 'key')), installation: 'test-site', nowMs: () => (t += 1000) });
    log.append('event', { type: 'run-started' });
    log.append('event', { type: 'run-ended' });
    log.close();
    const good = await core.verifyRecord(file);
    expect(good).toMatchObject({ ok: true, path: file, entries: 4 }); // header, two events, the seal
    const lines = readFileSync(file, 'utf8').split('\n');
    lines[2] = lines[2]!.replace('run-ended', 'run-ENDED');
    writeFileSync(file, lines.join('\n'));
    const bad = await core.verifyRecord(file);
    expect(bad).toMatchObject({ ok: false, line: 3 });
    await expect(core.verifyRecord(join(dir, 'missing.jsonl'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
