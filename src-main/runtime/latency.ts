/**
 * Latency tracing at the connector side: every setpoint's trip over the wire (real milliseconds from the
 * first attempt to the final answer, and the number of attempts), summarised as p50/p95/p99/max per
 * connector. The engine records the other hops per run (sensor → EMS, decision, EMS → acknowledgement,
 * total) in EMS-clock milliseconds; `summarise` turns either into the same shape.
 */
import type { WriteTrace } from '../connectors/rest/connector-context.js';

export interface LatencySummary {
  count: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
}

/** Nearest-rank percentiles. */
export function summarise(values: readonly number[]): LatencySummary {
  const v = values.filter(Number.isFinite).slice().sort((a, b) => a - b);
  const n = v.length;
  const pick = (p: number) => (n === 0 ? null : v[Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1))]!);
  return { count: n, p50: pick(50), p95: pick(95), p99: pick(99), max: n === 0 ? null : v[n - 1]! };
}

/**
 * Write traces kept (`LatencyTracer.traces`, what `byConnector` summarises): the newest 20 000, ~6 MB, about
 * five days of the soak's writes (~160 an hour). Older ones leave a tenth at a time, so the report always
 * covers at least the newest 18 000 writes.
 */
export const MAX_KEPT_TRACES = 20_000;

export class LatencyTracer {
  /** The newest `limit` traces, oldest first. */
  readonly traces: WriteTrace[] = [];
  private readonly limit: number;

  constructor(limit = MAX_KEPT_TRACES) {
    this.limit = limit;
  }

  add(trace: WriteTrace): void {
    this.traces.push(trace);
    if (this.traces.length > this.limit) this.traces.splice(0, this.traces.length - this.limit + Math.ceil(this.limit / 10));
  }

  /** Per connector: wire time (wall ms) of acknowledged writes, and the outcomes. */
  byConnector(): Record<string, { wireWallMs: LatencySummary; acks: number; rejected: number; noAck: number; retried: number }> {
    const out: Record<string, { wire: number[]; acks: number; rejected: number; noAck: number; retried: number }> = {};
    for (const t of this.traces) {
      const o = (out[t.connector] ??= { wire: [], acks: 0, rejected: 0, noAck: 0, retried: 0 });
      if (t.outcome === 'ack') {
        o.acks++;
        o.wire.push(t.wireWallMs);
      } else if (t.outcome === 'rejected') o.rejected++;
      else o.noAck++;
      if (t.attempts > 1) o.retried++;
    }
    return Object.fromEntries(Object.entries(out).map(([k, o]) => [k, { wireWallMs: summarise(o.wire), acks: o.acks, rejected: o.rejected, noAck: o.noAck, retried: o.retried }]));
  }
}
