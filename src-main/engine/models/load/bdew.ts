/**
 * BDEW standard load profiles (Standardlastprofile, SLP) for electricity: the 1999 set (H0, G0–G6, L0–L2) and the
 * 2025 revision (H25, G25, L25, P25, S25), as a pure lookup of mean power per quarter hour.
 *
 * Sources:
 * - 1999 profiles: VDEW/BDEW "Repräsentative VDEW-Lastprofile" (1999), as tabulated in `flrd/standardlastprofile`
 *   `inst/extdata/slp.csv` (CC0); periods, day types and the 24/31 Dec rule from that package's `R/data.R`
 *   (data README §1).
 * - 2025 profiles: BDEW "Standardlastprofile Strom 2025", as tabulated in `oemof/demandlib`
 *   `src/demandlib/bdew/bdew_data/*.csv` (MIT); conversion (×4) and the dynamisation from demandlib
 *   `bdew/_profiles25.py` (data README §2).
 * - Dynamisation polynomial: VDEW, "Anwendung der Repräsentativen VDEW-Lastprofile step-by-step" (2000), §3.
 *
 * Units: every table value is held as mean power in W per 1,000 kWh/a (= kW per 1 GWh/a).
 *
 * Pure: parsers take text, the engine never reads files (see src-main/node/load-profiles.ts for that).
 */

import { publicHolidays } from './holidays';
import { QUARTER_HOUR_MS, localQuarterHourSlots } from './local-time';
import type { LocalDateParts } from './local-time';

export type Bdew1999ProfileId = 'H0' | 'G0' | 'G1' | 'G2' | 'G3' | 'G4' | 'G5' | 'G6' | 'L0' | 'L1' | 'L2';
export type Bdew2025ProfileId = 'H25' | 'G25' | 'L25' | 'P25' | 'S25';
export type LoadProfileId = Bdew1999ProfileId | Bdew2025ProfileId;
/** BDEW day type. `sunday` covers Sundays and public holidays (2025 files: "FT", Feiertag). */
export type BdewDayType = 'workday' | 'saturday' | 'sunday';
/** Season of the 1999 profiles. */
export type Bdew1999Period = 'winter' | 'summer' | 'transition';

export const BDEW_1999_PROFILE_IDS: readonly Bdew1999ProfileId[] = ['H0', 'G0', 'G1', 'G2', 'G3', 'G4', 'G5', 'G6', 'L0', 'L1', 'L2'];
export const BDEW_2025_PROFILE_IDS: readonly Bdew2025ProfileId[] = ['H25', 'G25', 'L25', 'P25', 'S25'];
const PERIODS: readonly Bdew1999Period[] = ['winter', 'summer', 'transition'];
const DAY_TYPES: readonly BdewDayType[] = ['workday', 'saturday', 'sunday'];
const QUARTER_HOURS_PER_DAY = 96;

/**
 * Profiles that BDEW dynamises by default: the 1999 household profile H0 (VDEW step-by-step guide) and the 2025
 * household profiles H25, P25, S25 (demandlib `DynamicBDEW25Profile`). All others are static.
 */
export const DYNAMISED_PROFILE_IDS: readonly LoadProfileId[] = ['H0', 'H25', 'P25', 'S25'];

export function isDynamisedByDefault(profileId: LoadProfileId): boolean {
  return DYNAMISED_PROFILE_IDS.includes(profileId);
}

/**
 * The BDEW dynamisation factor for day of year `dayOfYear` (1–366):
 * F(d) = −3.92e-10·d⁴ + 3.2e-7·d³ − 7.02e-5·d² + 0.0021·d + 1.24.
 * Not rounded: the 1999 guide rounds F to 4 decimals and the product to 0.1 W, demandlib does not; we follow
 * demandlib so the annual sums match its published values. Day 366 of a leap year just extends the polynomial.
 */
export function h0DynamisationFactor(dayOfYear: number): number {
  const d = dayOfYear;
  return -3.92e-10 * d ** 4 + 3.2e-7 * d ** 3 - 7.02e-5 * d ** 2 + 0.0021 * d + 1.24;
}

/**
 * Season of the 1999 profiles: winter 1 Nov–20 Mar, summer 15 May–14 Sep, transition otherwise
 * (`standardlastprofile` `R/data.R`).
 */
