/**
 * The plant's actual weather (`weather.actual`, a CSV) and recorded power series (`series` assets), parsed
 * from text into columns of Float64Array, plus allocation-free interpolation for the physics loop.
 *
 * Strict on purpose: an empty cell is an error, never a silent zero (a zero irradiance would look like a
 * cloud and quietly bias every KPI); times must carry an offset and strictly increase. The format is plain
 * comma-separated values without quoting, which is all these files need.
 */
import { parseIsoDateTimeMs } from './schema.js';
import type { ScenarioIssue } from './validate.js';

export const WEATHER_COLUMNS = ['time', 'ghiWm2', 'dniWm2', 'dhiWm2', 'tempC', 'windMs', 'rhPct'] as const;
type WeatherValueColumn = Exclude<(typeof WEATHER_COLUMNS)[number], 'time'>;

export interface WeatherSeries {
  /** UTC milliseconds of each row, strictly increasing. */
  timeMs: Float64Array;
  /** Global horizontal irradiance, instantaneous, W/m². */
  ghiWm2: Float64Array;
  /** Direct normal irradiance, W/m². */
  dniWm2: Float64Array;
  /** Diffuse horizontal irradiance, W/m². */
  dhiWm2: Float64Array;
  /** Air temperature, °C. */
  tempC: Float64Array;
  /** Wind speed, m/s. */
  windMs: Float64Array;
  /** Relative humidity, %. */
  rhPct: Float64Array;
}

/** One interpolated weather sample, written in place by {@link weatherAt}. */
export interface WeatherSample {
  ghiWm2: number;
  dniWm2: number;
  dhiWm2: number;
  tempC: number;
  windMs: number;
  rhPct: number;
  /** Cursor hint: the row index the last lookup landed on, so the next nearby lookup is O(1). */
  cursor: number;
}

export interface PowerSeries {
  timeMs: Float64Array;
  valueKw: Float64Array;
}

export type WeatherCsvResult = { ok: true; weather: WeatherSeries } | { ok: false; issues: ScenarioIssue[] };
export type SeriesCsvResult = { ok: true; series: PowerSeries } | { ok: false; issues: ScenarioIssue[] };

/**
 * A broken file can have an error on every one of its 100 000 rows; past this many, one summary line says
 * how many more there were, so the message stays readable.
 */
export const MAX_ISSUES_PER_FILE = 20;

const NUMBER_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

interface ColumnRule {
  expected: string;
  ok: (v: number) => boolean;
}

const WEATHER_RULES: Record<WeatherValueColumn, ColumnRule> = {
  ghiWm2: { expected: 'a number ≥ 0', ok: (v) => v >= 0 },
  dniWm2: { expected: 'a number ≥ 0', ok: (v) => v >= 0 },
  dhiWm2: { expected: 'a number ≥ 0', ok: (v) => v >= 0 },
  // Wider than any air temperature on record, narrow enough to catch Kelvin or Fahrenheit by mistake.
  tempC: { expected: 'a temperature in -90..60 °C', ok: (v) => v >= -90 && v <= 60 },
  windMs: { expected: 'a number ≥ 0', ok: (v) => v >= 0 },
  rhPct: { expected: 'a percentage in 0..100', ok: (v) => v >= 0 && v <= 100 },
};

class IssueSink {
  readonly issues: ScenarioIssue[] = [];
  private dropped = 0;
  constructor(private readonly fileName: string) {}
  add(where: string, message: string): void {
    if (this.issues.length < MAX_ISSUES_PER_FILE) this.issues.push({ path: `${this.fileName} ${where}`, message });
    else this.dropped++;
  }
  finish(): ScenarioIssue[] {
    if (this.dropped > 0) this.issues.push({ path: this.fileName, message: `and ${this.dropped} more problems like these` });
    return this.issues;
  }
}

function describeCell(cell: string): string {
  return cell === '' ? 'an empty cell' : JSON.stringify(cell.length > 40 ? `${cell.slice(0, 37)}...` : cell);
}

/** Splits into lines (LF or CRLF, BOM dropped); trailing blank lines are not rows. */
function splitLines(text: string): string[] {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lines = body.split(/\r?\n/);
  while (lines.length > 0 && (lines[lines.length - 1] ?? '').trim() === '') lines.pop();
  return lines;
}

const splitCells = (line: string): string[] => line.split(',').map((c) => c.trim());

interface Table {
  /** Column index of each wanted column. */
  index: Map<string, number>;
  width: number;
  rows: Array<{ lineNo: number; cells: string[] }>;
}

/**
 * Header and row shape. `exact`: the header must be exactly the wanted columns (in any order), which
 * catches a misspelt column; otherwise other columns are allowed and ignored.
 */
