/**
 * The engine's state machine and safety rules, as tables of events in and commands/events out, on a
 * virtual clock (time is leapt, never slept).
 */
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src-main/engine/clock.js';
import type { EngineConfig, ForecastResult } from '../../../src-main/engine/engine.js';
import { Engine } from '../../../src-main/engine/engine.js';
import type { EngineEvent, SetpointAck, SetpointCommand, Trigger } from '../../../src-main/engine/model.js';

const T0 = Date.parse('2026-06-21T10:00:00Z');
const S = 1000;

function config(over: Partial<EngineConfig> = {}): EngineConfig {
  return {
    controller: 'deadbeat',
    breakerPeriodS: 10,
    bessPeriodS: 10,
    dispatchPeriodS: 900,
    connectionLimitKw: 630,
    bess: { id: 'bess', powerKw: 300, energyKwh: 600, socInitPct: 50, socMinPct: 10, socMaxPct: 90, roundTripEfficiency: 0.9, setpointTtlS: 60 },
    households: [],
    heatPumps: [],
    ...over,
  };
}

type AckMode = 'ok' | 'reject' | 'silent';

/** `outdoorC`: a weather forecast of that constant temperature (default: none, the engine's fallback). */
function harness(over: Partial<EngineConfig> = {}, outdoorC?: number) {
  const clock = new VirtualClock(T0);
  const writes: SetpointCommand[] = [];
  const events: EngineEvent[] = [];
  let ackMode: AckMode = 'ok';
  const engine = new Engine(config(over), clock, {
    write(cmd: SetpointCommand, onAck: (a: SetpointAck) => void) {
      writes.push(cmd);
      if (ackMode === 'silent') return;
      const ok = ackMode === 'ok';
      clock.schedule(clock.nowMs() + 50, () => onAck({ commandId: cmd.commandId, assetId: cmd.assetId, ackMs: clock.nowMs(), ok, ...(ok ? {} : { error: 'rejected' }) }));
    },
    requestForecast(onResult: (r: ForecastResult) => void) {
      const hours = outdoorC === undefined ? [] : Array.from({ length: 48 }, (_, i) => T0 + (i - 1) * 3_600_000);
      onResult({ ok: true, timeMs: hours, tempC: hours.map(() => outdoorC!) });
    },
    emit: (e) => events.push(e),
  });
  engine.start();
  let bessKw = 0;
  let socPct = 50;
  let jitter = 0;
  const h = {
    clock,
    engine,
    writes,
    events,
    setAck: (m: AckMode) => (ackMode = m),
    setBess: (kw: number, soc = socPct) => {
      bessKw = kw;
      socPct = soc;
    },
    /**
     * Delivers a breaker sample taken now, arriving 1 s later, with the BESS reporting just before it. A
     * milliwatt of jitter keeps constant test values from looking like a stuck sensor.
     */
    sample(powerKw: number, exact = false) {
      const t = clock.nowMs();
      if (!exact) powerKw += ((jitter++ % 5) - 2) * 1e-3;
      engine.handleAssetReport({ assetId: 'bess', sampleMs: t, arrivalMs: t, powerKw: bessKw, socPct });
      clock.schedule(t + S, () => engine.handleBreakerSample({ sampleMs: t, arrivalMs: t + S, powerKw }));
    },
    /** Leaps `seconds`, sending a breaker sample every 10 s from `breakerKw(t)` (null = no sample). */
    run(seconds: number, breakerKw: ((tMs: number) => number | null) | null) {
      const end = clock.nowMs() + seconds * S;
      while (clock.nowMs() < end) {
        const kw = breakerKw ? breakerKw(clock.nowMs()) : null;
        if (kw !== null) h.sample(kw);
        clock.runUntil(Math.min(end, clock.nowMs() + 10 * S));
      }
    },
    trigger(t: Partial<Trigger>): { accepted: boolean; reason?: string } {
      const now = clock.nowMs();
      return engine.handleTrigger({
        id: 'T1',
        source: 'test',
        receivedMs: now,
        startMs: now,
        useCase: 2,
        targetKw: -100,
        durationS: 3600,
        toleranceKw: 10,
        schedule: null,
        ...t,
      });
    },
    types: () => events.map((e) => e.type),
    bessWrites: () => writes.filter((w) => w.assetId === 'bess'),
  };
  return h;
}

