/**
 * The tamper-evident record of an installation: every trigger, setpoint, acknowledgement and measurement
 * batch appended to a JSONL hash chain signed with the installation's Ed25519 key (see `chain.ts` for the
 * line format). Appends are synchronous writes to a file opened in append mode, so an entry that `append`
 * returned from is in the operating system's hands even if the process dies the next moment.
 *
 * Re-opening an existing record continues its chain, after checking it is intact and signed by the same key
 * (a record is never continued on top of a broken or foreign one).
 */
import { sign } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
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
    if (existsSync(opts.file) && readFileSync(opts.file, 'utf8').trim() !== '') {
      const text = readFileSync(opts.file, 'utf8');
      const check = verifyRecordText(text, { publicKeyBase64: opts.key.publicKeyBase64 });
      if (!check.ok) throw new Error(`${opts.file}: will not continue a broken record: ${check.message}`);
      this.n = check.lastEntry.n + 1;
      this.prev = check.lastEntry.hash;
      this.fd = openSync(opts.file, 'a');
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
