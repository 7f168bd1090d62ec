/** The one pacer: wall time × speed → steps, 'max' in slices bounded by the wall budget and a step cap. */
import { describe, expect, it } from 'vitest';

import { MAX_CATCH_UP_WALL_MS } from '../../../../src-main/core/live-logic';
import { Pacer } from '../../../../src-main/core/services/pacer';
import type { Paced } from '../../../../src-main/core/services/pacer';

class Stepper implements Paced {
  nowMs = 0;
  calls: number[] = [];
  constructor(
    readonly stepMs: number,
    private readonly endMs = Infinity,
    private readonly onAdvance: () => void = () => undefined,
  ) {}
  get done(): boolean {
    return this.nowMs >= this.endMs;
  }
  advance(steps: number): void {
    this.calls.push(steps);
    this.nowMs += steps * this.stepMs;
    this.onAdvance();
  }
}

describe('Pacer', () => {
  it.each([
    { speed: 1, wallMs: 4000, stepMs: 1000, steps: 4 },
    { speed: 60, wallMs: 1000, stepMs: 1000, steps: 60 },
    { speed: 2, wallMs: 400, stepMs: 1000, steps: 0 },
  ])('at speed $speed, $wallMs ms of wall time advance $steps steps of $stepMs ms', ({ speed, wallMs, stepMs, steps }) => {
    const wall = { t: 0, now: () => wall.t };
    const target = new Stepper(stepMs);
    const anchor = { wallMs: 0, simMs: 0 };
    wall.t = wallMs;
    new Pacer(wall, { maxSliceWallMs: 30, maxStepsPerTick: 3600 }).advance(target, anchor, speed);
    expect(target.nowMs).toBe(steps * stepMs);
    expect(anchor).toEqual({ wallMs: 0, simMs: 0 });
  });

  it('after a stall longer than the catch-up limit runs only the limit and re-anchors', () => {
    const wall = { t: 0, now: () => wall.t };
    const target = new Stepper(1000);
    const anchor = { wallMs: 0, simMs: 0 };
    wall.t = 60_000;
    new Pacer(wall, { maxSliceWallMs: 30, maxStepsPerTick: 3600 }).advance(target, anchor, 1);
    expect(target.nowMs).toBe(MAX_CATCH_UP_WALL_MS);
    expect(anchor).toEqual({ wallMs: 60_000, simMs: MAX_CATCH_UP_WALL_MS });
  });

  it("at 'max' works in slices until the wall budget is spent", () => {
    const wall = { t: 0, now: () => wall.t };
    // Each slice costs 10 ms of wall time: three fit in a 30 ms budget.
    const target = new Stepper(1000, Infinity, () => (wall.t += 10));
    new Pacer(wall, { maxSliceWallMs: 30, maxStepsPerTick: 3600 }).advance(target, { wallMs: 0, simMs: 0 }, 'max');
    expect(target.calls).toEqual([10, 10, 10]);
  });

  it("at 'max' with a frozen clock stops at the step cap, and at the end of what it paces", () => {
    const wall = { now: () => 0 };
    const capped = new Stepper(1000);
    new Pacer(wall, { maxSliceWallMs: 30, maxStepsPerTick: 25 }).advance(capped, { wallMs: 0, simMs: 0 }, 'max');
    expect(capped.calls).toEqual([10, 10, 5]);
    const ending = new Stepper(1000, 15_000);
    new Pacer(wall, { maxSliceWallMs: 30, maxStepsPerTick: 3600 }).advance(ending, { wallMs: 0, simMs: 0 }, 'max');
    expect(ending.calls).toEqual([10, 10]);
  });
});
