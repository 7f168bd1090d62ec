/**
 * The control laws as tables of inputs and hand-computed outputs: the deadbeat reference (OpenEMS's
 * balancing law), lfc's gain rule, and the fair-share dispatch of household storages and heat pumps.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  controllerByName,
  deadbeatController,
  fairShareDispatch,
  HEAT_PUMP_MARGIN_K,
  LFC_RAMP_GAIN,
  rampPerCycleKw,
  lfcController,
  type BessLoopInput,
  type DispatchInput,
  type HeatPumpMemberState,
  type StorageMemberState,
} from '../../../src-main/engine/controllers.js';

const loop = (over: Partial<BessLoopInput>): BessLoopInput => ({
  targetKw: 0,
  breakerKw: 0,
  bessPowerKw: 0,
  bessRatingKw: 300,
  bessSocPct: 50,
  bessSocMinPct: 10,
  bessSocMaxPct: 90,
  toleranceKw: 10,
  ...over,
});

describe('deadbeat: P_bess,new = P_bess,meas − (P_B,meas − P*), clamped', () => {
  it.each([
    // target, breaker, bess, soc → expected
    { targetKw: -150, breakerKw: -100, bessPowerKw: 0, bessSocPct: 50, want: -50 }, // too little export: discharge 50
    { targetKw: -150, breakerKw: -200, bessPowerKw: -80, bessSocPct: 50, want: -30 }, // too much export: discharge less
    { targetKw: 0, breakerKw: 50, bessPowerKw: 20, bessSocPct: 50, want: -30 },
    { targetKw: 20, breakerKw: 20, bessPowerKw: 123.4, bessSocPct: 50, want: 123.4 }, // on target: unchanged
    { targetKw: 0, breakerKw: 2, bessPowerKw: 10, bessSocPct: 50, want: 8 }, // small errors fully corrected
    { targetKw: 0, breakerKw: -500, bessPowerKw: 100, bessSocPct: 50, want: 300 }, // 600 → +rating
    { targetKw: 0, breakerKw: 500, bessPowerKw: -100, bessSocPct: 50, want: -300 }, // −600 → −rating
    { targetKw: 0, breakerKw: -50, bessPowerKw: 0, bessSocPct: 90, want: 0 }, // full: no charging
    { targetKw: 0, breakerKw: 50, bessPowerKw: 0, bessSocPct: 90, want: -50 }, // full: may discharge
    { targetKw: 0, breakerKw: -50, bessPowerKw: 0, bessSocPct: 95, want: 0 }, // above socMax
    { targetKw: 0, breakerKw: 50, bessPowerKw: 0, bessSocPct: 10, want: 0 }, // empty: no discharging
    { targetKw: 0, breakerKw: -50, bessPowerKw: 0, bessSocPct: 10, want: 50 }, // empty: may charge
    { targetKw: 0, breakerKw: 30, bessPowerKw: 20, bessSocPct: 5, want: 0 }, // below socMin: −10 → 0
  ])('target $targetKw, breaker $breakerKw, bess $bessPowerKw, soc $bessSocPct % → $want', ({ want, ...over }) => {
    expect(deadbeatController.bessSetpointKw(loop(over))).toBeCloseTo(want, 12);
  });

  it('dispatches no household storage and no heat pump', () => {
    const d = deadbeatController.dispatch({} as DispatchInput);
    expect(d.householdKw.size).toBe(0);
    expect(d.heatPumpOn.size).toBe(0);
    expect(d.bessShareKw).toBe(0);
  });
});

describe("lfc's fast law: the full correction, as deadbeat, when there is no ramp and no feed-forward", () => {
  // A softer gain inside the band was measured worse on every bundled scenario (see controllers.ts).
  const g = 1;

  it.each([
    // error e = breaker − target; tolerance 10 → inner while |e| ≤ 5 kW
    { breakerKw: 2, bessPowerKw: 10, want: () => 10 - g * 2 },
    { breakerKw: -4, bessPowerKw: 0, want: () => 4 * g },
    { breakerKw: 5, bessPowerKw: 0, want: () => -5 * g }, // |e| = b/2 is still inner
    { breakerKw: 5.01, bessPowerKw: 0, want: () => -5.01 }, // just outside: full gain
    { breakerKw: -40, bessPowerKw: 100, want: () => 140 },
    { breakerKw: -400, bessPowerKw: 100, want: () => 300 }, // clamped like deadbeat
    { breakerKw: -40, bessPowerKw: 0, bessSocPct: 90, want: () => 0 }, // full
    { breakerKw: 40, bessPowerKw: 0, bessSocPct: 10, want: () => 0 }, // empty
  ])('breaker $breakerKw (target 0), bess $bessPowerKw', ({ want, ...over }) => {
    expect(lfcController.bessSetpointKw(loop(over))).toBeCloseTo(want(), 12);
  });

  it('without a ramp or a feed-forward, lfc and deadbeat agree exactly', () => {
    fc.assert(
      fc.property(
        fc.double({ min: -600, max: 600, noNaN: true }),
        fc.double({ min: -600, max: 600, noNaN: true }),
        fc.double({ min: -300, max: 300, noNaN: true }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.double({ min: 1, max: 50, noNaN: true }),
        (targetKw, breakerKw, bessPowerKw, bessSocPct, toleranceKw) => {
          const input = loop({ targetKw, breakerKw, bessPowerKw, bessSocPct, toleranceKw });
          // (+ 0 folds −0 into 0: the sign of a zero setpoint means nothing)
          expect(lfcController.bessSetpointKw(input) + 0).toBe(deadbeatController.bessSetpointKw(input) + 0);
        },
      ),
    );
  });

  it('controllerByName', () => {
    expect(controllerByName('lfc')).toBe(lfcController);
    expect(controllerByName('deadbeat')).toBe(deadbeatController);
  });
});

// ---------------------------------------------------------------------------------------------------
// fairShareDispatch

const storage = (id: string, over: Partial<StorageMemberState>): StorageMemberState => ({
  id,
  powerRatingKw: 5,
  energyKwh: 10,
  socPct: 50,
  socMinPct: 10,
  socMaxPct: 90,
  powerKw: 0,
  available: true,
  ...over,
});
const bess = (over: Partial<StorageMemberState>) => storage('bess', { powerRatingKw: 300, energyKwh: 600, ...over });
const hp = (id: string, on: boolean, indoorC: number, msSinceSwitch = 3_600_000, available = true): HeatPumpMemberState => ({
  id,
  powerKw: 3,
  on,
  indoorC,
  indoorMinC: 20,
  indoorMaxC: 22.5,
  msSinceSwitch,
  minOnS: 600,
  minOffS: 600,
  available,
});
const dispatchOf = (over: Partial<DispatchInput>): DispatchInput => ({
  bessMeanKw: 0,
  bess: bess({}),
  households: [],
  heatPumps: [],
  periodS: 900,
  ...over,
});

describe('fairShareDispatch: storages share in proportion to the energy they can give', () => {
  it('charging: weights are the room to socMax (240 kWh, 5.5 kWh, 0)', () => {
    const d = fairShareDispatch(
      dispatchOf({
        bessMeanKw: 30,
        bess: bess({ socPct: 50 }),
        households: [storage('hs-01', { socPct: 40, socMinPct: 5, socMaxPct: 95 }), storage('hs-02', { socPct: 95, socMinPct: 5, socMaxPct: 95 })],
      }),
    );
    expect(d.householdKw.get('hs-01')).toBeCloseTo((30 * 5.5) / 245.5, 12); // 0.672 kW
    expect(d.householdKw.has('hs-02')).toBe(false); // full: released to self-consumption, not pinned at 0 kW
    expect(d.bessShareKw).toBeCloseTo((30 * 240) / 245.5, 12); // 29.33 kW
  });

  it('discharging with water-filling: households at their rating, the BESS takes the rest', () => {
    // Weights (energy above socMin): BESS 20 %·600 = 120 kWh, each household 40 %·100 = 40 kWh.
    // First pass: BESS −60, households −20 → −5 each (rating); the 30 kW left go to the BESS: −90.
    const d = fairShareDispatch(
      dispatchOf({
        bessMeanKw: -100,
        bess: bess({ socPct: 30 }),
        households: [storage('hs-01', { energyKwh: 100 }), storage('hs-02', { energyKwh: 100 })],
      }),
    );
    expect(d.householdKw.get('hs-01')).toBeCloseTo(-5, 12);
    expect(d.householdKw.get('hs-02')).toBeCloseTo(-5, 12);
    expect(d.bessShareKw).toBeCloseTo(-90, 12);
  });

  it('when every storage is at its rating, what is left stays with the BESS share (to show the shortfall)', () => {
    // −400: BESS −240, households −5 each; left −150 → BESS −390 → −300; left −90.
    const d = fairShareDispatch(
      dispatchOf({
        bessMeanKw: -400,
        bess: bess({ socPct: 30 }),
        households: [storage('hs-01', { energyKwh: 100 }), storage('hs-02', { energyKwh: 100 })],
      }),
    );
    expect(d.householdKw.get('hs-01')).toBeCloseTo(-5, 12);
    expect(d.bessShareKw).toBeCloseTo(-300 - 90, 12);
  });

  it("households' present power is part of what is shared", () => {
    // Nothing on the BESS, but each household discharges 2 kW in self-consumption: −4 kW shared 120:40:40.
    const d = fairShareDispatch(
      dispatchOf({
        bessMeanKw: 0,
        bess: bess({ socPct: 30 }),
        households: [storage('hs-01', { energyKwh: 100, powerKw: -2 }), storage('hs-02', { energyKwh: 100, powerKw: -2 })],
      }),
    );
    expect(d.householdKw.get('hs-01')).toBeCloseTo(-0.8, 12);
    expect(d.householdKw.get('hs-02')).toBeCloseTo(-0.8, 12);
    expect(d.bessShareKw).toBeCloseTo(-2.4, 12);
  });

  it('an unavailable household is left out (neither counted nor dispatched)', () => {
    // −100 over BESS 120 and hs-01 40: −75 / −25 → −5; the BESS takes −95. hs-02's −50 kW is not counted.
    const d = fairShareDispatch(
      dispatchOf({
        bessMeanKw: -100,
        bess: bess({ socPct: 30 }),
        households: [storage('hs-01', { energyKwh: 100 }), storage('hs-02', { energyKwh: 100, powerKw: -50, available: false })],
      }),
    );
    expect(d.householdKw.has('hs-02')).toBe(false);
    expect(d.householdKw.get('hs-01')).toBeCloseTo(-5, 12);
    expect(d.bessShareKw).toBeCloseTo(-95, 12);
  });
});

describe('fairShareDispatch: heat pumps take over part of the BESS share, inside comfort and min on/off', () => {
  const fleet = [
    hp('A', false, 20.5),
    hp('B', false, 21.0),
    hp('C', false, 22.3), // within HEAT_PUMP_MARGIN_K of the maximum
    hp('D', false, 20.2, 100_000), // off for 100 s only (min off 600 s)
    hp('E', true, 20.1), // already on
    hp('F', false, 20.0, 3_600_000, false), // unreachable
    hp('G', false, 20.8),
  ];

  it('more demand wanted: switches on the coldest eligible pumps while at least half a unit is left', () => {
    expect(HEAT_PUMP_MARGIN_K).toBe(0.3);
    // A full BESS cannot charge: the 10 kW stay on its share; A (20.5), G (20.8), B (21.0) → 10 − 9 = 1 kW.
    const d = fairShareDispatch(dispatchOf({ bessMeanKw: 10, bess: bess({ socPct: 90 }), heatPumps: fleet }));
    expect([...d.heatPumpOn.entries()]).toEqual([
      ['A', true],
      ['G', true],
      ['B', true],
    ]);
    expect(d.bessShareKw).toBeCloseTo(1, 12);
    // 4 kW: A only (1 kW left is less than half of 3 kW).
    const small = fairShareDispatch(dispatchOf({ bessMeanKw: 4, bess: bess({ socPct: 90 }), heatPumps: fleet }));
    expect([...small.heatPumpOn.entries()]).toEqual([['A', true]]);
    expect(small.bessShareKw).toBeCloseTo(1, 12);
  });

  it('less demand wanted: switches off the warmest eligible pumps', () => {
    const on = [
      hp('P', true, 22.0),
      hp('Q', true, 21.0),
      hp('R', true, 20.2), // within the margin of the minimum
      hp('S', true, 21.5, 100_000), // on for 100 s only (min on 600 s)
      hp('T', false, 21.5),
    ];
    const d = fairShareDispatch(dispatchOf({ bessMeanKw: -7, bess: bess({ socPct: 10 }), heatPumps: on }));
    expect([...d.heatPumpOn.entries()]).toEqual([
      ['P', false],
      ['Q', false],
    ]);
    expect(d.bessShareKw).toBeCloseTo(-1, 12);
  });

  it('property: storage shares add up, respect ratings and direction; heat pumps only switch when allowed', () => {
    const storageArb = (id: string) =>
      fc.record({
        id: fc.constant(id),
        powerRatingKw: fc.double({ min: 1, max: 20, noNaN: true }),
        energyKwh: fc.double({ min: 1, max: 50, noNaN: true }),
        socPct: fc.double({ min: 0, max: 100, noNaN: true }),
        socMinPct: fc.constant(5),
        socMaxPct: fc.constant(95),
        powerKw: fc.double({ min: -10, max: 10, noNaN: true }),
        available: fc.boolean(),
      });
    const hpArb = (id: string) =>
      fc.record({
        id: fc.constant(id),
        powerKw: fc.constantFrom(2, 3, 5),
        on: fc.boolean(),
        indoorC: fc.double({ min: 19.5, max: 23, noNaN: true }),
        indoorMinC: fc.constant(20),
        indoorMaxC: fc.constant(22.5),
        msSinceSwitch: fc.integer({ min: 0, max: 3_600_000 }),
        minOnS: fc.constantFrom(0, 300, 600, 1200),
        minOffS: fc.constantFrom(0, 300, 600, 1200),
        available: fc.boolean(),
      });
    fc.assert(
      fc.property(
        fc.double({ min: -600, max: 600, noNaN: true }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.tuple(...['h1', 'h2', 'h3', 'h4', 'h5'].map(storageArb)),
        fc.tuple(...['p1', 'p2', 'p3', 'p4', 'p5', 'p6'].map(hpArb)),
        (bessMeanKw, bessSoc, households, heatPumps) => {
          const input = dispatchOf({ bessMeanKw, bess: bess({ socPct: bessSoc, socMinPct: 10, socMaxPct: 90 }), households, heatPumps });
          const d = fairShareDispatch(input);
          const avail = households.filter((h) => h.available);
          const neededKw = bessMeanKw + avail.reduce((s, h) => s + h.powerKw, 0);
          let sum = d.bessShareKw;
          for (const h of households) {
            const share = d.householdKw.get(h.id);
            if (!h.available) {
              expect(share).toBeUndefined();
              continue;
            }
            const canGive = neededKw > 0 ? h.socPct < h.socMaxPct : h.socPct > h.socMinPct;
            if (!canGive) {
              expect(share).toBeUndefined(); // nothing to give that way: released to self-consumption
              continue;
            }
            expect(share).toBeDefined();
            expect(Math.abs(share!)).toBeLessThanOrEqual(h.powerRatingKw + 1e-9);
            expect(share! * neededKw).toBeGreaterThanOrEqual(0); // never against the direction needed
            sum += share!;
          }
          for (const p of heatPumps) {
            const on = d.heatPumpOn.get(p.id);
            if (on === undefined) continue;
            expect(p.available).toBe(true);
            expect(on).toBe(!p.on);
            if (on) {
              expect(p.indoorC).toBeLessThan(p.indoorMaxC - HEAT_PUMP_MARGIN_K);
              expect(p.msSinceSwitch).toBeGreaterThanOrEqual(p.minOffS * 1000);
              sum += p.powerKw;
            } else {
              expect(p.indoorC).toBeGreaterThan(p.indoorMinC + HEAT_PUMP_MARGIN_K);
              expect(p.msSinceSwitch).toBeGreaterThanOrEqual(p.minOnS * 1000);
              sum -= p.powerKw;
            }
          }
          // Conservation: what the BESS keeps + households + switched heat pumps = what was needed.
          expect(sum).toBeCloseTo(neededKw, 6);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('rampPerCycleKw (lfc leads a ramp, never a step)', () => {
  it.each([
    [[0, 10, 20], 10, 'a steady ramp up'],
    [[0, -6, -20], -6, 'a ramp down: the smaller change'],
    [[0, 0, 40], 0, 'a single step'],
    [[0, 40, 40], 0, 'a step, then flat'],
    [[0, 10, 5], 0, 'a reversal'],
    [[0, 3, 6], 0, 'changes below the ramp threshold (noise)'],
    [[0, NaN, 10], 0, 'an unknown value'],
  ])('%j → %d (%s)', (r, expected) => {
    expect(rampPerCycleKw(r[0]!, r[1]!, r[2]!)).toBe(expected);
  });

  it('lfc moves the BESS by the ramp on top of the error; deadbeat does not', () => {
    const input = { targetKw: -100, breakerKw: -100, bessPowerKw: 50, bessRatingKw: 300, bessSocPct: 50, bessSocMinPct: 10, bessSocMaxPct: 90, toleranceKw: 10, rampPerCycleKw: 20 };
    expect(lfcController.bessSetpointKw(input)).toBeCloseTo(50 - LFC_RAMP_GAIN * 20, 9);
    expect(deadbeatController.bessSetpointKw(input)).toBeCloseTo(50, 9);
  });
});
