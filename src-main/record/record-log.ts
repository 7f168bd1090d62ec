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
 * SHA-256. A last line that is complete but does not verify is never repaired: that is a broken record
 * (a torn write never leaves a complete JSON object behind, so a tail that parses was not torn). The torn
 * file is on disk before the record is cut; a torn file that no `recovered` entry names (the process died
 * in between) is named on the next open.
 *
 * One writer at a time: the record is locked (`<record>.lock`, holding the writer's process id) while it is
 * open; a lock whose process is gone is taken over.
 */
import { createHash, sign } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { processAlive } from '../node/owner-lock.js';
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
  private fd = -1;
  private n = 0;
  private prev = GENESIS_HASH;
  private readonly key: InstallationKey;
  private readonly nowMs: () => number;

  constructor(opts: RecordLogOptions) {
    this.file = opts.file;
    this.key = opts.key;
    this.nowMs = opts.nowMs;
    mkdirSync(dirname(opts.file), { recursive: true });
    acquireLock(opts.file);
    try {
      this.open(opts);
    } catch (error) {
      if (this.fd >= 0) closeSync(this.fd);
      this.fd = -1;
      releaseLock(opts.file);
      throw error;
    }
  }

  private open(opts: RecordLogOptions): void {
    const recovered = existsSync(opts.file) ? recoverTornTail(opts.file, opts.key.publicKeyBase64) : null;
    if (existsSync(opts.file) && readFileSync(opts.file, 'utf8').trim() !== '') {
      const text = readFileSync(opts.file, 'utf8');
      const check = verifyRecordText(text, { publicKeyBase64: opts.key.publicKeyBase64 });
      if (!check.ok) throw new Error(`${opts.file}: will not continue a broken record: ${check.message}`);
      this.n = check.lastEntry.n + 1;
      this.prev = check.lastEntry.hash;
      this.fd = openSync(opts.file, 'a');
      // Torn files the record does not name yet: the one just moved aside, and any left by a process that
      // died between moving one aside and saying so.
      // (Only the next entry's: an earlier one would have been named then, or belongs to another record.)
      const named = new Set(check.recoveries.map((r) => r.savedTo));
      if (recovered) named.add(recovered.savedTo);
      const orphans = unnamedTornFiles(opts.file, check.lastEntry.n + 1, named);
      for (const orphan of orphans) this.append('recovered', { ...orphan, foundOnOpen: true });
      if (recovered) this.append('recovered', recovered);
      // A writer that left a torn line stopped without closing the record, whatever came before it.
      this.append('resumed', { afterEntry: check.lastEntry.n, sealedBefore: check.sealed && !recovered && orphans.length === 0 });
    } else {
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
      // A torn header left by a writer that died before saying so (a torn file of entry 0).
      for (const orphan of unnamedTornFiles(opts.file, 0, new Set(recovered ? [recovered.savedTo] : []))) this.append('recovered', { ...orphan, foundOnOpen: true });
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
    releaseLock(this.file);
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
  // A torn write never leaves a complete JSON value behind: a tail that parses was written whole, and if it
  // does not verify (below) the record is broken, not torn.
  let parses = true;
  try {
    JSON.parse(tail.toString('utf8'));
  } catch {
    parses = false;
  }
  if (parses) {
    if (verifyRecordText(bytes.toString('utf8') + '\n', pin).ok) writeFileSync(file, '\n', { flag: 'a' });
    return null;
  }
  const prefix = before.toString('utf8');
  const check = prefix.trim() === '' ? null : verifyRecordText(prefix, pin);
  if (check && !check.ok) return null;
  const entry = check ? check.lastEntry.n + 1 : 0;
  let savedTo = `${file}.torn-${entry}`;
  // The same bytes already moved aside (the writer died before cutting the record): that copy serves.
  const sameBytes = (path: string): boolean => readFileSync(path).equals(tail);
  for (let k = 2; existsSync(savedTo) && !sameBytes(savedTo); k++) savedTo = `${file}.torn-${entry}-${k}`;
  if (existsSync(savedTo)) {
    truncateSync(file, before.length);
    return describeTorn(savedTo, tail);
  }
  // On disk (file and folder entry) before the record is cut, so a power cut cannot lose the torn bytes.
  const fd = openSync(savedTo, 'wx');
  try {
    writeSync(fd, tail);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  syncFolder(dirname(file));
  truncateSync(file, before.length);
  return describeTorn(savedTo, tail);
}

function describeTorn(path: string, bytes: Buffer): TornTailRecovery {
  return { savedTo: basename(path), bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
}

/** Torn files of entry `entry` beside the record (`<record>.torn-<entry>[-k]`) that `named` does not contain. */
function unnamedTornFiles(file: string, entry: number, named: ReadonlySet<string>): TornTailRecovery[] {
  const base = basename(file);
  return readdirSync(dirname(file))
    .filter((name) => name.startsWith(`${base}.torn-`) && /^(\d+)(-\d+)?$/.test(name.slice(base.length + 6)) && Number.parseInt(name.slice(base.length + 6), 10) === entry && !named.has(name))
    .sort()
    .map((name) => describeTorn(join(dirname(file), name), readFileSync(join(dirname(file), name))));
}

function syncFolder(folder: string): void {
  // Not every platform can open a folder to sync it (Windows cannot): there the file's own sync must do.
  try {
    const fd = openSync(folder, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* best effort */
  }
}

const lockPath = (file: string): string => `${file}.lock`;
/** Records this process has open (a lock with this process's id that is not here was left by an earlier life of it, e.g. before a container restart). */
const openHere = new Set<string>();

/** Takes the record's writer lock, or says who holds it; a lock left by a process that is gone is taken over. */
function acquireLock(file: string): void {
  const path = lockPath(file);
  if (openHere.has(path)) throw new Error(`${file}: this process has the record open already`);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx' });
      openHere.add(path);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const text = readFileSync(path, 'utf8');
      // An empty lock is another writer between creating it and writing its id: not stale unless it is old.
      if (text.trim() === '' && Date.now() - statSync(path).mtimeMs < 5000) throw new Error(`${file}: another writer is opening this record (its lock: ${path})`);
      const holder = Number.parseInt(text, 10);
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && processAlive(holder)) {
        throw new Error(`${file}: another writer (process ${holder}) has this record open; one writer at a time (its lock: ${path})`);
      }
      rmSync(path, { force: true });
    }
  }
  throw new Error(`${file}: could not take the record's lock ${path}`);
}

function releaseLock(file: string): void {
  const path = lockPath(file);
  openHere.delete(path);
  try {
    if (Number.parseInt(readFileSync(path, 'utf8'), 10) === process.pid) rmSync(path, { force: true });
  } catch {
    /* already gone */
  }
}
