/**
 * Runs a killed process left in force, found in its signed record: the next start of `npm run ems` (and of
 * the lab with `--out`) closes each of them as `interrupted` — the end reason serve mode gives the runs its
 * history holds as in force (`core/services/history.ts`) — at its last recorded breaker sample, with its
 * KPIs up to then, so the run is on the record and in `kpi.json` as a normally ended one.
 *
 * What the record holds of a run (`runtime/ems-runtime.ts`): its start (`run-started` event), its trigger
 * as accepted (`trigger` entry), and every breaker sample it took into its series exactly as the run held
 * it (the measurement batches' `runSamples`, at most one real second behind). Its KPIs are the engine's
 * pure `computeRunKpis` over those samples, against the whole request as received (a two-hour request
 * whose process died after ten minutes held at most a twelfth of it), as serve mode computes them
 * (`interruptedRunKpis`). What only the dead engine knew is missing, as there: the first acknowledgement
 * (responsiveness), its exhaustion forecasts and energy checks, the loop latencies.
 *
 * A record is a sequence of sessions (each starts with the `header` or a `resumed` entry; engine run ids
 * repeat across them). A run is in force at a session's end when the session has no `run-ended` entry for
 * it and no later `run-ended` names its start entry (`startedAtEntry`, written by the closing start): so a
 * run is closed once, whatever number of restarts follow.
 *
 * The caller verifies the record first (`RecordLog` refuses to continue a broken chain, and says why).
 */
import type { RunRecord } from '../engine/engine.js';
import { computeRunKpis, naturalRequestedEnd } from '../engine/kpi/index.js';
import type { EndReason, EngineEvent, Trigger } from '../engine/model.js';
import type { ControllerName } from '../engine/controllers.js';
import { readFileSync } from 'node:fs';
import type { RecordEntry } from './chain.js';
import type { RecordLog } from './record-log.js';

/** The end reason of a run closed by the next start: serve mode's for the same case. */
export const INTERRUPTED = 'interrupted';

export interface InterruptedRun {
  /**
   * The run as a normally ended one (`endReason` `interrupted`, `endMs` its last recorded sample). Its
   * `runId` is `<engine run id>@<startedAtEntry>`: the engine's ids start again in every process, and the
   * output files of the next one would hold two `run-001`.
   */
  run: RunRecord;
  /** The run id the killed engine gave it (the record's `run-started` event). */
  engineRunId: string;
  /** The record entry of its `run-started` event: what the closing `run-ended` entry names. */
  startedAtEntry: number;
  /** Its engine events from the record, and the closing one. */
  events: EngineEvent[];
}

export interface InterruptedRunOptions {
  breakerPeriodS: number;
  /** The engine's settling allowance, s (its safety configuration). */
  settleAllowanceS: number;
  /** The controller when the record does not say (the lab writes no `ems-started` event). */
  controller: ControllerName;
}

interface OpenRun {
  runId: string;
  triggerId: string | null;
  startedAtEntry: number;
  startMs: number;
  lastEventMs: number;
  controller: ControllerName;
  trigger: Trigger | null;
  rows: number[][];
  events: EngineEvent[];
}

/** The runs in force when each earlier session of the record stopped, closed as `interrupted`. */
export function interruptedRunsInRecord(text: string, opts: InterruptedRunOptions): InterruptedRun[] {
  const closedByLaterStart = new Set<number>();
  const found: OpenRun[] = [];
  let open = new Map<string, OpenRun>();
  let triggers = new Map<string, Trigger>();
  let controller = opts.controller;
  const endSession = () => {
    // A trigger goes on the record after the engine took it, so after the run it started.
    for (const run of open.values()) run.trigger ??= run.triggerId ? (triggers.get(run.triggerId) ?? null) : null;
    found.push(...open.values());
    open = new Map();
    triggers = new Map();
    controller = opts.controller;
  };
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const e = JSON.parse(line) as RecordEntry;
    const data = (e.data ?? {}) as Record<string, unknown>;
    if (e.kind === 'header' || e.kind === 'resumed') endSession();
    else if (e.kind === 'trigger' && typeof data.id === 'string') triggers.set(data.id, data as unknown as Trigger);
    else if (e.kind === 'run-ended') {
      if (typeof data.startedAtEntry === 'number') closedByLaterStart.add(data.startedAtEntry);
      else if (typeof data.runId === 'string') open.delete(data.runId);
    } else if (e.kind === 'event' && data.source === 'engine') {
      const ev = data as unknown as EngineEvent & { source: string };
      if (ev.type === 'run-started' && typeof ev.runId === 'string') {
        const triggerId = typeof ev.data?.triggerId === 'string' ? ev.data.triggerId : null;
        open.set(ev.runId, { runId: ev.runId, triggerId, startedAtEntry: e.n, startMs: ev.timeMs, lastEventMs: ev.timeMs, controller, trigger: triggerId ? (triggers.get(triggerId) ?? null) : null, rows: [], events: [] });
      }
      const run = typeof ev.runId === 'string' ? open.get(ev.runId) : undefined;
      if (run) {
        run.events.push(withoutSource(ev));
        run.lastEventMs = Math.max(run.lastEventMs, ev.timeMs);
      }
    } else if (e.kind === 'event' && data.type === 'ems-started' && typeof data.controller === 'string') controller = data.controller as ControllerName;
    else if (e.kind === 'measurements') {
      const rs = data.runSamples as { rows?: unknown[][] } | undefined;
      for (const row of rs?.rows ?? []) open.get(row[0] as string)?.rows.push(row.slice(1).map((v) => (typeof v === 'number' ? v : Number.NaN)));
    }
  }
  endSession();
  return found.filter((r) => !closedByLaterStart.has(r.startedAtEntry) && r.trigger !== null).map((r) => close(r, opts));
}

