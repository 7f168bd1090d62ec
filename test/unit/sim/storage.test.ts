/**
 * Battery physics of SCENARIOS.md (`bess` / `householdStorage` rows): energy balance with η = √RTE, SOC
 * limits, ramp, response delay and setpoint clamp. Every expectation is computed from the physics table,
 * not read back from the implementation.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { StoragePhysics, type StorageParams } from '../../../src-main/sim/storage.js';

/** The bundled community BESS (300 kW / 600 kWh, RTE 0.9, 50 kW/s, 2 s delay). */
const BESS: StorageParams = {
  powerKw: 300,
  energyKwh: 600,
  socInitPct: 50,
  socMinPct: 10,
  socMaxPct: 90,
  roundTripEfficiency: 0.9,
  rampKwPerS: 50,
  responseDelayS: 2,
};

const S = 1000;

/** Steps `st` `n` times by `dtS` from `t0Ms`, calling `each` after every step with the step's start time. */
function run(st: StoragePhysics, t0Ms: number, n: number, dtS: number, each?: (tMs: number, prevKw: number) => void): number {
  let t = t0Ms;
  for (let i = 0; i < n; i++) {
    const prev = st.powerKw;
    st.step(t, dtS);
    each?.(t, prev);
    t += dtS * S;
  }
  return t;
}

describe('StoragePhysics: energy balance over a full cycle', () => {
  it('returns drawn × roundTripEfficiency (within 0.1 %) and integrates P·η·dt / |P|/η·dt step by step', () => {
    // socMin = socInit: the discharge stops exactly where the charge started, so the cycle closes on the same SOC.
    const params: StorageParams = { ...BESS, socInitPct: 20, socMinPct: 20 };
    const st = new StoragePhysics(params);
    const eta = Math.sqrt(params.roundTripEfficiency);
    const e0 = st.energyKwh;
    let drawnKwh = 0;
    let returnedKwh = 0;
    let storedKwh = 0; // Σ P·η·dt over charging steps
    let removedKwh = 0; // Σ |P|/η·dt over discharging steps
    const account = (dtS: number) => () => {
      const p = st.powerKw;
      const dtH = dtS / 3600;
      if (p > 0) {
        drawnKwh += p * dtH;
        storedKwh += p * eta * dtH;
      } else if (p < 0) {
        returnedKwh += -p * dtH;
        removedKwh += (-p / eta) * dtH;
      }
    };

    // Charge at a constant 150 kW for 90 minutes (stays below socMax: 120 + 150·1.5·0.949 ≈ 333 kWh < 540).
    st.command(0, 150);
    let t = run(st, 0, 5400, 1, account(1));
    expect(st.powerKw).toBe(150);
    const afterChargeKwh = st.energyKwh;
    expect(afterChargeKwh - e0).toBeCloseTo(storedKwh, 9);
    expect(st.socPct).toBeLessThan(params.socMaxPct);

    // Discharge at −150 kW until the SOC limit (= the starting SOC) stops it.
    st.command(t, -150);
    let sawDischarge = false;
    t = run(st, t, 4 * 3600, 1, () => {
      account(1)();
      if (st.powerKw < 0) sawDischarge = true;
    });
    expect(sawDischarge).toBe(true);
    expect(st.powerKw).toBeCloseTo(0, 12);
    expect(st.energyKwh).toBeCloseTo(e0, 9);
    // Over the whole cycle (the ramp from +150 through 0 included), the energy content moved by exactly
    // Σ P·η·dt in and Σ |P|/η·dt out.
    expect(st.energyKwh - e0).toBeCloseTo(storedKwh - removedKwh, 9);
    expect(removedKwh).toBeCloseTo(storedKwh, 9);

    const ratio = returnedKwh / drawnKwh;
    expect(Math.abs(ratio - params.roundTripEfficiency) / params.roundTripEfficiency).toBeLessThan(0.001);
    // The device's own throughput counters agree with the integral of its power.
    expect(st.chargedFromGridKwh).toBeCloseTo(drawnKwh, 9);
    expect(st.dischargedToGridKwh).toBeCloseTo(returnedKwh, 9);
    // Sanity: the cycle was substantial (≥ 200 kWh drawn), so 0.1 % is a real bound.
    expect(drawnKwh).toBeGreaterThan(200);
  });

  it('applies η = √RTE in each direction (one step, no ramp in the way)', () => {
    const st = new StoragePhysics({ ...BESS, rampKwPerS: 1e6, responseDelayS: 0 });
    const e0 = st.energyKwh;
    st.command(0, 120);
    st.step(0, 60);
    expect(st.energyKwh - e0).toBeCloseTo(120 * Math.sqrt(0.9) * (60 / 3600), 12);
    const e1 = st.energyKwh;
    st.command(60 * S, -120);
    st.step(60 * S, 60);
    expect(e1 - st.energyKwh).toBeCloseTo((120 / Math.sqrt(0.9)) * (60 / 3600), 12);
  });
});

