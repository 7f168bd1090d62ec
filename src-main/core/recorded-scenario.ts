/**
 * "Save a recorded run as a scenario": the run's span becomes an `lfc-scenario/1` file that replays what
 * the community did without the EMS, so another controller can be tried on the same day.
 *
 * What the file holds:
 * - one `series` asset `recorded` = measured breaker power − measured community BESS power (the
 *   uncontrollable rest, household storages and heat pumps included, as they behaved), in kW;
 * - the community BESS with the source scenario's parameters and its state of charge at the span's start;
 * - the run's trigger as received as an event (plus a stop at its end when the operator stopped it);
 * - the source scenario's site, measurement, control and weather (the weather files are copied along).
 *
 * Pure: the caller reads the history and writes the files; `buildRecordedScenario` checks its own output
 * with `parseScenario`, so a file that the replay would refuse is never written.
 */
import { parseScenario } from '../engine/scenario';
import type { BessAsset, Scenario, ScenarioEvent } from '../engine/scenario';
import type { RunDto } from '../shared/ipc-contract';
import type { StoredTrigger } from '../replay/outputs';
import { CoreError } from './requests';

/** The trigger as the core stores it in a run record (`StoredRun.trigger`). */
export type { StoredTrigger } from '../replay/outputs';

export interface RecordedScenarioInput {
  name: string;
  run: RunDto;
  source: Scenario;
  /** Breaker power as the EMS received it, over the span (NaN where the sample was missing or invalid). */
  breaker: { timeMs: Float64Array; value: Float64Array };
  /** Community BESS power on the same grid. */
  bessPowerKw: { timeMs: Float64Array; value: Float64Array };
  bessSocPct: { timeMs: Float64Array; value: Float64Array };
  /** File names the weather was copied to, relative to the new scenario. */
  weatherActualFile: string;
  weatherForecastFile: string | null;
}

export interface RecordedScenario {
  scenario: Record<string, unknown>;
  /** `time,uncontrolledKw` in kW, for the `recorded` series asset. */
  seriesCsv: string;
  seriesFile: string;
}

const iso = (ms: number): string => new Date(ms).toISOString();

function valueAt(s: { timeMs: Float64Array; value: Float64Array }, t: number): number {
  // The grids are the same breaker-sample grid; a binary search keeps this exact and O(log n).
  let lo = 0;
  let hi = s.timeMs.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const m = s.timeMs[mid]!;
    if (m === t) return s.value[mid]!;
    if (m < t) lo = mid + 1;
    else hi = mid - 1;
  }
  return NaN;
}

export function buildRecordedScenario(input: RecordedScenarioInput): RecordedScenario {
  const { run, source } = input;
  const trigger = run.trigger as unknown as StoredTrigger;
  const rows: string[] = ['time,uncontrolledKw'];
  const times: number[] = [];
  const b = input.breaker;
  for (let i = 0; i < b.timeMs.length; i++) {
    const t = b.timeMs[i]!;
    const unc = b.value[i]! - valueAt(input.bessPowerKw, t);
    // A missing sample is left out; the series interpolates linearly across it.
    if (!Number.isFinite(unc)) continue;
    rows.push(`${iso(t)},${Math.round(unc * 1000) / 1000}`);
    times.push(t);
  }
  if (times.length < 2) throw new CoreError('NOT_READY', `run ${run.runId} has fewer than two valid breaker samples: nothing to save as a scenario`);
  const startMs = times[0]!;
  const endMs = times[times.length - 1]!;

  const bess = source.assets.find((a): a is BessAsset => a.kind === 'bess');
  if (!bess) throw new CoreError('NOT_READY', `the source scenario ${source.name} has no community BESS`);
  const socStart = valueAt(input.bessSocPct, startMs);
  const socInitPct = Number.isFinite(socStart) ? Math.min(bess.socMaxPct, Math.max(bess.socMinPct, Math.round(socStart * 100) / 100)) : bess.socInitPct;

  const clampIn = (ms: number): number => Math.min(Math.max(ms, startMs), endMs - 1000);
  const receivedMs = clampIn(Date.parse(trigger.receivedAt));
  const runStartMs = Math.max(receivedMs, clampIn(Date.parse(trigger.startAt)));
  const event: Record<string, unknown> = { at: iso(receivedMs) };
  if (runStartMs > receivedMs) event['startAt'] = iso(runStartMs);
  event['useCase'] = trigger.useCase;
  if (trigger.useCase === 2) event['targetKw'] = trigger.targetKw;
  if (trigger.schedule && (trigger.useCase === 3 || trigger.useCase === 4)) event['schedule'] = trigger.schedule;
  if (trigger.durationS !== null) event['durationS'] = trigger.durationS;
  event['toleranceKw'] = trigger.toleranceKw;
  const events: Array<Record<string, unknown>> = [event];
  if (run.endReason === 'operator-stop' && run.endMs !== null && run.endMs > runStartMs && run.endMs < endMs) {
    events.push({ at: iso(run.endMs), useCase: 0 });
  }

  const seriesFile = 'recorded.csv';
  const scenario: Record<string, unknown> = {
    format: 'lfc-scenario/1',
    name: input.name,
    description: `Recorded run ${run.runId} of ${run.scenario ?? 'a live session'} (controller ${run.controller}, ${iso(run.startMs)}): the measured uncontrollable power (breaker minus BESS) replayed as a series, the BESS as configured, the trigger as received.`,
    site: source.site,
    start: iso(startMs),
    end: iso(endMs),
    stepS: source.stepS,
    seed: source.seed,
    measurement: source.measurement,
    control: source.control,
    weather: {
      actual: { file: input.weatherActualFile },
      ...(input.weatherForecastFile ? { forecast: { file: input.weatherForecastFile, format: 'open-meteo' } } : {}),
    },
    assets: [{ ...bess, socInitPct }, { kind: 'series', id: 'recorded', file: seriesFile, column: 'uncontrolledKw', unit: 'kW', interpolation: 'linear' }],
    events: events as unknown as ScenarioEvent[],
    faults: [],
  };
  const checked = parseScenario(JSON.stringify(scenario));
  if (!checked.ok) {
    throw new CoreError('INTERNAL', `the recorded scenario would not load: ${checked.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
  }
  return { scenario, seriesCsv: rows.join('\n') + '\n', seriesFile };
}
