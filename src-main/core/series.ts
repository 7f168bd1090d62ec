/**
 * Small pure helpers about series ids, units and KPI records, shared by the live session, the history
 * queries and the exporters.
 *
 * Series ids are `<thing>.<quantity><Unit>`: `breaker.measuredKw`, `bess.socPct`, `hp-03.indoorC`. The unit
 * is read from the id's suffix, so a chart, a CSV header and an XLSX column say the same unit.
 */
import type { SeriesData } from '../shared/ipc-contract';
import type { DecimatedSeries } from '../storage/history-store';

/** Well-known series the live session records (asset members add `<id>.powerKw`, `<id>.socPct`, …). */
export const SERIES = {
  breakerMeasured: 'breaker.measuredKw',
  breakerTarget: 'breaker.targetKw',
  breakerTolerance: 'breaker.toleranceKw',
  flexDown: 'flex.downKw',
  flexUp: 'flex.upKw',
  pvTotal: 'community.pvKw',
  loadTotal: 'community.loadKw',
} as const;

const UNIT_SUFFIXES: Array<[RegExp, string]> = [
  [/Kwh$/, 'kWh'],
  [/Kw$/, 'kW'],
  [/Pct$/, '%'],
  [/Ms$/, 'ms'],
  [/C$/, '°C'],
  [/S$/, 's'],
  // `heldPctOfRequested`: a percentage whose name goes on after its unit.
  [/Pct[A-Z]/, '%'],
];

/** The unit of a series or KPI named by the house convention, or '' when the name carries none. */
export function unitOf(name: string): string {
  for (const [re, unit] of UNIT_SUFFIXES) if (re.test(name)) return unit;
  return '';
}

const orNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** Typed arrays and NaN do not survive JSON: plain arrays with null for a bucket without data. */
export function toSeriesData(d: DecimatedSeries): SeriesData {
  return {
    seriesId: d.seriesId,
    unit: unitOf(d.seriesId),
    bucketMs: d.bucketMs,
    timeMs: Array.from(d.timeMs),
    min: Array.from(d.min, orNull),
    max: Array.from(d.max, orNull),
    mean: Array.from(d.mean, orNull),
  };
}

export interface FlatKpi {
  /** Dotted path, e.g. `accuracy.maeKw`, `responsiveness.loopLatencyMs.total.p95`. */
  key: string;
  value: number | string | boolean | null;
  unit: string;
}

/**
 * Flattens a KPI record (KPI.md: accuracy, responsiveness, availability) into rows of key, value and unit,
 * in the record's own order, for the CSV and XLSX exports and the KPI table. The unit of a nested figure
 * (`loopLatencyMs.total.p95`) is its nearest named ancestor's.
 */
export function flattenKpis(kpis: Record<string, unknown> | null): FlatKpi[] {
  const rows: FlatKpi[] = [];
  const walk = (value: unknown, path: string[], unit: string): void => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) {
        const own = unitOf(k);
        walk(v, [...path, k], own !== '' ? own : unit);
      }
      return;
    }
    const key = path.join('.');
    if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean' || value === null) {
      // Counts and ISO times carry no unit even below a unit-named parent.
      const leaf = path[path.length - 1] ?? '';
      const unitless = /count|samples|invalid|valid|total$|At$|Kind$|Basis$|quarterHours|staleSamples/.test(leaf) && unitOf(leaf) === '';
      rows.push({ key, value, unit: unitless ? '' : unit });
    } else {
      rows.push({ key, value: JSON.stringify(value), unit: '' });
    }
  };
  if (kpis) walk(kpis, [], '');
  return rows;
}
