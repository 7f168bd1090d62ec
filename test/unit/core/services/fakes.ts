/** A wall clock the tests leap by hand (the services' timers are never started in tests). */
import type { WallTimers } from '../../../../src-main/core/services/host-ports';

export class FakeWall implements WallTimers {
  t = 1_000_000;
  now(): number {
    return this.t;
  }
  setInterval(): unknown {
    throw new Error('tests drive the services by hand');
  }
  clearInterval(): void {}
}
