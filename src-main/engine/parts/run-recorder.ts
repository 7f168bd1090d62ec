/**
 * The run recorder: what a run leaves behind to be judged by (KPI.md).
 *
 * It owns the shape of a run's record (`newRunRecord`), writes one sample per breaker sample (measured,
 * target, band, uncontrolled power, exhaustion flag), the energy check at every dispatch, and the
 * exhaustion forecasts — a run's own, and those made while an announced trigger was prepared for, which
 * open its run's series. `runKpis` computes a run's KPIs from its record. It decides nothing.
 */
import type { EnergyCheck, RunKpis } from '../kpi/index.js';
import { computeRunKpis, requestedSpan } from '../kpi/index.js';
import type { BreakerSample, Trigger } from '../model.js';
import type { PlanResult } from '../planner.js';
import { planSlotAt } from '../planner.js';
import { targetOfTrigger } from '../trigger/trigger.js';
import type { AssetBook } from './asset-book.js';
import type { EngineContext, RunRecord } from './types.js';
import { iso } from './types.js';

/** A new run's empty record, started now; `predictions`: forecasts made while it was announced. */
export function newRunRecord(runId: string, trigger: Trigger, controller: RunRecord['controller'], startMs: number, predictions: RunRecord['exhaustionPredictions']): RunRecord {
  return {
    runId,
    trigger,
    controller,
    startMs,
    endMs: null,
    endReason: null,
    firstSetpointAckMs: null,
    predictedExhaustionAtMs: null,
    exhaustionPredictions: predictions,
    requested: requestedSpan({ trigger, endReason: null, runEndMs: null, nextTriggerStartMs: null, recordingEndMs: null }),
    energyChecks: [],
    samples: {
      sampleTimeMs: [],
      arrivalTimeMs: [],
      measuredKw: [],
      targetKw: [],
      flexDownKw: [],
      flexUpKw: [],
      uncontrolledKw: [],
      inExhaustion: [],
    },
    latencyMs: { sensorToEms: [], decision: [], emsToAck: [], total: [] },
    latencySampleTimeMs: [],
    kpis: null,
  };
}

export class RunRecorder {
  private prepared: { trigger: Trigger; points: Array<{ madeMs: number; atMs: number | null }> } | null = null;

  constructor(
    private readonly ctx: EngineContext,
    private readonly book: AssetBook,
  ) {}

  /** The forecasts made while `trigger` was prepared for (its run's series starts with them); forgets them. */
  takePreparedPredictions(trigger: Trigger): Array<{ madeMs: number; atMs: number | null }> {
    const points = this.prepared?.trigger === trigger ? this.prepared.points : [];
    this.prepared = null;
    return points;
  }

  /** One breaker sample of `run`: `target` in force, and whether the loop counts it as short of flexibility. */
  recordSample(run: RunRecord, sample: BreakerSample, valid: boolean, target: number | null, inExhaustion: boolean): void {
    const band = this.book.instantaneousBand(sample.sampleMs);
    const controllableKw = this.book.controllablePowerKw(sample.sampleMs);
    const s = run.samples;
    s.sampleTimeMs.push(sample.sampleMs);
    s.arrivalTimeMs.push(sample.arrivalMs);
    s.measuredKw.push(valid ? sample.powerKw : NaN);
    s.targetKw.push(target ?? NaN);
    s.flexDownKw.push(band.downKw);
    s.flexUpKw.push(band.upKw);
    s.uncontrolledKw.push(valid ? sample.powerKw - controllableKw : NaN);
    // With the BESS unreachable a missed target is not held either, whatever its cause.
    const missedWithoutBess = valid && target !== null && this.book.bess.link.lost && Math.abs(sample.powerKw - target) > run.trigger.toleranceKw;
    s.inExhaustion.push(inExhaustion || missedWithoutBess ? 1 : 0);
  }

  /**
   * Energy sufficiency at a dispatch slot (KPI.md): the forecast ∫ r dt over the rest of the request against
   * the range of energy the assets can take or give from their state now. r = P* − P_unc, with P_unc from the
   * plan's forecast where it reaches and the last minute's measured mean otherwise (persistence).
   */
  checkEnergy(run: RunRecord, now: number, planned: PlanResult | null): void {
    const endMs = run.requested.endMs ?? now + this.ctx.safety.openRunHorizonS * 1000;
    if (!(endMs > now)) return;
    const s = run.samples;
    let sum = 0;
    let k = 0;
    for (let i = s.sampleTimeMs.length - 1; i >= 0 && s.sampleTimeMs[i]! > now - 60_000; i--) {
      const u = s.uncontrolledKw[i]!;
      if (Number.isFinite(u)) {
        sum += u;
        k++;
      }
    }
    const persistedKw = k > 0 ? sum / k : NaN;
    const plan = planned?.plan;
    const stepMs = 60_000;
    let neededKwh = 0;
    for (let t = now; t < endMs; t += stepMs) {
      const dtH = Math.min(stepMs, endMs - t) / 3_600_000;
      const mid = t + Math.min(stepMs, endMs - t) / 2;
      const target = targetOfTrigger(run.trigger, mid);
      if (target === null) continue;
      const slot = plan ? planSlotAt(plan, mid) : -1;
      const unc = slot >= 0 ? planned!.residualKw[slot]! : persistedKw;
      if (!Number.isFinite(unc)) return;
      neededKwh += (target.targetKw - unc) * dtH;
    }
    const horizonS = (endMs - now) / 1000;
    const { downKwh, upKwh } = this.book.energyRangeKwh(now, horizonS);
    const check: EnergyCheck = { atMs: now, neededKwh, availableDownKwh: downKwh, availableUpKwh: upKwh };
    run.energyChecks.push(check);
  }

