/**
 * The plant simulator against SCENARIOS.md: the breaker is the sum of every member, PV only feeds in and
 * only by day, loads only draw, household storages run self-consumption until dispatched and fall back when
 * the dispatch expires, the BESS watchdog returns it to 0 kW, and the run is a pure function of the file
 * and its seed (named random streams).
 */
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { LoadProfileLibrary } from '../../../src-main/engine/models/load/index.js';
import { parseScenario, type Scenario } from '../../../src-main/engine/scenario/index.js';
import { loadProfileLibraryFromResources } from '../../../src-main/node/load-profiles.js';
import { resourcesDir } from '../../../src-main/node/paths.js';
import { loadScenarioFile, type LoadedScenario } from '../../../src-main/node/scenario-file.js';
import { Plant } from '../../../src-main/sim/plant.js';

const S = 1000;
let profiles: LoadProfileLibrary;
let winter: LoadedScenario;
let summer: LoadedScenario;

beforeAll(async () => {
  const res = resourcesDir();
  profiles = loadProfileLibraryFromResources(res);
  const load = (name: string) => loadScenarioFile(join(res, 'scenarios', name, 'scenario.json'));
  [winter, summer] = await Promise.all([load('winter-evening-import'), load('summer-export-hold')]);
});

function plantOf(l: LoadedScenario, scenario: Scenario = l.scenario): Plant {
  return new Plant({ scenario, weather: l.weatherActual, loadProfiles: profiles, series: l.series });
}

/** A modified copy of a scenario, validated like a file. */
function variant(base: Scenario, edit: (raw: Record<string, unknown> & { assets: unknown[] }) => void): Scenario {
  const raw = JSON.parse(JSON.stringify(base));
  edit(raw);
  const r = parseScenario(JSON.stringify(raw));
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.scenario;
}

const powerOf = (plant: Plant, id: string): number => {
  const r = plant.read(id);
  if (!r) throw new Error(`no member ${id}`);
  return r.powerKw;
};

/** Steps until `plant.nowMs` reaches `untilMs`. */
function stepUntil(plant: Plant, untilMs: number, each?: () => void): void {
  while (plant.nowMs < untilMs) {
    plant.step();
    each?.();
  }
}

describe('Plant: breaker sum and signs (winter-evening-import, 12:00–21:00)', () => {
  it('breakerKw is the sum of every member at every sampled step; PV ≤ 0 by day and 0 at night; loads ≥ 0', () => {
    const plant = plantOf(winter);
    const ids = plant.members.map((m) => m.id);
    expect(ids.length).toBe(120 + 3 + 2 + 40 + 2 + 12 + 15 + 1);
    const nightFromMs = Date.parse('2026-01-20T18:00:00+01:00');
    const noonMs = Date.parse('2026-01-20T12:00:00+01:00');
    let sampled = 0;
    let nightSteps = 0;
    // Plain checks inside the loop (an expect() per value would take a minute); the first violation is kept.
    const violations: string[] = [];
    const check = (): void => {
      const pv = plant.pvPowerKw;
      const night = plant.nowMs >= nightFromMs;
      if (night) nightSteps++;
      for (let i = 0; i < pv.length; i++) {
        if (!(pv[i]! <= 0)) violations.push(`PV member ${i} draws ${pv[i]} kW at ${plant.nowMs}`);
        if (night && pv[i] !== 0) violations.push(`PV member ${i} gives ${pv[i]} kW at night (${plant.nowMs})`);
      }
      for (let i = 0; i < plant.loadPowerKw.length; i++) {
        if (!(plant.loadPowerKw[i]! >= 0)) violations.push(`load ${i}: ${plant.loadPowerKw[i]} kW at ${plant.nowMs}`);
      }
      const stepIndex = Math.round((plant.nowMs - plant.startMs) / (plant.stepS * S));
      if (stepIndex % 7 === 0) {
        let sum = 0;
        for (const id of ids) sum += powerOf(plant, id);
        if (!(Math.abs(plant.breakerKw - sum) <= 1e-9 * Math.max(1, Math.abs(sum)))) {
          violations.push(`breaker ${plant.breakerKw} kW ≠ Σ members ${sum} kW at ${plant.nowMs}`);
        }
        sampled++;
      }
    };
    // At noon every panel feeds in.
    expect(plant.nowMs).toBe(noonMs);
    for (const id of ids.filter((x) => x.startsWith('roof-') || x.startsWith('barn-'))) expect(powerOf(plant, id)).toBeLessThan(-0.5);
    check();
    // The BESS and the heat pumps take part in the sum too: give them non-zero power.
    plant.write('bess', -120, plant.nowMs + 3600 * S);
    stepUntil(plant, plant.endMs, check);
    expect(violations.slice(0, 5)).toEqual([]);
    expect(sampled).toBeGreaterThan(4000);
    expect(nightSteps).toBeGreaterThan(3 * 3600 - 10);
  });

  it('heat pumps of the winter scenario stay in their comfort band all day under their thermostats', () => {
    const plant = plantOf(winter);
    stepUntil(plant, plant.endMs);
    for (const hp of plant.heatPumps) {
      expect(hp.minIndoorSeenC).toBeGreaterThanOrEqual(hp.params.indoorMinC - 1e-3);
      expect(hp.maxIndoorSeenC).toBeLessThanOrEqual(hp.params.indoorMaxC + 1e-3);
    }
  });
});

