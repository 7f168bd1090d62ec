/** The one trigger module: building, the rules (with their fields), the target at an instant. */
import { describe, expect, it } from 'vitest';
import { buildTrigger, DEFAULT_TOLERANCE_KW, targetOfTrigger, triggerIssues, validateTrigger } from '../../../../src-main/engine/trigger/trigger.js';
import type { Trigger } from '../../../../src-main/engine/model.js';

const T0 = Date.parse('2026-06-21T10:00:00Z');
const meta = { id: 'T1', source: 'test', receivedMs: T0 };

describe('buildTrigger', () => {
  it('fills the defaults and keeps only what the use case uses', () => {
    expect(buildTrigger({ useCase: 2, targetKw: -100, durationS: 3600 }, meta)).toEqual({ ...meta, startMs: T0, useCase: 2, targetKw: -100, durationS: 3600, toleranceKw: DEFAULT_TOLERANCE_KW, schedule: null });
    expect(buildTrigger({ useCase: 1, toleranceKw: 5 }, meta)).toMatchObject({ targetKw: null, toleranceKw: 5 });
    const pkgs = [{ fromMs: T0, toMs: T0 + 1000, targetKw: 20 }];
    expect(buildTrigger({ useCase: 3, targetKw: 7, schedule: pkgs, startMs: T0 + 5 }, meta)).toMatchObject({ targetKw: null, schedule: pkgs, startMs: T0 + 5 });
    expect(buildTrigger({ useCase: 2, targetKw: 1, durationS: 1, schedule: pkgs }, meta).schedule).toBeNull();
  });
});

describe('triggerIssues / validateTrigger', () => {
  const base: Trigger = { ...meta, startMs: T0, useCase: 2, targetKw: -100, durationS: 3600, toleranceKw: 10, schedule: null };
  it.each([
    [{}, null],
    [{ targetKw: NaN }, 'targetKw'],
    [{ targetKw: 700 }, 'targetKw'],
    [{ durationS: null }, 'durationS'],
    [{ durationS: 8 * 86_400 }, 'durationS'],
    [{ toleranceKw: 0 }, 'toleranceKw'],
    [{ toleranceKw: 1000 }, 'toleranceKw'],
    [{ startMs: T0 - 1 }, 'startAt'],
    [{ startMs: T0 + 31 * 86_400_000 }, 'startAt'],
    [{ useCase: 3 as const, schedule: [] }, 'schedule'],
    [{ useCase: 3 as const, schedule: [{ fromMs: T0, toMs: T0 + 1000, targetKw: -5 }] }, 'schedule[0].targetKw'],
    [{ useCase: 4 as const, schedule: [{ fromMs: T0, toMs: T0 + 1000, targetKw: -5 }, { fromMs: T0 + 2000, toMs: T0 + 1000, targetKw: -5 }] }, 'schedule[1].to'],
  ])('%o → %s', (over, path) => {
    const issues = triggerIssues({ ...base, ...over } as Trigger, 630);
    expect(issues[0]?.path ?? null).toBe(path);
    expect(validateTrigger({ ...base, ...over } as Trigger, 630)).toBe(issues[0]?.message ?? null);
  });
});

describe('targetOfTrigger', () => {
  it('island holds 0 kW, packages their target and 0 kW between them', () => {
    const t = buildTrigger({ useCase: 4, schedule: [{ fromMs: T0 + 1000, toMs: T0 + 2000, targetKw: -50 }] }, meta);
    expect([targetOfTrigger(t, T0), targetOfTrigger(t, T0 + 1500), targetOfTrigger(t, T0 + 2000)].map((x) => x?.targetKw)).toEqual([0, -50, 0]);
    expect(targetOfTrigger(buildTrigger({ useCase: 1 }, meta), T0)).toEqual({ targetKw: 0, toleranceKw: 10 });
    expect(targetOfTrigger(buildTrigger({ useCase: 0 }, meta), T0)).toBeNull();
  });
});

describe('scenario loading uses the same rules', () => {
  it('refuses an event the engine would refuse, at the event’s field', async () => {
    const { readFileSync } = await import('node:fs');
    const { parseScenario } = await import('../../../../src-main/engine/scenario/index.js');
    const data = JSON.parse(readFileSync('resources/scenarios/summer-export-hold/scenario.json', 'utf8')) as { events: Array<Record<string, unknown>> };
    expect(parseScenario(JSON.stringify(data)).ok).toBe(true);
    data.events[0]!.durationS = 8 * 86_400;
    const r = parseScenario(JSON.stringify(data));
    expect(r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`)).toEqual(['events[0].durationS: durationS must be positive and at most 604800 s (7 days), got 691200']);
  });
});
