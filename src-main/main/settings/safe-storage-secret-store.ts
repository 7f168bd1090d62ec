/**
 * Secrets encrypted by Electron's `safeStorage` (the OS keychain: DPAPI on Windows, Keychain on macOS,
 * libsecret/kwallet on Linux), stored base64 in the settings file's `encryptedSecrets` section.
 *
 * It refuses to store anything when encryption is unavailable, or when on Linux it would fall back to
 * the `basic_text` backend (a hard-coded key, i.e. no protection): better a clear error than a password
 * that only looks encrypted.
 */
import { assertSecretName } from './secret-store';
import type { SecretStore } from './secret-store';
import type { EncryptedSecretsSection } from './settings-store';

/** The part of Electron's `safeStorage` used here. */
export interface SafeStorageLike {
  isEncryptionAvailable(): boolean;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
  getSelectedStorageBackend?(): string;
}

export class SafeStorageSecretStore implements SecretStore {
  constructor(
    private readonly safeStorage: SafeStorageLike,
    private readonly section: EncryptedSecretsSection,
    private readonly platform: NodeJS.Platform = process.platform,
  ) {}

  /** Uses the real `safeStorage`; call after `app.whenReady()` (Electron needs the app ready for it). */
  static async create(section: EncryptedSecretsSection): Promise<SafeStorageSecretStore> {
    const { safeStorage } = await import('electron');
    return new SafeStorageSecretStore(safeStorage, section);
  }

  private assertUsable(action: string): void {
    if (!this.safeStorage.isEncryptionAvailable()) {
      throw new Error(`cannot ${action}: the operating system offers no encryption to this app (Electron safeStorage is unavailable); the secret was not stored`);
    }
    if (this.platform === 'linux' && this.safeStorage.getSelectedStorageBackend?.() === 'basic_text') {
      throw new Error(
        `cannot ${action}: no keyring (gnome-keyring/kwallet) is running, so Electron would encrypt with a fixed key; start a keyring and retry. The secret was not stored`,
      );
    }
  }

  set(name: string, plaintext: string): void {
    assertSecretName(name);
    if (typeof plaintext !== 'string') throw new Error(`secret ${name}: the value must be a string`);
    this.assertUsable(`store secret ${name}`);
    const encrypted = this.safeStorage.encryptString(plaintext).toString('base64');
    this.section.writeEncryptedSecrets({ ...this.section.readEncryptedSecrets(), [name]: encrypted });
  }

  get(name: string): string | null {
    assertSecretName(name);
    const encrypted = this.section.readEncryptedSecrets()[name];
    if (encrypted === undefined) return null;
    this.assertUsable(`read secret ${name}`);
    try {
      return this.safeStorage.decryptString(Buffer.from(encrypted, 'base64'));
    } catch (error) {
      throw new Error(`secret ${name} cannot be decrypted (was it stored by another user or machine?): ${(error as Error).message}`, { cause: error });
    }
  }

  delete(name: string): boolean {
    assertSecretName(name);
    const { [name]: existing, ...rest } = this.section.readEncryptedSecrets();
    if (existing === undefined) return false;
    this.section.writeEncryptedSecrets(rest);
    return true;
  }

  names(): string[] {
    return Object.keys(this.section.readEncryptedSecrets()).sort();
  }
}
