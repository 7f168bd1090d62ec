/**
 * The Modbus/SunSpec link against an independent peer: Debian's python3-pymodbus serving a third-party
 * device's register map from a fixture (written from the SunSpec model definitions, not from the EMS's
 * tables), read and written by the EMS's connector; and the lab rig's SunSpec server read and written by a
 * pymodbus client. Both directions agree on every offset, scale factor and sign, or this test fails.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModbusLinkError, SunspecBessConnector } from '../../../src-main/connectors/modbus/sunspec-bess-client.js';
import type { SetpointAck, SetpointCommand } from '../../../src-main/engine/model.js';
import { startSunspecServer, type SunspecServer } from '../../../src-main/lab/modbus/sunspec-server.js';
import { FakeBess, newClock, nextReport } from '../opcua/fake-bess.js';

const PYTHON = '/usr/bin/python3'; // Debian's, with python3-pymodbus (installed by .ci/run)
const PEER = join(import.meta.dirname, '../../fixtures/modbus/sunspec_peer.py');
const FIXTURE = join(import.meta.dirname, '../../fixtures/modbus/acme-hybrid.sunspec.json');
const run = promisify(execFile);

async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function startPeer(extra: string[] = []): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(PYTHON, [PEER, 'serve', FIXTURE, String(port), ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`pymodbus peer did not start within 10 s: ${stderr}`)), 10_000);
    child.stdout!.on('data', (d: Buffer) => {
      if (d.toString().includes('LISTENING')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`pymodbus peer exited with ${code}: ${stderr}`)));
  });
  return { port, child };
}

const peerJson = async (...args: string[]): Promise<Record<string, unknown>> => JSON.parse((await run(PYTHON, [PEER, ...args], { timeout: 10_000 })).stdout) as Record<string, unknown>;

describe('Modbus/SunSpec against pymodbus', () => {
  const clock = newClock();
  const peers: ChildProcess[] = [];
  const connectors: SunspecBessConnector[] = [];
  let peerPort = 0;

  const write = (c: SunspecBessConnector, cmd: Partial<SetpointCommand> & { commandId: string }): Promise<SetpointAck | null> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => resolve(null), 5000);
      c.write({ assetId: 'bess', issuedMs: clock.nowMs(), powerKw: 0, expiresMs: clock.nowMs() + 600_000, runId: null, ...cmd }, (ack) => {
        clearTimeout(timer);
        resolve(ack);
      });
    });

  beforeAll(async () => {
    const p = await startPeer();
    peers.push(p.child);
    peerPort = p.port;
  });

  afterAll(async () => {
    for (const c of connectors) await c.stop().catch(() => undefined);
    for (const p of peers) p.kill('SIGKILL');
  });

  it('our connector discovers the pymodbus device’s chain, including models it does not decode, and names the device', async () => {
    const c = new SunspecBessConnector({ host: '127.0.0.1', port: peerPort, unitId: 3, assetId: 'bess', clock, pollMs: 100, timeoutMs: 1000, revertS: 30, heartbeatPeriodMs: 0 });
    connectors.push(c);
    const t0 = performance.now();
    const info = await c.start();
    const discoveryMs = performance.now() - t0;
    expect(info.models.map((m) => [m.id, m.address, m.length])).toEqual([
      [1, 40002, 66],
      [103, 40070, 50],
      [713, 40122, 7],
      [802, 40131, 62],
      [704, 40195, 69],
    ]);
    expect(info).toMatchObject({ manufacturer: 'ACME Energy', model: 'HybridStor 300', serialNumber: 'AC-778899', version: '2.4.1', control: '704' });
    expect(discoveryMs).toBeLessThan(5000); // a failure guard; the < 1 s target is measured in the bench
    // 802: W = −1250 × 10¹ W, generator frame → charging 12.5 kW; SoC = 4712 × 10⁻² %.
    const r = await nextReport(c);
    expect(r.powerKw).toBeCloseTo(12.5, 9);
    expect(r.socPct).toBeCloseTo(47.12, 9);
  });

  it('our 704 setpoint lands in pymodbus’s registers as SunSpec says: WSet in W generator frame with WSet_SF, the reversion timer armed', async () => {
    const c = connectors[0]!;
    const ack = await write(c, { commandId: 'p1', powerKw: -50 }); // discharge 50 kW
    expect(ack).toMatchObject({ ok: true });
    const seen = (await peerJson('read', '127.0.0.1', String(peerPort), '3'))['704'] as Record<string, number>;
    expect(seen).toEqual({ WSetEna: 1, WSetMod: 2, WSet: 5000, WSet_SF: 1, WSetRvrtEna: 1, WSetRvrtTms: 30 });
    const release = await write(c, { commandId: 'p2', powerKw: null });
    expect(release?.ok).toBe(true);
    expect(((await peerJson('read', '127.0.0.1', String(peerPort), '3'))['704'] as Record<string, number>).WSetEna).toBe(0);
  });

  it('a device that refuses writes: a negative acknowledgement carrying its Modbus exception', async () => {
    const p = await startPeer(['--refuse-writes']);
    peers.push(p.child);
    const c = new SunspecBessConnector({ host: '127.0.0.1', port: p.port, unitId: 3, assetId: 'bess', clock, pollMs: 100, timeoutMs: 1000, heartbeatPeriodMs: 0 });
    connectors.push(c);
    await c.start();
    const ack = await write(c, { commandId: 'p3', powerKw: 10 });
    expect(ack?.ok).toBe(false);
    expect(ack!.error).toMatch(/Modbus exception \d+ \(/);
  });

  it('a unit id the device does not serve fails the start with a message that says so', async () => {
    const c = new SunspecBessConnector({ host: '127.0.0.1', port: peerPort, unitId: 9, assetId: 'bess', clock, timeoutMs: 500 });
    const err = await c.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModbusLinkError);
    expect((err as Error).message).toMatch(/unit id 9|no SunSpec device/);
  });

  describe('the lab rig’s SunSpec server, read and written by pymodbus', () => {
    const device = new FakeBess(clock);
    let server: SunspecServer;
    beforeAll(async () => {
      device.idlePowerKw = -42.5;
      device.socPct = 61.3;
      server = await startSunspecServer({ device, ratedKw: 300 });
    });
    afterAll(async () => server?.stop());

    it('pymodbus walks our chain and reads 802 with its scale factors', async () => {
      const seen = await peerJson('read', '127.0.0.1', String(server.port), '1');
      expect(seen['base']).toBe(40000);
      expect((seen['models'] as Array<{ id: number; address: number }>).map((m) => [m.id, m.address])).toEqual([...server.modelAddress.entries()]);
      // Discharging 42.5 kW = +42 500 W generator frame = 4250 × 10¹; SoC 61.3 % = 613 × 10⁻¹.
      expect(seen['802']).toEqual({ SoC: 613, SoC_SF: -1, W: 4250, W_SF: 1 });
    });

    it('a pymodbus client’s 704 setpoint drives the simulated battery, with the reversion time it wrote', async () => {
      const r = await peerJson('write-wset', '127.0.0.1', String(server.port), '1', '60000', '45');
      expect(r).toEqual({ ok: true });
      expect(device.inForce()).toBe(-60); // 60 kW injected = discharging, EMS frame −60 kW
      const last = device.writes.at(-1)!;
      expect(last.expiresMs - last.atMs).toBe(45_000);
    });
  });
});
