import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { SetpointAck, SetpointCommand } from '../../../src-main/engine/model.js';
import { OpcuaBessConnector, UntrustedServerCertificateError } from '../../../src-main/connectors/opcua/bess-client.js';
import { loadBessMapping } from '../../../src-main/connectors/opcua/mapping.js';
import { startBessOpcuaServer } from '../../../src-main/lab/opcua/bess-server.js';
import { EventLog, FakeBess, newClock, nextReport, tempDir } from './fake-bess.js';

const mapping = loadBessMapping(join(import.meta.dirname, '../../../resources/opcua/sunspec-bess.json'));

describe('OPC UA link: the rig server is killed and restarted mid-run', () => {
  const serverPki = tempDir('rig-pki');
  const clientPki = tempDir('ems-pki');
  afterAll(() => {
    serverPki.remove();
    clientPki.remove();
  });

  it('resumes the link and the subscription, applies no setpoint twice and leaves none in force past its expiry', async () => {
    const clock = newClock();
    const device = new FakeBess(clock);
    const server = await startBessOpcuaServer({ device, pkiDir: serverPki.path, telemetryPeriodMs: 100 });
    const log = new EventLog();
    const connector = new OpcuaBessConnector({
      endpointUrl: server.endpointUrl,
      assetId: 'bess',
      mapping,
      pkiDir: clientPki.path,
      securityMode: 'SignAndEncrypt',
      securityPolicy: 'Basic256Sha256',
      clock,
      samplingIntervalMs: 50,
      publishingIntervalMs: 50,
      revertS: 10,
      reconnect: { initialDelayMs: 200, maxDelayMs: 1000 },
      onLinkEvent: log.onLinkEvent,
    });
    const acks: SetpointAck[] = [];
    const write = (commandId: string, powerKw: number): Promise<SetpointAck> =>
      new Promise((resolve) => {
        const cmd: SetpointCommand = { commandId, assetId: 'bess', issuedMs: clock.nowMs(), powerKw, expiresMs: clock.nowMs() + 60_000, runId: 'r1' };
        connector.write(cmd, (ack) => {
          acks.push(ack);
          resolve(ack);
        });
      });
    try {
      await connector.start().catch(async (err: unknown) => {
        if (!(err instanceof UntrustedServerCertificateError)) throw err;
        await connector.acceptServerCertificate(err.thumbprint);
        await connector.start();
      });
      expect((await write('c1', 120)).ok).toBe(true);
      await nextReport(connector, (r) => r.powerKw === 120);

      // Kill the server. A command issued while it is down is not sent and not acknowledged.
      await server.stop();
      await log.waitFor('disconnected');
      let c2Acked = false;
      connector.write({ commandId: 'c2', assetId: 'bess', issuedMs: clock.nowMs(), powerKw: 130, expiresMs: clock.nowMs() + 60_000, runId: 'r1' }, () => (c2Acked = true));
      const notSent = await log.waitFor('write-not-sent');
      expect(notSent.data).toMatchObject({ commandId: 'c2' });

      // Restart it on the same port with the same certificate: the session and its subscription come back.
      const restoredAfter = log.events.length;
      await server.restart();
      await log.waitFor('restored', restoredAfter);
      clock.runUntil(clock.nowMs() + 1000);
      const fresh = await nextReport(connector, (r) => r.sampleMs === clock.nowMs());
      expect(fresh.powerKw).toBe(120);

      const c3 = await write('c3', -75);
      expect(c3.ok).toBe(true);
      await nextReport(connector, (r) => r.powerKw === -75);

      // Exactly one commit per acknowledged command, none for the command that was never sent.
      expect(Object.fromEntries(device.commitsPerCommand())).toEqual({ c1: 1, c3: 1 });
      expect(c2Acked).toBe(false);
      expect(acks.map((a) => a.commandId)).toEqual(['c1', 'c3']);
      // 'reconnecting' appears only when the first reconnect attempt fails, which depends on how fast the
      // server comes back: the lost link and its restoration are what must be on the record.
      expect(log.types()).toEqual(expect.arrayContaining(['disconnected', 'restored']));

      // The EMS stops: once the revert timeout passes, no setpoint is left in force.
      await connector.stop();
      const last = device.writes.at(-1)!;
      clock.runUntil(last.expiresMs - 1);
      expect(device.inForce()).toBe(-75);
      clock.runUntil(last.expiresMs);
      expect(device.inForce()).toBeNull();
    } finally {
      await connector.stop();
      await server.stop();
    }
  });
});
