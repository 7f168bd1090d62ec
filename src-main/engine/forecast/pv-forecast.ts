/**
 * PV power forecast: hour-mean irradiance from a weather forecast → per-slot (15 minutes or finer) mean AC
 * power of each PV asset, with the simulator's own physics (`Plant` in `src-main/sim/plant.ts`):
 * `solarPositionFast` at the slot middle, isotropic `poaIrradiance`, `pvArrayAcPowerKw` (SAPM cell
 * temperature, PVWatts DC with the asset's losses, PVWatts inverter at DC/AC 1.2).
 *
 * From hour means to slots (energy-consistent): a forecast hour's GHI is the mean over the hour BEFORE its
 * label. Spreading it evenly would put as much sun into 06:00–06:15 as into 06:45–07:00, so the shape
 * inside the hour follows the clear sky instead:
 * 1. clear-sky GHI (Haurwitz) is averaged per slot and per hour (1-minute sampling);
 * 2. the hour's clear-sky index k = GHI / GHI_clear is placed at the hour's middle and interpolated
 *    linearly between hour middles (so cloudiness changes smoothly, not in hourly steps);
 * 3. slot GHI = k(slot middle) · GHI_clear(slot), then every slot of an hour is scaled by one factor so the
 *    slots' mean equals the hour's GHI exactly: the forecast energy of every hour is kept.
 * Near sunrise, where the clear sky is ~0 but the forecast is not, the hour's GHI is spread in proportion
 * to the slots' mean cos z instead. The hour's diffuse fraction DHI/GHI is kept for its slots; the beam on
 * the horizontal becomes a normal beam by dividing by the slot's mean cos z (floored at 0.065, as pvlib).
 * Temperature and wind (instantaneous at the labels) are interpolated linearly to the slot middle.
 *
 * Never a silent zero: a slot whose weather is missing (a gap in the forecast, or beyond its end) is NaN
 * and listed in `gapSlotStartMs`, unless the sun is below the horizon for the whole slot (then PV is 0 by
 * physics, whatever the weather).
 *
 * Sign: outputs are in the load frame (generation is negative), like every power in the engine.
 */
import { haurwitzClearSkyGhiWm2, poaIrradiance, pvArrayAcPowerKw, solarPositionFast } from '../models/solar/index.js';
import { interpolateInstantaneous, type HourlyWeatherForecast } from './weather.js';

export interface PvForecastAsset {
  id: string;
  /** Members of the asset (1 for an uncounted asset); the forecast is for all of them together. */
  count: number;
  kwp: number;
  tiltDeg: number;
  azimuthDeg: number;
  lossesPct: number;
  curtailable: boolean;
}

export interface PvForecastRequest {
  weather: HourlyWeatherForecast;
  latitudeDeg: number;
  longitudeDeg: number;
  /** First slot start, UTC ms; must be a multiple of `stepS`. */
  startMs: number;
  /** End of the last slot (exclusive). */
  endMs: number;
  /** Slot length, s; must divide 3600. Default 900. */
  stepS?: number;
}

export interface SlotIrradiance {
  startMs: number;
  stepS: number;
  ghiWm2: Float64Array;
  dniWm2: Float64Array;
  dhiWm2: Float64Array;
  tempC: Float64Array;
  windMs: Float64Array;
  /** Sun at the slot middle. */
  zenithDeg: Float64Array;
  azimuthDeg: Float64Array;
  /** 1 where the sun is below the horizon for the whole slot. */
  night: Uint8Array;
}

export interface PvForecast {
  startMs: number;
  stepS: number;
  /** Per asset (all members), mean AC power per slot, kW, load frame (≤ 0); NaN in a gap. */
  byAssetKw: Map<string, Float64Array>;
  /** Sum over all assets, kW (≤ 0); NaN where any asset is unknown. */
  totalKw: Float64Array;
  /** Sum over the curtailable assets, kW (≤ 0). */
  curtailableKw: Float64Array;
  /** Start of every slot whose power is unknown. */
  gapSlotStartMs: number[];
}

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
const DEG = Math.PI / 180;
const MIN_COS_ZENITH = 0.065;
/** Below this hour-mean clear-sky GHI the clear-sky index is meaningless (dawn, dusk). */
const MIN_CLEAR_WM2 = 5;

/** Mean of f over [t0, t1) sampled each minute at the minute middles. */
function minuteMean(t0: number, t1: number, f: (t: number) => number): number {
  const n = Math.max(1, Math.round((t1 - t0) / MINUTE_MS));
  const dt = (t1 - t0) / n;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += f(t0 + (i + 0.5) * dt);
  return sum / n;
}

