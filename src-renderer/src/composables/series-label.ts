/**
 * A series id (`<thing>.<quantity><Unit>`, src-main/core/series.ts) as the operator reads it, in the
 * console's language: `breaker.measuredKw` → "Breaker: measured power" / "Übergabepunkt: gemessene
 * Leistung", `hs-03.socPct` → "hs-03: state of charge". An id it does not know is shown as it is.
 */
import type { Locale } from './format';

const THINGS: Record<string, Record<Locale, string>> = {
  breaker: { en: 'Breaker', de: 'Übergabepunkt' },
  flex: { en: 'Flexibility', de: 'Flexibilität' },
  community: { en: 'Community', de: 'Gemeinschaft' },
  forecast: { en: 'Forecast', de: 'Prognose' },
  plan: { en: 'Plan', de: 'Plan' },
  bess: { en: 'BESS', de: 'Großspeicher' },
};

const QUANTITIES: Record<string, Record<Locale, string>> = {
  measuredKw: { en: 'measured power', de: 'gemessene Leistung' },
  targetKw: { en: 'target', de: 'Sollwert' },
  toleranceKw: { en: 'tolerance', de: 'Toleranz' },
  downKw: { en: 'band down', de: 'Band nach unten' },
  upKw: { en: 'band up', de: 'Band nach oben' },
  pvKw: { en: 'PV power', de: 'PV-Leistung' },
  loadKw: { en: 'load', de: 'Last' },
  residualKw: { en: 'uncontrolled power', de: 'ungesteuerte Leistung' },
  breakerKw: { en: 'breaker power', de: 'Leistung am Übergabepunkt' },
  bessKw: { en: 'BESS power', de: 'Großspeicher-Leistung' },
  powerKw: { en: 'power', de: 'Leistung' },
  setpointKw: { en: 'setpoint', de: 'Sollwert' },
  socPct: { en: 'state of charge', de: 'Ladezustand' },
  indoorC: { en: 'indoor temperature', de: 'Innentemperatur' },
};

export function seriesLabel(seriesId: string, locale: Locale): string {
  const dot = seriesId.indexOf('.');
  if (dot <= 0) return seriesId;
  const thing = seriesId.slice(0, dot);
  const quantity = QUANTITIES[seriesId.slice(dot + 1)];
  if (!quantity) return seriesId;
  return `${THINGS[thing]?.[locale] ?? thing}: ${quantity[locale]}`;
}
