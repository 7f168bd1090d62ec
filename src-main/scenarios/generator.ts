/**
 * Seeded scenario generator (issue 11, part 4): from a seed and an index, one complete `lfc-scenario/1`
 * scenario — community, BESS, operator requests, faults — with its weather files, drawn over the whole
 * year from a real PVGIS typical meteorological year.
 *
 * PURE: no file system, no wall clock, no Math.random. The caller passes the parsed TMY table and the
 * BDEW load-profile library (the generator estimates the community's uncontrolled power with them, to
 * choose targets relative to it); `generate-files.ts` does the reading and writing.
 *
 * Determinism: every draw of scenario `index` comes from named streams of
 * `streamSeed(seed, "generator#<index>")` (see `engine/random.ts`), so the same seed and index always
 * give byte-identical files, and scenario i does not depend on how many are generated (`--count 10` is a
 * prefix of `--count 100`). Within a scenario each aspect (date, community, requests, faults, weather,
 * forecast) has its own stream, so changing how one is drawn does not shift the others.
 *
 * What is real and what is synthetic:
 * - Hourly irradiance (GHI, DNI, DHI), temperature, humidity and wind: the PVGIS TMY of the day of the
 *   year (45 N 8 E), unmodified on the hour scale.
 * - Minute-scale cloud variability on top (a seeded shade/sun telegraph process on the beam, whose
 *   intensity follows the hour's clear-sky index: clear and overcast hours stay calm, broken-cloud hours
 *   flicker), and the forecast's error (a day bias and an hourly AR(1) error on GHI, noise on temperature,
 *   humidity and wind): seeded and synthetic.
 */
import { hourMeanCosZenith } from '../engine/forecast/weather.js';
import type { LoadProfileId, LoadProfileLibrary } from '../engine/models/load/index.js';
import { defaultCountryForTimeZone, quarterHourSeriesKw, utcOffsetMs } from '../engine/models/load/index.js';
import { airMassRelative, extraterrestrialDniWm2, haurwitzClearSkyGhiWm2, poaIrradiance, pvArrayAcPowerKw, solarPositionFast } from '../engine/models/solar/index.js';
import { Rng, streamSeed } from '../engine/random.js';
import { memberId, SCENARIO_FORMAT } from '../engine/scenario/schema.js';
import type { StorageParams } from '../sim/storage.js';

// ---------------------------------------------------------------------------------------------------
// The real weather: a PVGIS TMY CSV

/** A PVGIS typical meteorological year, hourly, indexed by the hour of a non-leap year in UTC. */
export interface TmyWeather {
  latitude: number;
  longitude: number;
  elevationM: number;
  /** PVGIS "Irradiance Time Offset": the satellite irradiance of row HH:00 was taken at HH:00 + this, h. */
  irradianceOffsetH: number;
  /** The source year PVGIS chose for each month (index 0 = January). */
  monthYears: number[];
  /** 8760 values each, row h = hour h of the year (UTC), Jan 1 00:00 = 0. */
  tempC: Float64Array;
  rhPct: Float64Array;
  ghiWm2: Float64Array;
  dniWm2: Float64Array;
  dhiWm2: Float64Array;
  windMs: Float64Array;
}

const HOURS_PER_YEAR = 8760;
const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
const QUARTER_MS = 900_000;
const DAY_MS = 86_400_000;
const CUMULATIVE_DAYS = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

/**
 * Parses the PVGIS TMY CSV (`tmy_<lat>_<lon>_<years>.csv`: a metadata header, the month/year table, the
 * hourly table `time(UTC),T2m,RH,G(h),Gb(n),Gd(h),IR(h),WS10m,WD10m,SP`, then a footer of units).
 * @throws Error naming the line on anything unexpected.
 */
export function parsePvgisTmyCsv(text: string): TmyWeather {
  const lines = text.split(/\r?\n/);
  const meta = (label: string): number => {
    const line = lines.find((l) => l.startsWith(label));
    const v = line === undefined ? Number.NaN : Number(line.slice(line.indexOf(':') + 1));
    if (!Number.isFinite(v)) throw new Error(`PVGIS TMY: expected a "${label}: <number>" line`);
    return v;
  };
  const latitude = meta('Latitude');
  const longitude = meta('Longitude');
  const elevationM = meta('Elevation');
  const irradianceOffsetH = meta('Irradiance Time Offset');
  const monthYears: number[] = [];
  const monthStart = lines.indexOf('month,year');
  if (monthStart >= 0) {
    for (let m = 0; m < 12; m++) monthYears.push(Number((lines[monthStart + 1 + m] ?? '').split(',')[1]));
  }
  const headerAt = lines.findIndex((l) => l.startsWith('time(UTC),'));
  if (headerAt < 0) throw new Error('PVGIS TMY: no "time(UTC),…" header line');
  const header = (lines[headerAt] ?? '').split(',');
  const col = (name: string): number => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`PVGIS TMY: no column "${name}" in line ${headerAt + 1}`);
    return i;
  };
  const cols = { t: col('T2m'), rh: col('RH'), g: col('G(h)'), b: col('Gb(n)'), d: col('Gd(h)'), ws: col('WS10m') };
  const out: TmyWeather = {
    latitude,
    longitude,
    elevationM,
    irradianceOffsetH,
    monthYears,
    tempC: new Float64Array(HOURS_PER_YEAR).fill(Number.NaN),
    rhPct: new Float64Array(HOURS_PER_YEAR).fill(Number.NaN),
    ghiWm2: new Float64Array(HOURS_PER_YEAR).fill(Number.NaN),
    dniWm2: new Float64Array(HOURS_PER_YEAR).fill(Number.NaN),
    dhiWm2: new Float64Array(HOURS_PER_YEAR).fill(Number.NaN),
    windMs: new Float64Array(HOURS_PER_YEAR).fill(Number.NaN),
  };
  let rows = 0;
  for (let i = headerAt + 1; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const m = /^\d{4}(\d{2})(\d{2}):(\d{2})\d{2},/.exec(line);
    if (m === null) {
      if (line.trim() === '') break; // the table ends at the blank line before the footer
      throw new Error(`PVGIS TMY line ${i + 1}: expected a row "YYYYMMDD:HHMM,…", got ${JSON.stringify(line.slice(0, 40))}`);
    }
    const month = Number(m[1]);
    const day = Number(m[2]);
    const hour = Number(m[3]);
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || (month === 2 && day === 29)) {
      throw new Error(`PVGIS TMY line ${i + 1}: unexpected time ${line.slice(0, 13)}`);
    }
    const h = ((CUMULATIVE_DAYS[month - 1] ?? 0) + day - 1) * 24 + hour;
    const cells = line.split(',').map(Number);
    const get = (c: number, what: string): number => {
      const v = cells[c];
      if (v === undefined || !Number.isFinite(v)) throw new Error(`PVGIS TMY line ${i + 1}: ${what} is not a number`);
      return v;
    };
    out.tempC[h] = get(cols.t, 'T2m');
    out.rhPct[h] = get(cols.rh, 'RH');
    out.ghiWm2[h] = Math.max(0, get(cols.g, 'G(h)'));
    out.dniWm2[h] = Math.max(0, get(cols.b, 'Gb(n)'));
    out.dhiWm2[h] = Math.max(0, get(cols.d, 'Gd(h)'));
    out.windMs[h] = Math.max(0, get(cols.ws, 'WS10m'));
    rows++;
  }
  if (rows !== HOURS_PER_YEAR || out.tempC.some((v) => Number.isNaN(v))) {
    throw new Error(`PVGIS TMY: expected ${HOURS_PER_YEAR} hourly rows (one per hour of a non-leap year), got ${rows}`);
  }
  return out;
}

/** Row of the TMY for the UTC hour containing `ms` (the TMY is a typical year: only the day of year counts). */
export function tmyHourIndex(ms: number): number {
  const d = new Date(ms);
  const yearStart = Date.UTC(d.getUTCFullYear(), 0, 1);
  let dayOfYear = Math.floor((ms - yearStart) / DAY_MS); // 0-based
  if (dayOfYear > 364) dayOfYear = 364; // Dec 31 of a leap year: the typical year's Dec 31
  return (((dayOfYear * 24 + d.getUTCHours()) % HOURS_PER_YEAR) + HOURS_PER_YEAR) % HOURS_PER_YEAR;
}

// ---------------------------------------------------------------------------------------------------
// The output

/** What the CLI prints and the tests check, besides the files. */
export interface GeneratedSummary {
  name: string;
  season: Season;
  /** Local date of the start, YYYY-MM-DD. */
  date: string;
  members: number;
  /** Use case of each event, in order. */
  useCases: number[];
  /** Kind of each fault, in order. */
  faults: string[];
  spanH: number;
  bessKw: number;
  bessKwh: number;
  connectionLimitKw: number;
  /** Requests whose `startAt` is after `at`. */
  announced: number;
  immediate: number;
  /** Requests that start while an earlier run is in force. */
  supersessions: number;
  /** Stops (use case 0) while a run is in force. */
  operatorStops: number;
  /** Runs without an end of their own (use case 1, 3 or 4 without durationS). */
  openEnded: number;
  /** Requested duration of every run with one, s. */
  durationsS: number[];
  /** The generator's own estimate, per request: held easily, exhausting part way, or out of reach. */
  difficulty: Difficulty[];
}

