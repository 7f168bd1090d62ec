/**
 * Heat-pump physics of SCENARIOS.md (`heatPump` row): C·dT/dt = cop·P_on − lossKwPerK·(T_in − T_out); its own
 * thermostat keeps T in [indoorMin, indoorMax]; a dispatch may shift on/off inside that band, never outside,
 * and never against the minimum on/off times.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HeatPumpPhysics, THERMOSTAT_HYSTERESIS_K, type HeatPumpParams } from '../../../src-main/sim/heat-pump.js';

/** The bundled heat pump (3 kW electrical, COP 3.2, 4 kWh/K, 0.15 kW/K, band 20–22.5 °C, 10 min on/off). */
const HP: HeatPumpParams = {
  powerKw: 3,
  cop: 3.2,
  capacityKwhPerK: 4,
  lossKwPerK: 0.15,
  indoorInitC: 21,
  indoorMinC: 20,
  indoorMaxC: 22.5,
  setpointC: 21,
  minOnS: 600,
  minOffS: 600,
};

const S = 1000;
const DAY_S = 24 * 3600;

/** The largest change of indoor temperature one step of `dtS` can make (the band may be overshot by that much). */
function maxStepChangeK(p: HeatPumpParams, outdoorMinC: number, dtS: number): number {
  const worstKw = Math.max(p.cop * p.powerKw, p.lossKwPerK * (p.indoorMaxC - outdoorMinC));
  return (worstKw / (p.capacityKwhPerK * 3600)) * dtS;
}

interface Trace {
  minC: number;
  maxC: number;
  switches: number;
  onS: number;
}

/**
 * Steps the pump and checks every switch against the min on/off times by tracking the switches here, not by
 * trusting the device's own `lastSwitchMs`. `dispatchAt` may hand the pump a dispatch before each step.
 */
function simulate(
  hp: HeatPumpPhysics,
  t0Ms: number,
  durationS: number,
  dtS: number,
  outdoorC: (tMs: number) => number,
  dispatchAt?: (tMs: number, hp: HeatPumpPhysics) => void,
): Trace {
  const p = hp.params;
  let lastSwitchMs = -Infinity; // the first decision is free (the device starts as if long settled)
  let prevOn = hp.on;
  const trace: Trace = { minC: hp.indoorC, maxC: hp.indoorC, switches: 0, onS: 0 };
  const n = Math.round(durationS / dtS);
  for (let i = 0; i < n; i++) {
    const t = t0Ms + i * dtS * S;
    dispatchAt?.(t, hp);
    hp.step(t, dtS, outdoorC(t));
    if (hp.on !== prevOn) {
      const heldS = (t - lastSwitchMs) / S;
      const minS = prevOn ? p.minOnS : p.minOffS;
      if (heldS < minS) throw new Error(`switch at ${t / S} s after only ${heldS} s ${prevOn ? 'on' : 'off'} (min ${minS} s)`);
      lastSwitchMs = t;
      prevOn = hp.on;
      trace.switches++;
    }
    if (hp.on) trace.onS += dtS;
    trace.minC = Math.min(trace.minC, hp.indoorC);
    trace.maxC = Math.max(trace.maxC, hp.indoorC);
  }
  return trace;
}

