/**
 * The device's own fallback when the EMS dies, over the wire: the lab rig alone (30×) serves the community
 * BESS as a SunSpec Modbus TCP device (and, below, over OPC UA and the REST storage dialect), and the field
 * EMS reaches it from the site file the rig writes.
 *
 * - In process: a use-case-2 trigger is held with the BESS driven over Modbus (704 `WSet` with its
 *   reversion timer), as the plant's own meter saw it.
 * - `npm run ems` as a child process: once the BESS holds the EMS's setpoint, the process is killed with
 *   SIGKILL (no release, no goodbye). Nothing re-arms the device's timer any more: the battery must be back
 *   at its default behaviour within the reversion time the EMS wrote (simulated seconds), by itself.
 * - The same kill with the BESS over OPC UA (the rig server's revert timeout, `WSet_RvrtTms`, re-armed by
 *   the EMS's heartbeat) and over REST (`validUntil` on every setpoint, the setpoint's TTL).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../../src-main/engine/engine.js';
import type { BreakerSample } from '../../../src-main/engine/model.js';
import { FieldEms } from '../../../src-main/field/field-ems.js';
import { LabSession, labModbusTiming, labOpcuaTiming } from '../../../src-main/lab/lab-session.js';
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
    const { revertS } = labModbusTiming(SPEED);
    await killAndWatch(session, sitePath, join(dir, 'data-cli'), revertS);
    const lastArmed = session.rig.bessDeviceWrites.filter((w) => w.setpointKw !== null).at(-1)!;
    expect(lastArmed.expiresMs - lastArmed.atMs).toBe(revertS * 1000);
  }, 120_000);
});

/**
 * Starts `npm run ems` on the site, posts an hour-long trigger, waits two simulated minutes with the BESS
 * holding the EMS's setpoint, kills the process with SIGKILL, and checks that the battery is back at its
 * default within `fallbackS` simulated seconds (plus one second for the plant's step), and not before the
 * kill.
 */
async function killAndWatch(lab: LabSession, site: string, dataDir: string, fallbackS: number): Promise<void> {
  const bessSetpoint = (): number | null => lab.rig.plant.read(lab.rig.scenario.assets.find((a) => a.kind === 'bess')!.id)!.setpointKw;
  const child = spawn(process.execPath, [join(repo, 'scripts/cli.mjs'), 'ems', '--site', site, '--data-dir', dataDir, '--out', join(dataDir, 'out')], { cwd: repo, stdio: ['ignore', 'pipe', 'pipe'] });
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
    // Two simulated minutes in force: the BESS holds the EMS's setpoint, kept alive by the EMS.
    await lab.rig.untilSim(lab.rig.simNowMs() + 2 * 60_000);
    expect(bessSetpoint()).not.toBeNull();
    child.kill('SIGKILL');
    const killedSimMs = lab.rig.simNowMs();
    // Sampled every simulated second: when did the battery fall back?
    let fellBackAtMs: number | null = null;
    for (let t = killedSimMs; t <= killedSimMs + (fallbackS + 5) * 1000 && fellBackAtMs === null; t += 1000) {
      await lab.rig.untilSim(t);
      if (bessSetpoint() === null) fellBackAtMs = lab.rig.simNowMs();
    }
    expect(fellBackAtMs, `the battery still held a setpoint ${fallbackS + 5} s after the EMS was killed`).not.toBeNull();
    expect(fellBackAtMs! - killedSimMs).toBeLessThanOrEqual(fallbackS * 1000 + 1_000);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
}

describe.each([
  // OPC UA: the rig server's revert timeout, as the lab's connector writes it and its heartbeat re-arms it.
  ['opcua' as const, labOpcuaTiming(SPEED).revertS],
  // REST: `validUntil` = the command's expiry, the BESS setpoint's TTL (6 BESS periods = 60 s).
  ['rest' as const, 60],
])('the same kill with the BESS over %s', (bessVia, fallbackS) => {
  let lab: LabSession;
  let site: string;
  let here: string;
  beforeAll(async () => {
    here = await mkdtemp(join(tmpdir(), `lfc-fallback-${bessVia}-`));
    const loaded = await loadScenarioFile(resolve(resourcesDir(), 'scenarios/summer-export-hold/scenario.json'));
    const forecastJson = await readFile(resolve(loaded.dir, 'weather/forecast.json'), 'utf8');
    lab = new LabSession({ ...loaded, forecastJson, loadProfiles: loadProfileLibraryFromResources(resourcesDir()) }, { speed: SPEED, windowStartMs: START_MS, windowEndMs: END_MS, rigOnly: true, bessVia });
    await lab.start();
    const { site: made, secrets } = siteFileForRig(lab.rig);
    site = writeSiteFile(join(here, 'rig-site.json'), made, secrets).sitePath;
  }, 60_000);
  afterAll(async () => {
    await lab?.stop();
    if (here) await rm(here, { recursive: true, force: true });
  });

  it(`the battery falls back by itself within ${fallbackS} s`, async () => {
    await killAndWatch(lab, site, join(here, 'data'), fallbackS);
  }, 120_000);
});

