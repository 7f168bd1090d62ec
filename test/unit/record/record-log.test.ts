import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { verifyLogMain } from '../../../src-main/cli/verify-log.js';
import { loadOrCreateInstallationKey, PUBLIC_KEY_FILE } from '../../../src-main/record/installation-key.js';
import { RecordLog } from '../../../src-main/record/record-log.js';
import { verifyRecordText } from '../../../src-main/record/verify.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lfc-record-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** A record of a header, 8 entries (entries 1–8) and the seal written on closing (entry 9). */
function writeRecord(file = join(dir, 'record.jsonl')): string {
  const key = loadOrCreateInstallationKey(join(dir, 'keys'));
  let t = 1_750_000_000_000;
  const log = new RecordLog({ file, key, installation: 'test-site', nowMs: () => (t += 1000) });
  log.append('trigger', { triggerId: 'T01', useCase: 2, targetKw: -150, source: '127.0.0.1 token dso' });
  for (let i = 0; i < 3; i++) {
    log.append('setpoint', { commandId: `c${i}`, assetId: 'bess', powerKw: -100 - i });
    log.append('ack', { commandId: `c${i}`, ok: true });
  }
  log.append('measurements', { breaker: [{ sampleMs: 1, powerKw: NaN }, { sampleMs: 2, powerKw: -149.5 }] });
  log.close();
  return file;
}

const lines = (file: string) => readFileSync(file, 'utf8').trimEnd().split('\n');
const save = (file: string, ls: string[]) => writeFileSync(file, ls.join('\n') + '\n');

