/**
 * Number, power, duration and time formatting for the console: every number with its unit, in the
 * operator's locale (decimal comma in German), times in the site's time zone. Pure functions of their
 * arguments, so they are unit-tested without a DOM.
 */

export type Locale = 'en' | 'de';

const LOCALE_TAG: Record<Locale, string> = { en: 'en-GB', de: 'de-DE' };

const numberFormats = new Map<string, Intl.NumberFormat>();

function nf(locale: Locale, digits: number): Intl.NumberFormat {
  const key = `${locale}/${digits}`;
  let f = numberFormats.get(key);
  if (!f) {
    f = new Intl.NumberFormat(LOCALE_TAG[locale], { minimumFractionDigits: digits, maximumFractionDigits: digits });
    numberFormats.set(key, f);
  }
  return f;
}

/** "−212.4 kW" / "−212,4 kW"; an em dash with the unit when there is no value, so the unit is never lost. */
export function formatValue(value: number | null | undefined, unit: string, locale: Locale, digits = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return unit ? `— ${unit}` : '—';
  // A true minus sign reads better than a hyphen at a glance and in sunlight.
  const text = nf(locale, digits).format(value).replace('-', '−');
  return unit ? `${text}\u202f${unit}` : text;
}

export const formatKw = (value: number | null | undefined, locale: Locale, digits = 1): string => formatValue(value, 'kW', locale, digits);

/** "1 h 05 min", "4 min 10 s", "12 s". */
export function formatDuration(seconds: number | null | undefined, locale: Locale): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return '—';
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  const hourUnit = locale === 'de' ? 'h' : 'h';
  if (h > 0) return `${h}\u202f${hourUnit} ${String(m).padStart(2, '0')}\u202fmin`;
  if (m > 0) return `${m}\u202fmin ${String(sec).padStart(2, '0')}\u202fs`;
  return `${sec}\u202fs`;
}

const dateFormats = new Map<string, Intl.DateTimeFormat>();

/** Time of day (and the date when `withDate`) in the given IANA zone, e.g. "10:42:10" / "21.06.2026, 10:42". */
export function formatTime(ms: number | null | undefined, locale: Locale, timeZone: string, withDate = false): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—';
  const key = `${locale}/${timeZone}/${withDate}`;
  let f = dateFormats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(LOCALE_TAG[locale], {
      timeZone,
      hour: '2-digit',
      minute: '2-digit',
      ...(withDate ? { year: 'numeric', month: '2-digit', day: '2-digit' } : { second: '2-digit' }),
      hourCycle: 'h23',
    });
    dateFormats.set(key, f);
  }
  return f.format(ms);
}

/** Unit of a series id by the house convention (`…Kw` kW, `…Pct` %, `…C` °C), as the core does. */
export function unitOfSeries(seriesId: string): string {
  if (/Kwh$/.test(seriesId)) return 'kWh';
  if (/Kw$/.test(seriesId)) return 'kW';
  if (/Pct$/.test(seriesId)) return '%';
  if (/C$/.test(seriesId)) return '°C';
  if (/Ms$/.test(seriesId)) return 'ms';
  if (/S$/.test(seriesId)) return 's';
  return '';
}

/** The i18n key of a requested span's basis (KPI.md): the record's names are kebab-case, message keys camelCase. */
export function basisKey(basis: string): string {
  return `basis.${basis.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())}`;
}
