/**
 * DWD MOSMIX point forecasts (KML, as inside the KMZ that `opendata.dwd.de` serves; unzipping is the
 * node side's job, see `src-main/node/weather/kmz.ts`) → the common `HourlyWeatherForecast`.
 *
 * What MOSMIX gives and how it is converted (DWD "MOSMIX elements" list, `MetElementDefinition.xls`):
 * - `Rad1h`: global irradiance accumulated over the LAST hour, kJ/m² → hour-mean W/m² by ÷ 3.6
 *   (1 kJ/m² per 3600 s = 1000/3600 W/m²). Labelled at the end of the hour, like Open-Meteo.
 * - `TTT` (2 m temperature) and `Td` (2 m dew point), K → °C by − 273.15.
 * - Relative humidity is not a MOSMIX element; it follows from TTT and Td with the Magnus formula,
 *   e_s(T) = 6.112 hPa · exp(17.62·T / (243.12 °C + T)) (Sonntag 1990 coefficients over water, as in WMO
 *   Guide No. 8, 2018 ed., Annex 4.B): RH = 100 · e_s(Td) / e_s(T).
 * - `FF` wind speed at 10 m, m/s; `N` total cloud cover, %.
 * - Only the global irradiance is given: beam and diffuse come from the Erbs split (`splitGhiWithErbs`).
 * - `-` is a missing value: NaN in the column and an entry in `gaps`, never a zero.
 *
 * The file is ISO-8859-1 (its XML declaration says so): pass the raw bytes and they are decoded as Latin-1,
 * so station names with umlauts survive; a string is taken as already decoded.
 */
import type { ScenarioIssue } from '../scenario/validate.js';
import { splitGhiWithErbs, type HourlyWeatherForecast, type WeatherGap, type WeatherVariable } from './weather.js';

export interface MosmixStation {
  id: string;
  name: string;
  latitudeDeg: number;
  longitudeDeg: number;
  elevationM: number;
}

export type MosmixResult =
  | { ok: true; forecast: HourlyWeatherForecast; station: MosmixStation }
  | { ok: false; issues: ScenarioIssue[] };

const HOUR_MS = 3_600_000;
const KELVIN = 273.15;

/** Saturation vapour pressure over water, hPa, Magnus formula with Sonntag (1990) coefficients; T in °C. */
export function magnusSaturationHpa(tempC: number): number {
  return 6.112 * Math.exp((17.62 * tempC) / (243.12 + tempC));
}

/** Relative humidity, %, from air temperature and dew point (both °C), clipped to [0, 100]. */
export function relativeHumidityPct(tempC: number, dewPointC: number): number {
  const rh = (100 * magnusSaturationHpa(dewPointC)) / magnusSaturationHpa(tempC);
  return Number.isFinite(rh) ? Math.min(100, Math.max(0, rh)) : Number.NaN;
}

function decodeLatin1(bytes: Uint8Array): string {
  return new TextDecoder('latin1').decode(bytes);
}

/** Line number (1-based) of a character offset, for messages. */
function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * Parses a MOSMIX KML. `stationId` picks a placemark when the file holds several (MOSMIX_S "all stations");
 * without it the first placemark is taken.
 */
