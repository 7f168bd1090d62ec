import { describe, expect, it } from 'vitest';
import { dayOfYearOf, localDateParts, localQuarterHourSlots, utcOffsetMs, weekdayOf } from '../../../../../src-main/engine/models/load';

const BERLIN = 'Europe/Berlin';

describe('localDateParts', () => {
  it('reads CET and CEST wall clock', () => {
    expect(localDateParts(Date.UTC(2026, 0, 15, 11, 7), BERLIN)).toEqual({ year: 2026, month: 1, day: 15, dayOfYear: 15, weekday: 4, minuteOfDay: 12 * 60 + 7 });
    expect(localDateParts(Date.UTC(2026, 6, 15, 11, 7), BERLIN)).toMatchObject({ month: 7, day: 15, minuteOfDay: 13 * 60 + 7 });
  });

  it('skips 02:00–02:59 on the spring-forward day 2026-03-29', () => {
    expect(localDateParts(Date.UTC(2026, 2, 29, 0, 59, 59), BERLIN)).toMatchObject({ day: 29, minuteOfDay: 119 });
    expect(localDateParts(Date.UTC(2026, 2, 29, 1, 0), BERLIN)).toMatchObject({ day: 29, minuteOfDay: 180 });
    expect(utcOffsetMs(Date.UTC(2026, 2, 29, 0, 59), BERLIN)).toBe(3_600_000);
    expect(utcOffsetMs(Date.UTC(2026, 2, 29, 1, 0), BERLIN)).toBe(7_200_000);
  });

  it('repeats 02:00–02:59 on the fall-back day 2026-10-25', () => {
    expect(localDateParts(Date.UTC(2026, 9, 25, 0, 0), BERLIN)).toMatchObject({ day: 25, minuteOfDay: 120 });
    expect(localDateParts(Date.UTC(2026, 9, 25, 1, 0), BERLIN)).toMatchObject({ day: 25, minuteOfDay: 120 });
    expect(localDateParts(Date.UTC(2026, 9, 25, 2, 0), BERLIN)).toMatchObject({ day: 25, minuteOfDay: 180 });
  });

  it('crosses the year in local time, not UTC, and counts day 366', () => {
    expect(localDateParts(Date.UTC(2025, 11, 31, 23, 30), BERLIN)).toMatchObject({ year: 2026, month: 1, day: 1, dayOfYear: 1, weekday: 4, minuteOfDay: 30 });
    expect(localDateParts(Date.UTC(2024, 11, 31, 12), BERLIN)).toMatchObject({ year: 2024, dayOfYear: 366, weekday: 2 });
  });

  it('throws on an unknown zone, naming it', () => {
    expect(() => localDateParts(0, 'Mars/Olympus_Mons')).toThrow(/Mars\/Olympus_Mons/);
  });

  it('has calendar helpers', () => {
    expect(weekdayOf(2026, 3, 29)).toBe(0);
    expect(dayOfYearOf(2025, 12, 31)).toBe(365);
    expect(dayOfYearOf(2024, 12, 31)).toBe(366);
  });
});

describe('localQuarterHourSlots', () => {
  it('gives 92 slots on the Berlin spring-forward day and none in 02:00–02:59', () => {
    const slots = localQuarterHourSlots(Date.UTC(2026, 2, 28, 23), Date.UTC(2026, 2, 29, 22), BERLIN);
    expect(slots).toHaveLength(92);
    expect(slots.every((s) => s.day === 29)).toBe(true);
    expect(slots.filter((s) => s.minuteOfDay >= 120 && s.minuteOfDay < 180)).toHaveLength(0);
    expect(slots[8]).toMatchObject({ minuteOfDay: 180, startMs: Date.UTC(2026, 2, 29, 1) });
  });

  it('gives 100 slots on the Berlin fall-back day with 02:00–02:45 twice', () => {
    const slots = localQuarterHourSlots(Date.UTC(2026, 9, 24, 22), Date.UTC(2026, 9, 25, 23), BERLIN);
    expect(slots).toHaveLength(100);
    expect(slots.every((s) => s.day === 25)).toBe(true);
    expect(slots.filter((s) => s.minuteOfDay === 135)).toHaveLength(2);
  });

  it('floors the start to the quarter hour and excludes the end', () => {
    const slots = localQuarterHourSlots(Date.UTC(2026, 0, 1, 10, 7), Date.UTC(2026, 0, 1, 11, 0), BERLIN);
    expect(slots.map((s) => s.minuteOfDay)).toEqual([660, 675, 690, 705]);
    expect(slots[0]?.startMs).toBe(Date.UTC(2026, 0, 1, 10, 0));
    expect(localQuarterHourSlots(5, 5, BERLIN)).toEqual([]);
  });

  it.each([BERLIN, 'America/New_York', 'Australia/Lord_Howe', 'Asia/Kathmandu'])('agrees with localDateParts for every slot of 2026 in %s', (zone) => {
    const slots = localQuarterHourSlots(Date.UTC(2026, 0, 1), Date.UTC(2027, 0, 1), zone);
    expect(slots).toHaveLength(365 * 96);
    for (const slot of slots) {
      const { startMs, ...parts } = slot;
      const expected = localDateParts(startMs, zone);
      if (parts.minuteOfDay !== expected.minuteOfDay || parts.day !== expected.day) expect({ startMs, ...parts }).toEqual({ startMs, ...expected });
    }
  });

  it('does a year of quarter hours well under a second', () => {
    const t0 = performance.now();
    localQuarterHourSlots(Date.UTC(2026, 0, 1), Date.UTC(2027, 0, 1), BERLIN);
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});
