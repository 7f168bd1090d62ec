import { describe, expect, it } from 'vitest';

import type { AssetRow, LiveRun, LiveState } from '../../../src-main/shared/ipc-contract';
import { barPct, energyFlows, flexBand, flowPhraseKey, latestMean, strokeWidth, unaccountedKw } from '../../../src-renderer/src/composables/energy-flow';
import { de, en } from '../../../src-renderer/src/i18n/messages';

const asset = (id: string, kind: AssetRow['kind'], powerKw: number, extra: Partial<AssetRow> = {}): AssetRow => ({
  id,
  kind,
  powerKw,
  setpointKw: null,
  socPct: null,
  indoorC: null,
  link: 'ok',
  lastReportMs: null,
  band: null,
  ...extra,
});

const ASSETS = [
  asset('bess', 'bess', -100, { socPct: 60, band: { downKw: -300, upKw: 300 } }),
  asset('hs-01', 'householdStorage', 4, { socPct: 40, band: { downKw: -5, upKw: 5 } }),
  asset('hs-02', 'householdStorage', 2, { socPct: 80, link: 'lost', band: { downKw: -5, upKw: 5 } }),
  asset('hp-01', 'heatPump', 3, { indoorC: 21 }),
];

describe('energyFlows: the lines of the Now view’s picture, by the one sign convention', () => {
  it('draws import flowing into the community and a charging battery flowing out of the bus', () => {
    const f = energyFlows({ breakerKw: 50, assets: ASSETS, pvKw: -200, loadKw: 341 });
    expect(f.map((e) => e.id)).toEqual(['grid', 'pv', 'households', 'heatPumps', 'householdStorage', 'bess']);
    const by = new Map(f.map((e) => [e.id, e]));
    expect(by.get('grid')).toMatchObject({ kw: 50, direction: 'toBus' });
    expect(by.get('pv')).toMatchObject({ kw: -200, direction: 'toBus' });
    expect(by.get('households')).toMatchObject({ kw: 341, direction: 'fromBus' });
    // Two home batteries summed, one of them unreachable (counted with its last value), SoC averaged.
    expect(by.get('householdStorage')).toMatchObject({ kw: 6, direction: 'fromBus', count: 2, unreachable: 1, socPct: 60 });
    expect(by.get('bess')).toMatchObject({ kw: -100, direction: 'toBus', socPct: 60 });
    expect(by.get('heatPumps')).toMatchObject({ kw: 3, count: 1 });
    // 50 = −200 + 341 + 3 + 6 − 100: everything is accounted for.
    expect(unaccountedKw(f)).toBeCloseTo(0, 9);
  });

  it('nets households and PV into one node when the session does not record them (a field site)', () => {
    const f = energyFlows({ breakerKw: -150, assets: ASSETS, pvKw: null, loadKw: null });
    expect(f.map((e) => e.id)).toEqual(['grid', 'uncontrolled', 'heatPumps', 'householdStorage', 'bess']);
    const u = f.find((e) => e.id === 'uncontrolled')!;
    // −150 − (−100 + 4 + 2 + 3) = −59: the households and PV together feed 59 kW into the bus.
    expect(u.kw).toBeCloseTo(-59, 9);
    expect(u.direction).toBe('toBus');
    expect(f[0]).toMatchObject({ id: 'grid', direction: 'fromBus' });
    expect(unaccountedKw(f)).toBeCloseTo(0, 9);
  });

  it('calls a few hundred watts idle and a missing value unknown, never 0', () => {
    const f = energyFlows({ breakerKw: null, assets: [asset('bess', 'bess', 0.2)], pvKw: null, loadKw: null });
    expect(f[0]).toMatchObject({ id: 'grid', kw: null, direction: 'unknown' });
    expect(f.find((e) => e.id === 'uncontrolled')).toMatchObject({ kw: null, direction: 'unknown' });
    expect(f.find((e) => e.id === 'bess')).toMatchObject({ direction: 'idle' });
    expect(unaccountedKw(f)).toBeNull();
  });

  it('leaves out a kind the community does not have', () => {
    const f = energyFlows({ breakerKw: 10, assets: [asset('bess', 'bess', 5)], pvKw: -1, loadKw: 6 });
    expect(f.map((e) => e.id)).toEqual(['grid', 'pv', 'households', 'bess']);
  });
});

