/**
 * The SunSpec information models as the EMS uses them over Modbus: discovery of the model chain, the points
 * it reads and writes, their encoding, scale factors and "not implemented" values. Pure (no I/O): the
 * connector (`sunspec-bess-client.ts`) and the lab rig's server (`lab/modbus/sunspec-server.ts`) share it,
 * so both ends agree on every offset by construction, and the independent peer in the tests (pymodbus with a
 * register map written from the SunSpec model definitions) checks that this agreement is SunSpec's.
 *
 * ## Layout
 * A SunSpec device holds `"SunS"` (0x5375 0x6e53) at one of the base addresses 40000, 0 or 50000 (holding
 * registers, 0-based PDU addresses), then models one after the other: `ID`, `L` (length after these two
 * registers), `L` registers of points; the chain ends with `ID` 0xFFFF. Offsets below are counted from the
 * first register after `ID` and `L`, as in the SunSpec model definitions (json/model_<id>.json).
 *
 * ## Values
 * Integers are big-endian, 32-bit values high word first. A point with a scale factor (`sunssf`, an int16
 * exponent in −10…10) is `value × 10^sf`. A point that holds its type's "not implemented" value (int16
 * 0x8000, uint16/enum16/bitfield16 0xFFFF, int32 0x80000000, uint32 0xFFFFFFFF, a NaN float32, a string of
 * NUL) is **missing**, never 0: a battery that does not report its state of charge has no state of charge,
 * not an empty one. A missing scale factor makes its points missing too.
 */

export const SUNS_MARKER = [0x5375, 0x6e53] as const;
/** Where devices put the marker, in the order SunSpec asks a client to try them. */
export const SUNSPEC_BASE_ADDRESSES = [40000, 0, 50000] as const;
export const SUNSPEC_END_ID = 0xffff;
/** Modbus reads at most 125 registers at a time. */
export const MAX_READ_REGISTERS = 125;

export type PointType = 'int16' | 'uint16' | 'enum16' | 'bitfield16' | 'sunssf' | 'int32' | 'uint32' | 'float32' | 'string';

export interface PointDef {
  offset: number;
  type: PointType;
  /** Registers (strings only; the others follow from the type). */
  size?: number;
  /** The name of the scale-factor point of the same model. */
  sf?: string;
}

export interface ModelDef {
  id: number;
  name: string;
  /** Length `L` the model definition gives (a device may serve a longer one; points beyond its `L` are missing). */
  length: number;
  points: Record<string, PointDef>;
}

const p = (offset: number, type: PointType, sf?: string, size?: number): PointDef => ({ offset, type, ...(sf ? { sf } : {}), ...(size ? { size } : {}) });

/** Model 1, common: who the device is. */
export const MODEL_COMMON: ModelDef = {
  id: 1,
  name: 'common',
  length: 66,
  points: { Mn: p(0, 'string', undefined, 16), Md: p(16, 'string', undefined, 16), Opt: p(32, 'string', undefined, 8), Vr: p(40, 'string', undefined, 8), SN: p(48, 'string', undefined, 16), DA: p(64, 'uint16') },
};

/** Models 101–103, inverter (single, split, three phase) with integer points; only what the EMS reads. */
const inverterInt = (id: number, name: string): ModelDef => ({ id, name, length: 50, points: { A: p(0, 'uint16', 'A_SF'), A_SF: p(4, 'sunssf'), W: p(12, 'int16', 'W_SF'), W_SF: p(13, 'sunssf') } });
/** Models 111–113, the same inverters with float32 points. */
const inverterFloat = (id: number, name: string): ModelDef => ({ id, name, length: 60, points: { A: p(0, 'float32'), W: p(20, 'float32') } });

