/**
 * The EMS's Modbus TCP link to a SunSpec battery or hybrid inverter: telemetry (I-04) by polling, setpoints
 * (I-06) with the device's own reversion timer. It implements the engine's `AssetTelemetry` and
 * `SetpointSink` for one asset, like the OPC UA connector, and reports the same link events.
 *
 * ## What it reads and writes (see `sunspec.ts` for offsets and encodings)
 * - At start (and after every reconnection) it discovers the model chain: model 1 names the device, 802
 *   (battery) gives `SoC` and `W`; without 802, `ChaState` of 124 and the inverter's `W` (101–103/111–113)
 *   stand in. The device's models are kept for the console's connection test.
 * - Power in SunSpec is in W in the generator frame (positive = the device injects, i.e. discharges); the EMS's
 *   frame is kW, positive = charging. 704 `WSet` is generator frame by definition. For 802 `W` the standard
 *   says only "to/from the battery": `batteryPowerSign` names the device's choice (default
 *   `discharge-positive`, like the inverter models; a vendor that counts charging positive sets it).
 * - Setpoint, preferred: 704 `WSetEna`=1, `WSetMod`=2 (watts), `WSet`, then `WSetRvrtEna`=1 and
 *   `WSetRvrtTms` = min(`revertS`, time left until the command's expiry). The device reverts to its own
 *   `WSetRvrt` when the timer runs out: the EMS leaves `WSetRvrt` as the site owner configured it.
 *   Release (`powerKw: null`) writes `WSetEna`=0.
 * - Without 704, model 124: `StorCtl_Mod` = 3 (both limits), charge `InWRte` = +x % / `OutWRte` = −x %
 *   of `WChaMax` (a negative discharge limit forces charging), discharge the other way round, and
 *   `InOutWRte_RvrtTms` as the reversion timer; release writes `StorCtl_Mod` = 0.
 * - A 704 setpoint and its timer go in one request (registers `WSetEna` … `WSetRvrtTms`, the points between
 *   written back as the device holds them); with 124 the rates and their timer go first, then the mode that
 *   puts them in force. A setpoint never reaches the device without a timer the EMS armed for it.
 * - Setpoint writes go one after the other; a new command stops the heartbeat of the one before it.
 * - While the connector runs it re-arms the timer every `heartbeatPeriodMs` for the last acknowledged
 *   command, never beyond that command's expiry; when the EMS stops or dies, nothing re-arms it.
 *
 * ## Acknowledgements (as the OPC UA connector's)
 * - The device answered both writes: one ack. `ok: true` after the read-back of `WSet` (or the rates)
 *   matches, with the measured power and SoC; `ok: false` with the Modbus exception (2 illegal address,
 *   3 illegal value, 4 device failure …) or the read-back mismatch.
 * - No answer within `timeoutMs`, the link down, or a gateway that cannot reach the device (exception 10/11):
 *   **no ack** (the engine counts `ack-timeout`, then `asset-lost`), and a link event.
 *
 * ## Link
 * One request at a time (many devices serve one), setpoints before polls. A closed connection or
 * `maxTimeouts` timeouts in a row drop the link; it is re-opened with exponential backoff and the model
 * chain discovered again (a restarted device may have moved). Modbus has no security: on a site network
 * it belongs on a segment only the EMS reaches; the lab binds its server to loopback.
 */
import ModbusRTU from 'modbus-serial';
import type { Clock } from '../../engine/clock.js';
import type { AssetReport, SetpointAck, SetpointCommand } from '../../engine/model.js';
import type { AssetTelemetry, SetpointSink, Unsubscribe } from '../../engine/ports.js';
import type { LinkEvent, LinkEventType } from '../opcua/bess-client.js';
import {
  discoverSunspec,
  encodePoint,
  errorText,
  KNOWN_MODELS,
  MODEL_BATTERY,
  MODEL_COMMON,
  MODEL_DER_AC_CONTROLS,
  MODEL_STORAGE,
  modbusExceptionCode,
  pointValue,
  scaled,
  stringPoint,
  type DiscoveredModel,
  type ModelDef,
  type SunspecMap,
} from './sunspec.js';

