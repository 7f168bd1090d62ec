import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError, parseEmsArgs } from '../../../src-main/cli/ems.js';
import { parseLabArgs } from '../../../src-main/cli/lab.js';

describe('npm run ems arguments', () => {
  it('puts the data folder beside the site file and the outputs inside it by default', () => {
    expect(parseEmsArgs(['--site', '/sites/hv4711.json'])).toEqual({ sitePath: '/sites/hv4711.json', dataDir: '/sites/hv4711.data', outDir: join('/sites/hv4711.data', 'out') });
    expect(parseEmsArgs(['--site', '/s/a.json', '--data-dir', '/d', '--out', '/o'])).toEqual({ sitePath: '/s/a.json', dataDir: '/d', outDir: '/o' });
  });

  it('needs --site and refuses what it does not know, with the usage', () => {
    expect(() => parseEmsArgs([])).toThrow(UsageError);
    expect(() => parseEmsArgs([])).toThrow(/--site is required[\s\S]*usage: npm run ems/);
    expect(() => parseEmsArgs(['--site', 'a.json', '--speed', '3'])).toThrow(/Unknown option '--speed'/);
    expect(() => parseEmsArgs(['a.json'])).toThrow(UsageError);
    expect(parseEmsArgs(['-h'])).toBe('help');
  });
});

describe('npm run lab --site-out', () => {
  it('goes with --rig-only only: the site file is for an EMS of your own', () => {
    expect(parseLabArgs(['s.json', '--rig-only', '--site-out', 'site.json'])).toMatchObject({ rigOnly: true, siteOut: 'site.json' });
    expect(() => parseLabArgs(['s.json', '--site-out', 'site.json'])).toThrow(/--site-out needs --rig-only/);
  });
});
