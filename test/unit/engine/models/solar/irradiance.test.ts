import { describe, it, expect } from 'vitest';
import {
  SOLAR_CONSTANT_WM2,
  airMassRelative,
  aoiCos,
  erbsDecomposition,
  extraterrestrialDniWm2,
  groundDiffuseWm2,
  haurwitzClearSkyGhiWm2,
  isotropicSkyDiffuseWm2,
  perezSkyDiffuseWm2,
  poaIrradiance,
} from '../../../../../src-main/engine/models/solar/irradiance';

describe('extraterrestrialDniWm2 (Spencer)', () => {
  it('peaks near perihelion in early January and dips near aphelion in early July', () => {
    // Spencer at doy 1 with pvlib's 1366.1 W/m²: 1366.1 · (1.00011 + 0.034221 + 0.000719) = 1414.0...
    expect(extraterrestrialDniWm2(1)).toBeCloseTo(1366.1 * (1.00011 + 0.034221 + 0.000719), 9);
    expect(extraterrestrialDniWm2(3)).toBeGreaterThan(1410);
    expect(extraterrestrialDniWm2(185)).toBeLessThan(1325);
    expect(SOLAR_CONSTANT_WM2).toBe(1366.1);
  });
});

describe('airMassRelative (Kasten–Young 1989)', () => {
  it('is 1/(cos z + 0.50572 (96.07995 − z)^−1.6364)', () => {
    expect(airMassRelative(0)).toBeCloseTo(1 / (1 + 0.50572 * Math.pow(96.07995, -1.6364)), 12);
    expect(airMassRelative(40)).toBeCloseTo(1.304223540913535, 12);
    expect(airMassRelative(60)).toBeCloseTo(1.99429, 4); // slightly below sec 60° = 2 (Earth's curvature)
  });
  it('stays finite at and below the horizon (clamped at 90°, ≈ 37.9)', () => {
    expect(airMassRelative(90)).toBeCloseTo(37.92, 1);
    expect(airMassRelative(120)).toBe(airMassRelative(90));
  });
});

describe('haurwitzClearSkyGhiWm2', () => {
  it('matches pvlib at zenith 60° (487.894132885425)', () => {
    expect(Math.abs(haurwitzClearSkyGhiWm2(60) - 487.894132885425)).toBeLessThan(1e-9);
  });
  it('is 0 with the sun at or below the horizon', () => {
    expect(haurwitzClearSkyGhiWm2(90)).toBe(0);
    expect(haurwitzClearSkyGhiWm2(100)).toBe(0);
    expect(haurwitzClearSkyGhiWm2(Number.NaN)).toBe(0);
  });
});

describe('aoiCos', () => {
  it('is cos z for a horizontal surface and 1 for a surface facing the sun', () => {
    expect(aoiCos(0, 180, 30, 123)).toBeCloseTo(Math.cos((30 * Math.PI) / 180), 12);
    expect(aoiCos(35, 200, 35, 200)).toBeCloseTo(1, 12);
  });
  it('is negative when the sun is behind the plane', () => {
    expect(aoiCos(90, 180, 45, 0)).toBeLessThan(0);
  });
});

describe('isotropicSkyDiffuseWm2', () => {
  it('matches pvlib for tilt 40°, DHI 100 (88.30222215594891)', () => {
    expect(Math.abs(isotropicSkyDiffuseWm2(40, 100) - 88.30222215594891)).toBeLessThan(1e-9);
  });
  it('never returns negative or NaN', () => {
    expect(isotropicSkyDiffuseWm2(40, -5)).toBe(0);
    expect(isotropicSkyDiffuseWm2(40, Number.NaN)).toBe(0);
  });
});

describe('groundDiffuseWm2', () => {
  it('is GHI · albedo · (1 − cos tilt)/2, default albedo 0.25', () => {
    expect(groundDiffuseWm2(90, 800)).toBeCloseTo(100, 9);
    expect(groundDiffuseWm2(90, 800, 0.5)).toBeCloseTo(200, 9);
    expect(groundDiffuseWm2(0, 800)).toBe(0);
  });
});

