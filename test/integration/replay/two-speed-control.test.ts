/**
 * The two-speed control on the bundled scenarios, with HiGHS: what the 15-minute plan must achieve that
 * the deadbeat reference cannot, and the prediction of flexibility exhaustion.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import type { ControllerName } from '../../../src-main/engine/controllers.js';
import type { LoadProfileLibrary } from '../../../src-main/engine/models/load/index.js';
import type { LpSolver } from '../../../src-main/engine/optimiser/lp.js';
import { loadProfileLibraryFromResources } from '../../../src-main/node/load-profiles.js';
import { resourcesDir } from '../../../src-main/node/paths.js';
import { loadScenarioFile } from '../../../src-main/node/scenario-file.js';
import { loadLpSolver } from '../../../src-main/node/solver.js';
import type { ReplayResult } from '../../../src-main/replay/replay.js';
import { ReplaySession } from '../../../src-main/replay/replay.js';

let library: LoadProfileLibrary;
let solver: LpSolver;

async function replay(name: string, controller: ControllerName): Promise<ReplayResult> {
  const loaded = await loadScenarioFile(resolve(resourcesDir(), 'scenarios', name, 'scenario.json'));
  return new ReplaySession({ ...loaded, loadProfiles: library, controller, ...(controller === 'deadbeat' ? {} : { solver }) }).finish();
}

describe('two-speed control (lfc with the 15-minute plan)', () => {
  beforeAll(async () => {
    library = loadProfileLibraryFromResources(resourcesDir());
    solver = await loadLpSolver();
  });

  it('prepares for an announced import cap and holds it to the end, where deadbeat runs out', async () => {
    const lfc = await replay('winter-evening-import', 'lfc');
    const deadbeat = await replay('winter-evening-import', 'deadbeat');
    expect(deadbeat.runs[0]!.endReason).toBe('flex-exhausted');
    expect(lfc.runs[0]!.endReason).toBe('duration-elapsed');
    expect(lfc.runs[0]!.kpis!.availability.heldPctOfRequested!).toBeGreaterThan(99);
    // Between the announcement and the start the plan prepared, on the record: here it pre-heated the
    // houses (the household batteries were already full from the sunny noon, and the BESS had enough).
    const prep = lfc.events.filter((e) => e.type === 'dispatch' && !e.runId);
    expect(prep.length).toBeGreaterThan(0);
    const startMs = lfc.runs[0]!.startMs;
    const meanIndoorAt = (t: number): number => {
      const row = lfc.breaker.sampleMs.findIndex((x) => x >= t);
      const cols = lfc.assetColumns.filter((c) => c.name.endsWith('.indoorC'));
      return cols.reduce((sum, c) => sum + c.values[row]!, 0) / cols.length;
    };
    expect(meanIndoorAt(startMs)).toBeGreaterThan(meanIndoorAt(startMs - 2 * 3_600_000) + 0.5);
    // The exhaustion forecasts of the preparation belong to the run's series (KPI.md): a warning given
    // before the start counts as one. Here none predicts an exhaustion, and none is dropped.
    const before = lfc.runs[0]!.exhaustionPredictions.filter((p) => p.madeMs < startMs);
    expect(before.length).toBeGreaterThan(0);
    expect(before.every((p) => p.atMs === null)).toBe(true);
    expect(lfc.runs[0]!.exhaustionPredictions.map((p) => p.madeMs)).toEqual([...lfc.runs[0]!.exhaustionPredictions.map((p) => p.madeMs)].sort((a, b) => a - b));
  }, 60_000);

  it('holds both runs of the island day to their end, where deadbeat spends the battery inside the band', async () => {
    const lfc = await replay('winter-island-then-import-packages', 'lfc');
    const deadbeat = await replay('winter-island-then-import-packages', 'deadbeat');
    expect(lfc.runs.map((r) => r.endReason)).toEqual(['operator-stop', 'operator-stop']);
    // Held by the one-minute mean error (KPI.md): the minutes around heat-pump switching cost ~2 %, and the
    // request is never lost.
    for (const run of lfc.runs) {
      expect(run.kpis!.availability.heldPctOfRequested!).toBeGreaterThan(97);
      expect(run.kpis!.availability.actualExhaustionAt).toBeNull();
    }
    // Run 2's first import package meets a five-minute cloud gap (the roofs' PV triples): the shortage
    // re-plans run the heat pumps for the minutes left of the slot, which a whole-slot plan would not.
    expect(lfc.events.some((e) => e.type === 'flex-exhaustion-warning' && e.runId === lfc.runs[1]!.runId)).toBe(true);
    expect(deadbeat.runs[1]!.kpis!.availability.heldPctOfRequested!).toBeLessThan(lfc.runs[1]!.kpis!.availability.heldPctOfRequested!);
  }, 60_000);

  it('holds at least as long as deadbeat where exhaustion is unavoidable, and predicts it', async () => {
    const lfc = await replay('summer-flex-exhaustion', 'lfc');
    const deadbeat = await replay('summer-flex-exhaustion', 'deadbeat');
    const run = lfc.runs[0]!;
    expect(run.endReason).toBe('flex-exhausted');
    expect(run.kpis!.availability.heldPctOfRequested!).toBeGreaterThanOrEqual(deadbeat.runs[0]!.kpis!.availability.heldPctOfRequested!);
    // The prediction in force 30 minutes before the target was lost is within 15 minutes of it.
    const lostMs = run.endMs!;
    const inForce = run.exhaustionPredictions.filter((p) => p.madeMs <= lostMs - 30 * 60_000).at(-1)!;
    expect(inForce.atMs).not.toBeNull();
    expect(Math.abs(inForce.atMs! - lostMs)).toBeLessThanOrEqual(15 * 60_000);
    // The residual forecast's error is reported.
    expect(lfc.forecast?.residual.nMae).toBeGreaterThan(0);
    expect(lfc.forecast?.residual.nMae).toBeLessThan(0.5);
  }, 60_000);

  it('spends the tolerance band only when flexibility is short, and says so', async () => {
    const short = await replay('summer-flex-exhaustion', 'lfc');
    const plenty = await replay('summer-export-hold', 'lfc');
    expect(short.events.some((e) => e.type === 'band-edge')).toBe(true);
    expect(plenty.events.some((e) => e.type === 'band-edge')).toBe(false);
  }, 60_000);

  it('the oracle plans with the truth and holds where lfc holds', async () => {
    const oracle = await replay('winter-evening-import', 'oracle');
    expect(oracle.planSolveTimesMs.length).toBeGreaterThan(1);
    expect(oracle.runs[0]!.endReason).toBe('duration-elapsed');
    expect(oracle.runs[0]!.kpis!.availability.heldPctOfRequested!).toBeGreaterThan(99);
  }, 60_000);
});
