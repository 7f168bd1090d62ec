/** Tables for the core's pure pieces: pacing, the trigger pre-flight check, units and KPI flattening. */
import { describe, expect, it } from 'vitest';

import { checkTrigger, MAX_CATCH_UP_WALL_MS, stepsDue } from '../../../src-main/core/live-logic';
import { flattenKpis, unitOf } from '../../../src-main/core/series';
import { header, isoInZone, joinSeries, runCsv } from '../../../src-main/core/run-export';

describe('stepsDue', () => {
  const anchor = { wallMs: 1000, simMs: 0 };
  it.each([
    [1, 1000, 0, 0],
    [1, 3000, 0, 2],
    [60, 2000, 0, 60],
    [60, 2000, 30_000, 30],
    [10, 1500, 10_000, 0],
  ])('speed %s at wall %s, sim %s → %s steps', (speed, wall, sim, steps) => {
    expect(stepsDue(anchor, wall, sim, speed, 1000, 99)).toEqual({ steps, reanchor: false });
  });
  it('re-anchors after a long stall instead of replaying the backlog in one burst', () => {
    const r = stepsDue(anchor, 1000 + 60_000, 0, 2, 1000, 99);
    expect(r).toEqual({ steps: (MAX_CATCH_UP_WALL_MS * 2) / 1000, reanchor: true });
  });
  it('runs a bounded slice at max', () => {
    expect(stepsDue(anchor, 0, 0, 'max', 1000, 99)).toEqual({ steps: 99, reanchor: false });
  });
});

describe('checkTrigger', () => {
  const inputs = { connectionLimitKw: 630, breakerKw: -100, controllableKw: 20, band: { downKw: -300, upKw: 300 } };
  it.each([
    [{ useCase: 2 as const, targetKw: -200, durationS: 3600 }, 'feasible', -80],
    [{ useCase: 2 as const, targetKw: 170, durationS: 3600 }, 'tight', 290],
    [{ useCase: 2 as const, targetKw: 400, durationS: 3600 }, 'infeasible', 520],
    [{ useCase: 1 as const }, 'feasible', 120],
  ])('%o → %s (needs %s kW)', (req, verdict, requiredKw) => {
    const r = checkTrigger(req, inputs);
    expect(r.errors).toEqual([]);
    expect(r.verdict).toBe(verdict);
    expect(r.requiredKw).toBeCloseTo(requiredKw, 9);
    expect(r.uncontrolledKw).toBe(-120);
  });
  it('names every problem that forbids sending, by the rules the engine itself applies', () => {
    expect(checkTrigger({ useCase: 2, targetKw: -700 }, inputs).errors).toEqual(['targetKw -700 is beyond the connection limit of ±630 kW', 'use case 2 needs a positive durationS, got null']);
    expect(checkTrigger({ useCase: 4, schedule: [{ fromMs: 10, toMs: 5, targetKw: 20 }] }, inputs).errors).toEqual(['use case 4 packages export (targetKw ≤ 0), got 20', 'every package must end after it starts']);
    // What the console did not check before and the engine refused: beyond 7 days, a band wider than the connection.
    expect(checkTrigger({ useCase: 2, targetKw: -100, durationS: 8 * 86_400, toleranceKw: 700 }, { ...inputs, nowMs: 0 }).errors).toEqual([
      'durationS must be positive and at most 604800 s (7 days), got 691200',
      'toleranceKw 700 is wider than the connection limit of 630 kW: nothing would be held',
    ]);
  });
  it('says unknown without a breaker measurement', () => {
    expect(checkTrigger({ useCase: 2, targetKw: -100, durationS: 60 }, { ...inputs, breakerKw: null }).verdict).toBe('unknown');
  });
});