export function bdew1999Period(month: number, day: number): Bdew1999Period {
  const md = month * 100 + day;
  if (md >= 1101 || md <= 320) return 'winter';
  if (md >= 515 && md <= 914) return 'summer';
  return 'transition';
}

/** Options of the day-type rule. */
export interface BdewDayTypeOptions {
  /**
   * Treat 24 and 31 Dec as Saturdays unless they are Sundays (or public holidays), as the 1999 profiles'
   * definition does. Default true. For the 2025 profiles `quarterHourSeriesKw` passes false by default, because
   * neither the 2025 data files nor demandlib's `BDEW25Profile` define that rule: there 24/31 Dec take their
   * weekday's type unless the country makes them a holiday (Poland's Wigilia from 2025).
   */
  readonly dec24And31AsSaturday?: boolean;
}

/**
 * BDEW day type of a local date. Sundays and the country's national public holidays are `sunday`, Saturdays are
 * `saturday`, and (by default) 24 and 31 Dec on Monday–Saturday are `saturday`. `country` undefined means no
 * holidays at all.
 * @param weekday 0 = Sunday … 6 = Saturday.
 */
export function bdewDayType(
  country: string | undefined,
  year: number,
  month: number,
  day: number,
  weekday: number,
  options: BdewDayTypeOptions = {},
): BdewDayType {
  if (weekday === 0) return 'sunday';
  if (country !== undefined && publicHolidays(country, year).some((h) => h.month === month && h.day === day)) return 'sunday';
  if (weekday === 6) return 'saturday';
  if ((options.dec24And31AsSaturday ?? true) && month === 12 && (day === 24 || day === 31)) return 'saturday';
  return 'workday';
}

/** Parsed 1999 file: per profile, 3 periods × 3 day types × 96 quarter hours, W per 1,000 kWh/a. */
export interface Bdew1999Table {
  /** Index `(periodIndex * 3 + dayTypeIndex) * 96 + quarterHour`, periods winter/summer/transition, days workday/saturday/sunday. */
  readonly wattsPer1000KwhA: ReadonlyMap<Bdew1999ProfileId, Float64Array>;
}

/** Parsed 2025 file: 12 months × 3 day types × 96 quarter hours, converted to W per 1,000 kWh/a. */
export interface Bdew2025Table {
  readonly profileId: Bdew2025ProfileId;
  /** Index `((month - 1) * 3 + dayTypeIndex) * 96 + quarterHour`, days workday/saturday/sunday. */
  readonly wattsPer1000KwhA: Float64Array;
}

/** Split text into lines, tolerating a BOM, CRLF and trailing blank lines (but no blank lines inside). */
function splitLines(text: string, fileLabel: string): string[] {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1]?.trim() === '') lines.pop();
  const blank = lines.findIndex((l) => l.trim() === '');
  if (blank >= 0) throw new Error(`${fileLabel} line ${blank + 1}: unexpected blank line`);
  return lines;
}

function parseNumber(cell: string, fileLabel: string, line: number, column: number, columnName: string): number {
  // Number('') is 0 and Number(' 1') is 1; insist on a plain decimal so a damaged file cannot pass silently.
  if (!/^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(cell.trim())) {
    throw new Error(`${fileLabel} line ${line}, column ${column} (${columnName}): "${cell}" is not a number`);
  }
  return Number(cell);
}

/** Quarter-hour index 0–95 of "HH:MM" at a 15-minute boundary, or undefined. */
function quarterHourOf(label: string): number | undefined {
  const match = /^(\d\d):(\d\d)$/.exec(label);
  if (match === null) return undefined;
  const hour = Number(match[1]);
  const minute = Number(match[2]);
  if (hour > 23 || minute > 59 || minute % 15 !== 0) return undefined;
  return hour * 4 + minute / 15;
}

const SLP_1999_HEADER = ['profile_id', 'period', 'day', 'timestamp', 'watts'];

/**
 * Parse `bdew-slp-1999.csv` (columns `profile_id,period,day,timestamp,watts`; 11 profiles × 3 periods × 3 day
 * types × 96 quarter hours = 9,504 data rows; watts in W per 1,000 kWh/a).
 * @throws Error with line and column on a wrong header, a missing or extra column, an unknown profile, period or
 *   day type, a bad timestamp, a non-numeric value, a duplicate row or a wrong row count.
 */
