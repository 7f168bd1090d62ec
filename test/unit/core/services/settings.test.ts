/** Settings: the simulator's connection and its test, preferences only where the host keeps them. */
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { SettingsService } from '../../../../src-main/core/services/settings';
import type { SiteService } from '../../../../src-main/core/site-service';
import type { Preferences } from '../../../../src-main/shared/ipc-contract';

const site = { connections: () => [], test: (id: string) => Promise.resolve({ id, ok: false, message: 'site', steps: [], latencyMs: null, opcua: null }) } as unknown as SiteService;
const live = { simulation: null, defaultScenarioPath: () => join('/r', 'scenarios', 'summer-export-hold', 'scenario.json') };

describe('SettingsService', () => {
  it('lists the bundled simulator first, and says it is not started when tested without a session', async () => {
    const s = new SettingsService({ dataDirPath: '/d', logFilePath: null, preferences: null, site, live });
    expect(s.get()).toEqual({ dataDirPath: '/d', logFilePath: null, preferences: null, connections: [expect.objectContaining({ id: 'simulator', endpoint: live.defaultScenarioPath() })] });
    expect(await s.testConnection('simulator')).toMatchObject({ ok: false, message: 'simulator: not started' });
    expect(await s.testConnection('dso')).toMatchObject({ id: 'dso', message: 'site' });
    await expect(s.testConnection('')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });

  it("stores preferences in the host's store, validated, and refuses them where the host keeps none", () => {
    let stored: Preferences = { language: 'en', theme: 'system' };
    const preferences = { get: () => stored, set: (p: Partial<Preferences>) => (stored = { ...stored, ...p }) };
    const s = new SettingsService({ dataDirPath: '/d', logFilePath: '/d/logs/lfc.log', preferences, site, live });
    expect(s.setPreferences({ language: 'de' })).toEqual({ language: 'de', theme: 'system' });
    expect(s.preferences()).toEqual({ language: 'de', theme: 'system' });
    expect(() => s.setPreferences({ language: 'fr' } as never)).toThrow(expect.objectContaining({ code: 'BAD_REQUEST' }));
    const none = new SettingsService({ dataDirPath: '/d', logFilePath: null, preferences: null, site, live });
    expect(() => none.setPreferences({ language: 'de' })).toThrow(expect.objectContaining({ code: 'NOT_AVAILABLE' }));
  });
});