/** Hour-mean weather → per-slot irradiance, temperature and wind (see the file comment). */
export function slotIrradiance(req: PvForecastRequest): SlotIrradiance {
  const stepS = req.stepS ?? 900;
  const stepMs = stepS * 1000;
  if (!(stepS > 0) || HOUR_MS % stepMs !== 0) throw new Error(`PV forecast: stepS must divide 3600, got ${stepS}`);
  if (req.startMs % stepMs !== 0) throw new Error(`PV forecast: startMs must be a multiple of ${stepS} s, got ${req.startMs}`);
  const slots = Math.max(0, Math.ceil((req.endMs - req.startMs) / stepMs));
  const w = req.weather;
  const { latitudeDeg: lat, longitudeDeg: lon } = req;
  const clearAt = (t: number): number => haurwitzClearSkyGhiWm2(solarPositionFast(t, lat, lon).apparentZenithDeg);
  const cosAt = (t: number): number => Math.max(0, Math.cos(solarPositionFast(t, lat, lon).zenithDeg * DEG));

  // Hour index of a label time; hours are [label − 1 h, label).
  const firstLabel = w.timeMs.length > 0 ? w.timeMs[0]! : Number.NaN;
  const hourOf = (t: number): number => Math.floor((t - (firstLabel - HOUR_MS)) / HOUR_MS);
  const hours = w.timeMs.length;
  const hourClear = new Float64Array(hours);
  const hourK = new Float64Array(hours).fill(Number.NaN);
  // Only the hours the slots touch (plus one either side for interpolation) need the clear sky.
  const hFrom = Math.max(0, hourOf(req.startMs) - 1);
  const hTo = Math.min(hours - 1, hourOf(req.endMs) + 1);
  for (let h = hFrom; h <= hTo; h++) {
    const end = w.timeMs[h]!;
    hourClear[h] = minuteMean(end - HOUR_MS, end, clearAt);
    const ghi = w.ghiWm2[h]!;
    if (hourClear[h]! >= MIN_CLEAR_WM2 && Number.isFinite(ghi)) hourK[h] = Math.max(0, ghi) / hourClear[h]!;
  }
  const kAt = (t: number): number => {
    // Linear between hour middles; the nearest known k beyond the ends or next to an unknown neighbour.
    const x = (t - (firstLabel - HOUR_MS / 2)) / HOUR_MS;
    const h0 = Math.floor(x);
    const f = x - h0;
    const k0 = h0 >= 0 && h0 < hours ? hourK[h0]! : Number.NaN;
    const k1 = h0 + 1 >= 0 && h0 + 1 < hours ? hourK[h0 + 1]! : Number.NaN;
    if (Number.isFinite(k0) && Number.isFinite(k1)) return k0 + f * (k1 - k0);
    return Number.isFinite(k0) ? k0 : k1;
  };

  const out: SlotIrradiance = {
    startMs: req.startMs,
    stepS,
    ghiWm2: new Float64Array(slots).fill(Number.NaN),
    dniWm2: new Float64Array(slots).fill(Number.NaN),
    dhiWm2: new Float64Array(slots).fill(Number.NaN),
    tempC: new Float64Array(slots).fill(Number.NaN),
    windMs: new Float64Array(slots).fill(Number.NaN),
    zenithDeg: new Float64Array(slots),
    azimuthDeg: new Float64Array(slots),
    night: new Uint8Array(slots),
  };
  const slotsPerHour = HOUR_MS / stepMs;
  const clearSlot = new Float64Array(slotsPerHour);
  const cosSlot = new Float64Array(slotsPerHour);
  const raw = new Float64Array(slotsPerHour);

  // Walk whole forecast hours so each hour's scaling sees all its slots, even those outside [start, end).
  const hourStartOf = (t: number): number => firstLabel - HOUR_MS + hourOf(t) * HOUR_MS;
  for (let hourStart = hourStartOf(req.startMs); hourStart < req.endMs; hourStart += HOUR_MS) {
    const h = hourOf(hourStart);
    const ghi = h >= 0 && h < hours ? w.ghiWm2[h]! : Number.NaN;
    const dhi = h >= 0 && h < hours ? w.dhiWm2[h]! : Number.NaN;
    let rawSum = 0;
    let cosSum = 0;
    for (let j = 0; j < slotsPerHour; j++) {
      const t0 = hourStart + j * stepMs;
      clearSlot[j] = minuteMean(t0, t0 + stepMs, clearAt);
      cosSlot[j] = minuteMean(t0, t0 + stepMs, cosAt);
      const k = kAt(t0 + stepMs / 2);
      raw[j] = Number.isFinite(k) ? k * clearSlot[j]! : 0;
      rawSum += raw[j]!;
      cosSum += cosSlot[j]!;
    }
    const diffuseFraction = ghi > 0 ? Math.min(1, Math.max(0, dhi / ghi)) : 1;
    for (let j = 0; j < slotsPerHour; j++) {
      const t0 = hourStart + j * stepMs;
      const s = Math.round((t0 - req.startMs) / stepMs);
      if (s < 0 || s >= slots) continue;
      const mid = t0 + stepMs / 2;
      const sun = solarPositionFast(mid, lat, lon);
      out.zenithDeg[s] = sun.zenithDeg;
      out.azimuthDeg[s] = sun.azimuthDeg;
      out.night[s] = cosSlot[j]! <= 0 ? 1 : 0;
      out.tempC[s] = interpolateInstantaneous(w.timeMs, w.tempC, mid);
      out.windMs[s] = interpolateInstantaneous(w.timeMs, w.windMs, mid);
      if (!Number.isFinite(ghi) || !Number.isFinite(dhi)) continue;
      let slotGhi: number;
      if (ghi <= 0) slotGhi = 0;
      else if (rawSum > 1e-9) slotGhi = (raw[j]! * ghi * slotsPerHour) / rawSum;
      else if (cosSum > 0) slotGhi = (cosSlot[j]! * ghi * slotsPerHour) / cosSum;
      else slotGhi = ghi;
      const slotDhi = slotGhi * diffuseFraction;
      out.ghiWm2[s] = slotGhi;
      out.dhiWm2[s] = slotDhi;
      out.dniWm2[s] = cosSlot[j]! > 0 ? (slotGhi - slotDhi) / Math.max(cosSlot[j]!, MIN_COS_ZENITH) : 0;
    }
  }
  return out;
}

