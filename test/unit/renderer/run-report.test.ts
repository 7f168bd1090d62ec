import { describe, expect, it } from 'vitest';

import type { RunDto, SeriesData } from '../../../src-main/shared/ipc-contract';
import { reportCharts, tickStepMs } from '../../../src-renderer/src/composables/report-charts';
import { fullTime, isFieldRun, REPORT_KPIS, reportHeadline, reportKpiRows, triggerLines, zoneOffsetName } from '../../../src-renderer/src/composables/run-report';
import { createConsoleI18n } from '../../../src-renderer/src/i18n';

/** The console's own translator (the real message compiler). */
function translator(locale: 'en' | 'de') {
  const i18n = createConsoleI18n(locale);
  return (key: string, values?: Record<string, unknown>) => (values ? i18n.global.t(key, values) : i18n.global.t(key));
}
const en = translator('en');
const de = translator('de');
const TZ = 'Europe/Rome';
const START = Date.parse('2026-06-21T10:00:00Z');

const KPIS = {
  accuracy: {
    maeKw: 4.1234, rmseKw: 5.5, maxAbsErrorKw: 21.25, biasKw: -0.5, withinBandPct: 93.456, energyErrorKwh: 8.25, netEnergyErrorKwh: -1, mae15MinKw: 1.2,
    samples: 700, cutoffAt: '2026-06-21T10:01:00.000Z', quarterHours: 8, settling: { samples: 6, maeKw: 30, maxAbsErrorKw: 80, withinBandPct: 0 },
  },
  responsiveness: {
    firstSetpointS: 0.4, settlingS: 30, referenceAt: '2026-06-21T10:00:00.000Z', referenceKind: 'trigger-received',
    loopLatencyMs: { sensorToEms: { p50: 1, p95: 2, p99: 3, max: 4, count: 700 }, total: { p50: 120, p95: 250, p99: 300, max: 410, count: 700 }, extraHop: { p50: 1, p95: 1, p99: 1, max: 1, count: 1 } },
    staleSamples: 0,
  },
  availability: {
    requestedStartAt: '2026-06-21T10:00:00.000Z', requestedEndAt: '2026-06-21T12:00:00.000Z', requestedS: 7200, requestedBasis: 'duration', inForceS: 5400, heldS: 4500,
    heldPctOfRequested: 62.5, coveredPct: 88.25, minHeadroomUpKw: -12, minHeadroomDownKw: 40, minEnergyCoverPct: 71.5, energyChecks: 8,
    predictedExhaustionAt: '2026-06-21T11:20:00.000Z', actualExhaustionAt: '2026-06-21T11:30:00.000Z',
    exhaustion: { exhaustionLeadS: 1800, exhaustionErrorS: { at60: null, at30: 300, at15: 60 }, falseAlarmS: null, forecasts: 8 },
    samples: 540, uncoveredAfterEndSamples: 180,
  },
  samples: { total: 720, valid: 715, invalid: 5 },
  somethingNew: { figureKw: 1.5 },
};

const run = (over: Partial<RunDto> = {}): RunDto => ({
  runId: 'sim-1/run-001',
  sessionId: 'sim-1',
  scenario: 'summer-flex-exhaustion',
  controller: 'lfc',
  useCase: 2,
  startMs: START,
  endMs: START + 5400_000,
  endReason: 'flex-exhausted',
  trigger: { id: 'op-1', source: 'operator:console', receivedMs: START, startMs: START, useCase: 2, targetKw: -120, durationS: 7200, toleranceKw: 10, schedule: null },
  kpis: KPIS,
  appVersion: '0.1.0',
  configVersion: 'lfc-config/3',
  ...over,
});

