/**
 * The bundled `summer-export-hold` scenario from 10:55 local for 11 simulated minutes (the operator's
 * −250 kW trigger falls at 11:00), through the lab rig at 30× — the community BESS over real loopback
 * OPC UA (SignAndEncrypt, Basic256Sha256, user login), the breaker, the vendor clouds, the weather and the
 * trigger intake over real loopback HTTP — against the in-process replay of the same window. Both sides
 * run `lfc` without a solver (fair-share dispatch), so no HiGHS is needed and they decide alike.
 *
 * Tolerances, from the physics: the plant, its seed and the sensor noise (σ 0.5 kW) are the same in both, so
 * what differs is only the time the lab adds on the wire. At 30× a loopback round trip of 30–150 ms real is
 * 1–4.5 s of EMS time (the OPC UA write with its read-back, SignAndEncrypt: p50 ≈ 0.2–0.3 s, p95 0.5–5 s of
 * EMS time measured here; the replay's is 0.05 s): each BESS correction lands up to that much later than
 * in the replay. (Measured on a loaded 2-core machine: MAE 2.3–2.4 kW in the lab against 1.96 kW in the
 * replay, RMSE 2.8–2.9 against 2.4, bias −0.6…−0.8 against −0.46, 100 % within the band on both.) The uncontrolled
 * power moves by at most ~1 kW/s here (passing clouds on 560 kWp), and the BESS ramps 50 kW/s, so the
 * tracking error may differ by about 1 kW/s × 2 s ≈ 2 kW in any sample: hence MAE and RMSE within 2 kW,
 * bias within 1.5 kW, the share within the 10 kW band within 10 points, the worst error within the band
 * (10 kW). Settling is quantised by the 10 s breaker period: the lab may settle up to two periods later.
 * The first acknowledged setpoint may come up to the lab's real-time wire budget (500 ms × 30 = 15 s) later.
 */
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RestClient, RestError } from '../../../src-main/connectors/rest/http-client.js';
import { HttpTriggerIntake } from '../../../src-main/connectors/trigger-intake/trigger-intake.js';
import type { RunRecord } from '../../../src-main/engine/engine.js';
import { LabSession, LAB_WIRE_BUDGET_MS, labOpcuaTiming } from '../../../src-main/lab/lab-session.js';
import type { LabEndpoint } from '../../../src-main/lab/rig.js';
import { loadProfileLibraryFromResources } from '../../../src-main/node/load-profiles.js';
import { resourcesDir } from '../../../src-main/node/paths.js';
import { loadScenarioFile } from '../../../src-main/node/scenario-file.js';
import { verifyRecordText } from '../../../src-main/record/verify.js';
import { ReplaySession } from '../../../src-main/replay/replay.js';

const SPEED = 30;
const START_MS = Date.parse('2026-06-21T10:55:00+02:00');
const END_MS = START_MS + 11 * 60_000;

let dir: string;
let session: LabSession;
let labRuns: RunRecord[];
let replayRun: RunRecord;
let endpoints: LabEndpoint[];
const refusals: Array<{ name: string; status: number; body: unknown; runsBefore: number; runsAfter: number; targetBefore: number | null; targetAfter: number | null }> = [];