export type { LinkEvent, LinkEventType };

export interface SunspecBessConnectorOptions {
  host: string;
  port: number;
  /** Modbus unit (slave) id, 1…247 (0 broadcast and 248–255 reserved). */
  unitId: number;
  /** The engine's id of the BESS. */
  assetId: string;
  clock: Clock;
  /** Telemetry poll period (wall ms). Default 1000. */
  pollMs?: number;
  /** A request's answer timeout (wall ms). Default 1000. */
  timeoutMs?: number;
  /** Longest reversion time written with a setpoint or heartbeat (device s). Default 30. */
  revertS?: number;
  /** Re-arming of the timer for the setpoint in force (EMS-clock ms). Default 5000; 0 disables it. */
  heartbeatPeriodMs?: number;
  /** `auto` (default): 704 when the device has it, else 124. */
  control?: 'auto' | '704' | '124';
  /** Sign of model 802 `W` on this device. Default `discharge-positive`. */
  batteryPowerSign?: 'discharge-positive' | 'charge-positive';
  /** Timeouts in a row after which the link counts as down and is re-opened. Default 3. */
  maxTimeouts?: number;
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  onLinkEvent?: (event: LinkEvent) => void;
}

export type ModbusLinkErrorCode = 'unreachable' | 'not-sunspec' | 'no-battery' | 'no-control' | 'stopped';

export class ModbusLinkError extends Error {
  constructor(
    readonly code: ModbusLinkErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ModbusLinkError';
  }
}

/** What discovery found, as the connection test and the record show it. */
export interface SunspecDeviceInfo {
  baseAddress: number;
  models: DiscoveredModel[];
  manufacturer: string | null;
  model: string | null;
  serialNumber: string | null;
  version: string | null;
  control: '704' | '124';
}

/** Modbus exception codes with which a gateway says it could not reach the device behind it. */
const GATEWAY_UNREACHABLE = new Set([10, 11]);

class TimeoutError extends Error {}

interface Layout {
  info: SunspecDeviceInfo;
  battery: DiscoveredModel | null;
  storage: DiscoveredModel | null;
  controls: DiscoveredModel | null;
  inverter: DiscoveredModel | null;
}

export class SunspecBessConnector implements AssetTelemetry, SetpointSink {
  private readonly o: Required<Omit<SunspecBessConnectorOptions, 'onLinkEvent' | 'reconnect'>> & SunspecBessConnectorOptions;
  private readonly listeners = new Set<(r: AssetReport) => void>();
  private client: ModbusRTU | null = null;
  private layout: Layout | null = null;
  private linkUp = false;
  private stopped = false;
  private timeoutsInARow = 0;
  private pollTimer: NodeJS.Timeout | null = null;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private reconnectDelayMs: number;
  /** Requests wait here: setpoints (urgent) before polls; each with how to fail it when the link drops. */
  private readonly urgent: Array<{ run: () => Promise<void>; fail: (err: Error) => void }> = [];
  private readonly normal: Array<{ run: () => Promise<void>; fail: (err: Error) => void }> = [];
  /** Bumped whenever the link drops or the connector stops: an answer from before must not re-arm anything. */
  private generation = 0;
  /** Setpoint writes one after the other (a loop write and a feed-forward must not interleave their requests). */
  private writeChain: Promise<unknown> = Promise.resolve();
  private busy = false;
  private badValueEpisode = false;
  private cancelHeartbeat: (() => void) | null = null;
  private inForce: SetpointCommand | null = null;