describe('the trial report’s KPI table', () => {
  it('gives every catalogued figure a label, a unit and its basis, in the catalogue’s order, and drops nothing', () => {
    const rows = reportKpiRows(KPIS, 'en', TZ, en);
    const mae = rows.find((r) => r.path === 'accuracy.maeKw')!;
    expect(mae).toMatchObject({ group: 'K03', label: 'Mean absolute error', value: '4.12\u202fkW' });
    // |e| is written with U+2223: vue-i18n reads a | as a plural separator (and the messages test refuses one).
    expect(mae.basis).toBe('mean ∣e∣, e = P_B − P*, over the samples after settling (or 60 s)');
    expect(rows.find((r) => r.path === 'availability.heldPctOfRequested')!.value).toBe('62.5\u202f%');
    expect(rows.find((r) => r.path === 'availability.requestedS')!.label).toBe('Requested span (its duration)');
    expect(rows.find((r) => r.path === 'availability.requestedS')!.value).toBe('2\u202fh 00\u202fmin (7,200\u202fs)');
    // Times in the site's zone (Rome is UTC+2 in June).
    expect(rows.find((r) => r.path === 'availability.actualExhaustionAt')!.value).toBe('21/06/2026, 13:30:00');
    expect(rows.find((r) => r.path === 'availability.exhaustion.exhaustionErrorS')!.value).toBe('60 min: missed · 30 min: 5\u202fmin 00\u202fs (300\u202fs) · 15 min: 60\u202fs');
    // One row per loop hop; a hop the catalogue does not name keeps its key.
    const hops = rows.filter((r) => r.path.startsWith('responsiveness.loopLatencyMs.'));
    expect(hops.map((r) => r.label)).toEqual(['Loop latency, sensor → EMS', 'Loop latency, sensor → acknowledgement', 'Loop latency, extraHop']);
    expect(hops[1]!.value).toBe('p50 120\u202fms · p95 250\u202fms · p99 300\u202fms · max 410\u202fms (n = 700)');
    expect(hops.every((r) => r.group === 'K02')).toBe(true);
    // K03, then K02, then K01, then the data; what the catalogue does not know comes last, under its key.
    const order = [...new Set(rows.map((r) => r.group))];
    expect(order).toEqual(['K03', 'K02', 'K01', 'data', 'other']);
    expect(rows.filter((r) => r.group === 'other').map((r) => r.path)).toEqual(['somethingNew.figureKw']);
    // Every row but the unknown one has a human label and a basis.
    for (const r of rows.filter((x) => x.group !== 'other')) {
      expect(r.label, r.path).not.toMatch(/^report\.|\./);
      expect(r.basis, r.path).not.toMatch(/^report\./);
      expect(r.basis.length, r.path).toBeGreaterThan(3);
    }
    expect(rows.find((r) => r.path === 'samples')!.value).toBe('720 in total, 715 valid, 5 invalid');
  });

  it('speaks German with decimal commas', () => {
    const rows = reportKpiRows(KPIS, 'de', TZ, de);
    expect(rows.find((r) => r.path === 'accuracy.maeKw')).toMatchObject({ label: 'Mittlerer absoluter Fehler', value: '4,12\u202fkW' });
    expect(rows.find((r) => r.path === 'accuracy.withinBandPct')!.value).toBe('93,5\u202f%');
    expect(rows.find((r) => r.path === 'availability.actualExhaustionAt')!.value).toBe('21.06.2026, 13:30:00');
  });

  it('has a message for every catalogued figure in both languages', () => {
    for (const def of REPORT_KPIS) {
      for (const t of [en, de]) {
        expect(t(`reportKpi.${def.id}`), def.id).not.toBe(`reportKpi.${def.id}`);
        expect(t(`reportBasis.${def.id}`), def.id).not.toBe(`reportBasis.${def.id}`);
      }
    }
  });

  it('is empty for a run without KPIs', () => {
    expect(reportKpiRows(null, 'en', TZ, en)).toEqual([]);
  });
});

