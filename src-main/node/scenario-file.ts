/**
 * Loads a scenario file and everything it names (actual weather, forecast, recorded series) from disk.
 *
 * All-or-nothing: any problem anywhere throws one ScenarioError listing every problem found, so a user
 * fixes a file in one go and no replay ever starts on half a scenario. Relative paths in the scenario are
 * resolved against the scenario file's folder, so a scenario folder can be moved or shared as a whole.
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import {
  coversSpan,
  formatScenarioIssues,
  parseIsoDateTimeMs,
  parseOpenMeteoForecast,
  parseScenario,
  parseSeriesCsv,
  parseWeatherCsv,
  type OpenMeteoForecast,
  type PowerSeries,
  type Scenario,
  type ScenarioIssue,
  type WeatherSeries,
} from '../engine/scenario/index.js';

export interface LoadedScenario {
  /** Absolute path of the scenario file. */
  path: string;
  /** Its folder, against which the scenario's relative paths were resolved. */
  dir: string;
  scenario: Scenario;
  weatherActual: WeatherSeries;
  /** Null when the scenario names no forecast. */
  forecast: OpenMeteoForecast | null;
  /** Recorded power of each `series` asset, by asset id. */
  series: Record<string, PowerSeries>;
}

export class ScenarioError extends Error {
  constructor(
    readonly path: string,
    readonly issues: ScenarioIssue[],
  ) {
    super(`${path}: the scenario has ${issues.length} problem${issues.length === 1 ? '' : 's'}:\n${formatScenarioIssues(issues, path)}`);
    this.name = 'ScenarioError';
  }
}

async function readText(
  absPath: string,
  jsonPath: string,
  written: string,
  issues: ScenarioIssue[],
): Promise<string | null> {
  try {
    return await readFile(absPath, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a folder' : err instanceof Error ? err.message : String(err);
    const where = absPath === written ? '' : `: ${absPath}`;
    issues.push({ path: jsonPath, message: `expected a readable file, got ${JSON.stringify(written)} (${why}${where})` });
    return null;
  }
}

const isoUtc = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');

function coverageIssue(
  name: string,
  data: { timeMs: Float64Array },
  scenario: Scenario,
  startMs: number,
  endMs: number,
): ScenarioIssue | null {
  if (coversSpan(data, startMs, endMs)) return null;
  const t = data.timeMs;
  const first = t[0];
  const last = t[t.length - 1];
  const got = first === undefined || last === undefined ? 'no rows' : `rows from ${isoUtc(first)} to ${isoUtc(last)}`;
  return {
    path: name,
    message: `expected rows covering the scenario from ${scenario.start} to ${scenario.end}, got ${got}`,
  };
}

export async function loadScenarioFile(path: string): Promise<LoadedScenario> {
  const absPath = resolve(path);
  const dir = dirname(absPath);
  const issues: ScenarioIssue[] = [];

  const text = await readText(absPath, '', absPath, issues);
  if (text === null) throw new ScenarioError(absPath, issues);
  const parsed = parseScenario(text);
  if (!parsed.ok) throw new ScenarioError(absPath, parsed.issues);
  const scenario = parsed.scenario;
  const startMs = parseIsoDateTimeMs(scenario.start);
  const endMs = parseIsoDateTimeMs(scenario.end);

  // Every referenced file is read and checked, even after a first failure, so all problems come at once.
  // Each task keeps its own list so the report's order does not depend on which read finished first.
  const actualIssues: ScenarioIssue[] = [];
  const forecastIssues: ScenarioIssue[] = [];
  const actualName = scenario.weather.actual.file;
  const actualTask = (async (): Promise<WeatherSeries | null> => {
    const csv = await readText(resolve(dir, actualName), 'weather.actual.file', actualName, actualIssues);
    if (csv === null) return null;
    const r = parseWeatherCsv(csv, actualName);
    if (!r.ok) {
      actualIssues.push(...r.issues);
      return null;
    }
    const gap = coverageIssue(actualName, r.weather, scenario, startMs, endMs);
    if (gap !== null) actualIssues.push(gap);
    return r.weather;
  })();

  const fc = scenario.weather.forecast;
  const forecastTask = (async (): Promise<OpenMeteoForecast | null> => {
    if (fc === undefined) return null;
    if (fc.format === 'mosmix') {
      forecastIssues.push({
        path: 'weather.forecast.format',
        message: 'MOSMIX input is not supported yet in scenarios: expected "open-meteo", got "mosmix"',
      });
      return null;
    }
    const json = await readText(resolve(dir, fc.file), 'weather.forecast.file', fc.file, forecastIssues);
    if (json === null) return null;
    const r = parseOpenMeteoForecast(json, fc.file);
    if (!r.ok) {
      forecastIssues.push(...r.issues);
      return null;
    }
    return r.forecast;
  })();

  const seriesTasks = scenario.assets.map(async (asset, i) => {
    const mine: ScenarioIssue[] = [];
    if (asset.kind !== 'series') return { entry: null, issues: mine };
    const csv = await readText(resolve(dir, asset.file), `assets[${i}].file`, asset.file, mine);
    if (csv === null) return { entry: null, issues: mine };
    const r = parseSeriesCsv(csv, asset.file, asset.column);
    if (!r.ok) return { entry: null, issues: r.issues };
    const gap = coverageIssue(asset.file, r.series, scenario, startMs, endMs);
    if (gap !== null) mine.push(gap);
    return { entry: [asset.id, r.series] as const, issues: mine };
  });

  const [weatherActual, forecast, seriesResults] = await Promise.all([actualTask, forecastTask, Promise.all(seriesTasks)]);
  issues.push(...actualIssues, ...forecastIssues, ...seriesResults.flatMap((r) => r.issues));
  if (issues.length > 0 || weatherActual === null) throw new ScenarioError(absPath, issues);
  const series: Record<string, PowerSeries> = {};
  for (const { entry } of seriesResults) if (entry !== null) series[entry[0]] = entry[1];
  return { path: absPath, dir, scenario, weatherActual, forecast, series };
}
