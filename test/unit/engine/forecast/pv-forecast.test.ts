import { describe, expect, it } from 'vitest';
import { forecastPv, slotIrradiance, type PvForecastAsset } from '../../../../src-main/engine/forecast/pv-forecast.js';
import type { HourlyWeatherForecast } from '../../../../src-main/engine/forecast/weather.js';
import { haurwitzClearSkyGhiWm2, poaIrradiance, pvArrayAcPowerKw, solarPositionFast } from '../../../../src-main/engine/models/solar/index.js';

const LAT = 52.5;
const LON = 13.4;
const DAY = Date.UTC(2026, 5, 21); // 21 June, UTC midnight
const HOUR = 3_600_000;

/** A 24-hour forecast for DAY with labels 01:00 … 24:00 UTC, hourly GHI from `ghi(h)` (h = hour index 0..23). */
function weather(ghi: (h: number) => number, diffuseFraction = 0.3): HourlyWeatherForecast {
  const n = 24;
  const timeMs = Float64Array.from({ length: n }, (_, h) => DAY + (h + 1) * HOUR);
  const g = Float64Array.from({ length: n }, (_, h) => ghi(h));
  return {
    source: 'open-meteo',
    latitude: LAT,
    longitude: LON,
    issuedMs: null,
    timeMs,
    ghiWm2: g,
    dniWm2: new Float64Array(n),
    dhiWm2: g.map((x) => x * diffuseFraction),
    beamSource: 'given-normal',
    tempC: new Float64Array(n).fill(20),
    rhPct: new Float64Array(n).fill(50),
    cloudPct: new Float64Array(n).fill(20),
    windMs: new Float64Array(n).fill(2),
    gaps: [],
  };
}
/** Hour-mean Haurwitz clear sky, 1-minute sampling, for hour h of DAY. */
function clearHourMean(h: number): number {
  let s = 0;
  for (let m = 0; m < 60; m++) s += haurwitzClearSkyGhiWm2(solarPositionFast(DAY + h * HOUR + (m + 0.5) * 60_000, LAT, LON).apparentZenithDeg);
  return s / 60;
}
const ROOF: PvForecastAsset = { id: 'roof', count: 10, kwp: 8, tiltDeg: 30, azimuthDeg: 180, lossesPct: 14, curtailable: false };
const BARN: PvForecastAsset = { id: 'barn', count: 1, kwp: 100, tiltDeg: 20, azimuthDeg: 240, lossesPct: 10, curtailable: true };

describe('slotIrradiance: hour means to 15-minute slots', () => {
  it('keeps every hour’s energy: the four slots of an hour average to the hour’s GHI', () => {
    const w = weather((h) => (h >= 4 && h <= 18 ? [300, 650, 120, 800][h % 4]! : 0));
    const irr = slotIrradiance({ weather: w, latitudeDeg: LAT, longitudeDeg: LON, startMs: DAY, endMs: DAY + 24 * HOUR });
    for (let h = 0; h < 24; h++) {
      const mean = (irr.ghiWm2[4 * h]! + irr.ghiWm2[4 * h + 1]! + irr.ghiWm2[4 * h + 2]! + irr.ghiWm2[4 * h + 3]!) / 4;
      expect(mean).toBeCloseTo(w.ghiWm2[h]!, 6);
    }
  });

  it('under a clear sky (k = 1 everywhere) the slots follow the clear-sky curve inside the hour', () => {
    const w = weather(clearHourMean);
    const irr = slotIrradiance({ weather: w, latitudeDeg: LAT, longitudeDeg: LON, startMs: DAY + 8 * HOUR, endMs: DAY + 9 * HOUR });
    // 08:00–09:00 UTC is a rising morning: each quarter is brighter than the last, and none equals the hour mean.
    for (let j = 1; j < 4; j++) expect(irr.ghiWm2[j]!).toBeGreaterThan(irr.ghiWm2[j - 1]!);
    let s = 0;
    for (let m = 0; m < 15; m++) s += haurwitzClearSkyGhiWm2(solarPositionFast(DAY + 8 * HOUR + (m + 0.5) * 60_000, LAT, LON).apparentZenithDeg);
    expect(irr.ghiWm2[0]!).toBeCloseTo(s / 15, 6);
    // The hour's diffuse fraction is kept per slot; the sun is taken at the slot middle.
    expect(irr.dhiWm2[2]! / irr.ghiWm2[2]!).toBeCloseTo(0.3, 9);
    expect(irr.zenithDeg[1]).toBeCloseTo(solarPositionFast(DAY + 8 * HOUR + 22.5 * 60_000, LAT, LON).zenithDeg, 9);
  });

  it('rejects a step that does not divide the hour and a start off the grid', () => {
    const w = weather(() => 0);
    expect(() => slotIrradiance({ weather: w, latitudeDeg: LAT, longitudeDeg: LON, startMs: DAY, endMs: DAY + HOUR, stepS: 700 })).toThrow(/stepS must divide 3600/);
    expect(() => slotIrradiance({ weather: w, latitudeDeg: LAT, longitudeDeg: LON, startMs: DAY + 1000, endMs: DAY + HOUR })).toThrow(/multiple of 900 s/);
  });
});

