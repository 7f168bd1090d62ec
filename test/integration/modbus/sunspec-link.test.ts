/**
 * The Modbus/SunSpec link end to end on loopback: the EMS's connector against the lab rig's SunSpec server
 * (a fake battery behind it, on a virtual clock): discovery, telemetry, setpoints through 704 and 124 with
 * their reversion timers, refused writes, a dropped connection, a device that answers late, and a unit id
 * nobody answers for.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ModbusLinkError, SunspecBessConnector, type SunspecBessConnectorOptions } from '../../../src-main/connectors/modbus/sunspec-bess-client.js';
import type { SetpointAck, SetpointCommand } from '../../../src-main/engine/model.js';
import { startSunspecServer, type SunspecServer } from '../../../src-main/lab/modbus/sunspec-server.js';
import { EventLog, FakeBess, newClock, nextReport } from '../opcua/fake-bess.js';

describe('Modbus/SunSpec link: connector ↔ the rig SunSpec server on loopback', () => {
  const clock = newClock();
  const advance = (ms: number) => clock.runUntil(clock.nowMs() + ms);
  const device = new FakeBess(clock);
  let server: SunspecServer;
  let server124: SunspecServer;
  const connectors: SunspecBessConnector[] = [];

  const connector = (log: EventLog, opts: Partial<SunspecBessConnectorOptions> = {}) => {
    const c = new SunspecBessConnector({ host: server.host, port: server.port, unitId: 1, assetId: 'bess', clock, pollMs: 50, timeoutMs: 300, revertS: 30, heartbeatPeriodMs: 5000, onLinkEvent: log.onLinkEvent, reconnect: { initialDelayMs: 50, maxDelayMs: 200 }, ...opts });
    connectors.push(c);
    return c;
  };

  const write = (c: SunspecBessConnector, cmd: Partial<SetpointCommand> & { commandId: string }, guardMs = 5000): Promise<SetpointAck | null> =>
    new Promise((resolve) => {
      const timer = setTimeout(() => resolve(null), guardMs);
      c.write({ assetId: 'bess', issuedMs: clock.nowMs(), powerKw: 100, expiresMs: clock.nowMs() + 60_000, runId: null, ...cmd }, (ack) => {
        clearTimeout(timer);
        resolve(ack);
      });
    });

  beforeAll(async () => {
    server = await startSunspecServer({ device, ratedKw: 300 });
    server124 = await startSunspecServer({ device, ratedKw: 300, models: ['124'] });
  });

  afterEach(async () => {
    for (const c of connectors.splice(0)) await c.stop().catch(() => undefined);
    server.setFault({ silent: false, illegalAddress: false, slowMs: 0, nanValues: false, rejectWrites: false });
    device.refuse = null;
  });

  afterAll(async () => {
    await server?.stop();
    await server124?.stop();
  });

  it('discovers the model chain at 40000 and names the device', async () => {
    const c = connector(new EventLog());
    const info = await c.start();
    expect(info.baseAddress).toBe(40000);
    expect(info.models.map((m) => m.id)).toEqual([1, 802, 704]);
    expect(info.models[1]!.address).toBe(server.modelAddress.get(802));
    expect(info.manufacturer).toBe('LFC lab rig');
    expect(info.serialNumber).toBe('LAB-0001');
    expect(info.control).toBe('704');
  });

  it('reports power in the EMS frame (kW, charging positive) and SoC with its scale factor', async () => {
    device.idlePowerKw = -42.5; // discharging 42.5 kW
    device.socPct = 61.3;
    const c = connector(new EventLog());
    await c.start();
    const r = await nextReport(c);
    expect(r.assetId).toBe('bess');
    expect(r.powerKw).toBeCloseTo(-42.5, 6);
    expect(r.socPct).toBeCloseTo(61.3, 6);
    device.idlePowerKw = 0;
  });

  it('writes a 704 setpoint with its reversion timer, acknowledges it after the read-back, and the device reverts when nobody re-arms it', async () => {
    const c = connector(new EventLog(), { heartbeatPeriodMs: 0 });
    await c.start();
    const ack = await write(c, { commandId: 'c1', powerKw: 120 });
    expect(ack).toMatchObject({ commandId: 'c1', ok: true });
    expect(ack!.readBack!.powerKw).toBeCloseTo(120, 6);
    expect(device.inForce()).toBe(120);
    const last = device.writes.at(-1)!;
    expect(last.expiresMs - last.atMs).toBe(30_000); // WSetRvrtTms = revertS
    advance(29_000);
    expect(device.inForce()).toBe(120);
    advance(1_000);
    expect(device.inForce()).toBeNull(); // the device's own fallback, no EMS involved
    const r = await nextReport(c);
    expect(r.powerKw).toBe(0);
  });

  it('never arms the timer beyond the command’s own expiry, and the heartbeat re-arms it for the setpoint in force', async () => {
    const c = connector(new EventLog(), { heartbeatPeriodMs: 5000 });
    await c.start();
    const ack = await write(c, { commandId: 'c2', powerKw: -80, expiresMs: clock.nowMs() + 12_000 });
    expect(ack?.ok).toBe(true);
    expect(device.writes.at(-1)!.expiresMs - device.writes.at(-1)!.atMs).toBe(12_000);
    const ack2 = await write(c, { commandId: 'c3', powerKw: -80, expiresMs: clock.nowMs() + 120_000 });
    expect(ack2?.ok).toBe(true);
    const n = device.writes.length;
    advance(5_000); // heartbeat
    await expect.poll(() => device.writes.length, { timeout: 3000 }).toBeGreaterThan(n);
    const beat = device.writes.at(-1)!;
    expect(beat.heartbeat).toBe(true);
    expect(beat.expiresMs - beat.atMs).toBe(30_000);
    expect(beat.setpointKw).toBe(-80);
  });

  it('releases with WSetEna = 0', async () => {
    const c = connector(new EventLog());
    await c.start();
    await write(c, { commandId: 'c4', powerKw: 50 });
    const ack = await write(c, { commandId: 'c5', powerKw: null });
    expect(ack?.ok).toBe(true);
    expect(device.inForce()).toBeNull();
  });

  it('a value the device refuses is a negative acknowledgement with the Modbus exception, never silence', async () => {
    const c = connector(new EventLog());
    await c.start();
    device.refuse = 'above the rated power';
    const ack = await write(c, { commandId: 'c6', powerKw: 999 });
    expect(ack).toMatchObject({ ok: false });
    expect(ack!.error).toMatch(/Modbus exception 3 \(illegal data value\)/);
    device.refuse = null;
    server.setFault({ rejectWrites: true });
    const ack2 = await write(c, { commandId: 'c7', powerKw: 10 });
    expect(ack2!.error).toMatch(/Modbus exception 4 \(server device failure\)/);
  });

  it('a device that answers exception 2 (its map changed): writes are refused with it, polls say it, and the link stays up', async () => {
    const log = new EventLog();
    const c = connector(log);
    await c.start();
    server.setFault({ illegalAddress: true });
    const ack = await write(c, { commandId: 'x2', powerKw: 10 });
    expect(ack).toMatchObject({ ok: false });
    expect(ack!.error).toMatch(/Modbus exception 2 \(illegal data address\)/);
    const polled = await log.waitFor('error');
    expect(polled.message).toMatch(/telemetry poll .*Modbus exception 2/);
    expect(log.types()).not.toContain('disconnected');
    server.setFault({ illegalAddress: false });
    expect((await write(c, { commandId: 'x3', powerKw: 10 }))?.ok).toBe(true);
  });

  it('drives model 124 when the device has no 704: rates in % of WChaMax, forced charge by a negative discharge limit', async () => {
    const c = new SunspecBessConnector({ host: server124.host, port: server124.port, unitId: 1, assetId: 'bess', clock, pollMs: 50, timeoutMs: 300, revertS: 20, heartbeatPeriodMs: 0 });
    connectors.push(c);
    const info = await c.start();
    expect(info.control).toBe('124');
    const ack = await write(c, { commandId: 'd1', powerKw: 150 });
    expect(ack?.ok).toBe(true);
    expect(device.inForce()).toBeCloseTo(150, 6);
    expect(device.writes.at(-1)!.expiresMs - device.writes.at(-1)!.atMs).toBe(20_000);
    const ack2 = await write(c, { commandId: 'd2', powerKw: -90 });
    expect(ack2?.ok).toBe(true);
    expect(device.inForce()).toBeCloseTo(-90, 6);
    await write(c, { commandId: 'd3', powerKw: null });
    expect(device.inForce()).toBeNull();
  });

  it('"not implemented" power is missing, not 0: no report, a bad-value event, and reports again when values return', async () => {
    const log = new EventLog();
    const c = connector(log);
    await c.start();
    await nextReport(c);
    server.setFault({ nanValues: true });
    await log.waitFor('bad-value');
    let reported = 0;
    const off = c.subscribe(() => reported++);
    await new Promise((r) => setTimeout(r, 200));
    expect(reported).toBe(0);
    server.setFault({ nanValues: false });
    await log.waitFor('value-restored');
    off();
  });

  it('a dropped TCP connection is an event, writes meanwhile get no acknowledgement, and the link comes back by itself', async () => {
    const log = new EventLog();
    const c = connector(log);
    await c.start();
    server.dropConnections();
    await log.waitFor('disconnected');
    const during = await write(c, { commandId: 'e1', powerKw: 30 }, 300);
    expect(during).toBeNull();
    expect(log.types()).toContain('write-not-sent');
    await log.waitFor('restored');
    const after = await write(c, { commandId: 'e2', powerKw: 30 });
    expect(after?.ok).toBe(true);
  });

  it('a device that answers too late: no acknowledgement, a write-timeout event, and after repeated timeouts the link is re-opened', async () => {
    const log = new EventLog();
    const c = connector(log, { maxTimeouts: 2 });
    await c.start();
    server.setFault({ slowMs: 600 });
    const ack = await write(c, { commandId: 'f1', powerKw: 20 }, 2000);
    expect(ack).toBeNull();
    await log.waitFor('write-timeout');
    await log.waitFor('disconnected');
    server.setFault({ slowMs: 0 });
    await log.waitFor('restored');
  });

  it('a unit id nobody answers for fails the start with a message that names it', async () => {
    const c = connector(new EventLog(), { unitId: 7 });
    const err = await c.start().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModbusLinkError);
    expect((err as ModbusLinkError).code).toBe('unreachable');
    expect((err as Error).message).toMatch(/unit id 7/);
  });

  it('nothing listening: unreachable, said at once', async () => {
    const c = new SunspecBessConnector({ host: '127.0.0.1', port: 1, unitId: 1, assetId: 'bess', clock });
    const err = await c.start().catch((e: unknown) => e);
    expect((err as ModbusLinkError).code).toBe('unreachable');
  });
});
