/**
 * The runtime's OPC UA factory (`buildFieldConnectors`' `opcua`) against the rig's BESS server on loopback:
 * the trust decision is asked for and honoured (no silent trust), link events reach the runtime's event
 * stream, and writes are traced. Waits on acknowledgements and events; the guards only catch a hang.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UntrustedServerCertificateError } from '../../../src-main/connectors/opcua/bess-client.js';
import { loadBessMapping } from '../../../src-main/connectors/opcua/mapping.js';
import type { ConnectorContext, ConnectorEvent, WriteTrace } from '../../../src-main/connectors/rest/connector-context.js';
import { VirtualClock } from '../../../src-main/engine/clock.js';
import type { SetpointAck } from '../../../src-main/engine/model.js';
import { startBessOpcuaServer, type BessDevice, type BessOpcuaServer } from '../../../src-main/lab/opcua/bess-server.js';
import { resourcesDir } from '../../../src-main/node/paths.js';
import type { AssetConnector } from '../../../src-main/runtime/field-connectors.js';
import { opcuaConnectorFactory, type OpcuaBinding } from '../../../src-main/runtime/opcua-connectors.js';

const T0 = Date.UTC(2026, 5, 22, 10, 0, 0);
const USER = { username: 'lab-ems', password: 'a password for this test only' };

describe('opcuaConnectorFactory against the rig BESS server', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lfc-lab-factory-'));
  const clock = new VirtualClock(T0);
  let setpointKw: number | null = null;
  const device: BessDevice = {
    nowMs: () => clock.nowMs(),
    read: () => ({ powerKw: setpointKw ?? 0, socPct: 50, setpointKw, status: 'ok' }),
    write: (kw) => {
      setpointKw = kw;
      return { ok: true };
    },
  };
  let server: BessOpcuaServer;
  let connector: AssetConnector | null = null;
  const events: ConnectorEvent[] = [];
  const traces: WriteTrace[] = [];
  const ctx: ConnectorContext = { clock, speed: 1, sessionId: 'test', onEvent: (e) => events.push(e), onWriteTrace: (t) => traces.push(t) };
  const binding = (): OpcuaBinding => ({ asset: 'bess', via: 'opcua', endpointUrl: server.endpointUrl, userSecret: 'U', passwordSecret: 'P' });
  const factory = (trustServer: (c: { thumbprint: string }) => boolean) =>
    opcuaConnectorFactory({
      ctx,
      secrets: (n) => ({ U: USER.username, P: USER.password })[n],
      mapping: loadBessMapping(resolve(resourcesDir(), 'opcua/sunspec-bess.json')),
      pkiDir: join(dir, 'ems'),
      trustServer,
      timing: { samplingIntervalMs: 50, publishingIntervalMs: 50 },
    });
  const write = (c: AssetConnector, commandId: string, powerKw: number): Promise<SetpointAck | 'no-ack'> =>
    new Promise((resolvePromise, reject) => {
      const guard = setTimeout(() => reject(new Error(`nothing for ${commandId}`)), 15_000);
      const before = events.length;
      const poll = setInterval(() => {
        if (events.slice(before).some((e) => e.type === 'connector-no-ack' && e.data?.commandId === commandId)) {
          clearInterval(poll);
          clearTimeout(guard);
          resolvePromise('no-ack');
        }
      }, 5);
      c.write({ commandId, assetId: 'bess', issuedMs: clock.nowMs(), powerKw, expiresMs: clock.nowMs() + 60_000, runId: null }, (ack) => {
        clearInterval(poll);
        clearTimeout(guard);
        resolvePromise(ack);
      });
    });

  beforeAll(async () => {
    server = await startBessOpcuaServer({ device, pkiDir: join(dir, 'rig'), securityModes: ['SignAndEncrypt'], securityPolicies: ['Basic256Sha256'], users: [USER], allowAnonymous: false, telemetryPeriodMs: 100 });
  }, 30_000);

  afterAll(async () => {
    await connector?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses an unknown server certificate when the decision is no, saying which thumbprint', async () => {
    const asked: string[] = [];
    const err = await factory((c) => (asked.push(c.thumbprint), false))(binding(), ['bess']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UntrustedServerCertificateError);
    expect(asked).toEqual([server.certificateThumbprint]);
    const refused = events.find((e) => e.data?.link === 'certificate-untrusted');
    expect(refused).toMatchObject({ type: 'connector-error', level: 'error', assetId: 'bess', data: { thumbprint: server.certificateThumbprint } });
  });

  it('accepts it on an explicit yes, then acknowledges and traces writes; an offline battery gives no acknowledgement', async () => {
    connector = await factory((c) => c.thumbprint === server.certificateThumbprint)(binding(), ['bess']);
    const ack = await write(connector, 'f-1', 120);
    expect(ack).toMatchObject({ ok: true, commandId: 'f-1' });
    expect(setpointKw).toBe(120);
    server.setFault({ offline: true });
    expect(await write(connector, 'f-2', 80)).toBe('no-ack');
    expect(setpointKw).toBe(120);
    const noAck = events.find((e) => e.data?.commandId === 'f-2')!;
    expect(noAck).toMatchObject({ type: 'connector-no-ack', connector: 'bess (OPC UA)', data: { link: 'device-unreachable' } });
    expect(noAck.message).toMatch(/BadNoCommunication.*backend has lost the battery/);
    server.setFault({ offline: false, rejectWrites: true });
    expect(await write(connector, 'f-3', 80)).toMatchObject({ ok: false, error: expect.stringMatching(/BadOutOfService/) });
    server.setFault({ rejectWrites: false });
    expect(traces.map((t) => [t.commandId, t.outcome])).toEqual([
      ['f-1', 'ack'],
      ['f-2', 'no-ack'],
      ['f-3', 'rejected'],
    ]);
    expect(traces.every((t) => t.connector === 'bess (OPC UA)' && t.wireWallMs >= 0)).toBe(true);
  });

  it('needs the user name and password secrets it names', async () => {
    const f = opcuaConnectorFactory({ ctx, secrets: () => undefined, mapping: loadBessMapping(resolve(resourcesDir(), 'opcua/sunspec-bess.json')), pkiDir: join(dir, 'ems') });
    await expect(f(binding(), ['bess'])).rejects.toThrow(/secret U \(OPC UA user name\) is not set/);
    await expect(f(binding(), ['hs-01', 'hs-02'])).rejects.toThrow(/one device, but the asset has 2 members/);
  });
});
