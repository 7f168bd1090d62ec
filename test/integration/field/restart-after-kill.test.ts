/**
 * The next start after a `kill -9`, over the wire: `npm run ems` holds a use-case-2 trigger against a
 * rig-only lab rig (OPC UA BESS, 30×), is killed with SIGKILL, and is started again on the same data
 * folder and output folder. The new process must resume nothing: no run, no BESS setpoint other than
 * 0 kW, for minutes, until a trigger is confirmed again by the intake (and then it holds it). Its signed
 * record goes on from the killed one's (the torn last line moved aside and named, the chain verified).
 * The run the killed process left in force is closed by the new one as `interrupted` at its last recorded
 * sample, in the output folder's kpi.json, with the KPIs this test recomputes from the record it parses.
 * And on the same rig: each of its REST servers locks out an address that keeps guessing tokens (429).
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { LabSession, labOpcuaTiming } from '../../../src-main/lab/lab-session.js';
import { loadProfileLibraryFromResources } from '../../../src-main/node/load-profiles.js';
import { resourcesDir } from '../../../src-main/node/paths.js';
import { loadScenarioFile } from '../../../src-main/node/scenario-file.js';
import { verifyRecordText } from '../../../src-main/record/verify.js';
import { siteFileForRig } from '../../../src-main/site/rig-site.js';
import { writeSiteFile } from '../../../src-main/site/site-file.js';
import { expectedInterruptedRun, kpiParts } from './interrupted-run-check.js';

const SPEED = 30;
const START_MS = Date.parse('2026-06-21T10:58:00+02:00');
const TRIGGER = { useCase: 2, targetKw: -250, durationS: 3600, toleranceKw: 10 };
const repo = resolve(__dirname, '../../..');

let dir: string;
let lab: LabSession;
let sitePath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lfc-restart-'));
  const loaded = await loadScenarioFile(resolve(resourcesDir(), 'scenarios/summer-export-hold/scenario.json'));
  const forecastJson = await readFile(resolve(loaded.dir, 'weather/forecast.json'), 'utf8');
  lab = new LabSession({ ...loaded, forecastJson, loadProfiles: loadProfileLibraryFromResources(resourcesDir()) }, { speed: SPEED, windowStartMs: START_MS, windowEndMs: START_MS + 90 * 60_000, rigOnly: true });
  await lab.start();
  const { site, secrets } = siteFileForRig(lab.rig);
  sitePath = writeSiteFile(join(dir, 'rig-site.json'), site, secrets).sitePath;
}, 60_000);

afterAll(async () => {
  await lab?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const bessId = () => lab.rig.scenario.assets.find((a) => a.kind === 'bess')!.id;
const bessSetpointKw = (): number | null => lab.rig.plant.read(bessId())!.setpointKw;

/** `npm run ems` on the site with one data folder; resolves once it prints `ready`. */
async function startEms(): Promise<{ child: ChildProcess; url: string; token: string; out: () => string }> {
  const dataDir = join(dir, 'data');
  const child = spawn(process.execPath, [join(repo, 'scripts/cli.mjs'), 'ems', '--site', sitePath, '--data-dir', dataDir, '--out', join(dataDir, 'out')], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
  const deadline = Date.now() + 60_000;
  while (!stdout.includes('ready\n')) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`npm run ems did not start:\n${stdout}\n${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const url = /trigger intake: (http:\/\/127\.0\.0\.1:\d+\/v1\/triggers)/.exec(stdout)![1]!;
  const token = (await readFile(join(dataDir, 'intake-token'), 'utf8')).trim();
  return { child, url, token, out: () => stdout };
}

async function postTrigger(url: string, token: string): Promise<number> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(TRIGGER) });
  return res.status;
}

async function killed(child: ChildProcess): Promise<void> {
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGKILL');
  await exited;
}

describe('npm run ems started again after a kill -9', () => {
  it('resumes nothing: the BESS stays at 0 kW (or its default) until a trigger is confirmed again', async () => {
    const first = await startEms();
    try {
      expect(await postTrigger(first.url, first.token)).toBe(202);
      await lab.rig.untilSim(lab.rig.simNowMs() + 2 * 60_000);
      expect(bessSetpointKw()).not.toBeNull();
      expect(Math.abs(bessSetpointKw()!)).toBeGreaterThan(0);
    } finally {
      await killed(first.child);
    }
    const killedSimMs = lab.rig.simNowMs();
    const second = await startEms();
    try {
      const startedSimMs = lab.rig.simNowMs();
      await expectInterruptedRunClosed(second.out());
      // The killed process's last setpoint lapses on the device by itself (device-fallback.test.ts); from
      // then on, five simulated minutes with the new process running and no trigger.
      const lapsedMs = Math.max(startedSimMs, killedSimMs + (labOpcuaTiming(SPEED).revertS + 1) * 1000);
      for (let t = lapsedMs; t <= lapsedMs + 5 * 60_000; t += 10_000) {
        await lab.rig.untilSim(t);
        const now = bessSetpointKw();
        expect(now === null || now === 0, `the BESS held ${now} kW at ${new Date(t).toISOString()} with no trigger since the restart`).toBe(true);
      }
      // And the new process wrote nothing but 0 kW (or a release) to it.
      const written = lab.rig.bessDeviceWrites.filter((w) => w.atMs >= startedSimMs);
      expect(written.filter((w) => w.setpointKw !== null && w.setpointKw !== 0)).toEqual([]);
      expect(second.out()).not.toMatch(/run-started/);
      // A trigger confirmed by the intake: control resumes.
      expect(await postTrigger(second.url, second.token)).toBe(202);
      await lab.rig.untilSim(lab.rig.simNowMs() + 2 * 60_000);
      expect(second.out()).toMatch(/run-started/);
      expect(Math.abs(bessSetpointKw() ?? 0)).toBeGreaterThan(0);
    } finally {
      await killed(second.child);
    }
    // One record across both processes: it verifies, and says where the killed process's torn line went.
    const text = await readFile(join(dir, 'data', 'out', 'record.jsonl'), 'utf8');
    const whole = text.slice(0, text.lastIndexOf('\n') + 1);
    expect(verifyRecordText(whole)).toMatchObject({ ok: true });
    expect(whole).toMatch(/"kind":"resumed"/);
  }, 180_000);
});

/**
 * The killed process's run in kpi.json as `interrupted`, ended at its last sample in the record, with the
 * KPIs recomputed here from the record's own lines (`interrupted-run-check.ts`).
 */
async function expectInterruptedRunClosed(stdout: string): Promise<void> {
  const out = join(dir, 'data', 'out');
  const want = expectedInterruptedRun(await readFile(join(out, 'record.jsonl'), 'utf8'), lab.rig.scenario.measurement.breakerPeriodS);
  expect(want.samples).toBeGreaterThan(5);
  const kpi = JSON.parse(await readFile(join(out, 'kpi.json'), 'utf8')) as { runs: Array<Record<string, unknown>> };
  expect(kpi.runs).toHaveLength(1);
  const run = kpi.runs[0]!;
  expect(run).toMatchObject({ runId: want.runId, endReason: 'interrupted', start: new Date(want.startMs).toISOString(), end: new Date(want.lastSampleMs).toISOString(), requested: { basis: 'duration', endAt: new Date(want.requestedEndMs).toISOString() } });
  expect(kpiParts(run)).toEqual(kpiParts(want.kpis as unknown as Record<string, unknown>));
  // A two-minute run of a one-hour request holds at most 2/60 of it.
  expect(want.kpis.availability.heldPctOfRequested ?? 0).toBeLessThan(100 * (3 / 60));
  // On the record, once: the new process's run-ended entry names the start entry it closes.
  expect(want.after.filter((e) => e.kind === 'run-ended')).toEqual([expect.objectContaining({ data: expect.objectContaining({ runId: want.engineRunId, endReason: 'interrupted', startedAtEntry: want.startedAtEntry, endMs: want.lastSampleMs }) })]);
  // The series and the events of the run are in the other two files.
  const csv = await readFile(join(out, 'timeseries.csv'), 'utf8');
  expect(csv.split('\n').filter((l) => l.includes(want.runId)).length).toBe(want.samples);
  expect(await readFile(join(out, 'events.jsonl'), 'utf8')).toMatch(/closed as interrupted/);
  expect(stdout).toMatch(/run-ended.*closed as interrupted/);
}

describe('the rig’s REST servers as an attacker meets them', () => {
  it('answer an address that keeps guessing tokens with 429, and still let the rig’s token in', async () => {
    const rest = lab.endpoints().filter((e) => e.url.startsWith('http') && /GET (\/v1\/(meters|telemetry)\S*)/.test(e.detail));
    expect(rest.map((e) => e.role)).toEqual([expect.stringMatching(/grid operator/), expect.stringMatching(/household-storage/), expect.stringMatching(/heat-pump/)]);
    for (const e of rest) {
      const path = /GET ([^\s,]+)/.exec(e.detail)![1]!;
      const get = (token: string) => fetch(`${e.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      for (let i = 0; i < 10; i++) expect((await get(`guess-${i}`)).status, e.role).toBe(401);
      const locked = await get('guess-again');
      expect(locked.status, e.role).toBe(429);
      expect(Number(locked.headers.get('retry-after')), e.role).toBeGreaterThan(0);
      expect((await get(lab.rig.token)).status, e.role).toBe(200);
    }
  });
});
