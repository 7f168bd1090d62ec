/**
 * Pure pieces of the live session, kept apart so each is tested as a table: how many plant steps to run
 * for the wall time that passed, the pre-flight check of an operator's trigger, and the live KPI tiles.
 */
import type { RunRecord } from '../engine/engine';
import { runKpis } from '../engine/engine';
import type { LiveKpis, SpeedSetting, TriggerCheck, TriggerRequest } from '../shared/ipc-contract';
import { DEFAULT_TOLERANCE_KW } from '../engine/model';

// ---------------------------------------------------------------------------------------------- pacing

export interface PaceAnchor {
  wallMs: number;
  simMs: number;
}

/** Longest backlog the pacer catches up on; after a longer stall (a suspended laptop) it re-anchors. */
export const MAX_CATCH_UP_WALL_MS = 5_000;

/**
 * How many plant steps bring the simulation to where `speed` says it should be at `wallNowMs`.
 * `'max'` returns `maxStepsForMax` (the caller bounds the work per tick). A backlog longer than
 * `MAX_CATCH_UP_WALL_MS` of wall time is dropped (re-anchor) instead of being replayed in one burst.
 */
export function stepsDue(
  anchor: PaceAnchor,
  wallNowMs: number,
  simNowMs: number,
  speed: SpeedSetting,
  stepMs: number,
  maxStepsForMax: number,
): { steps: number; reanchor: boolean } {
  if (speed === 'max') return { steps: maxStepsForMax, reanchor: false };
  const targetSimMs = anchor.simMs + (wallNowMs - anchor.wallMs) * speed;
  const behindMs = targetSimMs - simNowMs;
  if (behindMs / speed > MAX_CATCH_UP_WALL_MS) return { steps: Math.floor((MAX_CATCH_UP_WALL_MS * speed) / stepMs), reanchor: true };
  return { steps: Math.max(0, Math.floor(behindMs / stepMs)), reanchor: false };
}

// ---------------------------------------------------------------------------------------------- feasibility

export interface FeasibilityInputs {
  connectionLimitKw: number;
  /** Last valid breaker power, kW; null if none yet. */
  breakerKw: number | null;
  /** Power of the controllable assets now (BESS, household storages, heat pumps), kW. */
  controllableKw: number;
  /** The engine's band for a run of the requested duration starting now; null if it cannot say. */
  band: { downKw: number; upKw: number } | null;
}

/** A band whose headroom on the needed side is below this share of the band's width counts as tight. */
const TIGHT_SHARE = 0.1;

/**
 * The Setpoint view's pre-flight check. Errors (limits, missing fields) forbid sending; the verdict says
 * whether the controllable assets can deliver the correction `r = P* − P_unc` for the whole duration
 * (KPI.md K01: F⁻ ≤ r ≤ F⁺). Use cases 3/4 are checked per package against the same band.
 */
