/**
 * Can the community hold a request? One check (`judgeFeasibility`, KPI.md K01: the correction
 * `r = P* − P_unc` must lie in the band `[F⁻, F⁺]`, within the tolerance), and the two places that ask it:
 * the console's pre-flight of an operator's request (`checkTrigger`, with the request's rule problems from
 * the one validator) and the intake's answer to the grid operator (`feasibilityOf`, from the engine's
 * snapshot). Pure.
 */
import type { UseCase } from '../model.js';
import type { EngineSnapshot } from '../parts/types.js';
import type { TriggerRequestFields } from './trigger.js';
import { buildTrigger, triggerIssues } from './trigger.js';

/** A band whose headroom on the needed side is below this share of the band's width counts as tight. */
export const TIGHT_SHARE = 0.1;

export interface FeasibilityJudgement {
  verdict: 'feasible' | 'tight' | 'infeasible';
  /** The correction of the hardest target: target − uncontrolled power, kW. */
  requiredKw: number;
  /** How far that correction lies inside the band (negative: outside), kW. */
  headroomKw: number;
}

/**
 * The hardest of `targetsKw` decides: the one whose correction lies furthest outside (or closest to the edge
 * of) the band. Infeasible beyond the tolerance outside the band (the samples there are not held), tight
 * within `TIGHT_SHARE` of its width from the edge. `targetsKw` must not be empty.
 */
export function judgeFeasibility(targetsKw: readonly number[], uncontrolledKw: number, band: { downKw: number; upKw: number }, toleranceKw: number): FeasibilityJudgement {
  const { downKw, upKw } = band;
  let worst = { requiredKw: 0, headroomKw: Infinity };
  for (const t of targetsKw) {
    const requiredKw = t - uncontrolledKw;
    const headroomKw = Math.min(upKw - requiredKw, requiredKw - downKw);
    if (headroomKw < worst.headroomKw) worst = { requiredKw, headroomKw };
  }
  const width = Math.max(upKw - downKw, 1);
  const verdict = worst.headroomKw < -toleranceKw ? 'infeasible' : worst.headroomKw < TIGHT_SHARE * width ? 'tight' : 'feasible';
  return { verdict, ...worst };
}

// ---------------------------------------------------------------------------------------------- console

export interface FeasibilityInputs {
  connectionLimitKw: number;
  /** Last valid breaker power, kW; null if none yet. */
  breakerKw: number | null;
  /** Power of the controllable assets now (BESS, household storages, heat pumps), kW. */
  controllableKw: number;
  /** The engine's band for a run of the requested duration starting now; null if it cannot say. */
  band: { downKw: number; upKw: number } | null;
  /** The EMS's time now (the request is received now); packages are checked against it. */
  nowMs?: number;
}

/**
 * The console's verdict on a request: structurally the IPC contract's `TriggerCheck` (which the pure engine
 * does not import): the rule problems, the verdict, and the correction against the band it was judged by.
 */
export type TriggerCheckResult = { errors: string[]; verdict: FeasibilityJudgement['verdict'] | 'unknown'; message: string; connectionLimitKw: number } & NullableFigures;
type NullableFigures = { requiredKw: number | null; uncontrolledKw: number | null; band: { downKw: number; upKw: number } | null };

/**
 * The Setpoint view's pre-flight check. Errors (the rules every trigger must meet, `triggerIssues`) forbid
 * sending; the verdict says whether the controllable assets can deliver the correction for the whole duration.
 * Use cases 3/4 are checked per package against the same band.
 */
