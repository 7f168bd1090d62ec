/**
 * Field mode end to end, over the wire: the lab rig alone (rig-only: protocol servers in front of the
 * simulated plant, at 30×) → the site file that reaches it → the field EMS, in process and as the headless
 * command (`npm run ems`, a child process) → an independent HTTP client posts a use-case-2 trigger to the
 * intake with the bearer token read from the 0600 token file → the rig's breaker, as the plant's own meter
 * sampled it (not as the EMS saw it), is held in the band → kpi.json, timeseries.csv, events.jsonl and the
 * signed record are written, the KPIs recompute from the files, and the record verifies.
 *
 * The window is summer-export-hold from 10:58 local (PV export ~ −190 kW; the trigger asks −250 kW ± 10 kW).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../../src-main/engine/engine.js';
import type { BreakerSample } from '../../../src-main/engine/model.js';
import { FieldEms } from '../../../src-main/field/field-ems.js';
import { LabSession } from '../../../src-main/lab/lab-session.js';
import { loadProfileLibraryFromResources } from '../../../src-main/node/load-profiles.js';
import { resourcesDir } from '../../../src-main/node/paths.js';
import { loadScenarioFile } from '../../../src-main/node/scenario-file.js';
import { verifyRecordText } from '../../../src-main/record/verify.js';
import { recomputeKpis } from '../../../src-main/replay/recompute.js';
import { siteFileForRig } from '../../../src-main/site/rig-site.js';
import { loadSiteFile, writeSiteFile } from '../../../src-main/site/site-file.js';

const SPEED = 30;
const START_MS = Date.parse('2026-06-21T10:58:00+02:00');
const END_MS = START_MS + 40 * 60_000;
const TRIGGER = { useCase: 2, targetKw: -250, durationS: 600, toleranceKw: 10 };
const repo = resolve(__dirname, '../../..');

let dir: string;
let session: LabSession;
let sitePath: string;
/** The breaker as the plant's meter sampled it, independent of any EMS. */
const meter: BreakerSample[] = [];

