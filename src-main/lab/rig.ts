/**
 * The lab rig: the plant simulator in real time (or N× faster: a `VirtualClock` paced against the wall
 * clock) served over the same protocols as the field — the grid operator's platform (breaker as 3-phase
 * U, I, φ, setpoint forwarding), the vendor backends for household storages and heat pumps, the community
 * BESS's backend over OPC UA (`opcua/bess-server.ts`: SignAndEncrypt, user login; or, with
 * `bessVia: 'rest'`, the REST storage dialect; or, with `bessVia: 'modbus'`, the battery itself as a SunSpec
 * Modbus TCP device, `modbus/sunspec-server.ts`, on loopback: Modbus has no security), and a weather service answering like Open-Meteo with the
 * scenario's forecast.
 *
 * The scenario's faults are injected where the field would show them, at the protocol level: a dropped-out
 * breaker sensor sends nothing new, a NaN sample arrives with null phase values, a stuck sensor repeats its
 * values with fresh timestamps, an offline asset's backend answers 504 (it heard nothing from the device)
 * and stops reporting, a rejected write is a 422 with the device's reason, a missing forecast a 503. On top,
 * `protocolFaults` make a whole service answer 500, hang, or restart on the same port with a new boot id.
 *
 * The BESS over OPC UA: the server publishes the plant's BESS (power, state of charge) every
 * `BESS_TELEMETRY_PERIOD_S` of simulated time, driven by the rig's clock (so the samples fall on the same
 * simulated instants at any speed), and writes go straight to the plant with the revert timeout the EMS
 * wrote. The scenario's BESS faults become the server's fault hooks at their simulated times:
 * `assetOffline` → `offline` (telemetry `BadNoCommunication`, writes and heartbeats refused with it: nothing
 * reaches the battery, and the setpoint in force reverts when its revert timeout passes),
 * `assetSetpointRejected` → `rejectWrites` (`BadOutOfService`, telemetry continues). Breaker faults stay on
 * the grid operator's platform. The server's and the EMS's certificates live in `pkiDir` (a temporary folder
 * unless given; never under `$HOME/.config`).
 *
 * The rig knows nothing of the EMS: the EMS connects to the endpoints it prints, with the connector
 * configuration `connectorConfig()` returns, exactly as in the field.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ConnectorConfig } from '../connectors/config/connector-config.js';
import { CONNECTOR_CONFIG_FORMAT } from '../connectors/config/connector-config.js';
import type { HeatPumpReportWire, StorageReportWire } from '../connectors/rest/wire.js';
import { VirtualClock } from '../engine/clock.js';
import type { ForecastResult } from '../engine/engine.js';
import type { AssetReport } from '../engine/model.js';
import type { LoadProfileLibrary } from '../engine/models/load/index.js';
import type { OpenMeteoForecast, Scenario, ScenarioEvent, WeatherSeries } from '../engine/scenario/index.js';
import { BESS_TELEMETRY_PERIOD_S, SimulatedField } from '../sim/field.js';
import { Plant } from '../sim/plant.js';
import { dsoPlatformServer, weatherServer, type DsoPlatformServer } from './dso-weather-servers.js';
import { eventInForceAt } from './carry-in.js';
import type { LabService } from './lab-service.js';
import { startSunspecServer, type SunspecServer } from './modbus/sunspec-server.js';
import { BESS_RIG_NAMESPACE_URI, startBessOpcuaServer, type BessDevice, type BessOpcuaServer, type BessRigFaults } from './opcua/bess-server.js';
import { heatPumpBackendServer, storageBackendServer, type DeviceWriteOutcome, type LabDevices, type VendorServer } from './vendor-servers.js';

export type LabRole = 'dso-platform' | 'bess-backend' | 'storage-backend' | 'heatpump-backend' | 'weather' | 'bess-opcua';

export interface LabProtocolFault {
  atMs: number;
  role: LabRole;
  /**
   * `bess-opcua` knows only `restart` (sessions are lost, the certificate stays). The breaker's meter on
   * `dso-platform` also knows `scale10` (its values 10× too large: a CT-ratio error) and `reorder` (every
   * sample followed by the one before it again: a platform that re-sends out of order).
   */
  kind: 'restart' | 'hang' | 'http500' | 'scale10' | 'reorder';
  /** For hang and http500; a restart takes `durationS` down before it comes back (default 0). */
  durationS: number;
}