export function checkTrigger(req: TriggerRequestFields & { useCase: UseCase }, inputs: FeasibilityInputs): TriggerCheckResult {
  const limit = inputs.connectionLimitKw;
  const schedule = req.schedule ?? [];
  const receivedMs = inputs.nowMs ?? Math.min(...schedule.map((p) => p.fromMs).filter(Number.isFinite), Number.MAX_SAFE_INTEGER);
  const trigger = buildTrigger(req, { id: 'check', source: 'console', receivedMs: Number.isFinite(receivedMs) ? receivedMs : 0 });
  const errors = req.useCase === 0 ? [] : triggerIssues(trigger, limit).map((i) => i.message);
  const targets: number[] = [];
  if (req.useCase === 1) targets.push(0);
  else if (req.useCase === 2 && trigger.targetKw !== null && Number.isFinite(trigger.targetKw) && Math.abs(trigger.targetKw) <= limit) targets.push(trigger.targetKw);
  else if (req.useCase === 3 || req.useCase === 4) for (const p of schedule) targets.push(p.targetKw);
  const base = { connectionLimitKw: limit, band: inputs.band };
  if (req.useCase === 0) return { ...base, errors, verdict: 'feasible', requiredKw: null, uncontrolledKw: null, message: 'Stop: the EMS releases every asset.' };
  if (inputs.breakerKw === null || inputs.band === null || targets.length === 0) {
    return { ...base, errors, verdict: 'unknown', requiredKw: null, uncontrolledKw: null, message: 'No breaker measurement yet: feasibility cannot be judged.' };
  }
  const uncontrolledKw = inputs.breakerKw - inputs.controllableKw;
  const { downKw, upKw } = inputs.band;
  const j = judgeFeasibility(targets, uncontrolledKw, inputs.band, trigger.toleranceKw);
  const r = j.requiredKw;
  const message =
    j.verdict === 'infeasible'
      ? `The assets can hold ${downKw.toFixed(0)} … ${upKw.toFixed(0)} kW for this duration; ${r.toFixed(0)} kW are needed.`
      : j.verdict === 'tight'
        ? `Needed ${r.toFixed(0)} kW is at the edge of the band ${downKw.toFixed(0)} … ${upKw.toFixed(0)} kW: the run may end in flexibility exhaustion.`
        : `Needed ${r.toFixed(0)} kW lies within the band ${downKw.toFixed(0)} … ${upKw.toFixed(0)} kW.`;
  return { ...base, errors, verdict: j.verdict, requiredKw: r, uncontrolledKw, message };
}

// ---------------------------------------------------------------------------------------------- intake

export interface Feasibility {
  verdict: 'feasible' | 'infeasible' | 'unknown' | 'not-applicable';
  /** The breaker powers the community can reach now: [P_unc + F⁻, P_unc + F⁺]. */
  breakerRangeKw: { minKw: number; maxKw: number } | null;
  message: string;
}

/**
 * The intake's verdict from the engine's band now: can the breaker itself be brought to `targetKw`? (No
 * tolerance and no "tight": the grid operator is told whether the target lies within reach.)
 */
export function feasibilityOf(snapshot: EngineSnapshot, targetKw: number | null): Feasibility {
  if (targetKw === null) return { verdict: 'not-applicable', breakerRangeKw: null, message: 'stop: nothing to hold' };
  const run = snapshot.run;
  const breakerKw = snapshot.breaker.lastPowerKw;
  if (!run || breakerKw === null || !Number.isFinite(breakerKw)) {
    return { verdict: 'unknown', breakerRangeKw: null, message: `no flexibility band yet (${breakerKw === null ? 'no breaker sample received' : 'the run has not started'}): assessed when the run starts` };
  }
  const controllableKw = snapshot.assets.reduce((s, a) => s + (Number.isFinite(a.powerKw) ? a.powerKw : 0), 0);
  const uncontrolledKw = breakerKw - controllableKw;
  const minKw = uncontrolledKw + run.band.downKw;
  const maxKw = uncontrolledKw + run.band.upKw;
  const ok = judgeFeasibility([targetKw], uncontrolledKw, run.band, 0).verdict !== 'infeasible';
  const f = (x: number) => `${x < 0 ? '−' : ''}${Math.abs(x).toFixed(0)}`;
  return {
    verdict: ok ? 'feasible' : 'infeasible',
    breakerRangeKw: { minKw, maxKw },
    message: `${ok ? 'can hold' : 'cannot hold'} ${f(targetKw)} kW: band [${f(minKw)}, ${f(maxKw)}] kW at the breaker now (flexibility [${f(run.band.downKw)}, ${f(run.band.upKw)}] kW)`,
  };
}
