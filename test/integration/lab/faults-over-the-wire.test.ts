/**
 * The bundled `faults-and-bad-data` scenario through the lab rig over the wire (BESS over loopback OPC UA,
 * breaker on the grid operator's REST platform, vendor clouds, weather and trigger intake over loopback
 * HTTP), compressed to two windows at 60×, each from shortly before a fault:
 * - 10:44–10:48 local: the breaker sensor drops out 10:45–10:47 (the REST platform sends nothing new);
 * - 12:19–12:27 local: the BESS is offline 12:20–12:25 (the OPC UA server's `offline` hook: telemetry
 *   `BadNoCommunication`, writes and heartbeats refused with it).
 * The bundled scenario rejects setpoints only on a household storage (hs-03, 13:00); the second window adds
 * the same fault on the BESS for one minute after the outage (12:25:30–12:26:30), so the OPC UA server's
 * `rejectWrites` hook is exercised from the scenario too.
 * The second window runs again with the BESS as a SunSpec Modbus device: offline is a device that does not
 * answer at all, a refused setpoint Modbus exception 4.
 * The operator's −80 kW request (10:15, 3.5 h) is in force in both windows: the rig re-sends what is left
 * of it at each window's start. Both windows share one PKI folder, so the second finds the rig's
 * certificate trusted already.
 *
 * Nothing here sleeps: the rig's window ends when its paced clock gets there (`finished()`), and the
 * device-side trace is taken on the rig's simulated clock. The 60 s guards only catch a hang.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../../src-main/engine/engine.js';
import { labModbusTiming, labOpcuaTiming, LabSession, labAckTimeoutS } from '../../../src-main/lab/lab-session.js';
import type { LabRigInputs } from '../../../src-main/lab/rig.js';
import { loadProfileLibraryFromResources } from '../../../src-main/node/load-profiles.js';
import { resourcesDir } from '../../../src-main/node/paths.js';
import { loadScenarioFile } from '../../../src-main/node/scenario-file.js';
import type { RuntimeEvent } from '../../../src-main/runtime/ems-runtime.js';
import type { ScenarioFault } from '../../../src-main/engine/scenario/index.js';

const SPEED = 60;
const local = (hhmm: string) => Date.parse(`2026-06-22T${hhmm}:00+02:00`);
const DROPOUT_FROM = local('10:45');
const DROPOUT_TO = DROPOUT_FROM + 120_000;
const OFFLINE_FROM = local('12:20');
const OFFLINE_TO = OFFLINE_FROM + 300_000;
const REJECT_FROM = OFFLINE_TO + 30_000;
const REJECT_TO = REJECT_FROM + 60_000;

interface WindowResult {
  session: LabSession;
  events: RuntimeEvent[];
  runs: RunRecord[];
  /** The simulated BESS as the device saw it, every simulated second (sampled between plant steps). */
  trace: Array<{ timeMs: number; setpointKw: number | null; powerKw: number }>;
}

let pkiDir: string;
let inputs: LabRigInputs;
let dropout: WindowResult;
let offline: WindowResult;
let offlineModbus: WindowResult;

async function runWindow(fromMs: number, toMs: number, traceFromMs: number, traceToMs: number, extraFaults: ScenarioFault[] = [], bessVia: 'opcua' | 'modbus' = 'opcua'): Promise<WindowResult> {
  const events: RuntimeEvent[] = [];
  const scenario = { ...inputs.scenario, faults: [...inputs.scenario.faults, ...extraFaults] };
  const session = new LabSession({ ...inputs, scenario }, { speed: SPEED, windowStartMs: fromMs, windowEndMs: toMs, pkiDir, bessVia, onEvent: (e) => events.push(e) });
  const trace: WindowResult['trace'] = [];
  const rig = session.rig;
  const sample = (t: number): void => {
    const r = rig.plant.read('bess')!;
    trace.push({ timeMs: t, setpointKw: r.setpointKw, powerKw: r.powerKw });
    if (t + 1000 <= traceToMs) rig.clock.schedule(t + 1000, () => sample(t + 1000));
  };
  // Half a step after each plant step: the state the battery holds during that second.
  rig.clock.schedule(traceFromMs + 500, () => sample(traceFromMs + 500));
  try {
    await session.start();
    await session.finished();
  } finally {
    await session.stop();
  }
  return { session, events, runs: session.ems!.engine.runs, trace };
}

