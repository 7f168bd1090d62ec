/**
 * The Electron-only implementations, with Electron replaced: `electron` by a fake safeStorage (reversible
 * "encryption" whose availability the test controls), and `electron-store` by a small conf-like class that
 * keeps the document in a real JSON file, as electron-store does.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const fakeSafeStorage = vi.hoisted(() => ({
  available: true,
  backend: 'gnome_libsecret',
  isEncryptionAvailable() {
    return this.available;
  },
  getSelectedStorageBackend() {
    return this.backend;
  },
  encryptString(plainText: string) {
    return Buffer.from(`enc:${Buffer.from(plainText, 'utf8').toString('hex')}`);
  },
  decryptString(encrypted: Buffer) {
    const text = encrypted.toString();
    if (!text.startsWith('enc:')) throw new Error('Error while decrypting the ciphertext provided to safeStorage.decryptString.');
    return Buffer.from(text.slice(4), 'hex').toString('utf8');
  },
}));

vi.mock('electron', () => ({ safeStorage: fakeSafeStorage, default: { safeStorage: fakeSafeStorage } }));

vi.mock('electron-store', async () => {
  const fs = await import('node:fs');
  const path = await import('node:path');
  class FakeElectronStore {
    readonly path: string;
    constructor(options: { name: string; cwd: string; configFileMode?: number }) {
      this.path = path.join(options.cwd, `${options.name}.json`);
      fs.mkdirSync(options.cwd, { recursive: true });
      // Like conf with clearInvalidConfig: false, an unparsable file makes the constructor throw.
      if (fs.existsSync(this.path)) JSON.parse(fs.readFileSync(this.path, 'utf8'));
    }
    get store(): Record<string, unknown> {
      return fs.existsSync(this.path) ? (JSON.parse(fs.readFileSync(this.path, 'utf8')) as Record<string, unknown>) : {};
    }
    set store(value: Record<string, unknown>) {
      fs.writeFileSync(this.path, JSON.stringify(value, null, '\t'));
    }
  }
  return { default: FakeElectronStore };
});

const { ElectronSettingsStore } = await import('../../../../src-main/main/settings/electron-settings-store');
const { SafeStorageSecretStore } = await import('../../../../src-main/main/settings/safe-storage-secret-store');
const { defaultSettings } = await import('../../../../src-main/main/settings/settings-schema');

describe('ElectronSettingsStore and SafeStorageSecretStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lfc-electron-settings-'));
    fakeSafeStorage.available = true;
    fakeSafeStorage.backend = 'gnome_libsecret';
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps validated settings in <userData>/settings.json through electron-store', async () => {
    const defaults = defaultSettings({ dataDir: dir });
    const store = await ElectronSettingsStore.open({ cwd: dir, defaults });
    expect(store.file).toBe(join(dir, 'settings.json'));
    store.set('theme', 'dark');
    expect(JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8')).theme).toBe('dark');
    expect(() => store.set('theme', 'neon' as 'dark')).toThrow(/not changed/);
    expect((await ElectronSettingsStore.open({ cwd: dir, defaults })).get('theme')).toBe('dark');
  });

  it('sets an unparsable settings file aside and starts from defaults', async () => {
    writeFileSync(join(dir, 'settings.json'), '{oops');
    const store = await ElectronSettingsStore.open({ cwd: dir, defaults: defaultSettings({ dataDir: dir }), nowMs: 42 });
    expect(store.loadProblems[0]).toMatch(/kept as .*settings\.json\.invalid-42/);
    expect(existsSync(join(dir, 'settings.json.invalid-42'))).toBe(true);
  });

  it('stores secrets encrypted (base64) in the settings file, apart from the settings, and reads them back', async () => {
    const settings = await ElectronSettingsStore.open({ cwd: dir, defaults: defaultSettings({ dataDir: dir }) });
    const secrets = await SafeStorageSecretStore.create(settings);
    secrets.set('opcua.bess.password', 'p@ss');
    const onDisk = JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8'));
    expect(onDisk.encryptedSecrets['opcua.bess.password']).toBe(fakeSafeStorage.encryptString('p@ss').toString('base64'));
    expect(JSON.stringify(onDisk)).not.toContain('p@ss');
    expect(settings.getAll()).not.toHaveProperty('encryptedSecrets');
    // A settings change keeps the secrets section.
    settings.set('language', 'de');
    expect(secrets.get('opcua.bess.password')).toBe('p@ss');
    expect(secrets.names()).toEqual(['opcua.bess.password']);
    expect(secrets.delete('opcua.bess.password')).toBe(true);
    expect(secrets.get('opcua.bess.password')).toBeNull();
  });

  it('refuses to store a secret when encryption is unavailable or only the fixed-key Linux backend is', async () => {
    const settings = await ElectronSettingsStore.open({ cwd: dir, defaults: defaultSettings({ dataDir: dir }) });
    const secrets = new SafeStorageSecretStore(fakeSafeStorage, settings, 'linux');
    fakeSafeStorage.available = false;
    expect(() => secrets.set('a', 'x')).toThrow(/cannot store secret a: the operating system offers no encryption .*not stored/);
    fakeSafeStorage.available = true;
    fakeSafeStorage.backend = 'basic_text';
    expect(() => secrets.set('a', 'x')).toThrow(/no keyring .* fixed key/);
    expect(secrets.names()).toEqual([]);
  });

  it('says clearly when a stored secret cannot be decrypted', async () => {
    const settings = await ElectronSettingsStore.open({ cwd: dir, defaults: defaultSettings({ dataDir: dir }) });
    settings.writeEncryptedSecrets({ broken: Buffer.from('garbage').toString('base64') });
    const secrets = await SafeStorageSecretStore.create(settings);
    expect(() => secrets.get('broken')).toThrow(/secret broken cannot be decrypted/);
  });
});
