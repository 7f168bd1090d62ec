/** Run KPIs (KPI.md): pure computation from a run's time series. */
export { computeRunKpis, energyCoverPct, latencyStats } from './run-kpis.js';
export { naturalRequestedEnd, requestedSpan } from './requested-span.js';
export type { RequestedBasis, RequestedSpan, RequestedSpanInputs } from './requested-span.js';
export type {
  RunSamples,
  RunContext,
  RunKpis,
  AccuracyKpis,
  SettlingAccuracy,
  ResponsivenessKpis,
  AvailabilityKpis,
  LatencyStatsMs,
  EnergyCheck,
  ExhaustionForecastPoint,
  ExhaustionQuality,
} from './run-kpis.js';
export type { ExhaustionConfidence, ExhaustionCountdown } from './exhaustion-countdown.js';
export { exhaustionCountdown } from './exhaustion-countdown.js';
