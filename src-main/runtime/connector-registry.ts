/**
 * The connector registry: a binding's `via` (the site file's, `connectors/config/connector-config.ts`) picks
 * the factory that makes its connector. The breaker meter, each asset binding and the weather source each
 * have their table; `buildFieldConnectors` only looks factories up. The simulator, REST (vendor backends,
 * Open-Meteo), the DSO platform are registered by default (`defaultConnectorRegistry`); OPC UA and
 * Modbus/SunSpec are registered by the EMS that configures them (their modules load only then:
 * `opcua-connectors.ts`, `modbus-connectors.ts`, through `deviceLinkFactory`). Adding a protocol is adding
 * its binding to the configuration's schema and registering one factory.
 */
import type { ConnectorConfig, EndpointConfig, LoadedTls, SecretResolver } from '../connectors/config/connector-config.js';
import type { ConnectorContext } from '../connectors/rest/connector-context.js';
import { DsoBreakerMeter, DsoSetpointForwarder } from '../connectors/rest/dso-platform.js';
import type { RestClientOptions } from '../connectors/rest/http-client.js';
import { OpenMeteoWeatherSource } from '../connectors/rest/open-meteo-client.js';
import { HeatPumpBackendConnector, StorageBackendConnector } from '../connectors/rest/vendor-backends.js';
import type { AssetTelemetry, BreakerMeter, SetpointSink, WeatherSource } from '../engine/ports.js';

export type AssetBinding = ConnectorConfig['assets'][number];
export type BreakerBinding = ConnectorConfig['breaker'];
export type WeatherBinding = ConnectorConfig['weather'];
type Via<B extends { via: string }> = B['via'];
type Of<B extends { via: string }, V extends string> = Extract<B, { via: V }>;

/** The in-process field a replay or the lab hands over for bindings `via: "simulator"`. */
export interface SimulatedField {
  breaker: BreakerMeter;
  telemetry: AssetTelemetry;
  setpoints: SetpointSink;
  weather: WeatherSource;
}

export type RestEndpointOptions = Omit<RestClientOptions, 'sleep' | 'random' | 'onRetry'>;

/** What every factory gets besides its binding. */
export interface ConnectorEnv {
  ctx: ConnectorContext;
  /** The client options of a named REST endpoint of the configuration, its token and TLS resolved. */
  endpoint(name: string): RestEndpointOptions;
  breakerPeriodS: number;
  simulator: SimulatedField | undefined;
}

/** A made connector and how to let go of it (sockets, timers); none for a part of the simulator. */
interface Closable {
  close?: () => void | Promise<void>;
}

/** What an asset factory makes: the setpoint sink, the telemetry (none for setpoint forwarding), a label for the routes. */
export interface BoundAsset extends Closable {
  setpoints: SetpointSink;
  telemetry: AssetTelemetry | null;
  /** Where the asset's setpoints go, as the endpoint print-out says it ("opc.tcp://… (OPC UA)"). */
  label: string;
}

export type AssetFactory<B extends AssetBinding = AssetBinding> = (binding: B, memberIds: string[], env: ConnectorEnv) => BoundAsset | Promise<BoundAsset>;
export type BreakerFactory<B extends BreakerBinding = BreakerBinding> = (binding: B, env: ConnectorEnv) => { meter: BreakerMeter } & Closable;
export type WeatherFactory<B extends WeatherBinding = WeatherBinding> = (binding: B, env: ConnectorEnv) => { source: WeatherSource } & Closable;

/** How a protocol is named in the errors ("bound to OPC UA, but this build has no OPC UA connector"). */
const PROTOCOL_NAME: Record<string, string> = { opcua: 'OPC UA', modbus: 'Modbus', rest: 'REST', dsoPlatform: 'the DSO platform', openMeteo: 'Open-Meteo' };

export class ConnectorRegistry {
  private readonly assets = new Map<string, AssetFactory>();
  private readonly breakers = new Map<string, BreakerFactory>();
  private readonly weathers = new Map<string, WeatherFactory>();

  registerAsset<V extends Via<AssetBinding>>(via: V, factory: AssetFactory<Of<AssetBinding, V>>): this {
    this.assets.set(via, factory as AssetFactory);
    return this;
  }

  registerBreaker<V extends Via<BreakerBinding>>(via: V, factory: BreakerFactory<Of<BreakerBinding, V>>): this {
    this.breakers.set(via, factory as BreakerFactory);
    return this;
  }

  registerWeather<V extends Via<WeatherBinding>>(via: V, factory: WeatherFactory<Of<WeatherBinding, V>>): this {
    this.weathers.set(via, factory as WeatherFactory);
    return this;
  }

  /** The kinds each table knows (for a diagnostic and the tests). */
  kinds(): { breaker: string[]; assets: string[]; weather: string[] } {
    return { breaker: [...this.breakers.keys()], assets: [...this.assets.keys()], weather: [...this.weathers.keys()] };
  }

  /** A copy to register more on without changing this one. */
  clone(): ConnectorRegistry {
    const c = new ConnectorRegistry();
    for (const [k, f] of this.assets) c.assets.set(k, f);
    for (const [k, f] of this.breakers) c.breakers.set(k, f);
    for (const [k, f] of this.weathers) c.weathers.set(k, f);
    return c;
  }