describe('units and exports', () => {
  it.each([
    ['breaker.measuredKw', 'kW'],
    ['bess.socPct', '%'],
    ['hp-01.indoorC', '°C'],
    ['energyErrorKwh', 'kWh'],
    ['settlingS', 's'],
    ['heldPctOfRequested', '%'],
    ['p95', ''],
  ])('unitOf(%s) = %s', (id, unit) => {
    expect(unitOf(id)).toBe(unit);
  });
  it('flattens KPI records with the nearest unit, and counts without one', () => {
    const rows = flattenKpis({ accuracy: { maeKw: 1.5, samples: 10, cutoffAt: '2026-01-01T00:00:00Z' }, responsiveness: { loopLatencyMs: { total: { p95: 80, count: 5 } } } });
    expect(rows).toEqual([
      { key: 'accuracy.maeKw', value: 1.5, unit: 'kW' },
      { key: 'accuracy.samples', value: 10, unit: '' },
      { key: 'accuracy.cutoffAt', value: '2026-01-01T00:00:00Z', unit: '' },
      { key: 'responsiveness.loopLatencyMs.total.p95', value: 80, unit: 'ms' },
      { key: 'responsiveness.loopLatencyMs.total.count', value: 5, unit: '' },
    ]);
  });
  it('joins series on time with NaN holes and writes units into CSV headers', () => {
    const a = { seriesId: 'breaker.measuredKw', timeMs: Float64Array.of(0, 10_000), value: Float64Array.of(1, 2) };
    const b = { seriesId: 'bess.socPct', timeMs: Float64Array.of(10_000), value: Float64Array.of(50) };
    const j = joinSeries([a, b]);
    expect(j.timeMs).toEqual([0, 10_000]);
    expect(Array.from(j.columns[1]!)).toEqual([NaN, 50]);
    expect(header('bess.socPct')).toBe('bess.socPct [%]');
    const run = { runId: 'r', sessionId: 's', scenario: null, controller: 'lfc', useCase: 2, startMs: 0, endMs: 10_000, endReason: 'operator-stop', trigger: { note: 'a,b' }, kpis: { accuracy: { maeKw: 1 } }, appVersion: '1', configVersion: 'c' };
    const csv = runCsv({ run, series: [a, b], events: [] });
    expect(csv).toContain('# trigger,"{""note"":""a,b""}",');
    expect(csv).toContain('# kpi.accuracy.maeKw,1,kW');
    expect(csv.trim().split('\n').slice(-3)).toEqual(['time (UTC),breaker.measuredKw [kW],bess.socPct [%]', '1970-01-01T00:00:00.000Z,1,', '1970-01-01T00:00:10.000Z,2,50']);
  });
  it('writes the CSV in the console’s language, with the site’s local time beside UTC and no float noise', () => {
    const a = { seriesId: 'breaker.measuredKw', timeMs: Float64Array.of(Date.UTC(2026, 5, 21, 9, 0, 0)), value: Float64Array.of(-182.00880089916492) };
    const run = { runId: 'r', sessionId: 's', scenario: null, controller: 'lfc', useCase: 2, startMs: 0, endMs: 10_000, endReason: 'operator-stop', trigger: {}, kpis: { accuracy: { maeKw: 1.25 } }, appVersion: '1', configVersion: 'c' };
    const de = runCsv({ run, series: [a], events: [] }, { language: 'de', timeZone: 'Europe/Rome' });
    expect(de).toContain('# times: UTC and Europe/Rome');
    expect(de).toContain('# kpi.accuracy.maeKw;1,25;kW');
    expect(de.trim().split('\n').slice(-2)).toEqual(['time (UTC);local time (Europe/Rome);breaker.measuredKw [kW]', '2026-06-21T09:00:00.000Z;2026-06-21T11:00:00+02:00;-182,0088']);
    const en = runCsv({ run, series: [a], events: [] }, { language: 'en', timeZone: 'Europe/Rome' });
    expect(en.trim().split('\n').at(-1)).toBe('2026-06-21T09:00:00.000Z,2026-06-21T11:00:00+02:00,-182.0088');
    expect(isoInZone(Date.UTC(2026, 0, 20, 12, 0, 0), 'Europe/Rome')).toBe('2026-01-20T13:00:00+01:00');
  });
});