async function post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json', ...headers } });
  return { status: res.status, body: await res.json() };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lfc-lab-'));
  const loaded = await loadScenarioFile(resolve(resourcesDir(), 'scenarios/summer-export-hold/scenario.json'));
  const loadProfiles = loadProfileLibraryFromResources(resourcesDir());
  const forecastJson = await readFile(resolve(loaded.dir, 'weather/forecast.json'), 'utf8');
  session = new LabSession({ ...loaded, forecastJson, loadProfiles }, { speed: SPEED, windowStartMs: START_MS, windowEndMs: END_MS, recordDir: dir });
  await session.start();
  endpoints = session.endpoints();

  // Bad triggers while the run is in force (11:03): each is refused with a clear answer and changes nothing.
  await session.rig.untilSim(Date.parse('2026-06-21T11:03:00+02:00'));
  const ems = session.ems!;
  const url = session.intake!.url;
  const auth = { authorization: `Bearer ${session.intakeToken}` };
  const attempts: Array<[string, string, Record<string, string>]> = [
    ['no token', JSON.stringify({ useCase: 2, targetKw: -100, durationS: 600 }), {}],
    ['wrong token', JSON.stringify({ useCase: 2, targetKw: -100, durationS: 600 }), { authorization: 'Bearer nope' }],
    ['NaN target', '{"useCase":2,"targetKw":NaN,"durationS":600}', auth],
    ['null target', JSON.stringify({ useCase: 2, targetKw: null, durationS: 600 }), auth],
    ['beyond the connection limit', JSON.stringify({ useCase: 2, targetKw: -5000, durationS: 600 }), auth],
    ['use case 7', JSON.stringify({ useCase: 7 }), auth],
    ['start in the past', JSON.stringify({ useCase: 1, startAt: '2026-06-21T10:00:00+02:00' }), auth],
  ];
  for (const [name, body, headers] of attempts) {
    const runsBefore = ems.engine.runs.length;
    const targetBefore = ems.snapshot().run?.targetKw ?? null;
    const r = await post(url, body, headers);
    refusals.push({ name, ...r, runsBefore, runsAfter: ems.engine.runs.length, targetBefore, targetAfter: ems.snapshot().run?.targetKw ?? null });
  }
  await session.finished();
  labRuns = await session.stop();

  const windowed = { ...loaded.scenario, start: new Date(START_MS).toISOString(), end: new Date(END_MS).toISOString() };
  replayRun = new ReplaySession({ ...loaded, scenario: windowed, loadProfiles, controller: 'lfc' }).finish().runs[0]!;
}, 90_000);

