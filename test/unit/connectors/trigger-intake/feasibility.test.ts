import { describe, expect, it } from 'vitest';
import { TriggerRequestSchema, feasibilityOf, remoteAllowed } from '../../../../src-main/connectors/trigger-intake/trigger-intake.js';
import type { EngineSnapshot } from '../../../../src-main/engine/engine.js';

const snap = (run: boolean): EngineSnapshot => ({
  nowMs: 0,
  controller: 'lfc',
  run: run ? { runId: 'run-001', useCase: 2, triggerId: 'T', startMs: 0, plannedEndMs: null, targetKw: -150, toleranceKw: 10, predictedExhaustionAtMs: null, band: { downKw: -300, upKw: 300 }, inExhaustion: false } : null,
  pendingTrigger: null,
  breaker: { lastSampleMs: 0, lastPowerKw: -100, lastValidSampleMs: 0, stale: false, safeState: false },
  forecastMissing: false,
  assets: [{ id: 'bess', kind: 'bess', powerKw: 50, setpointKw: 50, socPct: 50, link: 'ok' }],
});

describe('trigger intake rules', () => {
  it('feasibility from the band now: P_unc + [F⁻, F⁺]', () => {
    // P_unc = −100 − 50 = −150; reachable [−450, 150].
    expect(feasibilityOf(snap(true), -150)).toMatchObject({ verdict: 'feasible', breakerRangeKw: { minKw: -450, maxKw: 150 } });
    expect(feasibilityOf(snap(true), -150).message).toBe('can hold −150 kW: band [−450, 150] kW at the breaker now (flexibility [−300, 300] kW)');
    expect(feasibilityOf(snap(true), -500).verdict).toBe('infeasible');
    expect(feasibilityOf(snap(false), -150).verdict).toBe('unknown');
    expect(feasibilityOf(snap(true), null).verdict).toBe('not-applicable');
  });

  it('loopback only by default', () => {
    expect(remoteAllowed('127.0.0.1')).toBe(true);
    expect(remoteAllowed('::1')).toBe(true);
    expect(remoteAllowed('::ffff:127.0.0.1')).toBe(true);
    expect(remoteAllowed('192.168.1.20')).toBe(false);
    expect(remoteAllowed('::ffff:10.0.0.5', ['loopback', '10.0.0.5'])).toBe(true);
  });

  it('the request schema names the field', () => {
    const r = TriggerRequestSchema.safeParse({ useCase: 3, schedule: [{ from: '2026-06-21T12:00:00+02:00', to: '2026-06-21T11:00:00+02:00', targetKw: -20 }] });
    expect(r.success).toBe(false);
    const paths = r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['schedule.0.to', 'schedule.0.targetKw']));
    expect(TriggerRequestSchema.safeParse({ useCase: 2, targetKw: Infinity, durationS: 10 }).success).toBe(false);
  });
});
