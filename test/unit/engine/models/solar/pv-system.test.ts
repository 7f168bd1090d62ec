import { describe, it, expect } from 'vitest';
import {
  PV_ARRAY_DEFAULTS,
  SAPM_CLOSE_MOUNT_GLASS_GLASS,
  SAPM_INSULATED_BACK_GLASS_POLYMER,
  SAPM_OPEN_RACK_GLASS_GLASS,
  SAPM_OPEN_RACK_GLASS_POLYMER,
  faimanCellTemperatureC,
  pvArrayAcPowerKw,
  pvwattsDcW,
  pvwattsInverterW,
  sapmCellTemperatureC,
} from '../../../../../src-main/engine/models/solar/pv-system';
import {
  erbsDecomposition,
  haurwitzClearSkyGhiWm2,
  poaIrradiance,
  solarPositionFast,
} from '../../../../../src-main/engine/models/solar';

describe('sapmCellTemperatureC', () => {
  it('matches pvlib for open_rack_glass_glass, E 900, Ta 20, ws 5 (43.509)', () => {
    expect(Math.abs(sapmCellTemperatureC(900, 20, 5) - 43.509)).toBeLessThan(1e-3);
    expect(sapmCellTemperatureC(900, 20, 5, SAPM_OPEN_RACK_GLASS_GLASS)).toBe(sapmCellTemperatureC(900, 20, 5));
  });
  it('carries the pvlib parameter sets', () => {
    expect(SAPM_OPEN_RACK_GLASS_GLASS).toEqual({ a: -3.47, b: -0.0594, deltaTC: 3 });
    expect(SAPM_CLOSE_MOUNT_GLASS_GLASS).toEqual({ a: -2.98, b: -0.0471, deltaTC: 1 });
    expect(SAPM_OPEN_RACK_GLASS_POLYMER).toEqual({ a: -3.56, b: -0.075, deltaTC: 3 });
    expect(SAPM_INSULATED_BACK_GLASS_POLYMER).toEqual({ a: -2.81, b: -0.0455, deltaTC: 0 });
  });
  it('runs hotter when close-mounted or insulated, and equals air temperature in the dark', () => {
    const open = sapmCellTemperatureC(800, 25, 2);
    expect(sapmCellTemperatureC(800, 25, 2, SAPM_CLOSE_MOUNT_GLASS_GLASS)).toBeGreaterThan(open);
    expect(sapmCellTemperatureC(800, 25, 2, SAPM_INSULATED_BACK_GLASS_POLYMER)).toBeGreaterThan(open);
    expect(sapmCellTemperatureC(0, 25, 2)).toBe(25);
  });
});

describe('faimanCellTemperatureC', () => {
  it('matches pvlib for u0 25, u1 6.84, E 900, Ta 20, ws 5 (35.203)', () => {
    expect(Math.abs(faimanCellTemperatureC(900, 20, 5) - 35.203)).toBeLessThan(1e-3);
    expect(faimanCellTemperatureC(900, 20, 5, 25, 6.84)).toBe(faimanCellTemperatureC(900, 20, 5));
  });
});

describe('pvwattsDcW', () => {
  it('matches pvlib: pvwatts_dc(900, 30, 100, -0.003) = 88.65', () => {
    expect(Math.abs(pvwattsDcW(900, 30, 100, -0.003) - 88.65)).toBeLessThan(1e-9);
  });
  it('is the nameplate at STC and 0 in the dark', () => {
    expect(pvwattsDcW(1000, 25, 250, -0.004)).toBeCloseTo(250, 12);
    expect(pvwattsDcW(0, 25, 250, -0.004)).toBe(0);
    expect(pvwattsDcW(-10, 25, 250, -0.004)).toBe(0);
  });
});

describe('pvwattsInverterW', () => {
  it('matches pvlib: pvwatts(90, 100, 0.95, 0.9637) = 85.58556604752516', () => {
    expect(Math.abs(pvwattsInverterW(90, 100, 0.95, 0.9637) - 85.58556604752516)).toBeLessThan(1e-9);
  });
  it('clips at pac0 = η_nom · pdc0 (pdc0 is the DC input limit, as in pvlib)', () => {
    expect(pvwattsInverterW(150, 100)).toBe(96);
    expect(pvwattsInverterW(150, 100, 0.95)).toBe(95);
  });
  it('delivers η_nom at the reference operating point and never goes negative', () => {
    // At ζ = 1 the bracket is 0.9637 = η_ref, so η = η_nom: the curve is anchored there by construction.
    expect(pvwattsInverterW(100, 100)).toBeCloseTo(96, 9);
    expect(pvwattsInverterW(0.1, 100)).toBe(0); // ζ < 0.006: pvlib's negative efficiency → 0
    expect(pvwattsInverterW(0, 100)).toBe(0);
    expect(pvwattsInverterW(-5, 100)).toBe(0);
  });
});

