import { describe, expect, it } from 'vitest';
import { SUPPORTED_HOLIDAY_COUNTRIES, defaultCountryForTimeZone, easterSunday, isPublicHoliday, publicHolidays } from '../../../../../src-main/engine/models/load';

const iso = (h: { month: number; day: number }): string => `${String(h.month).padStart(2, '0')}-${String(h.day).padStart(2, '0')}`;

describe('easterSunday (Gregorian computus)', () => {
  it.each([
    [2019, '04-21'],
    [2024, '03-31'],
    [2025, '04-20'],
    [2026, '04-05'],
    [2038, '04-25'],
    [2285, '03-22'],
  ])('%i → %s', (year, date) => {
    expect(iso(easterSunday(year))).toBe(date);
  });
});

describe('publicHolidays', () => {
  it('DE 2026 has the nine nationwide holidays', () => {
    const list = publicHolidays('DE', 2026);
    expect(list.map((h) => `${iso(h)} ${h.name}`)).toEqual([
      '01-01 Neujahr',
      '04-03 Karfreitag',
      '04-06 Ostermontag',
      '05-01 Tag der Arbeit',
      '05-14 Christi Himmelfahrt',
      '05-25 Pfingstmontag',
      '10-03 Tag der Deutschen Einheit',
      '12-25 1. Weihnachtstag',
      '12-26 2. Weihnachtstag',
    ]);
    // State holidays are deliberately absent.
    expect(isPublicHoliday('DE', 2026, 6, 4)).toBe(false); // Fronleichnam
    expect(isPublicHoliday('DE', 2026, 11, 1)).toBe(false); // Allerheiligen
    expect(isPublicHoliday('DE', 2017, 10, 31)).toBe(true);
    expect(isPublicHoliday('DE', 2018, 10, 31)).toBe(false);
  });

  it('IT 2026 has Festa della Repubblica on 06-02', () => {
    expect(isPublicHoliday('IT', 2026, 6, 2)).toBe(true);
    expect(publicHolidays('IT', 2026).find((h) => iso(h) === '06-02')?.name).toBe('Festa della Repubblica');
    expect(isPublicHoliday('IT', 2026, 4, 6)).toBe(true); // Pasquetta
  });

  it('applies year limits and moving rules', () => {
    expect(isPublicHoliday('DK', 2023, 5, 5)).toBe(true); // Store bededag, last year
    expect(publicHolidays('DK', 2024).some((h) => h.name === 'Store bededag')).toBe(false);
    expect(isPublicHoliday('PL', 2025, 12, 24)).toBe(true);
    expect(isPublicHoliday('PL', 2024, 12, 24)).toBe(false);
    expect(isPublicHoliday('NL', 2025, 4, 26)).toBe(true); // 27 Apr 2025 was a Sunday
    expect(isPublicHoliday('NL', 2026, 4, 27)).toBe(true);
    expect(isPublicHoliday('AT', 2026, 6, 4)).toBe(true); // Fronleichnam is national in AT
    expect(isPublicHoliday('CH', 2026, 8, 1)).toBe(true);
    expect(isPublicHoliday('FR', 2026, 7, 14)).toBe(true);
    expect(isPublicHoliday('BE', 2026, 7, 21)).toBe(true);
    expect(isPublicHoliday('ES', 2026, 10, 12)).toBe(true);
    expect(isPublicHoliday('ES', 2026, 4, 3)).toBe(true); // Viernes Santo
  });

  it('has a calendar for every supported country, sorted, and is case-insensitive', () => {
    expect([...SUPPORTED_HOLIDAY_COUNTRIES].sort()).toEqual(['AT', 'BE', 'CH', 'DE', 'DK', 'ES', 'FR', 'IT', 'NL', 'PL']);
    for (const country of SUPPORTED_HOLIDAY_COUNTRIES) {
      const list = publicHolidays(country, 2026);
      expect(list.length).toBeGreaterThanOrEqual(4);
      expect(list.map(iso)).toEqual([...list.map(iso)].sort());
      expect(list.some((h) => iso(h) === '01-01')).toBe(true);
    }
    expect(publicHolidays('de', 2026)).toEqual(publicHolidays('DE', 2026));
  });

  it('throws for an unknown country, naming it and listing the supported ones', () => {
    expect(() => publicHolidays('XX', 2026)).toThrow(/"XX".*DE, AT, IT, CH, NL, FR, BE, DK, PL, ES/);
    expect(() => isPublicHoliday('UK', 2026, 1, 1)).toThrow(/"UK"/);
  });
});

describe('defaultCountryForTimeZone', () => {
  it.each([
    ['Europe/Berlin', 'DE'],
    ['Europe/Rome', 'IT'],
    ['Europe/Vienna', 'AT'],
    ['Europe/Zurich', 'CH'],
    ['Europe/Amsterdam', 'NL'],
    ['Europe/Paris', 'FR'],
    ['Europe/Brussels', 'BE'],
    ['Europe/Copenhagen', 'DK'],
    ['Europe/Warsaw', 'PL'],
    ['Europe/Madrid', 'ES'],
    ['Atlantic/Canary', 'ES'],
  ])('%s → %s', (zone, country) => {
    expect(defaultCountryForTimeZone(zone)).toBe(country);
  });

  it('is undefined for other zones', () => {
    expect(defaultCountryForTimeZone('America/New_York')).toBeUndefined();
    expect(defaultCountryForTimeZone('UTC')).toBeUndefined();
  });
});
