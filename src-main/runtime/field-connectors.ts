/**
 * Builds the EMS's `FieldConnectors` from a connector configuration: one connector per binding, made by the
 * factory its `via` picks from the connector registry (`connector-registry.ts`), a setpoint router that
 * sends each command to the connector serving its asset, telemetry merged from all of them. Assets bound to
 * `simulator` (and a `simulator` breaker or weather) are served by the in-process parts the caller passes (a
 * replay's simulated field); OPC UA and Modbus bindings by the factories the caller passes (their modules
 * load only where configured; `opcua-connectors.ts` builds the OPC UA one, with the trust decision, the
 * event mapping and the write traces), or by whatever else its registry holds.
 */
import type { AssetReport, SetpointAck, SetpointCommand } from '../engine/model.js';
import type { AssetTelemetry, FieldConnectors, SetpointSink, TriggerIntake } from '../engine/ports.js';
import type { ConnectorConfig, LoadedTls, SecretResolver } from '../connectors/config/connector-config.js';
import type { ConnectorContext } from '../connectors/rest/connector-context.js';
import { defaultConnectorRegistry, deviceLinkFactory, restEndpointOptions } from './connector-registry.js';
import type { ConnectorEnv, ConnectorRegistry, DeviceLink, SimulatedField } from './connector-registry.js';

/** A connector for one asset binding: telemetry and setpoints, and a way to let go of its sockets. */
export type AssetConnector = DeviceLink;

export interface BuildOptions {
  config: ConnectorConfig;
  secrets: SecretResolver;
  tls?: Record<string, LoadedTls>;
  ctx: ConnectorContext;
  /** Members of an asset id ("hs" → hs-01 … hs-12); an uncounted asset is its own single member. */
  membersOf(assetId: string): string[];
  breakerPeriodS: number;
  simulator?: SimulatedField;
  /** The factories by kind (default: `defaultConnectorRegistry()`); `opcua` and `modbus` below are registered on a copy of it. */
  registry?: ConnectorRegistry;
  opcua?: (binding: Extract<ConnectorConfig['assets'][number], { via: 'opcua' }>, memberIds: string[]) => AssetConnector | Promise<AssetConnector>;
  modbus?: (binding: Extract<ConnectorConfig['assets'][number], { via: 'modbus' }>, memberIds: string[]) => AssetConnector | Promise<AssetConnector>;
}

const noTriggers: TriggerIntake = { subscribe: () => () => {} };

export interface BuiltConnectors {
  connectors: FieldConnectors;
  /** Which connector serves which member, for the endpoint print-out and diagnostics. */
  routes: Map<string, string>;
  close(): Promise<void>;
}

export async function buildFieldConnectors(o: BuildOptions): Promise<BuiltConnectors> {
  const { config, ctx } = o;
  const closers: Array<() => void | Promise<void>> = [];
  const endpoint = (name: string) => {
    const e = config.endpoints[name];
    if (!e) throw new Error(`no endpoint ${name}`);
    return restEndpointOptions(name, e, o.secrets, o.tls?.[name]);
  };
  const registry = o.registry?.clone() ?? defaultConnectorRegistry();
  if (o.opcua) registry.registerAsset('opcua', deviceLinkFactory(o.opcua, (b) => `${b.endpointUrl} (OPC UA)`));
  if (o.modbus) registry.registerAsset('modbus', deviceLinkFactory(o.modbus, (b) => `${b.host}:${b.port} unit ${b.unitId} (Modbus/SunSpec)`));
  const env: ConnectorEnv = { ctx, endpoint, breakerPeriodS: o.breakerPeriodS, simulator: o.simulator };
  const sinkOf = new Map<string, SetpointSink>();
  const routes = new Map<string, string>();
  const telemetries: AssetTelemetry[] = [];

  const breaker = registry.breaker(config.breaker, env);
  if (breaker.close) closers.push(breaker.close);

  for (const b of config.assets) {
    const members = o.membersOf(b.asset);
    if (members.length === 0) throw new Error(`asset "${b.asset}" of the connector configuration is not in the EMS's asset list`);
    const bound = await registry.asset(b, members, env);
    if (bound.close) closers.push(bound.close);
    if (bound.telemetry && !telemetries.includes(bound.telemetry)) telemetries.push(bound.telemetry);
    for (const m of members) {
      sinkOf.set(m, bound.setpoints);
      routes.set(m, bound.label);
    }
  }

  const telemetry: AssetTelemetry = {
    subscribe(listener: (r: AssetReport) => void) {
      const offs = telemetries.map((t) => t.subscribe(listener));
      return () => offs.forEach((off) => off());
    },
  };
  const setpoints: SetpointSink = {
    write(cmd: SetpointCommand, onAck: (ack: SetpointAck) => void) {
      const sink = sinkOf.get(cmd.assetId);
      if (!sink) {
        onAck({ commandId: cmd.commandId, assetId: cmd.assetId, ackMs: ctx.clock.nowMs(), ok: false, error: `no connector is configured for ${cmd.assetId}` });
        return;
      }
      sink.write(cmd, onAck);
    },
  };

  const weather = registry.weather(config.weather, env);
  if (weather.close) closers.push(weather.close);

  return {
    connectors: { breaker: breaker.meter, telemetry, setpoints, weather: weather.source, triggers: noTriggers },
    routes,
    close: async () => {
      for (const c of closers.reverse()) await c();
    },
  };
}
