/**
 * The asset book: heat-pump state between reports and the indoor estimate.
 * Tables of events in and commands/events out, on a virtual clock (time is leapt, never slept).
 */
import { describe, expect, it } from 'vitest';
import { harness, partContext, T0 } from './harness.js';
import { AssetBook, nearestIndex } from '../../../../src-main/engine/parts/asset-book.js';

describe('Engine asset book: heat-pump switching', () => {
  it('counts a heat pump’s minimum on time from the acknowledged switch, not from its next 15-minute report', () => {
    const h = harness({
      controller: 'lfc',
      dispatchPeriodS: 60,
      heatPumps: [{ id: 'hp-01', powerKw: 3, cop: 3, capacityKwhPerK: 4, lossKwPerK: 0.15, indoorInitC: 21, indoorMinC: 20, indoorMaxC: 22.5, minOnS: 1800, minOffS: 60 }],
    });
    // Its last report: off for an hour.
    h.engine.handleAssetReport({ assetId: 'hp-01', sampleMs: T0, arrivalMs: T0, powerKw: 0, on: false, indoorC: 21, msSinceSwitch: 3_600_000 });
    // The BESS charges hard to hold an import target: the dispatch switches the heat pump on to help.
    h.setBess(150);
    h.trigger({ targetKw: 50 });
    h.run(120, () => 50);
    const hpWrites = () => h.writes.filter((w) => w.assetId === 'hp-01');
    expect(hpWrites().some((w) => w.powerKw === 3)).toBe(true);
    // Then the BESS discharges: fewer consumers are wanted, but the pump switched on a minute ago is not
    // switched off (its report, still saying "off for an hour", would have allowed it; the device would refuse).
    h.setBess(-150);
    h.run(600, () => 50);
    expect(hpWrites().filter((w) => w.powerKw === 0)).toEqual([]);
    // It was released to its thermostat meanwhile; the EMS still takes it as on (its own switch, acknowledged),
    // not as the report from before the switch said.
    expect(hpWrites().at(-1)!.powerKw).toBeNull();
    const onAtMin = (hpWrites().find((w) => w.powerKw === 3)!.issuedMs + 50 - T0) / 60_000;
    const nowMin = (h.clock.nowMs() - T0) / 60_000;
    const after = (fromC: number, on: boolean, minutes: number): number => {
      const eqC = 10 + (on ? 9 / 0.15 : 0);
      return eqC + (fromC - eqC) * Math.exp((-0.15 * minutes) / 60 / 4);
    };
    expect(h.engine.heatPumpIndoorEstimateC('hp-01')).toBeCloseTo(after(after(21, false, onAtMin), true, nowMin - onAtMin), 9);
  });
});