const engineEvents = (w: WindowResult, type: string) => w.events.filter((e) => e.source === 'engine' && e.type === type);
const linkEvents = (w: WindowResult, link: string) => w.events.filter((e) => e.source === 'connector' && e.data?.link === link);
const within = (t: number, from: number, to: number) => t >= from && t <= to;

beforeAll(async () => {
  pkiDir = mkdtempSync(join(tmpdir(), 'lfc-lab-faults-pki-'));
  const loaded = await loadScenarioFile(resolve(resourcesDir(), 'scenarios/faults-and-bad-data/scenario.json'));
  const forecastJson = await readFile(resolve(loaded.dir, 'weather/forecast.json'), 'utf8');
  inputs = { ...loaded, forecastJson, loadProfiles: loadProfileLibraryFromResources(resourcesDir()) };
  dropout = await runWindow(local('10:44'), local('10:48'), DROPOUT_FROM, DROPOUT_TO);
  const rejectFault: ScenarioFault = { at: new Date(REJECT_FROM).toISOString(), kind: 'assetSetpointRejected', asset: 'bess', durationS: (REJECT_TO - REJECT_FROM) / 1000 };
  offline = await runWindow(local('12:19'), local('12:27'), OFFLINE_FROM, OFFLINE_TO, [rejectFault]);
  offlineModbus = await runWindow(local('12:19'), local('12:27'), OFFLINE_FROM, OFFLINE_TO, [rejectFault], 'modbus');
}, 90_000);

afterAll(() => {
  if (pkiDir) rmSync(pkiDir, { recursive: true, force: true });
});

describe('faults-and-bad-data over the wire: breaker dropout (REST platform)', () => {
  it('re-sends the request in force at the window start, over the trigger intake', () => {
    const { session, runs } = dropout;
    expect(session.rig.carriedIn?.index).toBe(0);
    expect(session.posted).toHaveLength(1);
    expect(session.posted[0]).toMatchObject({ index: 0, status: 202, answer: { accepted: true } });
    expect(runs).toHaveLength(1);
    expect(runs[0]!.trigger).toMatchObject({ useCase: 2, targetKw: -80, durationS: (local('10:15') + 12_600_000 - local('10:44')) / 1000 });
    expect(session.opcuaTrust?.decision).toBe('accepted');
  });

  it('the EMS notices the dropout (breaker-stale), goes to its safe state, and resumes after it', () => {
    const stale = engineEvents(dropout, 'breaker-stale').find((e) => within(e.timeMs, DROPOUT_FROM, DROPOUT_FROM + 60_000));
    expect(stale, 'breaker-stale during the dropout').toBeDefined();
    const safe = engineEvents(dropout, 'safe-state').find((e) => within(e.timeMs, stale!.timeMs, DROPOUT_TO));
    expect(safe, 'safe state before the sensor comes back').toBeDefined();
    const restored = engineEvents(dropout, 'breaker-restored').find((e) => e.timeMs >= DROPOUT_TO);
    expect(restored, 'breaker-restored after the dropout').toBeDefined();
    // The safe state reached the battery over OPC UA: a release, after which no setpoint is in force
    // until the breaker is back. (Between breaker-stale and the safe state the EMS only renews its last
    // setpoint; the rig's clock may trail the EMS's by a pacing tick, so the release is looked for from the
    // stale event on.)
    const release = dropout.session.rig.bessDeviceWrites.find((w) => !w.heartbeat && w.setpointKw === null && within(w.atMs, stale!.timeMs, DROPOUT_TO));
    expect(release!.atMs).toBeGreaterThan(stale!.timeMs + 30_000);
    expect(release, 'the BESS released over OPC UA').toBeDefined();
    const after = dropout.trace.filter((s) => within(s.timeMs, release!.atMs + 1000, DROPOUT_TO));
    expect(after.length).toBeGreaterThan(10);
    for (const s of after) expect(s.setpointKw, new Date(s.timeMs).toISOString()).toBeNull();
  });
});

