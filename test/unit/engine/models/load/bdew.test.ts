import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  bdew1999Period,
  bdewDayType,
  createLoadProfileLibrary,
  h0DynamisationFactor,
  isDynamisedByDefault,
  parseBdew1999Csv,
  parseBdew2025Csv,
  quarterHourSeriesKw,
} from '../../../../../src-main/engine/models/load';
import type { LoadProfileSources } from '../../../../../src-main/engine/models/load';

const profilesDir = fileURLToPath(new URL('../../../../../resources/profiles/', import.meta.url));
const read = (name: string): string => readFileSync(profilesDir + name, 'utf8');
const sources: LoadProfileSources = {
  slp1999: read('bdew-slp-1999.csv'),
  h25: read('bdew-2025/h25.csv'),
  g25: read('bdew-2025/g25.csv'),
  l25: read('bdew-2025/l25.csv'),
  p25: read('bdew-2025/p25.csv'),
  s25: read('bdew-2025/s25.csv'),
};
const library = createLoadProfileLibrary(sources);
const BERLIN = 'Europe/Berlin';
const midWinter = { month: 1, day: 14, dayOfYear: 14, weekday: 3, minuteOfDay: 0 };

describe('parsers and library', () => {
  it('H0 winter workday 00:00 is 67.6 W per 1,000 kWh/a', () => {
    expect(library.powerWPer1000KwhA('H0', midWinter, 'workday', { dynamise: false })).toBe(67.6);
    // Any minute inside the quarter hour reads the same value.
    expect(library.powerWPer1000KwhA('H0', { ...midWinter, minuteOfDay: 14 }, 'workday', { dynamise: false })).toBe(67.6);
  });

  it('H25 January Saturday column sums to 2,843 kWh per day per 1,000,000 kWh/a', () => {
    let sumKwh = 0;
    for (let q = 0; q < 96; q++) sumKwh += library.powerWPer1000KwhA('H25', { ...midWinter, minuteOfDay: q * 15 }, 'saturday', { dynamise: false }) / 4;
    // The file's values have three decimals, so the column sum is 2,843 to within rounding of the published figure.
    expect(Math.round(sumKwh)).toBe(2843);
    expect(sumKwh).toBeCloseTo(2842.961, 6); // the exact column sum of the file
  });

  it('stores 2025 values ×4 as W per 1,000 kWh/a: January SA 00:00 is 22.152 kWh → 88.608 W', () => {
    // Layout ((month - 1) * 3 + dayTypeIndex) * 96 + quarterHour, day types workday, saturday, sunday.
    const values = parseBdew2025Csv('H25', sources.h25).wattsPer1000KwhA;
    expect(values[1 * 96]).toBeCloseTo(88.608, 9); // January SA
    expect(values[2 * 96]).toBeCloseTo(23.148 * 4, 9); // January FT
    expect(values[0]).toBeCloseTo(20.126 * 4, 9); // January WT
  });

  it('lists all 16 profiles and the dynamised ones', () => {
    expect(library.profileIds).toHaveLength(16);
    expect(library.profileIds.filter(isDynamisedByDefault)).toEqual(['H0', 'H25', 'P25', 'S25']);
    expect(() => library.powerWPer1000KwhA('X9' as never, midWinter, 'workday', { dynamise: false })).toThrow(/"X9".*H0/);
  });

  it('parses every 1999 profile completely', () => {
    const table = parseBdew1999Csv(sources.slp1999);
    expect([...table.wattsPer1000KwhA.keys()]).toHaveLength(11);
    for (const values of table.wattsPer1000KwhA.values()) expect(values.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
  });
});

describe('malformed files', () => {
  const lines1999 = sources.slp1999.split('\n');
  it('1999: missing column', () => {
    const bad = [...lines1999];
    bad[5] = 'H0,winter,saturday,01:00';
    expect(() => parseBdew1999Csv(bad.join('\n'))).toThrow(/line 6: expected 5 columns, found 4/);
  });
  it('1999: non-numeric watts', () => {
    const bad = [...lines1999];
    bad[2] = 'H0,winter,saturday,00:15,abc';
    expect(() => parseBdew1999Csv(bad.join('\n'))).toThrow(/line 3, column 5 \(watts\): "abc" is not a number/);
    bad[2] = 'H0,winter,saturday,00:15,';
    expect(() => parseBdew1999Csv(bad.join('\n'))).toThrow(/line 3, column 5/);
  });
  it('1999: wrong row count, wrong header, duplicates, bad labels', () => {
    expect(() => parseBdew1999Csv(lines1999.slice(0, -2).join('\n'))).toThrow(/expected 9504 data rows.*found 9503/);
    expect(() => parseBdew1999Csv(['profile,period,day,timestamp,watts', ...lines1999.slice(1)].join('\n'))).toThrow(/line 1: expected header/);
    const dup = [...lines1999];
    dup[2] = dup[1] as string;
    expect(() => parseBdew1999Csv(dup.join('\n'))).toThrow(/line 3: duplicate row for H0 winter saturday 00:00/);
    const badTime = [...lines1999];
    badTime[2] = 'H0,winter,saturday,00:10,1';
    expect(() => parseBdew1999Csv(badTime.join('\n'))).toThrow(/line 3, column 4/);
    const badPeriod = [...lines1999];
    badPeriod[2] = 'H0,spring,saturday,00:15,1';
    expect(() => parseBdew1999Csv(badPeriod.join('\n'))).toThrow(/line 3, column 2 \(period\)/);
  });
  it('accepts CRLF and a BOM', () => {
    expect(() => parseBdew1999Csv('\uFEFF' + sources.slp1999.replace(/\n/g, '\r\n'))).not.toThrow();
  });

  const lines2025 = sources.h25.split('\n');
  it('2025: missing column', () => {
    const bad = [...lines2025];
    bad[3] = (bad[3] as string).replace(/,[^,]*$/, '');
    expect(() => parseBdew2025Csv('H25', bad.join('\n'))).toThrow(/h25\.csv line 4: expected 37 columns, found 36/);
  });
  it('2025: non-numeric value', () => {
    const bad = [...lines2025];
    bad[10] = (bad[10] as string).replace(/,([^,]*)$/, ',x1');
    expect(() => parseBdew2025Csv('H25', bad.join('\n'))).toThrow(/line 11, column 37 \(Dezember WT\): "x1" is not a number/);
  });
  it('2025: wrong row count, bad header, bad interval', () => {
    expect(() => parseBdew2025Csv('H25', lines2025.slice(0, 50).join('\n'))).toThrow(/expected 2 header rows and 96 data rows/);
    const badMonth = [...lines2025];
    badMonth[0] = (badMonth[0] as string).replace('Februar', 'February');
    expect(() => parseBdew2025Csv('H25', badMonth.join('\n'))).toThrow(/line 1, column 5: "February"/);
    const badDay = [...lines2025];
    badDay[1] = (badDay[1] as string).replace('FT', 'SO');
    expect(() => parseBdew2025Csv('H25', badDay.join('\n'))).toThrow(/line 2, column 3: day type "SO"/);
    const badInterval = [...lines2025];
    badInterval[2] = (badInterval[2] as string).replace('00:00-00:15', '00:00-00:30');
    expect(() => parseBdew2025Csv('H25', badInterval.join('\n'))).toThrow(/line 3, column 1: expected interval "00:00-00:15"/);
  });
});

describe('dynamisation', () => {
  it('matches the published factors to 4 decimals', () => {
    expect(h0DynamisationFactor(1)).toBeCloseTo(1.242, 4);
    expect(h0DynamisationFactor(182)).toBeCloseTo(0.7959, 4);
    expect(h0DynamisationFactor(365)).toBeCloseTo(1.2572, 4);
  });
  it('multiplies the profile value without rounding', () => {
    const parts = { ...midWinter, dayOfYear: 182 };
    expect(library.powerWPer1000KwhA('H0', parts, 'workday', { dynamise: true })).toBe(67.6 * h0DynamisationFactor(182));
  });
});

describe('day types and periods', () => {
  it('uses the 1999 period boundaries', () => {
    expect([
      [3, 20], [3, 21], [5, 14], [5, 15], [9, 14], [9, 15], [10, 31], [11, 1], [1, 1],
    ].map(([m, d]) => bdew1999Period(m as number, d as number))).toEqual([
      'winter', 'transition', 'transition', 'summer', 'summer', 'transition', 'transition', 'winter', 'winter',
    ]);
  });
  it('maps weekdays, holidays and 24/31 Dec', () => {
    expect(bdewDayType('DE', 2026, 5, 14, 4)).toBe('sunday'); // Christi Himmelfahrt, a Thursday
    expect(bdewDayType(undefined, 2026, 5, 14, 4)).toBe('workday');
    expect(bdewDayType('IT', 2026, 6, 2, 2)).toBe('sunday');
    expect(bdewDayType('DE', 2026, 6, 2, 2)).toBe('workday');
    expect(bdewDayType('DE', 2026, 5, 16, 6)).toBe('saturday');
    expect(bdewDayType('DE', 2026, 5, 17, 0)).toBe('sunday');
    expect(bdewDayType('DE', 2026, 12, 24, 4)).toBe('saturday');
    expect(bdewDayType(undefined, 2026, 12, 31, 4)).toBe('saturday');
    expect(bdewDayType('DE', 2026, 12, 24, 4, { dec24And31AsSaturday: false })).toBe('workday');
    expect(bdewDayType('DE', 2028, 12, 24, 0)).toBe('sunday');
    expect(bdewDayType('PL', 2026, 12, 24, 4)).toBe('sunday'); // Wigilia is a holiday in PL from 2025
  });
});

describe('quarterHourSeriesKw', () => {
  // Calendar 2025 in German civil time: 2025-01-01 00:00 CET = 2024-12-31T23:00Z to 2026-01-01 00:00 CET.
  const year2025 = { startMs: Date.UTC(2024, 11, 31, 23), endMs: Date.UTC(2025, 11, 31, 23), timeZone: BERLIN };
  const annualKwh = (powerKw: Float64Array): number => powerKw.reduce((sum, p) => sum + p * 0.25, 0);

  // No holidays (country undefined) and no special days (dec24And31AsSaturday: false): every date takes its
  // weekday's day type, which is how the published 2025 sums are defined.
  it('H0 over 2025 sums to 998.28 kWh undynamised and 997.13 kWh dynamised per 1,000 kWh/a', () => {
    const common = { profileId: 'H0' as const, annualKwh: 1000, country: undefined, dec24And31AsSaturday: false, ...year2025 };
    const plain = quarterHourSeriesKw(library, { ...common, dynamise: false });
    const dynamised = quarterHourSeriesKw(library, { ...common, dynamise: true });
    expect(plain.powerKw).toHaveLength(365 * 96); // 92-slot spring day and 100-slot autumn day cancel
    expect(annualKwh(plain.powerKw)).toBeCloseTo(998.28, 2);
    expect(annualKwh(dynamised.powerKw)).toBeCloseTo(997.13, 2);
    // H0 is dynamised by default.
    expect(quarterHourSeriesKw(library, common).powerKw).toEqual(dynamised.powerKw);
  });

  it('scales to annualKwh in kW and floors the start to the quarter hour', () => {
    // Wednesday 2026-01-07 00:05 CET = 2026-01-06T23:05Z; six hours.
    const startMs = Date.UTC(2026, 0, 6, 23, 5);
    const series = quarterHourSeriesKw(library, { profileId: 'H0', annualKwh: 3500, startMs, endMs: startMs + 6 * 3_600_000, timeZone: BERLIN, country: 'DE', dynamise: false });
    expect(series.startMs).toBe(Date.UTC(2026, 0, 6, 23, 0));
    expect(series.stepS).toBe(900);
    expect(series.powerKw).toHaveLength(25);
    expect(series.powerKw[0]).toBeCloseTo((67.6 * 3500) / 1e6, 12);
  });

  it('applies holidays, and G25 is static by default', () => {
    // Christi Himmelfahrt 2026-05-14, local day in Berlin.
    const day = { startMs: Date.UTC(2026, 4, 13, 22), endMs: Date.UTC(2026, 4, 14, 22), timeZone: BERLIN, annualKwh: 1000 };
    const holiday = quarterHourSeriesKw(library, { ...day, profileId: 'G25', country: 'DE' });
    const plain = quarterHourSeriesKw(library, { ...day, profileId: 'G25', country: undefined });
    const parts = { month: 5, day: 14, dayOfYear: 134, weekday: 4, minuteOfDay: 12 * 60 };
    expect(holiday.powerKw[48]).toBeCloseTo(library.powerWPer1000KwhA('G25', parts, 'sunday', { dynamise: false }) / 1000, 12);
    expect(plain.powerKw[48]).toBeCloseTo(library.powerWPer1000KwhA('G25', parts, 'workday', { dynamise: false }) / 1000, 12);
    expect(holiday.powerKw[48]).not.toBeCloseTo(plain.powerKw[48] as number, 6);
  });

  it('rejects unknown profiles and bad annual energy', () => {
    const base = { annualKwh: 1000, startMs: 0, endMs: 3_600_000, timeZone: BERLIN, country: undefined };
    expect(() => quarterHourSeriesKw(library, { ...base, profileId: 'Z1' as never })).toThrow(/"Z1"/);
    expect(() => quarterHourSeriesKw(library, { ...base, profileId: 'H0', annualKwh: -1 })).toThrow(/annualKwh/);
  });

  it('is fast enough: a year well under a second', () => {
    const t0 = performance.now();
    quarterHourSeriesKw(library, { profileId: 'H25', annualKwh: 3500, country: 'DE', ...year2025 });
    expect(performance.now() - t0).toBeLessThan(1000);
  });
});