/** A write that reached the simulated BESS through the OPC UA server (device side), for diagnostics and tests. */
export interface BessDeviceWrite {
  atMs: number;
  setpointKw: number | null;
  /** Expiry the device was given (its own watchdog may cap it further). */
  expiresMs: number;
  commandId: string | null;
  heartbeat: boolean;
}

/** The user the rig's OPC UA server accepts (the password is made per rig and handed over as a secret). */
export const LAB_OPCUA_USER = 'lab-ems';

export interface LabRigInputs {
  scenario: Scenario;
  weatherActual: WeatherSeries;
  forecast: OpenMeteoForecast | null;
  /** The forecast file's text, served as the Open-Meteo answer. */
  forecastJson: string | null;
  series: Record<string, { timeMs: Float64Array; valueKw: Float64Array }>;
  loadProfiles: LoadProfileLibrary;
}

export interface LabRigOptions {
  speed: number;
  /** Simulate only [startMs, endMs) of the scenario (defaults: the scenario's span). */
  windowStartMs?: number;
  windowEndMs?: number;
  protocolFaults?: LabProtocolFault[];
  /** Scenario events as they fall due (the lab session posts them to the EMS's trigger intake). */
  onScenarioEvent?: (event: ScenarioEvent, index: number, atMs: number) => void;
  /** Real-time source, for pacing (performance.now by default). */
  wallNowMs?: () => number;
  /** Pacing tick, real ms (default 10). */
  tickMs?: number;
  meterId?: string;
  /** How the community BESS is served: OPC UA (default), Modbus TCP with SunSpec, or the REST storage dialect. */
  bessVia?: 'opcua' | 'rest' | 'modbus';
  /**
   * Folder of the OPC UA certificates: `rig-server/` (the BESS server's) and `ems-client/` (the EMS's).
   * Default: a temporary folder, removed at `stop()`. Kept between runs, the EMS trusts the rig from the
   * second run on without being asked again.
   */
  pkiDir?: string;
}

export interface LabEndpoint {
  role: string;
  url: string;
  detail: string;
}

const iso = (ms: number) => new Date(ms).toISOString();

export class LabRig {
  readonly plant: Plant;
  readonly clock: VirtualClock;
  readonly field: SimulatedField;
  readonly scenario: Scenario;
  readonly speed: number;
  readonly token = randomBytes(18).toString('base64url');
  readonly meterId: string;
  readonly dso: DsoPlatformServer;
  readonly bessBackend: VendorServer<StorageReportWire>;
  readonly storageBackend: VendorServer<StorageReportWire>;
  readonly heatPumpBackend: VendorServer<HeatPumpReportWire>;
  readonly weather: LabService;
  readonly bessVia: 'opcua' | 'rest' | 'modbus';
  /** The BESS as a SunSpec Modbus device (`bessVia: 'modbus'`, once `startServers` has run). */
  bessModbus: SunspecServer | null = null;
  /** The BESS's OPC UA server (`bessVia: 'opcua'`, once `startServers` has run). */
  bessOpcua: BessOpcuaServer | null = null;
  readonly bessOpcuaPassword = randomBytes(18).toString('base64url');
  /** Writes that reached the BESS through the OPC UA server (commits and heartbeats), at most the last 20 000. */
  readonly bessDeviceWrites: BessDeviceWrite[] = [];
  /** The request in force at the window's start (from an event before it), re-sent then; see `carry-in.ts`. */
  readonly carriedIn: { event: ScenarioEvent; index: number } | null;
  /** Faults injected so far (scenario and protocol), with their simulated time. */
  readonly injected: Array<{ atMs: number; what: string }> = [];
  private readonly pkiRoot: string;
  private readonly pkiIsTemporary: boolean;
  private readonly bessMemberId: string | null;
  /** Active scenario faults per OPC UA fault hook (they may overlap). */
  private readonly bessFaultDepth = { offline: 0, rejectWrites: 0 };
  private readonly wallNowMs: () => number;
  private timer: ReturnType<typeof setInterval> | null = null;
  private wall0 = 0;
  private sim0 = 0;
  private readonly endMs: number;
  private endWaiters: Array<() => void> = [];
  private simWaiters: Array<{ atMs: number; resolve: () => void }> = [];