/** Per-slot mean AC power of each PV asset (see the file comment). */
export function forecastPv(assets: readonly PvForecastAsset[], req: PvForecastRequest): PvForecast {
  const irr = slotIrradiance(req);
  const slots = irr.ghiWm2.length;
  const byAssetKw = new Map<string, Float64Array>();
  const totalKw = new Float64Array(slots);
  const curtailableKw = new Float64Array(slots);
  const gap = new Uint8Array(slots);
  // One AC-per-kWp series per orientation, as the plant does.
  const perOrientation = new Map<string, Float64Array>();
  for (const a of assets) {
    const key = `${a.tiltDeg}/${a.azimuthDeg}/${a.lossesPct}`;
    let perKwp = perOrientation.get(key);
    if (!perKwp) {
      perKwp = new Float64Array(slots);
      for (let s = 0; s < slots; s++) {
        if (irr.night[s] === 1) continue;
        const ghi = irr.ghiWm2[s]!;
        const temp = irr.tempC[s]!;
        const wind = irr.windMs[s]!;
        if (!Number.isFinite(ghi) || !Number.isFinite(temp) || !Number.isFinite(wind)) {
          perKwp[s] = Number.NaN;
          continue;
        }
        if (irr.zenithDeg[s]! >= 90 || ghi <= 0) continue;
        const poa = poaIrradiance({
          surfaceTiltDeg: a.tiltDeg,
          surfaceAzimuthDeg: a.azimuthDeg,
          solarZenithDeg: irr.zenithDeg[s]!,
          solarAzimuthDeg: irr.azimuthDeg[s]!,
          dniWm2: irr.dniWm2[s]!,
          ghiWm2: ghi,
          dhiWm2: irr.dhiWm2[s]!,
          model: 'isotropic',
        });
        perKwp[s] = pvArrayAcPowerKw({ kwp: 1, tiltDeg: a.tiltDeg, azimuthDeg: a.azimuthDeg, lossesPct: a.lossesPct }, poa.poaGlobalWm2, temp, wind);
      }
      perOrientation.set(key, perKwp);
    }
    const kw = new Float64Array(slots);
    for (let s = 0; s < slots; s++) {
      const p = -perKwp[s]! * a.kwp * a.count;
      kw[s] = p === 0 ? 0 : p; // no −0 in outputs
      if (Number.isNaN(p)) gap[s] = 1;
      totalKw[s] = totalKw[s]! + kw[s]!;
      if (a.curtailable) curtailableKw[s] = curtailableKw[s]! + kw[s]!;
    }
    byAssetKw.set(a.id, kw);
  }
  const gapSlotStartMs: number[] = [];
  for (let s = 0; s < slots; s++) if (gap[s] === 1) gapSlotStartMs.push(req.startMs + s * irr.stepS * 1000);
  return { startMs: req.startMs, stepS: irr.stepS, byAssetKw, totalKw, curtailableKw, gapSlotStartMs };
}
