/**
 * The lab rig's Modbus TCP server for the community BESS: the simulated battery as a SunSpec device, so the
 * EMS's Modbus connector (and any SunSpec client, e.g. pymodbus in the tests) can drive it over the wire.
 *
 * ## Register map (holding registers, base 40000)
 * `SunS`, model 1 (common: "LFC lab rig", "simulated BESS"), 802 (battery: `SoC` with `SoC_SF` −1, `W` with
 * `W_SF` 1, generator frame: positive = discharging), 704 (DER AC controls: `WSetEna`, `WSetMod`, `WSet`
 * with `WSet_SF` 0, the reversion points), optionally 124 (basic storage controls, `models: ['704', '124']`),
 * then the end marker. Everything not listed holds its type's "not implemented" value.
 *
 * ## Behaviour
 * - Writing `WSetEna`/`WSetMod`/`WSet` with `WSetEna` = 1 and `WSetMod` = 2 applies `WSet` (W, generator
 *   frame) to the device until now + `WSetRvrtTms` (device clock) when `WSetRvrtEna` = 1; writing
 *   `WSetRvrtTms` re-arms that expiry for the setpoint in force. When it passes, the device reverts: to
 *   `WSetRvrt` if it is set, else to its default behaviour (the plant's own). `WSetEna` = 0 releases.
 * - Model 124: `StorCtl_Mod` = 3 with `InWRte`/`OutWRte` (% of `WChaMax`, one forced negative) applies a
 *   charge or discharge power; `InOutWRte_RvrtTms` is its timer; `StorCtl_Mod` = 0 releases.
 * - A refused value (the device's own limits) is exception 3 (illegal data value), a write outside the
 *   writable points exception 2 (illegal data address), a device in local mode (`rejectWrites`) exception 4
 *   (server device failure). Requests for another unit id are not answered at all (as a TCP gateway with
 *   nobody at that address).
 * - Faults for tests: `silent` (no answers), `illegalAddress` (exception 2 to everything), `slowMs` (answers late), `nanValues` (power and SoC "not
 *   implemented"), `rejectWrites`, and `dropConnections()` (the TCP connections are cut).
 *
 * ## Security
 * Modbus has none: the server binds 127.0.0.1 unless told otherwise, and says so on its start line.
 */
import { createServer, type AddressInfo } from 'node:net';
import { ServerTCP } from 'modbus-serial';
import { encodePoint, KNOWN_MODELS, MODEL_BATTERY, MODEL_COMMON, MODEL_DER_AC_CONTROLS, MODEL_STORAGE, pointSize, pointValue, rawPoint, scaled, SUNS_MARKER, SUNSPEC_END_ID, type ModelDef } from '../../connectors/modbus/sunspec.js';
import type { BessDevice } from '../opcua/bess-server.js';

export interface SunspecServerFaults {
  silent: boolean;
  /** Every request answered with exception 2 (illegal data address), as a device whose map changed. */
  illegalAddress: boolean;
  slowMs: number;
  nanValues: boolean;
  rejectWrites: boolean;
}

export interface SunspecServerOptions {
  device: BessDevice;
  /** Rated power of the battery (kW): `WChaMax` of 124. */
  ratedKw: number;
  /** 0 (default): a free port. */
  port?: number;
  host?: string;
  unitId?: number;
  /** Control models served besides 1 and 802. Default ['704']. */
  models?: Array<'704' | '124'>;
  baseAddress?: number;
}

export interface SunspecServer {
  host: string;
  port: number;
  unitId: number;
  /** `modbus-tcp://host:port/unitId` as printed. */
  endpoint: string;
  /** Address of each model's `ID` register, by model id. */
  modelAddress: ReadonlyMap<number, number>;
  setFault(f: Partial<SunspecServerFaults>): void;
  /** Cuts every open TCP connection (the server keeps listening). */
  dropConnections(): void;
  stop(): Promise<void>;
}

const modbusError = (code: number, message: string) => Object.assign(new Error(message), { modbusErrorCode: code });