describe('faults-and-bad-data over the wire: BESS offline (OPC UA)', () => {
  it('finds the rig certificate trusted already (same PKI folder as the first window)', () => {
    expect(offline.session.opcuaTrust?.decision).toBe('already-trusted');
    expect(offline.session.opcuaTrust?.thumbprint).toBe(dropout.session.opcuaTrust?.thumbprint);
  });

  it('the EMS notices the offline battery: bad telemetry, unanswered writes, ack-timeout, asset-lost; and its return', () => {
    const badValue = linkEvents(offline, 'bad-value').find((e) => within(e.timeMs, OFFLINE_FROM, OFFLINE_FROM + 30_000));
    expect(badValue?.message, 'BadNoCommunication telemetry').toMatch(/BadNoCommunication/);
    const unreachable = linkEvents(offline, 'device-unreachable').filter((e) => within(e.timeMs, OFFLINE_FROM, OFFLINE_TO));
    expect(unreachable.length, 'writes answered BadNoCommunication gave no acknowledgement').toBeGreaterThan(2);
    expect(unreachable[0]!.type).toBe('connector-no-ack');
    const ackTimeout = engineEvents(offline, 'ack-timeout').find((e) => e.assetId === 'bess' && within(e.timeMs, OFFLINE_FROM, OFFLINE_TO));
    expect(ackTimeout, 'ack-timeout while offline').toBeDefined();
    // It is the engine's timeout (scaled for 60×) of a write into the outage: that write left at most one
    // 10 s BESS cycle before the outage began at the server (the rig's clock may trail the EMS's a little).
    expect(ackTimeout!.timeMs - OFFLINE_FROM).toBeGreaterThanOrEqual(labAckTimeoutS(SPEED) * 1000 - 10_000);
    const lost = engineEvents(offline, 'asset-lost').find((e) => e.assetId === 'bess' && within(e.timeMs, ackTimeout!.timeMs, OFFLINE_TO));
    expect(lost, 'asset-lost while offline').toBeDefined();
    expect(engineEvents(offline, 'setpoint-rejected').filter((e) => e.assetId === 'bess' && within(e.timeMs, OFFLINE_FROM, OFFLINE_TO))).toEqual([]);
    expect(engineEvents(offline, 'asset-restored').find((e) => e.assetId === 'bess' && e.timeMs >= OFFLINE_TO), 'asset-restored after the outage').toBeDefined();
    expect(linkEvents(offline, 'value-restored').find((e) => e.timeMs >= OFFLINE_TO), 'telemetry good again').toBeDefined();
  });

  it('device side: nothing reaches the battery while offline, and its last setpoint lapses at its expiry', () => {
    const writes = offline.session.rig.bessDeviceWrites;
    expect(writes.filter((w) => within(w.atMs, OFFLINE_FROM, OFFLINE_TO - 1))).toEqual([]);
    // The setpoint in force when the battery went offline, and the expiry the device was given with it.
    const last = writes.filter((w) => w.atMs < OFFLINE_FROM).at(-1)!;
    expect(last.setpointKw).not.toBeNull();
    const expiresMs = last.expiresMs;
    expect(expiresMs).toBeGreaterThan(OFFLINE_FROM);
    // The revert timeout the lab chose for 60× bounds it: it lapses well inside the 5-minute outage.
    expect(expiresMs - last.atMs).toBeLessThanOrEqual(labOpcuaTiming(SPEED).revertS * 1000);
    const trace = offline.trace.filter((s) => within(s.timeMs, OFFLINE_FROM, OFFLINE_TO));
    expect(trace.length).toBeGreaterThanOrEqual(299);
    expect(trace[0]!.setpointKw).not.toBeNull();
    for (const s of trace) {
      // Released by the battery's own watchdog at the first plant step at or after the expiry.
      if (s.timeMs >= expiresMs + 1000) expect(s.setpointKw, new Date(s.timeMs).toISOString()).toBeNull();
      // Back to its default (0 kW) once it has ramped down.
      if (s.timeMs >= expiresMs + 10_000) expect(Math.abs(s.powerKw), new Date(s.timeMs).toISOString()).toBeLessThan(1);
    }
  });
});

