/**
 * The core with the real simulator, a real in-memory SQLite history and a leapt wall clock: an operator
 * trigger is held, stopped, recorded, exported and saved as a scenario that the replay loader accepts.
 */
import { csvNumber } from '../../../src-main/core/run-export';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import ExcelJS from 'exceljs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { invokeChannel, createCoreHandlers } from '../../../src-main/core/handlers';
import { LfcCore } from '../../../src-main/core/lfc-core';
import type { WallTimers } from '../../../src-main/core/lfc-core';
import { resourcesDir } from '../../../src-main/node/paths';
import { loadScenarioFile } from '../../../src-main/node/scenario-file';
import { ReplaySession } from '../../../src-main/replay/replay';
import { loadProfileLibraryFromResources } from '../../../src-main/node/load-profiles';
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

let dataDir: string;
let history: HistoryStore;
let core: LfcCore;
const wall = new FakeWall();

/** Leaps `simS` seconds of session time at the given speed, in ticks of one wall second. */
function leap(simS: number, speed: number): void {
  for (let s = 0; s < simS; s += speed) {
    wall.t += 1000;
    core.pump();
  }
}

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'lfc-core-'));
  history = openHistoryStore({ file: ':memory:' });
  core = new LfcCore({ resourcesDirPath: resourcesDir(), dataDirPath: dataDir, history, appVersion: '0.0.0-test', wall, autoRun: false });
});

