import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { heatPumpPowerBounds, optimiseDispatch, stepIndoorC } from '../../../../src-main/engine/optimiser/dispatch.js';
import type { LpSolver } from '../../../../src-main/engine/optimiser/lp.js';
import type { DispatchProblem, HeatPumpUnitState, StorageUnitState } from '../../../../src-main/engine/optimiser/types.js';
import { highsSolver, T0 } from './helpers.js';

let solver: LpSolver;
beforeAll(async () => {
  solver = await highsSolver();
});

const storageArb = (id: string, ratingKw: number, energyKwh: number) =>
  fc.record({ soc: fc.double({ min: 5, max: 95, noNaN: true }), rte: fc.double({ min: 0.8, max: 1, noNaN: true }) }).map(
    ({ soc, rte }): StorageUnitState => ({
      id, powerRatingKw: ratingKw, energyKwh, socPct: soc, socMinPct: 5, socMaxPct: 95, roundTripEfficiency: rte, powerKw: 0, available: true,
    }),
  );
const heatPumpArb = (id: string) =>
  fc.record({
    indoorC: fc.double({ min: 20, max: 22.5, noNaN: true }),
    on: fc.boolean(),
    sinceS: fc.integer({ min: 0, max: 3600 }),
    minOnS: fc.constantFrom(300, 600, 1200),
    minOffS: fc.constantFrom(300, 600, 1200),
  }).map(
    (h): HeatPumpUnitState => ({
      id, powerKw: 3, cop: 3, capacityKwhPerK: 4, lossKwPerK: 0.15, indoorC: h.indoorC, indoorMinC: 20, indoorMaxC: 22.5, on: h.on,
      msSinceSwitch: h.sinceS * 1000, minOnS: h.minOnS, minOffS: h.minOffS, available: true,
    }),
  );

const problemArb = fc
  .record({
    slots: fc.integer({ min: 2, max: 10 }),
    bess: storageArb('bess', 100, 150),
    households: fc.array(storageArb('hs', 5, 10), { minLength: 1, maxLength: 4 }),
    heatPumps: fc.array(heatPumpArb('hp'), { minLength: 1, maxLength: 5 }),
    residual: fc.array(fc.double({ min: -300, max: 300, noNaN: true }), { minLength: 10, maxLength: 10 }),
    target: fc.array(fc.option(fc.double({ min: -200, max: 200, noNaN: true }), { nil: undefined }), { minLength: 10, maxLength: 10 }),
    outdoorC: fc.double({ min: -10, max: 15, noNaN: true }),
    tolerance: fc.double({ min: 0, max: 20, noNaN: true }),
    reserve: fc.double({ min: 0, max: 50, noNaN: true }),
    // A plan made part-way through a slot (a shortage, a trigger) covers only the rest of it in slot 0.
    firstSlotS: fc.option(fc.integer({ min: 1, max: 900 }), { nil: undefined }),
  })
  .map((r): DispatchProblem => {
    const n = r.slots;
    return {
      startMs: T0,
      stepS: 900,
      ...(r.firstSlotS !== undefined ? { firstSlotS: r.firstSlotS } : {}),
      residualKw: Float64Array.from(r.residual.slice(0, n)),
      curtailablePvKw: Float64Array.from(r.residual.slice(0, n), (x) => Math.min(0, x) / 2),
      outdoorC: new Float64Array(n).fill(r.outdoorC),
      targetKw: Float64Array.from(r.target.slice(0, n), (t) => (t === undefined ? Number.NaN : t)),
      toleranceKw: new Float64Array(n).fill(r.tolerance),
      bess: r.bess,
      bessReserveKw: r.reserve,
      // One asset's members share their model (efficiency), as in a scenario.
      households: [{ id: 'hs', members: r.households.map((m, i) => ({ ...m, id: `hs-${i}`, roundTripEfficiency: r.households[0]!.roundTripEfficiency })) }],
      heatPumps: [{ id: 'hp', members: r.heatPumps.map((m, i) => ({ ...m, id: `hp-${i}` })) }],
      connectionLimitKw: 630,
    };
  });

const EPS = 1e-6;

