/**
 * The one hourly weather forecast shape every forecast consumer reads, whatever the source (Open-Meteo,
 * DWD MOSMIX): UTC-labelled hourly columns, SI-ish units, and an explicit list of gaps.
 *
 * Time semantics (the same as Open-Meteo's and MOSMIX's): `timeMs[i]` is the END of hour i. Radiation
 * (`ghiWm2`, `dniWm2`, `dhiWm2`) is the MEAN over the preceding hour [timeMs[i] − 1 h, timeMs[i]);
 * temperature, humidity, cloud cover and wind are instantaneous at the label.
 *
 * Never a silent zero: a value the source did not give is NaN in its column and listed in `gaps`. Consumers
 * decide what a gap means (the PV forecast turns it into a NaN slot plus a gap of its own).
 */
import type { OpenMeteoForecast } from '../scenario/open-meteo.js';
import { erbsDecomposition, solarPositionFast } from '../models/solar/index.js';

export type WeatherVariable = 'ghiWm2' | 'dniWm2' | 'dhiWm2' | 'tempC' | 'rhPct' | 'cloudPct' | 'windMs';

export interface WeatherGap {
  variable: WeatherVariable;
  /** UTC ms of the label (end of the hour) whose value is missing. */
  timeMs: number;
}

export interface HourlyWeatherForecast {
  source: 'open-meteo' | 'mosmix';
  /** Station or grid point, degrees; null when the source did not say. */
  latitude: number | null;
  longitude: number | null;
  /** When the forecast was issued (MOSMIX `IssueTime`), UTC ms; null when unknown. */
  issuedMs: number | null;
  /** UTC ms at the END of each hour (see the file comment); strictly hourly. */
  timeMs: Float64Array;
  /** Global horizontal irradiance, preceding-hour mean, W/m². */
  ghiWm2: Float64Array;
  /** Direct normal irradiance, preceding-hour mean, W/m². */
  dniWm2: Float64Array;
  /** Diffuse horizontal irradiance, preceding-hour mean, W/m². */
  dhiWm2: Float64Array;
  /** How beam and diffuse were obtained: given by the source, converted from horizontal beam, or split with Erbs. */
  beamSource: 'given-normal' | 'from-horizontal-beam' | 'erbs';
  /** Air temperature at 2 m, °C, instantaneous. */
  tempC: Float64Array;
  /** Relative humidity at 2 m, %, instantaneous. */
  rhPct: Float64Array;
  /** Total cloud cover, %, instantaneous. */
  cloudPct: Float64Array;
  /** Wind speed at 10 m, m/s, instantaneous. */
  windMs: Float64Array;
  gaps: WeatherGap[];
}

const HOUR_MS = 3_600_000;
const DEG = Math.PI / 180;
/** Sun-position samples per hour for hour-mean geometry (every 5 minutes, at the sub-interval middles). */
const SAMPLES_PER_HOUR = 12;
/** pvlib's floor on cos z in the clearness index, also used when dividing horizontal beam by cos z. */
const MIN_COS_ZENITH = 0.065;

/**
 * Mean of max(0, cos z) over the hour ending at `endMs` (the sun below the horizon counts 0), sampled every
 * 5 minutes at the sub-interval middles. The mean of cos z is what links a horizontal hour-mean to a normal
 * one: mean(B_h) = mean(DNI·cos z) ≈ DNI_mean · mean(cos z) for a beam that is steady within the hour.
 */
export function hourMeanCosZenith(endMs: number, latitudeDeg: number, longitudeDeg: number): number {
  let sum = 0;
  for (let s = 0; s < SAMPLES_PER_HOUR; s++) {
    const t = endMs - HOUR_MS + ((s + 0.5) / SAMPLES_PER_HOUR) * HOUR_MS;
    const z = solarPositionFast(t, latitudeDeg, longitudeDeg).zenithDeg;
    const c = Math.cos(z * DEG);
    if (c > 0) sum += c;
  }
  return sum / SAMPLES_PER_HOUR;
}

function dayOfYearUtc(timeMs: number): number {
  const yearStart = Date.UTC(new Date(timeMs).getUTCFullYear(), 0, 1);
  return (timeMs - yearStart) / 86_400_000 + 1;
}

/**
 * Splits hour-mean GHI into DNI and DHI with Erbs et al. (1982), evaluated at the hour's effective zenith
 * acos(mean cos z), so that the closure GHI = DHI + DNI·mean(cos z) holds for the hour. NaN GHI stays NaN
 * in both outputs; night hours (mean cos z = 0) give 0.
 */
