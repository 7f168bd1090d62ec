/**
 * `npm run replay` starts in about the time Node needs only while it loads no library it does not use: the
 * command's bundle (as `scripts/cli.mjs` builds it) may import HiGHS (the planner) and zod (the scenario's
 * schema), never the field's, the fleet's or the desktop's libraries (node-opcua, Modbus, MQTT, PostgreSQL,
 * better-sqlite3, electron-store, ExcelJS, ws).
 */
import { resolve } from 'node:path';

import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../..');

describe('the replay command’s imports', () => {
  it('loads only HiGHS and zod besides Node itself', async () => {
    const r = await build({
      entryPoints: [resolve(root, 'src-main/cli/replay.ts')],
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      write: false,
      metafile: true,
      logLevel: 'silent',
      outfile: 'replay.mjs',
    });
    const externals = new Set(
      Object.values(r.metafile.outputs)
        .flatMap((o) => o.imports)
        .filter((i) => i.external && !i.path.startsWith('node:'))
        .map((i) => i.path),
    );
    expect([...externals].sort()).toEqual(['highs', 'zod']);
  }, 30_000);
});
