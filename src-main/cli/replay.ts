/**
 * `npm run replay -- <scenario.json> --out <dir> [--controller lfc|deadbeat|oracle|bound] [--speed max|N] [--time-limit S]`
 *
 * Replays a scenario headless and writes `kpi.json`, `timeseries.csv` and `events.jsonl` into `<dir>`.
 * `--controller bound` replays nothing: it computes the physical limit of every run the scenario makes
 * (KPI.md, `replay/bound-truth.ts`) and writes `kpi.json` (`lfc-bound/1`) and `bound.csv`; `--time-limit`
 * is the time limit of each run's solve (default 30 s; a run that reaches it reports its proven bound).
 * Exit codes: 0 the replay ran (whatever the KPIs say), 2 a bad scenario or bad arguments (with messages
 * that name the place and the reason), 1 anything unexpected.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { controllerNames, type ControllerName } from '../engine/controllers.js';
import { loadProfileLibraryFromResources } from '../node/load-profiles.js';
import { resourcesDir } from '../node/paths.js';
import { ScenarioError, loadScenarioFile } from '../node/scenario-file.js';
import { eventsJsonl, kpiDocument, summaryText, timeseriesCsv } from '../replay/outputs.js';
import { ReplaySession } from '../replay/replay.js';
import { loadLpSolver } from '../node/solver.js';
import { APP_VERSION } from '../node/version.js';
import { HelpRequested, oneOf, parseCommandLine, positiveNumber, usageText, UsageError } from './args.js';

/** A controller to replay, or `bound`: the physical limit, which is computed, not replayed. */
export type ReplayControllerName = ControllerName | 'bound';

export interface ReplayArgs {
  scenarioPath: string;
  outDir: string;
  controller: ReplayControllerName;
  /** Per-run time limit of the bound's solve, s. */
  timeLimitS: number;
  speed: number | 'max';
  quiet: boolean;
}

/** Every registered controller, and the bound. */
const controllersToReplay = (): ReplayControllerName[] => [...controllerNames(), 'bound'];
const USAGE = usageText('replay', '<scenario.json> --out <dir> [options]', [
  ['--out <dir>', 'write kpi.json, timeseries.csv and events.jsonl (the bound: kpi.json and bound.csv) here'],
  [`--controller ${controllersToReplay().join('|')}`, 'the controller to replay (default lfc), or the physical limit of every run (bound)'],
  ['--speed max|N', 'as fast as the machine allows (default), or N× real time'],
  ['--time-limit S', "with --controller bound: each run's solve limited to S seconds (default 30)"],
  ['--quiet', 'print nothing; only the files'],
]);

export { UsageError };