const FAR_FUTURE_MS = 10 * 365 * 86_400_000;

/** A free TCP port on `host` (modbus-serial's server takes port 0 as "the default 502"). */
async function freePort(host: string): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(0, host, () => resolve());
  });
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export async function startSunspecServer(opts: SunspecServerOptions): Promise<SunspecServer> {
  const host = opts.host ?? '127.0.0.1';
  const unitId = opts.unitId ?? 1;
  const base = opts.baseAddress ?? 40000;
  const served: ModelDef[] = [MODEL_COMMON, MODEL_BATTERY, ...(opts.models ?? ['704']).map((m) => (m === '704' ? MODEL_DER_AC_CONTROLS : MODEL_STORAGE))];
  const size = 2 + served.reduce((n, m) => n + 2 + m.length, 0) + 2;
  const regs = new Array<number>(size).fill(0);
  const modelAddress = new Map<number, number>();
  regs[0] = SUNS_MARKER[0];
  regs[1] = SUNS_MARKER[1];
  let at = 2;
  for (const m of served) {
    modelAddress.set(m.id, base + at);
    regs[at] = m.id;
    regs[at + 1] = m.length;
    // Every point "not implemented" until set; registers between points (pads, groups) stay 0.
    for (const def of Object.values(m.points)) encodePoint(def, null).forEach((v, i) => (regs[at + 2 + def.offset + i] = v));
    at += 2 + m.length;
  }
  regs[at] = SUNSPEC_END_ID;
  regs[at + 1] = 0;

  const start = (id: number) => modelAddress.get(id)! - base + 2;
  const set = (m: ModelDef, name: string, value: number | string | null) => encodePoint(m.points[name]!, value).forEach((v, i) => (regs[start(m.id) + m.points[name]!.offset + i] = v));
  const get = (m: ModelDef, name: string) => {
    const s = start(m.id);
    return rawPoint(regs.slice(s, s + m.length), m.points[name]!);
  };
  set(MODEL_COMMON, 'Mn', 'LFC lab rig');
  set(MODEL_COMMON, 'Md', 'simulated community BESS');
  set(MODEL_COMMON, 'Vr', '1');
  set(MODEL_COMMON, 'SN', 'LAB-0001');
  set(MODEL_COMMON, 'DA', unitId);
  set(MODEL_BATTERY, 'SoC_SF', -1);
  set(MODEL_BATTERY, 'W_SF', 1);
  const has704 = modelAddress.has(704);
  const has124 = modelAddress.has(124);
  if (has704) {
    const m = MODEL_DER_AC_CONTROLS;
    set(m, 'WSetEna', 0);
    set(m, 'WSetMod', 2);
    set(m, 'WSet', 0);
    set(m, 'WSetRvrtEna', 0);
    set(m, 'WSetRvrtTms', 0);
    set(m, 'WSetRvrtRem', 0);
    set(m, 'WSet_SF', 0);
    set(m, 'WSetPct_SF', 0);
  }
  if (has124) {
    const m = MODEL_STORAGE;
    set(m, 'WChaMax_SF', 1);
    set(m, 'WChaMax', scaled(opts.ratedKw * 1000, 1));
    set(m, 'StorCtl_Mod', 0);
    set(m, 'InWRte', 0);
    set(m, 'OutWRte', 0);
    set(m, 'InOutWRte_RvrtTms', 0);
    set(m, 'InOutWRte_SF', -1);
    set(m, 'ChaState_SF', -1);
    set(m, 'MinRsvPct_SF', 0);
  }

  const faults: SunspecServerFaults = { silent: false, illegalAddress: false, slowMs: 0, nanValues: false, rejectWrites: false };
  const device = opts.device;
  /** Expiry (device clock) of the setpoint this server applied, for `WSetRvrtRem` and re-arming. */
  let expiresMs: number | null = null;
  let appliedKw: number | null = null;

  const refresh = () => {
    const d = device.read();
    const now = device.nowMs();
    if (expiresMs !== null && now >= expiresMs) {
      // The device reverted by itself (the plant enforces the expiry); the registers say so.
      expiresMs = null;
      appliedKw = null;
      if (has704) set(MODEL_DER_AC_CONTROLS, 'WSetEna', 0);
      if (has124) set(MODEL_STORAGE, 'StorCtl_Mod', 0);
    }
    const nan = faults.nanValues || !Number.isFinite(d.powerKw) || !Number.isFinite(d.socPct);
    set(MODEL_BATTERY, 'W', nan ? null : scaled(-d.powerKw * 1000, 1));
    set(MODEL_BATTERY, 'SoC', nan ? null : scaled(d.socPct, -1));
    if (has124) set(MODEL_STORAGE, 'ChaState', nan ? null : scaled(d.socPct, -1));
    const remS = expiresMs === null ? 0 : Math.max(0, Math.ceil((expiresMs - now) / 1000));
    if (has704) set(MODEL_DER_AC_CONTROLS, 'WSetRvrtRem', remS);
  };

  const apply = (kw: number | null, timerS: number | null, heartbeat: boolean) => {
    if (faults.rejectWrites) throw modbusError(4, 'battery in local mode');
    const now = device.nowMs();
    const until = kw === null ? now : timerS !== null && timerS > 0 ? now + timerS * 1000 : now + FAR_FUTURE_MS;
    const r = device.write(kw, until, { commandId: null, heartbeat });
    if (!r.ok) throw modbusError(3, r.error);
    appliedKw = kw;
    expiresMs = kw === null ? null : until;
  };

  /** Whether a write of `len` registers at `addr` (relative to `base`) touches any of the named points of model `m`. */
  const touches = (m: ModelDef, addr: number, len: number, ...names: string[]) =>
    names.some((name) => {
      const def = m.points[name]!;
      const a = start(m.id) + def.offset;
      return addr < a + pointSize(def) && addr + len > a;
    });

  /** The points a client may write (register index ranges, relative to `base`). */
  const writable: Array<[number, number]> = [];
  if (has704) writable.push([start(704) + 20, start(704) + 33]); // WSetEna … WSetRvrtTms
  if (has124) writable.push([start(124) + 3, start(124) + 4], [start(124) + 10, start(124) + 14]); // StorCtl_Mod; OutWRte … InOutWRte_RvrtTms

  const writeRegs = (address: number, values: number[]) => {
    const rel = address - base;
    const end = rel + values.length;
    if (!writable.some(([a, b]) => rel >= a && end <= b)) throw modbusError(2, `registers ${address}…${address + values.length - 1} are not writable`);
    const before = regs.slice();
    values.forEach((v, i) => (regs[rel + i] = v & 0xffff));
    try {
      if (has704 && touches(MODEL_DER_AC_CONTROLS, rel, values.length, 'WSetEna', 'WSetMod', 'WSet')) {
        const m = MODEL_DER_AC_CONTROLS;
        const ena = get(m, 'WSetEna');
        const timer = get(m, 'WSetRvrtEna') === 1 ? (get(m, 'WSetRvrtTms') as number | null) : null;
        if (ena === 0) apply(null, null, false);
        else if (ena === 1) {
          if (get(m, 'WSetMod') !== 2) throw modbusError(3, 'only WSetMod 2 (watts) is supported');
          const w = get(m, 'WSet');
          if (typeof w !== 'number') throw modbusError(3, 'WSet is not set');
          apply(-w / 1000, timer, false);
        } else throw modbusError(3, `WSetEna must be 0 or 1, got ${String(ena)}`);
      } else if (has704 && touches(MODEL_DER_AC_CONTROLS, rel, values.length, 'WSetRvrtTms')) {
        const m = MODEL_DER_AC_CONTROLS;
        const t = get(m, 'WSetRvrtTms') as number | null;
        if (get(m, 'WSetRvrtEna') === 1 && appliedKw !== null && t !== null) apply(appliedKw, t, true);
      }
      if (has124 && touches(MODEL_STORAGE, rel, values.length, 'StorCtl_Mod', 'InWRte', 'OutWRte')) {
        const m = MODEL_STORAGE;
        const mod = get(m, 'StorCtl_Mod');
        const t = get(m, 'InOutWRte_RvrtTms') as number | null;
        if (mod === 0) apply(null, null, false);
        else if (mod === 3) {
          const s124 = start(124);
          const inPct = pointValue(m, regs.slice(s124, s124 + m.length), 'InWRte') ?? 0;
          const outPct = pointValue(m, regs.slice(s124, s124 + m.length), 'OutWRte') ?? 0;
          const kw = inPct >= 0 ? (inPct / 100) * opts.ratedKw : -(outPct / 100) * opts.ratedKw;
          apply(kw, t, false);
        } else if (mod !== null) throw modbusError(3, `StorCtl_Mod ${mod} is not supported (0 or 3)`);
      } else if (has124 && touches(MODEL_STORAGE, rel, values.length, 'InOutWRte_RvrtTms')) {
        const t = get(MODEL_STORAGE, 'InOutWRte_RvrtTms') as number | null;
        if (get(MODEL_STORAGE, 'StorCtl_Mod') === 3 && appliedKw !== null && t !== null) apply(appliedKw, t, true);
      }
    } catch (err) {
      // A refused write leaves the registers as they were.
      before.forEach((v, i) => (regs[i] = v));
      throw err;
    }
  };

  type Cb<T> = (err: Error | null, v: T) => void;
  const answer = <T>(cb: Cb<T>, fn: () => T) => {
    if (faults.silent) return;
    const run = () => {
      try {
        if (faults.illegalAddress) throw modbusError(2, 'the device has no such registers (any more)');
        cb(null, fn());
      } catch (err) {
        cb(err as Error, undefined as T);
      }
    };
    if (faults.slowMs > 0) setTimeout(run, faults.slowMs);
    else run();
  };
  const read = (addr: number, len: number): number[] => {
    const rel = addr - base;
    if (rel < 0 || rel + len > size) throw modbusError(2, `registers ${addr}…${addr + len - 1} are outside the SunSpec map`);
    refresh();
    return regs.slice(rel, rel + len);
  };
  const vector = {
    getHoldingRegister: (addr: number, _unit: number, cb: Cb<number>) => answer(cb, () => read(addr, 1)[0]!),
    getMultipleHoldingRegisters: (addr: number, len: number, _unit: number, cb: Cb<number[]>) => answer(cb, () => read(addr, len)),
    setRegister: (addr: number, value: number, _unit: number, cb: Cb<void>) => answer(cb, () => writeRegs(addr, [value])),
    setRegisterArray: (addr: number, values: number[], _unit: number, cb: Cb<void>) => answer(cb, () => writeRegs(addr, values)),
  };

  let server: ServerTCP | null = null;
  let port = opts.port ?? 0;
  for (let attempt = 0; ; attempt++) {
    const p = port || (await freePort(host));
    const s = new ServerTCP(vector, { host, port: p, unitID: unitId });
    const ok = await new Promise<boolean>((resolve, reject) => {
      s.once('initialized', () => resolve(true));
      s.once('serverError', (err: NodeJS.ErrnoException) => (err.code === 'EADDRINUSE' && !port && attempt < 5 ? resolve(false) : reject(err)));
    });
    if (ok) {
      server = s;
      port = p;
      break;
    }
    await new Promise<void>((r) => s.close(() => r()));
  }
  server.on('socketError', () => undefined);
  server.on('error', () => undefined);

  return {
    host,
    port,
    unitId,
    endpoint: `modbus-tcp://${host}:${port}/${unitId}`,
    modelAddress,
    setFault: (f) => Object.assign(faults, f),
    dropConnections: () => {
      for (const sock of server!.socks.keys()) sock.destroy();
    },
    stop: () => new Promise<void>((r) => server!.close(() => r())),
  };
}

/** Models this server can serve, for messages. */
export const SERVED_MODEL_NAMES = [1, 802, 704, 124].map((id) => `${id} ${KNOWN_MODELS.get(id)!.name}`);
