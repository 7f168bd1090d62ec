import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { loadProfileLibraryFromResources } from '../../../src-main/node/load-profiles';

const resourcesDir = fileURLToPath(new URL('../../../resources/', import.meta.url));

describe('loadProfileLibraryFromResources', () => {
  let scratch: string | undefined;
  afterEach(() => {
    if (scratch !== undefined) rmSync(scratch, { recursive: true, force: true });
    scratch = undefined;
  });

  it('loads all 16 profiles from the project resources', () => {
    const library = loadProfileLibraryFromResources(resourcesDir);
    expect(library.profileIds).toHaveLength(16);
    expect(library.powerWPer1000KwhA('H0', { month: 1, day: 14, dayOfYear: 14, weekday: 3, minuteOfDay: 0 }, 'workday', { dynamise: false })).toBe(67.6);
  });

  it('names the missing file', () => {
    scratch = mkdtempSync(join(tmpdir(), 'lfc-profiles-'));
    expect(() => loadProfileLibraryFromResources(scratch as string)).toThrow(/bdew-slp-1999\.csv/);
  });

  it('names the malformed file and line', () => {
    scratch = mkdtempSync(join(tmpdir(), 'lfc-profiles-'));
    cpSync(join(resourcesDir, 'profiles'), join(scratch, 'profiles'), { recursive: true });
    const g25 = join(scratch, 'profiles/bdew-2025/g25.csv');
    writeFileSync(g25, readFileSync(g25, 'utf8').replace('00:15-00:30,', '00:15-00:30,oops,'));
    expect(() => loadProfileLibraryFromResources(scratch as string)).toThrow(/g25\.csv line 4: expected 37 columns, found 38/);
  });
});
