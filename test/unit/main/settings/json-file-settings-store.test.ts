import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { JsonFileSettingsStore } from '../../../../src-main/main/settings/json-file-settings-store';
import { defaultSettings } from '../../../../src-main/main/settings/settings-schema';
import type { Settings, SettingsKey } from '../../../../src-main/main/settings/settings-schema';

describe('JsonFileSettingsStore', () => {
  let dir: string;
  let file: string;
  let defaults: Settings;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'lfc-settings-'));
    file = join(dir, 'nested', 'settings.json');
    defaults = defaultSettings({ dataDir: join(dir, 'data') });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('starts from the defaults, writes the file (0600) and keeps changes across reopen', () => {
    const store = JsonFileSettingsStore.open({ file, defaults });
    expect(store.getAll()).toEqual(defaults);
    expect(store.loadProblems).toEqual([]);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(defaults);
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600);
    store.set('language', 'de');
    store.set('connections', [{ id: 'bess', role: 'bess', url: 'opc.tcp://127.0.0.1:4840/lfc', securityMode: 'SignAndEncrypt', username: 'ems', passwordSecret: 'opcua.bess.password', enabled: true }]);
    const reopened = JsonFileSettingsStore.open({ file, defaults });
    expect(reopened.get('language')).toBe('de');
    expect(reopened.get('connections')[0]!.url).toBe('opc.tcp://127.0.0.1:4840/lfc');
    // Atomic writes leave no temporary files behind.
    expect(readdirSync(join(dir, 'nested'))).toEqual(['settings.json']);
  });

  it('rejects an invalid value with the path and reason, and changes nothing', () => {
    const store = JsonFileSettingsStore.open({ file, defaults });
    expect(() => store.set('language', 'fr' as 'en')).toThrow(/settings \(.*settings\.json\) not changed: .*language/);
    expect(() => store.set('retention', { measurementsDays: 0, eventsDays: 10 })).toThrow(/retention\.measurementsDays/);
    const conn = { id: 'a', role: 'bess', url: 'opc.tcp://127.0.0.1:4840', securityMode: 'None', username: null, passwordSecret: null, enabled: true } as const;
    expect(() => store.set('connections', [conn, conn])).toThrow(/connection id "a" is used twice/);
    expect(() => store.set('connections', [{ ...conn, url: 'not a url' }])).toThrow(/connections/);
    expect(store.getAll()).toEqual(defaults);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(defaults);
  });

  it('tells listeners what changed, once per change, and not when nothing did', () => {
    const store = JsonFileSettingsStore.open({ file, defaults });
    const heard: Array<{ keys: SettingsKey[]; theme: string; before: string }> = [];
    const off = store.onChange((next, previous, keys) => heard.push({ keys, theme: next.theme, before: previous.theme }));
    store.update({ theme: 'dark', language: 'en' });
    store.set('theme', 'dark');
    off();
    store.set('theme', 'light');
    expect(heard).toEqual([{ keys: ['theme'], theme: 'dark', before: 'system' }]);
  });

  it('keeps the valid keys of a damaged file, names the bad ones and repairs the file', () => {
    const damaged = join(dir, 'damaged.json');
    writeFileSync(damaged, JSON.stringify({ language: 'de', theme: 'purple', retention: { measurementsDays: 7, eventsDays: 30 }, unknownKey: 1 }));
    const store = JsonFileSettingsStore.open({ file: damaged, defaults });
    expect(store.get('language')).toBe('de');
    expect(store.get('retention')).toEqual({ measurementsDays: 7, eventsDays: 30 });
    expect(store.get('theme')).toBe('system');
    expect(store.loadProblems).toHaveLength(1);
    expect(store.loadProblems[0]).toMatch(/^theme: .*\(default used\)/);
    expect(JSON.parse(readFileSync(damaged, 'utf8')).theme).toBe('system');
  });

  it('sets a file that is not JSON aside instead of overwriting it', () => {
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ "language": "de", ');
    const store = JsonFileSettingsStore.open({ file: broken, defaults, nowMs: 1234 });
    expect(store.loadProblems[0]).toMatch(/broken\.json could not be read .*kept as .*broken\.json\.invalid-1234/);
    expect(readFileSync(`${broken}.invalid-1234`, 'utf8')).toBe('{ "language": "de", ');
    expect(store.getAll()).toEqual(defaults);
    expect(existsSync(broken)).toBe(true);
  });
});