describe('HeatPumpPhysics: thermal model', () => {
  it('one hour off matches the closed-form exponential decay (error within the Euler bound for dt)', () => {
    const outdoorC = 0;
    const hp = new HeatPumpPhysics({ ...HP, indoorMinC: 15, setpointC: 18 }, 0);
    hp.dispatch(false, 2 * 3600 * S); // keep it off; 15 °C is far away
    const dtS = 1;
    const t0C = hp.indoorC;
    simulate(hp, 0, 3600, dtS, () => outdoorC);
    expect(hp.on).toBe(false);
    const a = HP.lossKwPerK / (HP.capacityKwhPerK * 3600); // 1/s
    const exactC = outdoorC + (t0C - outdoorC) * Math.exp(-a * 3600);
    // Explicit Euler: global error ≤ ΔT₀ · t · a² · dt / 2 (≈ 4e-6 K here).
    const boundK = (t0C - outdoorC) * 3600 * a * a * dtS * 0.5;
    expect(Math.abs(hp.indoorC - exactC)).toBeLessThanOrEqual(boundK);
    expect(boundK).toBeLessThan(1e-5);
    // And it did cool by the ~0.77 K the model says (not some other rate).
    expect(t0C - hp.indoorC).toBeCloseTo((t0C - outdoorC) * (1 - Math.exp(-a * 3600)), 5);
  });

  it('one hour on approaches T_out + cop·P/loss along the closed-form curve', () => {
    const outdoorC = -5;
    const hp = new HeatPumpPhysics({ ...HP, indoorInitC: 20, indoorMaxC: 40, setpointC: 21 }, 0);
    hp.dispatch(true, 2 * 3600 * S);
    simulate(hp, 0, 3600, 1, () => outdoorC);
    expect(hp.on).toBe(true);
    const a = HP.lossKwPerK / (HP.capacityKwhPerK * 3600);
    const eqC = outdoorC + (HP.cop * HP.powerKw) / HP.lossKwPerK; // 59 °C
    const exactC = eqC + (20 - eqC) * Math.exp(-a * 3600);
    const boundK = Math.abs(20 - eqC) * 3600 * a * a * 0.5;
    expect(Math.abs(hp.indoorC - exactC)).toBeLessThanOrEqual(boundK);
    expect(hp.powerKw).toBe(3);
  });
});