afterAll(async () => {
  await session?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('lab rig over loopback OPC UA and HTTP vs the in-process replay', () => {
  it('served the BESS over OPC UA, accepted its certificate explicitly, and drove the plant through it', () => {
    const rig = session.rig;
    expect(rig.bessVia).toBe('opcua');
    expect(rig.services.map((s) => s.role)).not.toContain('bess-backend');
    const opcuaLine = endpoints.find((e) => e.url.startsWith('opc.tcp://127.0.0.1:'));
    expect(opcuaLine?.role).toMatch(/BESS vendor backend \(OPC UA/);
    expect(opcuaLine?.detail).toContain('SignAndEncrypt Basic256Sha256');
    expect(session.opcuaTrust).toMatchObject({ decision: 'accepted', endpointUrl: opcuaLine!.url });
    expect(opcuaLine?.detail).toContain(session.opcuaTrust!.thumbprint);
    // Commits (one per BESS cycle of the run) and heartbeats reached the simulated battery over the wire,
    // each with the revert timeout the lab chose for 30×.
    const commits = rig.bessDeviceWrites.filter((w) => !w.heartbeat && w.setpointKw !== null);
    expect(commits.length).toBeGreaterThan(20);
    const revertMs = labOpcuaTiming(SPEED).revertS * 1000;
    for (const w of commits) expect(w.expiresMs - w.atMs).toBeLessThanOrEqual(revertMs);
    expect(rig.bessDeviceWrites.some((w) => w.heartbeat)).toBe(true);
  });

  it('the scenario trigger reached the EMS over its intake and started the run', () => {
    expect(session.posted).toHaveLength(1);
    const p = session.posted[0]!;
    expect(p.status).toBe(202);
    expect(p.answer).toMatchObject({ accepted: true, runId: 'run-001', feasibility: { verdict: 'feasible' } });
    expect((p.answer as { feasibility: { message: string } }).feasibility.message).toMatch(/^can hold −250 kW: band \[−\d+, −?\d+\] kW/);
    expect(labRuns).toHaveLength(1);
    expect(labRuns[0]!.trigger.source).toMatch(/^http 127\.0\.0\.1 token:lab-operator$/);
  });

  it('KPIs agree within the tolerance the physics allows', () => {
    const lab = labRuns[0]!.kpis!;
    const rep = replayRun.kpis!;
    const [a, r] = [lab.accuracy, rep.accuracy];
    for (const k of ['maeKw', 'rmseKw', 'biasKw', 'withinBandPct', 'maxAbsErrorKw'] as const) {
      expect(a[k], k).not.toBeNull();
      expect(r[k], k).not.toBeNull();
    }
    expect(lab.accuracy.samples).toBeGreaterThanOrEqual(rep.accuracy.samples - 2);
    expect(Math.abs(a.maeKw! - r.maeKw!)).toBeLessThanOrEqual(2);
    expect(Math.abs(a.rmseKw! - r.rmseKw!)).toBeLessThanOrEqual(2);
    expect(Math.abs(a.biasKw! - r.biasKw!)).toBeLessThanOrEqual(1.5);
    expect(Math.abs(a.withinBandPct! - r.withinBandPct!)).toBeLessThanOrEqual(10);
    expect(a.maxAbsErrorKw!).toBeLessThanOrEqual(r.maxAbsErrorKw! + 10);
    expect(lab.responsiveness.settlingS).not.toBeNull();
    expect(lab.responsiveness.settlingS!).toBeLessThanOrEqual(rep.responsiveness.settlingS! + 20);
    expect(lab.responsiveness.firstSetpointS!).toBeLessThanOrEqual(rep.responsiveness.firstSetpointS! + (LAB_WIRE_BUDGET_MS * SPEED) / 1000);
  });

  it('bad triggers are refused with a clear answer and change nothing', () => {
    const by = Object.fromEntries(refusals.map((r) => [r.name, r]));
    expect(by['no token']!.status).toBe(401);
    expect(by['wrong token']!.status).toBe(401);
    expect(by['NaN target']!.status).toBe(400);
    expect(JSON.stringify(by['NaN target']!.body)).toMatch(/not valid JSON/);
    expect(by['null target']!.status).toBe(422);
    expect(JSON.stringify(by['null target']!.body)).toMatch(/\$\.targetKw/);
    expect(by['beyond the connection limit']!.status).toBe(422);
    expect(JSON.stringify(by['beyond the connection limit']!.body)).toMatch(/connection limit of ±630 kW/);
    expect(by['use case 7']!.status).toBe(422);
    expect(by['start in the past']!.status).toBe(422);
    for (const r of refusals) {
      expect(r.runsAfter, r.name).toBe(r.runsBefore);
      expect(r.targetAfter, r.name).toBe(-250);
      expect(r.targetBefore, r.name).toBe(-250);
    }
  });

  it('latency is traced at every hop and summarised', () => {
    const rep = session.ems!.latencyReport();
    expect(rep.engine.sensorToEms.count).toBeGreaterThan(20);
    expect(rep.engine.sensorToEms.p50!).toBeGreaterThanOrEqual(1000); // the scenario's 1 s sensor delay
    expect(rep.engine.total.p99).not.toBeNull();
    const bess = Object.entries(rep.connectors).find(([k]) => k.startsWith('bess'))![1];
    expect(bess.acks).toBeGreaterThan(20);
    expect(bess.wireWallMs.p95).not.toBeNull();
  });

  it('the record of the session verifies, with the trigger and its source in it', async () => {
    const text = await readFile(join(dir, 'record.jsonl'), 'utf8');
    const v = verifyRecordText(text);
    expect(v.ok).toBe(true);
    expect(text).toContain('"kind":"trigger"');
    expect(text).toContain('token:lab-operator');
    expect(text).toContain('"kind":"measurements"');
    expect(text).toContain('"kind":"ack"');
    expect(text).toContain('opcua-certificate-accepted');
    expect(text.match(/"kind":"trigger-refused"/g)!.length).toBeGreaterThanOrEqual(7);
  });
});

describe('trigger intake remote-address policy', () => {
  it('refuses a caller whose address the configuration does not allow, before looking at anything else', async () => {
    let submitted = 0;
    const intake = new HttpTriggerIntake(
      { nowMs: () => START_MS, connectionLimitKw: 630, submit: () => (submitted++, { accepted: true }), snapshot: () => { throw new Error('not reached'); } },
      { tokens: { op: 'secret-token' }, allowedRemotes: ['10.20.30.40'] },
    );
    await intake.start();
    try {
      const client = new RestClient({ name: 'operator', baseUrl: intake.url.replace('/v1/triggers', ''), bearerToken: 'secret-token', timeoutMs: 2000, retry: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0 } });
      const err = await client.request('POST', '/v1/triggers', { body: { useCase: 1 } }).catch((e: unknown) => e);
      client.close();
      expect(err).toBeInstanceOf(RestError);
      expect((err as RestError).status).toBe(403);
      expect((err as RestError).message).toMatch(/127\.0\.0\.1 is not allowed/);
      expect(submitted).toBe(0);
    } finally {
      await intake.stop();
    }
  });
});