describe('Plant: household self-consumption', () => {
  /**
   * Runs a scenario span and checks every household storage member: without a dispatch it follows the
   * negative of its own household's net (load k + pv k) of the step before; where that is within its power,
   * ramp and SOC limits it matches exactly, and the household's net stays ≈ 0.
   */
  function selfConsumption(l: LoadedScenario, fromIso: string, toIso: string) {
    const plant = plantOf(l);
    const hsIds = plant.members.filter((m) => m.kind === 'householdStorage').map((m) => m.id);
    expect(hsIds.length).toBe(12);
    // Member k sits in the household of load member k and pv member k (ids by SCENARIOS.md).
    const pairs = hsIds.map((id, k) => ({ id, load: `hh-${String(k + 1).padStart(3, '0')}`, pv: `roof-${String(k + 1).padStart(2, '0')}` }));
    const p = l.scenario.assets.find((a) => a.kind === 'householdStorage')!;
    if (p.kind !== 'householdStorage') throw new Error('unreachable');
    stepUntil(plant, Date.parse(fromIso));
    const toMs = Date.parse(toIso);
    let matched = 0;
    let charging = 0;
    let discharging = 0;
    let sumAbsNetKw = 0;
    let sumAbsDemandKw = 0;
    const mismatches: string[] = [];
    while (plant.nowMs < toMs) {
      const before = pairs.map((x) => ({
        netKw: powerOf(plant, x.load) + powerOf(plant, x.pv),
        powerKw: powerOf(plant, x.id),
        socPct: plant.read(x.id)!.socPct!,
      }));
      plant.step();
      pairs.forEach((x, k) => {
        const b = before[k]!;
        const want = -b.netKw;
        const inLimits =
          Math.abs(want) <= p.powerKw &&
          Math.abs(want - b.powerKw) <= p.rampKwPerS * plant.stepS &&
          b.socPct > p.socMinPct + 0.1 &&
          b.socPct < p.socMaxPct - 0.1;
        if (!inLimits) return;
        const r = plant.read(x.id)!;
        if (r.setpointKw !== null || !(Math.abs(r.powerKw - want) <= 1e-9)) {
          mismatches.push(`${x.id} at ${plant.nowMs}: ${r.powerKw} kW, want ${want} kW (setpoint ${r.setpointKw})`);
        }
        matched++;
        if (r.powerKw > 0) charging++;
        if (r.powerKw < 0) discharging++;
        sumAbsNetKw += Math.abs(powerOf(plant, x.load) + powerOf(plant, x.pv) + r.powerKw);
        sumAbsDemandKw += Math.abs(b.netKw);
      });
    }
    expect(mismatches.slice(0, 5)).toEqual([]);
    return { matched, charging, discharging, netShare: sumAbsNetKw / sumAbsDemandKw, steps: (toMs - Date.parse(fromIso)) / (plant.stepS * S) };
  }

  it('stores the PV surplus (summer morning)', () => {
    const r = selfConsumption(summer, '2026-06-21T09:00:00+02:00', '2026-06-21T10:00:00+02:00');
    expect(r.matched).toBeGreaterThan(0.5 * 12 * r.steps);
    expect(r.charging).toBeGreaterThan(0.5 * r.matched);
    // The household's net is ≈ 0: only the one-step lag behind load and PV changes remains.
    expect(r.netShare).toBeLessThan(0.02);
  });

  it('covers the household deficit (winter evening)', () => {
    const r = selfConsumption(winter, '2026-01-20T18:00:00+01:00', '2026-01-20T19:00:00+01:00');
    expect(r.matched).toBeGreaterThan(0.8 * 12 * r.steps);
    expect(r.discharging).toBeGreaterThan(0.9 * r.matched);
    expect(r.netShare).toBeLessThan(0.02);
  });

  it('a dispatched setpoint replaces self-consumption until it expires, then it falls back by itself', () => {
    const plant = plantOf(winter);
    stepUntil(plant, Date.parse('2026-01-20T18:00:00+01:00'));
    const t0 = plant.nowMs;
    const net = (): number => powerOf(plant, 'hh-001') + powerOf(plant, 'roof-01');
    expect(plant.write('hs-01', 2, t0 + 600 * S)).toEqual({ ok: true });
    // Response delay 5 s, ramp 5 kW/s: from the 7th second on it charges at 2 kW whatever the household does.
    stepUntil(plant, t0 + 7 * S);
    let lastNetBefore = 0;
    stepUntil(plant, t0 + 600 * S, () => {
      const r = plant.read('hs-01')!;
      expect(r.setpointKw).toBe(2);
      expect(r.powerKw).toBe(2);
    });
    // Expired: the device's own watchdog returns it to self-consumption.
    lastNetBefore = net();
    plant.step();
    expect(plant.read('hs-01')!.setpointKw).toBeNull();
    expect(powerOf(plant, 'hs-01')).toBeCloseTo(-lastNetBefore, 9);
    expect(powerOf(plant, 'hs-01')).toBeLessThan(0);
  });

  it('a setpoint lives at most setpointTtlS (default 2 × dispatchPeriodS = 1800 s), whatever expiry it carries', () => {
    const plant = plantOf(winter);
    stepUntil(plant, Date.parse('2026-01-20T18:00:00+01:00'));
    const t0 = plant.nowMs;
    const netOf = (): number => powerOf(plant, 'hh-002') + powerOf(plant, 'roof-02');
    expect(plant.read('hs-02')!.socPct).toBeGreaterThan(20); // room to discharge for half an hour at 1.5 kW
    plant.write('hs-02', -1.5, t0 + 10 * 3600 * S);
    stepUntil(plant, t0 + 1799 * S);
    expect(plant.read('hs-02')!.setpointKw).toBe(-1.5);
    expect(powerOf(plant, 'hs-02')).toBe(-1.5);
    stepUntil(plant, t0 + 1800 * S);
    const netBefore = netOf();
    plant.step();
    expect(plant.read('hs-02')!.setpointKw).toBeNull();
    expect(powerOf(plant, 'hs-02')).toBeCloseTo(-netBefore, 9);
    expect(powerOf(plant, 'hs-02')).not.toBeCloseTo(-1.5, 3);
  });

  it('write(null) releases a household storage to self-consumption at once', () => {
    const plant = plantOf(winter);
    stepUntil(plant, Date.parse('2026-01-20T18:00:00+01:00'));
    const t0 = plant.nowMs;
    plant.write('hs-03', 3, t0 + 900 * S);
    stepUntil(plant, t0 + 60 * S);
    expect(powerOf(plant, 'hs-03')).toBe(3);
    plant.write('hs-03', null, 0);
    const netBefore = powerOf(plant, 'hh-003') + powerOf(plant, 'roof-03');
    plant.step();
    // Self-consumption follows without delay; ramp 5 kW/s allows the jump from +3 to ≈ −0.5 in one step.
    expect(powerOf(plant, 'hs-03')).toBeCloseTo(-netBefore, 9);
  });
});

