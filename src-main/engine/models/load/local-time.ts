/**
 * Civil (wall-clock) date parts of an instant in an IANA time zone, and the local quarter-hour slots of a span.
 *
 * The BDEW standard load profiles are tabulated against German civil time (data README §1 and §2), so a profile
 * value has to be looked up by the local date and local minute of the day, not by UTC. Time zone rules come from
 * the ICU data behind `Intl.DateTimeFormat` (ECMA-402), so DST switches are handled by the runtime, not by us.
 *
 * Pure: no clock, no I/O. Every function takes the instant as an argument.
 */

/** Local calendar date and time of day of one instant. */
export interface LocalDateParts {
  /** Full Gregorian year, e.g. 2026. */
  readonly year: number;
  /** Month 1–12. */
  readonly month: number;
  /** Day of month 1–31. */
  readonly day: number;
  /** Day of year 1–366 (1 = 1 January). */
  readonly dayOfYear: number;
  /** Day of week 0 = Sunday … 6 = Saturday (the `Date.prototype.getDay` convention). */
  readonly weekday: number;
  /** Whole minutes since local midnight, 0–1439. */
  readonly minuteOfDay: number;
}

/** One 15-minute slot: its UTC start and the local date parts at that start. */
export interface LocalQuarterHourSlot extends LocalDateParts {
  /** UTC start of the slot, ms since the epoch; a multiple of 900,000 ms. */
  readonly startMs: number;
}

export const QUARTER_HOUR_MS = 900_000;
const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/**
 * One formatter per zone: constructing an `Intl.DateTimeFormat` costs far more than using one, and the
 * simulator asks for the same one or two zones over and over.
 */
const formatterByZone = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatterByZone.get(timeZone);
  if (formatter === undefined) {
    try {
      formatter = new Intl.DateTimeFormat('en-US', {
        timeZone,
        // h23, not hour12: false, because some ICU versions print midnight as "24" with hour12: false.
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        era: 'short',
      });
    } catch (error) {
      throw new Error(`Unknown time zone "${timeZone}": ${(error as Error).message}`);
    }
    formatterByZone.set(timeZone, formatter);
  }
  return formatter;
}

/**
 * Offset of local civil time from UTC at `timeMs`, in ms (Europe/Berlin: +3,600,000 in winter, +7,200,000 in
 * summer). Derived by formatting the instant in the zone and reading the wall clock back as if it were UTC.
 */
export function utcOffsetMs(timeMs: number, timeZone: string): number {
  if (!Number.isFinite(timeMs)) throw new Error(`utcOffsetMs: time must be finite, got ${timeMs}`);
  // Every plan asks again for the hours it asked for last time: remembered per zone and instant.
  let memo = offsetByZone.get(timeZone);
  if (memo === undefined) {
    memo = new Map();
    offsetByZone.set(timeZone, memo);
  }
  let offsetMs = memo.get(timeMs);
  if (offsetMs === undefined) {
    offsetMs = utcOffsetUncachedMs(timeMs, timeZone);
    if (memo.size >= 100_000) memo.clear();
    memo.set(timeMs, offsetMs);
  }
  return offsetMs;
}

const offsetByZone = new Map<string, Map<number, number>>();

function utcOffsetUncachedMs(timeMs: number, timeZone: string): number {
  const parts = formatterFor(timeZone).formatToParts(timeMs);
  let year = 0;
  let month = 1;
  let day = 1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let bc = false;
  for (const part of parts) {
    switch (part.type) {
      case 'year': year = Number(part.value); break;
      case 'month': month = Number(part.value); break;
      case 'day': day = Number(part.value); break;
      case 'hour': hour = Number(part.value); break;
      case 'minute': minute = Number(part.value); break;
      case 'second': second = Number(part.value); break;
      case 'era': bc = part.value === 'BC' || part.value === 'B'; break;
      default: break;
    }
  }
  // Intl prints years of era BC as 1, 2, …; the proleptic astronomical year is 1 - that.
  const astronomicalYear = bc ? 1 - year : year;
  const wallClockAsUtcMs = utcMs(astronomicalYear, month, day) + hour * HOUR_MS + minute * MINUTE_MS + second * 1000;
  // The formatter drops milliseconds, so compare against the instant floored to the second.
  return wallClockAsUtcMs - Math.floor(timeMs / 1000) * 1000;
}

/** UTC midnight of a proleptic Gregorian date; unlike `Date.UTC`, years 0–99 are not mapped to 1900–1999. */
function utcMs(year: number, month: number, day: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return date.getTime();
}

