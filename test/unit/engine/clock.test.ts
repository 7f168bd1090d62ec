/**
 * VirtualClock: the discrete-event clock every replay runs on. Events fire in (time, insertion) order,
 * cancelled events never fire, and runUntil fires everything up to and including its time, then leaps there.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../src-main/engine/clock.js';

const T0 = Date.UTC(2026, 0, 20, 11, 0, 0);

describe('VirtualClock', () => {
  it('fires by time, and events at the same instant in the order they were scheduled', () => {
    const c = new VirtualClock(T0);
    const fired: string[] = [];
    c.schedule(T0 + 30, () => fired.push('30'));
    c.schedule(T0 + 10, () => fired.push('10a'));
    c.schedule(T0 + 20, () => fired.push('20'));
    c.schedule(T0 + 10, () => fired.push('10b'));
    c.schedule(T0 + 10, () => fired.push('10c'));
    c.runUntil(T0 + 100);
    expect(fired).toEqual(['10a', '10b', '10c', '20', '30']);
  });

  it('nowMs() is the event time inside a callback, and untilMs after runUntil', () => {
    const c = new VirtualClock(T0);
    const seen: number[] = [];
    c.schedule(T0 + 5_000, () => seen.push(c.nowMs()));
    c.schedule(T0 + 7_000, () => seen.push(c.nowMs()));
    c.runUntil(T0 + 60_000);
    expect(seen).toEqual([T0 + 5_000, T0 + 7_000]);
    expect(c.nowMs()).toBe(T0 + 60_000);
  });

  it('runUntil is inclusive of its time and leaves later events pending', () => {
    const c = new VirtualClock(T0);
    const fired: number[] = [];
    for (const dt of [1000, 2000, 2001]) c.schedule(T0 + dt, () => fired.push(dt));
    c.runUntil(T0 + 2000);
    expect(fired).toEqual([1000, 2000]);
    expect(c.nextAtMs()).toBe(T0 + 2001);
    c.runUntil(T0 + 2001);
    expect(fired).toEqual([1000, 2000, 2001]);
    expect(c.nextAtMs()).toBe(Infinity);
  });

  it('never goes back in time', () => {
    const c = new VirtualClock(T0);
    c.runUntil(T0 + 10_000);
    c.runUntil(T0 + 5_000);
    expect(c.nowMs()).toBe(T0 + 10_000);
  });

  it('an event scheduled in the past fires at the current time, after those already due then', () => {
    const c = new VirtualClock(T0);
    c.runUntil(T0 + 10_000);
    const fired: Array<[string, number]> = [];
    c.schedule(T0 + 10_000, () => fired.push(['due', c.nowMs()]));
    c.schedule(T0, () => fired.push(['past', c.nowMs()]));
    expect(c.nextAtMs()).toBe(T0 + 10_000);
    c.runUntil(T0 + 10_000);
    expect(fired).toEqual([
      ['due', T0 + 10_000],
      ['past', T0 + 10_000],
    ]);
  });

  it('events scheduled by a callback for the same instant fire in the same runUntil, after the ones queued before', () => {
    const c = new VirtualClock(T0);
    const fired: string[] = [];
    c.schedule(T0 + 1, () => {
      fired.push('a');
      c.schedule(T0 + 1, () => fired.push('a→child'));
      c.schedule(T0 + 3, () => fired.push('a→later'));
    });
    c.schedule(T0 + 1, () => fired.push('b'));
    c.schedule(T0 + 2, () => fired.push('c'));
    c.runUntil(T0 + 2);
    expect(fired).toEqual(['a', 'b', 'a→child', 'c']);
    c.runUntil(T0 + 3);
    expect(fired.at(-1)).toBe('a→later');
  });

  it('cancel: a cancelled event never fires; cancelling twice or after firing is harmless', () => {
    const c = new VirtualClock(T0);
    const fired: string[] = [];
    const cancelA = c.schedule(T0 + 10, () => fired.push('a'));
    const cancelB = c.schedule(T0 + 20, () => fired.push('b'));
    c.schedule(T0 + 30, () => fired.push('c'));
    cancelA();
    cancelA();
    expect(c.nextAtMs()).toBe(T0 + 20);
    c.runUntil(T0 + 25);
    cancelB(); // already fired
    c.runUntil(T0 + 100);
    expect(fired).toEqual(['b', 'c']);
  });

  it('a callback may cancel a later event of the same instant', () => {
    const c = new VirtualClock(T0);
    const fired: string[] = [];
    let cancelSecond = (): void => {};
    c.schedule(T0 + 5, () => {
      fired.push('first');
      cancelSecond();
    });
    cancelSecond = c.schedule(T0 + 5, () => fired.push('second'));
    c.runUntil(T0 + 5);
    expect(fired).toEqual(['first']);
  });

  it('property: any schedule fires as a stable sort by time, cancelled ones left out', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ dtMs: fc.integer({ min: 0, max: 50 }), cancel: fc.boolean() }), { maxLength: 300 }),
        fc.integer({ min: 0, max: 60 }),
        (plan, untilDt) => {
          const c = new VirtualClock(T0);
          const fired: number[] = [];
          plan.forEach((p, i) => {
            const cancel = c.schedule(T0 + p.dtMs, () => fired.push(i));
            if (p.cancel) cancel();
          });
          c.runUntil(T0 + untilDt);
          const expected = plan
            .map((p, i) => ({ ...p, i }))
            .filter((p) => !p.cancel && p.dtMs <= untilDt)
            .sort((a, b) => a.dtMs - b.dtMs || a.i - b.i)
            .map((p) => p.i);
          expect(fired).toEqual(expected);
          expect(c.nowMs()).toBe(T0 + untilDt);
        },
      ),
      { numRuns: 200 },
    );
  });
});
