/**
 * A lab window that starts in the middle of a scenario (`--from`) would otherwise start with no request in
 * force, although the grid operator asked for one earlier. The rig re-sends that request at the window's
 * start, as the operator's system would after a restart of the EMS: what is left of it, nothing more.
 */
import type { ScenarioEvent } from '../engine/scenario/index.js';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The request in force (or announced for later) at `windowStartMs`, from the last event received before
 * it, as it would be re-sent at `windowStartMs`: use case 1 and 2 with the remaining `durationS`, 3 and 4
 * with the packages not yet over (the current one from the window's start), an announced one unchanged.
 * Null when nothing is in force then (no earlier event, a stop, or the request is over).
 */
export function eventInForceAt(events: readonly ScenarioEvent[], windowStartMs: number): { event: ScenarioEvent; index: number } | null {
  let last: { event: ScenarioEvent; index: number; atMs: number } | null = null;
  events.forEach((event, index) => {
    const atMs = Date.parse(event.at);
    if (atMs < windowStartMs && (last === null || atMs >= last.atMs)) last = { event, index, atMs };
  });
  if (last === null) return null;
  const { event, index } = last as { event: ScenarioEvent; index: number };
  if (event.useCase === 0) return null;
  const runStartMs = event.startAt !== undefined ? Date.parse(event.startAt) : Date.parse(event.at);
  // Announced for later: re-sent as it was.
  if (runStartMs >= windowStartMs) return { event: { ...event, at: iso(windowStartMs) }, index };

  let endMs = event.durationS !== undefined ? runStartMs + event.durationS * 1000 : Infinity;
  if ((event.useCase === 3 || event.useCase === 4) && event.durationS === undefined) endMs = Math.max(...event.schedule.map((p) => Date.parse(p.to)));
  if (endMs <= windowStartMs) return null;

  const carried: ScenarioEvent & { startAt?: string } = { ...event, at: iso(windowStartMs) };
  delete carried.startAt;
  if (carried.durationS !== undefined) carried.durationS = (endMs - windowStartMs) / 1000;
  if (carried.useCase === 3 || carried.useCase === 4) {
    carried.schedule = carried.schedule
      .filter((p) => Date.parse(p.to) > windowStartMs)
      .map((p) => (Date.parse(p.from) < windowStartMs ? { ...p, from: iso(windowStartMs) } : p));
    if (carried.schedule.length === 0) return null;
  }
  return { event: carried, index };
}
