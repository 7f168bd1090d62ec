import { describe, expect, it } from 'vitest';
import { computeForecastError, heatPumpDemandKw, profileLoadForecast, ResidualCorrector } from '../../../../src-main/engine/forecast/load-forecast.js';
import { quarterHourSeriesKw } from '../../../../src-main/engine/models/load/index.js';
import { loadProfileLibraryFromResources } from '../../../../src-main/node/load-profiles.js';
import { resourcesDir } from '../../../../src-main/node/paths.js';

describe('profileLoadForecast', () => {
  it('is the simulator’s BDEW series times the member count, summed over assets', () => {
    const library = loadProfileLibraryFromResources(resourcesDir());
    const span = { startMs: Date.UTC(2026, 5, 21, 7), endMs: Date.UTC(2026, 5, 21, 13), timeZone: 'Europe/Berlin', country: 'DE' };
    const fc = profileLoadForecast(
      library,
      [
        { id: 'hh', count: 120, profile: 'H0', annualKwh: 3500 },
        { id: 'shop', count: 2, profile: 'G0', annualKwh: 25000 },
      ],
      span,
    );
    const h0 = quarterHourSeriesKw(library, { profileId: 'H0', annualKwh: 3500, ...span });
    const g0 = quarterHourSeriesKw(library, { profileId: 'G0', annualKwh: 25000, ...span });
    expect(fc.totalKw.length).toBe(24);
    expect(fc.byAssetKw.get('hh')![5]).toBeCloseTo(120 * h0.powerKw[5]!, 9);
    expect(fc.totalKw[5]).toBeCloseTo(120 * h0.powerKw[5]! + 2 * g0.powerKw[5]!, 9);
  });
});

describe('ResidualCorrector', () => {
  it('starts neutral', () => {
    const c = new ResidualCorrector();
    expect([c.loadScale, c.pvScale]).toEqual([1, 1]);
    expect(Array.from(c.residualKw([100, 50], [-20, 0]))).toEqual([80, 50]);
  });

  it('without sun it is the exponentially weighted ratio of measured to profile, shrunk towards 1', () => {
    const c = new ResidualCorrector({ halfLifeSlots: 1e9, priorSlots: 4 });
    // Constant profile 100 kW, measured 130 kW, no PV: a = (Σ L·m + ρ)/(Σ L² + ρ) with ρ = 4·100².
    for (let i = 0; i < 12; i++) c.observe(130, 100, 0);
    expect(c.loadScale).toBeCloseTo((12 * 100 * 130 + 4 * 100 * 100) / (12 * 100 * 100 + 4 * 100 * 100), 9); // 1.225
    expect(c.pvScale).toBe(1);
    for (let i = 0; i < 500; i++) c.observe(130, 100, 0);
    expect(c.loadScale).toBeCloseTo(1.3, 2);
  });

  it('with sun it tells a PV error from a load error', () => {
    const c = new ResidualCorrector({ halfLifeSlots: 16 });
    // Truth: load 1.2 × profile, PV 0.8 × forecast, over a varying day so the two are distinguishable.
    for (let i = 0; i < 200; i++) {
      const load = 100 + 30 * Math.sin(i / 5);
      const pv = -200 * Math.max(0, Math.sin(i / 13));
      c.observe(1.2 * load + 0.8 * pv, load, pv);
    }
    expect(c.loadScale).toBeCloseTo(1.2, 1);
    expect(c.pvScale).toBeCloseTo(0.8, 1);
  });

  it('skips a gap instead of reading it as zero', () => {
    const c = new ResidualCorrector();
    expect(c.observe(Number.NaN, 100, 0)).toBe(false);
    expect(c.observationCount).toBe(0);
    expect(c.loadScale).toBe(1);
  });
});

describe('heatPumpDemandKw', () => {
  it('is UA·(T_set − T_out)/COP per unit, limited to [0, rated]', () => {
    const hp = { powerKw: 3, cop: 3, lossKwPerK: 0.15, setpointC: 21 };
    expect(heatPumpDemandKw(hp, 10, 1)).toBeCloseTo(10 * (0.15 * 20) / 3, 9); // 10 kW
    expect(heatPumpDemandKw(hp, 10, 25)).toBe(0);
    expect(heatPumpDemandKw({ ...hp, lossKwPerK: 1 }, 2, -20)).toBe(6);
    expect(heatPumpDemandKw(hp, 10, Number.NaN)).toBeNaN();
  });
});

describe('computeForecastError', () => {
  it('normalises the MAE by the mean |actual|, and skips gaps', () => {
    const e = computeForecastError([100, -100, 50, Number.NaN], [110, -80, 50, 0]);
    expect(e.maeKw).toBeCloseTo(10, 9); // (10 + 20 + 0)/3
    expect(e.meanAbsActualKw).toBeCloseTo(250 / 3, 9);
    expect(e.nMae).toBeCloseTo(30 / 250, 9);
    expect(e.biasKw).toBeCloseTo(10, 9); // (10 + 20 + 0)/3
    expect(e.rmseKw).toBeCloseTo(Math.sqrt(500 / 3), 9);
    expect(e.slots).toBe(3);
    expect(e.skippedSlots).toBe(1);
    expect(e.normalisedBy).toBe('mean-abs-actual');
  });
});
