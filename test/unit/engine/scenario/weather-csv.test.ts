import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  MAX_ISSUES_PER_FILE,
  coversSpan,
  createWeatherSample,
  locate,
  parseIsoDateTimeMs,
  parseSeriesCsv,
  parseWeatherCsv,
  weatherAt,
  type WeatherSeries,
} from '../../../../src-main/engine/scenario/index.js';

const SCENARIOS_DIR = fileURLToPath(new URL('../../../../resources/scenarios', import.meta.url));
const FILE = 'weather/actual.csv';
const HEADER = 'time,ghiWm2,dniWm2,dhiWm2,tempC,windMs,rhPct';

function csv(...rows: string[]): string {
  return [HEADER, ...rows].join('\n') + '\n';
}
const ROW1 = '2026-06-21T09:00:00+02:00,500,600,150,24.2,0.5,57.7';
const ROW2 = '2026-06-21T09:01:00+02:00,520,640,160,24.4,0.7,57.5';

function issuesOf(text: string): string[] {
  const r = parseWeatherCsv(text, FILE);
  if (r.ok) throw new Error('expected the CSV to be rejected');
  return r.issues.map((i) => `${i.path}: ${i.message}`);
}

function loaded(text: string): WeatherSeries {
  const r = parseWeatherCsv(text, FILE);
  if (!r.ok) throw new Error(r.issues.map((i) => `${i.path}: ${i.message}`).join('\n'));
  return r.weather;
}

describe('parseWeatherCsv', () => {
  it.each(readdirSync(SCENARIOS_DIR).filter((d) => !d.startsWith('.')))('%s: the bundled actual.csv parses', (name) => {
    const w = loaded(readFileSync(join(SCENARIOS_DIR, name, 'weather', 'actual.csv'), 'utf8'));
    expect(w.timeMs.length).toBeGreaterThan(200);
    expect(w.ghiWm2.every((v) => v >= 0)).toBe(true);
  });

  it('reads columns into typed arrays, in UTC', () => {
    const w = loaded(csv(ROW1, ROW2));
    expect(w.timeMs).toBeInstanceOf(Float64Array);
    expect(Array.from(w.timeMs)).toEqual([Date.UTC(2026, 5, 21, 7, 0), Date.UTC(2026, 5, 21, 7, 1)]);
    expect(Array.from(w.dniWm2)).toEqual([600, 640]);
    expect(Array.from(w.rhPct)).toEqual([57.7, 57.5]);
  });

  it('accepts CRLF, a BOM and columns in another order', () => {
    const text = '\uFEFFtime,dniWm2,ghiWm2,dhiWm2,tempC,windMs,rhPct\r\n2026-06-21T09:00:00Z,600,500,150,24,0.5,57\r\n';
    const w = loaded(text);
    expect(w.ghiWm2[0]).toBe(500);
    expect(w.dniWm2[0]).toBe(600);
  });

  it('bad header', () => {
    expect(issuesOf('time,ghi,dniWm2,dhiWm2,tempC,windMs,rhPct\n' + ROW1)).toEqual([
      'weather/actual.csv line 1: expected the header "time,ghiWm2,dniWm2,dhiWm2,tempC,windMs,rhPct", got "time,ghi,dniWm2,dhiWm2,tempC,windMs,rhPct" (missing ghiWm2; unknown "ghi")',
    ]);
  });

  it('empty file', () => {
    expect(issuesOf('')).toEqual([
      'weather/actual.csv line 1: expected the header "time,ghiWm2,dniWm2,dhiWm2,tempC,windMs,rhPct", got an empty file',
    ]);
  });

  it('non-numeric cell', () => {
    expect(issuesOf(csv(ROW1, '2026-06-21T09:01:00+02:00,520,abc,160,24.4,0.7,57.5'))).toEqual([
      'weather/actual.csv line 3, dniWm2: expected a number ≥ 0, got "abc"',
    ]);
  });

  it('empty cell is an error, never a zero', () => {
    expect(issuesOf(csv(ROW1, '2026-06-21T09:01:00+02:00,,640,160,24.4,0.7,57.5'))).toEqual([
      'weather/actual.csv line 3, ghiWm2: expected a number ≥ 0, got an empty cell',
    ]);
  });

  it('values out of range and rows of the wrong width', () => {
    expect(issuesOf(csv('2026-06-21T09:00:00+02:00,-1,600,150,24.2,0.5,101', '2026-06-21T09:01:00+02:00,520,640'))).toEqual([
      'weather/actual.csv line 2, ghiWm2: expected a number ≥ 0, got "-1"',
      'weather/actual.csv line 2, rhPct: expected a percentage in 0..100, got "101"',
      'weather/actual.csv line 3: expected 7 cells, got 3',
    ]);
  });

  it('non-increasing time', () => {
    expect(issuesOf(csv(ROW2, ROW1))).toEqual([
      'weather/actual.csv line 3, time: expected a time after line 2 (2026-06-21T09:01:00+02:00), got "2026-06-21T09:00:00+02:00"',
    ]);
    expect(issuesOf(csv(ROW1, ROW1))).toEqual([
      'weather/actual.csv line 3, time: expected a time after line 2 (2026-06-21T09:00:00+02:00), got "2026-06-21T09:00:00+02:00"',
    ]);
  });

  it('time without offset', () => {
    expect(issuesOf(csv('2026-06-21T09:00:00,500,600,150,24.2,0.5,57.7'))).toEqual([
      'weather/actual.csv line 2, time: expected an ISO 8601 date-time with offset, like "2026-06-21T09:00:00+02:00", got "2026-06-21T09:00:00"',
    ]);
  });

  it('caps a flood of errors with a count', () => {
    const rows = Array.from({ length: 30 }, (_, i) => `2026-06-21T09:${String(i).padStart(2, '0')}:00+02:00,x,0,0,0,0,0`);
    const issues = issuesOf(csv(...rows));
    expect(issues).toHaveLength(MAX_ISSUES_PER_FILE + 1);
    expect(issues[issues.length - 1]).toBe('weather/actual.csv: and 10 more problems like these');
  });
});

