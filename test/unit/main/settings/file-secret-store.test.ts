import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { FileSecretStore } from '../../../../src-main/main/settings/file-secret-store';

const posix = process.platform !== 'win32';

describe('FileSecretStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lfc-secrets-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('encrypts with AES-256-GCM under a 0600 key file and reads back across reopen', () => {
    const file = join(dir, 'secrets.json');
    const store = FileSecretStore.open({ file });
    store.set('opcua.bess.password', 'hunter2-Grünstrom');
    store.set('api.token', 't0k3n');
    expect(store.get('opcua.bess.password')).toBe('hunter2-Grünstrom');
    expect(store.names()).toEqual(['api.token', 'opcua.bess.password']);
    const onDisk = readFileSync(file, 'utf8');
    expect(onDisk).not.toContain('hunter2');
    expect(JSON.parse(onDisk).algorithm).toBe('aes-256-gcm');
    if (posix) {
      expect(statSync(`${file}.key`).mode & 0o777).toBe(0o600);
      expect(statSync(file).mode & 0o777).toBe(0o600);
    }
    const reopened = FileSecretStore.open({ file });
    expect(reopened.get('api.token')).toBe('t0k3n');
    expect(reopened.delete('api.token')).toBe(true);
    expect(reopened.delete('api.token')).toBe(false);
    expect(reopened.get('api.token')).toBeNull();
  });

  it('uses a fresh IV per secret and detects a ciphertext moved to another name or tampered with', () => {
    const file = join(dir, 'secrets.json');
    const store = FileSecretStore.open({ file });
    store.set('a', 'same');
    store.set('b', 'same');
    const contents = JSON.parse(readFileSync(file, 'utf8'));
    expect(contents.secrets.a.data).not.toBe(contents.secrets.b.data);
    contents.secrets.b = contents.secrets.a;
    writeFileSync(file, JSON.stringify(contents));
    expect(() => store.get('b')).toThrow(/secret b .* cannot be decrypted .*wrong key or tampered/);
    expect(store.get('a')).toBe('same');
  });

  it('cannot decrypt with another key', () => {
    const file = join(dir, 'secrets.json');
    FileSecretStore.open({ file }).set('x', 'secret');
    rmSync(`${file}.key`);
    expect(() => FileSecretStore.open({ file }).get('x')).toThrow(/cannot be decrypted/);
  });

  it.runIf(posix)('refuses a key file that others can read', () => {
    const file = join(dir, 'secrets.json');
    FileSecretStore.open({ file });
    chmodSync(`${file}.key`, 0o644);
    expect(() => FileSecretStore.open({ file })).toThrow(/readable by others \(mode 644\); run "chmod 600/);
  });

  it('refuses bad names and a malformed secrets file with a clear error', () => {
    const file = join(dir, 'secrets.json');
    const store = FileSecretStore.open({ file });
    expect(() => store.set('../etc', 'x')).toThrow(/secret name "..\/etc" is invalid/);
    writeFileSync(file, '{"version":2}');
    expect(() => store.names()).toThrow(/secrets file .*secrets\.json is malformed/);
  });
});