describe('pvArrayAcPowerKw', () => {
  const array = { kwp: 9, tiltDeg: 35, azimuthDeg: 180, lossesPct: 14 };
  // SAPM open rack at 1000 W/m², 1 m/s: ΔT = 1000·exp(−3.47 − 0.0594) + 3 ≈ 32.34 K, so air at −7.34 °C gives a 25 °C cell.
  const tAirFor25CCellC = 25 - (1000 * Math.exp(-3.47 - 0.0594) + 3);

  it('is near 9 kWp × (1 − losses) × inverter efficiency at 1000 W/m² and a 25 °C cell', () => {
    expect(sapmCellTemperatureC(1000, tAirFor25CCellC, 1)).toBeCloseTo(25, 9);
    const ac = pvArrayAcPowerKw(array, 1000, tAirFor25CCellC, 1);
    const dc = 9 * (1 - 0.14);
    expect(ac).toBeLessThan(dc);
    expect(ac / dc).toBeGreaterThan(0.955); // PVWatts η ≈ 0.960 at ζ ≈ 0.99
    expect(ac / dc).toBeLessThan(0.965);
  });

  it('is clipped by the inverter at the AC nameplate kwp / dcAcRatio', () => {
    expect(PV_ARRAY_DEFAULTS.dcAcRatio).toBe(1.2);
    expect(pvArrayAcPowerKw({ ...array, lossesPct: 3 }, 1000, tAirFor25CCellC, 1)).toBeCloseTo(9 / 1.2, 12);
    expect(pvArrayAcPowerKw({ ...array, dcAcRatio: 1.3 }, 1000, tAirFor25CCellC, 1)).toBeCloseTo(9 / 1.3, 12);
    expect(pvArrayAcPowerKw(array, 1200, 0, 5)).toBeCloseTo(7.5, 12);
  });

  it('loses output when hot and honours gammaPdcPerK', () => {
    const cool = pvArrayAcPowerKw(array, 600, 0, 2);
    const hot = pvArrayAcPowerKw(array, 600, 35, 0);
    expect(hot).toBeLessThan(cool);
    expect(pvArrayAcPowerKw({ ...array, gammaPdcPerK: 0 }, 600, 35, 0)).toBeGreaterThan(hot);
  });

  it('returns 0 (positive-or-zero, never NaN) at night or with bad input', () => {
    expect(pvArrayAcPowerKw(array, 0, 10, 2)).toBe(0);
    expect(pvArrayAcPowerKw(array, -3, 10, 2)).toBe(0);
    expect(pvArrayAcPowerKw(array, Number.NaN, 10, 2)).toBe(0);
    expect(pvArrayAcPowerKw({ ...array, kwp: 0 }, 800, 10, 2)).toBe(0);
  });

  it('chains position → clear sky → Erbs → Perez POA → AC over a day without NaN or negatives', () => {
    let energyKwh = 0;
    const start = Date.UTC(2024, 5, 21, 0, 0, 0);
    for (let minute = 0; minute < 24 * 60; minute += 5) {
      const pos = solarPositionFast(start + minute * 60_000, 45, 8);
      const ghi = haurwitzClearSkyGhiWm2(pos.apparentZenithDeg);
      const { dniWm2, dhiWm2 } = erbsDecomposition(ghi, pos.zenithDeg, 173);
      const poa = poaIrradiance({
        surfaceTiltDeg: 35, surfaceAzimuthDeg: 180, solarZenithDeg: pos.zenithDeg, solarAzimuthDeg: pos.azimuthDeg,
        dniWm2, ghiWm2: ghi, dhiWm2, model: 'perez',
      });
      for (const v of Object.values(poa)) {
        expect(Number.isFinite(v)).toBe(true);
        expect(v).toBeGreaterThanOrEqual(0);
      }
      const kw = pvArrayAcPowerKw(array, poa.poaGlobalWm2, 25, 2);
      expect(kw).toBeGreaterThanOrEqual(0);
      if (pos.elevationDeg < -1) expect(kw).toBe(0);
      energyKwh += kw * (5 / 60);
    }
    // A clear midsummer day for 9 kWp in northern Italy: roughly 50–65 kWh.
    expect(energyKwh).toBeGreaterThan(45);
    expect(energyKwh).toBeLessThan(70);
  });
});