describe('StoragePhysics: SOC limits', () => {
  const fast = { ...BESS, rampKwPerS: 1e6, responseDelayS: 0 };

  it('at socMax it cannot charge (power 0) but can discharge', () => {
    const st = new StoragePhysics({ ...fast, socInitPct: 90 });
    st.command(0, 100);
    run(st, 0, 10, 1);
    expect(st.powerKw).toBeCloseTo(0, 12);
    expect(st.socPct).toBeCloseTo(90, 12);
    st.command(10 * S, -100);
    st.step(10 * S, 1);
    expect(st.powerKw).toBe(-100);
    expect(st.socPct).toBeLessThan(90);
  });

  it('at socMin it cannot discharge (power 0) but can charge', () => {
    const st = new StoragePhysics({ ...fast, socInitPct: 10 });
    st.command(0, -100);
    run(st, 0, 10, 1);
    expect(st.powerKw).toBeCloseTo(0, 12);
    expect(st.socPct).toBeCloseTo(10, 12);
    st.command(10 * S, 100);
    st.step(10 * S, 1);
    expect(st.powerKw).toBe(100);
    expect(st.socPct).toBeGreaterThan(10);
  });

  it('never crosses a limit even with a one-hour step, and meets it exactly', () => {
    // 85 % → 90 % is 30 kWh of room; 300 kW for an hour would store ~285 kWh.
    const up = new StoragePhysics({ ...fast, socInitPct: 85 });
    up.command(0, 300);
    up.step(0, 3600);
    expect(up.socPct).toBeCloseTo(90, 9);
    expect(up.socPct).toBeLessThanOrEqual(90 + 1e-9);
    // The power is what delivers exactly the room in that step.
    expect(up.powerKw).toBeCloseTo(30 / Math.sqrt(0.9), 9);

    const down = new StoragePhysics({ ...fast, socInitPct: 12 });
    down.command(0, -300);
    down.step(0, 3600);
    expect(down.socPct).toBeCloseTo(10, 9);
    expect(down.socPct).toBeGreaterThanOrEqual(10 - 1e-9);
    expect(down.powerKw).toBeCloseTo(-12 * Math.sqrt(0.9), 9);
  });

  it('property: the SOC stays in [socMin, socMax] for any setpoints and step sizes', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 10, max: 90, noNaN: true }),
        fc.array(fc.record({ setpointKw: fc.double({ min: -1000, max: 1000, noNaN: true }), dtS: fc.integer({ min: 1, max: 3600 }), steps: fc.integer({ min: 1, max: 20 }) }), {
          minLength: 1,
          maxLength: 30,
        }),
        (socInitPct, commands) => {
          const st = new StoragePhysics({ ...BESS, socInitPct });
          let t = 0;
          for (const c of commands) {
            st.command(t, c.setpointKw);
            t = run(st, t, c.steps, c.dtS, () => {
              expect(st.socPct).toBeGreaterThanOrEqual(10 - 1e-9);
              expect(st.socPct).toBeLessThanOrEqual(90 + 1e-9);
              expect(Math.abs(st.powerKw)).toBeLessThanOrEqual(300 + 1e-9);
            });
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('StoragePhysics: ramp, delay, clamp', () => {
  it('ramps at rampKwPerS: 0 → 300 kW in 50 kW steps per second', () => {
    const st = new StoragePhysics({ ...BESS, responseDelayS: 0 });
    st.command(0, 300);
    const seen: number[] = [];
    run(st, 0, 8, 1, () => seen.push(st.powerKw));
    expect(seen).toEqual([50, 100, 150, 200, 250, 300, 300, 300]);
  });

  it('property: the power moves at most rampKwPerS·dt per step (SOC far from its limits)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ setpointKw: fc.double({ min: -400, max: 400, noNaN: true }), dtS: fc.constantFrom(0.1, 0.5, 1, 2), steps: fc.integer({ min: 1, max: 15 }) }), {
          minLength: 1,
          maxLength: 20,
        }),
        (commands) => {
          // 100 MWh: the ramp is never cut by a SOC limit within these few minutes.
          const st = new StoragePhysics({ ...BESS, energyKwh: 100_000 });
          let t = 0;
          for (const c of commands) {
            st.command(t, c.setpointKw);
            t = run(st, t, c.steps, c.dtS, (_t, prev) => {
              expect(Math.abs(st.powerKw - prev)).toBeLessThanOrEqual(BESS.rampKwPerS * c.dtS + 1e-9);
            });
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a new setpoint does not act before responseDelayS and does at it', () => {
    const st = new StoragePhysics(BESS); // 2 s delay
    st.command(10 * S, 100);
    st.step(10 * S, 1);
    expect(st.powerKw).toBe(0);
    st.step(11 * S, 1);
    expect(st.powerKw).toBe(0);
    expect(st.effectiveSetpointKw).toBe(0);
    st.step(12 * S, 1);
    expect(st.effectiveSetpointKw).toBe(100);
    expect(st.powerKw).toBe(50);
    st.step(13 * S, 1);
    expect(st.powerKw).toBe(100);
  });

  it('setpoints queue in order, each after its own delay', () => {
    const st = new StoragePhysics({ ...BESS, rampKwPerS: 1e6 });
    st.command(0, 100);
    st.command(1 * S, -50);
    const seen: number[] = [];
    run(st, 0, 5, 1, () => seen.push(st.powerKw));
    expect(seen).toEqual([0, 0, 100, -50, -50]);
  });

  it('clamps the setpoint to ±powerKw', () => {
    const st = new StoragePhysics({ ...BESS, responseDelayS: 0, rampKwPerS: 1e6 });
    st.command(0, 1000);
    st.step(0, 1);
    expect(st.effectiveSetpointKw).toBe(300);
    expect(st.powerKw).toBe(300);
    st.command(1 * S, -1e9);
    st.step(1 * S, 1);
    expect(st.effectiveSetpointKw).toBe(-300);
    expect(st.powerKw).toBe(-300);
    st.follow(777);
    expect(st.effectiveSetpointKw).toBe(300);
  });

  it('follow() acts at once (local control) and drops setpoints still in their delay', () => {
    const st = new StoragePhysics({ ...BESS, rampKwPerS: 1e6 });
    st.command(0, 200);
    st.follow(-40);
    run(st, 0, 4, 1);
    expect(st.powerKw).toBe(-40);
  });
});
