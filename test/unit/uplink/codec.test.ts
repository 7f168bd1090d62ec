import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMeasurements, parseTopic, PayloadError, siteIdFromName, topicFor, type UplinkPoint } from '../../../src-main/uplink/codec';

const pts: UplinkPoint[] = [
  { seq: 7, seriesId: 'breaker.measuredKw', timeMs: 1_000_000, value: -212.4 },
  { seq: 8, seriesId: 'bess.socPct', timeMs: 1_000_000, value: 55 },
  { seq: 9, seriesId: 'breaker.measuredKw', timeMs: 1_010_000, value: NaN },
  { seq: 10, seriesId: 'breaker.measuredKw', timeMs: 1_020_000, value: -210 },
];

describe('uplink topics', () => {
  it('lays out lfc/<site>/<kind> and reads it back; refuses a site id that would break the layout', () => {
    expect(topicFor('site-a', 'measurements')).toBe('lfc/site-a/measurements');
    expect(parseTopic('lfc/site-a/status')).toEqual({ siteId: 'site-a', kind: 'status' });
    expect(parseTopic('lfc/site-a/other')).toBeNull();
    expect(parseTopic('lfc/a/b/events')).toBeNull();
    expect(() => topicFor('a/b', 'runs')).toThrow(/site id "a\/b"/);
    expect(() => topicFor('#', 'runs')).toThrow();
    expect(siteIdFromName('Lab rig: Summer export hold')).toBe('lab-rig-summer-export-hold');
  });
});

describe('the measurements payload', () => {
  it('groups points by series with delta times, keeps NaN as null, and decodes to the same points', () => {
    const p = encodeMeasurements('site-a', 'ob-1', pts);
    expect(p).toMatchObject({ format: 'lfc-uplink-measurements/1', site: 'site-a', outbox: 'ob-1', fromSeq: 7, toSeq: 10 });
    expect(p.series).toEqual([
      { id: 'breaker.measuredKw', t0Ms: 1_000_000, dtMs: [0, 10_000, 10_000], value: [-212.4, null, -210] },
      { id: 'bess.socPct', t0Ms: 1_000_000, dtMs: [0], value: [55] },
    ]);
    const d = decodeMessage('lfc/site-a/measurements', JSON.stringify(p));
    expect(d.kind).toBe('measurements');
    if (d.kind !== 'measurements') return;
    expect(d.points.seriesId).toEqual(['breaker.measuredKw', 'breaker.measuredKw', 'breaker.measuredKw', 'bess.socPct']);
    expect(d.points.timeMs).toEqual([1_000_000, 1_010_000, 1_020_000, 1_000_000]);
    expect(d.points.value[1]).toBeNaN();
  });

  it('says where and why a message is refused', () => {
    const good = encodeMeasurements('site-a', 'ob-1', pts);
    expect(() => decodeMessage('lfc/site-a/measurements', 'not json')).toThrow(/lfc\/site-a\/measurements: not JSON/);
    expect(() => decodeMessage('lfc/site-b/measurements', JSON.stringify(good))).toThrow(/\$\.site is "site-a", the topic names "site-b"/);
    const bad = { ...good, series: [{ ...good.series[0]!, dtMs: 'x' }] };
    expect(() => decodeMessage('lfc/site-a/measurements', JSON.stringify(bad))).toThrow(/\$\.series\[0\]\.dtMs/);
    const short = { ...good, series: [{ ...good.series[0]!, value: [1] }] };
    expect(() => decodeMessage('lfc/site-a/measurements', JSON.stringify(short))).toThrow(/3 times but 1 values/);
    expect(() => decodeMessage('other/topic', '{}')).toThrow(PayloadError);
    const items = { format: 'lfc-uplink-items/1', site: 'site-a', kind: 'runs', outbox: 'o', fromSeq: 1, toSeq: 1, items: [{ seq: 1, body: {} }] };
    expect(decodeMessage('lfc/site-a/runs', JSON.stringify(items)).kind).toBe('runs');
    expect(() => decodeMessage('lfc/site-a/events', JSON.stringify(items))).toThrow(/\$\.kind is "runs" on the events topic/);
  });
});