/** Model 124, basic storage controls: `InWRte`/`OutWRte` in % of `WChaMax`, with their own reversion timer. */
export const MODEL_STORAGE: ModelDef = {
  id: 124,
  name: 'storage',
  length: 24,
  points: {
    WChaMax: p(0, 'uint16', 'WChaMax_SF'),
    StorCtl_Mod: p(3, 'bitfield16'),
    MinRsvPct: p(5, 'uint16', 'MinRsvPct_SF'),
    ChaState: p(6, 'uint16', 'ChaState_SF'),
    ChaSt: p(9, 'enum16'),
    OutWRte: p(10, 'int16', 'InOutWRte_SF'),
    InWRte: p(11, 'int16', 'InOutWRte_SF'),
    InOutWRte_WinTms: p(12, 'uint16'),
    InOutWRte_RvrtTms: p(13, 'uint16'),
    InOutWRte_RmpTms: p(14, 'uint16'),
    WChaMax_SF: p(16, 'sunssf'),
    MinRsvPct_SF: p(19, 'sunssf'),
    ChaState_SF: p(20, 'sunssf'),
    InOutWRte_SF: p(23, 'sunssf'),
  },
};

/** Model 704, DER AC controls: the active-power setpoint `WSet` (W, positive = injecting) and its reversion. */
export const MODEL_DER_AC_CONTROLS: ModelDef = {
  id: 704,
  name: 'DER AC controls',
  length: 69,
  points: {
    WSetEna: p(20, 'enum16'),
    WSetMod: p(21, 'enum16'),
    WSet: p(22, 'int32', 'WSet_SF'),
    WSetRvrt: p(24, 'int32', 'WSet_SF'),
    WSetPct: p(26, 'int32', 'WSetPct_SF'),
    WSetPctRvrt: p(28, 'int32', 'WSetPct_SF'),
    WSetRvrtEna: p(30, 'enum16'),
    WSetRvrtTms: p(31, 'uint32'),
    WSetRvrtRem: p(33, 'uint32'),
    WSet_SF: p(57, 'sunssf'),
    WSetPct_SF: p(58, 'sunssf'),
  },
};

/** Model 802, battery base model: state of charge and the power flowing to/from the bank. */
export const MODEL_BATTERY: ModelDef = {
  id: 802,
  name: 'battery',
  length: 62,
  points: { SoC: p(9, 'uint16', 'SoC_SF'), W: p(45, 'int16', 'W_SF'), SoC_SF: p(54, 'sunssf'), W_SF: p(61, 'sunssf') },
};

/** The models the EMS decodes, by id; others are listed by discovery (id, address, length) and left alone. */
export const KNOWN_MODELS: ReadonlyMap<number, ModelDef> = new Map(
  [MODEL_COMMON, inverterInt(101, 'inverter, single phase'), inverterInt(102, 'inverter, split phase'), inverterInt(103, 'inverter, three phase'), inverterFloat(111, 'inverter, single phase (float)'), inverterFloat(112, 'inverter, split phase (float)'), inverterFloat(113, 'inverter, three phase (float)'), MODEL_STORAGE, MODEL_DER_AC_CONTROLS, MODEL_BATTERY].map((m) => [m.id, m]),
);

/** Names of models the EMS lists but does not decode, for the connection test's list. */
const OTHER_MODEL_NAMES: Record<number, string> = {
  701: 'DER AC measurement',
  702: 'DER capacity',
  703: 'enter service',
  705: 'DER volt-var',
  713: 'DER storage capacity',
  714: 'DER DC measurement',
  801: 'energy storage base (deprecated)',
  803: 'lithium-ion battery bank',
};

export function modelName(id: number): string {
  return KNOWN_MODELS.get(id)?.name ?? OTHER_MODEL_NAMES[id] ?? 'not decoded';
}

export function pointSize(def: PointDef): number {
  if (def.type === 'string') return def.size ?? 1;
  return def.type === 'int32' || def.type === 'uint32' || def.type === 'float32' ? 2 : 1;
}

/** A model as discovery found it on the device. */
export interface DiscoveredModel {
  id: number;
  name: string;
  /** Address of its `ID` register; points start at `address + 2`. */
  address: number;
  /** `L` as the device gives it. */
  length: number;
}

export interface SunspecMap {
  baseAddress: number;
  models: DiscoveredModel[];
}

export class SunspecError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SunspecError';
  }
}