describe('the trial report’s headline and trigger', () => {
  it('says what was asked, how it ended, and how much was held of what', () => {
    const h = reportHeadline(run(), 'en', TZ, en);
    expect(h.useCase).toBe('2 – fixed target');
    expect(h.target).toBe('−120.0\u202fkW ± 10.0\u202fkW');
    expect(h.requested).toBe('2\u202fh 00\u202fmin, 21/06/2026, 12:00:00 → 21/06/2026, 14:00:00 (end by its duration)');
    expect(h.endReason).toBe('flexibility exhausted');
    expect(h.held).toBe('62.5\u202f% of the request: 1\u202fh 15\u202fmin of 2\u202fh 00\u202fmin (end by its duration); one-minute mean error within the band');
    expect(h.covered).toBe('88.3\u202f%');
    expect(h.minEnergyCover).toBe('71.5\u202f%');
    expect(h.exhaustion).toMatch(/^at 21\/06\/2026, 13:30:00; warned 30\u202fmin 00\u202fs \(1,800\u202fs\) ahead; forecast error 60 min: missed/);
  });

  it('names a schedule’s range and a run without exhaustion’s false alarm', () => {
    const k = structuredClone(KPIS) as unknown as Record<string, unknown> & { availability: { actualExhaustionAt: string | null; exhaustion: { falseAlarmS: number | null } } };
    k.availability.actualExhaustionAt = null;
    k.availability.exhaustion.falseAlarmS = 0;
    const schedule = [
      { fromMs: START, toMs: START + 3600_000, targetKw: -80 },
      { fromMs: START + 3600_000, toMs: START + 7200_000, targetKw: -150 },
    ];
    const h = reportHeadline(run({ useCase: 4, kpis: k, trigger: { ...run().trigger, useCase: 4, targetKw: null, durationS: null, schedule } }), 'de', TZ, de);
    expect(h.target).toBe('2 Pakete: −150\u202fkW … −80\u202fkW ± 10,0\u202fkW');
    expect(h.exhaustion).toBe('keine; Fehlalarm während 0\u202fs');
    const lines = triggerLines({ ...run().trigger, useCase: 4, targetKw: null, durationS: null, schedule }, 'de', TZ, de);
    expect(lines.map((l) => l.id)).toEqual(['id', 'source', 'receivedAt', 'useCase', 'targetKw', 'durationS', 'toleranceKw', 'package-1', 'package-2']);
    expect(lines.find((l) => l.id === 'durationS')!.value).toBe('unbefristet');
    expect(lines.find((l) => l.id === 'package-2')!.value).toBe('21.06.2026, 13:00 – 21.06.2026, 14:00: −150,0\u202fkW');
  });

  it('states the zone with its offset, and tells field runs from simulator runs', () => {
    expect(zoneOffsetName(START, TZ)).toBe('UTC+2');
    expect(zoneOffsetName(Date.parse('2026-01-10T10:00:00Z'), TZ)).toBe('UTC+1');
    expect(fullTime(START, 'en', TZ)).toBe('21/06/2026, 12:00:00');
    expect(isFieldRun({ sessionId: 'field-1a2b' })).toBe(true);
    expect(isFieldRun({ sessionId: 'sim-1a2b' })).toBe(false);
  });
});

describe('the trial report’s plots', () => {
  const s = (id: string, values: Array<number | null>): SeriesData => ({ seriesId: id, unit: 'kW', bucketMs: 10_000, timeMs: values.map((_, i) => START + i * 10_000), min: values, max: values, mean: values });
  it('draws the tolerance band around the target, the BESS on two axes and the flexibility band', () => {
    const charts = reportCharts(
      {
        'breaker.measuredKw': s('breaker.measuredKw', [-100, -115, -121]),
        'breaker.targetKw': s('breaker.targetKw', [null, -120, -120]),
        'breaker.toleranceKw': null,
        'bess.powerKw': s('bess.powerKw', [10, 20, 30]),
        'bess.socPct': s('bess.socPct', [50, 51, 52]),
        'flex.downKw': null,
        'flex.upKw': null,
      },
      'bess',
      10,
      en,
    );
    expect(charts.map((c) => c.id)).toEqual(['breaker', 'bess', 'flex']);
    // Empty buckets are left out (a bucket may be shorter than the sample period); the band follows the target.
    expect(charts[0]!.band!.lo.map((p) => p.y)).toEqual([-130, -130]);
    expect(charts[0]!.band!.hi.map((p) => p.y)).toEqual([-110, -110]);
    expect(charts[0]!.maxGapMs).toBe(25_000);
    expect(charts[0]!.lines.find((l) => l.id === 'target')!.stepped).toBe(true);
    expect(charts[1]!.lines.find((l) => l.id === 'socPct')!.right).toBe(true);
    expect(charts[2]).toMatchObject({ empty: true, band: null });
    expect(charts[0]!.title).toBe('Breaker: measured against the target');
  });

  it('steps the time axis in round minutes or hours, at most ten ticks', () => {
    expect(tickStepMs(6 * 60_000)).toBe(60_000);
    expect(tickStepMs(2 * 3600_000)).toBe(900_000);
    expect(tickStepMs(7 * 86_400_000)).toBe(86_400_000);
  });
});