export interface GeneratedScenario {
  name: string;
  /** The scenario JSON object (write it with `JSON.stringify(scenario, null, 2)`). */
  scenario: ScenarioJson;
  /** `weather/actual.csv`: 1-minute rows from start to end. */
  actualCsv: string;
  /** `weather/forecast.json`: an Open-Meteo `/v1/forecast` body, 48 hourly values. */
  forecastJson: string;
  summary: GeneratedSummary;
}

export type Season = 'winter' | 'spring' | 'summer' | 'autumn';
export type Difficulty = 'easy' | 'exhausting' | 'out-of-reach';

/** The scenario as written (field order as in the bundled scenarios). */
/**
 * The scenario as written, stricter than the schema's input (every field present, so the files say what
 * they are). The tests hold it to the schema by loading every written file with the real loader.
 */
export interface ScenarioJson {
  format: typeof SCENARIO_FORMAT;
  name: string;
  description: string;
  site: { latitude: number; longitude: number; elevationM: number; timezone: string; connectionLimitKw: number };
  start: string;
  end: string;
  stepS: number;
  seed: number;
  measurement: { breakerPeriodS: number; assetPeriodS: number; breakerNoiseKw: number; delayS: number };
  control: { bessPeriodS: number; dispatchPeriodS: number };
  weather: { actual: { file: string }; forecast: { file: string; format: 'open-meteo' } };
  assets: AssetJson[];
  events: EventJson[];
  faults: FaultJson[];
}

/** A storage asset as written: the simulator's own parameters (`sim/storage.ts`) and an id. */
type StorageJson = { id: string } & StorageParams;
export type AssetJson =
  | ({ kind: 'bess' } & StorageJson)
  | ({ kind: 'householdStorage' } & StorageJson & { count: number; mode: 'selfConsumption'; pairedWith: { load: string; pv: string } })
  | {
      kind: 'heatPump';
      id: string;
      count: number;
      powerKw: number;
      cop: number;
      thermal: { capacityKwhPerK: number; lossKwPerK: number; indoorInitC: number; indoorMinC: number; indoorMaxC: number; setpointC: number };
      minOnS: number;
      minOffS: number;
    }
  | { kind: 'pv'; id: string; count: number; kwp: number; tiltDeg: number; azimuthDeg: number; lossesPct: number; curtailable: boolean }
  | { kind: 'load'; id: string; count: number; profile: LoadProfileId; annualKwh: number; noisePct: number };

export interface EventJson {
  at: string;
  startAt?: string;
  useCase: 0 | 1 | 2 | 3 | 4;
  targetKw?: number;
  durationS?: number;
  toleranceKw?: number;
  schedule?: Array<{ from: string; to: string; targetKw: number }>;
}

export interface FaultJson {
  at: string;
  kind: FaultKind;
  asset?: string;
  durationS: number;
}

export const GENERATED_FAULT_KINDS = [
  'breakerSensorDropout',
  'breakerSensorNaN',
  'breakerSensorStuck',
  'assetOffline',
  'assetSetpointRejected',
  'forecastMissing',
] as const;
type FaultKind = (typeof GENERATED_FAULT_KINDS)[number];

/** Scenario name: `gen-s<seed>-<index padded to 4>`. */
export function generatedName(seed: number, index: number): string {
  return `gen-s${seed}-${String(index).padStart(4, '0')}`;
}

// ---------------------------------------------------------------------------------------------------
// Fixed choices

const SCENARIO_YEAR = 2026;
const TIME_ZONE = 'Europe/Rome';
const MIN_MEMBERS = 50;
const MAX_MEMBERS = 2000;
/** Longest scenario, h: replays stay fast. Larger communities get shorter spans (see `maxSpanH`). */
const MAX_SPAN_H = 16;
const MIN_DURATION_MS = 15 * MINUTE_MS;
const MAX_DURATION_MS = 12 * HOUR_MS;
/** Standard MV/LV transformer ratings, kVA: the connection limit is the smallest one above the peaks. */
const TRANSFORMER_KVA = [160, 250, 400, 630, 800, 1000, 1250, 1600, 2000, 2500, 3150, 4000, 5000, 6300];
/** Fraction of scenarios with faults. */
const FAULT_PROBABILITY = 0.3;

/** Longest span for a community of `members`: ≤ 16 h, shorter for the largest (replay cost grows with members × time). */
export function maxSpanH(members: number): number {
  return Math.min(MAX_SPAN_H, Math.max(10, 16 * Math.sqrt(600 / members)));
}

// ---------------------------------------------------------------------------------------------------
// Random helpers

class Draw {
  readonly rng: Rng;
  constructor(seed: number) {
    this.rng = new Rng(seed);
  }
  u(): number {
    return this.rng.next();
  }
  uniform(a: number, b: number): number {
    return a + (b - a) * this.rng.next();
  }
  /** Whole number in [a, b]. */
  int(a: number, b: number): number {
    return a + Math.floor(this.rng.next() * (b - a + 1));
  }
  chance(p: number): boolean {
    return this.rng.next() < p;
  }
  normal(): number {
    return this.rng.normal();
  }
  pick<T>(items: readonly T[]): T {
    const v = items[Math.floor(this.rng.next() * items.length)];
    if (v === undefined) throw new Error('pick from an empty list');
    return v;
  }
  weighted<T>(items: ReadonlyArray<readonly [T, number]>): T {
    const total = items.reduce((s, [, w]) => s + w, 0);
    let x = this.rng.next() * total;
    for (const [v, w] of items) {
      x -= w;
      if (x < 0) return v;
    }
    return items[items.length - 1]![0];
  }
  /** Log-uniform in [a, b]. */
  logUniform(a: number, b: number): number {
    return a * Math.pow(b / a, this.rng.next());
  }
}

const round = (x: number, step: number): number => {
  const v = Math.round(x / step) * step;
  // Keep decimal steps clean (0.1 × 3 = 0.30000000000000004) and never write -0.
  const r = Number(v.toFixed(Math.max(0, -Math.floor(Math.log10(step)) + 1)));
  return r === 0 ? 0 : r;
};
const clamp = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);

// ---------------------------------------------------------------------------------------------------
// Time

function offsetMin(ms: number): number {
  return Math.round(utcOffsetMs(ms, TIME_ZONE) / MINUTE_MS);
}