/** Reads `count` holding registers at a 0-based address; rejects with the Modbus error. */
export type RegisterReader = (address: number, count: number) => Promise<number[]>;

/**
 * Finds the marker and walks the model chain. A base that answers with an exception or without the marker
 * is skipped; a chain that runs past the address space or repeats itself is an error that says where.
 */
export async function discoverSunspec(read: RegisterReader, maxModels = 64): Promise<SunspecMap> {
  const tried: string[] = [];
  for (const base of SUNSPEC_BASE_ADDRESSES) {
    let marker: number[];
    try {
      marker = await read(base, 2);
    } catch (err) {
      // A timeout or a closed link says nothing about this base but everything about the link: stop here.
      if (!isModbusException(err)) throw err;
      tried.push(`${base}: ${errorText(err)}`);
      continue;
    }
    if (marker[0] !== SUNS_MARKER[0] || marker[1] !== SUNS_MARKER[1]) {
      tried.push(`${base}: no "SunS" (0x${hex(marker[0])} 0x${hex(marker[1])})`);
      continue;
    }
    const models: DiscoveredModel[] = [];
    let address = base + 2;
    for (;;) {
      if (address + 2 > 0x10000) throw new SunspecError(`SunSpec chain at ${base}: model ${models.length + 1} would start at ${address}, past the last register (65535)`);
      const [id, length] = await read(address, 2);
      if (id === undefined || length === undefined) throw new SunspecError(`SunSpec chain at ${base}: short answer at ${address}`);
      if (id === SUNSPEC_END_ID) break;
      if (models.length >= maxModels) throw new SunspecError(`SunSpec chain at ${base}: more than ${maxModels} models, no end marker (0xFFFF) found`);
      const known = KNOWN_MODELS.get(id);
      if (known && length < known.length) throw new SunspecError(`SunSpec model ${id} (${known.name}) at ${address}: length ${length}, the model needs ${known.length}`);
      models.push({ id, name: modelName(id), address, length });
      address += 2 + length;
    }
    if (models[0]?.id !== 1) throw new SunspecError(`SunSpec chain at ${base}: the first model is ${models[0]?.id ?? 'none'}, it must be 1 (common)`);
    return { baseAddress: base, models };
  }
  throw new SunspecError(`no SunSpec device: ${tried.join('; ')}`);
}

const hex = (n: number | undefined): string => (n ?? 0).toString(16).padStart(4, '0');

/** The Modbus exception codes a device answers with, and what they mean. */
export const MODBUS_EXCEPTIONS: Record<number, string> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  5: 'acknowledge',
  6: 'server device busy',
  10: 'gateway path unavailable',
  11: 'gateway target device failed to respond',
};

/** The exception code of an error from the Modbus client (`modbusCode`), or null for link errors. */
export function modbusExceptionCode(err: unknown): number | null {
  const code = (err as { modbusCode?: unknown } | null)?.modbusCode;
  return typeof code === 'number' ? code : null;
}

export function isModbusException(err: unknown): boolean {
  return modbusExceptionCode(err) !== null;
}

export function errorText(err: unknown): string {
  const code = modbusExceptionCode(err);
  if (code !== null) return `Modbus exception ${code} (${MODBUS_EXCEPTIONS[code] ?? 'unknown'})`;
  return err instanceof Error ? err.message : String(err);
}

/** Raw point value from the model's registers (`regs[0]` = the first register after `ID` and `L`); null = not implemented or beyond the model. */
export function rawPoint(regs: readonly number[], def: PointDef): number | string | null {
  const n = pointSize(def);
  if (def.offset + n > regs.length) return null;
  const r = (i: number) => regs[def.offset + i]! & 0xffff;
  switch (def.type) {
    case 'int16':
    case 'sunssf': {
      const v = r(0);
      if (v === 0x8000) return null;
      return v >= 0x8000 ? v - 0x10000 : v;
    }
    case 'uint16':
    case 'enum16':
    case 'bitfield16': {
      const v = r(0);
      return v === 0xffff ? null : v;
    }
    case 'int32': {
      const v = (r(0) << 16) | r(1); // a signed 32-bit number in JS
      return v === -0x80000000 ? null : v;
    }
    case 'uint32': {
      const v = r(0) * 0x10000 + r(1);
      return v === 0xffffffff ? null : v;
    }
    case 'float32': {
      const b = Buffer.alloc(4);
      b.writeUInt16BE(r(0), 0);
      b.writeUInt16BE(r(1), 2);
      const v = b.readFloatBE(0);
      return Number.isFinite(v) ? v : null;
    }
    case 'string': {
      let s = '';
      for (let i = 0; i < n; i++) s += String.fromCharCode(r(i) >> 8, r(i) & 0xff);
      s = s.replace(/\0+$/, '').trim();
      return s === '' ? null : s;
    }
  }
}