describe('HeatPumpPhysics: comfort band and min on/off', () => {
  it('winter day (0 °C, 24 h) under its own thermostat: inside the band, around the setpoint', () => {
    const hp = new HeatPumpPhysics(HP, 0);
    const trace = simulate(hp, 0, DAY_S, 1, () => 0);
    const tolK = maxStepChangeK(HP, 0, 1);
    expect(trace.minC).toBeGreaterThanOrEqual(HP.indoorMinC - tolK);
    expect(trace.maxC).toBeLessThanOrEqual(HP.indoorMaxC + tolK);
    // The two-point controller cycles around setpoint ± hysteresis.
    expect(trace.minC).toBeGreaterThan(HP.setpointC - THERMOSTAT_HYSTERESIS_K - 0.2);
    expect(trace.switches).toBeGreaterThan(10);
    // Energy balance: over a day the heat delivered ≈ the losses (0.15 kW/K · ~21 K · 24 h ≈ 75.6 kWh thermal).
    const heatKwh = (trace.onS / 3600) * HP.cop * HP.powerKw;
    expect(heatKwh).toBeGreaterThan(0.15 * 20.5 * 24);
    expect(heatKwh).toBeLessThan(0.15 * 21.5 * 24 + 4 * 1.5);
  });

  it('a dispatch "off" for a whole day is overridden at indoorMin', () => {
    const hp = new HeatPumpPhysics(HP, 0);
    hp.dispatch(false, DAY_S * S);
    const trace = simulate(hp, 0, DAY_S, 1, () => 0);
    expect(trace.minC).toBeGreaterThanOrEqual(HP.indoorMinC - maxStepChangeK(HP, 0, 1));
    expect(trace.minC).toBeLessThan(HP.indoorMinC + 0.05); // it really went down to the edge
    expect(trace.switches).toBeGreaterThan(0);
  });

  it('a dispatch "on" for a whole day is overridden at indoorMax', () => {
    const hp = new HeatPumpPhysics(HP, 0);
    hp.dispatch(true, DAY_S * S);
    const trace = simulate(hp, 0, DAY_S, 1, () => 0);
    expect(trace.maxC).toBeLessThanOrEqual(HP.indoorMaxC + maxStepChangeK(HP, 0, 1));
    expect(trace.maxC).toBeGreaterThan(HP.indoorMaxC - 0.05);
  });

  it('refuses a dispatched switch it could not hold for its minimum time inside the band', () => {
    // Off at 22.4 °C: 10 min on would heat it past 22.5 °C (≈ +0.27 K at 0 °C outside), so it stays off.
    const warm = new HeatPumpPhysics({ ...HP, indoorInitC: 22.4 }, 0);
    expect(warm.on).toBe(false);
    warm.dispatch(true, 3600 * S);
    warm.step(0, 1, 0);
    expect(warm.on).toBe(false);
    // At 21 °C the same dispatch is followed.
    const mid = new HeatPumpPhysics({ ...HP, indoorInitC: 21 }, 0);
    mid.dispatch(true, 3600 * S);
    mid.step(0, 1, 0);
    expect(mid.on).toBe(true);
    // On at 20.1 °C (below setpoint − hysteresis): 10 min off would cool it under 20 °C (≈ −0.21 K), so it stays on.
    const cool = new HeatPumpPhysics({ ...HP, indoorInitC: 20.1 }, 0);
    expect(cool.on).toBe(true);
    cool.dispatch(false, 3600 * S);
    cool.step(0, 1, 0);
    expect(cool.on).toBe(true);
    // With a 1-minute minimum off time the same dispatch is safe and followed.
    const quick = new HeatPumpPhysics({ ...HP, indoorInitC: 20.1, minOffS: 60 }, 0);
    quick.dispatch(false, 3600 * S);
    quick.step(0, 1, 0);
    expect(quick.on).toBe(false);
  });

  it('a dispatch expires: after expiresMs the thermostat decides again', () => {
    // Dispatched on for 60 s only: afterwards the thermostat switches off above setpoint + hysteresis.
    const short = new HeatPumpPhysics(HP, 0);
    short.dispatch(true, 60 * S);
    const shortTrace = simulate(short, 0, 3 * 3600, 1, () => 0);
    expect(short.dispatchedOn).toBeNull();
    expect(shortTrace.maxC).toBeLessThan(HP.setpointC + THERMOSTAT_HYSTERESIS_K + 0.05);
    // Dispatched on for 3 h: it heats on to the comfort maximum.
    const long = new HeatPumpPhysics(HP, 0);
    long.dispatch(true, 3 * 3600 * S);
    const longTrace = simulate(long, 0, 3 * 3600, 1, () => 0);
    expect(longTrace.maxC).toBeGreaterThan(HP.indoorMaxC - 0.05);
  });

  it('never switches against minOn/minOff, even when dispatched back and forth every 10 s', () => {
    const hp = new HeatPumpPhysics(HP, 0);
    let flip = false;
    const trace = simulate(
      hp,
      0,
      6 * 3600,
      1,
      () => 0,
      (t, h) => {
        if (t % (10 * S) === 0) {
          flip = !flip;
          h.dispatch(flip, t + 20 * S);
        }
      },
    );
    // simulate() throws on any switch that breaks the minimum times; here it must have switched at all.
    expect(trace.switches).toBeGreaterThan(5);
  });

  it('property: random dispatches and outdoor temperatures keep the band and the min on/off times', () => {
    // Outdoor range where the pump can hold the band: cop·P = 9.6 kW > 0.15·(20 − (−15)) = 5.25 kW.
    const dispatch = fc.record({
      durationS: fc.integer({ min: 10, max: 3600 }),
      on: fc.constantFrom<boolean | null>(true, false, null),
      ttlS: fc.integer({ min: 10, max: 7200 }),
    });
    fc.assert(
      fc.property(
        fc.double({ min: -15, max: 10, noNaN: true }),
        fc.double({ min: 20, max: 22.5, noNaN: true }),
        fc.integer({ min: 0, max: 1200 }),
        fc.integer({ min: 0, max: 1200 }),
        fc.array(dispatch, { minLength: 1, maxLength: 40 }),
        (outdoorC, indoorInitC, minOnS, minOffS, plan) => {
          const params = { ...HP, indoorInitC, minOnS, minOffS };
          expect(params.cop * params.powerKw).toBeGreaterThan(params.lossKwPerK * (params.indoorMinC - outdoorC));
          const hp = new HeatPumpPhysics(params, 0);
          // Dispatch boundaries in seconds from the start.
          const starts: number[] = [];
          let acc = 0;
          for (const d of plan) {
            starts.push(acc);
            acc += d.durationS;
          }
          let k = 0;
          const trace = simulate(
            hp,
            0,
            Math.min(DAY_S, acc),
            2,
            () => outdoorC,
            (t, h) => {
              if (k < plan.length && t >= starts[k]! * S) {
                const d = plan[k++]!;
                h.dispatch(d.on, t + d.ttlS * S);
              }
            },
          );
          const tolK = maxStepChangeK(params, outdoorC, 2) + 1e-9;
          expect(trace.minC).toBeGreaterThanOrEqual(params.indoorMinC - tolK);
          expect(trace.maxC).toBeLessThanOrEqual(params.indoorMaxC + tolK);
        },
      ),
      { numRuns: 60 },
    );
  });
});
