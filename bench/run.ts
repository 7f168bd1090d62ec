/**
 * `npm run bench [-- --only replay,cli,scale,…]`: the speed and memory targets, measured, printed as
 * tables and written to `bench/results/bench.json`. Every replay is measured in a fresh process, median of
 * several repeats, so peak memory and JIT warm-up are honest. Optional sections (OPC UA latency, SQLite,
 * optimiser, renderer) run when their module is present.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

type Row = Record<string, string | number | null>;

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const scenariosDir = resolve(root, 'resources/scenarios');
const only = (() => {
  const i = process.argv.indexOf('--only');
  return i >= 0 ? new Set((process.argv[i + 1] ?? '').split(',')) : null;
})();
const wants = (section: string): boolean => only === null || only.has(section);

function worker(scenarioPath: string, controller: string, scale: number, repeats: number): Record<string, unknown> {
  const out = execFileSync(process.execPath, ['--import', 'tsx', resolve(root, 'bench/replay-worker.ts'), scenarioPath, controller, String(scale), String(repeats)], {
    cwd: root,
    encoding: 'utf8',
  });
  return JSON.parse(out.trim().split('\n').pop()!) as Record<string, unknown>;
}

/** The distribution of plan solve times (wall clock), ms. */
function solveStats(ms: number[]): Row {
  if (ms.length === 0) return { solves: 0, solveP50Ms: null, solveP95Ms: null, solveMaxMs: null };
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number): number => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)]!;
  return { solves: ms.length, solveP50Ms: q(0.5), solveP95Ms: q(0.95), solveMaxMs: q(1) };
}

function printTable(title: string, rows: Row[]): void {
  process.stdout.write(`\n${title}\n`);
  if (rows.length === 0) {
    process.stdout.write('  (nothing)\n');
    return;
  }
  const cols = Object.keys(rows[0]!);
  const cell = (v: unknown): string => (typeof v === 'number' ? (Number.isInteger(v) ? String(v) : v.toFixed(v >= 100 ? 0 : 2)) : String(v ?? '—'));
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => cell(r[c]).length)));
  process.stdout.write('  ' + cols.map((c, i) => c.padEnd(widths[i]!)).join('  ') + '\n');
  process.stdout.write('  ' + widths.map((w) => '-'.repeat(w)).join('  ') + '\n');
  for (const r of rows) process.stdout.write('  ' + cols.map((c, i) => cell(r[c]).padStart(widths[i]!)).join('  ') + '\n');
}

async function optional(section: string, modulePath: string, fn: string): Promise<Row[] | null> {
  if (!wants(section) || !existsSync(resolve(root, modulePath))) return null;
  const mod = (await import(resolve(root, modulePath))) as Record<string, () => Promise<Row[]>>;
  const run = mod[fn];
  if (typeof run !== 'function') return null;
  try {
    return await run();
  } catch (err) {
    return [{ error: err instanceof Error ? err.message : String(err) }];
  }
}

