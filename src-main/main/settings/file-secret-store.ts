/**
 * Secrets for serve mode (no Electron, no OS keychain): AES-256-GCM with a random 256-bit key kept in a
 * key file that only the user can read (mode 0600), secrets in a JSON file beside it.
 *
 * This is WEAKER than the OS keychain: anyone who can read the user's files (a backup, another process
 * of the same user, root) can read both files and decrypt. It protects against a secrets file copied on
 * its own (into a bug report, a shared folder), not against the user's own account being compromised.
 * The desktop app uses `SafeStorageSecretStore` instead.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

import { z } from 'zod';

import { writeFileAtomic } from '../../node/atomic-write';
import { assertSecretName } from './secret-store';
import type { SecretStore } from './secret-store';

const KEY_BYTES = 32;
const IV_BYTES = 12;

const secretsFileSchema = z.object({
  version: z.literal(1),
  algorithm: z.literal('aes-256-gcm'),
  secrets: z.record(z.string(), z.object({ iv: z.base64(), tag: z.base64(), data: z.base64() })),
});
type SecretsFile = z.infer<typeof secretsFileSchema>;

export class FileSecretStore implements SecretStore {
  private constructor(
    readonly file: string,
    readonly keyFile: string,
    private readonly key: Buffer,
  ) {}

  /**
   * Opens the store, creating the key file (0600) on first use. Refuses a key file that group or others
   * can read, or that is not 32 bytes: better no secrets than secrets under a leaked or damaged key.
   */
  static open(opts: { file: string; keyFile?: string }): FileSecretStore {
    const file = resolve(opts.file);
    const keyFile = resolve(opts.keyFile ?? `${file}.key`);
    mkdirSync(dirname(keyFile), { recursive: true, mode: 0o700 });
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    if (!existsSync(keyFile)) {
      // 'wx': never overwrite a key that exists (it would make every stored secret unreadable).
      writeFileSync(keyFile, randomBytes(KEY_BYTES), { mode: 0o600, flag: 'wx' });
    }
    if (process.platform !== 'win32') {
      const mode = statSync(keyFile).mode & 0o777;
      if ((mode & 0o077) !== 0) {
        throw new Error(`key file ${keyFile} is readable by others (mode ${mode.toString(8)}); run "chmod 600 ${keyFile}" and restart`);
      }
    }
    const key = readFileSync(keyFile);
    if (key.length !== KEY_BYTES) throw new Error(`key file ${keyFile} holds ${key.length} bytes, expected ${KEY_BYTES}: it is damaged`);
    return new FileSecretStore(file, keyFile, key);
  }

  private read(): SecretsFile {
    if (!existsSync(this.file)) return { version: 1, algorithm: 'aes-256-gcm', secrets: {} };
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(this.file, 'utf8'));
    } catch (error) {
      throw new Error(`secrets file ${this.file} is not valid JSON: ${(error as Error).message}`, { cause: error });
    }
    const parsed = secretsFileSchema.safeParse(raw);
    if (!parsed.success) throw new Error(`secrets file ${this.file} is malformed: ${z.prettifyError(parsed.error)}`);
    return parsed.data;
  }

  private write(contents: SecretsFile): void {
    writeFileAtomic(this.file, `${JSON.stringify(contents, null, 2)}\n`, 0o600);
  }

  set(name: string, plaintext: string): void {
    assertSecretName(name);
    if (typeof plaintext !== 'string') throw new Error(`secret ${name}: the value must be a string`);
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    // The name is authenticated data: a ciphertext moved to another name fails to decrypt.
    cipher.setAAD(Buffer.from(name, 'utf8'));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const contents = this.read();
    contents.secrets[name] = { iv: iv.toString('base64'), tag: cipher.getAuthTag().toString('base64'), data: data.toString('base64') };
    this.write(contents);
  }

  get(name: string): string | null {
    assertSecretName(name);
    const entry = this.read().secrets[name];
    if (entry === undefined) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(entry.iv, 'base64'));
      decipher.setAAD(Buffer.from(name, 'utf8'));
      decipher.setAuthTag(Buffer.from(entry.tag, 'base64'));
      return Buffer.concat([decipher.update(Buffer.from(entry.data, 'base64')), decipher.final()]).toString('utf8');
    } catch (error) {
      throw new Error(`secret ${name} in ${this.file} cannot be decrypted with ${this.keyFile} (wrong key or tampered file)`, { cause: error });
    }
  }

  delete(name: string): boolean {
    assertSecretName(name);
    const contents = this.read();
    if (!(name in contents.secrets)) return false;
    delete contents.secrets[name];
    this.write(contents);
    return true;
  }

  names(): string[] {
    return Object.keys(this.read().secrets).sort();
  }
}