  constructor(
    inputs: LabRigInputs,
    private readonly opts: LabRigOptions,
  ) {
    if (!(opts.speed > 0) || !Number.isFinite(opts.speed)) throw new Error(`lab rig: speed must be a positive number, got ${opts.speed}`);
    this.speed = opts.speed;
    this.wallNowMs = opts.wallNowMs ?? (() => performance.now());
    const base = inputs.scenario;
    const startMs = opts.windowStartMs ?? Date.parse(base.start);
    const endMs = opts.windowEndMs ?? Date.parse(base.end);
    if (!(startMs >= Date.parse(base.start) && endMs <= Date.parse(base.end) && endMs > startMs)) {
      throw new Error(`lab rig: the window ${iso(startMs)} – ${iso(endMs)} is not inside the scenario's ${base.start} – ${base.end}`);
    }
    // The window is a scenario of its own: the plant starts there in its initial state.
    this.scenario = { ...base, start: iso(startMs), end: iso(endMs) };
    this.endMs = endMs;
    this.meterId = opts.meterId ?? `${base.name}-breaker`;
    this.plant = new Plant({ scenario: this.scenario, weather: inputs.weatherActual, loadProfiles: inputs.loadProfiles, series: inputs.series });
    this.clock = new VirtualClock(this.plant.startMs);
    const forecast: ForecastResult = inputs.forecast ? { ok: true, timeMs: inputs.forecast.timeMs, tempC: inputs.forecast.tempC } : { ok: false, error: 'no forecast' };
    this.field = new SimulatedField(this.plant, this.clock, () => forecast);

    const serverOpts = (name: string) => ({ name, host: '127.0.0.1', tokens: { lab: this.token } });
    const kindOf = (id: string) => this.plant.member(id)?.kind;
    const bessIds = new Set(this.plant.members.filter((m) => m.kind === 'bess').map((m) => m.id));
    const storageIds = new Set(this.plant.members.filter((m) => m.kind === 'householdStorage').map((m) => m.id));
    const heatPumpIds = new Set(this.plant.members.filter((m) => m.kind === 'heatPump').map((m) => m.id));
    const heatPumpKw = new Map<string, number>();
    for (const a of this.scenario.assets) if (a.kind === 'heatPump') for (const m of this.plant.members) if (m.assetId === a.id) heatPumpKw.set(m.id, a.powerKw);
    const ratedKw = (id: string): number | null => {
      const m = this.plant.member(id);
      const a = m && this.scenario.assets.find((x) => x.id === m.assetId);
      return a && 'powerKw' in a ? a.powerKw : null;
    };
    const devicesOf = (ids: Set<string>): LabDevices => ({ has: (id) => ids.has(id), nowMs: () => this.clock.nowMs(), write: (id, kw, exp) => this.deviceWrite(id, kw, exp) });

    this.bessBackend = storageBackendServer('bess-backend', serverOpts('BESS backend'), devicesOf(bessIds));
    this.storageBackend = storageBackendServer('storage-backend', serverOpts('household-storage cloud'), devicesOf(storageIds));
    this.heatPumpBackend = heatPumpBackendServer('heatpump-backend', serverOpts('heat-pump cloud'), { ...devicesOf(heatPumpIds), ratedKw: (id) => heatPumpKw.get(id) ?? 0 });
    const allControllable = new Set([...bessIds, ...storageIds, ...heatPumpIds]);
    this.dso = dsoPlatformServer('dso-platform', serverOpts('grid operator platform'), this.meterId, {
      ...devicesOf(allControllable),
      ratedKw,
      schedule: (atMs, fn) => void this.clock.schedule(atMs, fn),
    }, () => ({ nowMs: this.pacedNowMs(), speed: this.speed }));
    this.weather = weatherServer('weather', { name: 'weather service', host: '127.0.0.1' }, inputs.forecastJson, () => this.forecastMissingNow());

    this.bessVia = opts.bessVia ?? 'opcua';
    const bessMembers = [...bessIds];
    this.bessMemberId = bessMembers.length === 1 ? bessMembers[0]! : null;
    if (this.bessVia !== 'rest' && this.bessMemberId === null) throw new Error(`lab rig: the ${this.bessVia === 'opcua' ? 'OPC UA' : 'Modbus'} BESS server serves one community BESS, the scenario has ${bessMembers.length}`);
    // A temporary PKI folder only when there is an OPC UA server to give it to.
    this.pkiIsTemporary = opts.pkiDir === undefined && this.bessVia === 'opcua';
    this.pkiRoot = opts.pkiDir !== undefined ? resolve(opts.pkiDir) : this.pkiIsTemporary ? mkdtempSync(join(tmpdir(), 'lfc-lab-pki-')) : '';
    for (const f of opts.protocolFaults ?? []) {
      const opcuaRole = f.role === 'bess-opcua';
      if (opcuaRole && (this.bessVia !== 'opcua' || f.kind !== 'restart')) throw new Error(`lab rig: protocol fault ${f.kind} of bess-opcua: the OPC UA server only restarts, and only when the BESS is served over OPC UA`);
      if (f.role === 'bess-backend' && this.bessVia !== 'rest') throw new Error('lab rig: protocol fault of bess-backend, but the BESS is served over OPC UA (role bess-opcua)');
    }

    // Sensors → protocol servers, at the time the data arrive.
    this.field.subscribe((s) => {
      const f = this.meterFaults;
      this.dso.publish({ sampleMs: s.sampleMs, powerKw: f.scale10 ? s.powerKw * 10 : s.powerKw });
      // The sample before this one, published again two simulated seconds later: after the newer one.
      const previous = this.lastMeterSample;
      if (f.reorder && previous) this.clock.schedule(this.clock.nowMs() + 2000, () => this.dso.publish(previous));
      this.lastMeterSample = { sampleMs: s.sampleMs, powerKw: s.powerKw };
    });
    this.field.subscribeReports((r: AssetReport) => {
      const kind = kindOf(r.assetId);
      if (kind === 'bess' && this.bessVia !== 'rest') return; // the OPC UA server publishes the BESS itself; a Modbus device is polled
      if (kind === 'bess' || kind === 'householdStorage') {
        const wire: StorageReportWire = { deviceId: r.assetId, sampleTime: iso(r.sampleMs), powerKw: r.powerKw, socPct: r.socPct ?? null };
        (kind === 'bess' ? this.bessBackend : this.storageBackend).telemetry.publish(wire);
      } else if (kind === 'heatPump') {
        this.heatPumpBackend.telemetry.publish({ deviceId: r.assetId, sampleTime: iso(r.sampleMs), powerKw: r.powerKw, on: r.on ?? false, indoorC: r.indoorC ?? null, msSinceSwitch: r.msSinceSwitch ?? null });
      }
    });
    this.field.onFaultInjected = (f, atMs) => this.injected.push({ atMs, what: `${f.kind}${'asset' in f && f.asset ? ` on ${f.asset}` : ''} for ${f.durationS} s` });
    for (const f of opts.protocolFaults ?? []) this.clock.schedule(f.atMs, () => void this.injectProtocolFault(f));
    if (this.bessVia !== 'rest') this.scheduleBessDeviceFaults();
    this.carriedIn = eventInForceAt(this.scenario.events, startMs);
    if (this.carriedIn) {
      const { event, index } = this.carriedIn;
      this.clock.schedule(startMs, () => opts.onScenarioEvent?.(event, index, startMs));
    }
    this.scenario.events.forEach((e, i) => {
      const atMs = Date.parse(e.at);
      if (atMs >= startMs && atMs < endMs) this.clock.schedule(atMs, () => opts.onScenarioEvent?.(e, i, atMs));
    });
  }