export function parseBdew1999Csv(text: string): Bdew1999Table {
  const label = 'bdew-slp-1999.csv';
  const lines = splitLines(text, label);
  const header = (lines[0] ?? '').split(',').map((c) => c.trim());
  if (header.join(',') !== SLP_1999_HEADER.join(',')) {
    throw new Error(`${label} line 1: expected header "${SLP_1999_HEADER.join(',')}", found "${lines[0] ?? ''}"`);
  }
  const expectedRows = BDEW_1999_PROFILE_IDS.length * PERIODS.length * DAY_TYPES.length * QUARTER_HOURS_PER_DAY;
  if (lines.length - 1 !== expectedRows) {
    throw new Error(`${label}: expected ${expectedRows} data rows (11 profiles × 3 periods × 3 days × 96), found ${lines.length - 1}`);
  }
  const tables = new Map<Bdew1999ProfileId, Float64Array>();
  const seen = new Map<Bdew1999ProfileId, Uint8Array>();
  for (const id of BDEW_1999_PROFILE_IDS) {
    tables.set(id, new Float64Array(PERIODS.length * DAY_TYPES.length * QUARTER_HOURS_PER_DAY));
    seen.set(id, new Uint8Array(PERIODS.length * DAY_TYPES.length * QUARTER_HOURS_PER_DAY));
  }
  for (let i = 1; i < lines.length; i++) {
    const lineNo = i + 1;
    const cells = (lines[i] ?? '').split(',');
    if (cells.length !== SLP_1999_HEADER.length) {
      throw new Error(`${label} line ${lineNo}: expected ${SLP_1999_HEADER.length} columns, found ${cells.length}`);
    }
    const [profileCell = '', periodCell = '', dayCell = '', timeCell = '', wattsCell = ''] = cells.map((c) => c.trim());
    const profileId = BDEW_1999_PROFILE_IDS.find((id) => id === profileCell);
    if (profileId === undefined) {
      throw new Error(`${label} line ${lineNo}, column 1 (profile_id): unknown profile "${profileCell}"; expected one of ${BDEW_1999_PROFILE_IDS.join(', ')}`);
    }
    const periodIndex = PERIODS.indexOf(periodCell as Bdew1999Period);
    if (periodIndex < 0) throw new Error(`${label} line ${lineNo}, column 2 (period): unknown period "${periodCell}"`);
    const dayIndex = DAY_TYPES.indexOf(dayCell as BdewDayType);
    if (dayIndex < 0) throw new Error(`${label} line ${lineNo}, column 3 (day): unknown day type "${dayCell}"`);
    const quarterHour = quarterHourOf(timeCell);
    if (quarterHour === undefined) throw new Error(`${label} line ${lineNo}, column 4 (timestamp): "${timeCell}" is not HH:MM on a quarter hour`);
    const watts = parseNumber(wattsCell, label, lineNo, 5, 'watts');
    const index = (periodIndex * DAY_TYPES.length + dayIndex) * QUARTER_HOURS_PER_DAY + quarterHour;
    const seenRows = seen.get(profileId) as Uint8Array;
    if (seenRows[index] === 1) {
      throw new Error(`${label} line ${lineNo}: duplicate row for ${profileId} ${periodCell} ${dayCell} ${timeCell}`);
    }
    seenRows[index] = 1;
    (tables.get(profileId) as Float64Array)[index] = watts;
  }
  // With the row count right and no duplicates every cell is filled; checked anyway so a future change of the
  // count check cannot leave silent zeros.
  for (const [id, seenRows] of seen) {
    const missing = seenRows.indexOf(0);
    if (missing >= 0) {
      const q = missing % QUARTER_HOURS_PER_DAY;
      const combo = Math.floor(missing / QUARTER_HOURS_PER_DAY);
      throw new Error(`${label}: no row for ${id} ${PERIODS[Math.floor(combo / 3)]} ${DAY_TYPES[combo % 3]} quarter hour ${q}`);
    }
  }
  return { wattsPer1000KwhA: tables };
}

