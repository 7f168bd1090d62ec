/**
 * The requested span of a run (KPI.md, "The requested span"): the denominator of every share. It is what the
 * grid operator asked for, not what the run happened to last: an exhausted or faulted run keeps its whole
 * request (the rest counts as not held); a request withdrawn by a new trigger or the operator is cut there.
 *
 * Pure: a function of the trigger, how the run ended, the next trigger and the recording's end.
 *
 * Decisions where KPI.md leaves room:
 * - **The next trigger** is the first trigger the EMS accepted after this one (by receipt); its start
 *   (`startAt` when announced) ends an open-ended request (basis `next-trigger`, or `operator-stop` when
 *   it is a stop, use case 0).
 * - **A withdrawal does not depend on the controller.** A run that ended early (exhaustion, fault) and
 *   whose request is then withdrawn by the next trigger before its own end is cut there exactly as if the
 *   run had still been in force (`superseded` / `operator-stop`): the same request has the same span for
 *   every controller, so their held shares can be compared (and set against the bound's).
 * - **The recording's end cuts every request.** Nothing is known of the time after it, so a request that
 *   reaches past the end of the scenario, recording or replay window is counted up to there, with the
 *   basis `recording-end`.
 * - **Not known yet.** An open-ended request whose run has ended (exhaustion, fault) while no next trigger
 *   and no recording end is known has no end yet: `endMs` null, the caller finalises it later.
 */
import type { EndReason, Trigger } from '../model.js';

export type RequestedBasis = 'duration' | 'schedule' | 'next-trigger' | 'recording-end' | 'superseded' | 'operator-stop';

export interface RequestedSpan {
  startMs: number;
  /** null while an open-ended request has no known end (see the file header). */
  endMs: number | null;
  basis: RequestedBasis | null;
}

export interface RequestedSpanInputs {
  trigger: Pick<Trigger, 'startMs' | 'durationS' | 'useCase' | 'schedule'>;
  /** How and when the run ended; null while it is still in force. */
  endReason: EndReason | null;
  runEndMs: number | null;
  /** The start of the next accepted trigger, when there is one. */
  nextTriggerStartMs: number | null;
  /** That next trigger is a stop (use case 0). */
  nextTriggerIsStop?: boolean;
  /** The end of the scenario, recording or replay window, when known. */
  recordingEndMs: number | null;
}

/** The end the trigger itself gives (duration, schedule), or null for an open-ended request. */
export function naturalRequestedEnd(trigger: RequestedSpanInputs['trigger']): { endMs: number; basis: 'duration' | 'schedule' } | null {
  if (trigger.durationS !== null && Number.isFinite(trigger.durationS)) return { endMs: trigger.startMs + trigger.durationS * 1000, basis: 'duration' };
  if ((trigger.useCase === 3 || trigger.useCase === 4) && trigger.schedule && trigger.schedule.length > 0) {
    return { endMs: Math.max(...trigger.schedule.map((p) => p.toMs)), basis: 'schedule' };
  }
  return null;
}

export function requestedSpan(inputs: RequestedSpanInputs): RequestedSpan {
  const { trigger, endReason, runEndMs, nextTriggerStartMs, recordingEndMs } = inputs;
  const startMs = trigger.startMs;
  let end: { endMs: number; basis: RequestedBasis } | null = naturalRequestedEnd(trigger);
  const withdrawn = (endReason === 'superseded' || endReason === 'operator-stop') && runEndMs !== null;
  // A run that ended on its own, then withdrawn by the next trigger (see the header).
  const laterWithdrawal = !withdrawn && endReason !== null && nextTriggerStartMs !== null && nextTriggerStartMs > startMs;
  if (end === null) {
    // Open-ended: the next request replaces it. A supersession is that very case; a stop withdraws it.
    if (withdrawn && endReason === 'superseded') end = { endMs: runEndMs, basis: 'next-trigger' };
    else if (withdrawn) end = { endMs: runEndMs, basis: 'operator-stop' };
    else if (nextTriggerStartMs !== null && nextTriggerStartMs > startMs) end = { endMs: nextTriggerStartMs, basis: inputs.nextTriggerIsStop ? 'operator-stop' : 'next-trigger' };
    else if (recordingEndMs !== null) end = { endMs: recordingEndMs, basis: 'recording-end' };
  } else if (withdrawn && runEndMs < end.endMs) {
    end = { endMs: runEndMs, basis: endReason === 'superseded' ? 'superseded' : 'operator-stop' };
  } else if (laterWithdrawal && nextTriggerStartMs < end.endMs) {
    end = { endMs: nextTriggerStartMs, basis: inputs.nextTriggerIsStop ? 'operator-stop' : 'superseded' };
  }
  if (end === null) return { startMs, endMs: null, basis: null };
  if (recordingEndMs !== null && recordingEndMs < end.endMs) end = { endMs: Math.max(startMs, recordingEndMs), basis: 'recording-end' };
  return { startMs, endMs: Math.max(startMs, end.endMs), basis: end.basis };
}
