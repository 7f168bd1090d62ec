/**
 * The one pacer of the console's simulations: it advances something that steps (the live simulator, the
 * Replay view's comparison) to where the wall clock says it should be, at `speed` × real time, or at
 * `'max'` in slices of work until the tick's wall budget is spent (the process stays responsive).
 */
import type { SpeedSetting } from '../../shared/ipc-contract';
import type { PaceAnchor } from '../live-logic';
import { stepsDue } from '../live-logic';
import type { WallTimers } from './host-ports';

/** Something the pacer can advance: a fixed step and a clock of its own. */
export interface Paced {
  readonly stepMs: number;
  readonly nowMs: number;
  readonly done: boolean;
  advance(steps: number): void;
}

export interface PacerLimits {
  /** The longest wall time one tick may spend simulating at speed 'max'. */
  maxSliceWallMs: number;
  /** Cap of steps per tick (a bound that holds even if the wall clock is frozen). */
  maxStepsPerTick: number;
}

export class Pacer {
  constructor(
    private readonly wall: Pick<WallTimers, 'now'>,
    private readonly limits: PacerLimits,
  ) {}

  /** Advances `target` by what the wall time since `anchor` asks for; re-anchors after a long stall. */
  advance(target: Paced, anchor: PaceAnchor, speed: SpeedSetting): void {
    const wall0 = this.wall.now();
    if (speed === 'max') {
      // Slices of work until the wall budget is spent, bounded by a step cap in case the clock is frozen.
      let stepsLeft = this.limits.maxStepsPerTick;
      const slice = Math.max(1, Math.round(10_000 / target.stepMs));
      while (stepsLeft > 0 && !target.done && this.wall.now() - wall0 < this.limits.maxSliceWallMs) {
        target.advance(Math.min(slice, stepsLeft));
        stepsLeft -= slice;
      }
      return;
    }
    const due = stepsDue(anchor, wall0, target.nowMs, speed, target.stepMs, this.limits.maxStepsPerTick);
    if (due.steps > 0) target.advance(due.steps);
    if (due.reanchor) {
      anchor.wallMs = wall0;
      anchor.simMs = target.nowMs;
    }
  }
}