describe('weatherAt and coversSpan', () => {
  const w = loaded(
    csv(
      '2026-06-21T09:00:00+02:00,0,0,0,10,0,50',
      '2026-06-21T09:01:00+02:00,600,600,60,16,6,60',
      '2026-06-21T09:02:00+02:00,0,0,0,10,0,50',
      '2026-06-21T09:05:00+02:00,300,300,30,13,3,55',
    ),
  );
  const t0 = parseIsoDateTimeMs('2026-06-21T09:00:00+02:00');

  it('interpolates linearly and clamps at the ends', () => {
    const out = createWeatherSample();
    weatherAt(w, t0 + 30_000, out);
    expect(out.ghiWm2).toBeCloseTo(300);
    expect(out.tempC).toBeCloseTo(13);
    weatherAt(w, t0 + 60_000, out);
    expect(out.ghiWm2).toBe(600);
    weatherAt(w, t0 + 3.5 * 60_000, out);
    expect(out.ghiWm2).toBeCloseTo(150);
    weatherAt(w, t0 - 1e6, out);
    expect(out.tempC).toBe(10);
    weatherAt(w, t0 + 1e9, out);
    expect(out.rhPct).toBe(55);
  });

  it('gives the same answers sequentially, backwards and at random (cursor is only a hint)', () => {
    const seq = createWeatherSample();
    const fresh = createWeatherSample();
    const times = [
      ...Array.from({ length: 400 }, (_, i) => t0 - 5000 + i * 1000),
      ...Array.from({ length: 50 }, (_, i) => t0 + 300_000 - i * 7000),
      t0 + 10_000,
      t0 + 299_000,
      t0 + 61_000,
    ];
    for (const t of times) {
      weatherAt(w, t, seq);
      fresh.cursor = 0;
      weatherAt(w, t, fresh);
      expect(seq.ghiWm2).toBe(fresh.ghiWm2);
      expect(seq.windMs).toBe(fresh.windMs);
    }
  });

  it('locate finds the bracketing row from any hint', () => {
    const t = new Float64Array([0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    for (let hint = -3; hint < 12; hint++) {
      for (let x = 0; x < 90; x += 3) expect(locate(t, x, hint)).toBe(Math.floor(x / 10));
    }
  });

  it('coversSpan needs rows at or beyond both ends', () => {
    expect(coversSpan(w, t0, t0 + 300_000)).toBe(true);
    expect(coversSpan(w, t0 - 1, t0 + 300_000)).toBe(false);
    expect(coversSpan(w, t0, t0 + 300_001)).toBe(false);
    expect(coversSpan({ timeMs: new Float64Array(0) }, 0, 0)).toBe(false);
  });
});

describe('parseSeriesCsv', () => {
  it('picks the named column and ignores others', () => {
    const r = parseSeriesCsv('time,other,pMeterKw\n2026-06-21T09:00:00Z,1,-3.5\n2026-06-21T09:00:10Z,2,4\n', 'meter.csv', 'pMeterKw');
    if (!r.ok) throw new Error('should parse');
    expect(Array.from(r.series.valueKw)).toEqual([-3.5, 4]);
    expect(r.series.timeMs[1]! - r.series.timeMs[0]!).toBe(10_000);
  });

  it('names a missing column and empty cells', () => {
    const a = parseSeriesCsv('time,p\n2026-06-21T09:00:00Z,1\n', 'meter.csv', 'pKw');
    expect(!a.ok && a.issues).toEqual([
      { path: 'meter.csv line 1', message: 'expected a header with the columns time, pKw, got "time,p" (missing pKw)' },
    ]);
    const b = parseSeriesCsv('time,pKw\n2026-06-21T09:00:00Z,\n', 'meter.csv', 'pKw');
    expect(!b.ok && b.issues).toEqual([{ path: 'meter.csv line 2, pKw', message: 'expected a number (kW), got an empty cell' }]);
  });
});