  async asset(binding: AssetBinding, memberIds: string[], env: ConnectorEnv): Promise<BoundAsset> {
    const f = this.assets.get(binding.via);
    if (!f) throw new Error(`asset "${binding.asset}" is bound to ${PROTOCOL_NAME[binding.via] ?? binding.via}, but this build has no ${PROTOCOL_NAME[binding.via] ?? binding.via} connector`);
    return f(binding, memberIds, env);
  }

  breaker(binding: BreakerBinding, env: ConnectorEnv): { meter: BreakerMeter } & Closable {
    const f = this.breakers.get(binding.via);
    if (!f) throw new Error(`the breaker is bound to ${binding.via}, but this build has no such connector`);
    return f(binding, env);
  }

  weather(binding: WeatherBinding, env: ConnectorEnv): { source: WeatherSource } & Closable {
    const f = this.weathers.get(binding.via);
    if (!f) throw new Error(`the weather is bound to ${binding.via}, but this build has no such connector`);
    return f(binding, env);
  }
}

/** A started device link (OPC UA, Modbus/SunSpec: `link-connector.ts`'s `wrap`) as the registry's asset. */
export interface DeviceLink extends AssetTelemetry, SetpointSink {
  close(): void | Promise<void>;
}

/** Fits a device-link factory (`opcuaConnectorFactory`, `modbusConnectorFactory`) into the registry. */
export function deviceLinkFactory<B extends AssetBinding>(make: (binding: B, memberIds: string[]) => DeviceLink | Promise<DeviceLink>, label: (binding: B) => string): AssetFactory<B> {
  return async (binding, memberIds) => {
    const c = await make(binding, memberIds);
    return { setpoints: c, telemetry: c, label: label(binding), close: () => c.close() };
  };
}

function needSimulator(env: ConnectorEnv, what: string): SimulatedField {
  if (!env.simulator) throw new Error(`${what} is bound to the simulator, but no simulator was given`);
  return env.simulator;
}

/** The client options of one endpoint of a configuration (its token from the secrets, its TLS material). */
export function restEndpointOptions(name: string, e: EndpointConfig, secrets: SecretResolver, tls: LoadedTls | undefined): RestEndpointOptions {
  const token = e.tokenSecret ? secrets(e.tokenSecret) : undefined;
  if (e.tokenSecret && !token) throw new Error(`${name}: secret ${e.tokenSecret} is not set`);
  return { name, baseUrl: e.baseUrl, timeoutMs: e.timeoutMs, retry: e.retry, ...(token ? { bearerToken: token } : {}), ...(tls ? { tls } : {}) };
}

/** The registry with what needs no protocol library: the simulator, the vendor backends, the DSO platform, Open-Meteo. */
export function defaultConnectorRegistry(): ConnectorRegistry {
  return new ConnectorRegistry()
    .registerBreaker('simulator', (_b, env) => ({ meter: needSimulator(env, 'the breaker').breaker }))
    .registerBreaker('dsoPlatform', (b, env) => {
      const m = new DsoBreakerMeter(env.ctx, { client: { ...env.endpoint(b.endpoint), name: `${b.endpoint} (breaker)` }, meterId: b.meterId, breakerPeriodS: env.breakerPeriodS });
      return { meter: m, close: () => m.close() };
    })
    .registerAsset('simulator', (b, _members, env) => {
      const sim = needSimulator(env, `asset "${b.asset}"`);
      return { setpoints: sim.setpoints, telemetry: sim.telemetry, label: 'simulator' };
    })
    .registerAsset('rest', (b, members, env) => {
      const opts = { client: { ...env.endpoint(b.endpoint), name: `${b.endpoint} (${b.asset})` }, assetIds: members, longPollS: b.longPollS };
      const c = b.backend === 'storage' ? new StorageBackendConnector(env.ctx, opts) : new HeatPumpBackendConnector(env.ctx, opts);
      return { setpoints: c, telemetry: c, label: `${b.endpoint} (REST ${b.backend})`, close: () => c.close() };
    })
    .registerAsset('dsoPlatform', (b, members, env) => {
      const controllers = Object.fromEntries(members.map((m) => [m, b.unit === '%' ? { unit: '%' as const, ratedKw: b.ratedKw! } : { unit: 'kW' as const }]));
      const f = new DsoSetpointForwarder(env.ctx, { client: { ...env.endpoint(b.endpoint), name: `${b.endpoint} (${b.asset} setpoints)` }, controllers });
      return { setpoints: f, telemetry: null, label: `${b.endpoint} (DSO platform, ${b.unit})`, close: () => f.close() };
    })
    .registerWeather('simulator', (_b, env) => ({ source: needSimulator(env, 'the weather').weather }))
    .registerWeather('openMeteo', (b, env) => {
      const w = new OpenMeteoWeatherSource(env.ctx, { client: { ...env.endpoint(b.endpoint), name: `${b.endpoint} (weather)` }, latitude: b.latitude, longitude: b.longitude });
      return { source: w, close: () => w.close() };
    });
}