const GERMAN_MONTHS = ['Januar', 'Februar', 'März', 'April', 'Mai', 'Juni', 'Juli', 'August', 'September', 'Oktober', 'November', 'Dezember'];
/** Day-type labels of the 2025 files: SA Samstag, FT Feiertag (Sunday or holiday), WT Werktag. */
const DAY_TYPE_BY_2025_LABEL: Readonly<Record<string, BdewDayType>> = { SA: 'saturday', FT: 'sunday', WT: 'workday' };

function twoDigits(n: number): string {
  return String(n).padStart(2, '0');
}

/**
 * Parse one 2025 profile file (`bdew-2025/<id>.csv`): header row 1 = empty cell then the German month names, each
 * three times; header row 2 = `[kWh]` then SA/FT/WT per month; then 96 rows `00:00-00:15` … `23:45-00:00` of
 * kWh per quarter hour per 1,000,000 kWh/a. Values are stored ×4, as W per 1,000 kWh/a (demandlib
 * `_profiles25.py`).
 * @throws Error with line and column on any deviation from that shape or a non-numeric value.
 */
export function parseBdew2025Csv(profileId: Bdew2025ProfileId, text: string): Bdew2025Table {
  if (!BDEW_2025_PROFILE_IDS.includes(profileId)) {
    throw new Error(`parseBdew2025Csv: unknown profile "${String(profileId)}"; expected one of ${BDEW_2025_PROFILE_IDS.join(', ')}`);
  }
  const label = `${profileId.toLowerCase()}.csv`;
  const lines = splitLines(text, label);
  const columns = 1 + GERMAN_MONTHS.length * DAY_TYPES.length;
  if (lines.length !== 2 + QUARTER_HOURS_PER_DAY) {
    throw new Error(`${label}: expected 2 header rows and ${QUARTER_HOURS_PER_DAY} data rows, found ${lines.length} rows in all`);
  }
  const months = (lines[0] ?? '').split(',').map((c) => c.trim());
  const dayLabels = (lines[1] ?? '').split(',').map((c) => c.trim());
  if (months.length !== columns) throw new Error(`${label} line 1: expected ${columns} columns, found ${months.length}`);
  if (dayLabels.length !== columns) throw new Error(`${label} line 2: expected ${columns} columns, found ${dayLabels.length}`);
  if (dayLabels[0] !== '[kWh]') throw new Error(`${label} line 2, column 1: expected "[kWh]", found "${dayLabels[0] ?? ''}"`);
  // Target index (month × day type) of each data column, from the two header rows.
  const targetOfColumn: number[] = [];
  const covered = new Set<number>();
  for (let c = 1; c < columns; c++) {
    const monthIndex = GERMAN_MONTHS.indexOf(months[c] ?? '');
    if (monthIndex < 0) throw new Error(`${label} line 1, column ${c + 1}: "${months[c] ?? ''}" is not a German month name`);
    const dayType = DAY_TYPE_BY_2025_LABEL[dayLabels[c] ?? ''];
    if (dayType === undefined) throw new Error(`${label} line 2, column ${c + 1}: day type "${dayLabels[c] ?? ''}" is not SA, FT or WT`);
    const target = monthIndex * DAY_TYPES.length + DAY_TYPES.indexOf(dayType);
    if (covered.has(target)) throw new Error(`${label} line 2, column ${c + 1}: ${months[c]} ${dayLabels[c]} appears twice`);
    covered.add(target);
    targetOfColumn[c] = target;
  }
  const values = new Float64Array(GERMAN_MONTHS.length * DAY_TYPES.length * QUARTER_HOURS_PER_DAY);
  for (let q = 0; q < QUARTER_HOURS_PER_DAY; q++) {
    const lineNo = q + 3;
    const cells = (lines[q + 2] ?? '').split(',').map((c) => c.trim());
    if (cells.length !== columns) throw new Error(`${label} line ${lineNo}: expected ${columns} columns, found ${cells.length}`);
    const startMin = q * 15;
    const endMin = (startMin + 15) % 1440;
    const expected = `${twoDigits(Math.floor(startMin / 60))}:${twoDigits(startMin % 60)}-${twoDigits(Math.floor(endMin / 60))}:${twoDigits(endMin % 60)}`;
    if (cells[0] !== expected) throw new Error(`${label} line ${lineNo}, column 1: expected interval "${expected}", found "${cells[0] ?? ''}"`);
    for (let c = 1; c < columns; c++) {
      const kwhPerQuarterHourPerGwhA = parseNumber(cells[c] ?? '', label, lineNo, c + 1, `${months[c]} ${dayLabels[c]}`);
      // kWh per 15 min per 1,000,000 kWh/a × 4 = kW per 1,000,000 kWh/a = W per 1,000 kWh/a.
      values[(targetOfColumn[c] as number) * QUARTER_HOURS_PER_DAY + q] = kwhPerQuarterHourPerGwhA * 4;
    }
  }
  return { profileId, wattsPer1000KwhA: values };
}