describe('Engine asset book: indoor estimate', () => {
  const hp = { id: 'hp-01', powerKw: 3, cop: 3, capacityKwhPerK: 4, lossKwPerK: 0.15, indoorInitC: 21, indoorMinC: 20, indoorMaxC: 22.5, minOnS: 600, minOffS: 600 };
  // Outdoor 10 °C (the engine's fallback without a forecast); C = 4 kWh/K, UA = 0.15 kW/K, heat 9 kW when on.
  const after = (fromC: number, on: boolean, minutes: number): number => {
    const eqC = 10 + (on ? 9 / 0.15 : 0);
    return eqC + (fromC - eqC) * Math.exp((-0.15 * minutes) / 60 / 4);
  };


  it('carries the last report forward with the house’s thermal model, through the EMS’s own switch', () => {
    const h = harness({ controller: 'lfc', dispatchPeriodS: 60, heatPumps: [hp] }, 10);
    h.engine.handleAssetReport({ assetId: 'hp-01', sampleMs: T0, arrivalMs: T0, powerKw: 0, on: false, indoorC: 21, msSinceSwitch: 3_600_000 });
    h.clock.runUntil(T0 + 30 * 60_000);
    expect(h.engine.heatPumpIndoorEstimateC('hp-01')).toBeCloseTo(after(21, false, 30), 9);
    // A dispatch switches it on (acknowledged 50 ms after it was sent): off until then, on after.
    h.setBess(150);
    h.trigger({ targetKw: 50 });
    h.run(120, () => 50);
    const on = h.writes.find((w) => w.assetId === 'hp-01' && w.powerKw === 3)!;
    const ackMin = (on.issuedMs + 50 - T0) / 60_000;
    const nowMin = (h.clock.nowMs() - T0) / 60_000;
    expect(h.engine.heatPumpIndoorEstimateC('hp-01')).toBeCloseTo(after(after(21, false, ackMin), true, nowMin - ackMin), 9);
    // A report sampled before the switch arrives late: it does not undo the switch.
    h.engine.handleAssetReport({ assetId: 'hp-01', sampleMs: on.issuedMs - 1000, arrivalMs: h.clock.nowMs(), powerKw: 0, on: false, indoorC: after(21, false, ackMin - 1 / 60), msSinceSwitch: 3_600_000 });
    const nowMin2 = (h.clock.nowMs() - on.issuedMs + 1000) / 60_000;
    const switchedMin = (50 + 1000) / 60_000;
    expect(h.engine.heatPumpIndoorEstimateC('hp-01')).toBeCloseTo(after(after(after(21, false, ackMin - 1 / 60), false, switchedMin), true, nowMin2 - switchedMin), 9);
    // Released to its thermostat, it is still believed on until it reports otherwise; and the estimate never
    // leaves the comfort band (the device's own override keeps the house inside it).
    h.setBess(-150);
    h.run(3 * 3600, () => 50);
    // Through every acknowledged switch since the (late) report, each 50 ms after its write.
    const inBand = (t: number): number => Math.min(22.5, Math.max(20, t));
    let tempC = after(21, false, ackMin - 1 / 60);
    let state = false;
    let fromMs = on.issuedMs - 1000;
    const switches = h.writes.filter((w) => w.assetId === 'hp-01' && w.powerKw !== null);
    expect(new Set(switches.map((w) => w.powerKw)).size).toBe(2);
    for (const w of switches) {
      if (w.powerKw! > 0 === state) continue;
      tempC = inBand(after(tempC, state, (w.issuedMs + 50 - fromMs) / 60_000));
      state = w.powerKw! > 0;
      fromMs = w.issuedMs + 50;
    }
    expect(h.engine.heatPumpIndoorEstimateC('hp-01')).toBeCloseTo(inBand(after(tempC, state, (h.clock.nowMs() - fromMs) / 60_000)), 9);
    // A new report replaces the estimate.
    h.engine.handleAssetReport({ assetId: 'hp-01', sampleMs: h.clock.nowMs(), arrivalMs: h.clock.nowMs(), powerKw: 3, on: true, indoorC: 20.6, msSinceSwitch: 60_000 });
    expect(h.engine.heatPumpIndoorEstimateC('hp-01')).toBeCloseTo(20.6, 9);
  });

  it('keeps a switch made at the very moment a report was sampled (the report shows the state before it)', () => {
    const h = harness({ controller: 'lfc', dispatchPeriodS: 60, heatPumps: [hp] }, 10);
    h.engine.handleAssetReport({ assetId: 'hp-01', sampleMs: T0, arrivalMs: T0, powerKw: 0, on: false, indoorC: 21, msSinceSwitch: 3_600_000 });
    h.setBess(150);
    h.trigger({ targetKw: 50 });
    h.run(120, () => 50);
    const on = h.writes.find((w) => w.assetId === 'hp-01' && w.powerKw === 3)!;
    const switchMs = on.issuedMs + 50;
    const tempAtSwitch = after(21, false, (switchMs - T0) / 60_000);
    h.engine.handleAssetReport({ assetId: 'hp-01', sampleMs: switchMs, arrivalMs: h.clock.nowMs(), powerKw: 0, on: false, indoorC: tempAtSwitch, msSinceSwitch: 3_600_000 });
    expect(h.engine.heatPumpIndoorEstimateC('hp-01')).toBeCloseTo(after(tempAtSwitch, true, (h.clock.nowMs() - switchMs) / 60_000), 9);
    // …and the switch's minimum on time: the discharging BESS does not get it switched off.
    h.setBess(-150);
    h.run(300, () => 50);
    expect(h.writes.filter((w) => w.assetId === 'hp-01' && w.powerKw === 0)).toEqual([]);
  });

  it('without a weather forecast, takes no comfort bound for granted (a hot day may hold the house above it)', () => {
    const h = harness({ controller: 'lfc', heatPumps: [hp] });
    h.engine.handleAssetReport({ assetId: 'hp-01', sampleMs: T0, arrivalMs: T0, powerKw: 0, on: false, indoorC: 23, msSinceSwitch: 3_600_000 });
    h.clock.runUntil(T0 + 10 * 60_000);
    expect(h.engine.heatPumpIndoorEstimateC('hp-01')).toBeCloseTo(after(23, false, 10), 9);
    expect(h.engine.heatPumpIndoorEstimateC('hp-01')).toBeGreaterThan(22.5);
  });
});

