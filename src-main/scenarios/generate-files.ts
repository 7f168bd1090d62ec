/**
 * The Node side of the scenario generator: reads the real weather (the PVGIS TMY bundled in
 * `resources/weather/`) and the BDEW load profiles, generates scenarios `0 … count−1` of a seed with the
 * pure `generator.ts`, and writes each as `<outDir>/<name>/scenario.json`, `weather/actual.csv` and
 * `weather/forecast.json`. The same seed and count always write byte-identical files.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { LoadProfileLibrary } from '../engine/models/load/index.js';
import { loadProfileLibraryFromResources } from '../node/load-profiles.js';
import { resourcesDir } from '../node/paths.js';
import type { GeneratedSummary, TmyWeather } from './generator.js';
import { generateScenario, parsePvgisTmyCsv } from './generator.js';

/** The real weather the generator draws from, relative to the resources folder. */
export const TMY_FILE = 'weather/tmy_45.000_8.000_2005_2023.csv';

export interface GeneratorInputs {
  weather: TmyWeather;
  profiles: LoadProfileLibrary;
}

/** Reads and parses the TMY and the load profiles from `resources` (default: the bundled resources folder). */
export async function loadGeneratorInputs(resources: string = resourcesDir()): Promise<GeneratorInputs> {
  const path = join(resources, TMY_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the generator's weather ${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  let weather: TmyWeather;
  try {
    weather = parsePvgisTmyCsv(text);
  } catch (err) {
    throw new Error(`${path}: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { weather, profiles: loadProfileLibraryFromResources(resources) };
}

export interface WrittenScenario {
  name: string;
  /** The scenario's folder and its scenario.json, absolute. */
  dir: string;
  scenarioPath: string;
  summary: GeneratedSummary;
}

export interface GenerateFilesOptions {
  seed: number;
  count: number;
  outDir: string;
  /** Called after each scenario is written (the CLI prints a line). */
  onWritten?: (written: WrittenScenario) => void;
  /** Parsed inputs, when the caller has them already (tests); otherwise read from the resources folder. */
  inputs?: GeneratorInputs;
}

/** Writes scenarios 0 … count−1 of `seed` under `outDir`; returns what it wrote, in index order. */
export async function generateScenarioFiles(options: GenerateFilesOptions): Promise<WrittenScenario[]> {
  const { seed, count } = options;
  const inputs = options.inputs ?? (await loadGeneratorInputs());
  const outDir = resolve(options.outDir);
  const written: WrittenScenario[] = [];
  for (let index = 0; index < count; index++) {
    const g = generateScenario(seed, index, inputs.weather, inputs.profiles);
    const dir = join(outDir, g.name);
    await mkdir(join(dir, 'weather'), { recursive: true });
    const scenarioPath = join(dir, 'scenario.json');
    await writeFile(scenarioPath, JSON.stringify(g.scenario, null, 2) + '\n');
    await writeFile(join(dir, g.scenario.weather.actual.file), g.actualCsv);
    await writeFile(join(dir, g.scenario.weather.forecast.file), g.forecastJson);
    const w: WrittenScenario = { name: g.name, dir, scenarioPath, summary: g.summary };
    written.push(w);
    options.onWritten?.(w);
  }
  return written;
}
