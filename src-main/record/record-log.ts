/**
 * The tamper-evident record of an installation: every trigger, setpoint, acknowledgement and measurement
 * batch appended to a JSONL hash chain signed with the installation's Ed25519 key (see `chain.ts` for the
 * line format). Appends are synchronous writes to a file opened in append mode, so an entry that `append`
 * returned from is in the operating system's hands even if the process dies the next moment.
 *
 * Re-opening an existing record continues its chain, after checking it is intact and signed by the same key
 * (a record is never continued on top of a broken or foreign one), with a `resumed` entry that says whether
 * the previous writer had sealed it (if not, it stopped without closing: a crash, a power cut).
 *
 * A write cut short by a crash leaves a last line without its newline. That is not tampering, and it must
 * not stop the installation from recording: when everything before it verifies, the torn bytes are moved,
 * exactly as they were, to `<record>.torn-<entry>` beside the record, the record is cut back to its last
 * whole line, and a `recovered` entry (signed and chained like any other) names the file, its size and its
 * SHA-256. A last line that is complete but does not verify is never repaired: that is a broken record.
 */
import { createHash, sign } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { canonicalJson } from './canonical-json.js';
import { GENESIS_HASH, RECORD_FORMAT, entryHash, type RecordEntry, type RecordHeaderData, type RecordKind } from './chain.js';
import type { InstallationKey } from './installation-key.js';
import { verifyRecordText } from './verify.js';

export interface RecordLogOptions {
  file: string;
  key: InstallationKey;
  /** A name for the installation, written into the header. */
  installation: string;
  /** Time source for entries (the EMS clock: simulated time in the lab). */
  nowMs: () => number;
}

export class RecordLog {
  readonly file: string;
  private fd: number;
  private n: number;
  private prev: string;
  private readonly key: InstallationKey;
  private readonly nowMs: () => number;

  constructor(opts: RecordLogOptions) {
    this.file = opts.file;
    this.key = opts.key;
    this.nowMs = opts.nowMs;
    const recovered = existsSync(opts.file) ? recoverTornTail(opts.file, opts.key.publicKeyBase64) : null;
    if (existsSync(opts.file) && readFileSync(opts.file, 'utf8').trim() !== '') {
      const text = readFileSync(opts.file, 'utf8');
      const check = verifyRecordText(text, { publicKeyBase64: opts.key.publicKeyBase64 });
      if (!check.ok) throw new Error(`${opts.file}: will not continue a broken record: ${check.message}`);
      this.n = check.lastEntry.n + 1;
      this.prev = check.lastEntry.hash;
      this.fd = openSync(opts.file, 'a');
      if (recovered) this.append('recovered', recovered);
      this.append('resumed', { afterEntry: check.lastEntry.n, sealedBefore: check.sealed });
    } else {
      mkdirSync(dirname(opts.file), { recursive: true });
      this.fd = openSync(opts.file, 'a');
      this.n = 0;
      this.prev = GENESIS_HASH;
      const header: RecordHeaderData = {
        format: RECORD_FORMAT,
        publicKey: opts.key.publicKeyBase64,
        keyFingerprint: opts.key.fingerprint,
        installation: opts.installation,
      };
      this.append('header', header);
      if (recovered) this.append('recovered', recovered);
    }
  }

  /** Number of entries written so far, header included. */
  get length(): number {
    return this.n;
  }

  /** Appends one signed entry and returns it. */
  append(kind: RecordKind, data: unknown): RecordEntry {
    if (this.fd < 0) throw new Error(`${this.file}: the record is closed`);
    const body = { n: this.n, timeMs: this.nowMs(), kind, data: JSON.parse(canonicalJson(data)) as unknown, prev: this.prev };
    const hash = entryHash(body);
    const entry: RecordEntry = { ...body, hash: hash.toString('hex'), sig: sign(null, hash, this.key.privateKey).toString('base64') };
    writeSync(this.fd, canonicalJson(entry) + '\n');
    this.n++;
    this.prev = entry.hash;
    return entry;
  }

  /** Seals the record (see `RecordKind`), flushes it to disk and closes it; later appends throw. */
  close(): void {
    if (this.fd < 0) return;
    this.append('seal', { entriesBefore: this.n });
    fsyncSync(this.fd);
    closeSync(this.fd);
    this.fd = -1;
  }
}

/** What a `recovered` entry says of a torn last line it moved aside. */
export interface TornTailRecovery {
  /** The file beside the record that now holds the torn bytes, exactly as they were. */
  savedTo: string;
  bytes: number;
  sha256: string;
}

/**
 * Moves a torn last line (no newline) aside when everything before it verifies, and cuts the record back to
 * its last whole line; a last entry that is whole but for its newline just gets the newline. Returns what
 * was moved, or null when there was nothing to do (or the record is broken before its end: the caller
 * refuses it with the verifier's message).
 */
function recoverTornTail(file: string, publicKeyBase64: string): TornTailRecovery | null {
  const bytes = readFileSync(file);
  const lastNewline = bytes.lastIndexOf(0x0a);
  const tail = bytes.subarray(lastNewline + 1);
  if (tail.length === 0) return null;
  const before = bytes.subarray(0, lastNewline + 1);
  const pin = { publicKeyBase64 };
  if (verifyRecordText(bytes.toString('utf8') + '\n', pin).ok) {
    writeFileSync(file, '\n', { flag: 'a' });
    return null;
  }
  const prefix = before.toString('utf8');
  const check = prefix.trim() === '' ? null : verifyRecordText(prefix, pin);
  if (check && !check.ok) return null;
  const entry = check ? check.lastEntry.n + 1 : 0;
  let savedTo = `${file}.torn-${entry}`;
  for (let k = 2; existsSync(savedTo); k++) savedTo = `${file}.torn-${entry}-${k}`;
  writeFileSync(savedTo, tail, { flag: 'wx' });
  truncateSync(file, before.length);
  return { savedTo: basename(savedTo), bytes: tail.length, sha256: createHash('sha256').update(tail).digest('hex') };
}
