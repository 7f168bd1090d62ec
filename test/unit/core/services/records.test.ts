/** record:verify from the console: a path is required, only inside the console's folders, and must be readable. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { RecordService } from '../../../../src-main/core/services/records';
import { ScenarioFiles } from '../../../../src-main/core/services/scenario-files';
import { resourcesDir } from '../../../../src-main/node/paths';

const dir = mkdtempSync(join(tmpdir(), 'lfc-records-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const service = new RecordService(dir, new ScenarioFiles({ resourcesDirPath: resourcesDir(), allowedFileRoots: [dir], loadSolver: null }));

describe('RecordService', () => {
  it('needs a path, inside the allowed folders, that can be read', async () => {
    await expect(service.verify('')).rejects.toMatchObject({ code: 'BAD_REQUEST', message: 'record:verify: a file path is required' });
    await expect(service.verify('/etc/hostname')).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(service.verify(join(dir, 'missing.jsonl'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