  /** The HTTP services this rig runs (the REST BESS backend only with `bessVia: 'rest'`). */
  get services(): LabService[] {
    return [this.dso.service, ...(this.bessVia === 'rest' ? [this.bessBackend.service] : []), this.storageBackend.service, this.heatPumpBackend.service, this.weather];
  }

  /** Certificates of the rig's OPC UA server. */
  get serverPkiDir(): string {
    if (!this.pkiRoot) throw new Error('lab rig: no PKI folder (the BESS is served over REST)');
    return join(this.pkiRoot, 'rig-server');
  }

  /** Certificates of the EMS that connects to the rig (its own application certificate and trust lists). */
  get emsPkiDir(): string {
    if (!this.pkiRoot) throw new Error('lab rig: no PKI folder (the BESS is served over REST)');
    return join(this.pkiRoot, 'ems-client');
  }

  service(role: LabRole): LabService {
    const s = this.services.find((x) => x.role === role);
    if (!s) throw new Error(`no lab service ${role}`);
    return s;
  }

  /** Simulated time now (the virtual clock, at most one tick behind the pace). */
  simNowMs(): number {
    return this.clock.nowMs();
  }

  /** Where simulated time should be now, from the wall clock. */
  pacedNowMs(): number {
    // Not capped at the window's end: after it the plant stops stepping, but acknowledgements of the EMS's
    // final releases still arrive on time.
    return this.timer === null ? this.clock.nowMs() : this.sim0 + (this.wallNowMs() - this.wall0) * this.speed;
  }

