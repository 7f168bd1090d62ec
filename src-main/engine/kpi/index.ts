/** Run KPIs (KPI.md): pure computation from a run's time series. */
export { computeRunKpis, latencyStats } from './run-kpis.js';
export type {
  RunSamples,
  RunContext,
  RunKpis,
  AccuracyKpis,
  SettlingAccuracy,
  ResponsivenessKpis,
  AvailabilityKpis,
  LatencyStatsMs,
} from './run-kpis.js';
