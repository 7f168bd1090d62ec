/**
 * The tamper-evident record's check from the console (the same as `npm run verify-log`), pinned to this
 * installation's key when it has one, so a record re-signed wholesale with another key fails.
 */
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { describePublicKey, PUBLIC_KEY_FILE } from '../../record/installation-key';
import { verifyRecordText } from '../../record/verify';
import type { RecordVerification } from '../../shared/ipc-contract';
import { CoreError } from '../requests';
import type { ScenarioFiles } from './scenario-files';

export class RecordService {
  constructor(
    private readonly dataDirPath: string,
    private readonly files: Pick<ScenarioFiles, 'allowedFile'>,
  ) {}

  /** Verifies a tamper-evident record file (the same check as `npm run verify-log`). */
  async verify(path: string): Promise<RecordVerification> {
    if (typeof path !== 'string' || path.length === 0) throw new CoreError('BAD_REQUEST', 'record:verify: a file path is required');
    const file = this.files.allowedFile(path, 'record:verify');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new CoreError('NOT_FOUND', `record:verify: ${file} cannot be read: ${(error as Error).message}`);
    }
    const pinned = installationPublicKeyBase64(this.dataDirPath);
    const r = verifyRecordText(text, pinned !== null ? { publicKeyBase64: pinned } : {});
    return r.ok
      ? {
          ok: true,
          path: file,
          entries: r.entries,
          keyFingerprint: r.keyFingerprint,
          installation: r.installation,
          sealed: r.sealed,
          resumes: r.resumes,
          resumesAfterUnsealed: r.resumesAfterUnsealed,
          recoveries: r.recoveries,
        }
      : { ok: false, path: file, entry: r.entry, line: r.line, message: r.message };
  }
}

/** The installation's public key (base64 SPKI DER) from `<data folder>/keys/`, or null if it has none yet. */
function installationPublicKeyBase64(dataDirPath: string): string | null {
  try {
    return describePublicKey(createPublicKey(readFileSync(join(dataDirPath, 'keys', PUBLIC_KEY_FILE), 'utf8'))).publicKeyBase64;
  } catch {
    return null;
  }
}
