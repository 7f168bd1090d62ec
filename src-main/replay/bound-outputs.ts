/**
 * The files `npm run replay -- SCEN --controller bound` writes: the physical limit of every run of a
 * scenario (`bound-truth.ts`, `engine/optimiser/bound.ts`), in the shape of a replay's `kpi.json` where the
 * fields mean the same (`requested*`, `heldS`, `heldPctOfRequested` under `availability`), so a report can
 * set a controller's run beside the limit of the same run and the same requested span.
 *
 * - `kpi.json` (`format: "lfc-bound/1"`): per run the requested span, `heldS` (the limit: no controller
 *   holds more), `heldAchievedS` (what the best schedule found holds: the limit lies in
 *   [heldAchievedS, heldS]; equal when `status` is `optimal`), the solve's status and time;
 * - `bound.csv`: per run and breaker sample, the best schedule's error and whether the sample is held.
 */
import type { BoundRunResult } from './bound-truth.js';

export const BOUND_FORMAT = 'lfc-bound/1';

const round = (x: number, digits: number): number | null => (Number.isFinite(x) ? Math.round(x * 10 ** digits) / 10 ** digits : null);

export function boundDocument(scenarioName: string, runs: BoundRunResult[], appVersion: string, timeLimitS: number) {
  return {
    format: BOUND_FORMAT,
    scenario: scenarioName,
    controller: 'bound',
    generator: { app: 'local-flex-controller', version: appVersion },
    /** The time limit of each run's solve, s: a run that reaches it reports its proven upper bound. */
    timeLimitS,
    runs: runs.map((r, i) => ({
      runId: `run-${String(i + 1).padStart(3, '0')}`,
      triggerId: r.triggerId,
      useCase: r.useCase,
      receivedAt: r.receivedAt,
      start: r.startAt,
      availability: {
        requestedStartAt: r.requestedStartAt,
        requestedEndAt: r.requestedEndAt,
        requestedS: r.requestedS,
        requestedBasis: r.requestedBasis,
        heldS: round(r.heldS, 3),
        heldPctOfRequested: r.heldPct === null ? null : round(r.heldPct, 4),
        heldAchievedS: round(r.result.heldAchievedS, 3),
        heldAchievedPctOfRequested: r.requestedS > 0 ? round((100 * r.result.heldAchievedS) / r.requestedS, 4) : null,
      },
      bound: {
        status: r.status,
        solveTimeMs: round(r.solveTimeMs, 1),
        solves: r.result.solves,
        /** ∫|e| of the best schedule found, kWh (second objective; null when none was found). */
        energyErrorKwh: round(r.energyErrorKwh, 3),
        samples: r.result.samples,
        ...(r.result.message ? { message: r.result.message } : {}),
      },
    })),
  };
}

/** `bound.csv`: `run,time,errorKw,held` per breaker sample of every run (errorKw empty where not valid). */
export function boundCsv(runs: BoundRunResult[]): string {
  const lines = ['run,time,errorKw,held'];
  runs.forEach((r, i) => {
    const runId = `run-${String(i + 1).padStart(3, '0')}`;
    const { errorKw, held } = r.result;
    const t0 = Date.parse(r.firstSampleAt);
    const stepMs = r.result.stepS * 1000;
    for (let k = 0; k < held.length; k++) {
      const e = errorKw[k]!;
      lines.push(`${runId},${new Date(t0 + k * stepMs).toISOString()},${Number.isFinite(e) ? Math.round(e * 1e4) / 1e4 : ''},${held[k] ? 1 : 0}`);
    }
  });
  return lines.join('\n') + '\n';
}

export function boundSummaryText(scenarioName: string, runs: BoundRunResult[]): string {
  const lines = [`${scenarioName} — the physical limit (bound) of each run`];
  if (runs.length === 0) lines.push('  no runs');
  runs.forEach((r, i) => {
    const pct = (s: number): string => (r.requestedS > 0 ? `${((100 * s) / r.requestedS).toFixed(2)} %` : '—');
    const range = r.status === 'optimal' || r.status === 'empty' ? pct(r.heldS) : `${pct(r.result.heldAchievedS)} … ${pct(r.heldS)} (${r.status}: the limit lies in this range)`;
    lines.push(`  run-${String(i + 1).padStart(3, '0')} ${r.triggerId} use case ${r.useCase}: held at most ${range} of ${(r.requestedS / 60).toFixed(1)} min requested (${r.requestedBasis ?? 'no basis'}), solved in ${(r.solveTimeMs / 1000).toFixed(1)} s`);
  });
  return lines.join('\n');
}