export function checkTrigger(req: TriggerRequest, inputs: FeasibilityInputs): TriggerCheck {
  const errors: string[] = [];
  const limit = inputs.connectionLimitKw;
  const tolerance = req.toleranceKw ?? DEFAULT_TOLERANCE_KW;
  if (!(tolerance > 0)) errors.push('the tolerance must be a positive number of kW');
  const targets: number[] = [];
  switch (req.useCase) {
    case 0:
      break;
    case 1:
      targets.push(0);
      break;
    case 2:
      if (req.targetKw === null || req.targetKw === undefined || !Number.isFinite(req.targetKw)) errors.push('use case 2 needs a target in kW');
      else if (Math.abs(req.targetKw) > limit) errors.push(`the target ${req.targetKw} kW is beyond the connection limit of ±${limit} kW`);
      else targets.push(req.targetKw);
      if (!(req.durationS !== null && req.durationS !== undefined && req.durationS > 0)) errors.push('use case 2 needs a duration');
      break;
    case 3:
    case 4: {
      const schedule = req.schedule ?? [];
      if (schedule.length === 0) errors.push(`use case ${req.useCase} needs at least one package`);
      schedule.forEach((p, i) => {
        if (!(p.toMs > p.fromMs)) errors.push(`package ${i + 1} ends before it starts`);
        if (Math.abs(p.targetKw) > limit) errors.push(`package ${i + 1}: ${p.targetKw} kW is beyond the connection limit of ±${limit} kW`);
        if (req.useCase === 3 && p.targetKw < 0) errors.push(`package ${i + 1}: an import package needs a target ≥ 0 kW`);
        if (req.useCase === 4 && p.targetKw > 0) errors.push(`package ${i + 1}: an export package needs a target ≤ 0 kW`);
        targets.push(p.targetKw);
      });
      break;
    }
  }
  const base = { connectionLimitKw: limit, band: inputs.band };
  if (req.useCase === 0) return { ...base, errors, verdict: 'feasible', requiredKw: null, uncontrolledKw: null, message: 'Stop: the EMS releases every asset.' };
  if (inputs.breakerKw === null || inputs.band === null || targets.length === 0) {
    return { ...base, errors, verdict: 'unknown', requiredKw: null, uncontrolledKw: null, message: 'No breaker measurement yet: feasibility cannot be judged.' };
  }
  const uncontrolledKw = inputs.breakerKw - inputs.controllableKw;
  const { downKw, upKw } = inputs.band;
  // The hardest package decides: the one whose correction lies furthest outside (or closest to the edge of) the band.
  let worst = { requiredKw: 0, headroomKw: Infinity };
  for (const t of targets) {
    const requiredKw = t - uncontrolledKw;
    const headroomKw = Math.min(upKw - requiredKw, requiredKw - downKw);
    if (headroomKw < worst.headroomKw) worst = { requiredKw, headroomKw };
  }
  const width = Math.max(upKw - downKw, 1);
  const r = worst.requiredKw;
  let verdict: TriggerCheck['verdict'];
  let message: string;
  if (worst.headroomKw < -tolerance) {
    verdict = 'infeasible';
    message = `The assets can hold ${downKw.toFixed(0)} … ${upKw.toFixed(0)} kW for this duration; ${r.toFixed(0)} kW are needed.`;
  } else if (worst.headroomKw < TIGHT_SHARE * width) {
    verdict = 'tight';
    message = `Needed ${r.toFixed(0)} kW is at the edge of the band ${downKw.toFixed(0)} … ${upKw.toFixed(0)} kW: the run may end in flexibility exhaustion.`;
  } else {
    verdict = 'feasible';
    message = `Needed ${r.toFixed(0)} kW lies within the band ${downKw.toFixed(0)} … ${upKw.toFixed(0)} kW.`;
  }
  return { ...base, errors, verdict, requiredKw: r, uncontrolledKw, message };
}

// ---------------------------------------------------------------------------------------------- live KPIs

/**
 * K01–K03 headline figures of a run still in progress: the engine's own KPI computation over the samples
 * so far, as if the run ended now. The full record comes with `run-ended`.
 */
export function liveKpis(run: RunRecord, nowMs: number, breakerPeriodS: number, settleAllowanceS: number): LiveKpis {
  const endMs = Math.max(run.startMs, nowMs);
  // Shares of the request elapsed so far: the rest has not happened, so it is neither held nor lost yet.
  const soFarMs = Math.max(run.requested.startMs, Math.min(run.requested.endMs ?? endMs, endMs));
  const k = runKpis({ ...run, requested: { ...run.requested, endMs: soFarMs } }, breakerPeriodS, settleAllowanceS, endMs);
  return {
    coveredPct: k.availability.coveredPct,
    heldPctOfRequested: k.availability.heldPctOfRequested,
    heldS: k.availability.heldS,
    requestedS: k.availability.requestedS,
    requestedBasis: run.requested.basis,
    minEnergyCoverPct: k.availability.minEnergyCoverPct,
    firstSetpointS: k.responsiveness.firstSetpointS,
    settlingS: k.responsiveness.settlingS,
    maeKw: k.accuracy.maeKw,
    withinBandPct: k.accuracy.withinBandPct,
    samples: k.samples.total,
  };
}