  get endAtMs(): number {
    return this.endMs;
  }

  /** Starts the servers (not yet the simulation). */
  async startServers(): Promise<void> {
    for (const s of this.services) await s.start();
    if (this.bessVia === 'opcua' && !this.bessOpcua) {
      this.bessOpcua = await startBessOpcuaServer({
        device: this.bessDevice(),
        pkiDir: this.serverPkiDir,
        // As a vendor backend in the field would: encrypted sessions with a user login only.
        securityModes: ['SignAndEncrypt'],
        securityPolicies: ['Basic256Sha256', 'Aes128_Sha256_RsaOaep'],
        users: [{ username: LAB_OPCUA_USER, password: this.bessOpcuaPassword }],
        allowAnonymous: false,
        // Publication is driven by the rig's clock (see startSimulation), not by a wall-clock timer.
        telemetryPeriodMs: 0,
      });
      this.applyBessFaults();
    }
    if (this.bessVia === 'modbus' && !this.bessModbus) {
      const bess = this.scenario.assets.find((a) => a.kind === 'bess')!;
      this.bessModbus = await startSunspecServer({ device: this.bessDevice(), ratedKw: 'powerKw' in bess ? bess.powerKw : 300, host: '127.0.0.1' });
      this.applyBessFaults();
    }
  }

  /** Starts the simulation, paced against the wall clock; `wall0` and `sim0` anchor the EMS's clock too. */
  startSimulation(): { wall0: number; sim0: number } {
    this.field.start();
    this.wall0 = this.wallNowMs();
    this.sim0 = this.plant.startMs;
    if (this.bessVia === 'opcua') {
      // The BESS backend's telemetry every BESS_TELEMETRY_PERIOD_S of simulated time, like the simulated field's.
      const periodMs = BESS_TELEMETRY_PERIOD_S * 1000;
      const publish = (t: number): void => {
        this.bessOpcua?.publishNow();
        if (t + periodMs < this.endMs) this.clock.schedule(t + periodMs, () => publish(t + periodMs));
      };
      this.clock.schedule(this.plant.startMs, () => publish(this.plant.startMs));
    }
    this.clock.runUntil(this.plant.nowMs);
    this.timer = setInterval(() => this.tick(), this.opts.tickMs ?? 10);
    return { wall0: this.wall0, sim0: this.sim0 };
  }

  /** Resolves when simulated time reaches `atMs`. */
  untilSim(atMs: number): Promise<void> {
    if (this.clock.nowMs() >= atMs) return Promise.resolve();
    return new Promise((resolve) => this.simWaiters.push({ atMs, resolve }));
  }

  /** Resolves when the window is over. */
  finished(): Promise<void> {
    if (this.plant.nowMs >= this.endMs) return Promise.resolve();
    return new Promise((resolve) => this.endWaiters.push(resolve));
  }