/** The date parts a profile lookup needs (a subset of `LocalDateParts`). */
export type ProfileLookupParts = Pick<LocalDateParts, 'month' | 'day' | 'dayOfYear' | 'weekday' | 'minuteOfDay'>;

/** All profiles, ready for lookup. */
export interface LoadProfileLibrary {
  readonly profileIds: readonly LoadProfileId[];
  /**
   * Mean power in W per 1,000 kWh/a of the quarter hour containing `parts.minuteOfDay`, for the given day type,
   * times the dynamisation factor F(parts.dayOfYear) when `dynamise` is true. `weekday` is not used here (the
   * caller has already turned it into `dayType`) and is accepted so a `LocalDateParts` can be passed directly.
   * @throws Error for an unknown profile id (listing the known ones) or out-of-range parts.
   */
  powerWPer1000KwhA(profileId: LoadProfileId, parts: ProfileLookupParts, dayType: BdewDayType, options: { dynamise: boolean }): number;
}

/** The six data files' texts. */
export interface LoadProfileSources {
  readonly slp1999: string;
  readonly h25: string;
  readonly g25: string;
  readonly l25: string;
  readonly p25: string;
  readonly s25: string;
}

/** Parse all six files into a library. @throws Error from the parsers on a malformed file. */
export function createLoadProfileLibrary(sources: LoadProfileSources): LoadProfileLibrary {
  const slp1999 = parseBdew1999Csv(sources.slp1999);
  const tables2025 = new Map<Bdew2025ProfileId, Float64Array>([
    ['H25', parseBdew2025Csv('H25', sources.h25).wattsPer1000KwhA],
    ['G25', parseBdew2025Csv('G25', sources.g25).wattsPer1000KwhA],
    ['L25', parseBdew2025Csv('L25', sources.l25).wattsPer1000KwhA],
    ['P25', parseBdew2025Csv('P25', sources.p25).wattsPer1000KwhA],
    ['S25', parseBdew2025Csv('S25', sources.s25).wattsPer1000KwhA],
  ]);
  const profileIds: readonly LoadProfileId[] = Object.freeze([...BDEW_1999_PROFILE_IDS, ...BDEW_2025_PROFILE_IDS]);
  return {
    profileIds,
    powerWPer1000KwhA(profileId, parts, dayType, { dynamise }) {
      const dayIndex = DAY_TYPES.indexOf(dayType);
      if (dayIndex < 0) throw new Error(`Unknown BDEW day type "${String(dayType)}"; expected ${DAY_TYPES.join(', ')}`);
      if (!(parts.minuteOfDay >= 0 && parts.minuteOfDay < 1440)) throw new Error(`minuteOfDay must be in [0, 1440), got ${parts.minuteOfDay}`);
      if (!(Number.isInteger(parts.month) && parts.month >= 1 && parts.month <= 12)) throw new Error(`month must be 1–12, got ${parts.month}`);
      const quarterHour = Math.floor(parts.minuteOfDay / 15);
      let watts: number | undefined;
      const table1999 = slp1999.wattsPer1000KwhA.get(profileId as Bdew1999ProfileId);
      if (table1999 !== undefined) {
        const periodIndex = PERIODS.indexOf(bdew1999Period(parts.month, parts.day));
        watts = table1999[(periodIndex * DAY_TYPES.length + dayIndex) * QUARTER_HOURS_PER_DAY + quarterHour];
      } else {
        const table2025 = tables2025.get(profileId as Bdew2025ProfileId);
        if (table2025 === undefined) throw new Error(`Unknown load profile "${String(profileId)}"; known: ${profileIds.join(', ')}`);
        watts = table2025[((parts.month - 1) * DAY_TYPES.length + dayIndex) * QUARTER_HOURS_PER_DAY + quarterHour];
      }
      if (watts === undefined) throw new Error(`Profile lookup out of range for ${profileId}`);
      return dynamise ? watts * h0DynamisationFactor(parts.dayOfYear) : watts;
    },
  };
}