describe('forecastPv', () => {
  const w = weather((h) => (h >= 3 && h <= 19 ? 0.8 * clearHourMean(h) : 0));
  const req = { weather: w, latitudeDeg: LAT, longitudeDeg: LON, startMs: DAY, endMs: DAY + 24 * HOUR };

  it('is the simulator’s physics on the slot irradiance, per asset, in the load frame', () => {
    const fc = forecastPv([ROOF, BARN], req);
    const irr = slotIrradiance(req);
    const s = 4 * 11 + 2; // 11:30 UTC
    const poa = poaIrradiance({
      surfaceTiltDeg: 20, surfaceAzimuthDeg: 240, solarZenithDeg: irr.zenithDeg[s]!, solarAzimuthDeg: irr.azimuthDeg[s]!,
      dniWm2: irr.dniWm2[s]!, ghiWm2: irr.ghiWm2[s]!, dhiWm2: irr.dhiWm2[s]!, model: 'isotropic',
    });
    const expectedBarnKw = -100 * pvArrayAcPowerKw({ kwp: 1, tiltDeg: 20, azimuthDeg: 240, lossesPct: 10 }, poa.poaGlobalWm2, 20, 2);
    expect(fc.byAssetKw.get('barn')![s]).toBeCloseTo(expectedBarnKw, 9);
    expect(expectedBarnKw).toBeLessThan(-40);
    expect(fc.totalKw[s]).toBeCloseTo(fc.byAssetKw.get('roof')![s]! + expectedBarnKw, 9);
    expect(fc.curtailableKw[s]).toBeCloseTo(expectedBarnKw, 9);
    expect(fc.byAssetKw.get('roof')![0]).toBe(0); // night
    expect(fc.gapSlotStartMs).toEqual([]);
  });

  it('a missing daytime hour is a NaN gap for its four slots; a missing night hour is still 0', () => {
    const gappy = weather((h) => (h >= 3 && h <= 19 ? 0.8 * clearHourMean(h) : 0));
    gappy.ghiWm2[11] = Number.NaN; // 11:00–12:00 UTC
    gappy.ghiWm2[0] = Number.NaN; // 00:00–01:00 UTC, sun down
    const fc = forecastPv([ROOF], { ...req, weather: gappy });
    expect(fc.gapSlotStartMs).toEqual([0, 1, 2, 3].map((j) => DAY + 11 * HOUR + j * 900_000));
    expect(fc.totalKw[44]).toBeNaN();
    expect(fc.totalKw[0]).toBe(0);
  });

  it('beyond the forecast’s end the power is unknown, not zero', () => {
    const fc = forecastPv([ROOF], { ...req, startMs: DAY + 20 * HOUR, endMs: DAY + 30 * HOUR });
    const last = fc.totalKw.length - 1;
    expect(fc.totalKw[last]).toBeNaN();
    expect(fc.gapSlotStartMs.length).toBeGreaterThan(0);
  });

  it('finer steps keep the same energy as 15-minute steps', () => {
    const q = forecastPv([ROOF], req).totalKw;
    const m5 = forecastPv([ROOF], { ...req, stepS: 300 }).totalKw;
    let eq = 0;
    let e5 = 0;
    for (const x of q) eq += x * 0.25;
    for (const x of m5) e5 += x / 12;
    expect(Math.abs(e5 - eq) / Math.abs(eq)).toBeLessThan(0.01);
  });
});
