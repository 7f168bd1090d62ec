/**
 * The console's side of the desktop wiring, without a DOM: menu commands, record verification texts,
 * preferences kept by the host, the PDF report's fallback to the browser's print, and the forecast overlay.
 */
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';

import { setBridge } from '../../../src-renderer/src/api';
import type { CoreSettings, ForecastData, IpcResult, LfcApi, SeriesInfo } from '../../../src-renderer/src/api';
import { en } from '../../../src-renderer/src/i18n/messages';
import { describeVerification, menuEffect } from '../../../src-renderer/src/stores/notices';
import { kpiRows, kpiUnit, useRunsStore } from '../../../src-renderer/src/stores/runs';
import { parsePreferences, resolveTheme, useSettingsStore } from '../../../src-renderer/src/stores/settings';
import { forecastPoints, forecastsToDraw } from '../../../src-renderer/src/stores/trends';

function fakeBridge(calls: Array<[string, unknown[]]>, answers: Record<string, (...a: unknown[]) => IpcResult<unknown>>): LfcApi {
  return new Proxy({} as LfcApi, {
    get: (_t, channel: string) =>
      (...args: unknown[]) => {
        calls.push([channel, args]);
        if (channel.includes(':on')) return () => undefined;
        const a = answers[channel];
        return Promise.resolve(a ? a(...args) : { ok: true, value: null });
      },
  });
}

/** A tiny stand-in for vue-i18n's `t` over the English messages. */
const t = (key: string, values: Record<string, unknown> = {}): string => {
  const text = key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)[k], en) as string;
  return text.replace(/\{(\w+)\}/g, (_m, k: string) => String(values[k]));
};

beforeEach(() => {
  setActivePinia(createPinia());
  setBridge(null);
});

describe('desktop menu commands', () => {
  it('maps every command to what the console does', () => {
    expect(menuEffect({ action: 'view', view: 'trends' })).toEqual({ kind: 'go', view: 'trends' });
    expect(menuEffect({ action: 'exportRun' })).toEqual({ kind: 'go', view: 'runs' });
    expect(menuEffect({ action: 'stop' })).toEqual({ kind: 'stop' });
    expect(menuEffect({ action: 'openScenario', path: '/s/scenario.json' })).toEqual({ kind: 'openScenario', path: '/s/scenario.json' });
    expect(menuEffect({ action: 'verifyRecord', path: '/r.jsonl' })).toEqual({ kind: 'verifyRecord', path: '/r.jsonl' });
    expect(menuEffect({ action: 'about' })).toEqual({ kind: 'about' });
  });

  it('says what a record verification found', () => {
    const intact = { ok: true as const, path: '/r.jsonl', entries: 12, keyFingerprint: 'ab:cd', installation: 'site-1', sealed: true, resumes: 0, resumesAfterUnsealed: 0, recoveries: [] };
    expect(describeVerification(intact, t)).toEqual({
      title: 'Record verification',
      tone: 'ok',
      lines: ['/r.jsonl', 'Intact: 12 entries, signed by key ab:cd (site-1).'],
    });
    // Intact but not closed, continued after a crash that tore a line: a warning that says all three.
    const crashed = describeVerification({ ...intact, sealed: false, resumes: 1, resumesAfterUnsealed: 1, recoveries: [{ entry: 7, savedTo: 'r.jsonl.torn-7' }] }, t);
    expect(crashed.tone).toBe('warn');
    expect(crashed.lines.slice(2)).toEqual([
      'Continued 1 time(s), 1 of them after a writer that stopped without closing it.',
      'Entry 7: a line torn by a crash was moved aside to r.jsonl.torn-7.',
      'Not sealed: the record was not closed. Its writer stopped or is still writing, or entries were cut from its end.',
    ]);
    const bad = describeVerification({ ok: false, path: '/r.jsonl', entry: 4, line: 5, message: 'hash differs' }, t);
    expect(bad.tone).toBe('bad');
    expect(bad.lines[1]).toBe('Broken at entry 4 (line 5): hash differs');
  });
});