describe('Engine use-case state machine', () => {
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

describe('Engine safety rules', () => {
  it('ignores NaN samples and says so once per episode', () => {
    const h = harness();
    h.trigger({});
    h.run(20, () => -100);
    const before = h.bessWrites().length;
    h.run(30, () => NaN);
    expect(h.types().filter((t) => t === 'breaker-invalid')).toHaveLength(1);
    // No control decision was taken on a NaN (only the watchdog's hold renewals, if any, after staleness).
    expect(h.bessWrites().slice(before).every((w) => w.powerKw === h.bessWrites()[before - 1]!.powerKw)).toBe(true);
  });

  it('ignores a breaker sample that is not newer than the last one (out of order, re-sent): not recorded, not acted on, said once', () => {
    const h = harness();
    h.trigger({});
    h.run(30, () => -100);
    const run = h.engine.activeRun!;
    const n = run.samples.sampleTimeMs.length;
    const lastT = run.samples.sampleTimeMs[n - 1]!;
    const writes = h.bessWrites().length;
    // Two old samples arrive late (the second repeats the newest's time), with a value that would move the BESS.
    h.engine.handleBreakerSample({ sampleMs: lastT - 10 * S, arrivalMs: h.clock.nowMs(), powerKw: 300 });
    h.engine.handleBreakerSample({ sampleMs: lastT, arrivalMs: h.clock.nowMs(), powerKw: 300 });
    expect(run.samples.sampleTimeMs).toHaveLength(n);
    expect(h.bessWrites()).toHaveLength(writes);
    expect(h.types().filter((t) => t === 'breaker-out-of-order')).toHaveLength(1);
    // Newer samples are taken again.
    h.run(20, () => -100);
    expect(run.samples.sampleTimeMs.length).toBeGreaterThan(n);
    expect(Math.max(...run.samples.sampleTimeMs.slice(0, -1).map((t, i) => t - run.samples.sampleTimeMs[i + 1]!))).toBeLessThan(0);
  });

  it('refuses a sample stamped in the future, so that it cannot block every later one', () => {
    const h = harness();
    h.trigger({});
    h.run(30, () => -100);
    const run = h.engine.activeRun!;
    const n = run.samples.sampleTimeMs.length;
    h.engine.handleBreakerSample({ sampleMs: h.clock.nowMs() + 2 * 3_600_000, arrivalMs: h.clock.nowMs(), powerKw: -100 });
    expect(h.types()).toContain('breaker-implausible');
    h.run(30, () => -100);
    expect(run.samples.sampleTimeMs.length).toBeGreaterThan(n + 1);
    expect(h.types()).not.toContain('breaker-stale');
  });

  it('treats a breaker value beyond twice the connection limit (a 10× scale error) as invalid, kept as a gap', () => {
    const h = harness();
    h.trigger({});
    h.run(30, () => -100);
    const writes = h.bessWrites().length;
    const run = h.engine.activeRun!;
    const n = run.samples.measuredKw.length;
    h.run(30, () => -1000 * 10); // −10 MW at a 630 kW connection
    expect(h.types().filter((t) => t === 'breaker-implausible')).toHaveLength(1);
    expect(run.samples.measuredKw.slice(n).every((v) => Number.isNaN(v))).toBe(true);
    // No decision on it: at most the hold renewals of the last setpoint.
    expect(h.bessWrites().slice(writes).every((w) => w.powerKw === h.bessWrites()[writes - 1]!.powerKw)).toBe(true);
  });

  it('treats a value repeated exactly three times as a stuck sensor', () => {
    const h = harness();
    h.trigger({});
    for (let i = 0; i < 4; i++) {
      h.sample(-98.765, true);
      h.clock.runUntil(h.clock.nowMs() + 10 * S);
    }
    expect(h.types()).toContain('breaker-stuck');
  });

  it('bridges a breaker gap for at most the hold time, then goes to the safe state, then stops the run', () => {
    const h = harness();
    h.setBess(-40);
    h.trigger({});
    h.run(30, () => -60); // → BESS −80
    const held = h.bessWrites().at(-1)!.powerKw;
    h.run(35, null);
    expect(h.types()).toContain('breaker-stale');
    expect(h.bessWrites().at(-1)!.powerKw).toBe(held);
    h.run(60, null);
    expect(h.types()).toContain('safe-state');
    expect(h.bessWrites().at(-1)!.powerKw).toBeNull();
    expect(h.engine.activeRun).not.toBeNull();
    h.run(300, null);
    expect(h.engine.runs[0]!.endReason).toBe('fault');
  });

  it('resumes control when valid samples return', () => {
    const h = harness();
    h.trigger({});
    h.run(20, () => -100);
    h.run(40, null);
    h.run(20, () => -100);
    expect(h.types()).toContain('breaker-restored');
    expect(h.engine.activeRun).not.toBeNull();
  });

  it('counts missing acknowledgements: ack-timeout, then asset-lost, then restored', () => {
    const h = harness();
    h.trigger({});
    h.setAck('silent');
    h.run(40, () => -100);
    expect(h.types()).toContain('ack-timeout');
    expect(h.types()).toContain('asset-lost');
    expect(h.engine.snapshot().assets[0]!.link).toBe('lost');
    h.setAck('ok');
    h.run(20, () => -100);
    expect(h.types()).toContain('asset-restored');
    expect(h.engine.snapshot().assets[0]!.link).toBe('ok');
  });

  it('logs a rejected write once per episode and takes the asset out of the band', () => {
    const h = harness();
    h.trigger({});
    h.setAck('reject');
    h.run(60, () => -100);
    expect(h.types().filter((t) => t === 'setpoint-rejected')).toHaveLength(1);
    expect(h.engine.snapshot().assets[0]!.link).toBe('rejecting');
  });

  it('ends the run flex-exhausted when the BESS is at its limit and the error persists', () => {
    const h = harness();
    h.setBess(0, 90); // full: cannot charge
    h.trigger({ targetKw: -100 });
    h.run(120, () => -150); // too much export; the BESS would have to charge
    expect(h.types()).toContain('flex-exhaustion-warning');
    expect(h.types()).toContain('flex-exhausted');
    expect(h.engine.runs[0]!.endReason).toBe('flex-exhausted');
  });

  it('keeps the run in force while the BESS is only at its power limit, and ends it once it is full', () => {
    // gen-s1-0024/run-001: a two-minute cloud had the BESS at its power limit for 60 s and ended a run the
    // bound holds 97 % of at 15 %. A shortage at the power limit passes; only a store at its limit is out.
    const h = harness();
    h.trigger({ targetKw: -100, durationS: 900 });
    h.setBess(300, 50); // charging at its 300 kW rating, half full
    h.run(180, () => -600); // 500 kW too much export for three minutes
    expect(h.types()).toContain('flex-exhaustion-warning');
    expect(h.types()).not.toContain('flex-exhausted');
    expect(h.engine.activeRun?.runId).toBe('run-001');
    h.setBess(0, 50);
    h.run(120, () => -100); // the shortage passes: held again, same run
    expect(h.engine.activeRun?.runId).toBe('run-001');
    // Full while the surplus is back: exhausted, after the confirmation time counted from being full.
    h.setBess(300, 90);
    h.run(50, () => -600);
    expect(h.types()).not.toContain('flex-exhausted');
    h.run(30, () => -600);
    expect(h.types()).toContain('flex-exhausted');
    expect(h.engine.runs[0]!.endReason).toBe('flex-exhausted');
  });

  it('ends the run when the BESS stays at its power limit for a whole dispatch period', () => {
    const h = harness();
    h.trigger({ targetKw: -100, durationS: 3600 });
    h.setBess(300, 50);
    h.run(880, () => -600);
    expect(h.types()).not.toContain('flex-exhausted');
    h.run(40, () => -600);
    expect(h.types()).toContain('flex-exhausted');
    expect(h.engine.runs[0]!.endReason).toBe('flex-exhausted');
  });

  it('records one KPI sample per breaker sample of the run, invalid ones as NaN', () => {
    const h = harness();
    h.trigger({ durationS: 60 });
    let k = 0;
    h.run(70, () => (k++ === 2 ? NaN : -100));
    const s = h.engine.runs[0]!.samples;
    expect(s.measuredKw.length).toBe(6);
    expect(s.measuredKw.filter((x) => Number.isNaN(x))).toHaveLength(1);
    expect(h.engine.runs[0]!.kpis!.samples.invalid).toBe(1);
  });
});

describe('Engine link bookkeeping', () => {
  it('a write that times out after the asset answered a later one does not lose the asset again', () => {
    const h = harness({ safety: { ackTimeoutS: 25 } });
    h.trigger({});
    // Writes issued during a short silence are answered never; the next one is answered.
    h.setAck('silent');
    h.run(20, () => -100);
    h.setAck('ok');
    h.run(60, () => -100);
    // The two silent writes' timeouts fall after the answered write: no ack-timeout, no asset-lost.
    expect(h.types()).not.toContain('asset-lost');
    expect(h.types()).not.toContain('ack-timeout');
    expect(h.engine.snapshot().assets[0]!.link).toBe('ok');
  });
});

describe('Engine review findings', () => {
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

describe('Engine heat-pump switching', () => {
  it('counts a heat pump’s minimum on time from the acknowledged switch, not from its next 15-minute report', () => {
    const h = harness({
      controller: 'lfc',
      dispatchPeriodS: 60,
      heatPumps: [{ id: 'hp-01', powerKw: 3, cop: 3, capacityKwhPerK: 4, lossKwPerK: 0.15, indoorInitC: 21, indoorMinC: 20, indoorMaxC: 22.5, minOnS: 1800, minOffS: 60 }],
    });
    // Its last report: off for an hour.
    h.engine.handleAssetReport({ assetId: 'hp-01', sampleMs: T0, arrivalMs: T0, powerKw: 0, on: false, indoorC: 21, msSinceSwitch: 3_600_000 });
    // The BESS charges hard to hold an import target: the dispatch switches the heat pump on to help.
    h.setBess(150);
    h.trigger({ targetKw: 50 });
    h.run(120, () => 50);
    const hpWrites = () => h.writes.filter((w) => w.assetId === 'hp-01');
    expect(hpWrites().some((w) => w.powerKw === 3)).toBe(true);
    // Then the BESS discharges: fewer consumers are wanted, but the pump switched on a minute ago is not
    // switched off (its report, still saying "off for an hour", would have allowed it; the device would refuse).
    h.setBess(-150);
    h.run(600, () => 50);
    expect(hpWrites().filter((w) => w.powerKw === 0)).toEqual([]);
    // It was released to its thermostat meanwhile; the EMS still takes it as on (its own switch, acknowledged),
    // not as the report from before the switch said.
    expect(hpWrites().at(-1)!.powerKw).toBeNull();
    const onAtMin = (hpWrites().find((w) => w.powerKw === 3)!.issuedMs + 50 - T0) / 60_000;
    const nowMin = (h.clock.nowMs() - T0) / 60_000;
    const after = (fromC: number, on: boolean, minutes: number): number => {
      const eqC = 10 + (on ? 9 / 0.15 : 0);
      return eqC + (fromC - eqC) * Math.exp((-0.15 * minutes) / 60 / 4);
    };
    expect(h.engine.heatPumpIndoorEstimateC('hp-01')).toBeCloseTo(after(after(21, false, onAtMin), true, nowMin - onAtMin), 9);
  });
});

describe('Engine heat-pump minimum-time switches', () => {
  const hp = (id: string) => ({ id, powerKw: 4.5, cop: 3, capacityKwhPerK: 8, lossKwPerK: 0.18, indoorInitC: 21, indoorMinC: 19.5, indoorMaxC: 22.5, minOnS: 900, minOffS: 900 });

  it('counters a locked fleet’s switch with the BESS by the breaker sample that first shows it, not before', () => {
    const h = harness({ controller: 'lfc', dispatchPeriodS: 900, heatPumps: [hp('hp-01'), hp('hp-02')] });
    // Last reports: on for an hour, free to switch (stale: the thermostats have switched both off and on since).
    for (const id of ['hp-01', 'hp-02']) h.engine.handleAssetReport({ assetId: id, sampleMs: T0, arrivalMs: T0, powerKw: 4.5, on: true, indoorC: 21, msSinceSwitch: 3_600_000 });
    h.setBess(-200);
    h.run(20, () => 0);
    h.trigger({ targetKw: 0 });
    h.run(30, () => 0);
    const hpOff = h.writes.filter((w) => w.assetId.startsWith('hp-') && w.powerKw === 0);
    expect(hpOff.length).toBe(2);
    // The BESS discharges: fewer consumers are wanted, both are told off. A report then shows both still on,
    // switched on 600 s before it by their thermostats: locked for 300 s more.
    const reportMs = h.clock.nowMs();
    for (const id of ['hp-01', 'hp-02']) h.engine.handleAssetReport({ assetId: id, sampleMs: reportMs, arrivalMs: reportMs, powerKw: 4.5, on: true, indoorC: 21, msSinceSwitch: 600_000 });
    const lockEndMs = reportMs + 300_000;
    const before = h.bessWrites().length;
    h.run(280, () => 0);
    const lockWrites = () => h.bessWrites().slice(before).filter((w) => w.issuedMs > lockEndMs - 10_000 && w.issuedMs < lockEndMs);
    expect(lockWrites()).toEqual([]);
    h.run(40, () => 0);
    // One extra write inside the last breaker period before the switch shows, raising the BESS by the fleet's 9 kW.
    const extra = lockWrites().filter((w) => !h.bessWrites().slice(0, before).includes(w));
    expect(extra.length).toBeGreaterThanOrEqual(1);
    const ff = extra.at(-1)!;
    const prior = h.bessWrites().filter((w) => w.issuedMs < ff.issuedMs).at(-1)!;
    expect(ff.powerKw! - prior.powerKw!).toBeCloseTo(9, 6);
  });

  it('drops the counter when the EMS has released the pumps before the moment comes', () => {
    const h = harness({ controller: 'lfc', dispatchPeriodS: 900, heatPumps: [hp('hp-01')] });
    h.engine.handleAssetReport({ assetId: 'hp-01', sampleMs: T0, arrivalMs: T0, powerKw: 4.5, on: true, indoorC: 21, msSinceSwitch: 3_600_000 });
    h.setBess(-200);
    h.run(20, () => 0);
    h.trigger({ targetKw: 0, durationS: 120 });
    h.run(30, () => 0);
    expect(h.writes.filter((w) => w.assetId === 'hp-01' && w.powerKw === 0).length).toBe(1);
    const reportMs = h.clock.nowMs();
    h.engine.handleAssetReport({ assetId: 'hp-01', sampleMs: reportMs, arrivalMs: reportMs, powerKw: 4.5, on: true, indoorC: 21, msSinceSwitch: 600_000 });
    // The run ends after 120 s and everything is released: no feed-forward 300 s later.
    h.run(400, () => 0);
    expect(h.bessWrites().filter((w) => w.issuedMs > reportMs + 200_000 && w.powerKw !== null && w.powerKw !== 0)).toEqual([]);
  });
});

describe('Engine package steps', () => {
  it('moves the BESS by a package’s step ahead of the first breaker sample that shows it, not before the one before', () => {
    const h = harness({ controller: 'lfc' });
    h.run(20, () => 0);
    const startMs = h.clock.nowMs();
    const pkgFromMs = startMs + 300_000;
    h.trigger({ useCase: 3, targetKw: null, durationS: 900, schedule: [{ fromMs: pkgFromMs, toMs: startMs + 600_000, targetKw: 150 }] });
    h.run(330, () => 0);
    const ahead = h.bessWrites().filter((w) => w.issuedMs > pkgFromMs - 10_000 && w.issuedMs < pkgFromMs);
    // The loop's own write after the sample before the step, then the step itself.
    const step = ahead.at(-1)!;
    const before = h.bessWrites().filter((w) => w.issuedMs < step.issuedMs).at(-1)!;
    expect(step.powerKw! - before.powerKw!).toBeCloseTo(150, 6);
    // And the package's end, back by 150 kW, the same way.
    h.run(300, () => 0);
    const endMs = startMs + 600_000;
    const back = h.bessWrites().filter((w) => w.issuedMs > endMs - 10_000 && w.issuedMs < endMs).at(-1)!;
    const prior = h.bessWrites().filter((w) => w.issuedMs < back.issuedMs).at(-1)!;
    expect(back.powerKw! - prior.powerKw!).toBeCloseTo(-150, 6);
  });

  it('does nothing ahead for deadbeat, which is the reference without foresight', () => {
    const h = harness({ controller: 'deadbeat' });
    h.run(20, () => 0);
    const startMs = h.clock.nowMs();
    h.trigger({ useCase: 3, targetKw: null, durationS: 900, schedule: [{ fromMs: startMs + 300_000, toMs: startMs + 600_000, targetKw: 150 }] });
    h.run(330, () => 0);
    const ahead = h.bessWrites().filter((w) => w.issuedMs > startMs + 291_000 && w.issuedMs < startMs + 300_000);
    expect(ahead).toEqual([]);
  });
});

describe('Engine heat-pump indoor estimate', () => {
  const hp = { id: 'hp-01', powerKw: 3, cop: 3, capacityKwhPerK: 4, lossKwPerK: 0.15, indoorInitC: 21, indoorMinC: 20, indoorMaxC: 22.5, minOnS: 600, minOffS: 600 };
  // Outdoor 10 °C (the engine's fallback without a forecast); C = 4 kWh/K, UA = 0.15 kW/K, heat 9 kW when on.
  const after = (fromC: number, on: boolean, minutes: number): number => {
    const eqC = 10 + (on ? 9 / 0.15 : 0);
    return eqC + (fromC - eqC) * Math.exp((-0.15 * minutes) / 60 / 4);
  };

  it('carries the last report forward with the house’s thermal model, through the EMS’s own switch', () => {
    const h = harness({ controller: 'lfc', dispatchPeriodS: 60, heatPumps: [hp] }, 10);
    h.engine.handleAssetReport({ assetId: 'hp-01', sampleMs: T0, arrivalMs: T0, powerKw: 0, on: false, indoorC: 21, msSinceSwitch: 3_600_000 });
    h.clock.runUntil(T0 + 30 * 60_000);
    expect(h.engine.heatPumpIndoorEstimateC('hp-01')).toBeCloseTo(after(21, false, 30), 9);
    // A dispatch switches it on (acknowledged 50 ms after it was sent): off until then, on after.
    h.setBess(150);
    h.trigger({ targetKw: 50 });
    h.run(120, () => 50);
    const on = h.writes.find((w) => w.assetId === 'hp-01' && w.powerKw === 3)!;
    const ackMin = (on.issuedMs + 50 - T0) / 60_000;
    const nowMin = (h.clock.nowMs() - T0) / 60_000;
    expect(h.engine.heatPumpIndoorEstimateC('hp-01')).toBeCloseTo(after(after(21, false, ackMin), true, nowMin - ackMin), 9);
    // A report sampled before the switch arrives late: it does not undo the switch.
    h.engine.handleAssetReport({ assetId: 'hp-01', sampleMs: on.issuedMs - 1000, arrivalMs: h.clock.nowMs(), powerKw: 0, on: false, indoorC: after(21, false, ackMin - 1 / 60), msSinceSwitch: 3_600_000 });
    const nowMin2 = (h.clock.nowMs() - on.issuedMs + 1000) / 60_000;
    const switchedMin = (50 + 1000) / 60_000;
    expect(h.engine.heatPumpIndoorEstimateC('hp-01')).toBeCloseTo(after(after(after(21, false, ackMin - 1 / 60), false, switchedMin), true, nowMin2 - switchedMin), 9);
    // Released to its thermostat, it is still believed on until it reports otherwise; and the estimate never
    // leaves the comfort band (the device's own override keeps the house inside it).
    h.setBess(-150);
    h.run(3 * 3600, () => 50);
    // Through every acknowledged switch since the (late) report, each 50 ms after its write.
    const inBand = (t: number): number => Math.min(22.5, Math.max(20, t));
    let tempC = after(21, false, ackMin - 1 / 60);
    let state = false;
    let fromMs = on.issuedMs - 1000;
    const switches = h.writes.filter((w) => w.assetId === 'hp-01' && w.powerKw !== null);
    expect(new Set(switches.map((w) => w.powerKw)).size).toBe(2);
    for (const w of switches) {
      if (w.powerKw! > 0 === state) continue;
      tempC = inBand(after(tempC, state, (w.issuedMs + 50 - fromMs) / 60_000));
      state = w.powerKw! > 0;
      fromMs = w.issuedMs + 50;
    }
    expect(h.engine.heatPumpIndoorEstimateC('hp-01')).toBeCloseTo(inBand(after(tempC, state, (h.clock.nowMs() - fromMs) / 60_000)), 9);
    // A new report replaces the estimate.
    h.engine.handleAssetReport({ assetId: 'hp-01', sampleMs: h.clock.nowMs(), arrivalMs: h.clock.nowMs(), powerKw: 3, on: true, indoorC: 20.6, msSinceSwitch: 60_000 });
    expect(h.engine.heatPumpIndoorEstimateC('hp-01')).toBeCloseTo(20.6, 9);
  });
  it('keeps a switch made at the very moment a report was sampled (the report shows the state before it)', () => {
    const h = harness({ controller: 'lfc', dispatchPeriodS: 60, heatPumps: [hp] }, 10);
    h.engine.handleAssetReport({ assetId: 'hp-01', sampleMs: T0, arrivalMs: T0, powerKw: 0, on: false, indoorC: 21, msSinceSwitch: 3_600_000 });
    h.setBess(150);
    h.trigger({ targetKw: 50 });
    h.run(120, () => 50);
    const on = h.writes.find((w) => w.assetId === 'hp-01' && w.powerKw === 3)!;
    const switchMs = on.issuedMs + 50;
    const tempAtSwitch = after(21, false, (switchMs - T0) / 60_000);
    h.engine.handleAssetReport({ assetId: 'hp-01', sampleMs: switchMs, arrivalMs: h.clock.nowMs(), powerKw: 0, on: false, indoorC: tempAtSwitch, msSinceSwitch: 3_600_000 });
    expect(h.engine.heatPumpIndoorEstimateC('hp-01')).toBeCloseTo(after(tempAtSwitch, true, (h.clock.nowMs() - switchMs) / 60_000), 9);
    // …and the switch's minimum on time: the discharging BESS does not get it switched off.
    h.setBess(-150);
    h.run(300, () => 50);
    expect(h.writes.filter((w) => w.assetId === 'hp-01' && w.powerKw === 0)).toEqual([]);
  });

  it('without a weather forecast, takes no comfort bound for granted (a hot day may hold the house above it)', () => {
    const h = harness({ controller: 'lfc', heatPumps: [hp] });
    h.engine.handleAssetReport({ assetId: 'hp-01', sampleMs: T0, arrivalMs: T0, powerKw: 0, on: false, indoorC: 23, msSinceSwitch: 3_600_000 });
    h.clock.runUntil(T0 + 10 * 60_000);
    expect(h.engine.heatPumpIndoorEstimateC('hp-01')).toBeCloseTo(after(23, false, 10), 9);
    expect(h.engine.heatPumpIndoorEstimateC('hp-01')).toBeGreaterThan(22.5);
  });
});
