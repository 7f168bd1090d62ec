/**
 * Pure pieces of the live session, kept apart so each is tested as a table: how many plant steps to run
 * for the wall time that passed, the pre-flight check of an operator's trigger, and the live KPI tiles.
 */
import type { RunRecord } from '../engine/engine';
import { runKpis } from '../engine/engine';
import type { LiveKpis, SpeedSetting } from '../shared/ipc-contract';

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

/** The Setpoint view's pre-flight check: the engine's one trigger validator and feasibility check. */
export { checkTrigger, type FeasibilityInputs } from '../engine/trigger/feasibility';

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
