/**
 * What every field connector is given: the EMS clock (simulated time in the lab, wall time in the field),
 * the speed at which that clock runs against the wall (to turn periods into real waiting times), an event
 * sink for what goes wrong on the wire, and a tracer for the connector-side latency hops.
 */
import type { Clock } from '../../engine/clock.js';

export type ConnectorEventType =
  | 'connector-retry'
  | 'connector-error'
  | 'connector-restored'
  | 'connector-no-ack'
  | 'connector-rejected'
  | 'server-restart-detected';

/** An event on the wire, in the same shape as the engine's events (the runtime logs both together). */
export interface ConnectorEvent {
  timeMs: number;
  type: ConnectorEventType;
  level: 'info' | 'warning' | 'error';
  connector: string;
  message: string;
  assetId?: string;
  data?: Record<string, unknown>;
}

/** One setpoint's trip through a connector: EMS clock times and the wall-clock duration on the wire. */
export interface WriteTrace {
  commandId: string;
  assetId: string;
  connector: string;
  issuedMs: number;
  /** EMS clock when the answer came back (or gave up). */
  answeredMs: number;
  /** Real milliseconds from sending the first attempt to the final answer. */
  wireWallMs: number;
  attempts: number;
  outcome: 'ack' | 'rejected' | 'no-ack';
}

export interface ConnectorContext {
  clock: Clock;
  /** EMS clock speed against the wall clock (1 in the field). */
  speed: number;
  onEvent: (event: ConnectorEvent) => void;
  onWriteTrace?: (trace: WriteTrace) => void;
  /** Backoff sleep and jitter source, injected so tests leap time. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Wall-clock milliseconds, for the wire latency (performance.now by default). */
  wallNowMs?: () => number;
  /** Qualifies idempotency keys so a restarted EMS never collides with its own earlier command ids. */
  sessionId: string;
}

export const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
export const wallNow = () => performance.now();

/** A subscription loop (long poll): never hangs, logs an outage once and its end once, backs off between tries. */
export class PollLoop {
  private stopped = false;
  private failing = false;
  private failures = 0;

  constructor(
    private readonly name: string,
    private readonly ctx: ConnectorContext,
    private readonly pollOnce: () => Promise<void>,
    private readonly backoff: { baseDelayMs: number; maxDelayMs: number } = { baseDelayMs: 100, maxDelayMs: 2000 },
  ) {}

  start(): void {
    void this.loop();
  }

  stop(): void {
    this.stopped = true;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  private async loop(): Promise<void> {
    const sleep = this.ctx.sleep ?? realSleep;
    const random = this.ctx.random ?? Math.random;
    while (!this.stopped) {
      try {
        await this.pollOnce();
        if (this.failing && !this.stopped) {
          this.ctx.onEvent({ timeMs: this.ctx.clock.nowMs(), type: 'connector-restored', level: 'info', connector: this.name, message: `${this.name} answers again after ${this.failures} failed polls` });
        }
        this.failing = false;
        this.failures = 0;
      } catch (err) {
        if (this.stopped) return;
        this.failures++;
        if (!this.failing) {
          this.failing = true;
          this.ctx.onEvent({ timeMs: this.ctx.clock.nowMs(), type: 'connector-error', level: 'warning', connector: this.name, message: `${this.name}: ${err instanceof Error ? err.message : String(err)}; retrying with backoff` });
        }
        const delayMs = Math.round((0.5 + 0.5 * random()) * Math.min(this.backoff.maxDelayMs, this.backoff.baseDelayMs * 2 ** Math.min(10, this.failures - 1)));
        await sleep(delayMs);
      }
    }
  }
}