describe('faults-and-bad-data over the wire: BESS rejects setpoints (OPC UA, added to the second window)', () => {
  it('the EMS notices the refusal with the device reason; nothing is applied meanwhile; telemetry goes on', () => {
    const rejected = engineEvents(offline, 'setpoint-rejected').find((e) => e.assetId === 'bess' && within(e.timeMs, REJECT_FROM, REJECT_TO + 30_000));
    expect(rejected?.message).toMatch(/BadOutOfService.*local mode/);
    const commits = offline.session.rig.bessDeviceWrites.filter((w) => within(w.atMs, REJECT_FROM, REJECT_TO - 1));
    expect(commits).toEqual([]);
    expect(linkEvents(offline, 'bad-value').filter((e) => within(e.timeMs, REJECT_FROM, REJECT_TO))).toEqual([]);
    const accepting = engineEvents(offline, 'asset-restored').find((e) => e.assetId === 'bess' && e.timeMs >= REJECT_TO);
    expect(accepting?.message).toMatch(/accepts setpoints again/);
  });
});

describe('faults-and-bad-data over the wire: the same BESS faults over Modbus/SunSpec', () => {
  it('a device that does not answer: unanswered writes, ack-timeout, asset-lost, the link re-opened; and its return', () => {
    const w = offlineModbus;
    const noAnswer = linkEvents(w, 'write-timeout').filter((e) => within(e.timeMs, OFFLINE_FROM, OFFLINE_TO));
    expect(noAnswer.length, 'writes without an answer gave no acknowledgement').toBeGreaterThan(0);
    expect(noAnswer[0]!.type).toBe('connector-no-ack');
    expect(linkEvents(w, 'disconnected').find((e) => within(e.timeMs, OFFLINE_FROM, OFFLINE_TO)), 'the link counted as down').toBeDefined();
    const ackTimeout = engineEvents(w, 'ack-timeout').find((e) => e.assetId === 'bess' && within(e.timeMs, OFFLINE_FROM, OFFLINE_TO));
    expect(ackTimeout, 'ack-timeout while offline').toBeDefined();
    expect(engineEvents(w, 'asset-lost').find((e) => e.assetId === 'bess' && within(e.timeMs, ackTimeout!.timeMs, OFFLINE_TO)), 'asset-lost while offline').toBeDefined();
    expect(linkEvents(w, 'restored').find((e) => e.timeMs >= OFFLINE_TO), 'the link re-opened after the outage').toBeDefined();
    expect(engineEvents(w, 'asset-restored').find((e) => e.assetId === 'bess' && e.timeMs >= OFFLINE_TO), 'asset-restored after the outage').toBeDefined();
  });

  it('device side: nothing reaches the battery while it does not answer, and its last setpoint lapses by its own reversion timer', () => {
    const writes = offlineModbus.session.rig.bessDeviceWrites;
    expect(writes.filter((x) => within(x.atMs, OFFLINE_FROM, OFFLINE_TO - 1))).toEqual([]);
    const last = writes.filter((x) => x.atMs < OFFLINE_FROM).at(-1)!;
    expect(last.setpointKw).not.toBeNull();
    // Armed for the lab's reversion time, or less when the command itself expires sooner.
    expect(last.expiresMs - last.atMs).toBeLessThanOrEqual(labModbusTiming(SPEED).revertS * 1000);
    expect(last.expiresMs).toBeLessThan(OFFLINE_TO);
    for (const s of offlineModbus.trace.filter((x) => within(x.timeMs, last.expiresMs + 1000, OFFLINE_TO))) expect(s.setpointKw, new Date(s.timeMs).toISOString()).toBeNull();
  });

  it('a refused setpoint is Modbus exception 4 with its meaning; nothing is applied meanwhile', () => {
    const rejected = engineEvents(offlineModbus, 'setpoint-rejected').find((e) => e.assetId === 'bess' && within(e.timeMs, REJECT_FROM, REJECT_TO + 30_000));
    expect(rejected?.message).toMatch(/Modbus exception 4 \(server device failure\)/);
    expect(offlineModbus.session.rig.bessDeviceWrites.filter((x) => within(x.atMs, REJECT_FROM, REJECT_TO - 1))).toEqual([]);
    expect(engineEvents(offlineModbus, 'asset-restored').find((e) => e.assetId === 'bess' && e.timeMs >= REJECT_TO)?.message).toMatch(/accepts setpoints again/);
  });
});
