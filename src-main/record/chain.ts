/**
 * The record's line format (`lfc-record/1`), shared by the writer and the verifier.
 *
 * One JSON object per line. Line 0 is the header (`kind: "header"`), carrying the installation's public key.
 * Every line is `{ n, timeMs, kind, data, prev, hash, sig }`:
 * - `n`: the entry number (the header is 0), so a missing or moved line is named exactly;
 * - `prev`: the previous entry's `hash` (64 zeros for the header);
 * - `hash`: SHA-256 (hex) over the canonical JSON of `{ n, timeMs, kind, data, prev }`;
 * - `sig`: Ed25519 signature (base64) over the 32 hash bytes, by the installation key.
 * Changing any value breaks its hash; recomputing the hash breaks the signature (the key stays with the
 * installation); deleting or moving a line breaks the next `prev` and `n`.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

export const RECORD_FORMAT = 'lfc-record/1';
export const GENESIS_HASH = '0'.repeat(64);

/**
 * `seal` closes a record: written by `RecordLog.close()` with the number of entries before it. A record
 * whose last entry is not a seal was not closed — its writer stopped, or entries were cut from its end
 * (a hash chain alone cannot tell a prefix from the whole). `resumed` starts each continuation of a record
 * (`sealedBefore: false` = the previous writer stopped without closing it); `recovered` says a torn last
 * line, cut short by a crash, was moved aside (see `record-log.ts`).
 */
export type RecordKind =
  | 'header'
  | 'trigger'
  | 'trigger-refused'
  | 'setpoint'
  | 'ack'
  | 'measurements'
  | 'event'
  | 'run-ended'
  | 'seal'
  | 'resumed'
  | 'recovered';

export interface RecordEntry {
  n: number;
  timeMs: number;
  kind: RecordKind | string;
  data: unknown;
  prev: string;
  hash: string;
  sig: string;
}

export interface RecordHeaderData {
  format: typeof RECORD_FORMAT;
  publicKey: string;
  keyFingerprint: string;
  installation: string;
}

export function entryHash(e: Pick<RecordEntry, 'n' | 'timeMs' | 'kind' | 'data' | 'prev'>): Buffer {
  return createHash('sha256').update(canonicalJson({ n: e.n, timeMs: e.timeMs, kind: e.kind, data: e.data, prev: e.prev })).digest();
}