describe('AssetBook on its own', () => {
  it('finds the nearest time exactly as a linear scan does (first of equals), sorted or not', () => {
    const scan = (ts: number[], t: number) => ts.reduce((best, x, i) => (Math.abs(x - t) < Math.abs(ts[best]! - t) ? i : best), 0);
    const hours = Array.from({ length: 48 }, (_, i) => T0 + i * 3_600_000);
    const uneven = [T0, T0 + 1000, T0 + 3000, T0 + 7000];
    const unsorted = [T0 + 5000, T0, T0 + 5000, T0 + 2000];
    for (const ts of [hours, uneven, unsorted, [T0]]) {
      for (const t of [T0 - 1e7, T0, T0 + 500, T0 + 1_800_000, T0 + 2000, T0 + 5000, T0 + 1e9, T0 + 1_799_999.5]) expect(nearestIndex(ts, t), `${ts.length} ${t}`).toBe(scan(ts, t));
    }
  });

  it('takes the BESS report as telemetry for the loop, and matches its power to a sample’s instant', () => {
    const { ctx } = partContext();
    const book = new AssetBook(ctx);
    expect(book.report({ assetId: 'bess', sampleMs: T0, arrivalMs: T0, powerKw: 40, socPct: 60 })).toEqual({ kind: 'bess', sampleMs: T0 });
    book.report({ assetId: 'bess', sampleMs: T0 + 10_000, arrivalMs: T0 + 10_000, powerKw: 80 });
    expect([book.bessPowerAt(T0 + 5000), book.bessPowerAt(T0 + 10_000), book.bess.socPct, book.lastBessTelemetryMs]).toEqual([40, 80, 60, T0 + 10_000]);
    expect(book.report({ assetId: 'nobody', sampleMs: T0, arrivalMs: T0, powerKw: 1 })).toEqual({ kind: 'none' });
  });

  it('an acknowledged switch starts a heat pump’s minimum time and counts in its power', () => {
    const { ctx, clock } = partContext({ heatPumps: [{ id: 'hp-01', powerKw: 3, cop: 3, capacityKwhPerK: 4, lossKwPerK: 0.15, indoorInitC: 21, indoorMinC: 20, indoorMaxC: 22.5, minOnS: 600, minOffS: 600 }] });
    const book = new AssetBook(ctx);
    clock.runUntil(T0 + 1000);
    book.linkOf('hp-01')!.apply(3);
    const hp = book.heatPumps.get('hp-01')!;
    expect([hp.on, hp.dispatchedOn, hp.switchedAtMs, hp.switchesSinceReport]).toEqual([true, true, T0 + 1000, [{ atMs: T0 + 1000, on: true }]]);
    expect(book.controllablePowerKw(T0 + 1000)).toBe(3);
    // Locked on for 10 minutes: the band holds it where it is (the BESS's ±300 kW, plus its 3 kW either way).
    expect(book.instantaneousBand(T0 + 60_000)).toEqual({ downKw: -297, upKw: 303 });
  });
});