/** A numeric point with its scale factor applied; null when the point or its scale factor is missing. */
export function pointValue(model: ModelDef, regs: readonly number[], name: string): number | null {
  const def = model.points[name];
  if (!def) throw new Error(`SunSpec model ${model.id} has no point ${name} in the EMS's table`);
  const raw = rawPoint(regs, def);
  if (raw === null || typeof raw === 'string') return null;
  if (!def.sf) return raw;
  const sfDef = model.points[def.sf];
  if (!sfDef) throw new Error(`SunSpec model ${model.id}: scale factor ${def.sf} missing from the EMS's table`);
  const sf = rawPoint(regs, sfDef);
  if (typeof sf !== 'number' || sf < -10 || sf > 10) return null;
  // Exact for the decimal exponents SunSpec uses (avoid 123 * 0.1 = 12.300000000000001).
  return sf >= 0 ? raw * 10 ** sf : raw / 10 ** -sf;
}

export function stringPoint(model: ModelDef, regs: readonly number[], name: string): string | null {
  const def = model.points[name];
  if (!def) throw new Error(`SunSpec model ${model.id} has no point ${name} in the EMS's table`);
  const raw = rawPoint(regs, def);
  return typeof raw === 'string' ? raw : null;
}

/** Registers of a value in a point's wire type (the inverse of `rawPoint`); `null` writes the "not implemented" value. */
export function encodePoint(def: PointDef, value: number | string | null): number[] {
  switch (def.type) {
    case 'int16':
    case 'sunssf':
      return [value === null ? 0x8000 : toWord(checkInt(value, -0x7fff, 0x7fff, def))];
    case 'uint16':
    case 'enum16':
    case 'bitfield16':
      return [value === null ? 0xffff : checkInt(value, 0, 0xfffe, def)];
    case 'int32': {
      const v = value === null ? -0x80000000 : checkInt(value, -0x7fffffff, 0x7fffffff, def);
      return [(v >>> 16) & 0xffff, v & 0xffff];
    }
    case 'uint32': {
      const v = value === null ? 0xffffffff : checkInt(value, 0, 0xfffffffe, def);
      return [Math.floor(v / 0x10000), v % 0x10000];
    }
    case 'float32': {
      const b = Buffer.alloc(4);
      b.writeFloatBE(value === null ? NaN : Number(value), 0);
      return [b.readUInt16BE(0), b.readUInt16BE(2)];
    }
    case 'string': {
      const n = def.size ?? 1;
      const s = value === null ? '' : String(value);
      const out: number[] = [];
      for (let i = 0; i < n; i++) out.push(((s.charCodeAt(2 * i) || 0) & 0xff) * 256 + ((s.charCodeAt(2 * i + 1) || 0) & 0xff));
      return out;
    }
  }
}

const toWord = (v: number): number => (v < 0 ? v + 0x10000 : v);

function checkInt(value: number | string, min: number, max: number, def: PointDef): number {
  const v = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(v) || v < min || v > max) throw new RangeError(`SunSpec ${def.type} at offset ${def.offset}: ${String(value)} is not a whole number in ${min}…${max}`);
  return v;
}

/** The raw integer that carries `value` with scale factor `sf` (rounded to the point's resolution). */
export function scaled(value: number, sf: number): number {
  return Math.round(sf >= 0 ? value / 10 ** sf : value * 10 ** -sf);
}