/** Request for a quarter-hour series. */
export interface QuarterHourSeriesRequest {
  readonly profileId: LoadProfileId;
  /** Annual consumption the profile is scaled to, kWh/a. */
  readonly annualKwh: number;
  /** UTC span [startMs, endMs), ms since the epoch. */
  readonly startMs: number;
  readonly endMs: number;
  /** IANA zone whose civil time the profile is applied in (BDEW: German civil time, Europe/Berlin). */
  readonly timeZone: string;
  /** ISO country for public holidays; undefined = no holidays. */
  readonly country: string | undefined;
  /** Apply F(day of year); default `isDynamisedByDefault(profileId)`. */
  readonly dynamise?: boolean;
  /** 24/31 Dec as Saturday (see `BdewDayTypeOptions`); default true for 1999 profiles, false for 2025 profiles. */
  readonly dec24And31AsSaturday?: boolean;
}

/** A regular power series. */
export interface QuarterHourSeries {
  /** UTC start of the first step: the request's startMs floored to the quarter hour. */
  readonly startMs: number;
  readonly stepS: 900;
  /** Mean power of each quarter hour, kW. */
  readonly powerKw: Float64Array;
}

/**
 * Mean power in kW of the profile scaled to `annualKwh`, for each quarter hour covering [startMs, endMs), looked
 * up by local civil time in `timeZone`. Scaling: W per 1,000 kWh/a × annualKwh / 1000 (per 1,000 kWh/a) / 1000
 * (W → kW). On the fall-back DST day the repeated local hour gets the same profile values twice; on the
 * spring-forward day the skipped hour is simply absent, as in demandlib.
 */
export function quarterHourSeriesKw(library: LoadProfileLibrary, request: QuarterHourSeriesRequest): QuarterHourSeries {
  const { profileId, annualKwh, startMs, endMs, timeZone, country } = request;
  if (!library.profileIds.includes(profileId)) {
    throw new Error(`Unknown load profile "${String(profileId)}"; known: ${library.profileIds.join(', ')}`);
  }
  if (!Number.isFinite(annualKwh) || annualKwh < 0) throw new Error(`annualKwh must be a finite number ≥ 0, got ${annualKwh}`);
  const dynamise = request.dynamise ?? isDynamisedByDefault(profileId);
  const dayTypeOptions: BdewDayTypeOptions = {
    dec24And31AsSaturday: request.dec24And31AsSaturday ?? (BDEW_1999_PROFILE_IDS as readonly string[]).includes(profileId),
  };
  const slots = localQuarterHourSlots(startMs, endMs, timeZone);
  const powerKw = new Float64Array(slots.length);
  const kwPerWattPer1000KwhA = annualKwh / 1000 / 1000;
  // The day type changes once per local day; caching it by date avoids a holiday lookup per quarter hour.
  let cachedDateKey = -1;
  let cachedDayType: BdewDayType = 'workday';
  for (let i = 0; i < slots.length; i++) {
    const slot = slots[i] as (typeof slots)[number];
    const dateKey = (slot.year * 13 + slot.month) * 32 + slot.day;
    if (dateKey !== cachedDateKey) {
      cachedDayType = bdewDayType(country, slot.year, slot.month, slot.day, slot.weekday, dayTypeOptions);
      cachedDateKey = dateKey;
    }
    powerKw[i] = library.powerWPer1000KwhA(profileId, slot, cachedDayType, { dynamise }) * kwPerWattPer1000KwhA;
  }
  const firstMs = Math.floor(startMs / QUARTER_HOUR_MS) * QUARTER_HOUR_MS;
  return { startMs: firstMs, stepS: 900, powerKw };
}
