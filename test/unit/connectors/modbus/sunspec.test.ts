import { describe, expect, it } from 'vitest';
import {
  discoverSunspec,
  encodePoint,
  errorText,
  MODEL_BATTERY,
  MODEL_DER_AC_CONTROLS,
  pointValue,
  rawPoint,
  scaled,
  SunspecError,
  type RegisterReader,
} from '../../../../src-main/connectors/modbus/sunspec.js';

/** A register space with a SunSpec chain at `base`; other addresses answer exception 2. */
function device(base: number, models: Array<{ id: number; length: number }>, end = true): RegisterReader {
  const regs = new Map<number, number>();
  regs.set(base, 0x5375);
  regs.set(base + 1, 0x6e53);
  let a = base + 2;
  for (const m of models) {
    regs.set(a, m.id);
    regs.set(a + 1, m.length);
    for (let i = 0; i < m.length; i++) regs.set(a + 2 + i, 0);
    a += 2 + m.length;
  }
  if (end) {
    regs.set(a, 0xffff);
    regs.set(a + 1, 0);
  }
  return async (address, count) => {
    const out: number[] = [];
    for (let i = 0; i < count; i++) {
      const v = regs.get(address + i);
      if (v === undefined) throw Object.assign(new Error('exception'), { modbusCode: 2 });
      out.push(v);
    }
    return out;
  };
}

describe('SunSpec points', () => {
  it('decodes signed, unsigned, 32-bit and float points big-endian, high word first', () => {
    expect(rawPoint([0xfffe], { offset: 0, type: 'int16' })).toBe(-2);
    expect(rawPoint([0xfffe], { offset: 0, type: 'uint16' })).toBe(0xfffe);
    expect(rawPoint([0xffff, 0xfff6], { offset: 0, type: 'int32' })).toBe(-10);
    expect(rawPoint([0x0001, 0x0000], { offset: 0, type: 'uint32' })).toBe(65536);
    expect(rawPoint(encodePoint({ offset: 0, type: 'float32' }, 1.5), { offset: 0, type: 'float32' })).toBe(1.5);
    expect(rawPoint(encodePoint({ offset: 0, type: 'string', size: 4 }, 'LFC'), { offset: 0, type: 'string', size: 4 })).toBe('LFC');
  });

  it('treats every type’s "not implemented" value as missing, never as 0', () => {
    expect(rawPoint([0x8000], { offset: 0, type: 'int16' })).toBeNull();
    expect(rawPoint([0xffff], { offset: 0, type: 'uint16' })).toBeNull();
    expect(rawPoint([0xffff], { offset: 0, type: 'enum16' })).toBeNull();
    expect(rawPoint([0x8000, 0x0000], { offset: 0, type: 'int32' })).toBeNull();
    expect(rawPoint([0xffff, 0xffff], { offset: 0, type: 'uint32' })).toBeNull();
    expect(rawPoint(encodePoint({ offset: 0, type: 'float32' }, null), { offset: 0, type: 'float32' })).toBeNull();
    expect(rawPoint([0, 0], { offset: 0, type: 'string', size: 2 })).toBeNull();
    // A point beyond the registers the device serves is missing too.
    expect(rawPoint([1, 2], { offset: 5, type: 'uint16' })).toBeNull();
  });

  it('applies the scale factor exactly, and a missing or absurd scale factor makes the point missing', () => {
    const regs = new Array<number>(MODEL_BATTERY.length).fill(0);
    regs[9] = 553; // SoC
    regs[54] = encodePoint({ offset: 0, type: 'sunssf' }, -1)[0]!; // SoC_SF
    regs[45] = encodePoint({ offset: 0, type: 'int16' }, -1234)[0]!; // W
    regs[61] = 1; // W_SF
    expect(pointValue(MODEL_BATTERY, regs, 'SoC')).toBe(55.3);
    expect(pointValue(MODEL_BATTERY, regs, 'W')).toBe(-12340);
    regs[54] = 0x8000;
    expect(pointValue(MODEL_BATTERY, regs, 'SoC')).toBeNull();
    regs[54] = 11;
    expect(pointValue(MODEL_BATTERY, regs, 'SoC')).toBeNull();
  });

  it('encodes WSet as int32 and refuses values its type cannot carry', () => {
    const def = MODEL_DER_AC_CONTROLS.points['WSet']!;
    expect(encodePoint(def, -150000)).toEqual([0xfffd, 0xb610]);
    expect(() => encodePoint(def, 1.5)).toThrow(RangeError);
    expect(() => encodePoint({ offset: 0, type: 'int16' }, 40000)).toThrow(/not a whole number in/);
    expect(scaled(-150000, 1)).toBe(-15000);
    expect(scaled(55.34, -1)).toBe(553);
  });

  it('names Modbus exceptions', () => {
    expect(errorText(Object.assign(new Error('x'), { modbusCode: 2 }))).toBe('Modbus exception 2 (illegal data address)');
    expect(errorText(new Error('Timed out'))).toBe('Timed out');
  });
});

describe('SunSpec discovery', () => {
  it('walks the chain at 40000', async () => {
    const map = await discoverSunspec(device(40000, [{ id: 1, length: 66 }, { id: 802, length: 62 }, { id: 704, length: 69 }, { id: 64001, length: 5 }]));
    expect(map.baseAddress).toBe(40000);
    expect(map.models.map((m) => [m.id, m.address, m.length])).toEqual([
      [1, 40002, 66],
      [802, 40070, 62],
      [704, 40134, 69],
      [64001, 40205, 5],
    ]);
    expect(map.models[3]!.name).toBe('not decoded');
  });

  it('falls back to 0 and then 50000 when 40000 answers with an exception or holds no marker', async () => {
    expect((await discoverSunspec(device(0, [{ id: 1, length: 66 }]))).baseAddress).toBe(0);
    expect((await discoverSunspec(device(50000, [{ id: 1, length: 66 }]))).baseAddress).toBe(50000);
  });

  it('says what each base answered when there is no SunSpec device', async () => {
    const none: RegisterReader = async () => [0x1234, 0x5678];
    await expect(discoverSunspec(none)).rejects.toThrow(/no SunSpec device: 40000: no "SunS" \(0x1234 0x5678\); 0: .*; 50000: /);
  });

  it('refuses a chain without end, a first model other than 1, and a known model that is too short', async () => {
    const forever: RegisterReader = async (a) => (a === 40000 ? [0x5375, 0x6e53] : [1, 0]);
    await expect(discoverSunspec(forever, 10)).rejects.toThrow(SunspecError);
    await expect(discoverSunspec(device(40000, [{ id: 802, length: 62 }]))).rejects.toThrow(/first model is 802, it must be 1/);
    await expect(discoverSunspec(device(40000, [{ id: 1, length: 66 }, { id: 704, length: 20 }]))).rejects.toThrow(/model 704 .* length 20, the model needs 69/);
  });

  it('a link error stops discovery at once instead of trying other bases', async () => {
    const dead: RegisterReader = async () => {
      throw new Error('Timed out');
    };
    await expect(discoverSunspec(dead)).rejects.toThrow('Timed out');
  });
});
