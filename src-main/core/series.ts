/**
 * Small pure helpers about series ids, units and KPI records, shared by the live session, the history
 * queries and the exporters.
 *
 * Series ids are `<thing>.<quantity><Unit>`: `breaker.measuredKw`, `bess.socPct`, `hp-03.indoorC`. The unit
 * is read from the id's suffix, so a chart, a CSV header and an XLSX column say the same unit.
 */
import type { ForecastData, SeriesData } from '../shared/ipc-contract';
import type { DecimatedSeries, StoredForecast } from '../storage/history-store';

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

/** The planner's forecasts the live session records, one value per 15-minute slot of each plan. */
export const FORECAST_SERIES = {
  /** Forecast uncontrolled power (loads + PV, as the planner assumed it), kW. */
  residual: 'forecast.residualKw',
  /** Planned breaker power, kW. */
  breaker: 'forecast.breakerKw',
  /** Planned BESS power, kW. */
  bess: 'plan.bessKw',
} as const;

/** Measured series and the forecast that predicts each (the BESS's own id is added by the core). */
export const FORECAST_OVERLAYS: Readonly<Record<string, string>> = {
  [SERIES.breakerMeasured]: FORECAST_SERIES.breaker,
};

const DEFAULT_STEP_MS = 900_000;

/**
 * Stitches issued plans (ascending issue time) into the forecast as it was in force over `[fromMs, toMs]`:
 * each slot takes its value from the latest plan issued at or before the slot's start, else from the
 * first plan issued during it; after the last issue the last plan's look-ahead continues.
 */
export function stitchForecasts(plans: readonly StoredForecast[], fromMs: number, toMs: number): Omit<ForecastData, 'seriesId' | 'unit'> {
  let stepMs = 0;
  for (const p of plans) {
    if (p.timeMs.length >= 2) {
      stepMs = p.timeMs[1]! - p.timeMs[0]!;
      break;
    }
  }
  if (stepMs <= 0 && plans.length > 0) stepMs = DEFAULT_STEP_MS;
  const bySlot = new Map<number, { issuedMs: number; value: number }>();
  for (const p of plans) {
    for (let i = 0; i < p.timeMs.length; i++) {
      const t = p.timeMs[i]!;
      if (t + stepMs <= fromMs || t > toMs) continue;
      const v = p.value[i]!;
      // Plans arrive in issue order: a later plan issued by the slot's start replaces an earlier one; one
      // issued during the slot only fills a slot no earlier plan covered.
      if (!bySlot.has(t) || p.issuedMs <= t) bySlot.set(t, { issuedMs: p.issuedMs, value: v });
    }
  }
  const timeMs = [...bySlot.keys()].sort((a, b) => a - b);
  return {
    stepMs,
    timeMs,
    value: timeMs.map((t) => orNull(bySlot.get(t)!.value)),
    issuedMs: timeMs.map((t) => bySlot.get(t)!.issuedMs),
    plans: plans.length,
  };
}

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
