/**
 * Flexibility bands (UC2-K01): what each storage and heat pump can deliver now and hold on average for the
 * rest of the run. Expected values are worked out by hand from the energy balance.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { heatPumpBand, storageBand, type HeatPumpParamsForBand } from '../../../src-main/engine/flexibility.js';

describe('storageBand', () => {
  // The bundled BESS with RTE 0.81 so that η = 0.9 exactly.
  const bess = (socPct: number, horizonS: number) => storageBand(300, 600, socPct, 10, 90, 0.81, horizonS);

  it.each([
    // socPct, horizonS, upKw, downKw — room = (90 − soc)·6 kWh, avail = (soc − 10)·6 kWh
    [50, 3600, 240 / 0.9, -240 * 0.9], // 266.67 / −216
    [50, 7200, 240 / 0.9 / 2, -240 * 0.9 / 2], // 133.33 / −108
    [50, 600, 300, -300], // both limited by the rating
    [90, 3600, 0, -480 * 0.9], // full: nothing up; 432 kW down exceeds the rating → −300
    [10, 3600, 480 / 0.9, 0], // empty: nothing down; 533 kW up exceeds the rating → 300
    [95, 3600, 0, -300], // above socMax (out of band): no room, not negative room
    [30, 14400, 360 / 0.9 / 4, -120 * 0.9 / 4], // 100 / −27
  ])('soc %d %%, horizon %d s → up %f kW, down %f kW', (socPct, horizonS, upKw, downKw) => {
    const b = bess(socPct, horizonS);
    expect(b.upKw).toBeCloseTo(Math.min(300, upKw), 9);
    expect(b.downKw).toBeCloseTo(Math.max(-300, downKw), 9);
  });

  it('a household storage (5 kW / 10 kWh, RTE 0.92) over an hour', () => {
    const eta = Math.sqrt(0.92);
    const b = storageBand(5, 10, 40, 5, 95, 0.92, 3600);
    expect(b.upKw).toBe(5); // 5.5 kWh / η ≈ 5.73 kW > 5 kW
    expect(b.downKw).toBeCloseTo(-3.5 * eta, 12); // −3.357 kW
  });

  it('a zero horizon counts as one second (no division by zero)', () => {
    const b = bess(50, 0);
    expect(b).toEqual({ upKw: 300, downKw: -300 });
  });

  it('property: downKw ≤ 0 ≤ upKw, within the rating, and the energy of the band fits the state of charge', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 10, max: 90, noNaN: true }),
        fc.integer({ min: 1, max: 48 * 3600 }),
        fc.double({ min: 0.5, max: 1, noNaN: true }),
        (soc, horizonS, rte) => {
          const b = storageBand(300, 600, soc, 10, 90, rte, horizonS);
          const eta = Math.sqrt(rte);
          expect(b.downKw).toBeLessThanOrEqual(0);
          expect(b.upKw).toBeGreaterThanOrEqual(0);
          expect(b.upKw).toBeLessThanOrEqual(300);
          expect(b.downKw).toBeGreaterThanOrEqual(-300);
          // Holding upKw for the horizon stores at most the room; holding downKw removes at most what is there.
          expect(b.upKw * eta * (horizonS / 3600)).toBeLessThanOrEqual(((90 - soc) / 100) * 600 + 1e-9);
          expect((-b.downKw / eta) * (horizonS / 3600)).toBeLessThanOrEqual(((soc - 10) / 100) * 600 + 1e-9);
        },
      ),
    );
  });
});

describe('heatPumpBand', () => {
  /** The bundled heat pump: 3 kW, COP 3.2 (9.6 kW heat), 4 kWh/K, 0.15 kW/K, band 20–22.5 °C. */
  const HP: HeatPumpParamsForBand = { powerKw: 3, cop: 3.2, capacityKwhPerK: 4, lossKwPerK: 0.15, indoorMinC: 20, indoorMaxC: 22.5 };

  // At 21 °C indoors and 1 °C outdoors the house loses 3 kW of heat; it can take 4·1.5 = 6 kWh before 22.5 °C
  // and lose 4·1 = 4 kWh before 20 °C. up = (3 + 6/H)/3.2, down = (3 − 4/H)/3.2 (H in hours), clamped to [0, 3].
  it.each([
    [600, 3, 0], // short: it can run flat out, and may stay off
    [3600, (3 + 6) / 3.2, 0], // 2.8125 / 0
    [7200, (3 + 3) / 3.2, (3 - 2) / 3.2], // 1.875 / 0.3125
    [10800, (3 + 2) / 3.2, (3 - 4 / 3) / 3.2], // 1.5625 / 0.5208
    [100 * 3600, (3 + 0.06) / 3.2, (3 - 0.04) / 3.2], // long: both tend to the losses, 0.9375
  ])('21 °C in, 1 °C out, horizon %d s → up %f kW, down %f kW', (horizonS, upKw, downKw) => {
    const b = heatPumpBand(HP, 21, 1, horizonS);
    expect(b.upKw).toBeCloseTo(upKw, 9);
    expect(b.downKw).toBeCloseTo(downKw, 9);
    expect(b.downKw).toBeLessThanOrEqual(b.upKw);
  });

  it('at the comfort maximum it can only cover the losses; at the minimum it must', () => {
    const atMax = heatPumpBand(HP, 22.5, 1, 3600); // losses 3.225 kW heat
    expect(atMax.upKw).toBeCloseTo(3.225 / 3.2, 9);
    expect(atMax.downKw).toBe(0);
    const atMin = heatPumpBand(HP, 20, -10, 3600); // losses 4.5 kW heat
    expect(atMin.upKw).toBe(3);
    expect(atMin.downKw).toBeCloseTo(4.5 / 3.2, 9);
  });

  it('in extreme cold it must run flat out (band collapses to the rating)', () => {
    expect(heatPumpBand(HP, 20, -60, 3600)).toEqual({ upKw: 3, downKw: 3 }); // losses 12 kW > 9.6 kW heat
  });

  it('warm outside (summer): it need not run, and may only run as far as the house can take it', () => {
    const b = heatPumpBand(HP, 21, 30, 3600); // the house gains 1.35 kW by itself
    expect(b.downKw).toBe(0);
    expect(b.upKw).toBeCloseTo((6 - 1.35) / 3.2, 9);
  });

  it('property: inside the comfort band, 0 ≤ down ≤ up ≤ rating; longer horizons narrow the band', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 20, max: 22.5, noNaN: true }),
        fc.double({ min: -20, max: 15, noNaN: true }),
        fc.integer({ min: 1, max: 24 * 3600 }),
        fc.integer({ min: 1, max: 24 * 3600 }),
        (indoorC, outdoorC, h1, h2) => {
          const [short, long] = h1 <= h2 ? [h1, h2] : [h2, h1];
          const a = heatPumpBand(HP, indoorC, outdoorC, short);
          const b = heatPumpBand(HP, indoorC, outdoorC, long);
          for (const x of [a, b]) {
            expect(x.downKw).toBeGreaterThanOrEqual(0);
            expect(x.downKw).toBeLessThanOrEqual(x.upKw + 1e-12);
            expect(x.upKw).toBeLessThanOrEqual(3);
          }
          expect(b.upKw).toBeLessThanOrEqual(a.upKw + 1e-12);
          expect(b.downKw).toBeGreaterThanOrEqual(a.downKw - 1e-12);
        },
      ),
    );
  });
});
