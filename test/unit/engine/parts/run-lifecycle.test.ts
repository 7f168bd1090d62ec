/**
 * The run lifecycle: accept, announce, supersede, stop, refuse, end reasons (through the Engine, as the rest of the house drives it).
 * Tables of events in and commands/events out, on a virtual clock (time is leapt, never slept).
 */
import { describe, expect, it } from 'vitest';
import { AssetBook } from '../../../../src-main/engine/parts/asset-book.js';
import { RunLifecycle } from '../../../../src-main/engine/parts/run-lifecycle.js';
import { RunRecorder } from '../../../../src-main/engine/parts/run-recorder.js';
import { VirtualClock } from '../../../../src-main/engine/clock.js';
import { Engine } from '../../../../src-main/engine/engine.js';
import type { SetpointCommand, Trigger } from '../../../../src-main/engine/model.js';
import { config, harness, partContext, S, T0 } from './harness.js';

describe('Engine run lifecycle: use cases', () => {
  it('starts a use-case-2 run at once and drives the BESS by the deadbeat law', () => {
    const h = harness();
    h.setBess(20);
    expect(h.trigger({ targetKw: -100 }).accepted).toBe(true);
    expect(h.engine.activeRun?.trigger.useCase).toBe(2);
    h.sample(-60); // error +40 kW → BESS 20 − 40 = −20 kW
    h.clock.runUntil(h.clock.nowMs() + 2 * S);
    const last = h.bessWrites().at(-1)!;
    expect(last.powerKw).toBeCloseTo(-20, 2);
    expect(last.expiresMs).toBe(last.issuedMs + 60 * S);
    expect(last.runId).toBe('run-001');
  });

  it('ends the run when its duration elapses and releases the BESS', () => {
    const h = harness();
    h.trigger({ durationS: 120 });
    h.run(130, () => -100);
    expect(h.engine.activeRun).toBeNull();
    const run = h.engine.runs[0]!;
    expect(run.endReason).toBe('duration-elapsed');
    expect(run.endMs! - run.startMs).toBe(120 * S);
    expect(h.bessWrites().at(-1)!.powerKw).toBeNull();
    expect(run.kpis?.accuracy.maeKw).toBeCloseTo(0, 2);
  });

  it('holds an announced trigger until its start, keeping what runs before', () => {
    const h = harness();
    h.trigger({ startMs: T0 + 600 * S });
    expect(h.engine.activeRun).toBeNull();
    expect(h.engine.snapshot().pendingTrigger?.startMs).toBe(T0 + 600 * S);
    h.run(599, () => 0);
    expect(h.engine.activeRun).toBeNull();
    h.run(2, () => 0);
    expect(h.engine.activeRun?.startMs).toBe(T0 + 600 * S);
  });

  it('a new trigger supersedes the running one; use case 0 is an operator stop', () => {
    const h = harness();
    h.trigger({ id: 'A' });
    h.run(30, () => -100);
    h.trigger({ id: 'B', targetKw: -50 });
    expect(h.engine.runs[0]!.endReason).toBe('superseded');
    expect(h.engine.activeRun?.trigger.id).toBe('B');
    h.run(30, () => -50);
    h.trigger({ id: 'C', useCase: 0, targetKw: null, durationS: null });
    expect(h.engine.runs[1]!.endReason).toBe('operator-stop');
    expect(h.engine.activeRun).toBeNull();
    expect(h.bessWrites().at(-1)!.powerKw).toBeNull();
    // Both requests were withdrawn where the next trigger came: the shares are of what was asked, so far.
    const [a, b] = h.engine.runs;
    expect(a!.requested).toEqual({ startMs: a!.startMs, endMs: a!.endMs, basis: 'superseded' });
    expect(b!.requested).toEqual({ startMs: b!.startMs, endMs: b!.endMs, basis: 'operator-stop' });
    expect(a!.kpis!.availability.requestedBasis).toBe('superseded');
    expect(a!.kpis!.availability.requestedS).toBeCloseTo(30, 0);
  });

  it.each([
    [{ targetKw: NaN }, 'finite targetKw'],
    [{ targetKw: 700 }, 'beyond the connection limit'],
    [{ durationS: null }, 'positive durationS'],
    [{ useCase: 3 as const, schedule: [] }, 'needs a schedule'],
    [{ toleranceKw: -1 }, 'toleranceKw must be a positive number'],
    [{ startMs: T0 - 1000 }, 'startAt must not be before'],
  ])('refuses %o and changes nothing', (t, reason) => {
    const h = harness();
    const answer = h.trigger(t as Partial<Trigger>);
    expect(answer.accepted).toBe(false);
    expect(answer.reason).toContain(reason);
    expect(h.engine.activeRun).toBeNull();
    expect(h.types()).toContain('trigger-refused');
    expect(h.writes).toHaveLength(0);
  });

  it('use case 3 holds each package target and 0 kW outside', () => {
    const h = harness();
    h.trigger({
      useCase: 3,
      targetKw: null,
      durationS: null,
      schedule: [{ fromMs: T0 + 600 * S, toMs: T0 + 1200 * S, targetKw: 200 }],
    });
    expect(h.engine.targetKwAt(T0 + 100 * S)).toBe(0);
    expect(h.engine.targetKwAt(T0 + 600 * S)).toBe(200);
    expect(h.engine.targetKwAt(T0 + 1200 * S)).toBe(0);
  });
});