/** `2026-06-21T09:00:00+02:00`: local time in the site's zone with its offset at that instant. */
export function isoLocal(ms: number): string {
  const off = offsetMin(ms);
  const wall = new Date(ms + off * MINUTE_MS).toISOString().slice(0, 19);
  const sign = off < 0 ? '-' : '+';
  const a = Math.abs(off);
  return `${wall}${sign}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}

/** UTC ms of local midnight on the local date of `ms`. */
function localMidnight(ms: number): number {
  const wall = ms + offsetMin(ms) * MINUTE_MS;
  const wallMidnight = Math.floor(wall / DAY_MS) * DAY_MS;
  // The offset at midnight itself (DST switches happen at 02:00/03:00, never at midnight here).
  const guess = wallMidnight - offsetMin(wallMidnight) * MINUTE_MS;
  return wallMidnight - offsetMin(guess) * MINUTE_MS;
}

function seasonOfMonth(month: number): Season {
  if (month === 12 || month <= 2) return 'winter';
  if (month <= 5) return 'spring';
  if (month <= 8) return 'summer';
  return 'autumn';
}

function formatDuration(ms: number): string {
  const min = Math.round(ms / MINUTE_MS);
  const h = Math.floor(min / 60);
  const m = min % 60;
  return h === 0 ? `${m} min` : m === 0 ? `${h} h` : `${h} h ${m} min`;
}

const hhmm = (ms: number): string => isoLocal(ms).slice(11, 16);

// ---------------------------------------------------------------------------------------------------
// Community

interface Community {
  members: number;
  households: number;
  assets: AssetJson[];
  bess: Extract<AssetJson, { kind: 'bess' }>;
  connectionLimitKw: number;
  toleranceKw: number;
  /** Member ids that faults may name. */
  faultTargets: { storages: string[]; heatPumps: string[]; curtailablePv: string[] };
  text: string;
}

/** Members of a community: log-uniform-ish between 50 and 2,000, skewed to small ones (most are < 300). */
function drawMembers(d: Draw): number {
  return Math.round(MIN_MEMBERS * Math.pow(MAX_MEMBERS / MIN_MEMBERS, Math.pow(d.u(), 1.6)));
}

function drawCommunity(d: Draw, members: number, season: Season, tmy: TmyWeather, spanHours: number[]): Community {
  const assets: AssetJson[] = [];
  const shops = d.chance(0.7) ? Math.max(1, Math.round(members * d.uniform(0.01, 0.05))) : 0;
  const farms = d.chance(0.5) ? Math.max(1, Math.round(members * d.uniform(0.005, 0.03))) : 0;
  const households = members - shops - farms;
  // Households with behind-the-meter PV (P25) or PV and battery (S25) are loads with those profiles; the
  // EMS cannot control them. The controllable roofs, batteries and heat pumps sit in the `hh` households.
  const withPvProfile = d.chance(0.35) ? Math.round(households * d.uniform(0.05, 0.2)) : 0;
  const withPvBatteryProfile = d.chance(0.25) ? Math.round(households * d.uniform(0.02, 0.1)) : 0;
  const hh = households - withPvProfile - withPvBatteryProfile;
  const hhProfile: LoadProfileId = d.chance(0.5) ? 'H0' : 'H25';
  assets.push({ kind: 'load', id: 'hh', count: hh, profile: hhProfile, annualKwh: round(d.uniform(2500, 4500), 100), noisePct: d.int(20, 35) });
  if (withPvProfile > 0) {
    assets.push({ kind: 'load', id: 'hhp', count: withPvProfile, profile: 'P25', annualKwh: round(d.uniform(2000, 4000), 100), noisePct: d.int(20, 35) });
  }
  if (withPvBatteryProfile > 0) {
    assets.push({ kind: 'load', id: 'hhs', count: withPvBatteryProfile, profile: 'S25', annualKwh: round(d.uniform(1500, 3500), 100), noisePct: d.int(20, 35) });
  }
  if (shops > 0) {
    assets.push({ kind: 'load', id: 'shop', count: shops, profile: d.chance(0.5) ? 'G0' : 'G25', annualKwh: round(d.uniform(10_000, 80_000), 1000), noisePct: d.int(10, 20) });
  }
  if (farms > 0) {
    assets.push({ kind: 'load', id: 'farm', count: farms, profile: 'L0', annualKwh: round(d.uniform(15_000, 60_000), 1000), noisePct: d.int(15, 25) });
  }

  // PV roofs on the hh households, one orientation per community (members k of hh and roof share a house).
  const roofs = Math.round(hh * d.uniform(0.1, 0.5));
  const roofKwp = round(d.uniform(3, 10), 0.5);
  if (roofs > 0) {
    assets.push({
      kind: 'pv',
      id: 'roof',
      count: roofs,
      kwp: roofKwp,
      tiltDeg: d.int(15, 40),
      azimuthDeg: d.pick([90, 135, 150, 165, 180, 180, 180, 195, 210, 225, 270]),
      lossesPct: 14,
      curtailable: false,
    });
  }
  // Larger PV (barns, a school roof, a small field): curtailable or not.
  let bigCount = 0;
  let bigKwp = 0;
  let bigCurtailable = false;
  if (d.chance(0.55)) {
    bigCount = d.int(1, members > 500 ? 4 : 2);
    bigKwp = round(clamp(d.uniform(0.05, 0.3) * members, 30, 400), 10);
    bigCurtailable = d.chance(0.6);
    assets.push({ kind: 'pv', id: 'pvbig', count: bigCount, kwp: bigKwp, tiltDeg: d.int(10, 30), azimuthDeg: d.pick([160, 180, 200]), lossesPct: 14, curtailable: bigCurtailable });
  }
  // Household batteries in some of the houses with a roof.
  const hsCount = roofs > 0 && d.chance(0.75) ? Math.max(1, Math.round(roofs * d.uniform(0.1, 0.6))) : 0;
  let hsPowerKw = 0;
  let hsEnergyKwh = 0;
  if (hsCount > 0) {
    hsPowerKw = round(d.uniform(3, 8), 0.5);
    hsEnergyKwh = round(hsPowerKw * d.uniform(1.5, 2.5), 0.5);
    assets.push({
      kind: 'householdStorage',
      id: 'hs',
      count: hsCount,
      powerKw: hsPowerKw,
      energyKwh: hsEnergyKwh,
      socInitPct: d.int(20, 80),
      socMinPct: 5,
      socMaxPct: 95,
      roundTripEfficiency: round(d.uniform(0.88, 0.94), 0.01),
      rampKwPerS: hsPowerKw,
      responseDelayS: d.int(2, 8),
      mode: 'selfConsumption',
      pairedWith: { load: 'hh', pv: 'roof' },
    });
  }
  // Heat pumps: most in winter, few in summer.
  const hpShare = { winter: [0.95, 0.1, 0.4], spring: [0.75, 0.05, 0.3], autumn: [0.75, 0.05, 0.3], summer: [0.4, 0.02, 0.15] }[season];
  const hpCount = d.chance(hpShare[0]!) ? Math.max(1, Math.round(hh * d.uniform(hpShare[1]!, hpShare[2]!))) : 0;
  let hpPowerKw = 0;
  if (hpCount > 0) {
    hpPowerKw = round(d.uniform(2, 5), 0.5);
    const cop = round(season === 'winter' ? d.uniform(2.5, 3.5) : d.uniform(3, 4.2), 0.1);
    const indoorMinC = round(d.uniform(19.5, 20.5), 0.5);
    const indoorMaxC = round(indoorMinC + d.uniform(1.5, 3), 0.5);
    const setpointC = round((indoorMinC + indoorMaxC) / 2, 0.5);
    // The thermostat must be able to keep the house warm on the coldest hour of the span.
    const coldest = Math.min(...spanHours.map((h) => tmy.tempC[h] ?? 10));
    const maxLoss = (0.8 * cop * hpPowerKw) / Math.max(1, setpointC - coldest);
    assets.push({
      kind: 'heatPump',
      id: 'hp',
      count: hpCount,
      powerKw: hpPowerKw,
      cop,
      thermal: {
        capacityKwhPerK: round(d.uniform(2.5, 8), 0.5),
        lossKwPerK: round(Math.min(d.uniform(0.1, 0.3), maxLoss), 0.01) || 0.01,
        indoorInitC: round(d.uniform(indoorMinC, indoorMaxC), 0.1),
        indoorMinC,
        indoorMaxC,
        setpointC,
      },
      minOnS: d.pick([300, 600, 900, 1200]),
      minOffS: d.pick([300, 600, 900, 1200]),
    });
  }

  // The community BESS: 300 kW / 600 kWh is the product's reference (a ~125-member community), scaled
  // loosely with size, 100–1000 kW with 1–3 h of energy.
  const bessKw = round(clamp(300 * Math.pow(members / 150, 0.6) * d.uniform(0.6, 1.3), 100, 1000), 50);
  const bessKwh = round(bessKw * d.uniform(1, 3), 50);
  const socMin = d.int(5, 15);
  const socMax = d.int(85, 95);
  const bess: Extract<AssetJson, { kind: 'bess' }> = {
    kind: 'bess',
    id: 'bess',
    powerKw: bessKw,
    energyKwh: bessKwh,
    socInitPct: d.int(Math.max(socMin, 20), Math.min(socMax, 80)),
    socMinPct: socMin,
    socMaxPct: socMax,
    roundTripEfficiency: round(d.uniform(0.85, 0.93), 0.01),
    rampKwPerS: round(bessKw / d.uniform(3, 8), 5),
    responseDelayS: d.int(1, 3),
  };
  assets.unshift(bess);

  // Connection limit: the smallest standard transformer rating with 10 % margin above the uncontrolled
  // peaks (every load at its profile's peak, about 0.35 kW per MWh/a for households with the winter
  // dynamisation and 0.3 for businesses and farms, with 80 % of the heat pumps on; or all PV feeding in at
  // 90 % of its kWp) and at least 1.5 × the BESS power.
  let peakImport = 0.8 * hpCount * hpPowerKw;
  for (const a of assets) if (a.kind === 'load') peakImport += a.count * a.annualKwh * (a.profile.startsWith('H') ? 0.35 : 0.3) * 1e-3;
  const pvKwp = roofs * roofKwp + bigCount * bigKwp;
  const peakExport = 0.9 * pvKwp;
  const need = Math.max(1.1 * peakImport, 1.1 * peakExport, 1.5 * bessKw);
  const connectionLimitKw = TRANSFORMER_KVA.find((k) => k >= need) ?? round(need, 100);
  const toleranceKw = clamp(round(connectionLimitKw * 0.015, 5), 5, 40);

  const storages = hsCount > 0 ? Array.from({ length: hsCount }, (_, k) => memberId('hs', k + 1, hsCount)) : [];
  const heatPumps = hpCount > 0 ? Array.from({ length: hpCount }, (_, k) => memberId('hp', k + 1, hpCount)) : [];
  const curtailablePv = bigCurtailable ? Array.from({ length: bigCount }, (_, k) => memberId('pvbig', k + 1, bigCount)) : [];
  const parts = [`${households} households`];
  if (shops > 0) parts.push(`${shops} ${shops === 1 ? 'business' : 'businesses'}`);
  if (farms > 0) parts.push(`${farms} ${farms === 1 ? 'farm' : 'farms'}`);
  const kit = [roofs > 0 ? `${roofs} PV roofs of ${roofKwp} kWp` : 'no PV roofs'];
  if (bigCount > 0) kit.push(`${bigCount} × ${bigKwp} kWp larger PV${bigCurtailable ? ' (curtailable)' : ' (not curtailable)'}`);
  kit.push(hsCount > 0 ? `${hsCount} household batteries` : 'no household batteries');
  kit.push(hpCount > 0 ? `${hpCount} heat pumps` : 'no heat pumps');
  const text = `${members} members (${parts.join(', ')}; ${kit.join(', ')}), community BESS ${bessKw} kW / ${bessKwh} kWh, connection ${connectionLimitKw} kW`;
  return { members, households, assets, bess, connectionLimitKw, toleranceKw, faultTargets: { storages, heatPumps, curtailablePv }, text };
}

// ---------------------------------------------------------------------------------------------------
// Requests: the timeline (when, which use case, how long), then the targets

type Pattern = 'single' | 'supersede' | 'stop' | 'sequence' | 'supersedeThenStop';

interface Request {
  uc: 1 | 2 | 3 | 4;
  atMs: number;
  startMs: number;
  /** Nominal length: the duration, or for an open-ended run how long it was meant to go on. */
  lengthMs: number;
  openEnded: boolean;
  /** Set when a later stop or request ends this run before its nominal end. */
  cutMs: number | null;
  targetKw?: number;
  schedule?: Array<{ fromMs: number; toMs: number; targetKw: number }>;
  difficulty?: Difficulty;
}
interface Stop {
  uc: 0;
  atMs: number;
}

const drawUseCase = (d: Draw): 1 | 2 | 3 | 4 =>
  d.weighted<1 | 2 | 3 | 4>([
    [2, 0.45],
    [1, 0.15],
    [3, 0.2],
    [4, 0.2],
  ]);

/** Log-uniform between 15 min and min(12 h, maxMs), on a 15-minute grid (null if even 15 min do not fit). */
function drawDuration(d: Draw, maxMs: number): number | null {
  const hi = Math.min(MAX_DURATION_MS, Math.floor(maxMs / QUARTER_MS) * QUARTER_MS);
  if (hi < MIN_DURATION_MS) return null;
  return clamp(round(d.logUniform(MIN_DURATION_MS, MAX_DURATION_MS), QUARTER_MS), MIN_DURATION_MS, hi);
}

function drawRequest(d: Draw, atMs: number, budgetEndMs: number, opts: { announceBeforeMs?: number; allowOpen: boolean; minLengthMs?: number }): Request | null {
  const uc = drawUseCase(d);
  let startMs = atMs;
  if (d.chance(0.4)) {
    // Announced: 15 min to 3 h ahead (5-minute grid), within what the caller allows.
    const maxLead = Math.min(3 * HOUR_MS, opts.announceBeforeMs ?? Infinity, budgetEndMs - atMs - (opts.minLengthMs ?? MIN_DURATION_MS) - QUARTER_MS);
    if (maxLead >= 15 * MINUTE_MS) startMs = atMs + round(d.uniform(15 * MINUTE_MS, maxLead), 5 * MINUTE_MS);
  }
  const lengthMs = drawDuration(d, budgetEndMs - startMs);
  if (lengthMs === null) return null;
  // Packages need room: at least 30 minutes for use cases 3 and 4.
  const len = uc >= 3 ? Math.max(lengthMs, Math.min(30 * MINUTE_MS, Math.floor((budgetEndMs - startMs) / QUARTER_MS) * QUARTER_MS)) : lengthMs;
  const openEnded = opts.allowOpen && uc !== 2 && d.chance(0.5);
  return { uc, atMs, startMs, lengthMs: len, openEnded, cutMs: null };
}

/** A time on the 5-minute grid strictly inside (lo, hi), at a fraction of the way drawn from [f0, f1]. */
function inside(d: Draw, lo: number, hi: number, f0: number, f1: number): number | null {
  const t = round(lo + (hi - lo) * d.uniform(f0, f1), 5 * MINUTE_MS);
  const tt = clamp(t, lo + 5 * MINUTE_MS, hi - 5 * MINUTE_MS);
  return tt > lo && tt < hi ? tt : null;
}

interface Timeline {
  pattern: Pattern;
  requests: Request[];
  stops: Stop[];
  startMs: number;
  endMs: number;
}

function drawTimeline(d: Draw, dayMidnightMs: number, spanCapH: number): Timeline {
  // Scenario start: a quarter hour between 04:00 and 18:00 local; the first trigger 1–2 h later.
  const startMs = dayMidnightMs + round(d.uniform(4, 18) * HOUR_MS, QUARTER_MS);
  const firstAt = startMs + round(d.uniform(60, 120) * MINUTE_MS, 5 * MINUTE_MS);
  const tailMs = round(d.uniform(45, 90) * MINUTE_MS, QUARTER_MS);
  const budgetEnd = startMs + spanCapH * HOUR_MS - tailMs;
  const pattern = d.weighted<Pattern>([
    ['single', 0.3],
    ['supersede', 0.22],
    ['stop', 0.18],
    ['sequence', 0.2],
    ['supersedeThenStop', 0.1],
  ]);
  const requests: Request[] = [];
  const stops: Stop[] = [];
  const build = (): Pattern => {
    if (pattern === 'sequence') {
      const r1 = drawRequest(d, firstAt, budgetEnd - 60 * MINUTE_MS, { allowOpen: false });
      if (r1 === null) return 'single';
      requests.push(r1);
      const gap = round(d.uniform(15, 120) * MINUTE_MS, 5 * MINUTE_MS);
      const at2 = r1.startMs + r1.lengthMs + gap;
      const r2 = at2 < budgetEnd - MIN_DURATION_MS ? drawRequest(d, at2, budgetEnd, { allowOpen: true }) : null;
      if (r2 !== null) requests.push(r2);
      return r2 === null ? 'single' : 'sequence';
    }
    const r1 = drawRequest(d, firstAt, budgetEnd, { allowOpen: true, minLengthMs: 30 * MINUTE_MS });
    if (r1 === null) throw new Error('internal: no room for a first request');
    requests.push(r1);
    const r1End = r1.startMs + r1.lengthMs;
    if (pattern === 'single' || r1.lengthMs < 30 * MINUTE_MS) return 'single';
    if (pattern === 'stop') {
      const at = inside(d, r1.startMs, r1End, 0.2, 0.85);
      if (at === null) return 'single';
      stops.push({ uc: 0, atMs: at });
      r1.cutMs = at;
      return 'stop';
    }
    // supersede / supersedeThenStop: a second request received during the first run, starting before its end.
    const at2 = inside(d, r1.startMs, r1End, 0.15, 0.75);
    if (at2 === null) return 'single';
    const r2 = drawRequest(d, at2, budgetEnd, { allowOpen: pattern === 'supersede', announceBeforeMs: r1End - at2 - 5 * MINUTE_MS });
    if (r2 === null) return 'single';
    requests.push(r2);
    r1.cutMs = r2.startMs;
    if (pattern === 'supersedeThenStop') {
      const at3 = inside(d, r2.startMs, r2.startMs + r2.lengthMs, 0.25, 0.85);
      if (at3 !== null) {
        stops.push({ uc: 0, atMs: at3 });
        r2.cutMs = at3;
        return 'supersedeThenStop';
      }
    }
    return 'supersede';
  };
  const got = build();
  let last = firstAt;
  for (const r of requests) last = Math.max(last, r.cutMs ?? r.startMs + r.lengthMs);
  for (const s of stops) last = Math.max(last, s.atMs);
  const endMs = Math.ceil((last + tailMs) / QUARTER_MS) * QUARTER_MS;
  return { pattern: got, requests, stops, startMs, endMs };
}

// ---------------------------------------------------------------------------------------------------
// Uncontrolled power: a rough estimate per quarter hour, for choosing targets

interface Estimate {
  /** Per quarter hour from the scenario start: uncontrolled breaker power (loads + heat pumps − PV), kW. */
  uncontrolledKw: Float64Array;
  /** Curtailable PV generation per quarter hour, kW (≥ 0). */
  curtailableKw: Float64Array;
}

interface Flex {
  /** Power the storages can absorb / deliver, kW. */
  chargeKw: number;
  dischargeKw: number;
  /** Energy headroom at the start, kWh (charge = room to absorb, discharge = energy to deliver). */
  chargeKwh: number;
  dischargeKwh: number;
  eta: number;
  toleranceKw: number;
}

function flexOf(c: Community): Flex {
  let chargeKw = 0;
  let chargeKwh = 0;
  let dischargeKwh = 0;
  let etaSum = 0;
  let etaW = 0;
  for (const a of c.assets) {
    if (a.kind !== 'bess' && a.kind !== 'householdStorage') continue;
    const n = a.kind === 'bess' ? 1 : a.count;
    chargeKw += n * a.powerKw;
    chargeKwh += (n * a.energyKwh * (a.socMaxPct - a.socInitPct)) / 100;
    dischargeKwh += (n * a.energyKwh * (a.socInitPct - a.socMinPct)) / 100;
    etaSum += n * a.powerKw * Math.sqrt(a.roundTripEfficiency);
    etaW += n * a.powerKw;
  }
  return { chargeKw, dischargeKw: chargeKw, chargeKwh, dischargeKwh, eta: etaSum / etaW, toleranceKw: c.toleranceKw };
}

/**
 * How much of a window the storages can hold a target for: `needKw[k]` is target − uncontrolled in slot k
 * (positive: the storages must absorb), `weight[k]` the fraction of slot k inside the window. Returns the
 * held fraction of the window and the energy state after it. `derate` < 1 asks for margin.
 */
function holdFraction(needKw: number[], weight: number[], curtailKw: number[], flex: Flex, state: { charge: number; discharge: number }, derate = 1) {
  let charge = state.charge * derate;
  let discharge = state.discharge * derate;
  const pc = flex.chargeKw * derate;
  const pd = flex.dischargeKw * derate;
  let held = 0;
  let total = 0;
  for (const w of weight) total += w;
  let ok = true;
  for (let k = 0; k < needKw.length; k++) {
    const w = weight[k] ?? 0;
    if (w <= 0) continue;
    if (!ok) continue;
    const p = (needKw[k] ?? 0) - Math.sign(needKw[k] ?? 0) * Math.min(Math.abs(needKw[k] ?? 0), flex.toleranceKw);
    const dtH = 0.25 * w;
    if (p > 0) {
      const fromStore = charge > 0 ? Math.min(p, pc) : 0;
      if (p - fromStore > (curtailKw[k] ?? 0)) {
        ok = false;
        continue;
      }
      const e = fromStore * flex.eta * dtH;
      if (e > charge && p > (curtailKw[k] ?? 0)) {
        held += (w * charge) / e;
        charge = 0;
        ok = false;
        continue;
      }
      charge = Math.max(0, charge - e);
      discharge += e;
    } else if (p < 0) {
      if (-p > pd) {
        ok = false;
        continue;
      }
      const e = (-p / flex.eta) * dtH;
      if (e > discharge) {
        held += (w * discharge) / e;
        discharge = 0;
        ok = false;
        continue;
      }
      discharge -= e;
      charge += e;
    }
    held += w;
  }
  return { fraction: total > 0 ? held / total : 1, state: { charge: charge / derate, discharge: discharge / derate } };
}

/** Slot indices and weights of [fromMs, toMs) on the quarter-hour grid from `startMs`. */
function windowSlots(startMs: number, fromMs: number, toMs: number, slots: number): { index: number[]; weight: number[] } {
  const index: number[] = [];
  const weight: number[] = [];
  const k0 = Math.max(0, Math.floor((fromMs - startMs) / QUARTER_MS));
  const k1 = Math.min(slots, Math.ceil((toMs - startMs) / QUARTER_MS));
  for (let k = k0; k < k1; k++) {
    const a = Math.max(fromMs, startMs + k * QUARTER_MS);
    const b = Math.min(toMs, startMs + (k + 1) * QUARTER_MS);
    if (b > a) {
      index.push(k);
      weight.push((b - a) / QUARTER_MS);
    }
  }
  return { index, weight };
}

const DIFFICULTY_WEIGHTS: ReadonlyArray<readonly [Difficulty, number]> = [
  ['easy', 0.55],
  ['exhausting', 0.35],
  ['out-of-reach', 0.1],
];

/**
 * A constant target for `window` (a request's whole window, or one package of it): candidates every few kW
 * across ±connectionLimitKw (sign-limited for packages), each classified by how long the storages could
 * hold it from `state`: easy (held to the end with 20 % margin), exhausting (the storages run out between
 * 20 % and 85 % of the way), out of reach (not even the first few minutes); one drawn from the class
 * wanted, or the nearest class that has candidates.
 */
function chooseTarget(
  d: Draw,
  est: Estimate,
  flex: Flex,
  limitKw: number,
  sign: 'any' | 'import' | 'export',
  windows: Array<{ index: number[]; weight: number[]; fixedKw: number | null }>,
  state: { charge: number; discharge: number },
): { targetKw: number; difficulty: Difficulty } {
  const step = Math.max(5, round(limitKw / 150, 5));
  const lo = sign === 'import' ? 0 : -limitKw;
  const hi = sign === 'export' ? 0 : limitKw;
  const classes: Record<Difficulty, number[]> = { easy: [], exhausting: [], 'out-of-reach': [] };
  // The uncontrolled mean over the free window bounds what "out of reach" may be: within 3× the storage power of it.
  const free = windows.find((w) => w.fixedKw === null);
  let mean = 0;
  let wsum = 0;
  if (free) free.index.forEach((k, j) => ((mean += (est.uncontrolledKw[k] ?? 0) * (free.weight[j] ?? 0)), (wsum += free.weight[j] ?? 0)));
  mean = wsum > 0 ? mean / wsum : 0;
  const evaluate = (target: number, derate: number): number => {
    const need: number[] = [];
    const weight: number[] = [];
    const curtail: number[] = [];
    for (const w of windows) {
      w.index.forEach((k, j) => {
        need.push((w.fixedKw ?? target) - (est.uncontrolledKw[k] ?? 0));
        weight.push(w.weight[j] ?? 0);
        curtail.push(est.curtailableKw[k] ?? 0);
      });
    }
    return holdFraction(need, weight, curtail, flex, state, derate).fraction;
  };
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) {
    const t = round(v, 5);
    if (Math.abs(t) > limitKw) continue;
    if (evaluate(t, 0.8) >= 1) classes.easy.push(t);
    else {
      const f = evaluate(t, 1);
      if (f >= 0.2 && f <= 0.85) classes.exhausting.push(t);
      else if (f < 0.05 && Math.abs(t - mean) <= 3 * flex.chargeKw) classes['out-of-reach'].push(t);
    }
  }
  const wanted = d.weighted(DIFFICULTY_WEIGHTS);
  const order: Difficulty[] = wanted === 'easy' ? ['easy', 'exhausting', 'out-of-reach'] : wanted === 'exhausting' ? ['exhausting', 'easy', 'out-of-reach'] : ['out-of-reach', 'exhausting', 'easy'];
  for (const c of order) {
    if (classes[c].length > 0) return { targetKw: d.pick(classes[c]), difficulty: c };
  }
  // Nothing classifiable (held between 5 % and 20 %, or above 85 % but not with margin): hold the mean.
  return { targetKw: round(clamp(mean, lo, hi), 5), difficulty: 'exhausting' };
}

function assignTargets(d: Draw, tl: Timeline, est: Estimate, c: Community): void {
  const flex = flexOf(c);
  const slots = est.uncontrolledKw.length;
  let state = { charge: flex.chargeKwh, discharge: flex.dischargeKwh };
  const ordered = [...tl.requests].sort((a, b) => a.startMs - b.startMs);
  for (const r of ordered) {
    const endMs = Math.min(r.cutMs ?? Infinity, r.startMs + r.lengthMs, tl.endMs);
    const win = windowSlots(tl.startMs, r.startMs, endMs, slots);
    if (r.uc === 2) {
      const t = chooseTarget(d, est, flex, c.connectionLimitKw, 'any', [{ ...win, fixedKw: null }], state);
      r.targetKw = t.targetKw;
      r.difficulty = t.difficulty;
    } else if (r.uc === 1) {
      r.difficulty = classify(est, flex, [{ ...win, fixedKw: 0 }], state);
    } else {
      // Packages inside the nominal window (0 kW between them, as the use case says).
      const nominalEnd = Math.min(r.startMs + r.lengthMs, tl.endMs);
      const from0 = Math.ceil(r.startMs / QUARTER_MS) * QUARTER_MS;
      const quarters = Math.max(1, Math.floor((nominalEnd - from0) / QUARTER_MS));
      const n = Math.min(quarters, d.weighted([
        [1, 0.45],
        [2, 0.35],
        [3, 0.2],
      ] as const));
      const sub = quarters / n;
      const schedule: Array<{ fromMs: number; toMs: number; targetKw: number }> = [];
      const windows: Array<{ index: number[]; weight: number[]; fixedKw: number | null }> = [];
      let prevTo = r.startMs;
      const difficulties: Difficulty[] = [];
      for (let p = 0; p < n; p++) {
        const s0 = Math.ceil(p * sub);
        const s1 = Math.floor((p + 1) * sub);
        const room = Math.max(1, s1 - s0);
        const len = clamp(Math.round(room * d.uniform(0.3, 1)), 1, Math.min(room, 12));
        const off = d.int(0, room - len);
        const fromMs = Math.max(prevTo, from0 + (s0 + off) * QUARTER_MS);
        const toMs = Math.min(nominalEnd, fromMs + len * QUARTER_MS);
        if (toMs <= fromMs) continue;
        // 0 kW from the previous package's end to this one's start, then the package.
        const gap = windowSlots(tl.startMs, prevTo, Math.min(fromMs, endMs), slots);
        if (gap.index.length > 0 && fromMs > prevTo) windows.push({ ...gap, fixedKw: 0 });
        const pk = windowSlots(tl.startMs, fromMs, Math.min(toMs, endMs), slots);
        const t = pk.index.length > 0
          ? chooseTarget(d, est, flex, c.connectionLimitKw, r.uc === 3 ? 'import' : 'export', [...windows, { ...pk, fixedKw: null }], state)
          : { targetKw: round(d.uniform(0, 0.5 * flex.chargeKw) * (r.uc === 3 ? 1 : -1), 5), difficulty: 'easy' as Difficulty };
        schedule.push({ fromMs, toMs, targetKw: t.targetKw });
        if (pk.index.length > 0) {
          windows.push({ ...pk, fixedKw: t.targetKw });
          difficulties.push(t.difficulty);
        }
        prevTo = toMs;
      }
      // Never an empty schedule: at worst one package over the whole window.
      if (schedule.length === 0) schedule.push({ fromMs: r.startMs, toMs: nominalEnd, targetKw: 0 });
      r.schedule = schedule;
      const rank: Record<Difficulty, number> = { easy: 0, exhausting: 1, 'out-of-reach': 2 };
      r.difficulty = difficulties.reduce<Difficulty>((a, b) => (rank[b] > rank[a] ? b : a), 'easy');
    }
    // Carry the storages' energy state into the next request (idle in between).
    const need: number[] = [];
    const weight: number[] = [];
    const curtail: number[] = [];
    win.index.forEach((k, j) => {
      need.push(targetAt(r, tl.startMs + (k + 0.5) * QUARTER_MS) - (est.uncontrolledKw[k] ?? 0));
      weight.push(win.weight[j] ?? 0);
      curtail.push(est.curtailableKw[k] ?? 0);
    });
    state = holdFraction(need, weight, curtail, flex, state).state;
    state = { charge: clamp(state.charge, 0, flex.chargeKwh + flex.dischargeKwh), discharge: clamp(state.discharge, 0, flex.chargeKwh + flex.dischargeKwh) };
  }
}

function targetAt(r: Request, t: number): number {
  if (r.uc === 1) return 0;
  if (r.uc === 2) return r.targetKw ?? 0;
  for (const p of r.schedule ?? []) if (t >= p.fromMs && t < p.toMs) return p.targetKw;
  return 0;
}

function classify(est: Estimate, flex: Flex, windows: Array<{ index: number[]; weight: number[]; fixedKw: number | null }>, state: { charge: number; discharge: number }): Difficulty {
  const need: number[] = [];
  const weight: number[] = [];
  const curtail: number[] = [];
  for (const w of windows) {
    w.index.forEach((k, j) => {
      need.push((w.fixedKw ?? 0) - (est.uncontrolledKw[k] ?? 0));
      weight.push(w.weight[j] ?? 0);
      curtail.push(est.curtailableKw[k] ?? 0);
    });
  }
  if (holdFraction(need, weight, curtail, flex, state, 0.8).fraction >= 1) return 'easy';
  return holdFraction(need, weight, curtail, flex, state).fraction < 0.05 ? 'out-of-reach' : 'exhausting';
}

// ---------------------------------------------------------------------------------------------------
// Weather: the actual minute series (TMY + seeded cloud variability) and the forecast (hourly + error)

/** Meinel clear-sky DNI, W/m²: E0 · 0.7^(AM^0.678); 0 with the sun down. */
function clearSkyDniWm2(zenithDeg: number, dayOfYear: number): number {
  if (!(zenithDeg < 90)) return 0;
  return extraterrestrialDniWm2(dayOfYear) * Math.pow(0.7, Math.pow(airMassRelative(zenithDeg), 0.678));
}

function dayOfYearOf(ms: number): number {
  const d = new Date(ms);
  return Math.floor((ms - Date.UTC(d.getUTCFullYear(), 0, 1)) / DAY_MS) + 1;
}

interface HourIndices {
  /** GHI and DHI of the hour, W/m² (PVGIS gaps filled, see `tmyHour`). */
  ghiWm2: number;
  dhiWm2: number;
  /** Share of the clear-sky beam the hour's beam reached (horizontal beam mean / clear-sky one), 0…1.15. */
  beamFraction: number;
  /** Diffuse per unit cos z, W/m². */
  diffuse: number;
  /** Haurwitz clear-sky GHI, hour mean, W/m². */
  clearSkyMean: number;
  meanCosZ: number;
}

/** Sun samples per hour for the hour means (every 5 minutes, at the sub-interval middles). */
const SUN_SAMPLES = 12;

function clearSkyHour(tmy: TmyWeather, hourStartMs: number): { ghi: number; beamH: number } {
  let ghi = 0;
  let beamH = 0;
  const doy = dayOfYearOf(hourStartMs);
  for (let s = 0; s < SUN_SAMPLES; s++) {
    const sun = solarPositionFast(hourStartMs + ((s + 0.5) * HOUR_MS) / SUN_SAMPLES, tmy.latitude, tmy.longitude);
    ghi += haurwitzClearSkyGhiWm2(sun.apparentZenithDeg) / SUN_SAMPLES;
    beamH += (clearSkyDniWm2(sun.zenithDeg, doy) * Math.max(0, Math.cos((sun.zenithDeg * Math.PI) / 180))) / SUN_SAMPLES;
  }
  return { ghi, beamH };
}

/**
 * The TMY's GHI and DHI for the hour starting at `hourStartMs`. PVGIS has a few daytime hours with G = 0
 * while the sun is well up (missing satellite images: 20 hours between 09 and 15 UTC, most of them on
 * 17–18 May): those are filled with the clear-sky index and diffuse fraction interpolated between the
 * nearest valid daylight hours, so a gap does not become an hour of darkness at noon.
 */
function tmyHour(tmy: TmyWeather, hourStartMs: number, csGhi: number): { ghi: number; dhi: number } {
  const h = tmyHourIndex(hourStartMs);
  const ghi = tmy.ghiWm2[h] ?? 0;
  const dhi = Math.min(ghi, tmy.dhiWm2[h] ?? 0);
  if (ghi > 0 || csGhi <= 50) return { ghi, dhi };
  const near = (dir: 1 | -1): { k: number; kt: number; df: number } | null => {
    for (let k = 1; k <= 48; k++) {
      const t = hourStartMs + dir * k * HOUR_MS;
      const j = tmyHourIndex(t);
      const g = tmy.ghiWm2[j] ?? 0;
      if (g <= 0) continue;
      const cs = clearSkyHour(tmy, t).ghi;
      if (cs > 50) return { k, kt: g / cs, df: Math.min(1, (tmy.dhiWm2[j] ?? 0) / g) };
    }
    return null;
  };
  const a = near(-1);
  const b = near(1);
  const kt = a && b ? (a.kt * b.k + b.kt * a.k) / (a.k + b.k) : (a ?? b)?.kt ?? 0.3;
  const df = a && b ? (a.df * b.k + b.df * a.k) / (a.k + b.k) : (a ?? b)?.df ?? 1;
  const g = kt * csGhi;
  return { ghi: g, dhi: df * g };
}

function hourIndices(tmy: TmyWeather, hourStartMs: number, cache: Map<number, HourIndices>): HourIndices {
  const hit = cache.get(hourStartMs);
  if (hit) return hit;
  const cs = clearSkyHour(tmy, hourStartMs);
  const { ghi, dhi } = tmyHour(tmy, hourStartMs, cs.ghi);
  const meanCosZ = hourMeanCosZenith(hourStartMs + HOUR_MS, tmy.latitude, tmy.longitude);
  const out: HourIndices = {
    ghiWm2: ghi,
    dhiWm2: dhi,
    beamFraction: cs.beamH > 5 ? clamp((ghi - dhi) / cs.beamH, 0, 1.15) : 0,
    diffuse: meanCosZ > 0 ? Math.min(600, dhi / Math.max(meanCosZ, 0.03)) : 0,
    clearSkyMean: cs.ghi,
    meanCosZ,
  };
  cache.set(hourStartMs, out);
  return out;
}

interface ActualWeather {
  csv: string;
  /** Per quarter hour from the start: AC kW per kWp of each PV orientation, and mean outdoor °C. */
  pvKwPerKwp: Map<string, Float64Array>;
  tempC: Float64Array;
}

/** Mean beam factor of a shade (beam in shade / clear-sky beam), for the shaded share of the time. */
const MEAN_SHADE_BEAM = 0.15;

/**
 * The plant's weather: 1-minute rows from start to end. Beam and diffuse follow the TMY hour (interpolated
 * between hour centres); on top, a seeded sun/shade telegraph on the beam: in sun the beam is the clear-sky
 * beam, in shade 0–30 % of it, and the share of time in shade is what gives the hour its TMY beam. So a
 * clear hour stays clear, an overcast one stays dull, and a broken-cloud hour flickers between full sun
 * and shade with cloud edges every few minutes (the shade length of the day: 2–8 min).
 */
function actualWeather(d: Draw, tmy: TmyWeather, startMs: number, endMs: number, orientations: Array<{ tiltDeg: number; azimuthDeg: number; lossesPct: number }>): ActualWeather {
  const cache = new Map<number, HourIndices>();
  const lines = ['time,ghiWm2,dniWm2,dhiWm2,tempC,windMs,rhPct'];
  const slots = Math.round((endMs - startMs) / QUARTER_MS);
  const pv = new Map<string, Float64Array>();
  const keyOf = (o: { tiltDeg: number; azimuthDeg: number; lossesPct: number }) => `${o.tiltDeg}/${o.azimuthDeg}/${o.lossesPct}`;
  for (const o of orientations) pv.set(keyOf(o), new Float64Array(slots));
  const tempSlots = new Float64Array(slots);
  const counts = new Float64Array(slots);
  const shadeMinutes = d.uniform(2, 8);
  let shaded = false;
  let shadeBeam = MEAN_SHADE_BEAM;
  const lerpAt = (arr: Float64Array, t: number): number => {
    const h0 = Math.floor(t / HOUR_MS) * HOUR_MS;
    const a = arr[tmyHourIndex(h0)] ?? 0;
    const b = arr[tmyHourIndex(h0 + HOUR_MS)] ?? 0;
    return a + ((t - h0) / HOUR_MS) * (b - a);
  };
  for (let t = startMs; t <= endMs; t += MINUTE_MS) {
    const sun = solarPositionFast(t, tmy.latitude, tmy.longitude);
    const cosZ = Math.cos((sun.zenithDeg * Math.PI) / 180);
    // Hour indices interpolated between hour centres (a TMY row stands for its hour).
    const c0 = Math.floor((t - HOUR_MS / 2) / HOUR_MS) * HOUR_MS;
    const w = (t - HOUR_MS / 2 - c0) / HOUR_MS;
    const i0 = hourIndices(tmy, c0, cache);
    const i1 = hourIndices(tmy, c0 + HOUR_MS, cache);
    const f = i0.beamFraction + w * (i1.beamFraction - i0.beamFraction);
    // Three draws every minute, whatever happens, so the stream stays aligned.
    const uSwitch = d.u();
    const uDepth = d.u();
    const noise = d.normal();
    const pShade = (1 - Math.min(1, f)) / (1 - MEAN_SHADE_BEAM);
    let beamFactor: number;
    if (pShade >= 1) {
      shaded = true;
      shadeBeam = f;
      beamFactor = f;
    } else if (pShade <= 0) {
      shaded = false;
      beamFactor = f;
    } else {
      const leave = shaded ? 1 / shadeMinutes : pShade / (shadeMinutes * (1 - pShade));
      if (uSwitch < leave) {
        shaded = !shaded;
        if (shaded) shadeBeam = 2 * MEAN_SHADE_BEAM * uDepth;
      }
      beamFactor = shaded ? shadeBeam : Math.max(1, f);
    }
    let dni = 0;
    let dhi = 0;
    if (cosZ > 0) {
      dni = Math.max(0, clearSkyDniWm2(sun.zenithDeg, dayOfYearOf(t)) * beamFactor * (1 + 0.01 * noise));
      dhi = Math.max(0, (i0.diffuse + w * (i1.diffuse - i0.diffuse)) * cosZ * (1 + 0.02 * noise));
    }
    const ghi = dni * Math.max(0, cosZ) + dhi;
    const row = {
      ghi: round(ghi, 0.1),
      dni: round(dni, 0.1),
      dhi: round(dhi, 0.1),
      tempC: round(lerpAt(tmy.tempC, t), 0.01),
      windMs: round(Math.max(0, lerpAt(tmy.windMs, t)), 0.01),
      rhPct: round(clamp(lerpAt(tmy.rhPct, t), 0, 100), 0.1),
    };
    lines.push(`${isoLocal(t)},${row.ghi},${row.dni},${row.dhi},${row.tempC},${row.windMs},${row.rhPct}`);
    // Quarter-hour estimates for the targets (the plant's own PV physics on the rows just written).
    const k = Math.floor((t - startMs) / QUARTER_MS);
    if (k < slots) {
      counts[k] = (counts[k] ?? 0) + 1;
      tempSlots[k] = (tempSlots[k] ?? 0) + row.tempC;
      for (const o of orientations) {
        let ac = 0;
        if (sun.zenithDeg < 90 && row.ghi > 0) {
          const poa = poaIrradiance({
            surfaceTiltDeg: o.tiltDeg,
            surfaceAzimuthDeg: o.azimuthDeg,
            solarZenithDeg: sun.zenithDeg,
            solarAzimuthDeg: sun.azimuthDeg,
            dniWm2: row.dni,
            ghiWm2: row.ghi,
            dhiWm2: row.dhi,
            model: 'isotropic',
          });
          ac = pvArrayAcPowerKw({ kwp: 1, tiltDeg: o.tiltDeg, azimuthDeg: o.azimuthDeg, lossesPct: o.lossesPct }, poa.poaGlobalWm2, row.tempC, row.windMs);
        }
        const arr = pv.get(keyOf(o))!;
        arr[k] = (arr[k] ?? 0) + ac;
      }
    }
  }
  for (let k = 0; k < slots; k++) {
    const n = counts[k] || 1;
    tempSlots[k] = (tempSlots[k] ?? 0) / n;
    for (const arr of pv.values()) arr[k] = (arr[k] ?? 0) / n;
  }
  return { csv: lines.join('\n') + '\n', pvKwPerKwp: pv, tempC: tempSlots };
}

/**
 * The Open-Meteo forecast: 48 hourly values from local midnight of the start date, labelled at the END of
 * each hour (radiation = mean of the preceding hour, the rest instantaneous), like a day-ahead answer.
 * Times in local time with `utc_offset_seconds`, as the bundled ones; on a day whose 48 hours cross a
 * daylight-saving switch, in GMT (a local rendering would repeat or skip an hour, which the format forbids).
 */
function forecastJson(d: Draw, tmy: TmyWeather, startMs: number): string {
  const midnight = localMidnight(startMs);
  const n = 48;
  const off0 = offsetMin(midnight);
  const gmt = offsetMin(midnight + n * HOUR_MS) !== off0 || offsetMin(midnight + HOUR_MS) !== off0;
  const offS = gmt ? 0 : off0 * 60;
  const cache = new Map<number, HourIndices>();
  const time: string[] = [];
  const cols = { temperature_2m: [] as number[], relative_humidity_2m: [] as number[], cloud_cover: [] as Array<number | null>, wind_speed_10m: [] as number[], shortwave_radiation: [] as number[], direct_normal_irradiance: [] as number[], diffuse_radiation: [] as number[] };
  const bias = 0.12 * d.normal();
  let e = 0;
  let eT = 0;
  const rho = 0.8;
  for (let i = 0; i < n; i++) {
    const label = midnight + i * HOUR_MS;
    time.push(new Date(label + offS * 1000).toISOString().slice(0, 16));
    const hourStart = label - HOUR_MS;
    const idx = hourIndices(tmy, hourStart, cache);
    e = rho * e + 0.2 * Math.sqrt(1 - rho * rho) * d.normal();
    eT = rho * eT + 0.8 * Math.sqrt(1 - rho * rho) * d.normal();
    const g = idx.ghiWm2;
    let ghi = idx.clearSkyMean > 1 ? Math.min(g * Math.exp(bias + e), 1.1 * idx.clearSkyMean + 20) : 0;
    if (idx.meanCosZ <= 0) ghi = 0;
    const df = g > 0 ? clamp(idx.dhiWm2 / g, 0, 1) : 1;
    const dhi = ghi * df;
    const dni = idx.meanCosZ > 0.02 ? Math.min(1000, (ghi - dhi) / idx.meanCosZ) : 0;
    const labelRow = tmyHourIndex(label);
    const ktF = idx.clearSkyMean > 5 ? ghi / idx.clearSkyMean : Number.NaN;
    cols.shortwave_radiation.push(round(ghi, 0.1));
    cols.direct_normal_irradiance.push(round(Math.max(0, dni), 0.1));
    cols.diffuse_radiation.push(round(dhi, 0.1));
    cols.temperature_2m.push(round((tmy.tempC[labelRow] ?? 0) + eT, 0.1));
    cols.relative_humidity_2m.push(Math.round(clamp((tmy.rhPct[labelRow] ?? 50) + 4 * d.normal(), 0, 100)));
    cols.cloud_cover.push(Number.isNaN(ktF) ? null : Math.round(100 * clamp((0.85 - ktF) / 0.7, 0, 1)));
    cols.wind_speed_10m.push(round(Math.max(0, (tmy.windMs[labelRow] ?? 0) * 3.6 * Math.exp(0.2 * d.normal())), 0.1));
  }
  const body = {
    latitude: tmy.latitude,
    longitude: tmy.longitude,
    generationtime_ms: 0.5,
    utc_offset_seconds: offS,
    timezone: gmt ? 'GMT' : TIME_ZONE,
    timezone_abbreviation: gmt ? 'GMT' : off0 === 60 ? 'CET' : 'CEST',
    elevation: tmy.elevationM,
    hourly_units: {
      time: 'iso8601',
      temperature_2m: '°C',
      relative_humidity_2m: '%',
      cloud_cover: '%',
      wind_speed_10m: 'km/h',
      shortwave_radiation: 'W/m²',
      direct_normal_irradiance: 'W/m²',
      diffuse_radiation: 'W/m²',
    },
    hourly: { time, ...cols },
  };
  return JSON.stringify(body) + '\n';
}

// ---------------------------------------------------------------------------------------------------
// Faults

function drawFaults(d: Draw, tl: Timeline, c: Community): FaultJson[] {
  if (!d.chance(FAULT_PROBABILITY)) return [];
  const n = d.weighted([
    [1, 0.5],
    [2, 0.35],
    [3, 0.15],
  ] as const);
  const kinds = [...GENERATED_FAULT_KINDS];
  const chosen: FaultKind[] = [];
  for (let i = 0; i < n; i++) chosen.push(...kinds.splice(d.int(0, kinds.length - 1), 1));
  const runs = tl.requests.map((r) => ({ from: r.startMs, to: Math.min(r.cutMs ?? Infinity, r.startMs + r.lengthMs, tl.endMs) }));
  const faults: FaultJson[] = [];
  for (const kind of chosen) {
    // Mostly during a run, where the EMS has something to lose.
    const run = d.pick(runs);
    const lo = d.chance(0.85) ? run.from + 2 * MINUTE_MS : tl.startMs + 5 * MINUTE_MS;
    const hi = Math.max(lo + MINUTE_MS, d.chance(0.85) ? run.to - 5 * MINUTE_MS : tl.endMs - 10 * MINUTE_MS);
    const atMs = clamp(round(d.uniform(lo, hi), MINUTE_MS), tl.startMs + MINUTE_MS, tl.endMs - 2 * MINUTE_MS);
    let durationS: number;
    let asset: string | undefined;
    switch (kind) {
      case 'breakerSensorDropout':
        // Now and then longer than the 300 s after which a run ends with `fault`.
        durationS = d.chance(0.15) ? d.int(6, 10) * 60 : d.int(3, 24) * 10;
        break;
      case 'breakerSensorNaN':
      case 'breakerSensorStuck':
        durationS = d.int(3, 18) * 10;
        break;
      case 'forecastMissing':
        durationS = d.int(2, 12) * 900;
        break;
      case 'assetOffline': {
        const others = [...c.faultTargets.storages, ...c.faultTargets.heatPumps];
        if (others.length === 0 || d.chance(0.5)) {
          asset = 'bess';
          // Sometimes longer than the 600 s after which a lost BESS ends the run.
          durationS = d.chance(0.25) ? d.int(11, 20) * 60 : d.int(2, 9) * 60;
        } else {
          asset = d.pick(others);
          durationS = d.int(1, 4) * 900;
        }
        break;
      }
      case 'assetSetpointRejected': {
        const others = [...c.faultTargets.storages, ...c.faultTargets.heatPumps, ...c.faultTargets.curtailablePv];
        asset = others.length === 0 || d.chance(0.2) ? 'bess' : d.pick(others);
        durationS = d.int(1, 4) * 900;
        break;
      }
    }
    durationS = Math.max(10, Math.min(durationS, Math.floor((tl.endMs - atMs) / 1000)));
    faults.push(asset === undefined ? { at: isoLocal(atMs), kind, durationS } : { at: isoLocal(atMs), kind, asset, durationS });
  }
  return faults.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
}

// ---------------------------------------------------------------------------------------------------
// The scenario

/**
 * Scenario `index` of `seed`: the same arguments always give the same result, whatever else is generated.
 * `weather` is the parsed PVGIS TMY (`parsePvgisTmyCsv`), `profiles` the BDEW load-profile library the
 * replay uses (for the estimate of the uncontrolled power that targets are chosen against).
 */
export function generateScenario(seed: number, index: number, weather: TmyWeather, profiles: LoadProfileLibrary): GeneratedScenario {
  if (!Number.isSafeInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`seed: expected a whole number in 0..4294967295, got ${seed}`);
  if (!Number.isSafeInteger(index) || index < 0 || index > 9999) throw new RangeError(`index: expected a whole number in 0..9999, got ${index}`);
  const name = generatedName(seed, index);
  const root = streamSeed(seed, `generator#${index}`);
  const stream = (label: string) => new Draw(streamSeed(root, label));

  // Date: any day of the year.
  const dDate = stream('date');
  const dayOfYear = dDate.int(1, 365);
  const dayUtc = Date.UTC(SCENARIO_YEAR, 0, dayOfYear);
  const month = new Date(dayUtc).getUTCMonth() + 1;
  const season = seasonOfMonth(month);
  const midnight = localMidnight(dayUtc + 12 * HOUR_MS);

  // Members first (the span cap depends on them), then the requests' timeline, then the community.
  const dCommunity = stream('community');
  const members = drawMembers(dCommunity);
  const tl = drawTimeline(stream('requests'), midnight, maxSpanH(members));
  const spanHours: number[] = [];
  for (let t = tl.startMs; t <= tl.endMs; t += HOUR_MS) spanHours.push(tmyHourIndex(t));
  const community = drawCommunity(dCommunity, members, season, weather, spanHours);

  // Weather, and from it the estimate of the uncontrolled power per quarter hour.
  const pvAssets = community.assets.filter((a): a is Extract<AssetJson, { kind: 'pv' }> => a.kind === 'pv');
  const actual = actualWeather(stream('weather'), weather, tl.startMs, tl.endMs, pvAssets);
  const slots = Math.round((tl.endMs - tl.startMs) / QUARTER_MS);
  const uncontrolledKw = new Float64Array(slots);
  const curtailableKw = new Float64Array(slots);
  const country = defaultCountryForTimeZone(TIME_ZONE);
  for (const a of community.assets) {
    if (a.kind === 'load') {
      const s = quarterHourSeriesKw(profiles, { profileId: a.profile, annualKwh: a.annualKwh, startMs: tl.startMs, endMs: tl.endMs, timeZone: TIME_ZONE, country });
      for (let k = 0; k < slots; k++) uncontrolledKw[k] = (uncontrolledKw[k] ?? 0) + a.count * (s.powerKw[k] ?? 0);
    } else if (a.kind === 'pv') {
      const perKwp = actual.pvKwPerKwp.get(`${a.tiltDeg}/${a.azimuthDeg}/${a.lossesPct}`)!;
      for (let k = 0; k < slots; k++) {
        const kw = a.count * a.kwp * (perKwp[k] ?? 0);
        uncontrolledKw[k] = (uncontrolledKw[k] ?? 0) - kw;
        if (a.curtailable) curtailableKw[k] = (curtailableKw[k] ?? 0) + kw;
      }
    } else if (a.kind === 'heatPump') {
      // Thermostat on average: the heat loss at the setpoint, within the pump's power.
      for (let k = 0; k < slots; k++) {
        const heatKw = a.thermal.lossKwPerK * (a.thermal.setpointC - (actual.tempC[k] ?? 10));
        uncontrolledKw[k] = (uncontrolledKw[k] ?? 0) + a.count * clamp(heatKw / a.cop, 0, a.powerKw);
      }
    }
  }
  assignTargets(stream('targets'), tl, { uncontrolledKw, curtailableKw }, community);
  const faults = drawFaults(stream('faults'), tl, community);
  const forecast = forecastJson(stream('forecast'), weather, tl.startMs);

  // Events in the order received.
  const events: EventJson[] = [];
  const all: Array<Request | Stop> = [...tl.requests, ...tl.stops].sort((a, b) => a.atMs - b.atMs);
  for (const e of all) {
    if (e.uc === 0) {
      events.push({ at: isoLocal(e.atMs), useCase: 0 });
      continue;
    }
    const ev: EventJson = { at: isoLocal(e.atMs), ...(e.startMs > e.atMs ? { startAt: isoLocal(e.startMs) } : {}), useCase: e.uc };
    if (e.uc === 2) {
      ev.targetKw = e.targetKw ?? 0;
      ev.durationS = e.lengthMs / 1000;
    } else if (!e.openEnded) ev.durationS = e.lengthMs / 1000;
    ev.toleranceKw = community.toleranceKw;
    if (e.schedule) ev.schedule = e.schedule.map((p) => ({ from: isoLocal(p.fromMs), to: isoLocal(p.toMs), targetKw: p.targetKw }));
    events.push(ev);
  }

  const summary: GeneratedSummary = {
    name,
    season,
    date: isoLocal(tl.startMs).slice(0, 10),
    members: community.members,
    useCases: events.map((e) => e.useCase),
    faults: faults.map((f) => f.kind),
    spanH: (tl.endMs - tl.startMs) / HOUR_MS,
    bessKw: community.bess.powerKw,
    bessKwh: community.bess.energyKwh,
    connectionLimitKw: community.connectionLimitKw,
    announced: tl.requests.filter((r) => r.startMs > r.atMs).length,
    immediate: tl.requests.filter((r) => r.startMs === r.atMs).length,
    supersessions: tl.requests.filter((r, i) => i > 0 && tl.requests.some((p) => p !== r && p.cutMs === r.startMs && p.startMs <= r.atMs)).length,
    operatorStops: tl.stops.filter((s) => tl.requests.some((r) => r.cutMs === s.atMs)).length,
    openEnded: tl.requests.filter((r) => r.openEnded).length,
    durationsS: tl.requests.filter((r) => !r.openEnded).map((r) => r.lengthMs / 1000),
    difficulty: tl.requests.map((r) => r.difficulty ?? 'easy'),
  };

  const scenario: ScenarioJson = {
    format: SCENARIO_FORMAT,
    name,
    description: describe(summary, tl, community, faults, dayOfYear, weather),
    site: { latitude: weather.latitude, longitude: weather.longitude, elevationM: weather.elevationM, timezone: TIME_ZONE, connectionLimitKw: community.connectionLimitKw },
    start: isoLocal(tl.startMs),
    end: isoLocal(tl.endMs),
    stepS: 1,
    seed: streamSeed(root, 'plant'),
    measurement: { breakerPeriodS: 10, assetPeriodS: 900, breakerNoiseKw: 0.5, delayS: 1 },
    control: { bessPeriodS: 10, dispatchPeriodS: 900 },
    weather: { actual: { file: 'weather/actual.csv' }, forecast: { file: 'weather/forecast.json', format: 'open-meteo' } },
    assets: community.assets,
    events,
    faults,
  };
  return { name, scenario, actualCsv: actual.csv, forecastJson: forecast, summary };
}