describe('Plant: BESS watchdog and writes', () => {
  it('returns to 0 kW when its setpoint expires (TTL 6 × bessPeriodS = 60 s), and holds while renewed', () => {
    const plant = plantOf(winter);
    const t0 = plant.nowMs;
    plant.write('bess', 100, t0 + 3600 * S);
    stepUntil(plant, t0 + 59 * S);
    expect(powerOf(plant, 'bess')).toBe(100);
    expect(plant.read('bess')!.setpointKw).toBe(100);
    stepUntil(plant, t0 + 63 * S);
    expect(plant.read('bess')!.setpointKw).toBeNull();
    expect(powerOf(plant, 'bess')).toBe(0);

    // Renewed every 30 s, it holds for five minutes.
    const t1 = plant.nowMs;
    for (let k = 0; k < 10; k++) {
      plant.write('bess', -80, plant.nowMs + 3600 * S);
      stepUntil(plant, t1 + (k + 1) * 30 * S);
      if (k > 0) expect(powerOf(plant, 'bess')).toBe(-80);
    }
    stepUntil(plant, plant.nowMs + 65 * S);
    expect(powerOf(plant, 'bess')).toBe(0);
  });

  it('rejects what a device would reject, with a reason', () => {
    const plant = plantOf(winter);
    expect(plant.write('nope', 1, 0)).toMatchObject({ ok: false, error: expect.stringContaining('unknown asset nope') });
    expect(plant.write('bess', NaN, plant.nowMs + 1000)).toMatchObject({ ok: false, error: expect.stringContaining('finite') });
    expect(plant.write('hh-001', 1, plant.nowMs + 1000)).toMatchObject({ ok: false, error: expect.stringContaining('takes no setpoints') });
    expect(plant.write('roof-01', -1, plant.nowMs + 1000)).toMatchObject({ ok: false, error: expect.stringContaining('not curtailable') });
    expect(plant.read('bess')!.setpointKw).toBeNull();
  });

  it('curtails a curtailable PV member only while the curtailment lasts', () => {
    const plant = plantOf(winter); // 12:00, sunny
    const freeKw = powerOf(plant, 'barn-01');
    expect(freeKw).toBeLessThan(-10);
    expect(plant.write('barn-01', -5, plant.nowMs + 60 * S)).toEqual({ ok: true });
    const t0 = plant.nowMs;
    stepUntil(plant, t0 + 30 * S);
    expect(powerOf(plant, 'barn-01')).toBe(-5);
    expect(powerOf(plant, 'barn-02')).toBeLessThan(-10);
    stepUntil(plant, t0 + 61 * S);
    expect(powerOf(plant, 'barn-01')).toBeLessThan(-10);
  });
});

