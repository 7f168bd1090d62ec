/**
 * The run lifecycle: which trigger is in force. A trigger is checked (`trigger/trigger.ts`) and refused or
 * accepted; an accepted one starts now or waits as announced (a later one supersedes it before its start);
 * a running run ends when its duration elapses, another trigger supersedes it, the operator stops it, or
 * another part ends it (flexibility exhausted, fault, the recording's end). Each ended run gets its
 * requested span and KPIs, which a later trigger or the recording's end may still complete.
 *
 * It owns the runs, the run in force, the announced trigger and the run-end timer. What a start or an end
 * means for the devices (dispatching, releasing, feed-forwards) it asks of the engine through `RunHooks`.
 */
import { requestedSpan } from '../kpi/index.js';
import type { EndReason, Trigger } from '../model.js';
import { describeTrigger, validateTrigger } from '../trigger/trigger.js';
import type { RunRecorder } from './run-recorder.js';
import { newRunRecord, runKpis } from './run-recorder.js';
import type { EngineContext, RunRecord } from './types.js';
import type { ControllerName } from '../controllers.js';

/** What the lifecycle asks of the engine when runs start and end. */
export interface RunHooks {
  /** Everything the EMS dispatched goes back to its own control. */
  releaseAll(why: string): void;
  /** A run is superseded: the devices pass to the next one without a release, the old control state does not. */
  handOver(): void;
  /** A run has started (its record is in force): reset the loop's state for it. */
  runStarting(): void;
  /** Dispatch now, for `reason` (a run's start, an announced trigger to prepare for). */
  dispatch(reason: string): void;
  /** A run has started: schedule what it knows in advance (its package steps). */
  runStarted(run: RunRecord): void;
  readonly hasPlanner: boolean;
  onRunEnded?(run: RunRecord): void;
}

export class RunLifecycle {
  readonly runs: RunRecord[] = [];
  run: RunRecord | null = null;
  pending: { trigger: Trigger; cancel: () => void } | null = null;
  private cancelRunEnd: (() => void) | null = null;
  private runSeq = 0;

  constructor(
    private readonly ctx: EngineContext,
    private readonly controller: ControllerName,
    private readonly recorder: RunRecorder,
    private readonly hooks: RunHooks,
  ) {}

  /** A trigger arrives (I-01). Refused triggers change nothing; accepted ones start now or at `startMs`. */
  handleTrigger(trigger: Trigger): { accepted: boolean; reason?: string } {
    const ctx = this.ctx;
    const refusal = validateTrigger(trigger, ctx.config.connectionLimitKw);
    if (refusal) {
      ctx.emit('trigger-refused', 'warning', `trigger ${trigger.id} refused: ${refusal}`, { triggerId: trigger.id });
      return { accepted: false, reason: refusal };
    }
    ctx.emit('trigger-received', 'info', describeTrigger(trigger), {
      triggerId: trigger.id,
      source: trigger.source,
      useCase: trigger.useCase,
      targetKw: trigger.targetKw,
      durationS: trigger.durationS,
      toleranceKw: trigger.toleranceKw,
      startAt: new Date(trigger.startMs).toISOString(),
      schedule: trigger.schedule?.map((p) => ({ from: new Date(p.fromMs).toISOString(), to: new Date(p.toMs).toISOString(), targetKw: p.targetKw })) ?? null,
    });
    // The next request ends an open-ended one whose run already ended (exhaustion, fault).
    this.finaliseRequests({ startMs: trigger.startMs, isStop: trigger.useCase === 0 }, null);
    if (this.pending) {
      this.pending.cancel();
      ctx.emit('trigger-received', 'info', `announced trigger ${this.pending.trigger.id} superseded before its start`, {
        triggerId: this.pending.trigger.id,
        supersededBy: trigger.id,
      });
      this.pending = null;
      // Its preparation ends with it (a new announced trigger plans its own).
      if (!this.run) this.hooks.releaseAll('announced trigger superseded');
    }
    if (trigger.startMs > ctx.clock.nowMs()) {
      const cancel = ctx.clock.schedule(trigger.startMs, () => {
        this.pending = null;
        this.begin(trigger);
      });
      this.pending = { trigger, cancel };
      // Plan at once: the time until the start is time to prepare.
      if (this.hooks.hasPlanner) this.hooks.dispatch('announced trigger');
    } else {
      this.begin(trigger);
    }
    return { accepted: true };
  }