describe('preferences kept by the host', () => {
  it('parses and resolves the system theme', () => {
    expect(parsePreferences('{"theme":"system","language":"de"}', { language: 'en', theme: 'light' })).toEqual({ language: 'de', theme: 'system' });
    expect(resolveTheme('system', true)).toBe('dark');
    expect(resolveTheme('system', false)).toBe('light');
    expect(resolveTheme('dark', false)).toBe('dark');
  });

  it('takes the host’s preferences on load and writes changes back to it', async () => {
    const calls: Array<[string, unknown[]]> = [];
    const settings: CoreSettings = { dataDirPath: '/data', logFilePath: '/data/logs/lfc.log', connections: [], preferences: { language: 'de', theme: 'dark' } };
    setBridge(fakeBridge(calls, { 'settings:get': () => ({ ok: true, value: settings }), 'settings:setPreferences': (p) => ({ ok: true, value: { ...settings.preferences, ...(p as object) } }) }));
    const store = useSettingsStore();
    await store.load();
    expect(store.language).toBe('de');
    expect(store.themeChoice).toBe('dark');
    expect(store.theme).toBe('dark');
    store.setTheme('light');
    await Promise.resolve();
    expect(calls.filter(([c]) => c === 'settings:setPreferences')).toEqual([['settings:setPreferences', [{ theme: 'light' }]]]);
    expect(store.theme).toBe('light');
  });

  it('keeps them in the browser alone when the host keeps none', async () => {
    const calls: Array<[string, unknown[]]> = [];
    setBridge(fakeBridge(calls, { 'settings:get': () => ({ ok: true, value: { dataDirPath: '/d', logFilePath: null, connections: [], preferences: null } }) }));
    const store = useSettingsStore();
    await store.load();
    store.setLanguage('de');
    expect(calls.map(([c]) => c)).toEqual(['settings:get']);
  });
});

describe('printable report', () => {
  it('falls back to the browser’s print where the host makes no PDF, and keeps other errors', async () => {
    setBridge(fakeBridge([], { 'runs:exportPdf': () => ({ ok: false, error: { code: 'NOT_AVAILABLE', message: 'serve mode' } }) }));
    expect(await useRunsStore().exportPdf('r1')).toBe('print');
    setActivePinia(createPinia());
    setBridge(fakeBridge([], { 'runs:exportPdf': () => ({ ok: false, error: { code: 'NOT_FOUND', message: 'no run r1' } }) }));
    const runs = useRunsStore();
    expect(await runs.exportPdf('r1')).toBeNull();
    expect(runs.error?.code).toBe('NOT_FOUND');
    setBridge(fakeBridge([], { 'runs:exportPdf': () => ({ ok: true, value: { fileName: 'a.pdf', mimeType: 'application/pdf', base64: 'JVBERi0=' } }) }));
    expect(await runs.exportPdf('r1')).toMatchObject({ fileName: 'a.pdf' });
  });

  it('lists KPIs with their units', () => {
    expect(kpiRows({ accuracy: { maeKw: 1.5, withinBandPct: 98 }, responsiveness: { loopLatencyMs: { total: { p95: 12 } } }, samples: 40 })).toEqual([
      { key: 'accuracy.maeKw', value: 1.5 },
      { key: 'accuracy.withinBandPct', value: 98 },
      { key: 'responsiveness.loopLatencyMs.total.p95', value: 12 },
      { key: 'samples', value: 40 },
    ]);
    expect(kpiUnit('accuracy.maeKw')).toBe('kW');
    expect(kpiUnit('responsiveness.loopLatencyMs.total.p95')).toBe('ms');
    expect(kpiUnit('availability.heldPctOfRequested')).toBe('%');
    expect(kpiUnit('accuracy.samples')).toBe('');
  });
});

describe('forecast overlay', () => {
  const available: SeriesInfo[] = [
    { seriesId: 'breaker.measuredKw', unit: 'kW', kind: 'measured', forecastSeriesId: 'forecast.breakerKw' },
    { seriesId: 'bess.powerKw', unit: 'kW', kind: 'measured', forecastSeriesId: null },
    { seriesId: 'forecast.breakerKw', unit: 'kW', kind: 'forecast', forecastSeriesId: null },
    { seriesId: 'forecast.residualKw', unit: 'kW', kind: 'forecast', forecastSeriesId: null },
  ];
  it('draws the forecast of each selected measured series, and selected forecasts, once each', () => {
    expect(forecastsToDraw(available, ['breaker.measuredKw', 'bess.powerKw'], true)).toEqual(['forecast.breakerKw']);
    expect(forecastsToDraw(available, ['breaker.measuredKw', 'bess.powerKw'], false)).toEqual([]);
    expect(forecastsToDraw(available, ['forecast.residualKw', 'breaker.measuredKw', 'forecast.breakerKw'], true)).toEqual(['forecast.residualKw', 'forecast.breakerKw']);
  });
  it('holds each slot’s value until the slot ends', () => {
    const f: ForecastData = { seriesId: 'forecast.breakerKw', unit: 'kW', stepMs: 900_000, timeMs: [0, 900_000], value: [-100, null], issuedMs: [0, 0], plans: 1 };
    expect(forecastPoints(f)).toEqual([
      { x: 0, y: -100 },
      { x: 900_000, y: null },
      { x: 1_800_000, y: null },
    ]);
  });
});