export function parseReplayArgs(argv: string[]): ReplayArgs {
  const { values: v, positionals } = parseCommandLine(
    argv,
    { out: { type: 'string' }, controller: { type: 'string' }, speed: { type: 'string' }, 'time-limit': { type: 'string' }, quiet: { type: 'boolean' } },
    USAGE,
    1,
  );
  const scenarioPath = positionals[0];
  if (!scenarioPath) throw new UsageError(`no scenario file given\n${USAGE}`);
  if (!v.out) throw new UsageError(`--out <dir> is required\n${USAGE}`);
  return {
    scenarioPath,
    outDir: v.out,
    controller: v.controller === undefined ? 'lfc' : oneOf('--controller', v.controller, controllersToReplay()),
    speed: v.speed === undefined || v.speed === 'max' ? 'max' : positiveNumber('--speed', v.speed),
    quiet: v.quiet ?? false,
    timeLimitS: v['time-limit'] === undefined ? 30 : positiveNumber('--time-limit', v['time-limit']),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function replayCommand(args: ReplayArgs): Promise<void> {
  const wallStart = performance.now();
  // The planner's solver (HiGHS, WebAssembly) compiles while the scenario and the load profiles are read;
  // deadbeat never plans and the bound solves its own MIP, so neither starts it.
  const solverLoading = args.controller === 'deadbeat' || args.controller === 'bound' ? null : loadLpSolver();
  solverLoading?.catch(() => undefined);
  const loaded = await loadScenarioFile(resolve(args.scenarioPath));
  const library = loadProfileLibraryFromResources(resourcesDir());
  if (args.controller === 'bound') {
    await boundCommand(args, loaded, library, wallStart);
    return;
  }
  const controller = args.controller;
  const solver = solverLoading ? await solverLoading : undefined;
  const session = new ReplaySession({ ...loaded, loadProfiles: library, controller, ...(solver ? { solver } : {}) });

  const showProgress = !args.quiet && process.stderr.isTTY === true;
  let lastReport = performance.now();
  const report = (force = false): void => {
    const now = performance.now();
    if (!showProgress || (!force && now - lastReport < 250)) return;
    lastReport = now;
    const pct = (session.progress * 100).toFixed(0).padStart(3);
    process.stderr.write(`\r  replaying ${loaded.scenario.name} [${args.controller}] ${pct} % · ${new Date(session.nowMs).toISOString().slice(0, 19)}Z`);
  };
  if (args.speed === 'max') {
    const chunk = Math.max(1, Math.floor(session.totalSteps / 200));
    while (!session.done) {
      session.advance(chunk);
      report();
    }
  } else {
    // Paced: simulated time runs `speed` times as fast as the wall clock.
    const stepS = loaded.scenario.stepS;
    const wall0 = performance.now();
    const sim0 = session.nowMs;
    while (!session.done) {
      const targetSimMs = sim0 + (performance.now() - wall0) * args.speed;
      const steps = Math.floor((targetSimMs - session.nowMs) / (stepS * 1000));
      if (steps > 0) session.advance(steps);
      report();
      await sleep(20);
    }
  }
  const result = session.finish();
  if (showProgress) process.stderr.write('\r\x1b[K');

  await mkdir(args.outDir, { recursive: true });
  const kpi = kpiDocument(result, APP_VERSION);
  await writeFile(resolve(args.outDir, 'kpi.json'), JSON.stringify(kpi, null, 2) + '\n');
  await writeFile(resolve(args.outDir, 'timeseries.csv'), timeseriesCsv(result));
  await writeFile(resolve(args.outDir, 'events.jsonl'), eventsJsonl(result.events));
  if (!args.quiet) {
    process.stdout.write(summaryText(result) + '\n');
    const wallS = (performance.now() - wallStart) / 1000;
    process.stderr.write(`  wrote ${args.outDir}/{kpi.json,timeseries.csv,events.jsonl} in ${wallS.toFixed(2)} s (${Math.round(result.simulatedS / wallS)}× real time)\n`);
    const solves = result.planSolveTimesMs;
    if (solves.length > 0) {
      const sorted = [...solves].sort((a, b) => a - b);
      const q = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!.toFixed(1);
      process.stderr.write(`  ${solves.length} plans solved: median ${q(0.5)} ms, p95 ${q(0.95)} ms, max ${q(1)} ms (wall clock; not in the files)\n`);
    }
  }
}

async function boundCommand(args: ReplayArgs, loaded: Awaited<ReturnType<typeof loadScenarioFile>>, library: ReturnType<typeof loadProfileLibraryFromResources>, wallStart: number): Promise<void> {
  const { loadMipSolver } = await import('../node/mip-solver.js');
  const { boundOfScenario } = await import('../replay/bound-truth.js');
  const { boundCsv, boundDocument, boundSummaryText } = await import('../replay/bound-outputs.js');
  const mip = await loadMipSolver();
  if (!args.quiet) process.stderr.write(`  computing the bound of ${loaded.scenario.name} (each run's solve limited to ${args.timeLimitS} s)\n`);
  const runs = boundOfScenario({ ...loaded, loadProfiles: library }, mip, { timeLimitS: args.timeLimitS });
  await mkdir(args.outDir, { recursive: true });
  await writeFile(resolve(args.outDir, 'kpi.json'), JSON.stringify(boundDocument(loaded.scenario.name, runs, APP_VERSION, args.timeLimitS), null, 2) + '\n');
  await writeFile(resolve(args.outDir, 'bound.csv'), boundCsv(runs));
  if (!args.quiet) {
    process.stdout.write(boundSummaryText(loaded.scenario.name, runs) + '\n');
    process.stderr.write(`  wrote ${args.outDir}/{kpi.json,bound.csv} in ${((performance.now() - wallStart) / 1000).toFixed(2)} s\n`);
  }
}

export async function main(argv: string[]): Promise<number> {
  try {
    await replayCommand(parseReplayArgs(argv));
    return 0;
  } catch (err) {
    if (err instanceof HelpRequested) {
      process.stdout.write(`${err.usage}\n`);
      return 0;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`replay: ${err.message}\n`);
      return 2;
    }
    if (err instanceof ScenarioError) {
      process.stderr.write(`replay: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`replay: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop()!)) {
  main(process.argv.slice(2)).then((code) => process.exit(code));
}
