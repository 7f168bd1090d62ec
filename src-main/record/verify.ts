/**
 * Proves a record intact, or names its first broken link: the entry number, the line, and what differs
 * (an entry number out of sequence, a `prev` that is not the previous entry's hash, content that does not
 * match its hash, a signature that does not verify).
 */
import { canonicalJson } from './canonical-json.js';
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { GENESIS_HASH, RECORD_FORMAT, entryHash, type RecordEntry } from './chain.js';
import { describePublicKey } from './installation-key.js';

export type VerifyResult =
  | {
      ok: true;
      entries: number;
      keyFingerprint: string;
      lastEntry: RecordEntry;
      installation: string;
      /** The record ends with the seal its writer adds on closing: nothing was cut from its end. */
      sealed: boolean;
      /** Continuations of the record (`resumed` entries), and how many of them followed a writer that had not sealed it. */
      resumes: number;
      resumesAfterUnsealed: number;
      /** Torn last lines moved aside on a continuation (`recovered` entries): the entry and the file named. */
      recoveries: Array<{ entry: number; savedTo: string }>;
    }
  | { ok: false; entry: number; line: number; message: string };

export interface VerifyOptions {
  /** Pin the installation key (base64 SPKI DER); without it, the key in the header is trusted. */
  publicKeyBase64?: string;
}

const HEX64 = /^[0-9a-f]{64}$/;

export function verifyRecordText(text: string, opts: VerifyOptions = {}): VerifyResult {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  if (lines.length === 0) return { ok: false, entry: 0, line: 1, message: 'the record is empty: no header' };
  let key: KeyObject | null = null;
  let fingerprint = '';
  let installation = '';
  let prevHash = GENESIS_HASH;
  let last: RecordEntry | null = null;
  let resumes = 0;
  let resumesAfterUnsealed = 0;
  const recoveries: Array<{ entry: number; savedTo: string }> = [];
  for (let i = 0; i < lines.length; i++) {
    const fail = (message: string) => ({ ok: false as const, entry: i, line: i + 1, message: `entry ${i} (line ${i + 1}): ${message}` });
    let e: RecordEntry;
    try {
      e = JSON.parse(lines[i]!) as RecordEntry;
    } catch (err) {
      return fail(`not valid JSON (${err instanceof Error ? err.message : String(err)})`);
    }
    if (typeof e !== 'object' || e === null || typeof e.n !== 'number' || typeof e.hash !== 'string' || typeof e.prev !== 'string' || typeof e.sig !== 'string') {
      return fail('not a record entry: n, prev, hash and sig are required');
    }
    // Every line is written in canonical form: anything else (an extra field, a duplicated key that a
    // first-wins reader would see differently) was not written by the record and is not covered by its hash.
    if (canonicalJson(e) !== lines[i]) return fail('the line is not in the canonical form the record writes: content outside the hashed fields was added or changed');
    if (e.n !== i) {
      const why = e.n > i ? `${e.n - i} entr${e.n - i === 1 ? 'y is' : 'ies are'} missing before it, or lines were moved` : 'lines were moved or repeated';
      return fail(`entry number is ${e.n}, expected ${i}: ${why}`);
    }
    if (e.prev !== prevHash) return fail(`prev is ${short(e.prev)}, but the previous entry's hash is ${short(prevHash)}: a line before it was changed, removed or moved`);
    if (!HEX64.test(e.hash)) return fail(`hash ${JSON.stringify(e.hash)} is not 64 hex digits`);
    const recomputed = entryHash(e);
    if (recomputed.toString('hex') !== e.hash) {
      return fail(`content does not match its hash (stored ${short(e.hash)}, recomputed ${short(recomputed.toString('hex'))}): a value in this entry was changed`);
    }
    if (i === 0) {
      const h = e.data as { format?: unknown; publicKey?: unknown; installation?: unknown } | null;
      if (e.kind !== 'header' || !h || h.format !== RECORD_FORMAT || typeof h.publicKey !== 'string') {
        return fail(`the first entry must be a ${RECORD_FORMAT} header with the installation's public key`);
      }
      try {
        key = createPublicKey({ key: Buffer.from(h.publicKey, 'base64'), format: 'der', type: 'spki' });
      } catch {
        return fail('the header\'s public key is not a valid SPKI key');
      }
      if (opts.publicKeyBase64 !== undefined && opts.publicKeyBase64 !== h.publicKey) {
        return fail(`the header's key (${describePublicKey(key).fingerprint}) is not the expected installation key (${describePublicKey(createPublicKey({ key: Buffer.from(opts.publicKeyBase64, 'base64'), format: 'der', type: 'spki' })).fingerprint})`);
      }
      fingerprint = describePublicKey(key).fingerprint;
      installation = typeof h.installation === 'string' ? h.installation : '';
    }
    let sigOk = false;
    try {
      sigOk = verify(null, recomputed, key!, Buffer.from(e.sig, 'base64'));
    } catch {
      sigOk = false;
    }
    if (!sigOk) return fail(`the signature does not verify with the installation key ${fingerprint}: the entry was re-hashed or signed by someone else`);
    prevHash = e.hash;
    last = e;
    if (e.kind === 'resumed') {
      resumes++;
      if ((e.data as { sealedBefore?: unknown } | null)?.sealedBefore !== true) resumesAfterUnsealed++;
    } else if (e.kind === 'recovered') {
      recoveries.push({ entry: e.n, savedTo: String((e.data as { savedTo?: unknown } | null)?.savedTo ?? '?') });
    }
  }
  const seal = last!.data as { entriesBefore?: unknown } | null;
  const sealed = last!.kind === 'seal' && seal !== null && seal.entriesBefore === last!.n;
  return { ok: true, entries: lines.length, keyFingerprint: fingerprint, lastEntry: last!, installation, sealed, resumes, resumesAfterUnsealed, recoveries };
}

function short(hash: string): string {
  return hash.length > 16 ? `${hash.slice(0, 12)}…` : JSON.stringify(hash);
}