  /**
   * A first-order prediction: the storages drain (or fill) at the rate the community needed over the last
   * slot; flexibility runs out when the energy left in that direction is used up.
   */
  predictExhaustion(run: RunRecord, now: number, bessMeanKw: number): void {
    const book = this.book;
    const storages = [book.bess, ...book.households.values()].filter((s) => !s.link.lost);
    const netKw = bessMeanKw + [...book.households.values()].reduce((sum, h) => sum + (h.setpointKw ?? h.powerKw), 0);
    if (Math.abs(netKw) < 1) {
      this.recordPrediction(run, now, null);
      return;
    }
    const charging = netKw > 0;
    let energyKwh = 0;
    for (const s of storages) {
      const eta = Math.sqrt(s.config.roundTripEfficiency);
      energyKwh += charging
        ? Math.max(0, ((s.config.socMaxPct - s.socPct) / 100) * s.config.energyKwh) / eta
        : Math.max(0, ((s.socPct - s.config.socMinPct) / 100) * s.config.energyKwh) * eta;
    }
    this.recordPrediction(run, now, now + (energyKwh / Math.abs(netKw)) * 3_600_000);
  }

  recordPrediction(run: RunRecord, now: number, atMs: number | null): void {
    const runEndMs = run.requested.endMs ?? Infinity;
    // Whole milliseconds: the record stores ISO times, and the KPIs recomputed from it must be the same.
    const within = atMs !== null && atMs < runEndMs ? Math.round(Math.max(now, atMs)) : null;
    run.predictedExhaustionAtMs = within;
    run.exhaustionPredictions.push({ madeMs: now, atMs: within });
    if (within !== null && within - now <= 30 * 60_000) {
      this.ctx.emit('flex-exhaustion-warning', 'warning', `flexibility predicted to run out at ${iso(within)}`, { predictedExhaustionAt: iso(within) });
    }
  }

  /**
   * The forecasts made while preparing an announced trigger (its plan holds only that trigger's targets):
   * they open its run's series, so a warning given before the start counts as one (KPI.md: lead, at60/30/15).
   */
  recordPreparedPrediction(trigger: Trigger, now: number, atMs: number | null): void {
    if (this.prepared?.trigger !== trigger) this.prepared = { trigger, points: [] };
    const endMs = requestedSpan({ trigger, endReason: null, runEndMs: null, nextTriggerStartMs: null, recordingEndMs: null }).endMs ?? Infinity;
    // A preparation plan may place the shortfall in the slot that holds the start, before it: the request
    // cannot run out before it begins.
    const within = atMs !== null && atMs < endMs ? Math.round(Math.max(now, atMs, trigger.startMs)) : null;
    this.prepared.points.push({ madeMs: now, atMs: within });
    if (within !== null && within - now <= 30 * 60_000) {
      this.ctx.emit('flex-exhaustion-warning', 'warning', `flexibility of announced trigger ${trigger.id} predicted to run out at ${iso(within)}`, { predictedExhaustionAt: iso(within), triggerId: trigger.id });
    }
  }
}

/**
 * The KPIs of a run from its record (`kpi/run-kpis.ts`), as if it ended at `endMs` (default: its end):
 * the run-end figures, and the live ones of a run still in progress.
 */
export function runKpis(run: RunRecord, breakerPeriodS: number, settleAllowanceS: number, endMs = run.endMs ?? run.startMs): RunKpis {
  const s = run.samples;
  return computeRunKpis(
    {
      sampleTimeMs: Float64Array.from(s.sampleTimeMs),
      arrivalTimeMs: Float64Array.from(s.arrivalTimeMs),
      measuredKw: Float64Array.from(s.measuredKw),
      targetKw: Float64Array.from(s.targetKw),
      flexDownKw: Float64Array.from(s.flexDownKw),
      flexUpKw: Float64Array.from(s.flexUpKw),
      uncontrolledKw: Float64Array.from(s.uncontrolledKw),
    },
    {
      triggerReceivedMs: run.trigger.receivedMs,
      startMs: run.startMs,
      endMs,
      endReason: run.endReason,
      // A request with no end yet (a live run, or an ended open-ended one) is counted up to `endMs` for now.
      requested: { startMs: run.requested.startMs, endMs: run.requested.endMs ?? Math.max(endMs, run.requested.startMs), basis: run.requested.basis },
      toleranceKw: run.trigger.toleranceKw,
      breakerPeriodS,
      settleAllowanceS,
      firstSetpointAckMs: run.firstSetpointAckMs,
      exhaustionForecast: run.exhaustionPredictions,
      energyChecks: run.energyChecks,
      loopLatency: run.latencyMs,
    },
  );
}
