/**
 * Builds the EMS's `FieldConnectors` from a connector configuration: one connector per binding, a setpoint
 * router that sends each command to the connector serving its asset, telemetry merged from all of them.
 * Assets bound to `simulator` (and a `simulator` breaker or weather) are served by the in-process parts the
 * caller passes (a replay's simulated field); OPC UA bindings by the factory the caller passes (the OPC UA
 * connector lives in its own module and is loaded only where configured; `opcua-connectors.ts` builds that
 * factory, with the trust decision, the event mapping and the write traces).
 */
import type { AssetReport, SetpointAck, SetpointCommand } from '../engine/model.js';
import type { AssetTelemetry, BreakerMeter, FieldConnectors, SetpointSink, TriggerIntake, WeatherSource } from '../engine/ports.js';
import type { ConnectorConfig, EndpointConfig, LoadedTls, SecretResolver } from '../connectors/config/connector-config.js';
import type { ConnectorContext } from '../connectors/rest/connector-context.js';
import { DsoBreakerMeter, DsoSetpointForwarder } from '../connectors/rest/dso-platform.js';
import type { RestClientOptions } from '../connectors/rest/http-client.js';
import { OpenMeteoWeatherSource } from '../connectors/rest/open-meteo-client.js';
import { HeatPumpBackendConnector, StorageBackendConnector } from '../connectors/rest/vendor-backends.js';

/** A connector for one asset binding: telemetry and setpoints, and a way to let go of its sockets. */
export interface AssetConnector extends AssetTelemetry, SetpointSink {
  close(): void | Promise<void>;
}

export interface BuildOptions {
  config: ConnectorConfig;
  secrets: SecretResolver;
  tls?: Record<string, LoadedTls>;
  ctx: ConnectorContext;
  /** Members of an asset id ("hs" → hs-01 … hs-12); an uncounted asset is its own single member. */
  membersOf(assetId: string): string[];
  breakerPeriodS: number;
  simulator?: { breaker: BreakerMeter; telemetry: AssetTelemetry; setpoints: SetpointSink; weather: WeatherSource };
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

function clientOptions(name: string, e: EndpointConfig, secrets: SecretResolver, tls: LoadedTls | undefined): Omit<RestClientOptions, 'sleep' | 'random' | 'onRetry'> {
  const token = e.tokenSecret ? secrets(e.tokenSecret) : undefined;
  if (e.tokenSecret && !token) throw new Error(`${name}: secret ${e.tokenSecret} is not set`);
  return { name, baseUrl: e.baseUrl, timeoutMs: e.timeoutMs, retry: e.retry, ...(token ? { bearerToken: token } : {}), ...(tls ? { tls } : {}) };
}

export async function buildFieldConnectors(o: BuildOptions): Promise<BuiltConnectors> {
  const { config, ctx } = o;
  const closers: Array<() => void | Promise<void>> = [];
  const endpoint = (name: string) => {
    const e = config.endpoints[name];
    if (!e) throw new Error(`no endpoint ${name}`);
    return clientOptions(name, e, o.secrets, o.tls?.[name]);
  };
  const sinkOf = new Map<string, SetpointSink>();
  const routes = new Map<string, string>();
  const telemetries: AssetTelemetry[] = [];

  let breaker: BreakerMeter;
  if (config.breaker.via === 'dsoPlatform') {
    const m = new DsoBreakerMeter(ctx, { client: { ...endpoint(config.breaker.endpoint), name: `${config.breaker.endpoint} (breaker)` }, meterId: config.breaker.meterId, breakerPeriodS: o.breakerPeriodS });
    closers.push(() => m.close());
    breaker = m;
  } else {
    if (!o.simulator) throw new Error('the breaker is bound to the simulator, but no simulator was given');
    breaker = o.simulator.breaker;
  }

  for (const b of config.assets) {
    const members = o.membersOf(b.asset);
    if (members.length === 0) throw new Error(`asset "${b.asset}" of the connector configuration is not in the EMS's asset list`);
    let sink: SetpointSink;
    let label: string;
    if (b.via === 'simulator') {
      if (!o.simulator) throw new Error(`asset "${b.asset}" is bound to the simulator, but no simulator was given`);
      sink = o.simulator.setpoints;
      label = 'simulator';
      if (!telemetries.includes(o.simulator.telemetry)) telemetries.push(o.simulator.telemetry);
    } else if (b.via === 'rest') {
      const opts = { client: { ...endpoint(b.endpoint), name: `${b.endpoint} (${b.asset})` }, assetIds: members, longPollS: b.longPollS };
      const c = b.backend === 'storage' ? new StorageBackendConnector(ctx, opts) : new HeatPumpBackendConnector(ctx, opts);
      closers.push(() => c.close());
      telemetries.push(c);
      sink = c;
      label = `${b.endpoint} (REST ${b.backend})`;
    } else if (b.via === 'dsoPlatform') {
      const controllers = Object.fromEntries(members.map((m) => [m, b.unit === '%' ? { unit: '%' as const, ratedKw: b.ratedKw! } : { unit: 'kW' as const }]));
      const f = new DsoSetpointForwarder(ctx, { client: { ...endpoint(b.endpoint), name: `${b.endpoint} (${b.asset} setpoints)` }, controllers });
      closers.push(() => f.close());
      sink = f;
      label = `${b.endpoint} (DSO platform, ${b.unit})`;
    } else if (b.via === 'modbus') {
      if (!o.modbus) throw new Error(`asset "${b.asset}" is bound to Modbus, but this build has no Modbus connector`);
      const c = await o.modbus(b, members);
      closers.push(() => c.close());
      telemetries.push(c);
      sink = c;
      label = `${b.host}:${b.port} unit ${b.unitId} (Modbus/SunSpec)`;
    } else {
      if (!o.opcua) throw new Error(`asset "${b.asset}" is bound to OPC UA, but this build has no OPC UA connector`);
      const c = await o.opcua(b, members);
      closers.push(() => c.close());
      telemetries.push(c);
      sink = c;
      label = `${b.endpointUrl} (OPC UA)`;
    }
    for (const m of members) {
      sinkOf.set(m, sink);
      routes.set(m, label);
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

  let weather: WeatherSource;
  if (config.weather.via === 'openMeteo') {
    const w = new OpenMeteoWeatherSource(ctx, { client: { ...endpoint(config.weather.endpoint), name: `${config.weather.endpoint} (weather)` }, latitude: config.weather.latitude, longitude: config.weather.longitude });
    closers.push(() => w.close());
    weather = w;
  } else {
    if (!o.simulator) throw new Error('the weather is bound to the simulator, but no simulator was given');
    weather = o.simulator.weather;
  }

  return {
    connectors: { breaker, telemetry, setpoints, weather, triggers: noTriggers },
    routes,
    close: async () => {
      for (const c of closers.reverse()) await c();
    },
  };
}
