import { describe, expect, it } from 'vitest';
import { feasibility, flexibilityProfile, predictedExhaustionAt, type FlexState } from '../../../../src-main/engine/forecast/flexibility-profile.js';
import type { HeatPumpUnitState, StorageUnitState } from '../../../../src-main/engine/optimiser/types.js';

const NOW = Date.UTC(2026, 5, 21, 8); // 10:00 in Europe/Berlin (CEST)
const bess = (over: Partial<StorageUnitState> = {}): StorageUnitState => ({
  id: 'bess', powerRatingKw: 300, energyKwh: 100, socPct: 60, socMinPct: 10, socMaxPct: 90, roundTripEfficiency: 1, powerKw: 0, available: true, ...over,
});
const hp = (over: Partial<HeatPumpUnitState> = {}): HeatPumpUnitState => ({
  id: 'hp-01', powerKw: 3, cop: 3, capacityKwhPerK: 4, lossKwPerK: 0, indoorC: 21, indoorMinC: 20, indoorMaxC: 22, on: false,
  msSinceSwitch: 3_600_000, minOnS: 600, minOffS: 600, available: true, ...over,
});
const state = (over: Partial<FlexState> = {}): FlexState => ({ nowMs: NOW, bess: bess(), households: [], heatPumps: [], timeZone: 'Europe/Berlin', ...over });
const flat = (n: number, v: number) => new Float64Array(n).fill(v);
const fc = (n: number, residualKw: number) => ({ stepS: 900, residualKw: flat(n, residualKw), outdoorC: flat(n, 5) });

describe('feasibility (hand-computed)', () => {
  it('one BESS with enough energy: can hold', () => {
    // −50 kW with +100 kW residual: the BESS discharges 140 kW (band edge); 80 % of 600 kWh = 480 kWh lasts 3.4 h.
    const r = feasibility(-50, 7200, 10, state({ bess: bess({ energyKwh: 600, socPct: 90 }) }), fc(16, 100));
    expect(r).toEqual({ feasible: true, holdUntilMs: NOW + 7_200_000, limitingAsset: null, message: 'can hold −50 kW for 2 h: until 12:00' });
  });

  it('one BESS short of energy: holds until the energy runs out, inside the slot', () => {
    // 0 kW ± 10 with +100 kW residual: 90 kW of discharge from 50 kWh lasts 50/90 h = 2000 s → 10:33:20.
    const r = feasibility(0, 7200, 10, state(), fc(16, 100));
    expect(r.feasible).toBe(false);
    expect(r.holdUntilMs).toBe(NOW + 2_000_000);
    expect(r.limitingAsset).toBe('bess');
    expect(r.message).toBe('cannot hold 0 kW for 2 h: only until 10:33 (storages are empty)');
    expect(predictedExhaustionAt(0, 10, state(), fc(16, 100))).toBe(NOW + 2_000_000);
  });

  it('power, not energy: a target beyond the ratings fails at once', () => {
    const r = feasibility(-500, 3600, 10, state({ bess: bess({ energyKwh: 1000 }) }), fc(8, 100));
    expect(r.holdUntilMs).toBe(NOW);
    expect(r.message).toMatch(/only until 10:00 \(not enough power/);
  });

  it('a heat pump without storage: on until its house reaches the comfort maximum', () => {
    // Lossless house (UA = 0), 4 kWh/K, 21 °C in [20, 22]: on at 3 kW adds 0.75 kWh_th per kW per slot,
    // so 2.25 kWh per slot of the 4 kWh of room; slot 1 can only take 2.33 kW → the target (+3 kW) holds one slot.
    const r = feasibility(103, 3600, 0, state({ bess: null, heatPumps: [{ id: 'hp', members: [hp()] }] }), fc(4, 100));
    expect(r.holdUntilMs).toBe(NOW + 900_000);
    expect(r.limitingAsset).toBe('hp');
  });

  it('no forecast beyond its end: holds until the forecast ends, and says so', () => {
    const r = feasibility(-50, 7200, 10, state({ bess: bess({ energyKwh: 600, socPct: 90 }) }), fc(4, 100));
    expect(r.holdUntilMs).toBe(NOW + 3_600_000);
    expect(r.message).toMatch(/no forecast beyond this time/);
  });
});

describe('flexibilityProfile', () => {
  it('storages: ±rating now, and the holdable band narrows with the horizon', () => {
    const p = flexibilityProfile(state(), fc(8, 100), 8);
    const b = p.assets[0]!;
    expect([b.nowDownKw, b.nowUpKw]).toEqual([-300, 300]);
    // Discharge 50 kWh over 15 min = 200 kW; over 2 h = 25 kW. Charge 30 kWh over 2 h = 15 kW.
    expect(b.downKw[0]).toBeCloseTo(-200, 9);
    expect(b.downKw[7]).toBeCloseTo(-25, 9);
    expect(b.upKw[7]).toBeCloseTo(15, 9);
    expect(p.community.breakerMinKw[7]).toBeCloseTo(75, 9);
    expect(p.community.breakerMaxKw[7]).toBeCloseTo(115, 9);
  });

  it('a heat pump locked on by its min on time can only stay on; curtailable PV adds room upwards', () => {
    const p = flexibilityProfile(
      state({ bess: null, heatPumps: [{ id: 'hp', members: [hp({ on: true, msSinceSwitch: 0, minOnS: 1800 })] }] }),
      { ...fc(4, -100), curtailablePvKw: Float64Array.from([-80, -60, -70, -90]) },
      4,
    );
    const h = p.assets.find((a) => a.kind === 'heatPump')!;
    expect([h.nowDownKw, h.nowUpKw]).toEqual([3, 3]);
    expect(h.downKw[0]).toBe(3); // locked for the whole first slot
    const pv = p.assets.find((a) => a.kind === 'pv')!;
    expect(Array.from(pv.upKw)).toEqual([80, 60, 60, 60]);
    expect(p.community.nowUpKw).toBe(3 + 80);
  });

  it('an unavailable asset collapses to its last power', () => {
    const p = flexibilityProfile(state({ bess: bess({ available: false, powerKw: -40 }) }), fc(2, 0), 2);
    expect([p.assets[0]!.nowDownKw, p.assets[0]!.nowUpKw, p.assets[0]!.downKw[1], p.assets[0]!.upKw[1]]).toEqual([-40, -40, -40, -40]);
  });
});
