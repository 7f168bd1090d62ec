/**
 * What the next start must write for a run a `kill -9` left in force, recomputed by a test from the record
 * it parses itself (the part the killed process wrote): the run's samples as the record holds them, its end
 * at the last of them, and its KPIs by the engine's pure `computeRunKpis` against the whole request.
 */
import { computeRunKpis, type RunKpis } from '../../../src-main/engine/kpi/index.js';
import { defaultSafety } from '../../../src-main/engine/engine.js';

/** The parts of a record line the checks read. */
export interface RecordLine {
  n: number;
  timeMs: number;
  kind: string;
  data: { type?: string; id?: string; runId?: string; timeMs: number; receivedMs: number; startMs: number; durationS: number; toleranceKw: number; endReason?: string; data?: { triggerId?: string }; runSamples?: { rows: unknown[][] } };
}

export interface ExpectedInterruptedRun {
  /** The run id in the output files (`<engine run id>@<record entry of its start>`). */
  runId: string;
  engineRunId: string;
  startedAtEntry: number;
  startMs: number;
  lastSampleMs: number;
  /** The end of the request as received: its trigger's start plus its duration. */
  requestedEndMs: number;
  samples: number;
  kpis: RunKpis;
  /** Record lines from the first `resumed` on (the new process's). */
  after: RecordLine[];
}

/** The first run the record's first session started and did not end, recomputed against its trigger as received (a duration). */
export function expectedInterruptedRun(recordText: string, breakerPeriodS: number): ExpectedInterruptedRun {
  const lines = recordText.split('\n').filter(Boolean).map((l) => JSON.parse(l) as RecordLine);
  const resumedAt = lines.findIndex((e) => e.kind === 'resumed');
  if (resumedAt < 0) throw new Error('the record was never continued');
  const killedPart = lines.slice(0, resumedAt);
  const ended = new Set(killedPart.filter((e) => e.kind === 'run-ended').map((e) => e.data.runId));
  const started = killedPart.find((e) => e.kind === 'event' && e.data.type === 'run-started' && !ended.has(e.data.runId))!;
  const trigger = killedPart.find((e) => e.kind === 'trigger' && e.data.id === started.data.data!.triggerId)!.data;
  const rows = killedPart.flatMap((e) => (e.kind === 'measurements' ? (e.data.runSamples?.rows ?? []) : [])).filter((r) => r[0] === started.data.runId);
  const col = (k: number) => Float64Array.from(rows, (r) => (typeof r[k] === 'number' ? (r[k] as number) : Number.NaN));
  const lastSampleMs = rows.at(-1)![1] as number;
  const kpis = computeRunKpis(
    { sampleTimeMs: col(1), arrivalTimeMs: col(2), measuredKw: col(3), targetKw: col(4), flexDownKw: col(5), flexUpKw: col(6), uncontrolledKw: col(7) },
    {
      triggerReceivedMs: trigger.receivedMs,
      startMs: started.data.timeMs,
      endMs: lastSampleMs,
      endReason: null,
      requested: { startMs: trigger.startMs, endMs: trigger.startMs + trigger.durationS * 1000, basis: 'duration' },
      toleranceKw: trigger.toleranceKw,
      breakerPeriodS,
      settleAllowanceS: defaultSafety(breakerPeriodS).settleAllowanceS,
      firstSetpointAckMs: null,
      exhaustionForecast: [],
      energyChecks: [],
      loopLatency: {},
    },
  );
  return {
    runId: `${started.data.runId!}@${started.n}`,
    engineRunId: started.data.runId!,
    startedAtEntry: started.n,
    startMs: started.data.timeMs,
    lastSampleMs,
    requestedEndMs: trigger.startMs + trigger.durationS * 1000,
    samples: rows.length,
    kpis: JSON.parse(JSON.stringify(kpis)) as RunKpis,
    after: lines.slice(resumedAt),
  };
}

/** The KPI parts of a kpi.json run entry, to compare with `ExpectedInterruptedRun.kpis`. */
export function kpiParts(run: Record<string, unknown>): Pick<RunKpis, 'accuracy' | 'responsiveness' | 'availability' | 'samples'> {
  return { accuracy: run.accuracy, responsiveness: run.responsiveness, availability: run.availability, samples: run.samples } as Pick<RunKpis, 'accuracy' | 'responsiveness' | 'availability' | 'samples'>;
}