describe('flowPhraseKey: each line in words', () => {
  it.each([
    ['grid', 'toBus', 'import'],
    ['grid', 'fromBus', 'export'],
    ['bess', 'fromBus', 'charges'],
    ['bess', 'toBus', 'discharges'],
    ['householdStorage', 'fromBus', 'charges'],
    ['pv', 'toBus', 'generates'],
    ['households', 'fromBus', 'consumes'],
    ['heatPumps', 'fromBus', 'consumes'],
    ['uncontrolled', 'toBus', 'supplies'],
    ['pv', 'idle', 'idle'],
    ['bess', 'unknown', 'unknown'],
  ] as const)('%s %s → %s', (id, direction, key) => {
    expect(flowPhraseKey({ id, direction })).toBe(key);
    // Every phrase exists in both languages.
    expect(en.flow[key]).toContain('{node}');
    expect(de.flow[key]).toContain('{node}');
  });
});

describe('strokeWidth', () => {
  it('grows with the power up to the connection limit', () => {
    expect(strokeWidth(null, 630)).toBe(1.5);
    expect(strokeWidth(0, 630)).toBe(1.5);
    expect(strokeWidth(-315, 630)).toBeCloseTo(4, 9);
    expect(strokeWidth(2000, 630)).toBe(6.5);
  });
});

describe('latestMean', () => {
  it('takes the newest bucket that has a value', () => {
    expect(latestMean({ mean: [1, 2, null, null] })).toBe(2);
    expect(latestMean({ mean: [null] })).toBeNull();
    expect(latestMean(null)).toBeNull();
  });
});

const run = (over: Partial<LiveRun> = {}): LiveRun => ({
  runId: 'run-001',
  useCase: 2,
  startMs: 0,
  plannedEndMs: 7_200_000,
  targetKw: -250,
  toleranceKw: 10,
  predictedExhaustionAtMs: null,
  exhaustion: null,
  band: { downKw: -280, upKw: 150 },
  inExhaustion: false,
  kpis: null,
  ...over,
});
const live = (breakerKw: number | null, r: LiveRun | null, assets = ASSETS): Pick<LiveState, 'breaker' | 'run' | 'assets'> => ({
  breaker: { measuredKw: breakerKw, sampleMs: 0, stale: false, safeState: false, targetKw: r?.targetKw ?? null },
  run: r,
  assets,
});

describe('flexBand: the band as a bar with the need marked', () => {
  it('puts the need (target − uncontrolled) inside, at the edge of or outside the run’s band', () => {
    // Controllable now: −100 + 4 + 2 + 3 = −91; uncontrolled = −150 − (−91) = −59; need = −250 − (−59) = −191.
    const b = flexBand(live(-150, run()))!;
    expect(b).toMatchObject({ basis: 'run', downKw: -280, upKw: 150, nowKw: -91, needKw: -191, needState: 'inside' });
    expect(b.scaleMinKw).toBeLessThan(-280);
    expect(b.scaleMaxKw).toBeGreaterThan(150);
    expect(flexBand(live(-150, run({ band: { downKw: -195, upKw: 150 } })))!.needState).toBe('edge');
    expect(flexBand(live(-150, run({ band: { downKw: -150, upKw: 150 } })))!.needState).toBe('outside');
  });

  it('without a run shows the assets’ own band for the next hour and no need', () => {
    const b = flexBand(live(-150, null))!;
    expect(b).toMatchObject({ basis: 'assets', downKw: -310, upKw: 310, needKw: null, needState: null });
    expect(flexBand(live(-150, null, [asset('bess', 'bess', 0)]))).toBeNull();
    expect(flexBand(null)).toBeNull();
  });

  it('has no need without a breaker measurement', () => {
    expect(flexBand(live(null, run()))!.needKw).toBeNull();
  });

  it('places values on the bar, clamped', () => {
    const scale = { scaleMinKw: -100, scaleMaxKw: 100 };
    expect(barPct(0, scale)).toBe(50);
    expect(barPct(-100, scale)).toBe(0);
    expect(barPct(500, scale)).toBe(100);
  });
});
