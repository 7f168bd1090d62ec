/**
 * `npm run verify-log -- <record.jsonl> [--key <installation-ed25519.pub.pem>]`
 *
 * Proves a tamper-evident record intact (exit 0, with the entry count and the key fingerprint) or names its
 * first broken link (exit 1: entry number, line, what differs). Exit 2 on bad arguments or an unreadable file.
 */
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describePublicKey } from '../record/installation-key.js';
import { verifyRecordText } from '../record/verify.js';

import { HelpRequested, parseCommandLine, usageText, UsageError } from './args.js';
const USAGE = usageText('verify-log', '<record.jsonl> [options]', [['--key <file>', "pin the installation's public key (installation-ed25519.pub.pem): a record signed with another key fails"]]);

export function verifyLogMain(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): number {
  let file: string;
  let keyFile: string | undefined;
  try {
    const { values, positionals } = parseCommandLine(argv, { key: { type: 'string' } }, USAGE, 1);
    if (!positionals[0]) throw new UsageError(`no record file given\n${USAGE}`);
    file = positionals[0];
    keyFile = values.key;
  } catch (e) {
    if (e instanceof HelpRequested) {
      out(USAGE + '\n');
      return 0;
    }
    err(`verify-log: ${(e as Error).message}\n`);
    return 2;
  }
  let text: string;
  let publicKeyBase64: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
    if (keyFile) publicKeyBase64 = describePublicKey(createPublicKey(readFileSync(keyFile, 'utf8'))).publicKeyBase64;
  } catch (e) {
    err(`verify-log: ${e instanceof Error ? e.message : String(e)}\n`);
    return 2;
  }
  const result = verifyRecordText(text, publicKeyBase64 !== undefined ? { publicKeyBase64 } : {});
  if (result.ok) {
    out(`${file}: intact — ${result.entries} entries, signed by installation key ${result.keyFingerprint}${result.installation ? ` (${result.installation})` : ''}${keyFile ? ', the pinned key' : ''}\n`);
    if (result.resumes > 0) {
      out(`${file}: continued ${result.resumes} time(s)${result.resumesAfterUnsealed > 0 ? `, ${result.resumesAfterUnsealed} of them after a writer that stopped without closing it` : ''}\n`);
    }
    for (const r of result.recoveries) out(`${file}: entry ${r.entry}: a line torn by a crash was moved aside to ${r.savedTo}\n`);
    if (!result.sealed) {
      out(`${file}: WARNING not sealed — the record was not closed: its writer stopped (or is still writing), or entries were cut from its end\n`);
    }
    return 0;
  }
  out(`${file}: BROKEN at ${result.message}\n`);
  return 1;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop()!)) {
  process.exit(verifyLogMain(process.argv.slice(2)));
}