describe('optimiseDispatch properties (random small communities)', () => {
  it('never violates power limits, SOC limits, min on/off times or comfort bands', () => {
    fc.assert(
      fc.property(problemArb, (p) => {
        const plan = optimiseDispatch(p, solver);
        expect(plan.status).toBe('optimal');
        const slotS = (k: number): number => (k === 0 ? (p.firstSlotS ?? 900) : 900);
        // BESS: power within its rating, energy within its limits (or moving towards them).
        const b = p.bess!;
        const eMin = Math.min((b.socMinPct / 100) * b.energyKwh, (b.socPct / 100) * b.energyKwh);
        const eMax = Math.max((b.socMaxPct / 100) * b.energyKwh, (b.socPct / 100) * b.energyKwh);
        for (let k = 0; k < plan.slots; k++) {
          expect(Math.abs(plan.bessKw[k]!)).toBeLessThanOrEqual(b.powerRatingKw + EPS);
          expect(plan.bessEnergyKwh[k + 1]!).toBeGreaterThanOrEqual(eMin - EPS);
          expect(plan.bessEnergyKwh[k + 1]!).toBeLessThanOrEqual(eMax + EPS);
          // Energy follows the physics of the plan's net power (no charging and discharging at once).
          const kw = plan.bessKw[k]!;
          const eta = Math.sqrt(b.roundTripEfficiency);
          const expected = plan.bessEnergyKwh[k]! + (kw > 0 ? kw * eta : kw / eta) * (slotS(k) / 3600);
          expect(plan.bessEnergyKwh[k + 1]!).toBeCloseTo(expected, 4);
        }
        // Household members: within rating and SOC limits, and the members add up to the fleet.
        for (const f of plan.households) {
          const members = p.households[0]!.members;
          for (let k = 0; k < plan.slots; k++) {
            let sum = 0;
            let allAtLimit = true;
            for (const m of members) {
              const kw = f.memberKw.get(m.id)![k]!;
              sum += kw;
              expect(Math.abs(kw)).toBeLessThanOrEqual(m.powerRatingKw + EPS);
              const soc = f.memberSocPct.get(m.id)![k + 1]!;
              expect(soc).toBeGreaterThanOrEqual(Math.min(m.socMinPct, m.socPct) - EPS);
              expect(soc).toBeLessThanOrEqual(Math.max(m.socMaxPct, m.socPct) + EPS);
              const atLimit =
                Math.abs(kw) >= m.powerRatingKw - 1e-6 || (f.powerKw[k]! > 0 ? soc >= m.socMaxPct - 1e-6 : soc <= m.socMinPct + 1e-6);
              if (!atLimit) allAtLimit = false;
            }
            // The members realise the pooled fleet power, or fall short only because every one is at a limit.
            if (Math.abs(sum - f.powerKw[k]!) > 1e-6) {
              expect(Math.abs(sum)).toBeLessThan(Math.abs(f.powerKw[k]!));
              expect(allAtLimit).toBe(true);
            }
          }
        }
        // Heat pumps: no switch against min on/off; a free member never chosen into leaving its band.
        for (const f of plan.heatPumps) {
          for (const m of p.heatPumps[0]!.members) {
            const on = f.memberOn.get(m.id)!;
            const sw = f.memberSwitch.get(m.id)!;
            const temps = f.memberIndoorC.get(m.id)!;
            let state = m.on ? 1 : 0;
            let sinceMs = m.msSinceSwitch;
            for (let k = 0; k < plan.slots; k++) {
              const locked = sinceMs < (state ? m.minOnS : m.minOffS) * 1000;
              if (sw[k] === 1) {
                expect(locked).toBe(false);
                // A switch the device would refuse (its new state, held for the minimum time, leaves the
                // band) is planned only where staying would leave the band within the slot.
                const holdS = Math.max(slotS(k), on[k] ? m.minOnS : m.minOffS);
                const held = stepIndoorC(m, temps[k]!, on[k] === 1, p.outdoorC[k]!, holdS);
                const stay = stepIndoorC(m, temps[k]!, on[k] === 0, p.outdoorC[k]!, slotS(k));
                if (on[k] === 1 && held > m.indoorMaxC + EPS) expect(stay).toBeLessThan(m.indoorMinC + EPS);
                if (on[k] === 0 && held < m.indoorMinC - EPS) expect(stay).toBeGreaterThan(m.indoorMaxC - EPS);
                state = on[k]!;
                sinceMs = 0;
              }
              expect(on[k]).toBe(state);
              if (!locked) {
                const other = stepIndoorC(m, temps[k]!, on[k] === 0, p.outdoorC[k]!, slotS(k));
                const chosen = temps[k + 1]!;
                // The chosen state leaves the band only when the other one would too.
                if (chosen < m.indoorMinC - EPS) expect(other).toBeLessThan(m.indoorMinC + EPS);
                if (chosen > m.indoorMaxC + EPS) expect(other).toBeGreaterThan(m.indoorMaxC - EPS);
              }
              sinceMs += slotS(k) * 1000;
            }
          }
          // In slot 0, where every house's temperature is known, the members realise the plan's fleet power
          // to within half a unit (rounding): the plan never counts on a member it cannot have. (A member held
          // by its min on/off time for part of the slot is a fraction in the plan, whole in the members.)
          const members = p.heatPumps[0]!.members;
          if (members.every((m) => m.msSinceSwitch >= (m.on ? m.minOnS : m.minOffS) * 1000)) {
            const realisedKw = members.reduce((sum, m) => sum + f.memberOn.get(m.id)![0]! * m.powerKw, 0);
            expect(Math.abs(realisedKw - f.powerKw[0]!)).toBeLessThanOrEqual(1.5 + EPS);
          }
          // The fleet's LP power respects what min on/off times force.
          const bounds = heatPumpPowerBounds(p.heatPumps[0]!.members, plan.slots, 900_000, slotS(0) * 1000);
          for (let k = 0; k < plan.slots; k++) {
            expect(f.powerKw[k]!).toBeGreaterThanOrEqual(bounds.lower[k]! - EPS);
            expect(f.powerKw[k]!).toBeLessThanOrEqual(bounds.upper[k]! + EPS);
            expect(f.powerKw[k]!).toBeGreaterThanOrEqual(-EPS);
            expect(f.powerKw[k]!).toBeLessThanOrEqual(3 * p.heatPumps[0]!.members.length + EPS);
          }
        }
        // Curtailment only of what is curtailable.
        for (let k = 0; k < plan.slots; k++) {
          expect(plan.curtailmentKw[k]!).toBeGreaterThanOrEqual(-EPS);
          expect(plan.curtailmentKw[k]!).toBeLessThanOrEqual(-p.curtailablePvKw![k]! + EPS);
        }
      }),
      { numRuns: 40, seed: 20260621 },
    );
  });
});