/**
 * At a start, on a record just opened (so verified: `RecordLog` refuses a broken chain): closes each run an
 * earlier process left in force with its `run-ended` entry and returns them, for the output files.
 */
export function closeInterruptedRuns(record: RecordLog, opts: InterruptedRunOptions): InterruptedRun[] {
  const found = interruptedRunsInRecord(readFileSync(record.file, 'utf8'), opts);
  for (const r of found) record.append('run-ended', interruptedRunEndedEntry(r));
  return found;
}

/** What the closing start appends to the record for it (`run-ended`, as a normally ended run's). */
export function interruptedRunEndedEntry(r: InterruptedRun): Record<string, unknown> {
  const { run } = r;
  return { runId: r.engineRunId, triggerId: run.trigger.id, endReason: run.endReason, startMs: run.startMs, endMs: run.endMs, kpis: run.kpis, startedAtEntry: r.startedAtEntry, lastRecordedSampleMs: run.endMs };
}

function close(r: OpenRun, opts: InterruptedRunOptions): InterruptedRun {
  const trigger = r.trigger!;
  const col = (k: number) => r.rows.map((row) => row[k]!);
  const samples = { sampleTimeMs: col(0), arrivalTimeMs: col(1), measuredKw: col(2), targetKw: col(3), flexDownKw: col(4), flexUpKw: col(5), uncontrolledKw: col(6), inExhaustion: col(7) };
  // Its last recorded sample; a run with none ends at its last event.
  const endMs = samples.sampleTimeMs.length > 0 ? samples.sampleTimeMs.at(-1)! : r.lastEventMs;
  const natural = naturalRequestedEnd(trigger);
  const requested = natural ? { startMs: trigger.startMs, endMs: natural.endMs, basis: natural.basis } : { startMs: trigger.startMs, endMs: Math.max(endMs, trigger.startMs), basis: 'recording-end' as const };
  // The engine never ends a run this way (only the next process can): its union does not name the reason.
  const endReason = INTERRUPTED as EndReason;
  const kpis = computeRunKpis(
    {
      sampleTimeMs: Float64Array.from(samples.sampleTimeMs),
      arrivalTimeMs: Float64Array.from(samples.arrivalTimeMs),
      measuredKw: Float64Array.from(samples.measuredKw),
      targetKw: Float64Array.from(samples.targetKw),
      flexDownKw: Float64Array.from(samples.flexDownKw),
      flexUpKw: Float64Array.from(samples.flexUpKw),
      uncontrolledKw: Float64Array.from(samples.uncontrolledKw),
    },
    {
      triggerReceivedMs: trigger.receivedMs,
      startMs: r.startMs,
      endMs,
      endReason: null,
      requested,
      toleranceKw: trigger.toleranceKw,
      breakerPeriodS: opts.breakerPeriodS,
      settleAllowanceS: opts.settleAllowanceS,
      firstSetpointAckMs: null,
      exhaustionForecast: [],
      energyChecks: [],
      loopLatency: {},
    },
  );
  const runId = `${r.runId}@${r.startedAtEntry}`;
  const run: RunRecord = {
    runId,
    trigger,
    controller: r.controller,
    startMs: r.startMs,
    endMs,
    endReason,
    firstSetpointAckMs: null,
    predictedExhaustionAtMs: null,
    exhaustionPredictions: [],
    requested,
    energyChecks: [],
    samples,
    latencyMs: { sensorToEms: [], decision: [], emsToAck: [], total: [] },
    latencySampleTimeMs: [],
    kpis,
  };
  const message = `${r.runId}: was still in force when its process stopped; closed as interrupted at its last recorded sample, ${new Date(endMs).toISOString()}, its KPIs computed from the record up to then`;
  const events = [...r.events, { timeMs: endMs, type: 'run-ended' as const, level: 'warning' as const, message, runId: r.runId, data: { endReason, startedAtEntry: r.startedAtEntry } }];
  return { run, engineRunId: r.runId, startedAtEntry: r.startedAtEntry, events: events.map((e) => ({ ...e, runId })) };
}

function withoutSource(e: EngineEvent & { source?: string }): EngineEvent {
  const { source: _source, ...rest } = e;
  return rest;
}