  endpoints(): LabEndpoint[] {
    const bess: LabEndpoint[] =
      this.bessVia === 'rest'
        ? [{ role: 'BESS backend (REST storage dialect)', url: this.bessBackend.service.url, detail: 'GET /v1/telemetry, PUT /v1/devices/{id}/setpoint' }]
        : this.bessModbus
          ? [
              {
                role: 'BESS (Modbus TCP / SunSpec, I-04 telemetry / I-06 setpoints)',
                url: `${this.bessModbus.host}:${this.bessModbus.port}`,
                detail: `unit id ${this.bessModbus.unitId}, SunSpec at 40000 (models 1, 802, 704); Modbus has no security: loopback only`,
              },
            ]
          : this.bessOpcua
          ? [
              {
                role: 'BESS vendor backend (OPC UA, I-04 telemetry / I-06 setpoints)',
                url: this.bessOpcua.endpointUrl,
                detail: `SignAndEncrypt Basic256Sha256, user ${LAB_OPCUA_USER}, nodes nsu=${BESS_RIG_NAMESPACE_URI};s=BESS.*, certificate ${this.bessOpcua.certificateThumbprint}`,
              },
            ]
          : [];
    return [
      { role: 'grid operator platform (breaker U/I/φ, I-05; setpoint forwarding, I-06)', url: this.dso.service.url, detail: `GET /v1/meters/${this.meterId}/measurement` },
      ...bess,
      { role: 'household-storage vendor cloud', url: this.storageBackend.service.url, detail: 'GET /v1/telemetry, PUT /v1/devices/{id}/setpoint' },
      { role: 'heat-pump vendor cloud', url: this.heatPumpBackend.service.url, detail: 'GET /v1/telemetry, PUT /v1/heatpumps/{id}/mode' },
      { role: 'weather service (Open-Meteo)', url: this.weather.url, detail: 'GET /v1/forecast' },
    ];
  }

  /** The connector configuration an EMS uses to reach this rig, and the secrets it names. */
  connectorConfig(opts: { intakeTokenSecret?: string } = {}): { config: ConnectorConfig; secrets: Record<string, string> } {
    const endpoint = (url: string, auth = true) => ({ baseUrl: url, ...(auth ? { tokenSecret: 'LAB_TOKEN' } : {}), timeoutMs: 2000, retry: { maxAttempts: 3, baseDelayMs: 50, maxDelayMs: 400 } });
    const assetIds = (kind: string) => this.scenario.assets.filter((a) => a.kind === kind).map((a) => a.id);
    const config: ConnectorConfig = {
      format: CONNECTOR_CONFIG_FORMAT,
      installation: `lab-rig:${this.scenario.name}`,
      endpoints: {
        dso: endpoint(this.dso.service.url),
        ...(this.bessVia === 'rest' ? { bess: endpoint(this.bessBackend.service.url) } : {}),
        storage: endpoint(this.storageBackend.service.url),
        heatpump: endpoint(this.heatPumpBackend.service.url),
        weather: endpoint(this.weather.url, false),
      },
      breaker: { via: 'dsoPlatform', endpoint: 'dso', meterId: this.meterId },
      assets: [
        ...assetIds('bess').map((asset) =>
          this.bessVia === 'rest'
            ? { asset, via: 'rest' as const, backend: 'storage' as const, endpoint: 'bess', longPollS: 30 }
            : this.bessVia === 'modbus'
              ? { asset, via: 'modbus' as const, ...this.bessModbusAddress(), revertS: 30, pollMs: 1000, timeoutMs: 1000, control: 'auto' as const, batteryPowerSign: 'discharge-positive' as const }
              : { asset, via: 'opcua' as const, endpointUrl: this.bessOpcuaUrl(), userSecret: 'BESS_OPCUA_USER', passwordSecret: 'BESS_OPCUA_PASSWORD', pkiDir: this.emsPkiDir },
        ),
        ...assetIds('householdStorage').map((asset) => ({ asset, via: 'rest' as const, backend: 'storage' as const, endpoint: 'storage', longPollS: 30 })),
        ...assetIds('heatPump').map((asset) => ({ asset, via: 'rest' as const, backend: 'heatPump' as const, endpoint: 'heatpump', longPollS: 30 })),
      ],
      weather: { via: 'openMeteo', endpoint: 'weather', latitude: this.scenario.site.latitude, longitude: this.scenario.site.longitude },
      triggerIntake: { host: '127.0.0.1', port: 0, tokens: [{ name: 'lab-operator', secret: opts.intakeTokenSecret ?? 'INTAKE_TOKEN' }], allowedRemotes: ['loopback'] },
    };
    const secrets: Record<string, string> = { LAB_TOKEN: this.token };
    if (this.bessVia === 'opcua') Object.assign(secrets, { BESS_OPCUA_USER: LAB_OPCUA_USER, BESS_OPCUA_PASSWORD: this.bessOpcuaPassword });
    return { config, secrets };
  }

