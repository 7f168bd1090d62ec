/**
 * National public holidays of the countries the controller is deployed in, for picking the BDEW day type
 * (BDEW treats public holidays like Sundays: data README §1 "Sundays and public holidays", §2 "FT").
 *
 * Only holidays that are public days of rest in the whole country are listed. Regional holidays are left out on
 * purpose, because the profile is applied without knowing the state or canton; the notes per country say which
 * ones. A holiday that falls on a Sunday needs no entry to change the day type, but it is listed anyway so that
 * `publicHolidays` is a faithful calendar.
 *
 * Sources: the national statutes named per country below; Easter from the Gregorian computus (the "anonymous
 * Gregorian algorithm", Meeus, Astronomical Algorithms, 2nd ed., ch. 8). Rules are those in force today, with
 * year limits where a holiday was added or abolished recently; history before about 1990 is not modelled.
 *
 * Pure: no clock, no I/O.
 */

import { weekdayOf } from './local-time';

/** A holiday in a given year. */
export interface PublicHoliday {
  /** Month 1–12. */
  readonly month: number;
  /** Day of month 1–31. */
  readonly day: number;
  /** Name in the country's (main) language. */
  readonly name: string;
}

/** Easter Sunday of a Gregorian year (valid for 1583 onwards). Anonymous Gregorian algorithm (Meeus/Jones/Butcher). */
export function easterSunday(year: number): { month: number; day: number } {
  if (!Number.isInteger(year) || year < 1583) throw new Error(`easterSunday: year must be an integer ≥ 1583, got ${year}`);
  const a = year % 19;
  const b = Math.floor(year / 100);
  const c = year % 100;
  const d = Math.floor(b / 4);
  const e = b % 4;
  const f = Math.floor((b + 8) / 25);
  const g = Math.floor((b - f + 1) / 3);
  const h = (19 * a + b - d - g + 15) % 30;
  const i = Math.floor(c / 4);
  const k = c % 4;
  const l = (32 + 2 * e + 2 * i - h - k) % 7;
  const m = Math.floor((a + 11 * h + 22 * l) / 451);
  const month = Math.floor((h + l - 7 * m + 114) / 31);
  const day = ((h + l - 7 * m + 114) % 31) + 1;
  return { month, day };
}

/** A holiday rule: a fixed date, or an offset in days from Easter Sunday; optionally limited to a range of years. */
type Rule =
  | { readonly name: string; readonly month: number; readonly day: number; readonly fromYear?: number; readonly toYear?: number }
  | { readonly name: string; readonly easterOffsetDays: number; readonly fromYear?: number; readonly toYear?: number }
  | { readonly name: string; readonly compute: (year: number) => { month: number; day: number } | undefined };

const fixed = (month: number, day: number, name: string, fromYear?: number, toYear?: number): Rule => ({ name, month, day, fromYear, toYear });
const easter = (easterOffsetDays: number, name: string, fromYear?: number, toYear?: number): Rule => ({ name, easterOffsetDays, fromYear, toYear });

/**
 * Germany. Nationwide are only the holidays every one of the 16 states has in its Feiertagsgesetz, plus the Tag
 * der Deutschen Einheit (federal, Einigungsvertrag Art. 2(2)). The 500th Reformation Day, 31 Oct 2017, was a
 * one-off holiday in all states.
 * Left out (state holidays): Heilige Drei Könige 6 Jan (BW, BY, ST); Internationaler Frauentag 8 Mar (BE, MV);
 * Fronleichnam (BW, BY, HE, NW, RP, SL, parts of SN and TH); Mariä Himmelfahrt 15 Aug (SL, parts of BY);
 * Weltkindertag 20 Sep (TH); Reformationstag 31 Oct (BB, HB, HH, MV, NI, SN, ST, SH, TH); Allerheiligen 1 Nov
 * (BW, BY, NW, RP, SL); Buß- und Bettag (SN); Augsburger Friedensfest 8 Aug (Augsburg). Oster- and Pfingstsonntag
 * (statutory in BB) are Sundays anyway.
 */
const DE: readonly Rule[] = [
  fixed(1, 1, 'Neujahr'),
  easter(-2, 'Karfreitag'),
  easter(1, 'Ostermontag'),
  fixed(5, 1, 'Tag der Arbeit'),
  easter(39, 'Christi Himmelfahrt'),
  easter(50, 'Pfingstmontag'),
  fixed(10, 3, 'Tag der Deutschen Einheit', 1990),
  fixed(10, 31, 'Reformationstag (500 Jahre)', 2017, 2017),
  fixed(12, 25, '1. Weihnachtstag'),
  fixed(12, 26, '2. Weihnachtstag'),
];

