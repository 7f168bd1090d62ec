/**
 * The forecast the EMS is told (`weather.forecast`, format "open-meteo"): the body of an Open-Meteo
 * `/v1/forecast` answer with hourly variables, turned into UTC-indexed columns with SI-ish units.
 *
 * Time semantics, which matter for PV forecasts: Open-Meteo labels each hour with the END of its interval.
 * Radiation (`shortwave_radiation`, `diffuse_radiation`, `direct_radiation`, `direct_normal_irradiance`)
 * is the mean over the preceding hour; temperature, humidity, cloud cover and wind are instantaneous at the
 * label. `timeMs` is therefore the label, converted to UTC: the end of each hour's averaging interval.
 *
 * Local times without offset are shifted by `utc_offset_seconds`; `timeformat=unixtime` answers are
 * accepted too. The series must be strictly hourly: an answer that jumps over or repeats an hour (a
 * daylight-saving switch rendered in local time) would silently shift every later value.
 *
 * Open-Meteo gives either the beam on the normal (`direct_normal_irradiance`) or on the horizontal
 * (`direct_radiation`). Converting one into the other needs the sun's zenith averaged over the hour, which
 * is the forecast module's job, not the loader's: we keep what is given and say which in `directSource`.
 */
import { parseIsoDateTimeParts } from './schema.js';
import { describeValue, parseJsonWithLocation, type ScenarioIssue } from './validate.js';

export type OpenMeteoVariable =
  | 'ghiWm2'
  | 'dhiWm2'
  | 'dniWm2'
  | 'directHorizontalWm2'
  | 'tempC'
  | 'rhPct'
  | 'cloudPct'
  | 'windMs';

export interface OpenMeteoGap {
  variable: OpenMeteoVariable;
  /** UTC ms of the label (end of the hour) whose value is missing. */
  timeMs: number;
}

export interface OpenMeteoForecast {
  latitude: number | null;
  longitude: number | null;
  /** Offset Open-Meteo applied to its local times, s. */
  utcOffsetS: number;
  /** UTC ms at the END of each hour's averaging interval (see the file comment). */
  timeMs: Float64Array;
  /** Global horizontal irradiance, preceding-hour mean, W/m² (`shortwave_radiation`). */
  ghiWm2: Float64Array;
  /** Diffuse horizontal irradiance, preceding-hour mean, W/m² (`diffuse_radiation`). */
  dhiWm2: Float64Array;
  /** Direct normal irradiance, preceding-hour mean, W/m² (`direct_normal_irradiance`), if given. */
  dniWm2: Float64Array | null;
  /** Direct (beam) irradiance on the horizontal, preceding-hour mean, W/m² (`direct_radiation`), if given. */
  directHorizontalWm2: Float64Array | null;
  /** Which direct component the forecast carries; the normal one is preferred when both are there. */
  directSource: 'direct_normal_irradiance' | 'direct_radiation';
  /** Air temperature at 2 m, °C. */
  tempC: Float64Array;
  /** Relative humidity at 2 m, %. */
  rhPct: Float64Array;
  /** Total cloud cover, %. */
  cloudPct: Float64Array;
  /** Wind speed at 10 m, m/s (converted from the answer's unit, km/h by default). */
  windMs: Float64Array;
  /** Every null in the answer, which became NaN in its column: the forecast consumer decides what to do. */
  gaps: OpenMeteoGap[];
}

export type OpenMeteoResult = { ok: true; forecast: OpenMeteoForecast } | { ok: false; issues: ScenarioIssue[] };

const MAX_ISSUES = 20;
const HOUR_MS = 3_600_000;

type Conversion = { expected: string; units: Record<string, (v: number) => number> };

const RADIATION: Conversion = { expected: '"W/m²"', units: { 'W/m²': (v) => v, 'W/m2': (v) => v } };
const TEMPERATURE: Conversion = { expected: '"°C" or "°F"', units: { '°C': (v) => v, '°F': (v) => ((v - 32) * 5) / 9 } };
const PERCENT: Conversion = { expected: '"%"', units: { '%': (v) => v } };
const WIND: Conversion = {
  expected: '"km/h", "m/s", "mp/h" or "kn"',
  units: { 'km/h': (v) => v / 3.6, 'm/s': (v) => v, 'mp/h': (v) => v * 0.44704, kn: (v) => (v * 1852) / 3600 },
};