  private bessModbusAddress(): { host: string; port: number; unitId: number } {
    if (!this.bessModbus) throw new Error('lab rig: the Modbus BESS server is not running (startServers first)');
    return { host: this.bessModbus.host, port: this.bessModbus.port, unitId: this.bessModbus.unitId };
  }

  private bessOpcuaUrl(): string {
    if (!this.bessOpcua) throw new Error('lab rig: the OPC UA BESS server is not running (startServers first)');
    return this.bessOpcua.endpointUrl;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const s of this.services) await s.stop();
    const opcua = this.bessOpcua;
    this.bessOpcua = null;
    await opcua?.stop();
    const modbus = this.bessModbus;
    this.bessModbus = null;
    await modbus?.stop();
    if (this.pkiIsTemporary) rmSync(this.pkiRoot, { recursive: true, force: true });
    for (const w of this.simWaiters) w.resolve();
    this.simWaiters = [];
    for (const w of this.endWaiters) w();
    this.endWaiters = [];
  }

  private tick(): void {
    const target = this.pacedNowMs();
    const stepMs = this.scenario.stepS * 1000;
    const plant = this.plant;
    while (plant.nowMs + stepMs <= target && plant.nowMs < this.endMs) {
      this.clock.runUntil(plant.nowMs);
      plant.step();
    }
    // Events between steps (acknowledgements, arrivals) fire at their time, not at the next step.
    this.clock.runUntil(plant.nowMs >= this.endMs ? target : Math.min(target, plant.nowMs));
    const now = this.clock.nowMs();
    if (this.simWaiters.length > 0) {
      const due = this.simWaiters.filter((w) => w.atMs <= now);
      this.simWaiters = this.simWaiters.filter((w) => w.atMs > now);
      for (const w of due) w.resolve();
    }
    if (plant.nowMs >= this.endMs && this.endWaiters.length > 0) {
      for (const w of this.endWaiters) w();
      this.endWaiters = [];
    }
  }

  /** A write to a simulated device: the field's acknowledgement, or none within the device timeout. */
  private deviceWrite(id: string, powerKw: number | null, expiresMs: number): Promise<DeviceWriteOutcome> {
    const timeoutWallMs = Math.max(250, 4000 / this.speed);
    return new Promise((resolve) => {
      let done = false;
      const timer = setTimeout(() => {
        if (done) return;
        done = true;
        resolve({ kind: 'no-answer' });
      }, timeoutWallMs);
      this.field.write({ commandId: 'lab', assetId: id, issuedMs: this.clock.nowMs(), powerKw, expiresMs, runId: null }, (ack) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (!ack.ok) resolve({ kind: 'rejected', error: ack.error ?? 'write rejected by the device' });
        else resolve(ack.readBack ? { kind: 'applied', readBack: ack.readBack } : { kind: 'applied' });
      });
    });
  }

  /** The plant's community BESS as the OPC UA or Modbus server's device: reads and writes at the rig's simulated time. */
  private bessDevice(): BessDevice {
    const id = this.bessMemberId!;
    return {
      nowMs: () => this.clock.nowMs(),
      read: () => {
        const r = this.plant.read(id)!;
        return { powerKw: r.powerKw, socPct: r.socPct ?? NaN, setpointKw: r.setpointKw, status: r.setpointKw === null ? 'default' : 'dispatched' };
      },
      write: (setpointKw, expiresMs, meta) => {
        const result = this.plant.write(id, setpointKw, expiresMs);
        if (result.ok) {
          this.bessDeviceWrites.push({ atMs: this.clock.nowMs(), setpointKw, expiresMs, commandId: meta?.commandId ?? null, heartbeat: meta?.heartbeat ?? false });
          if (this.bessDeviceWrites.length > 20_000) this.bessDeviceWrites.splice(0, 10_000);
        }
        return result;
      },
    };
  }

  /**
   * The scenario's BESS faults as the device server's fault hooks, switched at their simulated times: offline
   * is `BadNoCommunication` over OPC UA and a device that does not answer over Modbus; a rejected setpoint is
   * `BadOutOfService` or Modbus exception 4.
   */
  private scheduleBessDeviceFaults(): void {
    const bessAssetId = this.plant.member(this.bessMemberId!)!.assetId;
    const hooks: Partial<Record<string, keyof typeof this.bessFaultDepth>> = { assetOffline: 'offline', assetSetpointRejected: 'rejectWrites' };
    for (const f of this.scenario.faults) {
      const hook = hooks[f.kind];
      if (!hook || !('asset' in f) || (f.asset !== bessAssetId && f.asset !== this.bessMemberId)) continue;
      const fromMs = Date.parse(f.at);
      const toMs = fromMs + f.durationS * 1000;
      if (toMs <= this.plant.startMs || fromMs >= this.endMs) continue;
      this.clock.schedule(fromMs, () => {
        this.bessFaultDepth[hook]++;
        this.applyBessFaults();
      });
      this.clock.schedule(toMs, () => {
        this.bessFaultDepth[hook]--;
        this.applyBessFaults();
      });
    }
  }

  private applyBessFaults(): void {
    const f: Partial<BessRigFaults> = { offline: this.bessFaultDepth.offline > 0, rejectWrites: this.bessFaultDepth.rejectWrites > 0 };
    this.bessOpcua?.setFault(f);
    this.bessModbus?.setFault({ silent: f.offline ?? false, rejectWrites: f.rejectWrites ?? false });
  }

  private forecastMissingNow(): boolean {
    const now = this.clock.nowMs();
    return this.scenario.faults.some((f) => f.kind === 'forecastMissing' && now >= Date.parse(f.at) && now < Date.parse(f.at) + f.durationS * 1000);
  }

  /** Wire faults of the breaker's meter on the platform (`scale10`, `reorder`), while in force. */
  private readonly meterFaults = { scale10: false, reorder: false };
  private lastMeterSample: { sampleMs: number; powerKw: number } | null = null;

  private async injectProtocolFault(f: LabProtocolFault): Promise<void> {
    if (f.kind === 'scale10' || f.kind === 'reorder') {
      if (f.role !== 'dso-platform') throw new Error(`lab rig: ${f.kind} is a fault of the breaker meter (role dso-platform), not of ${f.role}`);
      this.injected.push({ atMs: f.atMs, what: `${f.kind} of the breaker meter for ${f.durationS} s` });
      const kind = f.kind;
      this.meterFaults[kind] = true;
      this.clock.schedule(f.atMs + f.durationS * 1000, () => {
        this.meterFaults[kind] = false;
      });
      return;
    }
    if (f.role === 'bess-opcua') {
      this.injected.push({ atMs: f.atMs, what: 'restart of bess-opcua' });
      await this.bessOpcua?.restart();
      this.applyBessFaults();
      return;
    }
    const s = this.service(f.role);
    this.injected.push({ atMs: f.atMs, what: `${f.kind} of ${f.role}${f.kind === 'restart' ? '' : ` for ${f.durationS} s`}` });
    if (f.kind === 'restart') {
      await s.restart(() => undefined);
      if (f.role === 'bess-backend' || f.role === 'storage-backend' || f.role === 'heatpump-backend') {
        const v = f.role === 'bess-backend' ? this.bessBackend : f.role === 'storage-backend' ? this.storageBackend : this.heatPumpBackend;
        v.telemetry.reset();
      }
      return;
    }
    const flag = f.kind === 'hang' ? 'hang' : 'http500';
    s.faults[flag] = true;
    this.clock.schedule(f.atMs + f.durationS * 1000, () => {
      s.faults[flag] = false;
    });
  }
}