describe('perezSkyDiffuseWm2 (allsitescomposite1990)', () => {
  it('matches a hand computation of the published algorithm', () => {
    // Input: tilt 30°, surface azimuth 180°, sun zenith 40° azimuth 170°, DHI 150, DNI 600,
    // dni_extra 1367, airmass Kasten–Young(40°).
    // AM  = 1/(cos 40° + 0.50572·56.07995^−1.6364)                 = 1.304223540913535
    // z   = 40° in radians                                         = 0.6981317007977318
    // κz³ = 1.041 · z³                                              = 0.354189...
    // ε   = ((150 + 600)/150 + κz³)/(1 + κz³)                       = 3.9537480966844862 → bin 6 (2.8 ≤ ε < 4.5)
    // Δ   = 150 · AM / 1367                                         = 0.14311158093418452
    // bin 6 coefficients: F11 1.132, F12 −1.237, F13 −0.412, F21 0.288, F22 −0.823, F23 0.056
    // F1  = max(0, 1.132 − 1.237Δ − 0.412z)                         = 0.6673407136557481
    // F2  = 0.288 − 0.823Δ + 0.056z                                 = 0.2093145441358391
    // a   = max(0, cos AOI) = cos30 cos40 + sin30 sin40 cos(−10°)   = 0.9799250589486828
    // b   = max(cos 85°, cos 40°)                                   = 0.766044443118978
    // term1 = 0.5(1 − F1)(1 + cos 30°)                              = 0.310375339561588
    // term2 = F1 · a / b                                            = 0.853663118428754
    // term3 = F2 · sin 30°                                          = 0.104657272067920
    // E_sky = 150 · (term1 + term2 + term3)                         = 190.30435950873922
    const am = airMassRelative(40);
    expect(am).toBeCloseTo(1.304223540913535, 12);
    const sky = perezSkyDiffuseWm2(30, 180, 150, 600, 1367, 40, 170, am);
    expect(Math.abs(sky - 190.30435950873922)).toBeLessThan(1e-9);
  });

  it('equals DHI on a horizontal plane for any sky (circumsolar and horizon terms cancel)', () => {
    for (const [dhi, dni, zen] of [[150, 600, 40], [300, 0, 70], [80, 850, 20]] as const) {
      expect(perezSkyDiffuseWm2(0, 180, dhi, dni, 1367, zen, 170, airMassRelative(zen))).toBeCloseTo(dhi, 9);
    }
  });

  it('is isotropic-like under overcast skies (no beam, dark sky: brightness coefficients small)', () => {
    // DNI 0 → ε = 1 → bin 1; with a dim sky F1 clips to 0 and only a small negative horizon term remains.
    const dhi = 50;
    const zen = 60;
    const perez = perezSkyDiffuseWm2(30, 180, dhi, 0, 1367, zen, 180, airMassRelative(zen));
    const iso = isotropicSkyDiffuseWm2(30, dhi);
    expect(perez).toBeLessThanOrEqual(iso);
    expect(Math.abs(perez - iso) / iso).toBeLessThan(0.05);
    // Vertical wall facing away from the sun: F1 = 0 (no circumsolar term), so only the isotropic part
    // and the horizon term F2·sin β remain, F2 = F21 + F22Δ + F23z with the bin-1 coefficients (|F2| < 0.1).
    const z = (zen * Math.PI) / 180;
    const delta = (dhi * airMassRelative(zen)) / 1367;
    const f2 = -0.06 + 0.072 * delta - 0.022 * z;
    expect(Math.abs(f2)).toBeLessThan(0.1);
    const wall = perezSkyDiffuseWm2(90, 0, dhi, 0, 1367, zen, 180, airMassRelative(zen));
    expect(wall).toBeCloseTo(dhi * (0.5 + f2), 9);
  });

  it('adds circumsolar brightening under clear skies for a plane facing the sun', () => {
    const perez = perezSkyDiffuseWm2(30, 180, 100, 800, 1367, 40, 180, airMassRelative(40));
    expect(perez).toBeGreaterThan(isotropicSkyDiffuseWm2(30, 100));
  });

  it('returns 0, not NaN, for no diffuse light or the sun below the horizon', () => {
    expect(perezSkyDiffuseWm2(30, 180, 0, 500, 1367, 40, 180, 1.3)).toBe(0);
    expect(perezSkyDiffuseWm2(30, 180, 100, 0, 1367, 95, 180, airMassRelative(95))).toBe(0);
    expect(perezSkyDiffuseWm2(30, 180, 100, 0, 1367, 40, 180, Number.NaN)).toBe(0);
  });
});

