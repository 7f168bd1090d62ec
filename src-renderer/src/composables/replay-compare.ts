/**
 * A recorded run beside its replay with another controller (the Replay view's `replay:*` channels on the
 * run saved as a scenario, `runs:saveAsScenario`: the scenario keeps the run's times, so both share the
 * time axis). Which replayed run is the run's twin, both held shares, and the lines to draw: pure, tested.
 */
import type { ReplaySide, RunDto, SeriesData } from '../api';

type ReplayRun = ReplaySide['runs'][number];

export const heldPctOf = (kpis: Record<string, unknown> | null | undefined): number | null => {
  const v = (kpis?.['availability'] as Record<string, unknown> | undefined)?.['heldPctOfRequested'];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
};

/** The replayed run that replays `run`: the one whose start is nearest to the run's (within a minute), or null. */
export function twinRun(runs: readonly ReplayRun[], run: Pick<RunDto, 'startMs'>): ReplayRun | null {
  let best: ReplayRun | null = null;
  for (const r of runs) if (Math.abs(r.startMs - run.startMs) <= 60_000 && (!best || Math.abs(r.startMs - run.startMs) < Math.abs(best.startMs - run.startMs))) best = r;
  return best;
}

export interface CompareLine {
  id: string;
  /** Which side and which quantity, for the caller's labels and colours. */
  side: 'run' | 'replay';
  quantity: 'breaker' | 'bess' | 'target';
  points: Array<{ x: number; y: number | null }>;
}

/** The run's lines (stored buckets with data) and the replay's (its breaker samples) over the run's span. */
export function compareLines(run: Pick<RunDto, 'startMs' | 'endMs'>, stored: { breaker: SeriesData | null; target: SeriesData | null; bess: SeriesData | null }, side: ReplaySide | null): CompareLine[] {
  const from = run.startMs;
  const to = run.endMs ?? Infinity;
  const bucketed = (d: SeriesData | null) => (d ? d.timeMs.flatMap((x, i) => (d.mean[i] === null || d.mean[i] === undefined ? [] : [{ x, y: d.mean[i]! }])) : []);
  const lines: CompareLine[] = [
    { id: 'run.target', side: 'run', quantity: 'target', points: bucketed(stored.target) },
    { id: 'run.breaker', side: 'run', quantity: 'breaker', points: bucketed(stored.breaker) },
    { id: 'run.bess', side: 'run', quantity: 'bess', points: bucketed(stored.bess) },
  ];
  if (side) {
    const pick = (values: Array<number | null>) => side.timeMs.flatMap((x, i) => (x >= from && x <= to ? [{ x, y: values[i] ?? null }] : []));
    lines.push({ id: 'replay.breaker', side: 'replay', quantity: 'breaker', points: pick(side.measuredKw) });
    lines.push({ id: 'replay.bess', side: 'replay', quantity: 'bess', points: pick(side.bessKw) });
  }
  return lines;
}
