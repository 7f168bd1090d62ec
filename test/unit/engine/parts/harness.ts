/**
 * The engine on a virtual clock, for the tests of its parts: a breaker and a BESS the test drives, every
 * write acknowledged (or rejected, or not answered) after 50 ms, and the events and writes it made. Time is
 * leapt, never slept.
 */
import { VirtualClock } from '../../../../src-main/engine/clock.js';
import type { EngineConfig, ForecastResult } from '../../../../src-main/engine/engine.js';
import { Engine } from '../../../../src-main/engine/engine.js';
import type { EngineEvent, SetpointAck, SetpointCommand, Trigger } from '../../../../src-main/engine/model.js';
import type { BessLoopDeps } from '../../../../src-main/engine/parts/bess-loop.js';
import type { EngineContext, RunRecord } from '../../../../src-main/engine/parts/types.js';
import { defaultSafety } from '../../../../src-main/engine/parts/types.js';

export const T0 = Date.parse('2026-06-21T10:00:00Z');
export const S = 1000;

export function config(over: Partial<EngineConfig> = {}): EngineConfig {
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
export function harness(over: Partial<EngineConfig> = {}, outdoorC?: number) {
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

/** A bare engine context on a virtual clock at T0, for testing one part on its own: its events land in `events`. */
export function partContext(over: Partial<EngineConfig> = {}): { ctx: EngineContext; clock: VirtualClock; events: EngineEvent[] } {
  const clock = new VirtualClock(T0);
  const events: EngineEvent[] = [];
  const cfg = config(over);
  const ctx: EngineContext = {
    config: cfg,
    safety: { ...defaultSafety(cfg.breakerPeriodS), ...cfg.safety },
    clock,
    emit: (type, level, message, data, assetId) => events.push({ timeMs: clock.nowMs(), type, level, message, runId: null, data, ...(assetId !== undefined ? { assetId } : {}) }),
  };
  return { ctx, clock, events };
}

/** The BESS loop's dependencies as a test without the rest of the engine gives them: a run, a target of −100 kW, no plan. */
export function loopDeps(run: () => RunRecord | null): BessLoopDeps {
  return {
    run,
    targetKwAt: () => -100,
    plan: () => null,
    lastDispatchMs: () => -Infinity,
    hasPlanner: false,
    dispatch: () => {},
    curtailAllForShortage: () => {},
    endRun: () => {},
    afterCycle: () => {},
  };
}