  constructor(opts: SunspecBessConnectorOptions) {
    if (!Number.isInteger(opts.unitId) || opts.unitId < 1 || opts.unitId > 247) throw new RangeError(`Modbus unit id must be 1…247, got ${opts.unitId}`);
    this.o = { pollMs: 1000, timeoutMs: 1000, revertS: 30, heartbeatPeriodMs: 5000, control: 'auto', batteryPowerSign: 'discharge-positive', maxTimeouts: 3, ...opts };
    this.reconnectDelayMs = opts.reconnect?.initialDelayMs ?? 500;
  }

  get endpoint(): string {
    return `${this.o.host}:${this.o.port} unit ${this.o.unitId}`;
  }

  /** What discovery found at the last (re)connection; null before. */
  get device(): SunspecDeviceInfo | null {
    return this.layout?.info ?? null;
  }

  get connected(): boolean {
    return this.linkUp;
  }

  /** Connects and discovers; rejects with a `ModbusLinkError` that says what is missing. */
  async start(): Promise<SunspecDeviceInfo> {
    this.stopped = false;
    this.event('connecting', 'info', `connecting to Modbus/SunSpec ${this.endpoint}`);
    await this.open();
    this.startPolling();
    return this.layout!.info;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.generation++;
    this.stopHeartbeat();
    if (this.pollTimer) clearInterval(this.pollTimer);
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.pollTimer = this.reconnectTimer = null;
    this.linkUp = false;
    const c = this.client;
    this.client = null;
    if (c) await closeClient(c);
    for (const q of [this.urgent, this.normal]) for (const job of q.splice(0)) job.fail(new ModbusLinkError('stopped', `Modbus link to ${this.endpoint} stopped`));
    this.event('stopped', 'info', `Modbus link to ${this.endpoint} closed`);
  }