describe('Engine run lifecycle: refusals and releases', () => {
  it.each([
    [{ durationS: 8 * 86_400 }, 'at most 604800 s'],
    [{ toleranceKw: 1000 }, 'wider than the connection limit'],
    [{ startMs: T0 + 40 * 86_400_000 }, 'at most 30 days ahead'],
    [{ useCase: 3 as const, targetKw: null, durationS: null, schedule: [{ fromMs: T0 + 2000, toMs: T0 + 1000, targetKw: 100 }] }, 'end after it starts'],
    [{ useCase: 4 as const, targetKw: null, durationS: null, schedule: [{ fromMs: T0, toMs: T0 + 1000, targetKw: 100 }] }, 'use case 4 packages export'],
  ])('refuses %o', (t, reason) => {
    const h = harness();
    const answer = h.trigger(t as Partial<Trigger>);
    expect(answer.accepted).toBe(false);
    expect(answer.reason).toContain(reason);
  });

  it('a stop releases a dispatch whose acknowledgement is still in flight', () => {
    const clock = new VirtualClock(T0);
    const writes: SetpointCommand[] = [];
    const engine = new Engine(
      config({
        controller: 'lfc',
        households: [{ id: 'hs-01', powerKw: 5, energyKwh: 10, socInitPct: 50, socMinPct: 5, socMaxPct: 95, roundTripEfficiency: 0.9, setpointTtlS: 1800 }],
      }),
      clock,
      {
        // A slow vendor cloud: every acknowledgement takes 2 s.
        write(cmd, onAck) {
          writes.push(cmd);
          clock.schedule(clock.nowMs() + 2000, () => onAck({ commandId: cmd.commandId, assetId: cmd.assetId, ackMs: clock.nowMs(), ok: true }));
        },
        requestForecast: (cb) => cb({ ok: true, timeMs: [], tempC: [] }),
        emit: () => {},
      },
    );
    engine.start();
    // The BESS has been charging on average: the run-start dispatch asks the household battery to help.
    for (let t = 0; t < 60; t++) engine.handleAssetReport({ assetId: 'bess', sampleMs: T0 + t * 1000 - 60_000, arrivalMs: T0, powerKw: 100, socPct: 50 });
    engine.handleTrigger({ id: 'A', source: 'test', receivedMs: T0, startMs: T0, useCase: 2, targetKw: -100, durationS: 3600, toleranceKw: 10, schedule: null });
    const dispatched = writes.find((w) => w.assetId === 'hs-01' && w.powerKw !== null);
    expect(dispatched).toBeDefined();
    // Stop before that write is acknowledged.
    clock.runUntil(T0 + 1000);
    engine.handleTrigger({ id: 'B', source: 'test', receivedMs: T0 + 1000, startMs: T0 + 1000, useCase: 0, targetKw: null, durationS: null, toleranceKw: 10, schedule: null });
    expect(writes.filter((w) => w.assetId === 'hs-01').at(-1)!.powerKw).toBeNull();
  });

  it('finish() releases what a run dispatched', () => {
    const h = harness();
    h.trigger({});
    h.run(20, () => -100);
    h.engine.finish();
    expect(h.bessWrites().at(-1)!.powerKw).toBeNull();
  });
});

describe('RunLifecycle on its own', () => {
  function lifecycle(hasPlanner: boolean) {
    const { ctx, clock, events } = partContext();
    const calls: string[] = [];
    const lc = new RunLifecycle(ctx, 'lfc', new RunRecorder(ctx, new AssetBook(ctx)), {
      releaseAll: (why) => calls.push(`release ${why}`),
      handOver: () => calls.push('hand over'),
      runStarting: () => calls.push('run starting'),
      dispatch: (reason) => calls.push(`dispatch ${reason}`),
      runStarted: (run) => calls.push(`started ${run.runId}`),
      hasPlanner,
      onRunEnded: (run) => calls.push(`ended ${run.runId} ${run.endReason}`),
    });
    const trigger = (over: Partial<Trigger> = {}): Trigger => ({ id: 'T', source: 'test', receivedMs: clock.nowMs(), startMs: clock.nowMs(), useCase: 2, targetKw: -100, durationS: 60, toleranceKw: 10, schedule: null, ...over });
    return { lc, clock, events, calls, trigger };
  }

  it('asks the engine to start, supersede without a release, and end with one, in that order', () => {
    const h = lifecycle(false);
    h.lc.handleTrigger(h.trigger({ id: 'A' }));
    h.clock.runUntil(T0 + 10_000);
    h.lc.handleTrigger(h.trigger({ id: 'B' }));
    h.clock.runUntil(T0 + 80_000);
    expect(h.calls).toEqual([
      'run starting', 'dispatch run start', 'started run-001',
      'ended run-001 superseded', 'hand over', 'run starting', 'dispatch run start', 'started run-002',
      'release duration-elapsed', 'ended run-002 duration-elapsed',
    ]);
    expect(h.lc.runs.map((r) => r.kpis !== null)).toEqual([true, true]);
  });

  it('refuses without asking anything; an announced trigger is planned for at once only with a planner', () => {
    const h = lifecycle(true);
    expect(h.lc.handleTrigger(h.trigger({ toleranceKw: 0 })).accepted).toBe(false);
    expect(h.calls).toEqual([]);
    h.lc.handleTrigger(h.trigger({ startMs: T0 + 60_000 }));
    expect(h.calls).toEqual(['dispatch announced trigger']);
    expect(h.lc.pending?.trigger.startMs).toBe(T0 + 60_000);
    expect(h.events.map((e) => e.type)).toEqual(['trigger-refused', 'trigger-received']);
  });
});
