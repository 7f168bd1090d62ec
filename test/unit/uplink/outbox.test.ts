import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UplinkOutbox } from '../../../src-main/uplink/outbox';

const dirs: string[] = [];
function fresh(): { file: string; outbox: UplinkOutbox } {
  const dir = mkdtempSync(join(tmpdir(), 'lfc-outbox-'));
  dirs.push(dir);
  const file = join(dir, 'uplink.sqlite');
  return { file, outbox: new UplinkOutbox(file) };
}

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const DAY_MS = 86_400_000;

describe('the uplink outbox', () => {
  it('keeps points and items in the order they were appended, each stream with its own seq', () => {
    const { outbox } = fresh();
    outbox.appendPoint('breaker.measuredKw', 1000, -10);
    outbox.appendPoint('bess.powerKw', 1000, 5);
    outbox.appendItem('events', { type: 'a' });
    outbox.appendPoint('breaker.measuredKw', 11000, NaN);
    outbox.appendItem('runs', { runId: 'x' });
    expect(outbox.buffered).toBe(5);
    expect(outbox.pointsAfter(0, 10)).toEqual([]); // nothing before the commit
    expect(outbox.flush()).toBe(5);
    const pts = outbox.pointsAfter(0, 10);
    expect(pts.map((p) => p.seq)).toEqual([1, 2, 3]);
    expect(pts.map((p) => p.seriesId)).toEqual(['breaker.measuredKw', 'bess.powerKw', 'breaker.measuredKw']);
    expect(pts[2]!.value).toBeNaN(); // a gap stays a gap
    expect(outbox.pointsAfter(1, 1).map((p) => p.seq)).toEqual([2]);
    expect(outbox.itemsAfter(0, 10)).toEqual([
      { seq: 1, kind: 'events', body: { type: 'a' } },
      { seq: 2, kind: 'runs', body: { runId: 'x' } },
    ]);
  });

  it('keeps what a failed commit held (a full disk), in order, for the next flush', () => {
    const { outbox } = fresh();
    outbox.appendPoint('breaker.measuredKw', 1000, 1);
    outbox.flush();
    // The database file may not grow: the next commit fails as on a full disk.
    const db = (outbox as unknown as { db: { pragma(s: string, o?: { simple: boolean }): unknown } }).db;
    const pages = db.pragma('page_count', { simple: true }) as number;
    db.pragma(`max_page_count = ${pages}`);
    for (let i = 0; i < 2000; i++) outbox.appendPoint('breaker.measuredKw', 2000 + i * 1000, i);
    outbox.appendItem('events', { type: 'after-the-points' });
    expect(() => outbox.flush()).toThrow(/full/i);
    expect(outbox.buffered).toBe(2001);
    outbox.appendPoint('bess.powerKw', 5_000_000, 7);
    db.pragma('max_page_count = 1073741823');
    expect(outbox.flush()).toBe(2002);
    const pts = outbox.pointsAfter(1, 5000);
    expect(pts).toHaveLength(2001);
    expect(pts[0]!.timeMs).toBe(2000);
    expect(pts.at(-1)!.seriesId).toBe('bess.powerKw');
    expect(outbox.itemsAfter(0, 10).map((i) => i.body)).toEqual([{ type: 'after-the-points' }]);
  });

  it('drops a second point of a series at the same millisecond, as the central database would', () => {
    const { outbox } = fresh();
    outbox.appendPoint('breaker.measuredKw', 1000, 1);
    outbox.appendPoint('breaker.measuredKw', 1000, 2);
    outbox.flush();
    expect(outbox.pointsAfter(0, 10).map((p) => p.value)).toEqual([1]);
  });

  it('deletes nothing the broker has not acknowledged, however old; acknowledged rows only past their retention', () => {
    const { outbox } = fresh();
    for (let i = 0; i < 10; i++) outbox.appendPoint('s.powerKw', i * 1000, i);
    outbox.flush();
    const now = 100 * DAY_MS;
    expect(outbox.prune(now, 31)).toBe(0); // all 100 days old, none acknowledged
    expect(outbox.backlog()).toEqual({ points: 10, items: 0 });
    outbox.markAcked('measurements', 4);
    expect(outbox.backlog()).toEqual({ points: 6, items: 0 });
    expect(outbox.prune(now, 31)).toBe(4);
    expect(outbox.pointsAfter(0, 100).map((p) => p.seq)).toEqual([5, 6, 7, 8, 9, 10]);
    // Recent acknowledged rows stay as the site's record.
    outbox.appendPoint('s.powerKw', now, 1);
    outbox.flush();
    outbox.markAcked('measurements', 11);
    expect(outbox.prune(now, 31)).toBe(6);
    expect(outbox.pointsAfter(0, 100).map((p) => p.seq)).toEqual([11]);
  });

  it('never moves the acknowledged watermark backwards (a late PUBACK of an older batch)', () => {
    const { outbox } = fresh();
    outbox.markAcked('measurements', 50);
    outbox.markAcked('measurements', 20);
    expect(outbox.ackedSeq('measurements')).toBe(50);
    expect(outbox.ackedSeq('items')).toBe(0);
  });

  it('survives a restart: the backlog, the watermark and its id are on disk', () => {
    const { file, outbox } = fresh();
    const id = outbox.id;
    for (let i = 0; i < 5; i++) outbox.appendPoint('s.powerKw', i, i);
    outbox.appendItem('kpis', { runId: 'r' });
    outbox.flush();
    outbox.markAcked('measurements', 2);
    outbox.appendPoint('s.powerKw', 99, 99); // buffered only: close commits it
    outbox.close();
    const again = new UplinkOutbox(file);
    expect(again.id).toBe(id);
    expect(again.ackedSeq('measurements')).toBe(2);
    expect(again.pointsAfter(again.ackedSeq('measurements'), 100).map((p) => p.timeMs)).toEqual([2, 3, 4, 99]);
    expect(again.backlog()).toEqual({ points: 4, items: 1 });
    again.close();
  });
});
