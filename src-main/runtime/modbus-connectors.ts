/**
 * The `modbus` factory of `buildFieldConnectors`: turns a Modbus/SunSpec asset binding into a started
 * `SunspecBessConnector` and fits it into the runtime (`link-connector.ts`: link events into the runtime's
 * event stream, traced writes). Timings: the poll period and answer timeout in real ms, the reversion time in
 * device seconds; the lab scales them with its speed (`labModbusTiming`), in the field the binding's hold.
 */
import type { ConnectorConfig } from '../connectors/config/connector-config.js';
import { SunspecBessConnector, type LinkEvent, type SunspecBessConnectorOptions } from '../connectors/modbus/sunspec-bess-client.js';
import type { ConnectorContext } from '../connectors/rest/connector-context.js';
import type { AssetConnector } from './field-connectors.js';
import { wireDeviceLink } from './link-connector.js';

export type ModbusBinding = Extract<ConnectorConfig['assets'][number], { via: 'modbus' }>;

export type ModbusTiming = Pick<SunspecBessConnectorOptions, 'pollMs' | 'timeoutMs' | 'revertS' | 'heartbeatPeriodMs' | 'reconnect'>;

export interface ModbusFactoryOptions {
  ctx: ConnectorContext;
  /** Overrides the binding's timings (the lab at speed). */
  timing?: ModbusTiming;
  onLinkEvent?: (binding: ModbusBinding, event: LinkEvent) => void;
  wallNowMs?: () => number;
}

export function modbusConnectorFactory(o: ModbusFactoryOptions): (binding: ModbusBinding, memberIds: string[]) => Promise<AssetConnector> {
  return async (binding, memberIds) => {
    if (memberIds.length !== 1) throw new Error(`asset "${binding.asset}": a Modbus link serves one device, but the asset has ${memberIds.length} members`);
    const assetId = memberIds[0]!;
    const name = `${binding.asset} (Modbus/SunSpec)`;
    const link = wireDeviceLink({ ctx: o.ctx, name, assetId, ...(o.wallNowMs ? { wallNowMs: o.wallNowMs } : {}), onLinkEvent: (e) => o.onLinkEvent?.(binding, e) });
    const connector = new SunspecBessConnector({
      host: binding.host,
      port: binding.port,
      unitId: binding.unitId,
      assetId,
      clock: o.ctx.clock,
      pollMs: binding.pollMs,
      timeoutMs: binding.timeoutMs,
      revertS: binding.revertS,
      control: binding.control,
      batteryPowerSign: binding.batteryPowerSign,
      ...(o.timing ?? {}),
      onLinkEvent: link.onLinkEvent,
    });
    await connector.start();
    return link.wrap(connector);
  };
}