const UC_TEXT: Record<number, string> = { 1: 'island (use case 1)', 2: 'fixed target (use case 2)', 3: 'import packages (use case 3)', 4: 'export packages (use case 4)' };

function describe(s: GeneratedSummary, tl: Timeline, c: Community, faults: FaultJson[], dayOfYear: number, tmy: TmyWeather): string {
  const weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][new Date(Date.parse(`${s.date}T12:00:00Z`)).getUTCDay()];
  const reqs = [...tl.requests].sort((a, b) => a.atMs - b.atMs);
  const parts: string[] = [];
  reqs.forEach((r, i) => {
    let t = `${r.startMs > r.atMs ? `announced at ${hhmm(r.atMs)} for ${hhmm(r.startMs)}` : `at ${hhmm(r.atMs)}`}: ${UC_TEXT[r.uc]}`;
    if (r.uc === 2) t += ` ${r.targetKw} kW for ${formatDuration(r.lengthMs)}`;
    else if (r.schedule) t += ` with ${r.schedule.map((p) => `${p.targetKw} kW ${hhmm(p.fromMs)}–${hhmm(p.toMs)}`).join(', ')}`;
    if (r.uc !== 2) t += r.openEnded ? ', open-ended' : ` for ${formatDuration(r.lengthMs)}`;
    if (i > 0 && reqs[i - 1]!.cutMs === r.startMs) t += ', superseding the previous run';
    t += ` (generator's estimate: ${r.difficulty === 'easy' ? 'held easily' : r.difficulty === 'exhausting' ? 'the storages run out part way' : 'out of reach'})`;
    parts.push(t);
  });
  for (const st of tl.stops) parts.push(`operator stop (use case 0) at ${hhmm(st.atMs)}`);
  const faultText = faults.length === 0 ? 'none' : faults.map((f) => `${f.kind}${f.asset ? ` ${f.asset}` : ''} at ${f.at.slice(11, 16)} for ${f.durationS} s`).join(', ');
  return (
    `Generated scenario (seed/index ${s.name.slice(5)}): ${s.season}, ${weekday} ${s.date}, ${hhmm(tl.startMs)}–${hhmm(tl.endMs)} (${s.spanH} h). ` +
    `Community: ${c.text}. Requests: ${parts.join('; ')}. Faults: ${faultText}. ` +
    `Weather: hourly PVGIS TMY for ${tmy.latitude.toFixed(1)} N ${tmy.longitude.toFixed(1)} E (real, day ${dayOfYear} of the typical year); minute-scale cloud variability and forecast error are seeded and synthetic.`
  );
}
