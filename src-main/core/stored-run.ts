import type { RunRecord } from '../engine/engine';
import { computeRunKpis, naturalRequestedEnd } from '../engine/kpi';
import type { Trigger } from '../engine/model';
import { triggerAsReceived } from '../replay/outputs';
import type { StoredTrigger } from '../replay/outputs';
import type { HistoryStore, StoredRun } from '../storage/history-store';
import { SERIES } from './series';
import { DEFAULT_TOLERANCE_KW } from '../engine/model';

const CONFIG_VERSION = 'lfc-config/1';

/** A run record as the history stores it: the trigger as received (ISO times), KPIs as computed. */
export function storedRun(run: RunRecord, sessionId: string, scenario: string | null, appVersion: string): StoredRun {
  const t = run.trigger;
  const trigger = triggerAsReceived(t);
  return {
    runId: `${sessionId}/${run.runId}`,
    sessionId,
    scenario,
    controller: run.controller,
    useCase: t.useCase,
    startMs: run.startMs,
    endMs: run.endMs,
    endReason: run.endReason,
    trigger: trigger as unknown as Record<string, unknown>,
    kpis: run.kpis ? (JSON.parse(JSON.stringify(run.kpis)) as Record<string, unknown>) : null,
    appVersion,
    configVersion: CONFIG_VERSION,
  };
}

/**
 * The KPIs of a run a killed process left in force, from what the history holds of it up to `endMs` (its
 * last sign of life): every breaker sample with its target and flexibility band, judged against the
 * request as received — so a two-hour request whose process died after ten minutes held at most a
 * twelfth of it. What only the dead engine knew is missing: the first acknowledgement (responsiveness),
 * its exhaustion forecasts and energy checks, the loop latencies, the samples' arrival times (taken as
 * their timestamps). Null when the history holds no breaker sample of the run.
 */
export function interruptedRunKpis(history: Pick<HistoryStore, 'queryRaw'>, run: StoredRun, endMs: number): Record<string, unknown> | null {
  const measured = history.queryRaw(SERIES.breakerMeasured, run.startMs, endMs);
  const n = measured.timeMs.length;
  if (n === 0) return null;
  const aligned = (seriesId: string): Float64Array => {
    const s = history.queryRaw(seriesId, run.startMs, endMs);
    const at = new Map<number, number>();
    s.timeMs.forEach((t, i) => at.set(t, s.value[i]!));
    return Float64Array.from(measured.timeMs, (t) => at.get(t) ?? Number.NaN);
  };
  const t = run.trigger as Partial<StoredTrigger>;
  const parsed = (iso: string | undefined, dflt: number) => (iso !== undefined && Number.isFinite(Date.parse(iso)) ? Date.parse(iso) : dflt);
  const trigger = {
    startMs: parsed(t.startAt, run.startMs),
    durationS: typeof t.durationS === 'number' ? t.durationS : null,
    useCase: run.useCase as Trigger['useCase'],
    schedule: t.schedule ? t.schedule.map((p) => ({ fromMs: Date.parse(p.from), toMs: Date.parse(p.to), targetKw: p.targetKw })) : null,
  };
  const natural = naturalRequestedEnd(trigger);
  const gaps = Array.from(measured.timeMs.subarray(1), (x, i) => x - measured.timeMs[i]!).sort((a, b) => a - b);
  const kpis = computeRunKpis(
    {
      sampleTimeMs: measured.timeMs,
      arrivalTimeMs: measured.timeMs,
      measuredKw: measured.value,
      targetKw: aligned(SERIES.breakerTarget),
      flexDownKw: aligned(SERIES.flexDown),
      flexUpKw: aligned(SERIES.flexUp),
      uncontrolledKw: new Float64Array(n).fill(Number.NaN),
    },
    {
      triggerReceivedMs: parsed(t.receivedAt, run.startMs),
      startMs: run.startMs,
      endMs,
      endReason: null,
      requested: natural ? { startMs: trigger.startMs, endMs: natural.endMs, basis: natural.basis } : { startMs: trigger.startMs, endMs: Math.max(endMs, trigger.startMs), basis: 'recording-end' },
      toleranceKw: typeof t.toleranceKw === 'number' ? t.toleranceKw : DEFAULT_TOLERANCE_KW,
      breakerPeriodS: gaps.length > 0 ? gaps[Math.floor(gaps.length / 2)]! / 1000 : 10,
      firstSetpointAckMs: null,
      exhaustionForecast: [],
      energyChecks: [],
      loopLatency: {},
    },
  );
  return JSON.parse(JSON.stringify(kpis)) as Record<string, unknown>;
}
