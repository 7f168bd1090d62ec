import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { SetpointAck, SetpointCommand } from '../../../src-main/engine/model.js';
import { OpcuaBessConnector, OpcuaLinkError, UntrustedServerCertificateError } from '../../../src-main/connectors/opcua/bess-client.js';
import type { OpcuaSecurityPolicy } from '../../../src-main/connectors/opcua/bess-client.js';
import { loadBessMapping } from '../../../src-main/connectors/opcua/mapping.js';
import type { BessOpcuaServer } from '../../../src-main/lab/opcua/bess-server.js';
import { startBessOpcuaServer } from '../../../src-main/lab/opcua/bess-server.js';
import { EventLog, FakeBess, newClock, nextReport, tempDir } from './fake-bess.js';

const mapping = loadBessMapping(join(import.meta.dirname, '../../../resources/opcua/sunspec-bess.json'));
const USER = { username: 'ems', password: 'correct horse battery staple' };

describe('OPC UA link: connector ↔ the rig BESS server on loopback', () => {
  const clock = newClock();
  const device = new FakeBess(clock);
  const serverPki = tempDir('rig-pki');
  const clientPki = tempDir('ems-pki');
  let server: BessOpcuaServer;
  const connectors: OpcuaBessConnector[] = [];

  const connector = (log: EventLog, opts: { policy?: OpcuaSecurityPolicy; password?: string } = {}) => {
    const c = new OpcuaBessConnector({
      endpointUrl: server.endpointUrl,
      assetId: 'bess',
      mapping,
      pkiDir: clientPki.path,
      securityMode: 'SignAndEncrypt',
      securityPolicy: opts.policy ?? 'Basic256Sha256',
      user: { username: USER.username, password: opts.password ?? USER.password },
      clock,
      samplingIntervalMs: 50,
      publishingIntervalMs: 50,
      heartbeatPeriodMs: 2000,
      revertS: 10,
      onLinkEvent: log.onLinkEvent,
    });
    connectors.push(c);
    return c;
  };

  const write = (c: OpcuaBessConnector, cmd: Partial<SetpointCommand> & { commandId: string }): Promise<SetpointAck> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no acknowledgement for ${cmd.commandId}`)), 15_000);
      c.write({ assetId: 'bess', issuedMs: clock.nowMs(), powerKw: 100, expiresMs: clock.nowMs() + 60_000, runId: null, ...cmd }, (ack) => {
        clearTimeout(timer);
        resolve(ack);
      });
    });

  beforeAll(async () => {
    server = await startBessOpcuaServer({ device, pkiDir: serverPki.path, users: [USER], allowAnonymous: false, telemetryPeriodMs: 100 });
  });

  afterAll(async () => {
    for (const c of connectors) await c.stop().catch(() => undefined);
    await server?.stop();
    serverPki.remove();
    clientPki.remove();
  });

  it('refuses an untrusted server certificate (with its thumbprint) until it is accepted', async () => {
    const log = new EventLog();
    const c = connector(log);
    const err = await c.start().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UntrustedServerCertificateError);
    expect((err as UntrustedServerCertificateError).thumbprint).toBe(server.certificateThumbprint);
    expect(log.types()).toContain('certificate-untrusted');
    await expect(c.acceptServerCertificate('00'.repeat(20))).rejects.toThrow(/no refused server certificate/);
    expect(readdirSync(join(clientPki.path, 'rejected')).length).toBe(1);
    await c.acceptServerCertificate(server.certificateThumbprint);
    expect(readdirSync(join(clientPki.path, 'rejected'))).toEqual([]);
    expect(readdirSync(join(clientPki.path, 'trusted/certs')).length).toBe(1);
    await c.start();
    expect(c.connected).toBe(true);
    // The EMS's own application certificate lives in the app's PKI folder, not under $HOME/.config.
    expect(readdirSync(join(clientPki.path, 'own/certs')).some((f) => f.endsWith('.pem'))).toBe(true);
    await c.stop();
  });

  it('refuses a wrong password', async () => {
    const log = new EventLog();
    const err = await connector(log, { password: 'wrong' })
      .start()
      .then(
        () => null,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(OpcuaLinkError);
    expect((err as OpcuaLinkError).code).toBe('login-refused');
    expect(log.types()).toContain('login-refused');
  });

  describe.each<OpcuaSecurityPolicy>(['Basic256Sha256', 'Aes128_Sha256_RsaOaep'])('SignAndEncrypt with %s', (policy) => {
    it('delivers telemetry and acknowledges a write with its read-back', async () => {
      // Let any earlier setpoint expire, so the battery runs at its idle power.
      clock.runUntil(clock.nowMs() + 60_000);
      device.idlePowerKw = -12.5;
      device.socPct = 61;
      const log = new EventLog();
      const c = connector(log, { policy });
      await c.start();
      // Telemetry: the rig publishes W in the generator frame; the mapping's scale -0.001 gives kW, load frame.
      const report = await nextReport(c, (r) => r.sampleMs === clock.nowMs());
      expect(report).toMatchObject({ assetId: 'bess', powerKw: -12.5, socPct: 61 });
      expect(report.sampleMs).toBe(clock.nowMs());
      expect(report.arrivalMs).toBe(clock.nowMs());

      const commandId = `w-${policy}`;
      const ack = await write(c, { commandId, powerKw: 150 });
      expect(ack).toMatchObject({ commandId, assetId: 'bess', ok: true });
      // The read-back carries the last published measurement, from before or after the new setpoint (the
      // setpoint itself was read back and checked by the connector).
      expect(ack.readBack).toMatchObject({ socPct: 61, sampleMs: clock.nowMs() });
      expect([-12.5, 150]).toContain(ack.readBack!.powerKw);
      const commit = device.writes.find((w) => w.commandId === commandId)!;
      // The revert timeout written is min(revertS, time left) = 10 s, counted from the write's arrival.
      expect(commit).toMatchObject({ setpointKw: 150, expiresMs: clock.nowMs() + 10_000, heartbeat: false });
      // The new setpoint shows in the telemetry too.
      await nextReport(c, (r) => r.powerKw === 150);
      await c.stop();
    });
  });

  it('answers a refused write with ok:false and the OPC UA status, once', async () => {
    const log = new EventLog();
    const c = connector(log);
    await c.start();
    server.setFault({ rejectWrites: true });
    const acks: SetpointAck[] = [];
    const ack = await write(c, { commandId: 'refused-1', powerKw: 80 });
    acks.push(ack);
    expect(ack.ok).toBe(false);
    expect(ack.error).toMatch(/BadOutOfService \(0x808d0000\).*local mode/);
    server.setFault({ rejectWrites: false });

    device.refuse = 'setpoint above the inverter rating';
    const ack2 = await write(c, { commandId: 'refused-2', powerKw: 900 });
    expect(ack2.ok).toBe(false);
    expect(ack2.error).toMatch(/BadRequestNotAllowed.*above the inverter rating/);
    device.refuse = null;
    expect(device.writes.filter((w) => w.commandId?.startsWith('refused'))).toEqual([]);
    await c.stop();
  });

  it('passes NaN from the server on as NaN, and says when values go bad', async () => {
    const log = new EventLog();
    const c = connector(log);
    await c.start();
    await nextReport(c);
    server.setFault({ nanValues: true });
    const nan = await nextReport(c, (r) => Number.isNaN(r.powerKw));
    expect(nan.socPct).toBeNaN();
    server.setFault({ nanValues: false, offline: true });
    await log.waitFor('bad-value');
    server.setFault({ offline: false });
    await log.waitFor('value-restored');
    await nextReport(c, (r) => Number.isFinite(r.powerKw));
    await c.stop();
  });

  it('re-arms the expiry by heartbeat while running, writes nothing once stopped, and the battery reverts', async () => {
    const log = new EventLog();
    const c = connector(log);
    await c.start();
    const ack = await write(c, { commandId: 'hb-1', powerKw: -200, expiresMs: clock.nowMs() + 60_000 });
    expect(ack.ok).toBe(true);
    const firstExpiry = device.writes.at(-1)!.expiresMs;
    // Leap 2 s: one heartbeat, which moves the expiry by 2 s without a second commit.
    clock.runUntil(clock.nowMs() + 2000);
    await c.drain();
    const hb = device.writes.at(-1)!;
    expect(hb).toMatchObject({ commandId: 'hb-1', heartbeat: true, setpointKw: -200, expiresMs: firstExpiry + 2000 });
    expect(device.commitsPerCommand().get('hb-1')).toBe(1);
    // The EMS stops: nothing more is written; once the revert timeout passes, the battery is back to default.
    await c.stop();
    const writesAtStop = device.writes.length;
    clock.runUntil(clock.nowMs() + 9_999);
    expect(device.inForce()).toBe(-200);
    clock.runUntil(clock.nowMs() + 1);
    expect(device.inForce()).toBeNull();
    expect(device.writes.length).toBe(writesAtStop);
    expect(log.types()).toContain('stopped');
  });

  it('gives no acknowledgement (the engine sees ack-timeout) when the answer does not come in time', async () => {
    const log = new EventLog();
    const c = connector(log);
    await c.start();
    server.setFault({ slowWritesMs: 1500 });
    let acks = 0;
    c.write({ commandId: 'slow-1', assetId: 'bess', issuedMs: clock.nowMs(), powerKw: 10, expiresMs: clock.nowMs() + 60_000, runId: null }, () => acks++);
    // The connector's write timeout (4 s by default) passes in virtual time before the slow answer arrives.
    clock.runUntil(clock.nowMs() + 4000);
    const timeout = await log.waitFor('write-timeout');
    expect(timeout.data).toMatchObject({ commandId: 'slow-1' });
    await c.drain();
    // Let the slow answer arrive: it is dropped, never a second (or late) acknowledgement.
    const ack = await write(c, { commandId: 'after-slow', powerKw: 20 });
    expect(ack.ok).toBe(true);
    expect(acks).toBe(0);
    server.setFault({ slowWritesMs: 0 });
    await c.stop();
  });

  it('refuses a command for another asset or with a non-finite setpoint without sending it', async () => {
    const log = new EventLog();
    const c = connector(log);
    await c.start();
    const before = device.writes.length;
    const other = await new Promise<SetpointAck>((r) => c.write({ commandId: 'x1', assetId: 'hh-1', issuedMs: 0, powerKw: 1, expiresMs: clock.nowMs() + 1000, runId: null }, r));
    expect(other).toMatchObject({ ok: false, error: expect.stringMatching(/serves bess, not hh-1/) });
    const nan = await write(c, { commandId: 'x2', powerKw: NaN });
    expect(nan).toMatchObject({ ok: false, error: expect.stringMatching(/finite/) });
    expect(device.writes.length).toBe(before);
    await c.stop();
  });
});