export function parseMosmixKml(input: Uint8Array | string, fileName: string, options: { stationId?: string } = {}): MosmixResult {
  const text = typeof input === 'string' ? input : decodeLatin1(input);
  const issues: ScenarioIssue[] = [];
  const add = (where: string, message: string): void => {
    if (issues.length < 20) issues.push({ path: `${fileName} ${where}`, message });
  };
  const fail = (): MosmixResult => ({ ok: false, issues });

  if (!/<(?:kml:)?kml[\s>]/.test(text)) {
    add('(top level)', 'expected a KML document (a <kml:kml> root), got something else');
    return fail();
  }
  const issueMatch = /<dwd:IssueTime>([^<]*)<\/dwd:IssueTime>/.exec(text);
  const issuedMs = issueMatch ? Date.parse(issueMatch[1]!.trim()) : Number.NaN;

  // Time axis -------------------------------------------------------------------------------------------
  const stepsBlock = /<dwd:ForecastTimeSteps>([\s\S]*?)<\/dwd:ForecastTimeSteps>/.exec(text);
  if (!stepsBlock) {
    add('dwd:ForecastTimeSteps', 'expected the list of forecast time steps, but it is missing');
    return fail();
  }
  const stepRe = /<dwd:TimeStep>([^<]*)<\/dwd:TimeStep>/g;
  const times: number[] = [];
  for (let m = stepRe.exec(stepsBlock[1]!); m !== null; m = stepRe.exec(stepsBlock[1]!)) {
    const ms = Date.parse(m[1]!.trim());
    const k = times.length;
    if (!Number.isFinite(ms)) add(`dwd:TimeStep[${k}] (line ${lineOf(text, stepsBlock.index + m.index)})`, `expected an ISO 8601 time, got "${m[1]}"`);
    else if (k > 0 && ms - times[k - 1]! !== HOUR_MS) {
      add(`dwd:TimeStep[${k}] (line ${lineOf(text, stepsBlock.index + m.index)})`, `expected one hour after the previous step, got "${m[1]}"`);
    }
    times.push(ms);
  }
  if (times.length === 0) add('dwd:ForecastTimeSteps', 'expected at least one dwd:TimeStep, got none');
  if (issues.length > 0) return fail();
  const n = times.length;

  // Placemark ---------------------------------------------------------------------------------------------
  const placemarkRe = /<kml:Placemark>([\s\S]*?)<\/kml:Placemark>/g;
  let placemark: { body: string; offset: number } | null = null;
  const seen: string[] = [];
  for (let m = placemarkRe.exec(text); m !== null; m = placemarkRe.exec(text)) {
    const id = /<kml:name>([^<]*)<\/kml:name>/.exec(m[1]!)?.[1]?.trim() ?? '';
    seen.push(id);
    if (options.stationId === undefined || options.stationId === id) {
      placemark = { body: m[1]!, offset: m.index };
      break;
    }
  }
  if (!placemark) {
    add(
      'kml:Placemark',
      options.stationId === undefined
        ? 'expected a station (kml:Placemark), got none'
        : `expected station "${options.stationId}", got only ${seen.length > 0 ? seen.map((s) => `"${s}"`).join(', ') : 'no stations'}`,
    );
    return fail();
  }
  const body = placemark.body;
  const stationIdText = /<kml:name>([^<]*)<\/kml:name>/.exec(body)?.[1]?.trim() ?? '';
  const stationName = /<kml:description>([^<]*)<\/kml:description>/.exec(body)?.[1]?.trim() ?? '';
  const coords = /<kml:coordinates>([^<]*)<\/kml:coordinates>/.exec(body)?.[1]?.trim().split(',').map(Number) ?? [];
  const [lon, lat, elev] = coords;
  if (!(Number.isFinite(lat) && Number.isFinite(lon))) {
    add(`kml:Placemark "${stationIdText}" kml:coordinates`, `expected "longitude,latitude,elevation", got ${JSON.stringify(coords.join(','))}`);
    return fail();
  }

  // Elements ----------------------------------------------------------------------------------------------
  const elements = new Map<string, { values: string[]; line: number }>();
  const forecastRe = /<dwd:Forecast\s+dwd:elementName="([^"]+)"\s*>\s*<dwd:value>([^<]*)<\/dwd:value>/g;
  for (let m = forecastRe.exec(body); m !== null; m = forecastRe.exec(body)) {
    elements.set(m[1]!, { values: m[2]!.trim().split(/\s+/), line: lineOf(text, placemark.offset + m.index) });
  }
  const gaps: WeatherGap[] = [];
  const column = (element: string, variable: WeatherVariable, convert: (v: number) => number, required: boolean): Float64Array => {
    const col = new Float64Array(n).fill(Number.NaN);
    const el = elements.get(element);
    if (!el) {
      if (required) add(`dwd:Forecast "${element}"`, `expected the element ${element} for station "${stationIdText}", but it is missing`);
      else for (let i = 0; i < n; i++) gaps.push({ variable, timeMs: times[i]! });
      return col;
    }
    if (el.values.length !== n) {
      add(`dwd:Forecast "${element}" (line ${el.line})`, `expected ${n} values (one per time step), got ${el.values.length}`);
      return col;
    }
    for (let i = 0; i < n; i++) {
      const raw = el.values[i]!;
      if (raw === '-') {
        gaps.push({ variable, timeMs: times[i]! });
        continue;
      }
      const v = Number(raw);
      if (!Number.isFinite(v)) {
        add(`dwd:Forecast "${element}" (line ${el.line}) value ${i + 1}`, `expected a number or "-", got "${raw}"`);
        continue;
      }
      col[i] = convert(v);
    }
    return col;
  };
  const ghiWm2 = column('Rad1h', 'ghiWm2', (kj) => Math.max(0, kj / 3.6), true);
  const tempC = column('TTT', 'tempC', (k) => k - KELVIN, true);
  const dewC = column('Td', 'rhPct', (k) => k - KELVIN, false);
  const windMs = column('FF', 'windMs', (v) => v, true);
  const cloudPct = column('N', 'cloudPct', (v) => v, false);
  if (issues.length > 0) return fail();

  const rhPct = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    rhPct[i] = relativeHumidityPct(tempC[i]!, dewC[i]!);
    // A missing TTT makes RH missing too (a missing Td is already listed as an rhPct gap).
    if (Number.isNaN(tempC[i]!) && !Number.isNaN(dewC[i]!)) gaps.push({ variable: 'rhPct', timeMs: times[i]! });
  }
  const timeMs = Float64Array.from(times);
  const split = splitGhiWithErbs(timeMs, ghiWm2, lat!, lon!);
  const ghiGaps = gaps.filter((g) => g.variable === 'ghiWm2');
  for (const g of ghiGaps) gaps.push({ variable: 'dniWm2', timeMs: g.timeMs }, { variable: 'dhiWm2', timeMs: g.timeMs });
  gaps.sort((a, b) => a.timeMs - b.timeMs || a.variable.localeCompare(b.variable));

  return {
    ok: true,
    station: { id: stationIdText, name: stationName, latitudeDeg: lat!, longitudeDeg: lon!, elevationM: Number.isFinite(elev) ? elev! : 0 },
    forecast: {
      source: 'mosmix',
      latitude: lat!,
      longitude: lon!,
      issuedMs: Number.isFinite(issuedMs) ? issuedMs : null,
      timeMs,
      ghiWm2,
      dniWm2: split.dniWm2,
      dhiWm2: split.dhiWm2,
      beamSource: 'erbs',
      tempC,
      rhPct,
      cloudPct,
      windMs,
      gaps,
    },
  };
}
