/**
 * What every host opens around the core, with serve mode's real stores (JSON settings file, file secret
 * store) in a temporary data folder: the history file and its retention, prune at start and daily (leapt
 * timers), the log file, the settings' problems, the preferences the console reads and writes, and the
 * history's one owner (a second console on the folder refused; a dead owner's runs closed as interrupted).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import type { WallTimers } from '../../../../src-main/core/lfc-core';
import { logFileIn, openHostServices, PRUNE_INTERVAL_MS } from '../../../../src-main/main/services/host-services';
import { FileSecretStore } from '../../../../src-main/main/settings/file-secret-store';
import { JsonFileSettingsStore } from '../../../../src-main/main/settings/json-file-settings-store';
import { defaultSettings } from '../../../../src-main/main/settings/settings-schema';
import { resourcesDir } from '../../../../src-main/node/paths';
import { defaultHistoryFile, openHistoryStore } from '../../../../src-main/storage/history-store';

const DAY_MS = 86_400_000;

class ManualWall implements WallTimers {
  t = Date.UTC(2026, 10, 1);
  timers: Array<{ fn: () => void; ms: number; next: number } | null> = [];
  now(): number {
    return this.t;
  }
  setInterval(fn: () => void, ms: number): unknown {
    this.timers.push({ fn, ms, next: this.t + ms });
    return this.timers.length - 1;
  }
  clearInterval(handle: unknown): void {
    this.timers[handle as number] = null;
  }
  leap(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = this.timers.filter((x) => x !== null && x.next <= end).sort((a, b) => a!.next - b!.next)[0];
      if (!due) break;
      this.t = due.next;
      due.next += due.ms;
      due.fn();
    }
    this.t = end;
  }
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lfc-host-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function open(wall: ManualWall) {
  const settings = JsonFileSettingsStore.open({ file: join(dir, 'settings.json'), defaults: defaultSettings({ dataDir: join(dir, 'data') }), nowMs: 7 });
  const secrets = FileSecretStore.open({ file: join(dir, 'secrets.json') });
  return openHostServices({ settings, secrets, resourcesDirPath: resourcesDir(), appVersion: '0.0.0-test', secretsDescription: 'a test store', wall, core: { autoRun: false, loadSolver: null } });
}

describe('openHostServices', () => {
  it('opens the history in the data folder with the settings’ retention, prunes at start and daily, and logs', () => {
    const wall = new ManualWall();
    // A history from earlier days: one point 40 days old, one 10 days old.
    const file = defaultHistoryFile(join(dir, 'data'));
    mkdirSync(join(dir, 'data'), { recursive: true });
    const before = openHistoryStore({ file });
    before.appendPoints([
      { seriesId: 'breaker.measuredKw', timeMs: wall.t - 40 * DAY_MS, value: 1 },
      { seriesId: 'breaker.measuredKw', timeMs: wall.t - 10 * DAY_MS, value: 2 },
    ]);
    before.close();

    const s = open(wall);
    expect(s.dataDirPath).toBe(join(dir, 'data'));
    expect(s.history.getRetention()).toEqual({ measurements: 31, events: 366 });
    const all = () => s.history.queryRaw('breaker.measuredKw', 0, Number.MAX_SAFE_INTEGER).value.length;
    expect(all()).toBe(1); // the 40-day-old point went at start

    // Shorter retention from the settings, then a day later the daily prune takes the 10-day-old point.
    s.settings.set('retention', { measurementsDays: 5, eventsDays: 30 });
    expect(s.history.getRetention()).toEqual({ measurements: 5, events: 30 });
    wall.leap(PRUNE_INTERVAL_MS - 1000);
    expect(all()).toBe(1);
    wall.leap(1000);
    expect(all()).toBe(0);

    s.close();
    s.close();
    const log = readFileSync(logFileIn(join(dir, 'data')), 'utf8');
    expect(log).toContain('starting 0.0.0-test');
    expect(log).toContain('pruned 1 points');
    expect(log).toContain('retention now 5 days');
    expect(log).toMatch(/stopped\n$/);
    expect(wall.timers.every((t) => t === null)).toBe(true);
  });

  it('keeps language and theme in the settings file for the console', () => {
    const s = open(new ManualWall());
    expect(s.core.getSettings()).toMatchObject({ preferences: { language: 'en', theme: 'system' }, logFilePath: logFileIn(join(dir, 'data')) });
    expect(s.core.setPreferences({ theme: 'dark' })).toEqual({ language: 'en', theme: 'dark' });
    expect(JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8')).theme).toBe('dark');
    s.close();
    const again = open(new ManualWall());
    expect(again.core.getSettings().preferences).toEqual({ language: 'en', theme: 'dark' });
    again.close();
  });

  it('reports settings that fell back to defaults, in the log and for the console', () => {
    writeFileSync(join(dir, 'settings.json'), JSON.stringify({ dataDir: join(dir, 'data'), theme: 'neon', language: 'de' }));
    const s = open(new ManualWall());
    expect(s.startupProblems).toHaveLength(1);
    expect(s.startupProblems[0]).toMatch(/^theme: .*default used/);
    expect(s.settings.get('language')).toBe('de');
    s.close();
    expect(readFileSync(logFileIn(join(dir, 'data')), 'utf8')).toContain('WARN  [settings] theme:');
  });

  it('says which history file it cannot open (another application’s database), and leaves nothing running', () => {
    mkdirSync(join(dir, 'data', 'history'), { recursive: true });
    const foreign = new Database(defaultHistoryFile(join(dir, 'data')));
    foreign.exec('CREATE TABLE theirs (x)');
    foreign.close();
    const wall = new ManualWall();
    expect(() => open(wall)).toThrow(/lfc-history\.sqlite3 cannot be used: it is another SQLite database/);
    expect(wall.timers).toEqual([]);
    expect(existsSync(logFileIn(join(dir, 'data')))).toBe(true);
  });

  it('moves a damaged history aside, byte for byte, starts a new one and says so — never resets it in place', () => {
    mkdirSync(join(dir, 'data', 'history'), { recursive: true });
    const file = defaultHistoryFile(join(dir, 'data'));
    const damaged = 'this is not a database, it is a text file that is long enough to have a header. '.repeat(20);
    writeFileSync(file, damaged);
    const s = open(new ManualWall());
    try {
      const moved = readdirSync(join(dir, 'data', 'history')).filter((f) => f.includes('.damaged-'));
      expect(moved).toHaveLength(1);
      expect(readFileSync(join(dir, 'data', 'history', moved[0]!), 'utf8')).toBe(damaged);
      expect(s.startupProblems.join('\n')).toMatch(/lfc-history\.sqlite3 is damaged \(file is not a database\); it was moved to .*\.damaged-.* and a new history started/);
      s.history.appendPoints([{ seriesId: 'x.powerKw', timeMs: 0, value: 1 }]);
      s.history.flush();
      expect(s.history.listSeries()).toEqual(['x.powerKw']);
    } finally {
      s.close();
    }
  });

  it('moves aside a history damaged inside (header and schema intact, table pages not) at start — not in the middle of a run', () => {
    mkdirSync(join(dir, 'data', 'history'), { recursive: true });
    const file = defaultHistoryFile(join(dir, 'data'));
    const h = openHistoryStore({ file });
    h.appendPoints(Array.from({ length: 20_000 }, (_, i) => ({ seriesId: `s${i % 20}.powerKw`, timeMs: i * 1000, value: i })));
    h.flush();
    h.close();
    // A torn write of a power cut or a bad sector: garbage over every other page past the schema's.
    const bytes = readFileSync(file);
    for (let page = 3; page * 4096 < bytes.length; page += 2) bytes.fill(0xab, page * 4096, page * 4096 + 512);
    writeFileSync(file, bytes);
    const s = open(new ManualWall());
    try {
      const moved = readdirSync(join(dir, 'data', 'history')).filter((f) => f.includes('.damaged-'));
      expect(moved).toHaveLength(1);
      expect(readFileSync(join(dir, 'data', 'history', moved[0]!)).equals(bytes)).toBe(true);
      expect(s.startupProblems.join('\n')).toMatch(/lfc-history\.sqlite3 is damaged \(.*malformed.*\); it was moved to .*\.damaged-.* and a new history started/);
      expect(readFileSync(logFileIn(join(dir, 'data')), 'utf8')).toMatch(/ERROR .*\[history\] .* is damaged/);
      // The new history works where the damaged one would have failed at its first query.
      s.history.appendPoints([{ seriesId: 's1.powerKw', timeMs: 0, value: 1 }]);
      s.history.flush();
      expect(s.history.queryRaw('s1.powerKw', 0, 1e12).timeMs.length).toBe(1);
    } finally {
      s.close();
    }
  });

  it('refuses a second console on the same data folder, naming the process that holds it; opens again once the first has closed', () => {
    const first = open(new ManualWall());
    try {
      expect(() => open(new ManualWall())).toThrow(new RegExp(`in use by process ${process.pid}`));
    } finally {
      first.close();
    }
    open(new ManualWall()).close();
  });

  it('gives a run a killed process left in force its KPIs up to the crash, from the samples the history holds, against the whole request', () => {
    const file = defaultHistoryFile(join(dir, 'data'));
    mkdirSync(join(dir, 'data', 'history'), { recursive: true });
    const h = openHistoryStore({ file });
    const startMs = 1_750_000_000_000;
    const trigger = { id: 'T1', source: 'operator', receivedAt: new Date(startMs).toISOString(), startAt: new Date(startMs).toISOString(), useCase: 2, targetKw: -150, durationS: 3600, toleranceKw: 10, schedule: null };
    h.saveRun({ runId: 'sim-dead/run-001', sessionId: 'sim-dead', scenario: 'x', controller: 'lfc', useCase: 2, startMs, endMs: null, endReason: null, trigger, kpis: null, appVersion: 't', configVersion: 'lfc-config/1' });
    h.appendEvents([{ timeMs: startMs + 60_000, type: 'dispatch', level: 'info', message: 'the last event', runId: 'run-001' }]);
    // Five minutes of samples held in band, then the kill (the samples are the last sign of life).
    for (let t = startMs; t <= startMs + 300_000; t += 10_000) {
      h.appendPoints([
        { seriesId: 'breaker.measuredKw', timeMs: t, value: -150 + (t % 20_000 === 0 ? 2 : -2) },
        { seriesId: 'breaker.targetKw', timeMs: t, value: -150 },
        { seriesId: 'flex.downKw', timeMs: t, value: -300 },
        { seriesId: 'flex.upKw', timeMs: t, value: 300 },
      ]);
    }
    h.flush();
    h.close();
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(`${file}.lock`, JSON.stringify({ pid: deadPid, host: hostname(), startedAt: '2026-11-01T00:00:00.000Z' }));
    const s = open(new ManualWall());
    try {
      const run = s.core.listRuns().find((r) => r.runId === 'sim-dead/run-001')!;
      expect(run).toMatchObject({ endReason: 'interrupted', endMs: startMs + 300_000 });
      const kpis = run.kpis as { accuracy: { withinBandPct: number; maeKw: number }; availability: { heldPctOfRequested: number } };
      expect(kpis.accuracy.withinBandPct).toBe(100);
      expect(kpis.accuracy.maeKw).toBeCloseTo(2, 5);
      // Held five of the sixty minutes asked for: the request did not end with the process.
      expect(kpis.availability.heldPctOfRequested).toBeGreaterThan(0);
      expect(kpis.availability.heldPctOfRequested).toBeLessThanOrEqual((100 * 5) / 60);
    } finally {
      s.close();
    }
  });

  it('closes a run that a killed process left in force as interrupted, at the last moment the history heard of it', () => {
    const file = defaultHistoryFile(join(dir, 'data'));
    mkdirSync(join(dir, 'data', 'history'), { recursive: true });
    const h = openHistoryStore({ file });
    h.saveRun({ runId: 'field-dead/run-001', sessionId: 'field-dead', scenario: 'x', controller: 'lfc', useCase: 2, startMs: 1_000_000, endMs: null, endReason: null, trigger: {}, kpis: null, appVersion: 't', configVersion: 'lfc-config/1' });
    h.appendEvents([{ timeMs: 1_300_000, type: 'dispatch', level: 'info', message: 'the last sign of life', runId: 'run-001' }]);
    h.flush();
    h.close();
    // The dead process's lock is still there (kill -9 leaves it).
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid!;
    writeFileSync(`${file}.lock`, JSON.stringify({ pid: deadPid, host: hostname(), startedAt: '2026-11-01T00:00:00.000Z' }));
    const s = open(new ManualWall());
    try {
      expect(s.core.listRuns().find((r) => r.runId === 'field-dead/run-001')).toMatchObject({ endReason: 'interrupted', endMs: 1_300_000 });
      expect(readFileSync(logFileIn(join(dir, 'data')), 'utf8')).toMatch(new RegExp(`previous owner of this data folder \\(process ${deadPid}.*stopped without closing it`));
    } finally {
      s.close();
    }
  });
});
