/**
 * The generator's promise: pure and seeded (same inputs → same scenario), prefix-independent, and over a
 * few hundred scenarios it covers what issue 11 asks for: seasons, community sizes 50–2,000, every use
 * case, announced and immediate requests, supersession, operator stop, open-ended runs, durations
 * 15 min–12 h and every fault kind.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import type { GeneratorInputs } from '../../../src-main/scenarios/generate-files.js';
import { loadGeneratorInputs } from '../../../src-main/scenarios/generate-files.js';
import type { GeneratedSummary } from '../../../src-main/scenarios/generator.js';
import { GENERATED_FAULT_KINDS, generateScenario } from '../../../src-main/scenarios/generator.js';

let inputs: GeneratorInputs;
beforeAll(async () => {
  inputs = await loadGeneratorInputs();
});

describe('generateScenario', () => {
  it('is a pure function of seed and index', () => {
    const a = generateScenario(5, 3, inputs.weather, inputs.profiles);
    const b = generateScenario(5, 3, inputs.weather, inputs.profiles);
    expect(JSON.stringify(b.scenario)).toBe(JSON.stringify(a.scenario));
    expect(b.actualCsv).toBe(a.actualCsv);
    expect(b.forecastJson).toBe(a.forecastJson);
    expect(JSON.stringify(generateScenario(6, 3, inputs.weather, inputs.profiles).scenario)).not.toBe(JSON.stringify(a.scenario));
  });

  it('covers the issue\'s space over 200 scenarios', () => {
    const all: GeneratedSummary[] = Array.from({ length: 200 }, (_, i) => generateScenario(1, i, inputs.weather, inputs.profiles).summary);
    expect(new Set(all.map((s) => s.season))).toEqual(new Set(['winter', 'spring', 'summer', 'autumn']));
    const members = all.map((s) => s.members);
    expect(Math.min(...members)).toBeGreaterThanOrEqual(50);
    expect(Math.max(...members)).toBeLessThanOrEqual(2000);
    expect(Math.min(...members)).toBeLessThan(150);
    expect(Math.max(...members)).toBeGreaterThan(1500);
    expect(new Set(all.flatMap((s) => s.useCases))).toEqual(new Set([0, 1, 2, 3, 4]));
    const sum = (f: (s: GeneratedSummary) => number): number => all.reduce((n, s) => n + f(s), 0);
    expect(sum((s) => s.announced)).toBeGreaterThan(10);
    expect(sum((s) => s.immediate)).toBeGreaterThan(10);
    expect(sum((s) => s.supersessions)).toBeGreaterThan(5);
    expect(sum((s) => s.operatorStops)).toBeGreaterThan(5);
    expect(sum((s) => s.openEnded)).toBeGreaterThan(5);
    const durations = all.flatMap((s) => s.durationsS);
    expect(Math.min(...durations)).toBeGreaterThanOrEqual(900);
    expect(Math.max(...durations)).toBeLessThanOrEqual(12 * 3600);
    expect(Math.max(...durations)).toBeGreaterThan(6 * 3600);
    expect(new Set(all.flatMap((s) => s.faults))).toEqual(new Set(GENERATED_FAULT_KINDS));
    // Some requests are meant to run out of flexibility: the KPIs of exhaustion need cases.
    expect(all.some((s) => s.difficulty.includes('exhausting'))).toBe(true);
  }, 60_000);
});
