/**
 * Wrong or missing tokens per remote address and window, for the servers that check tokens (the REST
 * servers of `json-server.ts`, serve mode's login and WebSocket). Past `max` failures in a window, further
 * failures from that address are answered 429 until the window ends; a valid token is never asked here
 * (it always passes), so a stop from the control room never waits for someone else's mistakes.
 */
export class AuthFailureLimiter {
  private readonly failures = new Map<string, { sinceMs: number; count: number }>();

  constructor(
    private readonly max = 10,
    private readonly windowMs = 60_000,
    private readonly nowMs: () => number = () => Date.now(),
  ) {}

  /** Seconds left for an address past the limit, or null when its failures are still answered normally. */
  lockedOutS(address: string): number | null {
    const f = this.failures.get(address);
    if (!f) return null;
    const leftMs = f.sinceMs + this.windowMs - this.nowMs();
    if (leftMs <= 0) {
      this.failures.delete(address);
      return null;
    }
    return f.count >= this.max ? Math.ceil(leftMs / 1000) : null;
  }

  /** Counts a failure (a flood of addresses cannot grow the table without bound). */
  fail(address: string): void {
    if (this.failures.size > 10_000) this.failures.clear();
    const f = this.failures.get(address) ?? { sinceMs: this.nowMs(), count: 0 };
    f.count++;
    this.failures.set(address, f);
  }
}
