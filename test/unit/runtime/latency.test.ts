/** The connector write traces behind the latency report are bounded: the newest MAX_KEPT_TRACES stay. */
import { describe, expect, it } from 'vitest';

import type { WriteTrace } from '../../../src-main/connectors/rest/connector-context';
import { LatencyTracer, MAX_KEPT_TRACES } from '../../../src-main/runtime/latency';

const trace = (i: number): WriteTrace => ({ commandId: `c${i}`, assetId: 'bess', connector: 'opcua', issuedMs: i, answeredMs: i + 5, wireWallMs: i % 7, attempts: 1, outcome: 'ack' });

describe('LatencyTracer', () => {
  it('keeps the newest MAX_KEPT_TRACES (20 000) traces, letting the oldest go a tenth at a time', () => {
    expect(MAX_KEPT_TRACES).toBe(20_000);
    const t = new LatencyTracer();
    const total = MAX_KEPT_TRACES * 3 + 17;
    for (let i = 0; i < total; i++) t.add(trace(i));
    expect(t.traces.length).toBeLessThanOrEqual(MAX_KEPT_TRACES);
    expect(t.traces.length).toBeGreaterThanOrEqual(MAX_KEPT_TRACES * 0.9);
    expect(t.traces.at(-1)!.commandId).toBe(`c${total - 1}`);
    expect(t.traces[0]!.commandId).toBe(`c${total - t.traces.length}`);
    expect(t.byConnector().opcua!.acks).toBe(t.traces.length);
  });

  it('keeps everything below its limit', () => {
    const t = new LatencyTracer(10);
    for (let i = 0; i < 10; i++) t.add(trace(i));
    expect(t.traces.map((x) => x.commandId)).toEqual(Array.from({ length: 10 }, (_, i) => `c${i}`));
  });
});