describe('tamper-evident record', () => {
  it('verifies an intact record, and continues it after a restart with the same key', () => {
    const file = writeRecord();
    const first = verifyRecordText(readFileSync(file, 'utf8'));
    expect(first).toMatchObject({ ok: true, entries: 10, installation: 'test-site', sealed: true });
    const key = loadOrCreateInstallationKey(join(dir, 'keys'));
    const log = new RecordLog({ file, key, installation: 'test-site', nowMs: () => 2e12 });
    // The continuation starts with a `resumed` entry that says the previous writer had closed it.
    expect(log.length).toBe(11);
    expect(JSON.parse(lines(file)[10]!)).toMatchObject({ kind: 'resumed', data: { afterEntry: 9, sealedBefore: true } });
    log.append('event', { type: 'breaker-stale' });
    // Until it is closed again, the continued record is not sealed.
    expect(verifyRecordText(readFileSync(file, 'utf8'))).toMatchObject({ ok: true, entries: 12, sealed: false });
    log.close();
    expect(verifyRecordText(readFileSync(file, 'utf8'))).toMatchObject({ ok: true, entries: 13, sealed: true });
    // NaN went in as null, and the hash was taken over exactly that.
    expect(lines(file)[8]).toContain('"powerKw":null');
  });

  it('moves a line torn by a crash aside, byte for byte, and goes on recording with a signed note of it', () => {
    const file = writeRecord();
    const whole = readFileSync(file);
    // The writer died in the middle of entry 10 (after the seal: say the lab was restarted and crashed).
    const torn = Buffer.from('{"data":{"breaker":[{"powerKw":-149.9,"sampleMs":3}]},"hash":"ab12');
    writeFileSync(file, Buffer.concat([whole, torn]));
    expect(verifyRecordText(readFileSync(file, 'utf8')).ok).toBe(false);
    const key = loadOrCreateInstallationKey(join(dir, 'keys'));
    const log = new RecordLog({ file, key, installation: 'test-site', nowMs: () => 2e12 });
    log.close();
    expect(readFileSync(`${file}.torn-10`).equals(torn)).toBe(true);
    const ls = lines(file);
    expect(JSON.parse(ls[10]!)).toMatchObject({ n: 10, kind: 'recovered', data: { savedTo: 'record.jsonl.torn-10', bytes: torn.length, sha256: createHash('sha256').update(torn).digest('hex') } });
    // The seal before the torn line does not make this a clean stop: the writer that tore it did not close it.
    expect(JSON.parse(ls[11]!)).toMatchObject({ kind: 'resumed', data: { afterEntry: 9, sealedBefore: false } });
    expect(verifyRecordText(readFileSync(file, 'utf8'))).toMatchObject({ ok: true, entries: 13, sealed: true, resumes: 1, resumesAfterUnsealed: 1, recoveries: [{ entry: 10, savedTo: 'record.jsonl.torn-10' }] });
    const out: string[] = [];
    expect(verifyLogMain([file], (t) => out.push(t), () => undefined)).toBe(0);
    expect(out.join('')).toMatch(/entry 10: a line torn by a crash was moved aside to record\.jsonl\.torn-10/);
  });

  it('completes a last entry that lost only its newline, and notes that the writer had not closed it', () => {
    const file = writeRecord();
    const ls = lines(file).slice(0, 7);
    writeFileSync(file, ls.join('\n'));
    const key = loadOrCreateInstallationKey(join(dir, 'keys'));
    const log = new RecordLog({ file, key, installation: 'test-site', nowMs: () => 2e12 });
    expect(log.length).toBe(8);
    expect(JSON.parse(lines(file)[7]!)).toMatchObject({ kind: 'resumed', data: { afterEntry: 6, sealedBefore: false } });
    expect(existsSync(`${file}.torn-7`)).toBe(false);
    log.close();
    expect(verifyRecordText(readFileSync(file, 'utf8'))).toMatchObject({ ok: true, entries: 9, sealed: true, resumes: 1, resumesAfterUnsealed: 1 });
    const out: string[] = [];
    verifyLogMain([file], (t) => out.push(t), () => undefined);
    expect(out.join('')).toMatch(/continued 1 time\(s\), 1 of them after a writer that stopped without closing it/);
  });

  it('names a torn file left by a writer that died before it could say so', () => {
    const file = writeRecord();
    writeFileSync(`${file}.torn-10`, '{"data":{"brea');
    // Not the record's: another entry's number, or not a torn file's name at all.
    writeFileSync(`${file}.torn-3`, 'x');
    writeFileSync(`${file}.torn-10.bak`, 'x');
    const key = loadOrCreateInstallationKey(join(dir, 'keys'));
    new RecordLog({ file, key, installation: 'test-site', nowMs: () => 2e12 }).close();
    expect(JSON.parse(lines(file)[10]!)).toMatchObject({ kind: 'recovered', data: { savedTo: 'record.jsonl.torn-10', bytes: 14, foundOnOpen: true } });
    // Named once: the next opening does not name it again.
    new RecordLog({ file, key, installation: 'test-site', nowMs: () => 2e12 }).close();
    expect(verifyRecordText(readFileSync(file, 'utf8'))).toMatchObject({ ok: true, resumes: 2, recoveries: [{ entry: 10, savedTo: 'record.jsonl.torn-10' }] });
  });

  it('does not save the same torn bytes twice when the writer died after moving them aside but before cutting the record', () => {
    const file = writeRecord();
    const torn = Buffer.from('{"data":{"breaker":[{"pow');
    writeFileSync(file, Buffer.concat([readFileSync(file), torn]));
    writeFileSync(`${file}.torn-10`, torn);
    const key = loadOrCreateInstallationKey(join(dir, 'keys'));
    new RecordLog({ file, key, installation: 'test-site', nowMs: () => 2e12 }).close();
    expect(existsSync(`${file}.torn-10-2`)).toBe(false);
    expect(verifyRecordText(readFileSync(file, 'utf8'))).toMatchObject({ ok: true, recoveries: [{ entry: 10, savedTo: 'record.jsonl.torn-10' }] });
  });

  it('refuses a changed last entry that has lost its newline (a torn write never leaves a whole JSON object)', () => {
    const file = writeRecord();
    const ls = lines(file);
    ls[9] = ls[9]!.replace('"entriesBefore":9', '"entriesBefore":8');
    writeFileSync(file, ls.join('\n'));
    const key = loadOrCreateInstallationKey(join(dir, 'keys'));
    expect(() => new RecordLog({ file, key, installation: 'test-site', nowMs: () => 2e12 })).toThrow(/will not continue a broken record: entry 9/);
    expect(existsSync(`${file}.torn-9`)).toBe(false);
  });

  it('lets one writer at a time continue a record, and takes over a lock whose process is gone', () => {
    const file = writeRecord();
    const key = loadOrCreateInstallationKey(join(dir, 'keys'));
    const first = new RecordLog({ file, key, installation: 'test-site', nowMs: () => 2e12 });
    expect(() => new RecordLog({ file, key, installation: 'test-site', nowMs: () => 2e12 })).toThrow(/has the record open already/);
    first.close();
    expect(existsSync(`${file}.lock`)).toBe(false);
    // A writer that died left its lock (a process id that no longer runs).
    writeFileSync(`${file}.lock`, '2147483646');
    const second = new RecordLog({ file, key, installation: 'test-site', nowMs: () => 2e12 });
    expect(readFileSync(`${file}.lock`, 'utf8')).toBe(String(process.pid));
    second.close();
    // …or this very process id, from before a restart (a container often gets the same one): not open here, so stale.
    writeFileSync(`${file}.lock`, String(process.pid));
    new RecordLog({ file, key, installation: 'test-site', nowMs: () => 2e12 }).close();
    // A lock still being written by another opener (empty, just created) is respected.
    writeFileSync(`${file}.lock`, '');
    expect(() => new RecordLog({ file, key, installation: 'test-site', nowMs: () => 2e12 })).toThrow(/another writer is opening this record/);
  });

  it('never repairs a whole last line that does not verify', () => {
    const file = writeRecord();
    const ls = lines(file);
    ls[9] = ls[9]!.replace('"entriesBefore":9', '"entriesBefore":8');
    save(file, ls);
    const before = readFileSync(file);
    const key = loadOrCreateInstallationKey(join(dir, 'keys'));
    expect(() => new RecordLog({ file, key, installation: 'test-site', nowMs: () => 2e12 })).toThrow(/will not continue a broken record: entry 9/);
    // Nor a torn line after a broken one.
    writeFileSync(file, Buffer.concat([before, Buffer.from('{"n":10')]));
    expect(() => new RecordLog({ file, key, installation: 'test-site', nowMs: () => 2e12 })).toThrow(/will not continue a broken record/);
    expect(existsSync(`${file}.torn-10`)).toBe(false);
    expect(readFileSync(file).length).toBe(before.length + 7);
  });

  it('names the entry whose value was changed', () => {
    const file = writeRecord();
    const ls = lines(file);
    ls[4] = ls[4]!.replace('"powerKw":-101', '"powerKw":-10');
    save(file, ls);
    const r = verifyRecordText(readFileSync(file, 'utf8'));
    expect(r).toMatchObject({ ok: false, entry: 4, line: 5 });
    if (!r.ok) expect(r.message).toMatch(/content does not match its hash/);
  });

  it('refuses content outside the hashed fields (an extra field, a duplicated key)', () => {
    const tampers = [(l: string) => l.replace('{', '{"note":"approved by operator",'), (l: string) => l.replace('"data":{', '"data":{"powerKw":-999,')];
    for (const [k, tamper] of tampers.entries()) {
      const file = writeRecord(join(dir, `record-${k}.jsonl`));
      const ls = lines(file);
      ls[4] = tamper(ls[4]!);
      save(file, ls);
      const r = verifyRecordText(readFileSync(file, 'utf8'));
      expect(r).toMatchObject({ ok: false, entry: 4 });
    }
  });

  it('a record cut at its end still verifies, but says it is not sealed', () => {
    const file = writeRecord();
    save(file, lines(file).slice(0, 6));
    expect(verifyRecordText(readFileSync(file, 'utf8'))).toMatchObject({ ok: true, entries: 6, sealed: false });
    const out: string[] = [];
    expect(verifyLogMain([file], (s) => out.push(s), () => undefined)).toBe(0);
    expect(out.join('')).toMatch(/WARNING not sealed/);
  });

  it('names the entry after a deleted line', () => {
    const file = writeRecord();
    const ls = lines(file);
    ls.splice(3, 1);
    save(file, ls);
    const r = verifyRecordText(readFileSync(file, 'utf8'));
    expect(r).toMatchObject({ ok: false, entry: 3 });
    if (!r.ok) expect(r.message).toMatch(/entry number is 4, expected 3: 1 entry is missing/);
  });

  it('names the first of two swapped lines', () => {
    const file = writeRecord();
    const ls = lines(file);
    [ls[5], ls[6]] = [ls[6]!, ls[5]!];
    save(file, ls);
    const r = verifyRecordText(readFileSync(file, 'utf8'));
    expect(r).toMatchObject({ ok: false, entry: 5 });
  });

  it('names an entry whose signature is wrong, and one re-hashed after a change', () => {
    const file = writeRecord();
    const ls = lines(file);
    const e2 = JSON.parse(ls[2]!) as { sig: string };
    const e7 = JSON.parse(ls[7]!) as { sig: string };
    e7.sig = e2.sig;
    ls[7] = JSON.stringify(e7);
    save(file, ls);
    const r = verifyRecordText(readFileSync(file, 'utf8'));
    expect(r).toMatchObject({ ok: false, entry: 7 });
    if (!r.ok) expect(r.message).toMatch(/signature does not verify/);
  });

  it('refuses a record signed by another key when the key is pinned', () => {
    const file = writeRecord();
    const otherDir = join(dir, 'other');
    const other = loadOrCreateInstallationKey(otherDir);
    const r = verifyRecordText(readFileSync(file, 'utf8'), { publicKeyBase64: other.publicKeyBase64 });
    expect(r).toMatchObject({ ok: false, entry: 0 });
  });

  it('verify-log exits 0 on an intact record and 1 naming the broken entry', () => {
    const file = writeRecord();
    const out: string[] = [];
    expect(verifyLogMain([file, '--key', join(dir, 'keys', PUBLIC_KEY_FILE)], (s) => out.push(s), (s) => out.push(s))).toBe(0);
    expect(out.join('')).toMatch(/intact — 10 entries/);
    const ls = lines(file);
    ls[2] = ls[2]!.replace('"commandId":"c0"', '"commandId":"cX"');
    save(file, ls);
    out.length = 0;
    expect(verifyLogMain([file], (s) => out.push(s), (s) => out.push(s))).toBe(1);
    expect(out.join('')).toMatch(/BROKEN at entry 2 \(line 3\)/);
    expect(verifyLogMain([join(dir, 'missing.jsonl')], () => {}, () => {})).toBe(2);
  });
});
