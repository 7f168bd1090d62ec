/**
 * Wall-clock times in the site's time zone (the session clock's zone, `LiveState.timezone`), not the
 * browser's: an operator in Rome reading a console about a site in Rome types "14:00" and means 14:00 in
 * Rome, whatever zone the laptop is set to. Pure functions over `Intl`, unit-tested.
 */

export interface WallTime {
  year: number;
  /** 1…12 */
  month: number;
  day: number;
  hour: number;
  minute: number;
  second?: number;
}

const partFormats = new Map<string, Intl.DateTimeFormat>();

function partsFormat(timeZone: string): Intl.DateTimeFormat {
  let f = partFormats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
    partFormats.set(timeZone, f);
  }
  return f;
}

/** The wall time of an instant in a zone. */
export function wallTimeOf(ms: number, timeZone: string): Required<WallTime> {
  const p: Record<string, number> = {};
  for (const x of partsFormat(timeZone).formatToParts(ms)) if (x.type !== 'literal') p[x.type] = Number(x.value);
  return { year: p['year']!, month: p['month']!, day: p['day']!, hour: p['hour']! % 24, minute: p['minute']!, second: p['second']! };
}

/** The zone's offset from UTC at an instant, ms (Rome in summer: +2 h). */
function offsetMs(ms: number, timeZone: string): number {
  const w = wallTimeOf(ms, timeZone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - (ms - (((ms % 1000) + 1000) % 1000));
}

/**
 * The instant a wall time names in a zone. A time that does not exist (skipped by the spring change) is
 * read with the offset before the change; one that exists twice (autumn) is its first occurrence.
 */
export function wallTimeToMs(w: WallTime, timeZone: string): number {
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second ?? 0);
  const first = asUtc - offsetMs(asUtc - 86_400_000 / 2, timeZone);
  const candidates = [asUtc - offsetMs(asUtc, timeZone), first, asUtc - offsetMs(first, timeZone)];
  // The earliest candidate that shows the wall time asked for; else (a skipped time) the first guess.
  const exact = candidates.filter((ms) => sameWall(wallTimeOf(ms, timeZone), w)).sort((a, b) => a - b);
  return exact[0] ?? candidates[0]!;
}

function sameWall(a: Required<WallTime>, b: WallTime): boolean {
  return a.year === b.year && a.month === b.month && a.day === b.day && a.hour === b.hour && a.minute === b.minute && a.second === (b.second ?? 0);
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** `<input type="datetime-local">`'s value for an instant, in the zone: "2026-06-21T14:05". */
export function toDatetimeLocal(ms: number, timeZone: string): string {
  const w = wallTimeOf(ms, timeZone);
  return `${pad(w.year, 4)}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}`;
}

/** The instant a datetime-local value names in the zone, or null when it is not one. */
export function fromDatetimeLocal(text: string, timeZone: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text.trim());
  if (!m) return null;
  const w = { year: +m[1]!, month: +m[2]!, day: +m[3]!, hour: +m[4]!, minute: +m[5]!, second: m[6] ? +m[6] : 0 };
  if (w.month < 1 || w.month > 12 || w.day < 1 || w.day > 31 || w.hour > 23 || w.minute > 59 || w.second > 59) return null;
  return wallTimeToMs(w, timeZone);
}