export function splitGhiWithErbs(
  timeMs: Float64Array,
  ghiWm2: Float64Array,
  latitudeDeg: number,
  longitudeDeg: number,
): { dniWm2: Float64Array; dhiWm2: Float64Array } {
  const n = timeMs.length;
  const dniWm2 = new Float64Array(n);
  const dhiWm2 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const ghi = ghiWm2[i]!;
    if (Number.isNaN(ghi)) {
      dniWm2[i] = Number.NaN;
      dhiWm2[i] = Number.NaN;
      continue;
    }
    const meanCos = hourMeanCosZenith(timeMs[i]!, latitudeDeg, longitudeDeg);
    if (meanCos <= 0) continue;
    const zenithDeg = Math.acos(Math.min(1, meanCos)) / DEG;
    const split = erbsDecomposition(ghi, zenithDeg, dayOfYearUtc(timeMs[i]! - HOUR_MS / 2));
    dniWm2[i] = split.dniWm2;
    dhiWm2[i] = split.dhiWm2;
  }
  return { dniWm2, dhiWm2 };
}

/**
 * The common shape from a parsed Open-Meteo answer. Where Open-Meteo gave the beam on the horizontal
 * (`direct_radiation`) it becomes a normal beam by dividing by the hour-mean cos z (floored at 0.065 so a
 * low sun cannot blow it up); `latitudeDeg`/`longitudeDeg` are the site (used for that geometry).
 */
export function fromOpenMeteo(fc: OpenMeteoForecast, latitudeDeg: number, longitudeDeg: number): HourlyWeatherForecast {
  const n = fc.timeMs.length;
  let dniWm2: Float64Array;
  let beamSource: HourlyWeatherForecast['beamSource'];
  const gaps: WeatherGap[] = [];
  for (const g of fc.gaps) {
    if (g.variable === 'directHorizontalWm2') gaps.push({ variable: 'dniWm2', timeMs: g.timeMs });
    else gaps.push({ variable: g.variable, timeMs: g.timeMs });
  }
  if (fc.dniWm2 !== null) {
    dniWm2 = Float64Array.from(fc.dniWm2);
    beamSource = 'given-normal';
  } else {
    const horizontal = fc.directHorizontalWm2 ?? new Float64Array(n).fill(Number.NaN);
    dniWm2 = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const bh = horizontal[i]!;
      if (Number.isNaN(bh)) {
        dniWm2[i] = Number.NaN;
        continue;
      }
      const meanCos = hourMeanCosZenith(fc.timeMs[i]!, latitudeDeg, longitudeDeg);
      dniWm2[i] = meanCos > 0 ? Math.max(0, bh) / Math.max(meanCos, MIN_COS_ZENITH) : 0;
    }
    beamSource = 'from-horizontal-beam';
  }
  return {
    source: 'open-meteo',
    latitude: fc.latitude,
    longitude: fc.longitude,
    issuedMs: null,
    timeMs: Float64Array.from(fc.timeMs),
    ghiWm2: Float64Array.from(fc.ghiWm2),
    dniWm2,
    dhiWm2: Float64Array.from(fc.dhiWm2),
    beamSource,
    tempC: Float64Array.from(fc.tempC),
    rhPct: Float64Array.from(fc.rhPct),
    cloudPct: Float64Array.from(fc.cloudPct),
    windMs: Float64Array.from(fc.windMs),
    gaps,
  };
}

/**
 * Linear interpolation of an instantaneous, hourly-labelled column at `timeMs`; NaN when a neighbour is NaN
 * or `timeMs` lies outside the labels (never extrapolated, so a short forecast shows up as a gap).
 */
export function interpolateInstantaneous(timeMsAxis: Float64Array, values: Float64Array, timeMs: number): number {
  const n = timeMsAxis.length;
  if (n === 0 || timeMs < timeMsAxis[0]! || timeMs > timeMsAxis[n - 1]!) return Number.NaN;
  const first = timeMsAxis[0]!;
  const i = Math.min(n - 2, Math.max(0, Math.floor((timeMs - first) / HOUR_MS)));
  if (n === 1) return values[0]!;
  const t0 = timeMsAxis[i]!;
  const f = (timeMs - t0) / (timeMsAxis[i + 1]! - t0);
  return values[i]! + f * (values[i + 1]! - values[i]!);
}
