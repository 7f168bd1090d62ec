/** Serve mode keeps what the desktop app keeps, in its data folder: settings, secrets, log and history. */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { resourcesDir } from '../../../src-main/node/paths';
import { openServeServices } from '../../../src-main/serve/main';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lfc-serve-data-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('openServeServices', () => {
  it('opens settings, secrets, log and history in the data folder', () => {
    const s = openServeServices(dir, resourcesDir(), { teeConsole: false });
    try {
      expect(s.dataDirPath).toBe(dir);
      expect(JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8'))).toMatchObject({ dataDir: dir, language: 'en', theme: 'system' });
      s.secrets.set('opcua.bess.password', 'p@ss');
      expect(readFileSync(join(dir, 'secrets.json'), 'utf8')).not.toContain('p@ss');
      if (process.platform !== 'win32') expect(statSync(join(dir, 'secrets.json.key')).mode & 0o077).toBe(0);
      expect(existsSync(join(dir, 'history', 'lfc-history.sqlite3'))).toBe(true);
      expect(s.core.getSettings()).toMatchObject({ dataDirPath: dir, logFilePath: join(dir, 'logs', 'lfc.log'), preferences: { language: 'en', theme: 'system' } });
      expect(s.startupProblems).toEqual([]);
    } finally {
      s.close();
    }
    expect(readFileSync(join(dir, 'logs', 'lfc.log'), 'utf8')).toMatch(/starting .*\n(.*\n)*.*stopped\n$/);
  });
});
