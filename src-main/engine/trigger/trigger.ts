/**
 * The trigger (I-01) in one place: what a request may ask for (`validateTrigger`, the one set of rules the
 * engine, the intake, scenario loading and the console apply), how a request becomes a `Trigger`
 * (`buildTrigger`, with the one tolerance default), what it asks for at an instant (`targetOfTrigger`) and
 * how it reads in the record (`describeTrigger`). Pure: no clock, no I/O.
 */
import { DEFAULT_TOLERANCE_KW } from '../model.js';
import type { SchedulePackage, Trigger, UseCase } from '../model.js';
import type { SlotTarget } from '../planner.js';
import type { Scenario } from '../scenario/index.js';

export { DEFAULT_TOLERANCE_KW };

/** The longest run a trigger may ask for, s (7 days). */
export const MAX_TRIGGER_DURATION_S = 7 * 86_400;
/** How far ahead a trigger may announce its start or packages, s (30 days). */
export const MAX_TRIGGER_AHEAD_S = 30 * 86_400;

/** A request as its sources hand it over (times already in ms); what is left out takes its default. */
export interface TriggerRequestFields {
  useCase: UseCase;
  targetKw?: number | null;
  durationS?: number | null;
  toleranceKw?: number | null;
  startMs?: number;
  schedule?: readonly SchedulePackage[] | null;
}

/**
 * A trigger from a request: only use cases 1 and 2 keep a target (island holds 0 kW whatever it says), only
 * 3 and 4 packages, and a missing tolerance is `DEFAULT_TOLERANCE_KW`. It starts when received unless
 * announced (`startMs`).
 */
export function buildTrigger(req: TriggerRequestFields, meta: { id: string; source: string; receivedMs: number }): Trigger {
  return {
    id: meta.id,
    source: meta.source,
    receivedMs: meta.receivedMs,
    startMs: req.startMs ?? meta.receivedMs,
    useCase: req.useCase,
    targetKw: req.useCase === 1 || req.useCase === 2 ? (req.targetKw ?? null) : null,
    durationS: req.durationS ?? null,
    toleranceKw: req.toleranceKw ?? DEFAULT_TOLERANCE_KW,
    schedule: (req.useCase === 3 || req.useCase === 4) && req.schedule ? req.schedule.map((p) => ({ fromMs: p.fromMs, toMs: p.toMs, targetKw: p.targetKw })) : null,
  };
}

/** A scenario's events as the triggers the operator's system would send (`T01`, `T02`, …). */
export function scenarioTriggers(scenario: Scenario): Trigger[] {
  return scenario.events.map((e, i) => {
    const receivedMs = Date.parse(e.at);
    return buildTrigger(
      {
        useCase: e.useCase,
        startMs: e.startAt !== undefined ? Date.parse(e.startAt) : receivedMs,
        targetKw: 'targetKw' in e ? e.targetKw : null,
        durationS: 'durationS' in e ? e.durationS : null,
        toleranceKw: 'toleranceKw' in e ? e.toleranceKw : null,
        schedule: 'schedule' in e && e.schedule ? e.schedule.map((p) => ({ fromMs: Date.parse(p.from), toMs: Date.parse(p.to), targetKw: p.targetKw })) : null,
      },
      { id: `T${String(i + 1).padStart(2, '0')}`, source: `scenario:${scenario.name}#events[${i}]`, receivedMs },
    );
  });
}

/** One reason a trigger cannot be taken, with the request field it is about (`schedule[2].targetKw`, `startAt`). */
export interface TriggerIssue {
  path: string;
  message: string;
}

/**
 * Every reason `t` cannot be taken by an EMS on a connection of ±`connectionLimitKw` (empty: it can), in a
 * fixed order: the first is what the engine says when it refuses.
 */