// Open-Meteo's own default units come first in each table: they apply when hourly_units is absent.
const VARIABLES: Array<{ name: string; variable: OpenMeteoVariable; conv: Conversion; required: boolean }> = [
  { name: 'shortwave_radiation', variable: 'ghiWm2', conv: RADIATION, required: true },
  { name: 'diffuse_radiation', variable: 'dhiWm2', conv: RADIATION, required: true },
  { name: 'direct_normal_irradiance', variable: 'dniWm2', conv: RADIATION, required: false },
  { name: 'direct_radiation', variable: 'directHorizontalWm2', conv: RADIATION, required: false },
  { name: 'temperature_2m', variable: 'tempC', conv: TEMPERATURE, required: true },
  { name: 'relative_humidity_2m', variable: 'rhPct', conv: PERCENT, required: true },
  { name: 'cloud_cover', variable: 'cloudPct', conv: PERCENT, required: true },
  { name: 'wind_speed_10m', variable: 'windMs', conv: WIND, required: true },
];

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export function parseOpenMeteoForecast(jsonText: string, fileName: string): OpenMeteoResult {
  const issues: ScenarioIssue[] = [];
  let dropped = 0;
  const add = (where: string, message: string) => {
    if (issues.length < MAX_ISSUES) issues.push({ path: `${fileName} ${where}`, message });
    else dropped++;
  };
  const fail = (): OpenMeteoResult => {
    if (dropped > 0) issues.push({ path: fileName, message: `and ${dropped} more problems like these` });
    return { ok: false, issues };
  };

  const json = parseJsonWithLocation(jsonText.charCodeAt(0) === 0xfeff ? jsonText.slice(1) : jsonText);
  if (!json.ok) {
    add(`line ${json.line}, column ${json.column}`, `invalid JSON: ${json.reason}`);
    return fail();
  }
  const root = json.value;
  if (!isObj(root)) {
    add('(top level)', `expected an Open-Meteo answer (an object with "hourly"), got ${describeValue(root)}`);
    return fail();
  }
  if (typeof root.error === 'boolean' && root.error) {
    // What Open-Meteo answers to a bad request: say what it said.
    add('error', `expected a forecast, got an Open-Meteo error answer: ${describeValue(root.reason)}`);
    return fail();
  }
  const hourly = root.hourly;
  if (!isObj(hourly)) {
    add('hourly', `expected an object of hourly arrays, ${hourly === undefined ? 'but the field is missing' : `got ${describeValue(hourly)}`}`);
    return fail();
  }
  const units = isObj(root.hourly_units) ? root.hourly_units : {};

  // Time axis ---------------------------------------------------------------------------------------
  const times = hourly.time;
  if (!Array.isArray(times) || times.length === 0) {
    add('hourly.time', `expected a non-empty list of times, ${times === undefined ? 'but the field is missing' : `got ${describeValue(times)}`}`);
    return fail();
  }
  const n = times.length;
  const offsetRaw = root.utc_offset_seconds;
  const utcOffsetS = typeof offsetRaw === 'number' && Number.isFinite(offsetRaw) ? offsetRaw : null;
  if (offsetRaw !== undefined && utcOffsetS === null) {
    add('utc_offset_seconds', `expected a number of seconds, got ${describeValue(offsetRaw)}`);
  }
  const timeMs = new Float64Array(n);
  let offsetMissingReported = false;
  for (let i = 0; i < n; i++) {
    const raw = times[i];
    let ms = Number.NaN;
    if (typeof raw === 'number' && Number.isFinite(raw)) {
      ms = raw * 1000; // timeformat=unixtime: seconds, already UTC
    } else if (typeof raw === 'string') {
      const parts = parseIsoDateTimeParts(raw);
      if (parts !== null && parts.offsetMin !== null) ms = parts.wallMs - parts.offsetMin * 60_000;
      else if (parts !== null && utcOffsetS !== null) ms = parts.wallMs - utcOffsetS * 1000;
      else if (parts !== null) {
        if (!offsetMissingReported && offsetRaw === undefined) {
          add('utc_offset_seconds', 'expected the offset of the local times in hourly.time, but the field is missing');
        }
        offsetMissingReported = true;
        timeMs[i] = Number.NaN;
        continue;
      }
    }
    if (!Number.isFinite(ms)) {
      add(`hourly.time[${i}]`, `expected an ISO 8601 time like "2026-06-21T13:00" (or unix seconds), got ${describeValue(raw)}`);
    } else if (i > 0 && Number.isFinite(timeMs[i - 1] ?? Number.NaN) && ms - (timeMs[i - 1] ?? 0) !== HOUR_MS) {
      add(`hourly.time[${i}]`, `expected one hour after hourly.time[${i - 1}] (${describeValue(times[i - 1])}), got ${describeValue(raw)}`);
    }
    timeMs[i] = ms;
  }

  // Variables ---------------------------------------------------------------------------------------
  const columns = new Map<OpenMeteoVariable, Float64Array>();
  const gaps: OpenMeteoGap[] = [];
  for (const spec of VARIABLES) {
    const arr = hourly[spec.name];
    if (arr === undefined) {
      if (spec.required) add(`hourly.${spec.name}`, `expected a list of ${n} numbers (one per hourly.time), but the field is missing`);
      continue;
    }
    if (!Array.isArray(arr)) {
      add(`hourly.${spec.name}`, `expected a list of ${n} numbers (one per hourly.time), got ${describeValue(arr)}`);
      continue;
    }
    if (arr.length !== n) {
      add(`hourly.${spec.name}`, `expected ${n} values (one per hourly.time), got ${arr.length}`);
      continue;
    }
    const unitRaw = units[spec.name];
    const defaultUnit = Object.keys(spec.conv.units)[0] ?? '';
    const unit = typeof unitRaw === 'string' ? unitRaw : defaultUnit;
    const convert = spec.conv.units[unit];
    if (convert === undefined) {
      add(`hourly_units.${spec.name}`, `expected ${spec.conv.expected}, got ${describeValue(unitRaw)}`);
      continue;
    }
    const col = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      const v = arr[i];
      if (v === null) {
        col[i] = Number.NaN;
        gaps.push({ variable: spec.variable, timeMs: timeMs[i] ?? Number.NaN });
      } else if (typeof v === 'number' && Number.isFinite(v)) {
        col[i] = convert(v);
      } else {
        add(`hourly.${spec.name}[${i}]`, `expected a number or null, got ${describeValue(v)}`);
      }
    }
    columns.set(spec.variable, col);
  }
  const hasDni = hourly.direct_normal_irradiance !== undefined;
  const hasDirectHorizontal = hourly.direct_radiation !== undefined;
  if (!hasDni && !hasDirectHorizontal) {
    add(
      'hourly.direct_normal_irradiance',
      `expected a list of ${n} numbers (one per hourly.time) in direct_normal_irradiance or direct_radiation, but both fields are missing`,
    );
  }

  if (issues.length > 0) return fail();
  const must = (v: OpenMeteoVariable): Float64Array => columns.get(v) ?? new Float64Array(n);
  const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  return {
    ok: true,
    forecast: {
      latitude: num(root.latitude),
      longitude: num(root.longitude),
      utcOffsetS: utcOffsetS ?? 0,
      timeMs,
      ghiWm2: must('ghiWm2'),
      dhiWm2: must('dhiWm2'),
      dniWm2: columns.get('dniWm2') ?? null,
      directHorizontalWm2: columns.get('directHorizontalWm2') ?? null,
      directSource: hasDni ? 'direct_normal_irradiance' : 'direct_radiation',
      tempC: must('tempC'),
      rhPct: must('rhPct'),
      cloudPct: must('cloudPct'),
      windMs: must('windMs'),
      gaps,
    },
  };
}
