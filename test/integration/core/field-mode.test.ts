/**
 * The console's core in field mode, against a lab rig over the wire (rig-only at 30×): the site is saved
 * through `site:save` (its secrets into the host's secret store, never into the file), each connection is
 * tested for real (the OPC UA test shows the server certificate's thumbprints, refuses it while untrusted,
 * and after "Trust" logs in and reads the SoC), the switch to field mode is refused during a run, the
 * operator's use-case-2 trigger is held in band on the rig's breaker, the Now picture shows each
 * connection's health and data age, and the run lands in the history with its samples.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LfcCore, type SecretPort } from '../../../src-main/core/lfc-core.js';
import { LabSession } from '../../../src-main/lab/lab-session.js';
import { loadProfileLibraryFromResources } from '../../../src-main/node/load-profiles.js';
import { resourcesDir } from '../../../src-main/node/paths.js';
import { loadScenarioFile } from '../../../src-main/node/scenario-file.js';
import { siteFileForRig } from '../../../src-main/site/rig-site.js';
import { openHistoryStore, type HistoryStore } from '../../../src-main/storage/history-store.js';
import { SERIES } from '../../../src-main/core/series.js';

const SPEED = 30;
const START_MS = Date.parse('2026-06-21T10:58:00+02:00');
const END_MS = START_MS + 40 * 60_000;

let dir: string;
let session: LabSession;
let core: LfcCore;
let history: HistoryStore;
const held = new Map<string, string>();
const secretStore: SecretPort = {
  description: 'a test store',
  get: (n) => held.get(n) ?? null,
  set: (n, v) => void held.set(n, v),
  delete: (n) => held.delete(n),
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lfc-core-field-'));
  const loaded = await loadScenarioFile(resolve(resourcesDir(), 'scenarios/summer-export-hold/scenario.json'));
  const forecastJson = await readFile(resolve(loaded.dir, 'weather/forecast.json'), 'utf8');
  session = new LabSession({ ...loaded, forecastJson, loadProfiles: loadProfileLibraryFromResources(resourcesDir()) }, { speed: SPEED, windowStartMs: START_MS, windowEndMs: END_MS, rigOnly: true });
  await session.start();
  history = openHistoryStore({ file: ':memory:' });
  core = new LfcCore({ resourcesDirPath: resourcesDir(), dataDirPath: join(dir, 'data'), history, appVersion: 'test', loadSolver: null, secretStore, autoRun: false });
}, 60_000);

afterAll(async () => {
  await core?.stopField();
  core?.close();
  history?.close();
  await session?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('the core in field mode against a lab rig', () => {
  it('saves the site with its secrets in the host store, never in the file, and refuses a bad one by path', () => {
    const { site, secrets } = siteFileForRig(session.rig);
    // The operator has not vouched for the rig's certificate yet: the console's Test and Trust do it.
    const text = JSON.stringify({ ...site, opcua: { ...site.opcua, trustedThumbprints: [] } });
    expect(() => core.site.save({ text: JSON.stringify({ ...site, connectors: { ...site.connectors, installation: '' } }), secrets })).toThrow(/\$\.connectors\.installation/);
    const doc = core.site.save({ text, secrets });
    expect(doc.secrets.length).toBeGreaterThan(0);
    expect(doc.secrets.every((s) => s.set && s.from === 'console')).toBe(true);
    const onDisk = readFileSync(doc.path, 'utf8');
    for (const value of Object.values(secrets)) expect(onDisk).not.toContain(value);
    expect(core.getSettings().connections.map((c) => c.id)).toEqual(expect.arrayContaining(['simulator', 'breaker', 'asset:bess', 'weather', 'intake']));
  });

  it('tests the OPC UA connection: shows the certificate, refuses it until trusted, then logs in and reads the SoC', async () => {
    const first = await core.testConnection('asset:bess');
    expect(first.ok).toBe(false);
    const thumb = session.rig.bessOpcua!.certificateThumbprint.toLowerCase();
    expect(first.opcua?.certificate).toMatchObject({ sha1: thumb, trusted: false });
    expect(first.opcua?.certificate?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(first.steps.at(-1)).toMatchObject({ step: 'certificate', ok: false });
    const pki = await core.site.pki();
    expect(pki.rejected.map((c) => c.sha1)).toContain(thumb);
    const trusted = await core.site.trust(thumb);
    expect(trusted.trusted.map((c) => c.sha1)).toContain(thumb);
    expect(trusted.rejected.map((c) => c.sha1)).not.toContain(thumb);
    const second = await core.testConnection('asset:bess');
    expect(second.ok, second.message).toBe(true);
    expect(second.opcua).toMatchObject({ securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', login: { ok: true } });
    expect(second.opcua!.socPct).toBeGreaterThan(0);
    expect(second.latencyMs).toBeGreaterThan(0);
    expect(second.steps.map((s) => s.step)).toEqual(['reach', 'certificate', 'secure-channel', 'login', 'read']);
  }, 30_000);

  it('tests the REST connections, and says so when a token is wrong', async () => {
    const breaker = await core.testConnection('breaker');
    expect(breaker.ok, breaker.message).toBe(true);
    expect(breaker.latencyMs).not.toBeNull();
    const doc = core.site.get();
    const dsoToken = JSON.parse(doc.text!).connectors.endpoints.dso.tokenSecret as string;
    const good = held.get(`site.${dsoToken}`)!;
    held.set(`site.${dsoToken}`, 'wrong');
    const refused = await core.testConnection('breaker');
    held.set(`site.${dsoToken}`, good);
    expect(refused.ok).toBe(false);
    expect(refused.steps.at(-1)).toMatchObject({ step: 'login', ok: false });
    await expect(core.testConnection('nope')).rejects.toThrow(/no connection nope/);
  });

  it('switches to field mode, holds an operator target on the rig, and records it', async () => {
    await core.startSimulator({ speed: 1 });
    const state = await core.startField();
    expect(state.source).toMatchObject({ kind: 'field', clock: 'lab-rig' });
    expect(state.source?.kind === 'field' && state.source.intakeUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1\/triggers$/);
    // Let the connections deliver (the BESS streams, the breaker every 10 s of rig time = 0.33 s real).
    await sleep(1500);
    const before = core.getState();
    const bess = before.connections.find((c) => c.id === 'asset:bess')!;
    expect(bess.health).toBe('ok');
    expect(before.connections.find((c) => c.id === 'breaker')!.health).toBe('ok');
    expect(before.connections.find((c) => c.id === 'breaker')!.lastDataMs).not.toBeNull();
    const answer = core.sendTrigger({ useCase: 2, targetKw: -250, durationS: 600, toleranceKw: 10 });
    expect(answer.accepted, answer.reason).toBe(true);
    // A run in force: no switch to the simulator behind the operator's back.
    await expect(core.startSimulator({})).rejects.toThrow(/a run is in force/);
    // 600 s of rig time at 30× = 20 s; then a little for the last sample.
    for (let i = 0; i < 60 && core.getState().run !== null; i++) await sleep(500);
    const after = core.getState();
    expect(after.run).toBeNull();
    const runs = core.listRuns();
    expect(runs).toHaveLength(1);
    expect(runs[0]!.endReason).toBe('duration-elapsed');
    expect(runs[0]!.sessionId).toMatch(/^field-/);
    const kpis = runs[0]!.kpis as { accuracy: { withinBandPct: number } };
    expect(kpis.accuracy.withinBandPct).toBeGreaterThanOrEqual(90);
    const series = core.querySeries({ seriesId: SERIES.breakerMeasured, fromMs: runs[0]!.startMs, toMs: runs[0]!.endMs!, maxBuckets: 1000 });
    expect(series.timeMs.length).toBeGreaterThan(40);
    expect(existsSync(join(dir, 'data', 'field-out', 'kpi.json'))).toBe(true);
    await core.startSimulator({ speed: 1 });
    expect(core.getState().source?.kind).toBe('simulator');
  }, 90_000);

  it('forgets a kept secret when where it is sent changes, unless a new value comes with the save', () => {
    const text = core.site.get().text!;
    const site = JSON.parse(text) as { connectors: { endpoints: Record<string, { baseUrl: string; tokenSecret?: string }> } };
    const name = site.connectors.endpoints['dso']!.tokenSecret!;
    expect(held.has(`site.${name}`)).toBe(true);
    // The same file again: nothing is forgotten.
    expect(core.site.save({ text }).cleared).toEqual([]);
    // The DSO URL points elsewhere (an attacker's server, or a typo): its token must not follow it there.
    const moved = structuredClone(site);
    moved.connectors.endpoints['dso']!.baseUrl = 'http://127.0.0.1:9';
    const doc = core.site.save({ text: JSON.stringify(moved) });
    expect(doc.cleared).toContain(name);
    expect(held.has(`site.${name}`)).toBe(false);
    expect(doc.secrets.find((x) => x.name === name)).toMatchObject({ set: false });
    // Back, with the value entered again.
    const back = core.site.save({ text, secrets: { [name]: siteFileForRig(session.rig).secrets[name]! } });
    expect(back.cleared).toEqual([]);
    expect(held.has(`site.${name}`)).toBe(true);
  });

  it('switches one at a time: two switches asked together never leave two sessions live', async () => {
    const [a, b] = await Promise.allSettled([core.startField(), core.startSimulator({ speed: 1 })]);
    expect(a.status).toBe('fulfilled');
    expect(b.status).toBe('fulfilled');
    expect(core.getState().source?.kind).toBe('simulator');
    const [c, d] = await Promise.allSettled([core.startSimulator({ speed: 1 }), core.startField()]);
    expect(c.status).toBe('fulfilled');
    expect(d.status).toBe('fulfilled');
    expect(core.getState().source?.kind).toBe('field');
    // With a run in force (island mode, open-ended) the switch is refused.
    const state = core.getState();
    expect(core.sendTrigger({ useCase: 1 }).accepted).toBe(true);
    await expect(core.startSimulator({})).rejects.toThrow(/a run is in force: stop it before switching to the simulator/);
    core.stop();
    await core.stopField();
    expect(state.source?.kind).toBe('field');
  }, 60_000);

  it('closed while a run is in force: the run ends, the assets are released, the record is closed, nothing crashes', async () => {
    const history2 = openHistoryStore({ file: ':memory:' });
    const core2 = new LfcCore({ resourcesDirPath: resourcesDir(), dataDirPath: join(dir, 'data2'), history: history2, appVersion: 'test', loadSolver: null, secretStore, autoRun: false });
    const { site, secrets } = siteFileForRig(session.rig);
    core2.site.save({ text: JSON.stringify(site), secrets });
    await core2.startField();
    await sleep(1000);
    expect(core2.sendTrigger({ useCase: 2, targetKw: -250, durationS: 3600, toleranceKw: 10 }).accepted).toBe(true);
    await sleep(2000);
    const errors: unknown[] = [];
    const onError = (e: unknown) => errors.push(e);
    process.on('uncaughtException', onError);
    try {
      // As a host that does not wait: the core and then its history closed at once.
      core2.close();
      history2.close();
      await core2.stopField();
      await sleep(1500);
    } finally {
      process.off('uncaughtException', onError);
    }
    expect(errors).toEqual([]);
    const lines = readFileSync(join(dir, 'data2', 'field-out', 'record.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; data: Record<string, unknown> });
    const ended = lines.findIndex((l) => l.kind === 'run-ended' && l.data['endReason'] === 'ems-stopped');
    expect(ended).toBeGreaterThan(0);
    // The BESS held the target, then its last setpoint is the release (0 kW), and the EMS says it stopped.
    const bess = lines.filter((l) => l.kind === 'setpoint' && l.data['assetId'] === 'bess');
    expect(bess.some((l) => typeof l.data['powerKw'] === 'number' && l.data['powerKw'] !== 0)).toBe(true);
    expect(bess.at(-1)!.data['powerKw'] ?? 0).toBe(0);
    expect(lines.some((l) => l.kind === 'event' && l.data['type'] === 'ems-stopped')).toBe(true);
  }, 60_000);
});
