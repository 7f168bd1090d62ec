/**
 * Optimiser benchmark: solve time of the 15-minute dispatch LP on HiGHS (WebAssembly) at the bundled
 * scenarios' sizes — 1 BESS (300 kW / 600 kWh), 12 household storages (one fleet), 15 heat pumps (one
 * fleet), curtailable PV — over 6, 8 and 12 h at 15 minutes, in a summer (export, PV-rich) and a winter
 * (import, heat-pump-rich) case; and the 1-minute oracle over 6 h. Target: median < 200 ms for 6–8 h.
 *
 * Times are wall time around `optimiseDispatch` (LP text, HiGHS solve, re-solve if any, disaggregation).
 * Run alone with `npx tsx bench/optimiser.ts`.
 */
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import loadHighs from 'highs';
import { createHighsLpSolver } from '../src-main/engine/optimiser/highs-solver.js';
import { optimiseDispatch } from '../src-main/engine/optimiser/dispatch.js';
import { solveOracle } from '../src-main/engine/optimiser/oracle.js';
import type { DispatchProblem, HeatPumpUnitState, StorageUnitState } from '../src-main/engine/optimiser/types.js';
import { Rng } from '../src-main/engine/random.js';

const START_MS = Date.UTC(2026, 5, 21, 7);

function community(season: 'summer' | 'winter', slots: number, stepS: number, rng: Rng): DispatchProblem {
  const perHour = 3600 / stepS;
  const residualKw = new Float64Array(slots);
  const curtailablePvKw = new Float64Array(slots);
  const outdoorC = new Float64Array(slots);
  const targetKw = new Float64Array(slots).fill(Number.NaN);
  for (let k = 0; k < slots; k++) {
    const hour = 9 + k / perHour;
    const sun = Math.max(0, Math.sin((Math.PI * (hour - 5)) / 16));
    const pv = (season === 'summer' ? -560 : -120) * sun * (0.8 + 0.2 * rng.next());
    const load = 120 + 40 * Math.sin((Math.PI * hour) / 12) + 10 * rng.normal();
    residualKw[k] = load + pv;
    curtailablePvKw[k] = (pv * 200) / 560;
    outdoorC[k] = season === 'summer' ? 24 + 4 * sun : -2 + 3 * sun;
    // The run: announced, starting after 1 h and lasting 2 h, then the rest of the horizon is look-ahead.
    if (k >= perHour && k < 3 * perHour) targetKw[k] = season === 'summer' ? -250 : 200;
  }
  const bess: StorageUnitState = {
    id: 'bess', powerRatingKw: 300, energyKwh: 600, socPct: 50, socMinPct: 10, socMaxPct: 90, roundTripEfficiency: 0.9, powerKw: 0, available: true,
  };
  const households: StorageUnitState[] = Array.from({ length: 12 }, (_, i) => ({
    id: `hs-${String(i + 1).padStart(2, '0')}`, powerRatingKw: 5, energyKwh: 10, socPct: 20 + 60 * rng.next(), socMinPct: 5, socMaxPct: 95,
    roundTripEfficiency: 0.92, powerKw: 0, available: true,
  }));
  const heatPumps: HeatPumpUnitState[] = Array.from({ length: 15 }, (_, i) => ({
    id: `hp-${String(i + 1).padStart(2, '0')}`, powerKw: 3, cop: season === 'summer' ? 3.2 : 2.8, capacityKwhPerK: 4, lossKwPerK: 0.15,
    indoorC: 20.3 + 2 * rng.next(), indoorMinC: 20, indoorMaxC: 22.5, on: rng.next() < 0.5, msSinceSwitch: rng.next() * 1_200_000,
    minOnS: 600, minOffS: 600, available: true,
  }));
  return {
    startMs: START_MS,
    stepS,
    residualKw,
    curtailablePvKw,
    outdoorC,
    targetKw,
    toleranceKw: new Float64Array(slots).fill(10),
    bess,
    bessReserveKw: 30,
    households: [{ id: 'hs', members: households }],
    heatPumps: [{ id: 'hp', members: heatPumps }],
    connectionLimitKw: 630,
  };
}

function quantile(sorted: number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i]!;
}

export async function benchOptimiser(): Promise<Array<Record<string, string | number>>> {
  const solver = createHighsLpSolver(await loadHighs(), { monotonicMs: () => performance.now() });
  const rows: Array<Record<string, string | number>> = [];
  const cases: Array<{ name: string; season: 'summer' | 'winter'; hours: number; stepS: number; repeats: number; oracle?: boolean }> = [
    { name: 'dispatch 6 h @15 min', season: 'summer', hours: 6, stepS: 900, repeats: 40 },
    { name: 'dispatch 8 h @15 min', season: 'summer', hours: 8, stepS: 900, repeats: 40 },
    { name: 'dispatch 8 h @15 min', season: 'winter', hours: 8, stepS: 900, repeats: 40 },
    { name: 'dispatch 12 h @15 min', season: 'summer', hours: 12, stepS: 900, repeats: 20 },
    { name: 'oracle 6 h @1 min', season: 'summer', hours: 6, stepS: 60, repeats: 3, oracle: true },
  ];
  // Warm-up: the first solves pay for JIT and WebAssembly tier-up.
  for (let i = 0; i < 10; i++) optimiseDispatch(community('summer', 32, 900, new Rng(i + 1)), solver);
  for (const c of cases) {
    const slots = (c.hours * 3600) / c.stepS;
    const wallMs: number[] = [];
    const lpMs: number[] = [];
    let size = '';
    let solves = 0;
    for (let r = 0; r < c.repeats; r++) {
      const p = community(c.season, slots, c.stepS, new Rng(100 + r));
      const t0 = performance.now();
      if (c.oracle) {
        const o = solveOracle({ ...p, bessReserveKw: 0 }, solver);
        size = `${o.plan.lpSize.variables}×${o.plan.lpSize.constraints}`;
        lpMs.push(o.plan.solveTimeMs ?? Number.NaN);
      } else {
        const plan = optimiseDispatch(p, solver);
        if (plan.status !== 'optimal') throw new Error(`${c.name}: ${plan.message}`);
        size = `${plan.lpSize.variables}×${plan.lpSize.constraints}`;
        solves += plan.solves;
        lpMs.push(plan.solveTimeMs ?? Number.NaN);
      }
      wallMs.push(performance.now() - t0);
    }
    wallMs.sort((a, b) => a - b);
    lpMs.sort((a, b) => a - b);
    rows.push({
      case: c.name,
      season: c.season,
      slots,
      'vars×rows': size,
      repeats: c.repeats,
      medianMs: Number(quantile(wallMs, 0.5).toFixed(1)),
      p95Ms: Number(quantile(wallMs, 0.95).toFixed(1)),
      highsMedianMs: Number(quantile(lpMs, 0.5).toFixed(1)),
      meanSolves: c.oracle ? '—' : Number((solves / c.repeats).toFixed(2)),
    });
  }
  return rows;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  benchOptimiser().then(
    (rows) => console.table(rows),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
