/**
 * One replay measurement in a fresh process (so peak memory is this replay's alone):
 * `tsx bench/replay-worker.ts <scenario.json> <lfc|deadbeat> [scale] [repeats]` prints one JSON line.
 * `scale` multiplies every counted asset (households, PV roofs, storages, heat pumps) and the BESS and
 * connection limit, to show how the cost grows with the size of the community.
 */
import { performance } from 'node:perf_hooks';
import type { ControllerName } from '../src-main/engine/controllers.js';
import type { Scenario } from '../src-main/engine/scenario/index.js';
import { loadProfileLibraryFromResources } from '../src-main/node/load-profiles.js';
import { resourcesDir } from '../src-main/node/paths.js';
import { loadScenarioFile } from '../src-main/node/scenario-file.js';
import { ReplaySession } from '../src-main/replay/replay.js';
import { loadLpSolver } from '../src-main/node/solver.js';

export function scaleScenario(s: Scenario, scale: number): Scenario {
  if (scale === 1) return s;
  return {
    ...s,
    site: { ...s.site, connectionLimitKw: s.site.connectionLimitKw * scale },
    assets: s.assets.map((a) => {
      if ('count' in a && typeof a.count === 'number') return { ...a, count: a.count * scale };
      if (a.kind === 'bess') return { ...a, powerKw: a.powerKw * scale, energyKwh: a.energyKwh * scale };
      return a;
    }),
    events: s.events.map((e) => ('targetKw' in e && typeof e.targetKw === 'number' ? { ...e, targetKw: e.targetKw * scale } : e)),
  } as Scenario;
}

async function main(): Promise<void> {
  const [path, controller = 'lfc', scaleArg = '1', repeatsArg = '3'] = process.argv.slice(2);
  if (!path) throw new Error('usage: replay-worker <scenario.json> <controller> [scale] [repeats]');
  const loaded = await loadScenarioFile(path);
  const library = loadProfileLibraryFromResources(resourcesDir());
  const scenario = scaleScenario(loaded.scenario, Number(scaleArg));
  const solver = controller === 'deadbeat' ? undefined : await loadLpSolver();
  const runsMs: number[] = [];
  let members = 0;
  let simulatedS = 0;
  let heapPeakMb = 0;
  let kpis: Array<Record<string, unknown>> = [];
  let bessThroughputKwh = 0;
  let solveTimesMs: number[] = [];
  let forecastNmae: number | null = null;
  for (let i = 0; i < Number(repeatsArg); i++) {
    const t0 = performance.now();
    const session = new ReplaySession({ ...loaded, scenario, loadProfiles: library, controller: controller as ControllerName, ...(solver ? { solver } : {}) });
    const result = session.finish();
    runsMs.push(performance.now() - t0);
    members = result.plant.members.length;
    kpis = result.runs.map((r) => ({
      runId: r.runId,
      endReason: r.endReason,
      maeKw: r.kpis?.accuracy.maeKw ?? null,
      withinBandPct: r.kpis?.accuracy.withinBandPct ?? null,
      heldPctOfRequested: r.kpis?.availability.heldPctOfRequested ?? null,
    }));
    solveTimesMs = result.planSolveTimesMs;
    forecastNmae = result.forecast?.residual.nMae ?? null;
    bessThroughputKwh = 0;
    for (const st of result.plant.storages) if (!st.household) bessThroughputKwh += st.physics.chargedFromGridKwh + st.physics.dischargedToGridKwh;
    simulatedS = result.simulatedS;
    heapPeakMb = Math.max(heapPeakMb, process.memoryUsage().heapUsed / 2 ** 20);
  }
  runsMs.sort((a, b) => a - b);
  const medianMs = runsMs[Math.floor(runsMs.length / 2)]!;
  process.stdout.write(
    JSON.stringify({
      scenario: loaded.scenario.name,
      controller,
      scale: Number(scaleArg),
      members,
      simulatedS,
      medianMs,
      minMs: runsMs[0],
      speedX: simulatedS / (medianMs / 1000),
      maxRssMb: process.resourceUsage().maxRSS / 1024,
      heapPeakMb,
      bessThroughputKwh,
      solveTimesMs,
      forecastNmae,
      runs: kpis,
    }) + '\n',
  );
}

main().catch((err) => {
  process.stderr.write(String(err instanceof Error ? err.stack : err) + '\n');
  process.exit(1);
});