/**
 * Austria: Feiertagsruhegesetz 1957 § 1 and Arbeitsruhegesetz § 7(2), which hold for the whole country.
 * Left out: Karfreitag (a holiday only for Protestant and some other churches' members until 2018, abolished by
 * the 2019 amendment); the Landespatrone (Josef 19 Mar, Florian 4 May, Rupert 24 Sep, Volksabstimmungstag 10 Oct,
 * Martin 11 Nov, Leopold 15 Nov), which are school holidays but not statutory rest days; 24 and 31 Dec (customary
 * half days only).
 */
const AT: readonly Rule[] = [
  fixed(1, 1, 'Neujahr'),
  fixed(1, 6, 'Heilige Drei Könige'),
  easter(1, 'Ostermontag'),
  fixed(5, 1, 'Staatsfeiertag'),
  easter(39, 'Christi Himmelfahrt'),
  easter(50, 'Pfingstmontag'),
  easter(60, 'Fronleichnam'),
  fixed(8, 15, 'Mariä Himmelfahrt'),
  fixed(10, 26, 'Nationalfeiertag'),
  fixed(11, 1, 'Allerheiligen'),
  fixed(12, 8, 'Mariä Empfängnis'),
  fixed(12, 25, 'Christtag'),
  fixed(12, 26, 'Stefanitag'),
];

/**
 * Italy: Legge 260/1949 as amended (Legge 54/1977, DPR 792/1985). San Francesco d'Assisi, 4 Oct, is national
 * again from 2026 (Legge 151/2025).
 * Left out: the patron saint of each municipality (e.g. Rome 29 Jun, Milan 7 Dec, Turin 24 Jun) and Pfingstmontag
 * in South Tyrol.
 */
const IT: readonly Rule[] = [
  fixed(1, 1, 'Capodanno'),
  fixed(1, 6, 'Epifania'),
  easter(0, 'Pasqua'),
  easter(1, "Lunedì dell'Angelo"),
  fixed(4, 25, 'Festa della Liberazione'),
  fixed(5, 1, 'Festa del Lavoro'),
  fixed(6, 2, 'Festa della Repubblica'),
  fixed(8, 15, 'Ferragosto'),
  fixed(10, 4, "San Francesco d'Assisi", 2026),
  fixed(11, 1, 'Ognissanti'),
  fixed(12, 8, 'Immacolata Concezione'),
  fixed(12, 25, 'Natale'),
  fixed(12, 26, 'Santo Stefano'),
];

/**
 * Switzerland: by federal law only the Bundesfeier, 1 Aug, is a holiday (BV Art. 110(3)); the cantons set up to
 * eight more (ArG Art. 20a). Listed are those kept by all 26 cantons: Neujahr, Auffahrt and Weihnachten.
 * Left out (not in every canton): Berchtoldstag 2 Jan, Karfreitag (not TI, VS), Ostermontag and Pfingstmontag
 * (not VS and some Catholic cantons), Fronleichnam, Mariä Himmelfahrt, Allerheiligen, Mariä Empfängnis,
 * Stephanstag 26 Dec, Jeûne genevois, Lundi du Jeûne fédéral (VD), and the other cantonal days.
 */
const CH: readonly Rule[] = [
  fixed(1, 1, 'Neujahr'),
  easter(39, 'Auffahrt'),
  fixed(8, 1, 'Bundesfeier'),
  fixed(12, 25, 'Weihnachten'),
];

/** Koningsdag: 27 Apr from 2014 (26 Apr when the 27th is a Sunday); Koninginnedag 30 Apr before (29th when Sunday). */
function kingsDay(year: number): { month: number; day: number } {
  const day = year >= 2014 ? 27 : 30;
  return weekdayOf(year, 4, day) === 0 ? { month: 4, day: day - 1 } : { month: 4, day };
}

/**
 * Netherlands: the days of the Algemene termijnenwet art. 3 — Nieuwjaarsdag, Paasdagen, Koningsdag,
 * Bevrijdingsdag (5 May; a paid day off only under some collective agreements, but an official holiday),
 * Hemelvaartsdag, Pinksterdagen and Kerstdagen.
 * Left out: Goede Vrijdag, which the act does not list (some collective agreements give it).
 */
const NL: readonly Rule[] = [
  fixed(1, 1, 'Nieuwjaarsdag'),
  easter(0, 'Eerste Paasdag'),
  easter(1, 'Tweede Paasdag'),
  { name: 'Koningsdag', compute: kingsDay },
  fixed(5, 5, 'Bevrijdingsdag'),
  easter(39, 'Hemelvaartsdag'),
  easter(49, 'Eerste Pinksterdag'),
  easter(50, 'Tweede Pinksterdag'),
  fixed(12, 25, 'Eerste Kerstdag'),
  fixed(12, 26, 'Tweede Kerstdag'),
];