export function triggerIssues(t: Trigger, connectionLimitKw: number): TriggerIssue[] {
  const issues: TriggerIssue[] = [];
  const add = (path: string, message: string): void => {
    issues.push({ path, message });
  };
  const limit = connectionLimitKw;
  if (![0, 1, 2, 3, 4].includes(t.useCase)) add('useCase', `use case must be 0–4, got ${String(t.useCase)}`);
  if (t.useCase === 2) {
    if (t.targetKw === null || !Number.isFinite(t.targetKw)) add('targetKw', `use case 2 needs a finite targetKw, got ${String(t.targetKw)}`);
    else if (Math.abs(t.targetKw) > limit) add('targetKw', `targetKw ${t.targetKw} is beyond the connection limit of ±${limit} kW`);
    if (t.durationS === null || !(t.durationS > 0)) add('durationS', `use case 2 needs a positive durationS, got ${String(t.durationS)}`);
  }
  if (t.durationS !== null && !(t.durationS > 0 && t.durationS <= MAX_TRIGGER_DURATION_S) && !(t.useCase === 2 && !(t.durationS > 0))) {
    add('durationS', `durationS must be positive and at most ${MAX_TRIGGER_DURATION_S} s (7 days), got ${t.durationS}`);
  }
  if (t.useCase === 3 || t.useCase === 4) {
    if (!t.schedule || t.schedule.length === 0) add('schedule', `use case ${t.useCase} needs a schedule of packages`);
    else {
      t.schedule.forEach((p, i) => {
        const at = `schedule[${i}]`;
        if (!Number.isFinite(p.targetKw) || Math.abs(p.targetKw) > limit) add(`${at}.targetKw`, `package target ${p.targetKw} kW is not within ±${limit} kW`);
        else if (t.useCase === 3 && p.targetKw < 0) add(`${at}.targetKw`, `use case 3 packages import (targetKw ≥ 0), got ${p.targetKw}`);
        else if (t.useCase === 4 && p.targetKw > 0) add(`${at}.targetKw`, `use case 4 packages export (targetKw ≤ 0), got ${p.targetKw}`);
        if (!Number.isFinite(p.fromMs) || !Number.isFinite(p.toMs) || p.toMs <= p.fromMs) add(`${at}.to`, 'every package must end after it starts');
        else if (p.toMs - t.receivedMs > MAX_TRIGGER_AHEAD_S * 1000) add(`${at}.to`, `packages may reach at most ${MAX_TRIGGER_AHEAD_S / 86400} days ahead`);
      });
    }
  }
  if (!(t.toleranceKw > 0) || !Number.isFinite(t.toleranceKw)) add('toleranceKw', `toleranceKw must be a positive number, got ${t.toleranceKw}`);
  else if (t.toleranceKw > limit) add('toleranceKw', `toleranceKw ${t.toleranceKw} is wider than the connection limit of ${limit} kW: nothing would be held`);
  if (!Number.isFinite(t.startMs) || t.startMs < t.receivedMs) add('startAt', 'startAt must not be before the trigger is received');
  else if (t.startMs - t.receivedMs > MAX_TRIGGER_AHEAD_S * 1000) add('startAt', `startAt may be at most ${MAX_TRIGGER_AHEAD_S / 86400} days ahead`);
  return issues;
}

/** The first reason `t` cannot be taken, or null: what the engine answers a refused trigger with. */
export function validateTrigger(t: Trigger, connectionLimitKw: number): string | null {
  return triggerIssues(t, connectionLimitKw)[0]?.message ?? null;
}

/** The target a trigger asks for at time `t` (use case 1: 0 kW; 3 and 4: the package, 0 kW between). */
export function targetOfTrigger(t: Trigger, timeMs: number): SlotTarget | null {
  switch (t.useCase) {
    case 1:
      return { targetKw: 0, toleranceKw: t.toleranceKw };
    case 2:
      return t.targetKw === null ? null : { targetKw: t.targetKw, toleranceKw: t.toleranceKw };
    case 3:
    case 4: {
      const pkg = t.schedule?.find((p) => timeMs >= p.fromMs && timeMs < p.toMs);
      return { targetKw: pkg ? pkg.targetKw : 0, toleranceKw: t.toleranceKw };
    }
    default:
      return null;
  }
}

/** The trigger as the record tells it (`trigger-received`). */
export function describeTrigger(t: Trigger): string {
  const start = t.startMs > t.receivedMs ? `, starting ${new Date(t.startMs).toISOString()}` : '';
  switch (t.useCase) {
    case 0:
      return `trigger ${t.id} from ${t.source}: stop${start}`;
    case 1:
      return `trigger ${t.id} from ${t.source}: island mode (0 kW)${start}`;
    case 2:
      return `trigger ${t.id} from ${t.source}: hold ${t.targetKw} kW for ${t.durationS} s ±${t.toleranceKw} kW${start}`;
    default:
      return `trigger ${t.id} from ${t.source}: use case ${t.useCase}, ${t.schedule?.length ?? 0} packages${start}`;
  }
}