async function postTrigger(url: string, token: string | null, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

/** Within-band share of the plant's own breaker samples over [fromMs, toMs). */
function meterWithinBandPct(fromMs: number, toMs: number, targetKw: number, tolKw: number): { pct: number; n: number } {
  const xs = meter.filter((s) => s.sampleMs >= fromMs && s.sampleMs < toMs && Number.isFinite(s.powerKw));
  return { pct: (100 * xs.filter((s) => Math.abs(s.powerKw - targetKw) <= tolKw).length) / xs.length, n: xs.length };
}

/** A command of ours as a child process, once it has printed `marker`: its output so far, its exit, itself. */
async function spawnUntil(args: string[], marker: string, timeoutMs: number, env: NodeJS.ProcessEnv = process.env) {
  const child = spawn(process.execPath, args, { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'], env });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', (b: Buffer) => (out.stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out.stderr += b.toString()));
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const deadline = Date.now() + timeoutMs;
  while (!out.stdout.includes(marker)) {
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`${args.join(' ')} did not print ${JSON.stringify(marker)}:\n${out.stdout}\n${out.stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { child, out, exited };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lfc-field-'));
  const loaded = await loadScenarioFile(resolve(resourcesDir(), 'scenarios/summer-export-hold/scenario.json'));
  const forecastJson = await readFile(resolve(loaded.dir, 'weather/forecast.json'), 'utf8');
  session = new LabSession({ ...loaded, forecastJson, loadProfiles: loadProfileLibraryFromResources(resourcesDir()) }, { speed: SPEED, windowStartMs: START_MS, windowEndMs: END_MS, rigOnly: true });
  session.rig.field.subscribe((s) => meter.push(s));
  await session.start();
  const { site, secrets } = siteFileForRig(session.rig);
  sitePath = writeSiteFile(join(dir, 'rig-site.json'), site, secrets).sitePath;
}, 60_000);

afterAll(async () => {
  await session?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the field EMS in process, against the rig over the wire', () => {
  let field: FieldEms;
  let run: RunRecord;
  let outDir: string;
  let token: string;

  beforeAll(async () => {
    outDir = join(dir, 'out-inprocess');
    const ended = new Promise<RunRecord>((resolveRun) => {
      field = new FieldEms({ loaded: loadSiteFile(sitePath), dataDir: join(dir, 'data-inprocess'), outDir, appVersion: 'test', onRunEnded: resolveRun });
    });
    await field.start();
    token = (await readFile(field.intakeTokenPath, 'utf8')).trim();
    expect((await postTrigger(field.intakeUrl, null, TRIGGER)).status).toBe(401);
    const answer = await postTrigger(field.intakeUrl, token, TRIGGER);
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    run = await ended;
    await field.stop();
  }, 90_000);

  it('follows the rig clock and trusts only the certificate the site file vouches for', () => {
    expect(field.speed).toBe(SPEED);
    expect(field.trustDecisions).toEqual([expect.objectContaining({ trusted: true, thumbprint: session.rig.bessOpcua!.certificateThumbprint })]);
    expect(statSync(field.intakeTokenPath).mode & 0o777).toBe(0o600);
  });

  it('holds the rig breaker in band, as the plant meter saw it', () => {
    expect(run.endReason).toBe('duration-elapsed');
    // From one minute after the start (the BESS ramps to the new target and settles) to the end.
    const { pct, n } = meterWithinBandPct(run.startMs + 60_000, run.endMs!, TRIGGER.targetKw, TRIGGER.toleranceKw);
    expect(n).toBeGreaterThan(40);
    expect(pct).toBeGreaterThanOrEqual(90);
    expect(run.kpis!.accuracy.withinBandPct!).toBeGreaterThanOrEqual(90);
    expect(run.kpis!.availability.requestedBasis).toBe('duration');
  });

  it('writes the outputs; their KPIs recompute from the files; the record verifies', async () => {
    const kpi = JSON.parse(await readFile(join(outDir, 'kpi.json'), 'utf8'));
    expect(kpi).toMatchObject({ format: 'lfc-kpi/1', source: 'field', controller: 'lfc' });
    expect(kpi.runs).toHaveLength(1);
    const csv = await readFile(join(outDir, 'timeseries.csv'), 'utf8');
    const again = recomputeKpis(csv, kpi).get(kpi.runs[0].runId)!;
    expect(again.availability.heldS).toBeCloseTo(kpi.runs[0].availability.heldS, 6);
    expect(again.accuracy.withinBandPct).toBeCloseTo(kpi.runs[0].accuracy.withinBandPct, 6);
    const events = (await readFile(join(outDir, 'events.jsonl'), 'utf8')).trim().split('\n').map((l) => JSON.parse(l));
    expect(events.map((e) => e.type)).toEqual(expect.arrayContaining(['trigger-received', 'run-started', 'run-ended']));
    const record = await readFile(join(outDir, 'record.jsonl'), 'utf8');
    expect(verifyRecordText(record)).toMatchObject({ ok: true });
    expect(record).toContain('opcua-certificate-accepted');
  });
});

describe('npm run ems, headless, against the same rig', () => {
  it('prints the intake URL and the token file (never the token), holds, and on SIGTERM ends the run and writes the files', async () => {
    const dataDir = join(dir, 'data-cli');
    const outDir = join(dir, 'out-cli');
    const { child, out, exited } = await spawnUntil([join(repo, 'scripts/cli.mjs'), 'ems', '--site', sitePath, '--data-dir', dataDir, '--out', outDir], 'ready\n', 60_000);
    try {
      const url = /trigger intake: (http:\/\/127\.0\.0\.1:\d+\/v1\/triggers)/.exec(out.stdout)![1]!;
      const tokenPath = join(dataDir, 'intake-token');
      expect(out.stdout).toContain(tokenPath);
      const token = (await readFile(tokenPath, 'utf8')).trim();
      expect(out.stdout).not.toContain(token);
      const answer = await postTrigger(url, token, { ...TRIGGER, durationS: 3600 });
      expect(answer.status, JSON.stringify(answer.body)).toBe(202);
      // Five simulated minutes in force (10 s real), then the operator's machine shuts the EMS down.
      const startedMs = session.rig.simNowMs();
      await session.rig.untilSim(startedMs + 5 * 60_000);
      child.kill('SIGTERM');
      expect(await exited, out.stderr).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    const kpi = JSON.parse(await readFile(join(outDir, 'kpi.json'), 'utf8'));
    expect(kpi.runs).toHaveLength(1);
    expect(kpi.runs[0]).toMatchObject({ endReason: 'ems-stopped', requested: { basis: 'recording-end' } });
    expect(kpi.runs[0].accuracy.withinBandPct).toBeGreaterThanOrEqual(80);
    const record = await readFile(join(outDir, 'record.jsonl'), 'utf8');
    expect(verifyRecordText(record)).toMatchObject({ ok: true });
    expect(record).toContain('"ems-stopped"');
  }, 120_000);
});

describe('npm run serve -- --site, against the same rig', () => {
  it('starts the field EMS with the console, prints its intake, and on Ctrl-C ends cleanly with the files written', async () => {
    const dataDir = join(dir, 'data-serve');
    const args = ['--import', 'tsx', join(repo, 'src-main/serve/main.ts'), '--site', sitePath, '--data-dir', dataDir, '--port', '0'];
    const { child, out, exited } = await spawnUntil(args, 'Local Flex Controller console:', 90_000, { ...process.env, LFC_TOKEN: 'serve-site-test-token' });
    try {
      const intake = /field EMS for .*: trigger intake (http:\/\/127\.0\.0\.1:\d+\/v1\/triggers)/.exec(out.stdout)![1]!;
      expect((await postTrigger(intake, null, TRIGGER)).status).toBe(401);
      const token = (await readFile(join(dataDir, 'intake-token'), 'utf8')).trim();
      const answer = await postTrigger(intake, token, { ...TRIGGER, durationS: 3600 });
      expect(answer.status, JSON.stringify(answer.body)).toBe(202);
      const startedMs = session.rig.simNowMs();
      await session.rig.untilSim(startedMs + 3 * 60_000);
      // The console's own view of it, over HTTP with the printed token: the page is served.
      const page = /(http:\/\/127\.0\.0\.1:\d+\/)login\?token=/.exec(out.stdout)![1]!;
      expect((await fetch(`${page}favicon.ico`)).status).toBe(200);
      child.kill('SIGINT');
      expect(await exited, out.stderr).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    const kpi = JSON.parse(await readFile(join(dataDir, 'field-out', 'kpi.json'), 'utf8'));
    expect(kpi.runs).toHaveLength(1);
    expect(kpi.runs[0]).toMatchObject({ endReason: 'ems-stopped' });
    const record = await readFile(join(dataDir, 'field-out', 'record.jsonl'), 'utf8');
    expect(verifyRecordText(record)).toMatchObject({ ok: true });
  }, 150_000);
});
