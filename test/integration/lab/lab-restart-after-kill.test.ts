/**
 * The lab with `--out` after a `kill -9` during a run: the next start on the same output folder closes the
 * killed process's run as `interrupted` at its last recorded sample, writes it into kpi.json at once (before
 * its own run ends), with the KPIs this test recomputes from the record it parses, and keeps it there when
 * it ends its own run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { resourcesDir } from '../../../src-main/node/paths.js';
import { verifyRecordText } from '../../../src-main/record/verify.js';
import { expectedInterruptedRun, kpiParts } from '../field/interrupted-run-check.js';

const repo = resolve(__dirname, '../../..');
const SCENARIO = resolve(resourcesDir(), 'scenarios/summer-export-hold/scenario.json');
/** Half an hour into the scenario's two-hour request of 250 kW export: the lab re-sends it at the window's start. */
const FROM = '2026-06-21T11:30:00+02:00';
const BREAKER_PERIOD_S = 10;

let dir: string;
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function startLab(minutes: number): { child: ChildProcess; out: () => string; waitFor: (re: RegExp, ms: number) => Promise<void>; exited: Promise<void> } {
  const child = spawn(process.execPath, [join(repo, 'scripts/cli.mjs'), 'lab', SCENARIO, '--speed', '30', '--from', FROM, '--minutes', String(minutes), '--out', dir], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const waitFor = async (re: RegExp, ms: number) => {
    const deadline = Date.now() + ms;
    while (!re.test(stdout)) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`lab never printed ${re}:\n${stdout}\n${stderr}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  return { child, out: () => stdout, waitFor, exited };
}

describe('npm run lab -- --out started again after a kill -9', () => {
  it('closes the killed run as interrupted, with its KPIs from the record, in kpi.json', async () => {
    dir = await mkdtemp(join(tmpdir(), 'lfc-lab-restart-'));
    const first = startLab(90);
    try {
      await first.waitFor(/run-started/, 120_000);
      // Three simulated minutes of the run at 30×.
      await new Promise((r) => setTimeout(r, 6000));
    } finally {
      first.child.kill('SIGKILL');
      await first.exited;
    }
    const second = startLab(2);
    try {
      await second.waitFor(/closed as interrupted/, 120_000);
      const want = expectedInterruptedRun(await readFile(join(dir, 'record.jsonl'), 'utf8'), BREAKER_PERIOD_S);
      expect(want.samples).toBeGreaterThan(5);
      const check = (run: Record<string, unknown>) => {
        expect(run).toMatchObject({ runId: want.runId, endReason: 'interrupted', start: new Date(want.startMs).toISOString(), end: new Date(want.lastSampleMs).toISOString() });
        expect(kpiParts(run)).toEqual(kpiParts(want.kpis as unknown as Record<string, unknown>));
      };
      // On disk at once, before the new process's own run ends.
      const atStart = JSON.parse(await readFile(join(dir, 'kpi.json'), 'utf8')) as { runs: Array<Record<string, unknown>> };
      expect(atStart.runs).toHaveLength(1);
      check(atStart.runs[0]!);
      expect(want.after.filter((e) => e.kind === 'run-ended').map((e) => e.data.endReason)).toEqual(['interrupted']);
      // The new process's window ends: its own run beside the interrupted one.
      await second.exited;
      const atEnd = JSON.parse(await readFile(join(dir, 'kpi.json'), 'utf8')) as { runs: Array<Record<string, unknown>> };
      expect(atEnd.runs.map((r) => r.endReason)).toEqual(['interrupted', 'scenario-end']);
      check(atEnd.runs[0]!);
      expect(verifyRecordText(await readFile(join(dir, 'record.jsonl'), 'utf8'))).toMatchObject({ ok: true, sealed: true });
    } finally {
      if (second.child.exitCode === null) second.child.kill('SIGKILL');
    }
  }, 300_000);
});