/**
 * France: Code du travail art. L3133-1 (the eleven "jours fériés légaux"). Lundi de Pentecôte stays a legal
 * holiday although many employers use it as the "journée de solidarité".
 * Left out: Vendredi saint and Saint-Étienne 26 Dec (Alsace-Moselle only) and the abolition-of-slavery days of the
 * overseas departments.
 */
const FR: readonly Rule[] = [
  fixed(1, 1, "Jour de l'an"),
  easter(1, 'Lundi de Pâques'),
  fixed(5, 1, 'Fête du Travail'),
  fixed(5, 8, 'Victoire 1945'),
  easter(39, 'Ascension'),
  easter(50, 'Lundi de Pentecôte'),
  fixed(7, 14, 'Fête nationale'),
  fixed(8, 15, 'Assomption'),
  fixed(11, 1, 'Toussaint'),
  fixed(11, 11, 'Armistice 1918'),
  fixed(12, 25, 'Noël'),
];

/**
 * Belgium: the ten legal holidays of the Arrêté royal of 18 April 1974 (plus Easter and Whit Sunday).
 * Left out: the community days (11 Jul Flemish, 27 Sep French, 15 Nov German-speaking community), which are not
 * days off in the private sector, and 15 Nov (Fête du Roi, civil service only).
 */
const BE: readonly Rule[] = [
  fixed(1, 1, 'Nouvel An'),
  easter(0, 'Pâques'),
  easter(1, 'Lundi de Pâques'),
  fixed(5, 1, 'Fête du Travail'),
  easter(39, 'Ascension'),
  easter(49, 'Pentecôte'),
  easter(50, 'Lundi de Pentecôte'),
  fixed(7, 21, 'Fête nationale'),
  fixed(8, 15, 'Assomption'),
  fixed(11, 1, 'Toussaint'),
  fixed(11, 11, 'Armistice'),
  fixed(12, 25, 'Noël'),
];

/**
 * Denmark: the helligdage of Helligdagsloven. Store bededag was abolished from 2024 (Lov nr. 159 of 28 Feb 2023).
 * Left out: Grundlovsdag 5 Jun, Juleaftensdag 24 Dec and Nytårsaftensdag 31 Dec, which are customary (often
 * half) days off but not public holidays.
 */
const DK: readonly Rule[] = [
  fixed(1, 1, 'Nytårsdag'),
  easter(-3, 'Skærtorsdag'),
  easter(-2, 'Langfredag'),
  easter(0, 'Påskedag'),
  easter(1, '2. påskedag'),
  easter(26, 'Store bededag', undefined, 2023),
  easter(39, 'Kristi himmelfartsdag'),
  easter(49, 'Pinsedag'),
  easter(50, '2. pinsedag'),
  fixed(12, 25, 'Juledag'),
  fixed(12, 26, '2. juledag'),
];

/**
 * Poland: Ustawa o dniach wolnych od pracy (1951, as amended). Trzech Króli since 2011; Wigilia 24 Dec since 2025
 * (amendment of December 2024). The act has no regional holidays, so nothing is left out.
 */
const PL: readonly Rule[] = [
  fixed(1, 1, 'Nowy Rok'),
  fixed(1, 6, 'Trzech Króli', 2011),
  easter(0, 'Wielkanoc'),
  easter(1, 'Poniedziałek Wielkanocny'),
  fixed(5, 1, 'Święto Pracy'),
  fixed(5, 3, 'Święto Konstytucji 3 Maja'),
  easter(49, 'Zielone Świątki'),
  easter(60, 'Boże Ciało'),
  fixed(8, 15, 'Wniebowzięcie Najświętszej Maryi Panny'),
  fixed(11, 1, 'Wszystkich Świętych'),
  fixed(11, 11, 'Narodowe Święto Niepodległości'),
  fixed(12, 24, 'Wigilia Bożego Narodzenia', 2025),
  fixed(12, 25, 'Boże Narodzenie (pierwszy dzień)'),
  fixed(12, 26, 'Boże Narodzenie (drugi dzień)'),
];

/**
 * Spain: the holidays common to all autonomous communities (Estatuto de los Trabajadores art. 37.2 and the yearly
 * BOE resolution), i.e. those no community may replace.
 * Left out: Jueves Santo (all communities but Catalonia and Valencia), Lunes de Pascua (some), San José, Santiago,
 * the communities' own days, local days, and the Monday substitutes that communities choose each year when a
 * holiday falls on a Sunday.
 */
