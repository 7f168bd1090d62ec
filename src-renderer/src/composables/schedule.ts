/**
 * The schedule of use cases 3 and 4 as an operator writes it, or pastes it from a spreadsheet: rows of a
 * start time and a target kW, each holding until the next row's start, and the schedule's end. Pure
 * functions, unit-tested (`test/unit/renderer/schedule.test.ts`).
 *
 * Times are wall times in the site's zone on the session clock. A time of day ("14:00") is the first such
 * moment after the previous row's start (the first row's: after now), so a schedule may run past midnight
 * ("23:00", "01:00"); a full date and time ("2026-06-21 14:00", "21.06.2026 14:00") is taken as written.
 * Targets are read as typed in either language ("-120,5", "−120.5"; `composables/decimal.ts`).
 */
import type { SchedulePackageDto } from '../api';
import { parseDecimal } from './decimal';
import { wallTimeOf, wallTimeToMs } from './zoned-time';

export interface ScheduleRowDraft {
  start: string;
  target: string;
}

export type RowProblem =
  | 'time'
  | 'target-missing'
  | 'target-not-a-number'
  | 'target-ambiguous'
  | 'limit'
  | 'import-sign'
  | 'export-sign'
  | 'past'
  | 'not-after-previous';

export interface ResolvedRow {
  /** Start of the row's package, or null when its time cannot be read. */
  fromMs: number | null;
  /** Until the next row's start (or the schedule's end). */
  toMs: number | null;
  targetKw: number | null;
  /** Days after the session's day the row starts on (0 today, 1 tomorrow), to show beside a bare time. */
  dayOffset: number;
  problems: RowProblem[];
}

export interface ResolvedSchedule {
  rows: ResolvedRow[];
  endMs: number | null;
  endProblems: Array<'time' | 'missing' | 'not-after-last' | 'too-long'>;
  /** Problems of the whole schedule (no rows). */
  problems: Array<'empty'>;
  /** The packages to send, when every row and the end are right; else null. */
  packages: SchedulePackageDto[] | null;
}

type TimeText = { kind: 'time'; hour: number; minute: number; second: number } | { kind: 'datetime'; year: number; month: number; day: number; hour: number; minute: number; second: number };

/** "14:00", "7:05", "14:00:30", "14.00", "2026-06-21 14:00", "2026-06-21T14:00", "21.06.2026 14:00"; null otherwise. */
export function parseTimeText(text: string): TimeText | null {
  const s = text.trim().replace(/\s*(Uhr|h)$/i, '');
  const hms = (h: string, m: string, sec: string | undefined) => {
    const hour = Number(h);
    const minute = Number(m);
    const second = sec === undefined ? 0 : Number(sec);
    return hour <= 23 && minute <= 59 && second <= 59 ? { hour, minute, second } : null;
  };
  let m = /^(\d{1,2})[:.](\d{2})(?::(\d{2}))?$/.exec(s);
  if (m) {
    const t = hms(m[1]!, m[2]!, m[3]);
    return t ? { kind: 'time', ...t } : null;
  }
  m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(s);
  const dmy = m ? null : /^(\d{1,2})\.(\d{1,2})\.(\d{4}),?\s+(\d{1,2}):(\d{2})(?::(\d{2}))?$/.exec(s);
  if (m || dmy) {
    const [year, month, day] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [Number(dmy![3]), Number(dmy![2]), Number(dmy![1])];
    const t = m ? hms(m[4]!, m[5]!, m[6]) : hms(dmy![4]!, dmy![5]!, dmy![6]);
    if (!t || month < 1 || month > 12 || day < 1 || day > 31) return null;
    return { kind: 'datetime', year, month, day, ...t };
  }
  return null;
}

/** The first instant at or after `afterMs` whose wall time in the zone is the given time of day. */
function nextTimeOfDay(t: { hour: number; minute: number; second: number }, afterMs: number, timeZone: string): number {
  const w = wallTimeOf(afterMs, timeZone);
  for (let d = 0; d <= 2; d++) {
    // Day arithmetic on the calendar (UTC date maths on the wall date), then back into the zone.
    const day = new Date(Date.UTC(w.year, w.month - 1, w.day + d));
    const ms = wallTimeToMs({ year: day.getUTCFullYear(), month: day.getUTCMonth() + 1, day: day.getUTCDate(), ...t }, timeZone);
    if (ms >= afterMs) return ms;
  }
  return NaN;
}

function toMs(t: TimeText, afterMs: number, timeZone: string): number {
  return t.kind === 'time' ? nextTimeOfDay(t, afterMs, timeZone) : wallTimeToMs(t, timeZone);
}

/** Whole days between two instants' wall dates in the zone. */
function daysBetween(aMs: number, bMs: number, timeZone: string): number {
  const a = wallTimeOf(aMs, timeZone);
  const b = wallTimeOf(bMs, timeZone);
  return Math.round((Date.UTC(b.year, b.month - 1, b.day) - Date.UTC(a.year, a.month - 1, a.day)) / 86_400_000);
}