async function main(): Promise<void> {
  const results: Record<string, unknown> = { machine: { node: process.version, cpus: (await import('node:os')).cpus().length } };
  const scenarios = readdirSync(scenariosDir).filter((d) => existsSync(resolve(scenariosDir, d, 'scenario.json'))).sort();

  if (wants('replay')) {
    const rows: Row[] = [];
    for (const name of scenarios) {
      for (const controller of ['lfc', 'deadbeat', 'oracle']) {
        const r = worker(resolve(scenariosDir, name, 'scenario.json'), controller, 1, 3);
        const runs = r.runs as Array<Record<string, number | string | null>>;
        rows.push({
          scenario: name,
          controller,
          simulatedH: (r.simulatedS as number) / 3600,
          medianMs: r.medianMs as number,
          speedX: Math.round(r.speedX as number),
          maxRssMb: r.maxRssMb as number,
          runs: runs.length,
          maeKw: runs.map((x) => (typeof x.maeKw === 'number' ? x.maeKw.toFixed(2) : '—')).join(' / '),
          withinBandPct: runs.map((x) => (typeof x.withinBandPct === 'number' ? x.withinBandPct.toFixed(1) : '—')).join(' / '),
          heldPct: runs.map((x) => (typeof x.heldPctOfRequested === 'number' ? x.heldPctOfRequested.toFixed(1) : '—')).join(' / '),
          endReasons: runs.map((x) => String(x.endReason)).join(' / '),
          bessThroughputKwh: r.bessThroughputKwh as number,
          ...solveStats(r.solveTimesMs as number[]),
          forecastNmae: typeof r.forecastNmae === 'number' ? r.forecastNmae : null,
        });
      }
    }
    printTable('Replay at maximum speed, in-process (median of 3, fresh process each)  — goals: summer-export-hold ≥ 50,000× with deadbeat, ≥ 5,000× with lfc including every solve; lfc ≥ deadbeat on held and within-band, ≥ 90 % of the oracle\'s held', rows);
    results.replay = rows;
  }

  if (wants('scale')) {
    const rows: Row[] = [];
    let base: number | null = null;
    for (const scale of [1, 3, 10]) {
      const r = worker(resolve(scenariosDir, 'summer-export-hold/scenario.json'), 'lfc', scale, 3);
      base ??= r.medianMs as number;
      rows.push({
        scale: `${scale}×`,
        members: r.members as number,
        medianMs: r.medianMs as number,
        costRatio: (r.medianMs as number) / base,
        msPerMemberHour: (r.medianMs as number) / (r.members as number) / ((r.simulatedS as number) / 3600),
        speedX: Math.round(r.speedX as number),
        maxRssMb: r.maxRssMb as number,
      });
    }
    printTable('Cost against community size (summer-export-hold, lfc)  — goal: grows at most linearly', rows);
    results.scale = rows;
  }

  if (wants('cli')) {
    const times: number[] = [];
    const outDir = resolve(root, 'bench/results/cli-replay');
    // Warm the bundle cache once (the first start after a source change bundles the CLI).
    spawnSync(process.execPath, [resolve(root, 'scripts/cli.mjs'), 'replay', '--help'], { cwd: root, stdio: 'ignore' });
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      // Exactly what `npm run replay` runs (minus npm's own start-up): the cached bundle of the CLI.
      execFileSync(process.execPath, [resolve(root, 'scripts/cli.mjs'), 'replay', resolve(scenariosDir, 'summer-export-hold/scenario.json'), '--out', outDir, '--quiet'], { cwd: root });
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    const rows: Row[] = [{ command: 'replay summer-export-hold (start-up + replay + files)', medianS: times[1]! / 1000, minS: times[0]! / 1000, maxS: times[2]! / 1000 }];
    printTable('The whole replay command, including start-up  — goal: < 2 s', rows);
    results.cli = rows;
  }

  for (const [section, path, fn, title] of [
    ['optimiser', 'bench/optimiser.ts', 'benchOptimiser', 'Optimiser solve times'],
    ['opcua', 'bench/opcua-latency.ts', 'benchOpcuaLatency', 'Control-loop latency over loopback OPC UA'],
    ['sqlite', 'bench/sqlite.ts', 'benchSqlite', 'SQLite history'],
    ['renderer', 'bench/renderer.ts', 'benchRenderer', 'Renderer in Chromium'],
    ['field', 'bench/field.ts', 'benchField', 'Field mode over the wire: the field EMS against a rig-only lab rig, BESS over OPC UA and over Modbus/SunSpec  — goals: withinBand within 2 points of the replay, Modbus within 2 of OPC UA; arrival → ack p99 < 50 ms; SunSpec discovery < 1 s; npm run ems ready < 3 s'],
    ['fleet', 'bench/fleet.ts', 'benchFleet', 'Fleet uplink: collector ingest into PostgreSQL and backlog drain over MQTT (real mosquitto and PostgreSQL)  — targets: ingest ≥ 50,000 points/s; 1 h of one site (900,000 points) drained < 60 s; no duplicate'],
    ['distribution', 'bench/distribution.ts', 'benchDistribution', 'lfc, deadbeat and the physical limit over generated scenarios (held %, within band, exhaustion forecast)  — targets: no controller above the bound; lfc ≥ deadbeat on every scenario; lead ≥ 30 min median, error ≤ 10 min at 30 min ahead'],
    // Long (a simulated day at 60×): only when asked for by name.
    ...(only?.has('soak') ? ([['soak', 'bench/soak.ts', 'benchSoak', 'Soak: the EMS against the rig over the wire, a fault every 10 simulated minutes  — target: 0 setpoints unconfirmed past expiry; every fault survived']] as const) : []),
    // Kills processes (a few minutes): only when asked for by name.
    ...(only?.has('crash') ? ([['crash', 'bench/crash.ts', 'benchCrash', 'Crash: kill -9 of serve, npm run ems and the lab during a run; history lost, real seconds (simulated ÷ speed)  — target: ≤ 1 s']] as const) : []),
  ] as const) {
    const rows = await optional(section, path, fn);
    if (rows) {
      printTable(title, rows);
      results[section] = rows;
    }
  }

  mkdirSync(resolve(root, 'bench/results'), { recursive: true });
  const file = resolve(root, 'bench/results/bench.json');
  // Sections not run this time keep their last results (`--only crash` must not erase the soak).
  const previous = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>) : {};
  writeFileSync(file, JSON.stringify({ ...previous, ...results }, null, 2) + '\n');
  process.stdout.write(`\nwrote ${file}\n`);
}

main().catch((err) => {
  process.stderr.write(String(err instanceof Error ? err.stack : err) + '\n');
  process.exit(1);
});