describe('poaIrradiance', () => {
  it('sums beam, sky and ground components (isotropic)', () => {
    const r = poaIrradiance({
      surfaceTiltDeg: 35, surfaceAzimuthDeg: 180, solarZenithDeg: 35, solarAzimuthDeg: 180,
      dniWm2: 800, ghiWm2: 755, dhiWm2: 100, model: 'isotropic',
    });
    expect(r.poaDirectWm2).toBeCloseTo(800, 9);
    expect(r.poaSkyDiffuseWm2).toBeCloseTo(isotropicSkyDiffuseWm2(35, 100), 12);
    expect(r.poaGroundDiffuseWm2).toBeCloseTo(groundDiffuseWm2(35, 755), 12);
    expect(r.poaGlobalWm2).toBeCloseTo(r.poaDirectWm2 + r.poaSkyDiffuseWm2 + r.poaGroundDiffuseWm2, 12);
  });

  it('uses Perez with the given dni_extra and airmass, defaulting to Kasten–Young and 1366.1', () => {
    const base = {
      surfaceTiltDeg: 30, surfaceAzimuthDeg: 180, solarZenithDeg: 40, solarAzimuthDeg: 170,
      dniWm2: 600, ghiWm2: 150 + 600 * Math.cos((40 * Math.PI) / 180), dhiWm2: 150, model: 'perez' as const,
    };
    expect(poaIrradiance({ ...base, dniExtraWm2: 1367 }).poaSkyDiffuseWm2).toBeCloseTo(190.30435950873922, 9);
    expect(poaIrradiance(base).poaSkyDiffuseWm2).toBeCloseTo(
      perezSkyDiffuseWm2(30, 180, 150, 600, 1366.1, 40, 170, airMassRelative(40)), 12);
  });

  it('gives no beam when the sun is behind the plane', () => {
    const r = poaIrradiance({
      surfaceTiltDeg: 90, surfaceAzimuthDeg: 0, solarZenithDeg: 40, solarAzimuthDeg: 180,
      dniWm2: 800, ghiWm2: 700, dhiWm2: 100, model: 'perez',
    });
    expect(r.poaDirectWm2).toBe(0);
    expect(r.poaGlobalWm2).toBeGreaterThan(0);
  });

  it('returns all zeros (no NaN, no negatives) with the sun below the horizon', () => {
    for (const model of ['isotropic', 'perez'] as const) {
      for (const zen of [90, 95, 150, Number.NaN]) {
        const r = poaIrradiance({
          surfaceTiltDeg: 35, surfaceAzimuthDeg: 180, solarZenithDeg: zen, solarAzimuthDeg: 0,
          dniWm2: 5, ghiWm2: 3, dhiWm2: 3, model,
        });
        expect(r).toEqual({ poaGlobalWm2: 0, poaDirectWm2: 0, poaSkyDiffuseWm2: 0, poaGroundDiffuseWm2: 0 });
      }
    }
  });
});

describe('erbsDecomposition', () => {
  it('matches a hand computation of pvlib.irradiance.erbs (GHI 500, zenith 40°, doy 172)', () => {
    // E0  = 1366.1 · Spencer(doy 172)                      = 1321.6235925714136
    // kt  = 500 / (E0 · cos 40°)                             = 0.4938650069012525 (0.22 < kt ≤ 0.8)
    // df  = 0.9511 − 0.1604kt + 4.388kt² − 16.638kt³ + 12.336kt⁴ = 0.6718490167123797
    // DHI = df · 500                                          = 335.92450835618985
    // DNI = (500 − DHI) / cos 40°                             = 214.18534279260714
    const r = erbsDecomposition(500, 40, 172);
    expect(Math.abs(r.kt - 0.4938650069012525)).toBeLessThan(1e-12);
    expect(Math.abs(r.dhiWm2 - 335.92450835618985)).toBeLessThan(1e-9);
    expect(Math.abs(r.dniWm2 - 214.18534279260714)).toBeLessThan(1e-9);
  });

  it('uses a diffuse fraction of 0.165 above kt 0.8 and 1 − 0.09kt below 0.22', () => {
    const clear = erbsDecomposition(1150, 20, 1);
    expect(clear.kt).toBeGreaterThan(0.8);
    expect(clear.dhiWm2 / 1150).toBeCloseTo(0.165, 12);
    const dull = erbsDecomposition(100, 40, 172);
    expect(dull.kt).toBeLessThan(0.22);
    expect(dull.dhiWm2 / 100).toBeCloseTo(1 - 0.09 * dull.kt, 12);
  });

  it('keeps the closure GHI = DHI + DNI·cos z', () => {
    const r = erbsDecomposition(640, 55, 100);
    expect(r.dhiWm2 + r.dniWm2 * Math.cos((55 * Math.PI) / 180)).toBeCloseTo(640, 9);
  });

  it('puts everything into DHI beyond 87° and returns zeros below the horizon', () => {
    expect(erbsDecomposition(20, 88, 100)).toEqual({ dniWm2: 0, dhiWm2: 20, kt: expect.any(Number) });
    expect(erbsDecomposition(20, 95, 100)).toEqual({ dniWm2: 0, dhiWm2: 0, kt: 0 });
    expect(erbsDecomposition(-3, 40, 100)).toEqual({ dniWm2: 0, dhiWm2: 0, kt: 0 });
  });
});