/** A schedule may span at most this long (the engine's requests are hours, not weeks). */
export const MAX_SCHEDULE_MS = 7 * 86_400_000;

/**
 * Every row's package and problems, and the packages to send when there are none. A row whose start lies
 * in the minute under way starts now (it took the operator that long to type it); one further back is
 * refused as past.
 */
export function resolveSchedule(rows: readonly ScheduleRowDraft[], endText: string, opts: { nowMs: number; timeZone: string; useCase: 3 | 4; connectionLimitKw: number }): ResolvedSchedule {
  const { nowMs, timeZone, useCase, connectionLimitKw: limit } = opts;
  const minuteStart = Math.floor(nowMs / 60_000) * 60_000;
  const out: ResolvedRow[] = [];
  let previous = minuteStart;
  for (const r of rows) {
    const problems: RowProblem[] = [];
    const t = parseTimeText(r.start);
    let fromMs: number | null = null;
    if (!t) problems.push('time');
    else {
      const at = toMs(t, previous, timeZone);
      if (t.kind === 'datetime' && at < minuteStart) problems.push('past');
      else if (out.length > 0 && at <= previous) problems.push('not-after-previous');
      else previous = at;
      // The minute under way starts now.
      fromMs = at < nowMs && at >= minuteStart ? nowMs : at;
    }
    let targetKw: number | null = null;
    const p = parseDecimal(r.target);
    if (!p.ok) problems.push(p.reason === 'ambiguous' ? 'target-ambiguous' : 'target-not-a-number');
    else if (p.value === null) problems.push('target-missing');
    else {
      targetKw = p.value;
      if (limit > 0 && Math.abs(targetKw) > limit) problems.push('limit');
      if (useCase === 3 && targetKw < 0) problems.push('import-sign');
      if (useCase === 4 && targetKw > 0) problems.push('export-sign');
    }
    out.push({ fromMs, toMs: null, targetKw, dayOffset: fromMs === null ? 0 : daysBetween(nowMs, fromMs, timeZone), problems });
  }
  const endProblems: ResolvedSchedule['endProblems'] = [];
  const endT = endText.trim() === '' ? null : parseTimeText(endText);
  let endMs: number | null = null;
  if (endText.trim() === '') endProblems.push('missing');
  else if (!endT) endProblems.push('time');
  else {
    endMs = toMs(endT, previous, timeZone);
    if (endMs <= previous && rows.length > 0) endProblems.push('not-after-last');
    else if (endMs - minuteStart > MAX_SCHEDULE_MS) endProblems.push('too-long');
  }
  for (let i = 0; i < out.length; i++) out[i]!.toMs = i + 1 < out.length ? out[i + 1]!.fromMs : endMs;
  const problems: ResolvedSchedule['problems'] = rows.length === 0 ? ['empty'] : [];
  const ok = problems.length === 0 && endProblems.length === 0 && out.every((r) => r.problems.length === 0);
  return {
    rows: out,
    endMs,
    endProblems,
    problems,
    packages: ok ? out.map((r) => ({ fromMs: r.fromMs!, toMs: r.toMs!, targetKw: r.targetKw! })) : null,
  };
}

/**
 * Rows from a spreadsheet's clipboard: one row a line, cells separated by tabs (Excel, LibreOffice) or
 * semicolons (a German CSV); a line of two cells split by spaces is taken too. Commas never separate
 * cells: "14:00,120,5" could be read two ways. A header line (its first cell no time) is left out; a last
 * line with a time and no target is the schedule's end.
 */
export function parseSchedulePaste(text: string): { rows: ScheduleRowDraft[]; end: string | null; skipped: number } {
  const lines = text.split(/\r\n|\r|\n/).map((l) => l.trim()).filter((l) => l !== '');
  const rows: ScheduleRowDraft[] = [];
  let end: string | null = null;
  let skipped = 0;
  lines.forEach((line, i) => {
    let cells = line.includes('\t') ? line.split('\t') : line.includes(';') ? line.split(';') : line.split(/\s+/);
    cells = cells.map((c) => c.trim().replace(/^"(.*)"$/, '$1').trim());
    // A date and a time in two cells ("21.06.2026", "14:00") are one start.
    if (cells.length >= 3 && parseTimeText(`${cells[0]} ${cells[1]}`)?.kind === 'datetime') cells = [`${cells[0]} ${cells[1]}`, ...cells.slice(2)];
    else if (cells.length > 2 && line.includes(' ') && !line.includes('\t') && !line.includes(';') && parseTimeText(`${cells[0]} ${cells[1]}`)) cells = [`${cells[0]} ${cells[1]}`, ...cells.slice(2)];
    const [start = '', target = ''] = cells;
    if (i === 0 && !parseTimeText(start)) {
      skipped++;
      return;
    }
    if (i === lines.length - 1 && target === '' && parseTimeText(start)) {
      end = start;
      return;
    }
    rows.push({ start, target });
  });
  return { rows, end, skipped };
}