describe('Plant: determinism and named random streams', () => {
  const trajectory = (plant: Plant, steps: number): number[] => {
    const out: number[] = [];
    for (let i = 0; i < steps; i++) {
      plant.step();
      out.push(plant.breakerKw);
    }
    return out;
  };

  it('same scenario and seed: the same trajectory bit for bit', () => {
    const a = plantOf(winter);
    const b = plantOf(winter);
    a.write('bess', 50, a.nowMs + 30 * S);
    b.write('bess', 50, b.nowMs + 30 * S);
    const ta = trajectory(a, 3600);
    const tb = trajectory(b, 3600);
    expect(ta.every((v, i) => Object.is(v, tb[i]))).toBe(true);
    expect(a.storages.map((s) => s.physics.energyKwh)).toEqual(b.storages.map((s) => s.physics.energyKwh));
    expect(a.heatPumps.map((h) => h.indoorC)).toEqual(b.heatPumps.map((h) => h.indoorC));
  });

  it('another seed changes the load noise (and nothing that is not random)', () => {
    const a = plantOf(winter);
    const b = plantOf(winter, variant(winter.scenario, (s) => (s.seed = 14)));
    const loads = a.members.filter((m) => m.kind === 'load').map((m) => m.id);
    let differ = 0;
    for (const id of loads) if (powerOf(a, id) !== powerOf(b, id)) differ++;
    expect(differ).toBeGreaterThan(0.9 * loads.length);
    for (const id of a.members.filter((m) => m.kind === 'pv').map((m) => m.id)) expect(powerOf(a, id)).toBe(powerOf(b, id));
  });

  it('adding assets does not change the draws of the others', () => {
    const base = plantOf(winter);
    const more = plantOf(
      winter,
      variant(winter.scenario, (s) => {
        // Put the new ones first so every index shifts; only the names keep the streams apart.
        s.assets.unshift(
          { kind: 'load', id: 'bakery', count: 7, profile: 'G0', annualKwh: 30000, noisePct: 40 },
          { kind: 'load', id: 'hh2', count: 30, profile: 'H0', annualKwh: 3000, noisePct: 30 },
        );
      }),
    );
    const ids = base.members.filter((m) => m.kind === 'load' || m.kind === 'householdStorage').map((m) => m.id);
    for (let step = 0; step < 1200; step++) {
      if (step % 60 === 0) for (const id of ids) expect(Object.is(powerOf(base, id), powerOf(more, id))).toBe(true);
      base.step();
      more.step();
    }
    expect(more.breakerKw).not.toBe(base.breakerKw);
  });
});
