/**
 * The connector registry: a binding's `via` picks the factory; a protocol plugs in by registering one
 * factory and `buildFieldConnectors` routes its setpoints, merges its telemetry and closes it like any other.
 */
import { describe, expect, it } from 'vitest';

import { parseConnectorConfig } from '../../../src-main/connectors/config/connector-config';
import type { ConnectorContext } from '../../../src-main/connectors/rest/connector-context';
import type { AssetReport, SetpointAck, SetpointCommand } from '../../../src-main/engine/model';
import type { BreakerMeter, WeatherSource } from '../../../src-main/engine/ports';
import { defaultConnectorRegistry, deviceLinkFactory } from '../../../src-main/runtime/connector-registry';
import type { SimulatedField } from '../../../src-main/runtime/connector-registry';
import { buildFieldConnectors } from '../../../src-main/runtime/field-connectors';

const ctx = { clock: { nowMs: () => 42 }, speed: 1, onEvent: () => undefined, sessionId: 's' } as unknown as ConnectorContext;

const simulator: SimulatedField = {
  breaker: { subscribe: () => () => undefined } as unknown as BreakerMeter,
  telemetry: { subscribe: () => () => undefined },
  setpoints: { write: (cmd, onAck) => onAck({ commandId: cmd.commandId, assetId: cmd.assetId, ackMs: 1, ok: true }) },
  weather: {} as WeatherSource,
};

const config = (assets: unknown[]) =>
  parseConnectorConfig(
    JSON.stringify({
      format: 'lfc-connectors/1',
      installation: 'test',
      breaker: { via: 'simulator' },
      assets,
      weather: { via: 'simulator' },
      triggerIntake: { tokens: [{ name: 'dso', secret: 'DSO_TOKEN' }] },
    }),
  );

const cmd = (assetId: string): SetpointCommand => ({ commandId: `c-${assetId}`, assetId, issuedMs: 0, powerKw: 5, expiresMs: 1000, runId: 'r' });

describe('connector registry', () => {
  it('holds the simulator, REST and the DSO platform by default, and no protocol library', () => {
    expect(defaultConnectorRegistry().kinds()).toEqual({ breaker: ['simulator', 'dsoPlatform'], assets: ['simulator', 'rest', 'dsoPlatform'], weather: ['simulator', 'openMeteo'] });
  });

  it('says which protocol a build lacks', async () => {
    const c = config([{ asset: 'bess', via: 'modbus', host: '10.0.0.1' }]);
    await expect(buildFieldConnectors({ config: c, secrets: () => undefined, ctx, membersOf: (a) => [a], breakerPeriodS: 10, simulator })).rejects.toThrow('asset "bess" is bound to Modbus, but this build has no Modbus connector');
    const noSim = config([{ asset: 'bess', via: 'simulator' }]);
    await expect(buildFieldConnectors({ config: noSim, secrets: () => undefined, ctx, membersOf: (a) => [a], breakerPeriodS: 10 })).rejects.toThrow('the breaker is bound to the simulator, but no simulator was given');
  });

  it('plugs a protocol in by one registered factory: its setpoints routed, its reports merged, it closed at the end', async () => {
    const written: string[] = [];
    const listeners: Array<(r: AssetReport) => void> = [];
    let closed = 0;
    const registry = defaultConnectorRegistry().registerAsset(
      'modbus',
      deviceLinkFactory(
        (b, members) => ({
          subscribe: (l) => (listeners.push(l), () => undefined),
          write: (c: SetpointCommand, onAck: (a: SetpointAck) => void) => {
            written.push(`${b.host}:${members.join('+')}:${c.powerKw}`);
            onAck({ commandId: c.commandId, assetId: c.assetId, ackMs: 2, ok: true });
          },
          close: () => void closed++,
        }),
        (b) => `${b.host} (test link)`,
      ),
    );
    const c = config([
      { asset: 'bess', via: 'modbus', host: '10.0.0.9' },
      { asset: 'hs', via: 'simulator' },
    ]);
    const built = await buildFieldConnectors({ config: c, secrets: () => undefined, ctx, membersOf: (a) => (a === 'hs' ? ['hs-01', 'hs-02'] : [a]), breakerPeriodS: 10, simulator, registry });
    expect(Object.fromEntries(built.routes)).toEqual({ bess: '10.0.0.9 (test link)', 'hs-01': 'simulator', 'hs-02': 'simulator' });
    const acks: SetpointAck[] = [];
    built.connectors.setpoints.write(cmd('bess'), (a) => acks.push(a));
    built.connectors.setpoints.write(cmd('hs-02'), (a) => acks.push(a));
    built.connectors.setpoints.write(cmd('ghost'), (a) => acks.push(a));
    expect(written).toEqual(['10.0.0.9:bess:5']);
    expect(acks.map((a) => [a.assetId, a.ok])).toEqual([
      ['bess', true],
      ['hs-02', true],
      ['ghost', false],
    ]);
    const heard: string[] = [];
    built.connectors.telemetry.subscribe((r) => heard.push(r.assetId));
    listeners[0]!({ assetId: 'bess' } as AssetReport);
    expect(heard).toEqual(['bess']);
    await built.close();
    expect(closed).toBe(1);
    // The registry passed in is not changed by the build's own additions.
    expect(registry.kinds().assets).toEqual(['simulator', 'rest', 'dsoPlatform', 'modbus']);
  });
});
