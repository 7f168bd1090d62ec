import type { Clock } from './clock.js';

/**
 * The real clock, for the app and the lab: `nowMs()` is wall time scaled by `speed` from an origin (speed 1
 * = real time; a lab run at 10× leaps the engine's time ten times as fast). It is the one place outside
 * tests where the engine's time touches the wall clock, so it takes the wall-clock functions as
 * parameters (the engine folder never reads them itself).
 */
export class WallClock implements Clock {
  private readonly wallOriginMs: number;
  private readonly simOriginMs: number;

  constructor(
    private readonly wall: { now(): number; setTimeout(fn: () => void, ms: number): unknown; clearTimeout(handle: unknown): void },
    readonly speed = 1,
    originMs?: number,
  ) {
    this.wallOriginMs = wall.now();
    this.simOriginMs = originMs ?? this.wallOriginMs;
  }

  nowMs(): number {
    return this.simOriginMs + (this.wall.now() - this.wallOriginMs) * this.speed;
  }

  schedule(atMs: number, fn: () => void): () => void {
    const delayMs = Math.max(0, (atMs - this.nowMs()) / this.speed);
    const handle = this.wall.setTimeout(fn, delayMs);
    return () => this.wall.clearTimeout(handle);
  }
}