afterAll(() => {
  core.close();
  history.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('LfcCore live session', () => {
  it('is idle and refuses triggers before a session starts', async () => {
    expect(core.getState().status).toBe('idle');
    const handlers = createCoreHandlers(core, { appInfo: () => ({ name: 'x', version: '0', electronVersion: null, platform: 'linux' }), resourcesRootPath: join(resourcesDir(), '..') });
    const r = await invokeChannel(handlers, 'core:sendTrigger', [{ useCase: 2, targetKw: -100, durationS: 600 }]);
    expect(r).toEqual({ ok: false, error: { code: 'NOT_READY', message: expect.stringContaining('start the simulator') } });
    const bad = await invokeChannel(handlers, 'core:startSimulator', [{ speed: -3 }]);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error.code).toBe('BAD_REQUEST');
  });

  it('runs the simulator without the scenario’s own triggers, paced by the wall clock', async () => {
    const state = await core.startSimulator({ speed: 60 });
    expect(state.status).toBe('running');
    expect(state.source).toMatchObject({ kind: 'simulator', scenario: 'summer-export-hold' });
    const t0 = state.nowMs;
    leap(600, 60);
    const s = core.getState();
    expect(s.nowMs - t0).toBe(600_000);
    expect(s.run).toBeNull(); // the scenario's 10:00 trigger would have started a run by now
    expect(s.breaker.measuredKw).not.toBeNull();
    expect(s.recent.length).toBeGreaterThan(50);
    expect(s.assets.find((a) => a.kind === 'bess')?.band).not.toBeNull();
  });

  it('checks a trigger against the connection limit and the engine’s band', () => {
    const beyond = core.checkTrigger({ useCase: 2, targetKw: -700, durationS: 3600, toleranceKw: 10 });
    expect(beyond.errors.join()).toContain('connection limit');
    const huge = core.checkTrigger({ useCase: 2, targetKw: 600, durationS: 7200, toleranceKw: 10 });
    expect(huge.verdict).toBe('infeasible');
    const fine = core.checkTrigger({ useCase: 2, targetKw: (core.getState().breaker.measuredKw ?? 0) - 20, durationS: 1800, toleranceKw: 10 });
    expect(fine.errors).toEqual([]);
    expect(fine.verdict).toBe('feasible');
  });

  it('holds an operator target, stops on request, and records the run with its KPIs', () => {
    const target = Math.round((core.getState().breaker.measuredKw ?? 0) - 80);
    const r = core.sendTrigger({ useCase: 2, targetKw: target, durationS: 3600, toleranceKw: 10 });
    expect(r.accepted).toBe(true);
    leap(900, 60);
    const s = core.getState();
    expect(s.run?.targetKw).toBe(target);
    expect(Math.abs(s.breaker.measuredKw! - target)).toBeLessThanOrEqual(10);
    expect(s.run?.kpis?.withinBandPct).toBeGreaterThan(80);

    expect(core.stop().accepted).toBe(true);
    expect(core.getState().run).toBeNull();
    const [engineRun] = core.engineRuns();
    expect(engineRun?.endReason).toBe('operator-stop');
    const runs = core.listRuns();
    expect(runs).toHaveLength(1);
    expect(runs[0]!.endReason).toBe('operator-stop');
    expect(runs[0]!.kpis).toEqual(JSON.parse(JSON.stringify(engineRun!.kpis)));
    expect(core.events({ fromMs: 0, toMs: Number.MAX_SAFE_INTEGER, types: ['run-ended'] })).toHaveLength(1);
  });

  it('answers decimated series queries with units', () => {
    const series = core.listSeries().map((s) => s.seriesId);
    expect(series).toEqual(expect.arrayContaining(['breaker.measuredKw', 'breaker.targetKw', 'bess.socPct', 'community.pvKw']));
    const s = core.getState();
    const d = core.querySeries({ seriesId: 'breaker.measuredKw', fromMs: s.startMs, toMs: s.nowMs, maxBuckets: 50 });
    expect(d.unit).toBe('kW');
    expect(d.timeMs.length).toBeLessThanOrEqual(50);
    expect(d.mean.filter((x) => x !== null).length).toBeGreaterThan(10);
  });

  it('exports the run as CSV, XLSX and JSON with the engine’s KPIs', async () => {
    const [run] = core.listRuns();
    const engineKpis = core.engineRuns()[0]!.kpis!;
    const csv = Buffer.from((await core.exportRun(run!.runId, 'csv')).base64, 'base64').toString('utf8');
    expect(csv).toContain(`# kpi.accuracy.maeKw,${csvNumber(engineKpis.accuracy.maeKw!, 'en')},kW`);
    expect(csv).toMatch(/\ntime \(UTC\),local time \(Europe\/Rome\),breaker\.measuredKw \[kW\],breaker\.targetKw \[kW\]/);
    const file = await core.exportRun(run!.runId, 'xlsx');
    expect(file.fileName).toMatch(/\.xlsx$/);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.load(Buffer.from(file.base64, 'base64') as unknown as ArrayBuffer);
    const kpiSheet = wb.getWorksheet('KPIs')!;
    const rows = new Map<string, unknown>();
    kpiSheet.eachRow((row) => rows.set(String(row.getCell(1).value), row.getCell(2).value));
    expect(rows.get('kpi.accuracy.withinBandPct')).toBe(engineKpis.accuracy.withinBandPct);
    expect(rows.get('endReason')).toBe('operator-stop');
    expect(wb.getWorksheet('Time series')!.getRow(1).getCell(2).value).toBe('breaker.measuredKw [kW]');
    const json = JSON.parse(Buffer.from((await core.exportRun(run!.runId, 'json')).base64, 'base64').toString('utf8'));
    expect(json.run.kpis.availability.coveredPct).toBe(engineKpis.availability.coveredPct);
    await expect(core.exportRun('nope', 'csv')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('saves the run as a scenario the replay accepts, and replaying it holds the same target', async () => {
    leap(120, 60); // some data after the stop, so the stop lies inside the recorded span
    const [run] = core.listRuns();
    const saved = await core.saveRunAsScenario({ runId: run!.runId, name: 'recorded-test' });
    const loaded = await loadScenarioFile(saved.path);
    expect(loaded.scenario.assets.map((a) => a.kind)).toEqual(['bess', 'series']);
    expect(loaded.scenario.events[0]).toMatchObject({ useCase: 2, targetKw: run!.trigger['targetKw'] });
    expect(loaded.scenario.events[1]).toMatchObject({ useCase: 0 });
    const result = new ReplaySession({ ...loaded, loadProfiles: loadProfileLibraryFromResources(resourcesDir()), controller: 'lfc' }).finish();
    expect(result.runs[0]?.endReason).toBe('operator-stop');
    expect(result.runs[0]?.kpis?.accuracy.withinBandPct).toBeGreaterThan(80);
  });

  it('replays a scenario with lfc and deadbeat side by side', async () => {
    const path = join(resourcesDir(), 'scenarios', 'summer-export-hold', 'scenario.json');
    const started = await core.startReplay({ scenarioPath: path, speed: 'max' });
    expect(started.status).toBe('running');
    for (let i = 0; i < 200 && core.getReplay().status === 'running'; i++) {
      wall.t += 1000;
      core.pump();
    }
    const done = core.getReplay();
    expect(done.status).toBe('done');
    expect(done.sides.map((s) => s.controller)).toEqual(['lfc', 'deadbeat']);
    expect(done.sides[0]!.runs[0]!.kpis).not.toBeNull();
    expect(done.sides[1]!.timeMs.length).toBe(done.sides[0]!.timeMs.length);
  });

  it('reset() forgets the sessions', () => {
    core.reset();
    expect(core.getState().status).toBe('idle');
    expect(core.getReplay().status).toBe('idle');
  });
});
