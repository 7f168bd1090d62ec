/**
 * The breaker guard: which samples count, and what a gap leads to.
 * Tables of events in and commands/events out, on a virtual clock (time is leapt, never slept).
 */
import { describe, expect, it } from 'vitest';
import { harness, partContext, S, T0 } from './harness.js';
import { BreakerGuard } from '../../../../src-main/engine/parts/breaker-guard.js';

describe('Engine breaker guard', () => {
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
});

describe('BreakerGuard on its own', () => {
  it('judges samples: good, NaN, implausible, stuck from the third repeat, out of order, in the future', () => {
    const { ctx } = partContext();
    const g = new BreakerGuard(ctx);
    const at = (s: number, kw: number) => g.screen({ sampleMs: T0 + s * 1000, arrivalMs: T0 + s * 1000, powerKw: kw });
    expect([at(-50, 1), at(-40, NaN), at(-30, 5000), at(-20, 2), at(-10, 2), at(0, 2), at(-5, 3), at(120, 3)]).toEqual([
      'valid', 'invalid', 'invalid', 'valid', 'valid', 'invalid', 'ignored', 'ignored',
    ]);
  });

  it('turns a gap into hold, then the safe state, then a fault — only while something is in force', () => {
    const { ctx, events } = partContext();
    const g = new BreakerGuard(ctx);
    const tick = (s: number, running = true) => g.checkFreshness(T0 + s * 1000, running, false);
    expect(tick(20)).toBe('none');
    expect(tick(30, false)).toBe('none');
    expect(g.stale).toBe(true);
    expect(tick(40)).toBe('hold');
    expect(g.controlling).toBe(false);
    expect(tick(90)).toBe('safe-state');
    expect(tick(100)).toBe('none');
    expect(tick(301)).toBe('fault');
    expect(events.map((e) => e.type)).toEqual(['breaker-stale', 'safe-state', 'safe-state']);
    g.restore({ sampleMs: T0 + 302_000, arrivalMs: T0 + 302_000, powerKw: 1 });
    expect(g.controlling).toBe(true);
    expect(events.at(-1)!.type).toBe('breaker-restored');
  });
});