  subscribe(listener: (report: AssetReport) => void): Unsubscribe {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  // ------------------------------------------------------------------ link

  private async open(): Promise<void> {
    const client = new ModbusRTU();
    try {
      await client.connectTCP(this.o.host, { port: this.o.port, timeout: this.o.timeoutMs });
    } catch (err) {
      throw new ModbusLinkError('unreachable', `Modbus ${this.endpoint}: cannot connect: ${errorText(err)}`);
    }
    if (this.stopped) {
      await closeClient(client);
      throw new ModbusLinkError('stopped', `Modbus link to ${this.endpoint} stopped while connecting`);
    }
    client.setID(this.o.unitId);
    client.setTimeout(this.o.timeoutMs);
    this.client = client;
    client.on('close', () => {
      if (this.client === client) this.linkDown('the device closed the connection');
    });
    client.on('error', () => undefined); // 'close' follows and says it
    try {
      this.layout = await this.discover();
    } catch (err) {
      this.client = null;
      await closeClient(client);
      if (err instanceof ModbusLinkError) throw err;
      if (err instanceof TimeoutError) throw new ModbusLinkError('unreachable', `Modbus ${this.endpoint}: no answer within ${this.o.timeoutMs} ms (is unit id ${this.o.unitId} right?)`);
      throw new ModbusLinkError('not-sunspec', `Modbus ${this.endpoint}: ${errorText(err)}`);
    }
    if (this.stopped) {
      this.client = null;
      await closeClient(client);
      throw new ModbusLinkError('stopped', `Modbus link to ${this.endpoint} stopped while connecting`);
    }
    this.linkUp = true;
    this.timeoutsInARow = 0;
    this.reconnectDelayMs = this.o.reconnect?.initialDelayMs ?? 500;
    const i = this.layout.info;
    this.event('connected', 'info', `connected to ${[i.manufacturer, i.model].filter(Boolean).join(' ') || 'a SunSpec device'} at ${this.endpoint}: models ${i.models.map((m) => m.id).join(', ')}; setpoints via model ${i.control}`, {
      models: i.models.map((m) => m.id),
    });
  }

  private async discover(): Promise<Layout> {
    const map: SunspecMap = await discoverSunspec((address, count) => this.request(() => this.client!.readHoldingRegisters(address, count).then((r) => r.data)));
    const find = (...ids: number[]) => map.models.find((m) => ids.includes(m.id)) ?? null;
    const common = find(1)!;
    const commonRegs = await this.readModel(common, MODEL_COMMON);
    const battery = find(802);
    const storage = find(124);
    const controls = find(704);
    const inverter = find(101, 102, 103, 111, 112, 113);
    if (!battery && !(storage && inverter)) throw new ModbusLinkError('no-battery', `Modbus ${this.endpoint}: the device has no battery model (802), nor storage controls (124) with an inverter model; models found: ${map.models.map((m) => m.id).join(', ')}`);
    const want = this.o.control;
    const control: '704' | '124' | null = want === '704' ? (controls ? '704' : null) : want === '124' ? (storage ? '124' : null) : controls ? '704' : storage ? '124' : null;
    if (!control) throw new ModbusLinkError('no-control', `Modbus ${this.endpoint}: no model to write a power setpoint (${want === 'auto' ? '704 or 124' : want}); models found: ${map.models.map((m) => m.id).join(', ')}`);
    return {
      info: {
        baseAddress: map.baseAddress,
        models: map.models,
        manufacturer: stringPoint(MODEL_COMMON, commonRegs, 'Mn'),
        model: stringPoint(MODEL_COMMON, commonRegs, 'Md'),
        serialNumber: stringPoint(MODEL_COMMON, commonRegs, 'SN'),
        version: stringPoint(MODEL_COMMON, commonRegs, 'Vr'),
        control,
      },
      battery,
      storage,
      controls,
      inverter,
    };
  }

  private linkDown(why: string): void {
    if (!this.linkUp && !this.client) return;
    const wasUp = this.linkUp;
    this.linkUp = false;
    this.stopHeartbeat();
    this.generation++;
    const c = this.client;
    this.client = null;
    if (c) void closeClient(c);
    // Queued requests fail now (a poll waiting behind them would otherwise never finish).
    const dropped = new ModbusLinkError('unreachable', `Modbus link to ${this.endpoint} lost: ${why}`);
    for (const q of [this.urgent, this.normal]) for (const job of q.splice(0)) job.fail(dropped);
    if (wasUp) this.event('disconnected', 'error', `Modbus link to ${this.endpoint} lost: ${why}`);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped || this.reconnectTimer) return;
    const delay = this.reconnectDelayMs;
    this.reconnectDelayMs = Math.min(this.o.reconnect?.maxDelayMs ?? 10_000, delay * 2);
    this.event('reconnecting', 'info', `reconnecting to ${this.endpoint} in ${delay} ms`);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.stopped) return;
      this.open().then(
        () => this.event('restored', 'info', `Modbus link to ${this.endpoint} restored; telemetry resumes`),
        (err: unknown) => {
          this.event('error', 'warning', (err as Error).message);
          this.scheduleReconnect();
        },
      );
    }, delay);
    this.reconnectTimer.unref?.();
  }

  /** Runs one Modbus request in the queue, with the answer timeout; a timeout counts towards `maxTimeouts`. */
  private request<T>(fn: () => Promise<T>, urgent = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const job = async () => {
        if (!this.client) return reject(new ModbusLinkError('unreachable', `Modbus link to ${this.endpoint} is down`));
        try {
          const v = await fn();
          this.timeoutsInARow = 0;
          resolve(v);
        } catch (err) {
          const e = err as { errno?: string; message?: string };
          if (e.errno === 'ETIMEDOUT' || e.message === 'Timed out') {
            this.timeoutsInARow++;
            if (this.timeoutsInARow >= this.o.maxTimeouts && this.linkUp) this.linkDown(`${this.timeoutsInARow} requests in a row without answer within ${this.o.timeoutMs} ms`);
            reject(new TimeoutError(`no answer within ${this.o.timeoutMs} ms`));
          } else if (modbusExceptionCode(err) === null && (/not open/i.test(e.message ?? '') || this.client?.isOpen === false)) {
            // The socket closed under the request (modbus-serial does not always emit 'close' for it).
            if (this.linkUp) this.linkDown('the connection was closed');
            reject(new ModbusLinkError('unreachable', `Modbus link to ${this.endpoint} is down`));
          } else reject(err);
        }
      };
      (urgent ? this.urgent : this.normal).push({ run: job, fail: reject });
      void this.pump();
    });
  }

  private async pump(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      for (;;) {
        const job = this.urgent.shift() ?? this.normal.shift();
        if (!job) break;
        await job.run();
      }
    } finally {
      this.busy = false;
    }
  }

  private readModel(m: DiscoveredModel, def: ModelDef, urgent = false): Promise<number[]> {
    // Only as far as the EMS's table reaches (≤ 125 registers), never past the device's own length.
    const count = Math.min(m.length, def.length, 125);
    return this.request(() => this.client!.readHoldingRegisters(m.address + 2, count).then((r) => r.data), urgent);
  }

  private writeRegisters(address: number, values: number[], urgent = true): Promise<unknown> {
    return this.request(() => this.client!.writeRegisters(address, values), urgent);
  }

  // ------------------------------------------------------------------ telemetry

  private startPolling(): void {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = setInterval(() => void this.poll(), this.o.pollMs);
    this.pollTimer.unref?.();
    void this.poll();
  }

  private polling = false;

  private async poll(): Promise<void> {
    if (this.polling || !this.linkUp) return;
    this.polling = true;
    try {
      const sampleMs = this.o.clock.nowMs();
      const m = await this.measure(false);
      if (!m) return;
      const report: AssetReport = { assetId: this.o.assetId, sampleMs, arrivalMs: this.o.clock.nowMs(), powerKw: m.powerKw };
      if (m.socPct !== null) report.socPct = m.socPct;
      for (const l of this.listeners) l(report);
    } catch (err) {
      if (err instanceof TimeoutError) this.event('bad-value', 'warning', `telemetry poll of ${this.endpoint}: ${err.message}`);
      else if (!(err instanceof ModbusLinkError)) this.event('error', 'warning', `telemetry poll of ${this.endpoint}: ${errorText(err)}`);
    } finally {
      this.polling = false;
    }
  }

  /** Power (kW, load frame) and SoC now; null (with a `bad-value` event) when the device reports them as not implemented. */
  private async measure(urgent: boolean): Promise<{ powerKw: number; socPct: number | null } | null> {
    const l = this.layout!;
    let powerKw: number | null = null;
    let socPct: number | null = null;
    if (l.battery) {
      const regs = await this.readModel(l.battery, MODEL_BATTERY, urgent);
      const w = pointValue(MODEL_BATTERY, regs, 'W');
      socPct = pointValue(MODEL_BATTERY, regs, 'SoC');
      if (w !== null) powerKw = this.o.batteryPowerSign === 'discharge-positive' ? -w / 1000 : w / 1000;
    }
    if (powerKw === null && l.inverter) {
      const def = KNOWN_MODELS.get(l.inverter.id)!;
      const w = pointValue(def, await this.readModel(l.inverter, def, urgent), 'W');
      if (w !== null) powerKw = -w / 1000;
    }
    if (socPct === null && l.storage) socPct = pointValue(MODEL_STORAGE, await this.readModel(l.storage, MODEL_STORAGE, urgent), 'ChaState');
    if (powerKw === 0) powerKw = 0; // no −0 from the generator-frame flip
    if (powerKw === null) {
      if (!this.badValueEpisode) {
        this.badValueEpisode = true;
        this.event('bad-value', 'warning', `${this.endpoint}: the device reports no active power (not implemented / missing scale factor); no report until it does`);
      }
      return null;
    }
    if (this.badValueEpisode) {
      this.badValueEpisode = false;
      this.event('value-restored', 'info', 'telemetry values are good again');
    }
    return { powerKw, socPct };
  }

  /** One reading of power (kW, EMS frame) and SoC now, outside the poll (the console's connection test). */
  async readNow(): Promise<{ powerKw: number; socPct: number | null } | null> {
    if (!this.linkUp) throw new ModbusLinkError('unreachable', `Modbus link to ${this.endpoint} is down`);
    return this.measure(true);
  }

  // ------------------------------------------------------------------ setpoints

  write(command: SetpointCommand, onAck: (ack: SetpointAck) => void): void {
    const clock = this.o.clock;
    const nack = (error: string) => onAck({ commandId: command.commandId, assetId: command.assetId, ackMs: clock.nowMs(), ok: false, error });
    if (command.assetId !== this.o.assetId) return nack(`this Modbus link serves ${this.o.assetId}, not ${command.assetId}`);
    if (command.powerKw !== null && !Number.isFinite(command.powerKw)) return nack(`setpoint must be a finite number of kW, got ${command.powerKw}`);
    if (command.expiresMs <= clock.nowMs()) return nack(`command ${command.commandId} expired before it could be sent`);
    if (!this.linkUp || !this.layout) {
      this.event('write-not-sent', 'warning', `setpoint ${command.commandId} (${command.powerKw} kW) not sent: Modbus link to ${this.endpoint} is down; no acknowledgement given`, { commandId: command.commandId });
      return;
    }
    // A newer command supersedes the one in force: its heartbeat must not keep the old one alive meanwhile.
    this.stopHeartbeat();
    const generation = this.generation;
    const sent = this.writeChain.then(() => this.sendSetpoint(command));
    this.writeChain = sent.catch(() => undefined);
    sent.then(
      (ack) => {
        // Only an answer from this link, still up, may arm the heartbeat.
        if (ack.ok && command.powerKw !== null && generation === this.generation && !this.stopped) this.startHeartbeat(command);
        onAck(ack);
      },
      (err: unknown) => {
        const code = modbusExceptionCode(err);
        if (code !== null && !GATEWAY_UNREACHABLE.has(code)) return nack(`${errorText(err)} writing the setpoint`);
        const type: LinkEventType = code !== null ? 'device-unreachable' : err instanceof TimeoutError ? 'write-timeout' : 'write-not-sent';
        this.event(type, 'warning', `setpoint ${command.commandId} (${command.powerKw} kW): ${errorText(err)}; no acknowledgement given`, { commandId: command.commandId });
      },
    );
  }

  private revertSFor(command: SetpointCommand): number {
    const leftS = (command.expiresMs - this.o.clock.nowMs()) / 1000;
    return Math.floor(Math.min(this.o.revertS, leftS));
  }

  private async sendSetpoint(command: SetpointCommand): Promise<SetpointAck> {
    const l = this.layout!;
    const base = { commandId: command.commandId, assetId: command.assetId };
    const revertS = this.revertSFor(command);
    if (!(revertS >= 1)) return { ...base, ackMs: this.o.clock.nowMs(), ok: false, error: `command ${command.commandId} expires within a second: not sent` };
    const held = l.info.control === '704' ? await this.write704(l.controls!, command.powerKw, revertS) : await this.write124(l, command.powerKw, revertS);
    const m = await this.measure(true).catch(() => null);
    const ackMs = this.o.clock.nowMs();
    if (command.powerKw === null) {
      if (held !== null) return { ...base, ackMs, ok: false, error: `read-back mismatch: released the battery, the device still holds ${held} kW` };
    } else {
      // Half the device's resolution (WSet_SF, or 0.1 % of WChaMax for the rates), plus a watt.
      const toleranceKw = l.info.control === '704' ? (0.5 * 10 ** this.lastWsetSf + 1) / 1000 + 1e-5 * Math.abs(command.powerKw) : 0.005 * (this.wChaMaxKw ?? 0) + 0.001;
      if (held === null || !(Math.abs(held - command.powerKw) <= toleranceKw)) {
        return { ...base, ackMs, ok: false, error: `read-back mismatch: wrote ${command.powerKw} kW, the device holds ${held === null ? 'no setpoint' : `${held} kW`}` };
      }
    }
    const ack: SetpointAck = { ...base, ackMs, ok: true };
    if (m) ack.readBack = { powerKw: m.powerKw, sampleMs: ackMs, ...(m.socPct !== null ? { socPct: m.socPct } : {}) };
    return ack;
  }

  /** Writes a 704 setpoint and its timer; returns what the device then holds (kW, load frame) or null when released. */
  private async write704(m: DiscoveredModel, powerKw: number | null, revertS: number): Promise<number | null> {
    const P = MODEL_DER_AC_CONTROLS.points;
    const at = (name: keyof typeof P) => m.address + 2 + P[name]!.offset;
    const regs = await this.readModel(m, MODEL_DER_AC_CONTROLS, true);
    if (powerKw === null) {
      await this.writeRegisters(at('WSetEna'), [0]);
    } else {
      const sf = this.wsetSf(regs);
      const raw = scaled(-powerKw * 1000, sf);
      // One request from WSetEna to WSetRvrtTms: the setpoint never reaches the device without its timer.
      // The points between (WSetRvrt, WSetPct, WSetPctRvrt) are written back as the device holds them.
      const from = P['WSetEna']!.offset;
      const block = regs.slice(from, P['WSetRvrtTms']!.offset + 2);
      const put = (name: string, words: number[]) => words.forEach((w, i) => (block[P[name]!.offset - from + i] = w));
      put('WSetEna', [1]);
      put('WSetMod', [2]);
      put('WSet', encodePoint(P['WSet']!, raw));
      put('WSetRvrtEna', [1]);
      put('WSetRvrtTms', encodePoint(P['WSetRvrtTms']!, revertS));
      await this.writeRegisters(at('WSetEna'), block);
    }
    const after = await this.readModel(m, MODEL_DER_AC_CONTROLS, true);
    if (pointValue(MODEL_DER_AC_CONTROLS, after, 'WSetEna') !== 1) return null;
    const w = pointValue(MODEL_DER_AC_CONTROLS, after, 'WSet');
    return w === null ? null : -w / 1000;
  }

  /** `WSet_SF` of model 704 as the device gives it (0 when it gives none). */
  private wsetSf(regs: readonly number[]): number {
    const raw = regs[MODEL_DER_AC_CONTROLS.points['WSet_SF']!.offset] ?? 0x8000;
    this.lastWsetSf = raw === 0x8000 ? 0 : (raw << 16) >> 16;
    return this.lastWsetSf;
  }

  private lastWsetSf = 0;

  /** `WChaMax` of model 124 (kW) as last read: the resolution of a rate setpoint. */
  private wChaMaxKw: number | null = null;

  /** Writes a 124 setpoint (rates in % of `WChaMax`) and its timer; returns what the device then holds. */
  private async write124(l: Layout, powerKw: number | null, revertS: number): Promise<number | null> {
    const m = l.storage!;
    const P = MODEL_STORAGE.points;
    const at = (name: string) => m.address + 2 + P[name]!.offset;
    const regs = await this.readModel(m, MODEL_STORAGE, true);
    const wChaMaxW = pointValue(MODEL_STORAGE, regs, 'WChaMax');
    if (wChaMaxW === null || !(wChaMaxW > 0)) throw Object.assign(new Error('model 124 gives no WChaMax: rates cannot be computed'), { modbusCode: 3 });
    this.wChaMaxKw = wChaMaxW / 1000;
    if (powerKw === null) {
      await this.writeRegisters(at('StorCtl_Mod'), [0]);
    } else {
      const sfRaw = regs[P['InOutWRte_SF']!.offset]!;
      const sf = sfRaw === 0x8000 ? 0 : (sfRaw << 16) >> 16;
      const pct = (Math.abs(powerKw) * 1000 * 100) / wChaMaxW;
      const rate = scaled(Math.min(100, pct), sf);
      const [outW, inW] = powerKw >= 0 ? [-rate, rate] : [rate, -rate];
      // Rates and their timer in one request, then the mode that puts them in force: never a rate without a timer.
      const winTms = regs[P['InOutWRte_WinTms']!.offset] ?? 0;
      await this.writeRegisters(at('OutWRte'), [...encodePoint(P['OutWRte']!, outW), ...encodePoint(P['InWRte']!, inW), winTms, ...encodePoint(P['InOutWRte_RvrtTms']!, Math.min(0xfffe, revertS))]);
      await this.writeRegisters(at('StorCtl_Mod'), [3]);
    }
    const after = await this.readModel(m, MODEL_STORAGE, true);
    if ((pointValue(MODEL_STORAGE, after, 'StorCtl_Mod') ?? 0) === 0) return null;
    const inPct = pointValue(MODEL_STORAGE, after, 'InWRte');
    const outPct = pointValue(MODEL_STORAGE, after, 'OutWRte');
    if (inPct === null || outPct === null) return null;
    // Charging: InWRte = +x, OutWRte = −x; discharging the other way round.
    return inPct >= 0 ? (inPct / 100) * (wChaMaxW / 1000) : -(outPct / 100) * (wChaMaxW / 1000);
  }

  // ------------------------------------------------------------------ heartbeat

  private startHeartbeat(command: SetpointCommand): void {
    this.stopHeartbeat();
    this.inForce = command;
    if (this.o.heartbeatPeriodMs <= 0) return;
    const beat = () => {
      const c = this.inForce;
      if (!c || !this.linkUp || !this.layout) return;
      const revertS = this.revertSFor(c);
      if (revertS < 1) return; // its expiry is near: let the device revert
      const l = this.layout;
      const write =
        l.info.control === '704'
          ? this.writeRegisters(l.controls!.address + 2 + MODEL_DER_AC_CONTROLS.points['WSetRvrtEna']!.offset, [1, ...encodePoint(MODEL_DER_AC_CONTROLS.points['WSetRvrtTms']!, revertS)])
          : this.writeRegisters(l.storage!.address + 2 + MODEL_STORAGE.points['InOutWRte_RvrtTms']!.offset, [Math.min(0xfffe, revertS)]);
      write.catch((err: unknown) => this.event('heartbeat-refused', 'warning', `re-arming the reversion timer of ${c.commandId}: ${errorText(err)}`, { commandId: c.commandId }));
      this.cancelHeartbeat = this.o.clock.schedule(this.o.clock.nowMs() + this.o.heartbeatPeriodMs, beat);
    };
    this.cancelHeartbeat = this.o.clock.schedule(this.o.clock.nowMs() + this.o.heartbeatPeriodMs, beat);
  }

  private stopHeartbeat(): void {
    this.cancelHeartbeat?.();
    this.cancelHeartbeat = null;
    this.inForce = null;
  }

  private event(type: LinkEventType, level: LinkEvent['level'], message: string, data?: Record<string, unknown>): void {
    this.o.onLinkEvent?.({ timeMs: this.o.clock.nowMs(), type, level, message, ...(data ? { data } : {}) });
  }
}

/**
 * Closes a modbus-serial client without waiting forever: its `close` calls back only on a socket event,
 * and a socket that is already closed (a reset by the device) emits none.
 */
function closeClient(c: ModbusRTU): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = setTimeout(resolve, 500);
    done.unref?.();
    try {
      if (c.isOpen) c.close(() => (clearTimeout(done), resolve()));
      else {
        c.destroy(() => undefined);
        clearTimeout(done);
        resolve();
      }
    } catch {
      clearTimeout(done);
      resolve();
    }
  });
}
