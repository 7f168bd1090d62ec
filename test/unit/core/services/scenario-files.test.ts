/** Files the console names: only inside its folders; a bad scenario is a BAD_REQUEST; a solver that fails is none. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it, vi } from 'vitest';

import { CoreError } from '../../../../src-main/core/requests';
import { ScenarioFiles } from '../../../../src-main/core/services/scenario-files';
import { resourcesDir } from '../../../../src-main/node/paths';

const dir = mkdtempSync(join(tmpdir(), 'lfc-scenario-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ScenarioFiles', () => {
  it('refuses a file outside the allowed folders without reading it, and allows any without roots', () => {
    const limited = new ScenarioFiles({ resourcesDirPath: resourcesDir(), allowedFileRoots: [dir], loadSolver: null });
    expect(limited.allowedFile(join(dir, 'a.json'), 'x')).toBe(join(dir, 'a.json'));
    expect(() => limited.allowedFile('/etc/passwd', 'record:verify')).toThrow(/record:verify: \/etc\/passwd is outside the folders/);
    // A sibling folder whose name starts like an allowed one is outside too.
    expect(() => limited.allowedFile(`${dir}-other/a.json`, 'x')).toThrow(CoreError);
    const open = new ScenarioFiles({ resourcesDirPath: resourcesDir(), allowedFileRoots: null, loadSolver: null });
    expect(open.allowedFile('/etc/passwd', 'x')).toBe('/etc/passwd');
  });

  it('loads a bundled scenario, and answers a broken one with BAD_REQUEST', async () => {
    const files = new ScenarioFiles({ resourcesDirPath: resourcesDir(), allowedFileRoots: null, loadSolver: null });
    const loaded = await files.load(join(resourcesDir(), 'scenarios', 'summer-export-hold', 'scenario.json'));
    expect(loaded.scenario.name).toBe('summer-export-hold');
    writeFileSync(join(dir, 'bad.json'), '{"name": 1}');
    await expect(files.load(join(dir, 'bad.json'))).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    expect(files.loadProfiles()).toBe(files.loadProfiles());
  });

  it('has no solver without a loader, and none (logged) when the loader fails', async () => {
    expect(await new ScenarioFiles({ resourcesDirPath: resourcesDir(), allowedFileRoots: null, loadSolver: null }).solverOrNull()).toBeNull();
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const failing = new ScenarioFiles({ resourcesDirPath: resourcesDir(), allowedFileRoots: null, loadSolver: () => Promise.reject(new Error('no wasm')) });
    expect(await failing.solverOrNull()).toBeNull();
    expect(error).toHaveBeenCalledWith(expect.stringContaining('the LP solver did not load'), expect.any(Error));
    error.mockRestore();
  });
});
