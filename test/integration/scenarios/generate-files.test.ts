/**
 * The generator end to end: `npm run scenarios -- generate` writes scenarios that the real loader accepts,
 * byte-identical for the same seed, with scenario i independent of the count; a generated scenario replays,
 * and its KPIs recompute from the written record (issue 11: judged over generated scenarios too).
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main as replayMain } from '../../../src-main/cli/replay.js';
import { scenariosMain } from '../../../src-main/cli/scenarios.js';
import { loadScenarioFile } from '../../../src-main/node/scenario-file.js';
import type { KpiDocumentLike } from '../../../src-main/replay/recompute.js';
import { recomputeKpis } from '../../../src-main/replay/recompute.js';

const root = mkdtempSync(join(tmpdir(), 'lfc-gen-'));
const quiet = (): void => {};

/** Every file under `dir`, relative path → bytes. */
function tree(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (d: string, rel: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name), `${rel}${e.name}/`);
      else files.set(`${rel}${e.name}`, readFileSync(join(d, e.name), 'utf8'));
    }
  };
  walk(dir, '');
  return files;
}

describe('npm run scenarios -- generate', () => {
  it('same seed → the same bytes; a shorter count is a prefix; another seed differs', async () => {
    expect(await scenariosMain(['generate', '--seed', '11', '--count', '4', '--out', join(root, 'a')], quiet, quiet)).toBe(0);
    expect(await scenariosMain(['generate', '--seed', '11', '--count', '4', '--out', join(root, 'b')], quiet, quiet)).toBe(0);
    expect(await scenariosMain(['generate', '--seed', '11', '--count', '2', '--out', join(root, 'c')], quiet, quiet)).toBe(0);
    expect(await scenariosMain(['generate', '--seed', '12', '--count', '2', '--out', join(root, 'd')], quiet, quiet)).toBe(0);
    const a = tree(join(root, 'a'));
    expect(a.size).toBeGreaterThanOrEqual(4 * 3);
    expect(tree(join(root, 'b'))).toEqual(a);
    for (const [path, bytes] of tree(join(root, 'c'))) expect(a.get(path), path).toBe(bytes);
    const d = [...tree(join(root, 'd')).values()].join('');
    expect(d).not.toBe([...tree(join(root, 'c')).values()].join(''));
  }, 60_000);

  it('every written scenario loads with the real loader', async () => {
    const dir = join(root, 'a');
    for (const name of readdirSync(dir)) {
      const loaded = await loadScenarioFile(join(dir, name, 'scenario.json'));
      expect(loaded.scenario.name, name).toBeTruthy();
    }
  }, 60_000);

  it('rejects bad arguments with a clear message', async () => {
    const errors: string[] = [];
    expect(await scenariosMain(['generate', '--count', '0', '--out', root], quiet, (s) => errors.push(s))).toBe(2);
    expect(await scenariosMain(['generate', '--seed', '1'], quiet, (s) => errors.push(s))).toBe(2);
    expect(await scenariosMain(['make'], quiet, (s) => errors.push(s))).toBe(2);
    expect(errors.join('')).toMatch(/--count: expected a whole number ≥ 1, got "0"[\s\S]*--out DIR is required[\s\S]*unknown command "make"/);
  });

  it('a generated scenario replays with lfc and deadbeat, and its KPIs recompute from the record', async () => {
    const dir = join(root, 'a');
    const names = readdirSync(dir).sort().slice(0, 2);
    for (const name of names) {
      for (const c of ['lfc', 'deadbeat']) {
        const out = join(root, `out-${name}-${c}`);
        expect(await replayMain([join(dir, name, 'scenario.json'), '--out', out, '--controller', c, '--quiet']), `${name} ${c}`).toBe(0);
        const doc = JSON.parse(readFileSync(join(out, 'kpi.json'), 'utf8')) as KpiDocumentLike & { runs: Array<{ runId: string; availability: Record<string, unknown> }> };
        const again = recomputeKpis(readFileSync(join(out, 'timeseries.csv'), 'utf8'), doc);
        for (const run of doc.runs) {
          const a = again.get(run.runId)!.availability;
          expect(a.requestedBasis, run.runId).toBe(run.availability['requestedBasis']);
          expect(a.heldS).toBeCloseTo(run.availability['heldS'] as number, 3);
          expect(a.actualExhaustionAt).toBe(run.availability['actualExhaustionAt']);
          expect(a.exhaustion).toEqual(run.availability['exhaustion']);
        }
      }
    }
  }, 120_000);
});