function readTable(text: string, wanted: readonly string[], exact: boolean, sink: IssueSink): Table | null {
  const lines = splitLines(text);
  const headerLine = lines[0];
  const expectedHeader = wanted.join(',');
  if (headerLine === undefined || headerLine.trim() === '') {
    sink.add('line 1', `expected the header "${expectedHeader}", got an empty file`);
    return null;
  }
  const header = splitCells(headerLine);
  const index = new Map<string, number>();
  const duplicates: string[] = [];
  header.forEach((name, i) => {
    if (index.has(name)) duplicates.push(name);
    else index.set(name, i);
  });
  const missing = wanted.filter((w) => !index.has(w));
  const unknown = exact ? header.filter((h) => !wanted.includes(h)) : [];
  if (missing.length > 0 || unknown.length > 0 || duplicates.length > 0) {
    const parts: string[] = [];
    if (missing.length > 0) parts.push(`missing ${missing.join(', ')}`);
    if (unknown.length > 0) parts.push(`unknown ${unknown.map((u) => JSON.stringify(u)).join(', ')}`);
    if (duplicates.length > 0) parts.push(`twice ${duplicates.join(', ')}`);
    const what = exact ? `the header "${expectedHeader}"` : `a header with the columns ${wanted.join(', ')}`;
    sink.add('line 1', `expected ${what}, got "${headerLine.trim()}" (${parts.join('; ')})`);
    return null;
  }
  const rows: Table['rows'] = [];
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const lineNo = i + 1;
    if (line.trim() === '') {
      sink.add(`line ${lineNo}`, 'expected a row of values, got an empty line');
      continue;
    }
    const cells = splitCells(line);
    if (cells.length !== header.length) {
      sink.add(`line ${lineNo}`, `expected ${header.length} cells, got ${cells.length}`);
      continue;
    }
    rows.push({ lineNo, cells });
  }
  if (rows.length === 0 && lines.length <= 1) sink.add('line 2', 'expected at least one row of values, got none');
  return { index, width: header.length, rows };
}

/**
 * Reads the time column: ISO 8601 with offset, strictly increasing (interpolation and the cursor need a
 * monotonic axis; a repeated time would be a divide by zero). Returns NaN for rows that failed.
 */
function readTimes(table: Table, sink: IssueSink): Float64Array {
  const col = table.index.get('time') ?? 0;
  const out = new Float64Array(table.rows.length);
  let prev: { ms: number; lineNo: number; text: string } | undefined;
  table.rows.forEach((row, r) => {
    const cell = row.cells[col] ?? '';
    const ms = parseIsoDateTimeMs(cell);
    out[r] = ms;
    if (!Number.isFinite(ms)) {
      sink.add(`line ${row.lineNo}, time`, `expected an ISO 8601 date-time with offset, like "2026-06-21T09:00:00+02:00", got ${describeCell(cell)}`);
      return;
    }
    if (prev !== undefined && ms <= prev.ms) {
      sink.add(`line ${row.lineNo}, time`, `expected a time after line ${prev.lineNo} (${prev.text}), got ${describeCell(cell)}`);
    }
    prev = { ms, lineNo: row.lineNo, text: cell };
  });
  return out;
}

function readNumbers(table: Table, column: string, rule: ColumnRule, sink: IssueSink): Float64Array {
  const col = table.index.get(column) ?? 0;
  const out = new Float64Array(table.rows.length);
  table.rows.forEach((row, r) => {
    const cell = row.cells[col] ?? '';
    const v = NUMBER_RE.test(cell) ? Number(cell) : Number.NaN;
    if (!Number.isFinite(v) || !rule.ok(v)) sink.add(`line ${row.lineNo}, ${column}`, `expected ${rule.expected}, got ${describeCell(cell)}`);
    out[r] = v;
  });
  return out;
}

/** Parses `time,ghiWm2,dniWm2,dhiWm2,tempC,windMs,rhPct`. `fileName` prefixes every issue's path. */
export function parseWeatherCsv(text: string, fileName: string): WeatherCsvResult {
  const sink = new IssueSink(fileName);
  const table = readTable(text, WEATHER_COLUMNS, true, sink);
  if (table === null) return { ok: false, issues: sink.finish() };
  const timeMs = readTimes(table, sink);
  const weather: WeatherSeries = {
    timeMs,
    ghiWm2: readNumbers(table, 'ghiWm2', WEATHER_RULES.ghiWm2, sink),
    dniWm2: readNumbers(table, 'dniWm2', WEATHER_RULES.dniWm2, sink),
    dhiWm2: readNumbers(table, 'dhiWm2', WEATHER_RULES.dhiWm2, sink),
    tempC: readNumbers(table, 'tempC', WEATHER_RULES.tempC, sink),
    windMs: readNumbers(table, 'windMs', WEATHER_RULES.windMs, sink),
    rhPct: readNumbers(table, 'rhPct', WEATHER_RULES.rhPct, sink),
  };
  // Issues are found column by column; show them in file order, the way a user walks the file.
  const issues = sink.finish();
  if (issues.length > 0) return { ok: false, issues: sortByLine(issues) };
  return { ok: true, weather };
}