  /** The target in force at `timeMs`, or null when no run is active. */
  targetKwAt(timeMs: number): number | null {
    const run = this.run;
    if (!run) return null;
    const t = run.trigger;
    switch (t.useCase) {
      case 1:
        return 0;
      case 2:
        return t.targetKw;
      case 3:
      case 4: {
        const pkg = t.schedule?.find((p) => timeMs >= p.fromMs && timeMs < p.toMs);
        return pkg ? pkg.targetKw : 0;
      }
      default:
        return null;
    }
  }

  private begin(trigger: Trigger): void {
    if (trigger.useCase === 0) {
      if (this.run) this.endRun('operator-stop');
      else this.hooks.releaseAll('stop');
      return;
    }
    if (this.run) {
      this.endRun('superseded', true);
      // The devices are handed over without a release; the old run's control state is not.
      this.hooks.handOver();
    }
    const now = this.ctx.clock.nowMs();
    const run = newRunRecord(`run-${String(++this.runSeq).padStart(3, '0')}`, trigger, this.controller, now, this.recorder.takePreparedPredictions(trigger));
    this.run = run;
    this.runs.push(run);
    this.hooks.runStarting();
    this.ctx.emit('run-started', 'info', `${run.runId}: use case ${trigger.useCase} started`, { triggerId: trigger.id });
    if (trigger.durationS !== null) {
      this.cancelRunEnd = this.ctx.clock.schedule(now + trigger.durationS * 1000, () => {
        if (this.run === run) this.endRun('duration-elapsed');
      });
    }
    this.hooks.dispatch('run start');
    this.hooks.runStarted(run);
  }

  /** Ends the run in force (nothing when none is): its record is closed and, unless superseded, everything released. */
  endRun(reason: EndReason, superseded = false): void {
    const run = this.run;
    if (!run) return;
    const now = this.ctx.clock.nowMs();
    run.endMs = now;
    run.endReason = reason;
    this.cancelRunEnd?.();
    this.cancelRunEnd = null;
    this.run = null;
    run.requested = requestedSpan({ trigger: run.trigger, endReason: reason, runEndMs: now, nextTriggerStartMs: null, recordingEndMs: reason === 'scenario-end' || reason === 'ems-stopped' ? now : null });
    run.kpis = runKpis(run, this.ctx.config.breakerPeriodS, this.ctx.safety.settleAllowanceS);
    const level = reason === 'fault' || reason === 'flex-exhausted' ? 'warning' : 'info';
    this.ctx.emit('run-ended', level, `${run.runId} ended: ${reason}`, { endReason: reason });
    if (!superseded) this.hooks.releaseAll(reason);
    this.hooks.onRunEnded?.(run);
  }

  /** The recording ends (`scenario-end`, `ems-stopped`): the announced trigger is dropped, the run in force ends. */
  finish(reason: 'scenario-end' | 'ems-stopped'): void {
    this.pending?.cancel();
    this.pending = null;
    // Whatever was dispatched — a run's, or a preparation's — is released before the engine falls silent.
    if (this.run) this.endRun(reason);
    else this.hooks.releaseAll('stop');
    // The recording ends here: a request with no end yet is counted up to now.
    this.finaliseRequests(null, this.ctx.clock.nowMs());
  }

  /**
   * Gives every ended run whose open-ended request had no end yet its end (the next trigger's start, or the
   * recording's end), cuts a request that ended early and is now withdrawn by the next trigger before its
   * own end (`requested-span.ts`), and recomputes the KPIs of every run it changed.
   */
  private finaliseRequests(next: { startMs: number; isStop: boolean } | null, recordingEndMs: number | null): void {
    for (const run of this.runs) {
      if (run.endMs === null || run.endReason === null) continue;
      const open = run.requested.endMs === null;
      const withdrawable = next !== null && (run.requested.basis === 'duration' || run.requested.basis === 'schedule') && next.startMs < run.requested.endMs!;
      if (!open && !withdrawable) continue;
      const span = requestedSpan({ trigger: run.trigger, endReason: run.endReason, runEndMs: run.endMs, nextTriggerStartMs: next?.startMs ?? null, nextTriggerIsStop: next?.isStop ?? false, recordingEndMs });
      if (span.endMs === run.requested.endMs && span.basis === run.requested.basis) continue;
      run.requested = span;
      run.kpis = runKpis(run, this.ctx.config.breakerPeriodS, this.ctx.safety.settleAllowanceS);
    }
  }
}
