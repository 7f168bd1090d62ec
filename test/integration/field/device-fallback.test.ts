/**
 * The device's own fallback when the EMS dies, over the wire: the lab rig alone (30×) serves the community
 * BESS as a SunSpec Modbus TCP device, and the field EMS reaches it from the site file the rig writes.
 *
 * - In process: a use-case-2 trigger is held with the BESS driven over Modbus (704 `WSet` with its
 *   reversion timer), as the plant's own meter saw it.
 * - `npm run ems` as a child process: once the BESS holds the EMS's setpoint, the process is killed with
 *   SIGKILL (no release, no goodbye). Nothing re-arms the device's timer any more: the battery must be back
 *   at its default behaviour within the reversion time the EMS wrote (simulated seconds), by itself.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../../src-main/engine/engine.js';
import type { BreakerSample } from '../../../src-main/engine/model.js';
import { FieldEms } from '../../../src-main/field/field-ems.js';
import { LabSession, labModbusTiming } from '../../../src-main/lab/lab-session.js';
import { loadProfileLibraryFromResources } from '../../../src-main/node/load-profiles.js';
import { resourcesDir } from '../../../src-main/node/paths.js';
import { loadScenarioFile } from '../../../src-main/node/scenario-file.js';
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
const meter: BreakerSample[] = [];

async function postTrigger(url: string, token: string, body: unknown): Promise<number> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
  return res.status;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lfc-fallback-'));
  const loaded = await loadScenarioFile(resolve(resourcesDir(), 'scenarios/summer-export-hold/scenario.json'));
  const forecastJson = await readFile(resolve(loaded.dir, 'weather/forecast.json'), 'utf8');
  session = new LabSession({ ...loaded, forecastJson, loadProfiles: loadProfileLibraryFromResources(resourcesDir()) }, { speed: SPEED, windowStartMs: START_MS, windowEndMs: END_MS, rigOnly: true, bessVia: 'modbus' });
  session.rig.field.subscribe((s) => meter.push(s));
  await session.start();
  const { site, secrets } = siteFileForRig(session.rig);
  sitePath = writeSiteFile(join(dir, 'rig-site.json'), site, secrets).sitePath;
}, 60_000);

afterAll(async () => {
  await session?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

const bessSetpointKw = (): number | null => session.rig.plant.read(session.rig.scenario.assets.find((a) => a.kind === 'bess')!.id)!.setpointKw;

describe('the rig’s BESS as a SunSpec Modbus device', () => {
  it('is printed as a Modbus/SunSpec endpoint on loopback with its unit id, and the site file binds it', async () => {
    const e = session.endpoints().find((x) => /Modbus/.test(x.role))!;
    expect(e.role).toMatch(/Modbus TCP \/ SunSpec/);
    expect(e.url).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(e.detail).toMatch(/unit id 1/);
    expect(e.detail).toMatch(/no security/);
    const site = loadSiteFile(sitePath).site;
    expect(site.connectors.assets.find((b) => b.via === 'modbus')).toMatchObject({ host: '127.0.0.1', port: session.rig.bessModbus!.port, unitId: 1 });
  });

  it('the field EMS in process holds the trigger with the BESS over Modbus', async () => {
    let field!: FieldEms;
    const ended = new Promise<RunRecord>((resolveRun) => {
      field = new FieldEms({ loaded: loadSiteFile(sitePath), dataDir: join(dir, 'data-inprocess'), outDir: join(dir, 'out-inprocess'), appVersion: 'test', onRunEnded: resolveRun });
    });
    await field.start();
    try {
      const token = (await readFile(field.intakeTokenPath, 'utf8')).trim();
      expect(await postTrigger(field.intakeUrl, token, TRIGGER)).toBe(202);
      const run = await ended;
      expect(run.endReason).toBe('duration-elapsed');
      const xs = meter.filter((s) => s.sampleMs >= run.startMs + 60_000 && s.sampleMs < run.endMs! && Number.isFinite(s.powerKw));
      const pct = (100 * xs.filter((s) => Math.abs(s.powerKw - TRIGGER.targetKw) <= TRIGGER.toleranceKw).length) / xs.length;
      expect(xs.length).toBeGreaterThan(40);
      expect(pct).toBeGreaterThanOrEqual(90);
      expect(run.kpis!.accuracy.withinBandPct!).toBeGreaterThanOrEqual(90);
    } finally {
      await field.stop();
    }
    // The EMS released the battery when it stopped.
    expect(bessSetpointKw()).toBeNull();
  }, 90_000);

  it('npm run ems killed with SIGKILL: the battery falls back by itself within the reversion time the EMS wrote', async () => {
    const dataDir = join(dir, 'data-cli');
    const child = spawn(process.execPath, [join(repo, 'scripts/cli.mjs'), 'ems', '--site', sitePath, '--data-dir', dataDir, '--out', join(dir, 'out-cli')], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    try {
      const deadline = Date.now() + 60_000;
      while (!stdout.includes('ready\n')) {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`npm run ems did not start:\n${stdout}\n${stderr}`);
        await new Promise((r) => setTimeout(r, 100));
      }
      const url = /trigger intake: (http:\/\/127\.0\.0\.1:\d+\/v1\/triggers)/.exec(stdout)![1]!;
      const token = (await readFile(join(dataDir, 'intake-token'), 'utf8')).trim();
      expect(await postTrigger(url, token, { ...TRIGGER, durationS: 3600 })).toBe(202);
      // Two simulated minutes in force: the BESS holds the EMS's setpoint, re-armed by its heartbeat.
      await session.rig.untilSim(session.rig.simNowMs() + 2 * 60_000);
      expect(bessSetpointKw()).not.toBeNull();
      child.kill('SIGKILL');
      const killedSimMs = session.rig.simNowMs();
      const { revertS } = labModbusTiming(SPEED);
      // The device's timer was last armed at most one heartbeat before the kill, for revertS: it runs out by then.
      await session.rig.untilSim(killedSimMs + revertS * 1000 + 2_000);
      expect(bessSetpointKw()).toBeNull();
      const lastArmed = session.rig.bessDeviceWrites.filter((w) => w.setpointKw !== null).at(-1)!;
      expect(lastArmed.atMs).toBeLessThanOrEqual(killedSimMs + 1_000);
      expect(lastArmed.expiresMs - lastArmed.atMs).toBe(revertS * 1000);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 120_000);
});
