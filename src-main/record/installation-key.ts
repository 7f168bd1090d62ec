/**
 * The installation's Ed25519 signing key: generated on first use into a given folder (private key PKCS#8
 * PEM, readable by the owner only; public key SPKI PEM next to it), loaded on every later start. The public
 * key goes into every record's header, so a record can be checked anywhere; pin it with
 * `verify-log --key <file>.pub.pem` to rule out a record forged wholesale with another key.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const PRIVATE_KEY_FILE = 'installation-ed25519.key.pem';
export const PUBLIC_KEY_FILE = 'installation-ed25519.pub.pem';

export interface InstallationKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Base64 of the SPKI DER encoding, as embedded in record headers. */
  publicKeyBase64: string;
  /** First 16 hex digits of SHA-256 over the SPKI DER: short enough to read aloud, long enough to compare. */
  fingerprint: string;
}

export function describePublicKey(publicKey: KeyObject): { publicKeyBase64: string; fingerprint: string } {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return { publicKeyBase64: der.toString('base64'), fingerprint: createHash('sha256').update(der).digest('hex').slice(0, 16) };
}

/** Loads the key from `keyDir`, generating it (and the folder) on first use. */
export function loadOrCreateInstallationKey(keyDir: string): InstallationKey {
  const privPath = join(keyDir, PRIVATE_KEY_FILE);
  const pubPath = join(keyDir, PUBLIC_KEY_FILE);
  let privateKey: KeyObject;
  if (existsSync(privPath)) {
    try {
      privateKey = createPrivateKey(readFileSync(privPath, 'utf8'));
    } catch (err) {
      throw new Error(`${privPath}: not a readable PEM private key (${err instanceof Error ? err.message : String(err)})`);
    }
    if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error(`${privPath}: expected an Ed25519 key, found ${privateKey.asymmetricKeyType ?? 'unknown'}`);
  } else {
    mkdirSync(keyDir, { recursive: true, mode: 0o700 });
    const pair = generateKeyPairSync('ed25519');
    privateKey = pair.privateKey;
    // 'wx': never overwrite a key another process created a moment ago.
    writeFileSync(privPath, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  }
  const publicKey = createPublicKey(privateKey);
  if (!existsSync(pubPath)) writeFileSync(pubPath, publicKey.export({ type: 'spki', format: 'pem' }));
  return { privateKey, publicKey, ...describePublicKey(publicKey) };
}