const ES: readonly Rule[] = [
  fixed(1, 1, 'Año Nuevo'),
  fixed(1, 6, 'Epifanía del Señor'),
  easter(-2, 'Viernes Santo'),
  fixed(5, 1, 'Fiesta del Trabajo'),
  fixed(8, 15, 'Asunción de la Virgen'),
  fixed(10, 12, 'Fiesta Nacional de España'),
  fixed(11, 1, 'Todos los Santos'),
  fixed(12, 6, 'Día de la Constitución Española'),
  fixed(12, 8, 'Inmaculada Concepción'),
  fixed(12, 25, 'Natividad del Señor'),
];

const RULES_BY_COUNTRY: Readonly<Record<string, readonly Rule[]>> = { DE, AT, IT, CH, NL, FR, BE, DK, PL, ES };

/** ISO 3166-1 alpha-2 codes with a holiday calendar. */
export const SUPPORTED_HOLIDAY_COUNTRIES: readonly string[] = Object.freeze(Object.keys(RULES_BY_COUNTRY));

function rulesFor(country: string): readonly Rule[] {
  const rules = RULES_BY_COUNTRY[country.toUpperCase()];
  if (rules === undefined) {
    throw new Error(`No public-holiday calendar for country "${country}"; supported: ${SUPPORTED_HOLIDAY_COUNTRIES.join(', ')}`);
  }
  return rules;
}

/** Add days to a Gregorian date (UTC arithmetic, so no time zone is involved). */
function addDays(year: number, month: number, day: number, days: number): { month: number; day: number; year: number } {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day + days);
  return { year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
}

/** Memo per country and year: the day-type lookup asks for the same year 35,040 times per simulated year. */
const calendarCache = new Map<string, readonly PublicHoliday[]>();

/**
 * The national public holidays of `country` (ISO 3166-1 alpha-2, case-insensitive) in `year`, sorted by date.
 * @throws Error naming the code and listing the supported ones if the country is unknown.
 */
export function publicHolidays(country: string, year: number): PublicHoliday[] {
  const rules = rulesFor(country);
  if (!Number.isInteger(year)) throw new Error(`publicHolidays: year must be an integer, got ${year}`);
  const key = `${country.toUpperCase()}:${year}`;
  let calendar = calendarCache.get(key);
  if (calendar === undefined) {
    const e = easterSunday(year);
    const list: PublicHoliday[] = [];
    for (const rule of rules) {
      if ('compute' in rule) {
        const date = rule.compute(year);
        if (date !== undefined) list.push({ ...date, name: rule.name });
        continue;
      }
      if (rule.fromYear !== undefined && year < rule.fromYear) continue;
      if (rule.toYear !== undefined && year > rule.toYear) continue;
      if ('easterOffsetDays' in rule) {
        const date = addDays(year, e.month, e.day, rule.easterOffsetDays);
        list.push({ month: date.month, day: date.day, name: rule.name });
      } else {
        list.push({ month: rule.month, day: rule.day, name: rule.name });
      }
    }
    list.sort((a, b) => a.month - b.month || a.day - b.day);
    calendar = Object.freeze(list.map((h) => Object.freeze(h)));
    calendarCache.set(key, calendar);
  }
  return [...calendar];
}

/** True if month/day of `year` is a national public holiday of `country` (see `publicHolidays`). */
export function isPublicHoliday(country: string, year: number, month: number, day: number): boolean {
  rulesFor(country);
  const key = `${country.toUpperCase()}:${year}`;
  const calendar = calendarCache.get(key) ?? publicHolidays(country, year);
  return calendar.some((h) => h.month === month && h.day === day);
}

/**
 * The country whose holidays apply by default in an IANA zone, or undefined if the zone is not one of the
 * supported countries' (or is shared by several countries, like Europe/Vatican vs Italy).
 * Includes the legacy link names the tz database keeps (e.g. "Poland").
 */
const COUNTRY_BY_TIME_ZONE: Readonly<Record<string, string>> = {
  'Europe/Berlin': 'DE',
  'Europe/Busingen': 'DE', // German exclave, on Swiss time but under German holiday law.
  'Europe/Vienna': 'AT',
  'Europe/Rome': 'IT',
  'Europe/Zurich': 'CH',
  'Europe/Amsterdam': 'NL',
  'Europe/Paris': 'FR',
  'Europe/Brussels': 'BE',
  'Europe/Copenhagen': 'DK',
  'Europe/Warsaw': 'PL',
  Poland: 'PL',
  'Europe/Madrid': 'ES',
  'Africa/Ceuta': 'ES',
  'Atlantic/Canary': 'ES',
};

/** Default holiday country for an IANA time zone (Europe/Berlin → DE, Europe/Rome → IT, …); undefined if none. */
export function defaultCountryForTimeZone(timeZone: string): string | undefined {
  return COUNTRY_BY_TIME_ZONE[timeZone];
}
