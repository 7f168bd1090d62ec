/**
 * Two more generated runs where lfc held far less than the deadbeat reference (issue 11: lfc ≥ deadbeat on
 * every generated scenario), each for a cause found and fixed in `src-main/engine/engine.ts`:
 * - gen-s1-0092/run-001: preparing an announced request, the BESS discharged 95 kWh two hours before a
 *   request that opened by discharging (to make room for a midday surplus the forecast promised) and ran
 *   out 54 minutes in: lfc 23 % against deadbeat 87 %. Preparation no longer moves the BESS the way the
 *   request will first need it.
 * - gen-s1-0041/run-002: the drift re-plan compared a 5-minute mean of the BESS power with the plan, so a
 *   planned step read as drift 5 minutes later; in run-001 that re-plan moved the import package's charging
 *   from the BESS to household storages (which their own PV would have filled anyway), and the island
 *   (run-002) started with 115 kWh less in the BESS: lfc 36 % against deadbeat 91 %.
 * Only these two scenarios are generated (the generator is deterministic per seed and index).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ControllerName } from '../../../src-main/engine/controllers.js';
import type { LoadProfileLibrary } from '../../../src-main/engine/models/load/index.js';
import type { LpSolver } from '../../../src-main/engine/optimiser/lp.js';
import { loadProfileLibraryFromResources } from '../../../src-main/node/load-profiles.js';
import { resourcesDir } from '../../../src-main/node/paths.js';
import { loadScenarioFile } from '../../../src-main/node/scenario-file.js';
import { loadLpSolver } from '../../../src-main/node/solver.js';
import { ReplaySession } from '../../../src-main/replay/replay.js';
import { loadGeneratorInputs } from '../../../src-main/scenarios/generate-files.js';
import { generateScenario } from '../../../src-main/scenarios/generator.js';

let dir: string;
let library: LoadProfileLibrary;
let solver: LpSolver;
const paths = new Map<string, string>();

async function heldPct(name: string, runId: string, controller: ControllerName): Promise<number> {
  const loaded = await loadScenarioFile(paths.get(name)!);
  const r = new ReplaySession({ ...loaded, loadProfiles: library, controller, ...(controller === 'deadbeat' ? {} : { solver }) }).finish();
  return r.runs.find((x) => x.runId === runId)!.kpis!.availability.heldPctOfRequested!;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'lfc-vs-deadbeat-'));
  const inputs = await loadGeneratorInputs();
  for (const index of [41, 92]) {
    const g = generateScenario(1, index, inputs.weather, inputs.profiles);
    const d = join(dir, g.name);
    mkdirSync(join(d, 'weather'), { recursive: true });
    writeFileSync(join(d, 'scenario.json'), JSON.stringify(g.scenario, null, 2) + '\n');
    writeFileSync(join(d, g.scenario.weather.actual.file), g.actualCsv);
    writeFileSync(join(d, g.scenario.weather.forecast.file), g.forecastJson);
    paths.set(g.name, join(d, 'scenario.json'));
  }
  library = loadProfileLibraryFromResources(resourcesDir());
  solver = await loadLpSolver();
}, 60_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('lfc against deadbeat: preparation and the drift re-plan', () => {
  it.each([
    ['gen-s1-0092', 'run-001'],
    ['gen-s1-0041', 'run-002'],
  ])('%s/%s: lfc holds at least what deadbeat holds', async (name, runId) => {
    const [lfc, deadbeat] = [await heldPct(name, runId, 'lfc'), await heldPct(name, runId, 'deadbeat')];
    expect(lfc).toBeGreaterThanOrEqual(deadbeat - 0.5);
  }, 120_000);
});