/**
 * Local date parts of `localMs`, a wall-clock time written as if it were UTC (the instant plus the zone offset).
 * Pure arithmetic on a UTC `Date`, which is far cheaper than another `formatToParts` call.
 */
function partsFromWallClockMs(localMs: number): LocalDateParts {
  const date = new Date(localMs);
  const year = date.getUTCFullYear();
  const dayStartMs = Math.floor(localMs / DAY_MS) * DAY_MS;
  return {
    year,
    month: date.getUTCMonth() + 1,
    day: date.getUTCDate(),
    dayOfYear: Math.round((dayStartMs - utcMs(year, 1, 1)) / DAY_MS) + 1,
    weekday: date.getUTCDay(),
    minuteOfDay: Math.floor((localMs - dayStartMs) / MINUTE_MS),
  };
}

/**
 * Local date parts of the instant `timeMs` (ms since the epoch, UTC) in `timeZone`.
 *
 * Across a DST switch the answer follows the wall clock: in Europe/Berlin on 2026-03-29, 00:59:59Z is 01:59:59
 * CET and 01:00:00Z is 03:00:00 CEST (02:xx local never happens); on 2026-10-25, 00:00Z and 01:00Z both read
 * 02:00 local (CEST, then CET).
 *
 * @throws Error if `timeZone` is not a zone the runtime knows.
 */
export function localDateParts(timeMs: number, timeZone: string): LocalDateParts {
  return partsFromWallClockMs(timeMs + utcOffsetMs(timeMs, timeZone));
}

/**
 * The 15-minute slots covering [startMs, endMs), with the local date parts at each slot's start.
 *
 * Slots are aligned to multiples of 15 minutes in UTC (the first one starts at `startMs` floored to the quarter
 * hour). For every zone whose offset is a whole number of quarter hours (all zones in use today, including
 * +05:45 and +12:45) that is also local quarter-hour alignment. Across DST the slots follow real time: the
 * spring-forward day in Europe/Berlin has 92 slots, the fall-back day 100 (02:00–02:45 appear twice).
 *
 * Speed: the zone offset is read once per UTC hour with `Intl` and only re-read for each quarter hour in an hour
 * whose start and end offsets differ; everything else is integer arithmetic. That relies on a zone never
 * changing its offset twice within one hour, which no tz database rule does.
 */
export function localQuarterHourSlots(startMs: number, endMs: number, timeZone: string): LocalQuarterHourSlot[] {
  if (!Number.isFinite(startMs) || !Number.isFinite(endMs)) {
    throw new Error(`localQuarterHourSlots: start and end must be finite, got ${startMs} and ${endMs}`);
  }
  const slots: LocalQuarterHourSlot[] = [];
  const firstMs = Math.floor(startMs / QUARTER_HOUR_MS) * QUARTER_HOUR_MS;
  // An empty span covers nothing, even when startMs is not on a quarter hour.
  if (!(endMs > startMs)) return slots;
  let hourStartMs = Math.floor(firstMs / HOUR_MS) * HOUR_MS;
  let offsetAtHourStartMs = utcOffsetMs(hourStartMs, timeZone);
  for (; hourStartMs < endMs; hourStartMs += HOUR_MS) {
    const offsetAtNextHourMs = utcOffsetMs(hourStartMs + HOUR_MS, timeZone);
    const offsetConstant = offsetAtNextHourMs === offsetAtHourStartMs;
    for (let slotMs = hourStartMs; slotMs < hourStartMs + HOUR_MS; slotMs += QUARTER_HOUR_MS) {
      if (slotMs < firstMs) continue;
      if (slotMs >= endMs) break;
      const offsetMs = offsetConstant || slotMs === hourStartMs ? offsetAtHourStartMs : utcOffsetMs(slotMs, timeZone);
      slots.push({ startMs: slotMs, ...partsFromWallClockMs(slotMs + offsetMs) });
    }
    offsetAtHourStartMs = offsetAtNextHourMs;
  }
  return slots;
}

/** True for leap years of the proleptic Gregorian calendar. */
export function isLeapYear(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** Day of week (0 = Sunday … 6 = Saturday) of a Gregorian date, independent of any time zone. */
export function weekdayOf(year: number, month: number, day: number): number {
  return new Date(utcMs(year, month, day)).getUTCDay();
}

/** Day of year (1–366) of a Gregorian date. */
export function dayOfYearOf(year: number, month: number, day: number): number {
  return Math.round((utcMs(year, month, day) - utcMs(year, 1, 1)) / DAY_MS) + 1;
}
