import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ScenarioError, loadScenarioFile } from '../../../src-main/node/scenario-file.js';

const SCENARIOS_DIR = fileURLToPath(new URL('../../../resources/scenarios', import.meta.url));
const bundled = readdirSync(SCENARIOS_DIR).filter((d) => !d.startsWith('.'));

const temps: string[] = [];
afterEach(async () => {
  await Promise.all(temps.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** A private copy of a bundled scenario folder, to break on purpose. */
async function copyOf(name: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'lfc-scenario-'));
  temps.push(dir);
  await cp(join(SCENARIOS_DIR, name), dir, { recursive: true });
  return dir;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- raw JSON mutations */
async function editJson(file: string, f: (j: any) => void): Promise<void> {
  const j = JSON.parse(await readFile(file, 'utf8'));
  f(j);
  await writeFile(file, JSON.stringify(j, null, 2));
}

async function issuesOf(path: string): Promise<string[]> {
  try {
    await loadScenarioFile(path);
  } catch (e) {
    if (!(e instanceof ScenarioError)) throw e;
    return e.issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('expected the scenario to be rejected');
}

describe('loadScenarioFile', () => {
  it.each(bundled)('%s loads with everything it names', async (name) => {
    const loaded = await loadScenarioFile(join(SCENARIOS_DIR, name, 'scenario.json'));
    expect(loaded.scenario.name).toBe(name);
    expect(loaded.dir).toBe(join(SCENARIOS_DIR, name));
    expect(loaded.weatherActual.timeMs.length).toBeGreaterThan(200);
    expect(loaded.forecast?.timeMs.length).toBe(48);
    expect(loaded.series).toEqual({});
  });

  it('resolves series files relative to the scenario and parses them', async () => {
    const dir = await copyOf('summer-export-hold');
    const rows = ['time,pMainKw'];
    for (let h = 8; h <= 16; h++) rows.push(`2026-06-21T${String(h).padStart(2, '0')}:00:00+02:00,${h * 1.5}`);
    await writeFile(join(dir, 'meter.csv'), rows.join('\n'));
    await editJson(join(dir, 'scenario.json'), (j) =>
      j.assets.push({ kind: 'series', id: 'meter', file: 'meter.csv', column: 'pMainKw', unit: 'kW', interpolation: 'hold' }),
    );
    const loaded = await loadScenarioFile(join(dir, 'scenario.json'));
    expect(Array.from(loaded.series.meter?.valueKw ?? [])).toEqual([12, 13.5, 15, 16.5, 18, 19.5, 21, 22.5, 24]);
  });

  it('weather not covering the span', async () => {
    const dir = await copyOf('summer-export-hold');
    const csvPath = join(dir, 'weather', 'actual.csv');
    const lines = (await readFile(csvPath, 'utf8')).trimEnd().split('\n');
    await writeFile(csvPath, lines.slice(0, 121).join('\n') + '\n'); // header + 09:00 … 10:59
    expect(await issuesOf(join(dir, 'scenario.json'))).toEqual([
      'weather/actual.csv: expected rows covering the scenario from 2026-06-21T09:00:00+02:00 to 2026-06-21T15:00:00+02:00, got rows from 2026-06-21T07:00:00Z to 2026-06-21T08:59:00Z',
    ]);
  });

  it('reports problems in every file at once, in a stable order', async () => {
    const dir = await copyOf('summer-export-hold');
    const csvPath = join(dir, 'weather', 'actual.csv');
    const text = await readFile(csvPath, 'utf8');
    await writeFile(csvPath, text.replace('2026-06-21T09:02:00+02:00,522.4,651.4', '2026-06-21T09:02:00+02:00,522.4,abc'));
    await writeFile(join(dir, 'weather', 'forecast.json'), '{ "hourly": ');
    await editJson(join(dir, 'scenario.json'), (j) =>
      j.assets.push({ kind: 'series', id: 'meter', file: 'recordings/meter.csv', column: 'p', unit: 'kW', interpolation: 'linear' }),
    );
    const issues = await issuesOf(join(dir, 'scenario.json'));
    expect(issues).toEqual([
      'weather/actual.csv line 4, dniWm2: expected a number ≥ 0, got "abc"',
      'weather/forecast.json line 1, column 13: invalid JSON: expected a value, got the end of the file',
      `assets[8].file: expected a readable file, got "recordings/meter.csv" (no such file: ${join(dir, 'recordings', 'meter.csv')})`,
    ]);
  });

  it('MOSMIX forecasts are not supported yet', async () => {
    const dir = await copyOf('winter-evening-import');
    await editJson(join(dir, 'scenario.json'), (j) => (j.weather.forecast = { file: 'weather/forecast.kml', format: 'mosmix' }));
    expect(await issuesOf(join(dir, 'scenario.json'))).toEqual([
      'weather.forecast.format: MOSMIX input is not supported yet in scenarios: expected "open-meteo", got "mosmix"',
    ]);
  });

  it('a scenario without a forecast loads with forecast null', async () => {
    const dir = await copyOf('winter-evening-import');
    await editJson(join(dir, 'scenario.json'), (j) => delete j.weather.forecast);
    expect((await loadScenarioFile(join(dir, 'scenario.json'))).forecast).toBeNull();
  });

  it('an invalid scenario throws with its issues and a readable message', async () => {
    const dir = await copyOf('faults-and-bad-data');
    await editJson(join(dir, 'scenario.json'), (j) => (j.assets[0].energyKwh = -5));
    const path = join(dir, 'scenario.json');
    const err = await loadScenarioFile(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ScenarioError);
    const se = err as ScenarioError;
    expect(se.issues).toEqual([{ path: 'assets[0].energyKwh', message: 'expected a positive number, got -5' }]);
    expect(se.message).toBe(`${path}: the scenario has 1 problem:\n${path}: assets[0].energyKwh: expected a positive number, got -5`);
  });

  it('a missing scenario file is a ScenarioError too', async () => {
    const dir = await copyOf('faults-and-bad-data');
    const issues = await issuesOf(join(dir, 'nope.json'));
    expect(issues).toEqual([`: expected a readable file, got "${join(dir, 'nope.json')}" (no such file)`]);
  });
});