/**
 * A recorded power series: a CSV with a `time` column and the named value column (in kW, load frame);
 * other columns are ignored, since a field recording usually holds several meters.
 */
export function parseSeriesCsv(text: string, fileName: string, column: string): SeriesCsvResult {
  const sink = new IssueSink(fileName);
  const table = readTable(text, ['time', column], false, sink);
  if (table === null) return { ok: false, issues: sink.finish() };
  const timeMs = readTimes(table, sink);
  const valueKw = readNumbers(table, column, { expected: 'a number (kW)', ok: () => true }, sink);
  const issues = sink.finish();
  if (issues.length > 0) return { ok: false, issues: sortByLine(issues) };
  return { ok: true, series: { timeMs, valueKw } };
}

function sortByLine(issues: ScenarioIssue[]): ScenarioIssue[] {
  const lineOf = (i: ScenarioIssue) => {
    const m = / line (\d+)/.exec(i.path);
    return m === null ? Number.MAX_SAFE_INTEGER : Number(m[1]);
  };
  return issues.map((issue, k) => ({ issue, k })).sort((a, b) => lineOf(a.issue) - lineOf(b.issue) || a.k - b.k).map((x) => x.issue);
}

// ---------------------------------------------------------------------------------------------------
// Lookup

/** A fresh sample object to pass to {@link weatherAt}; keep one per consumer (each has its own cursor). */
export function createWeatherSample(): WeatherSample {
  return { ghiWm2: 0, dniWm2: 0, dhiWm2: 0, tempC: 0, windMs: 0, rhPct: 0, cursor: 0 };
}

/**
 * Index i with time[i] ≤ t < time[i+1] (clamped to [0, n-2]; n ≥ 2), starting from a hint: a physics loop
 * asks for t, t+1 s, t+2 s, … so the answer is nearly always the hint or the row after it.
 */
export function locate(timeMs: Float64Array, t: number, hint: number): number {
  const n = timeMs.length;
  const last = n - 2;
  let i = hint < 0 ? 0 : hint > last ? last : hint;
  const ti = timeMs[i] ?? 0;
  if (t >= ti) {
    // A few steps forward cover sequential access; beyond that, search.
    for (let steps = 0; steps < 4; steps++) {
      if (i >= last || t < (timeMs[i + 1] ?? Infinity)) return i;
      i++;
    }
    let lo = i;
    let hi = last;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((timeMs[mid] ?? 0) <= t) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }
  let lo = 0;
  let hi = i;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if ((timeMs[mid] ?? 0) <= t) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * Linear interpolation of every weather variable at `timeMs`, written into `out` (no allocation, for the
 * 1 s physics loop). Before the first row or after the last the end values hold: the loader has already
 * checked that the file covers the scenario, so clamping only smooths rounding at the very ends.
 */
export function weatherAt(series: WeatherSeries, timeMs: number, out: WeatherSample): WeatherSample {
  const t = series.timeMs;
  const n = t.length;
  if (n === 0) {
    out.ghiWm2 = out.dniWm2 = out.dhiWm2 = out.tempC = out.windMs = out.rhPct = Number.NaN;
    return out;
  }
  let i0: number;
  let i1: number;
  let w: number;
  if (n === 1 || timeMs <= (t[0] ?? 0)) {
    i0 = i1 = 0;
    w = 0;
    out.cursor = 0;
  } else if (timeMs >= (t[n - 1] ?? 0)) {
    i0 = i1 = n - 1;
    w = 0;
    out.cursor = n - 2;
  } else {
    i0 = locate(t, timeMs, out.cursor);
    i1 = i0 + 1;
    const ta = t[i0] ?? 0;
    const tb = t[i1] ?? 0;
    w = (timeMs - ta) / (tb - ta);
    out.cursor = i0;
  }
  out.ghiWm2 = lerp(series.ghiWm2, i0, i1, w);
  out.dniWm2 = lerp(series.dniWm2, i0, i1, w);
  out.dhiWm2 = lerp(series.dhiWm2, i0, i1, w);
  out.tempC = lerp(series.tempC, i0, i1, w);
  out.windMs = lerp(series.windMs, i0, i1, w);
  out.rhPct = lerp(series.rhPct, i0, i1, w);
  return out;
}

// A module-level function rather than a closure, so that weatherAt allocates nothing per call.
function lerp(a: Float64Array, i0: number, i1: number, w: number): number {
  const va = a[i0] ?? Number.NaN;
  return va + ((a[i1] ?? Number.NaN) - va) * w;
}

/** Does the series have rows at or before `startMs` and at or after `endMs`? */
export function coversSpan(series: { timeMs: Float64Array }, startMs: number, endMs: number): boolean {
  const t = series.timeMs;
  const n = t.length;
  if (n === 0) return false;
  return (t[0] ?? Infinity) <= startMs && (t[n - 1] ?? -Infinity) >= endMs;
}
