/**
 * The replay command end to end, in-process: every bundled scenario with both controllers writes the three
 * files with every field KPI.md names; flexibility exhaustion and faults show up where they must; the same
 * scenario gives byte-identical files; a bad scenario exits 2 with a message that names the place.
 */
import { mkdtempSync, readFileSync, readdirSync, writeFileSync, cpSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it, beforeAll } from 'vitest';
import { main } from '../../../src-main/cli/replay.js';
import type { KpiDocumentLike } from '../../../src-main/replay/recompute.js';
import { recomputeKpis } from '../../../src-main/replay/recompute.js';

const scenariosDir = resolve(__dirname, '../../../resources/scenarios');
const scenarios = readdirSync(scenariosDir).sort();
const outRoot = mkdtempSync(join(tmpdir(), 'lfc-replay-'));

const ACCURACY = ['maeKw', 'rmseKw', 'maxAbsErrorKw', 'biasKw', 'withinBandPct', 'energyErrorKwh', 'netEnergyErrorKwh', 'mae15MinKw'];
const RESPONSIVENESS = ['firstSetpointS', 'settlingS', 'loopLatencyMs', 'staleSamples'];
const AVAILABILITY = ['requestedStartAt', 'requestedEndAt', 'requestedS', 'requestedBasis', 'inForceS', 'coveredPct', 'minHeadroomUpKw', 'minHeadroomDownKw', 'minEnergyCoverPct', 'predictedExhaustionAt', 'actualExhaustionAt', 'exhaustion', 'heldS', 'heldPctOfRequested'];
const RUN_FIELDS = ['useCase', 'start', 'end', 'requestedDurationS', 'requested', 'endReason', 'exhaustionPredictions', 'energyChecks'];

interface KpiRun {
  [k: string]: unknown;
  endReason: string;
  accuracy: Record<string, unknown>;
  responsiveness: Record<string, unknown>;
  availability: Record<string, unknown>;
}
interface KpiDoc {
  format: string;
  runs: KpiRun[];
}

const outDir = (scenario: string, controller: string) => join(outRoot, `${scenario}-${controller}`);
const readKpi = (scenario: string, controller: string): KpiDoc => JSON.parse(readFileSync(join(outDir(scenario, controller), 'kpi.json'), 'utf8')) as KpiDoc;
const readEvents = (scenario: string, controller: string) =>
  readFileSync(join(outDir(scenario, controller), 'events.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { time: string; type: string; level: string; data?: Record<string, unknown> });

function expectClose(actual: unknown, expected: unknown, tol: number, path = ''): void {
  if (typeof expected === 'number' && typeof actual === 'number') {
    expect(Math.abs(actual - expected), `${path}: ${actual} vs ${expected}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(expected)));
  } else if (expected && typeof expected === 'object') {
    for (const [k, v] of Object.entries(expected)) expectClose((actual as Record<string, unknown>)[k], v, tol, `${path}.${k}`);
  } else {
    expect(actual, path).toEqual(expected);
  }
}

describe('npm run replay', () => {
  beforeAll(async () => {
    for (const s of scenarios) {
      for (const c of ['lfc', 'deadbeat']) {
        const code = await main([join(scenariosDir, s, 'scenario.json'), '--out', outDir(s, c), '--controller', c, '--quiet']);
        expect(code, `${s} with ${c}`).toBe(0);
      }
    }
  }, 120_000);

  it.each(scenarios.flatMap((s) => ['lfc', 'deadbeat'].map((c) => [s, c] as const)))('%s with %s writes the three files with every KPI field', (s, c) => {
    const doc = readKpi(s, c);
    expect(doc.format).toBe('lfc-kpi/1');
    expect(doc.runs.length).toBeGreaterThan(0);
    for (const run of doc.runs) {
      for (const f of RUN_FIELDS) expect(run, f).toHaveProperty(f);
      expect('targetKw' in run || 'schedule' in run).toBe(true);
      for (const f of ACCURACY) expect(run.accuracy, f).toHaveProperty(f);
      for (const f of RESPONSIVENESS) expect(run.responsiveness, f).toHaveProperty(f);
      for (const f of AVAILABILITY) expect(run.availability, f).toHaveProperty(f);
      expect(['duration-elapsed', 'superseded', 'operator-stop', 'flex-exhausted', 'fault', 'scenario-end']).toContain(run.endReason);
    }
    const csv = readFileSync(join(outDir(s, c), 'timeseries.csv'), 'utf8').trim().split('\n');
    const header = csv[0]!.split(',');
    expect(header.slice(0, 7)).toEqual(['time', 'runId', 'sensorStatus', 'arrivalDelayS', 'acceptedByEms', 'measuredBreakerKw', 'targetBreakerKw']);
    expect(header).toContain('bess.setpointKw');
    expect(header).toContain('bess.powerKw');
    expect(header).toContain('bess.socPct');
    // One row per breaker sample of the scenario.
    const scenario = JSON.parse(readFileSync(join(scenariosDir, s, 'scenario.json'), 'utf8')) as { start: string; end: string; measurement: { breakerPeriodS: number } };
    const expectedRows = (Date.parse(scenario.end) - Date.parse(scenario.start)) / 1000 / scenario.measurement.breakerPeriodS;
    expect(csv.length - 1).toBe(expectedRows);
    for (const line of csv.slice(1, 50)) expect(line.split(',').length).toBe(header.length);
    expect(readEvents(s, c).length).toBeGreaterThan(0);
  });

  it.each(scenarios.flatMap((s) => ['lfc', 'deadbeat'].map((c) => [s, c] as const)))('%s with %s: the KPIs recompute from the stored files', (s, c) => {
    const doc = readKpi(s, c);
    const csv = readFileSync(join(outDir(s, c), 'timeseries.csv'), 'utf8');
    const again = recomputeKpis(csv, doc as unknown as KpiDocumentLike);
    for (const run of doc.runs as unknown as Array<KpiRun & { runId: string }>) {
      const k = again.get(run.runId)!;
      // timeseries.csv keeps 0.1 W and 0.1 ms: the figures agree to that resolution.
      expectClose(k.accuracy, run.accuracy, 1e-3);
      expectClose(k.responsiveness, run.responsiveness, 1e-3);
      expectClose(k.availability, run.availability, 1e-3);
    }
  });

  it('summer-flex-exhaustion ends with flex-exhausted, with either controller', () => {
    for (const c of ['lfc', 'deadbeat']) {
      const doc = readKpi('summer-flex-exhaustion', c);
      expect(doc.runs[0]!.endReason).toBe('flex-exhausted');
      expect(doc.runs[0]!.availability.actualExhaustionAt).not.toBeNull();
      expect(readEvents('summer-flex-exhaustion', c).some((e) => e.type === 'flex-exhausted')).toBe(true);
    }
  });

  it('faults-and-bad-data: lfc notices every injected fault in events.jsonl', () => {
    const events = readEvents('faults-and-bad-data', 'lfc');
    const injected = events.filter((e) => e.type === 'fault-injected');
    expect(injected.map((e) => e.data?.kind)).toEqual([
      'breakerSensorDropout',
      'breakerSensorNaN',
      'breakerSensorStuck',
      'assetOffline',
      'assetSetpointRejected',
    ]);
    const noticedAfter = (kind: string, types: string[]): boolean => {
      const at = Date.parse(injected.find((e) => e.data?.kind === kind)!.time);
      const until = at + ((injected.find((e) => e.data?.kind === kind)!.data?.durationS as number) + 60) * 1000;
      return events.some((e) => types.includes(e.type) && Date.parse(e.time) >= at && Date.parse(e.time) <= until);
    };
    expect(noticedAfter('breakerSensorDropout', ['breaker-stale'])).toBe(true);
    expect(noticedAfter('breakerSensorNaN', ['breaker-invalid'])).toBe(true);
    expect(noticedAfter('breakerSensorStuck', ['breaker-stuck'])).toBe(true);
    expect(noticedAfter('assetOffline', ['ack-timeout', 'asset-lost'])).toBe(true);
    expect(noticedAfter('assetSetpointRejected', ['setpoint-rejected'])).toBe(true);
    // Nothing crashed: the run went to its end.
    expect(readKpi('faults-and-bad-data', 'lfc').runs[0]!.endReason).toBe('duration-elapsed');
  });

  it('the same scenario gives byte-identical files', async () => {
    const again = join(outRoot, 'again');
    expect(await main([join(scenariosDir, 'faults-and-bad-data', 'scenario.json'), '--out', again, '--quiet'])).toBe(0);
    for (const f of ['kpi.json', 'timeseries.csv', 'events.jsonl']) {
      expect(readFileSync(join(again, f), 'utf8'), f).toBe(readFileSync(join(outDir('faults-and-bad-data', 'lfc'), f), 'utf8'));
    }
  });

  it('a bad scenario exits 2 and names the place and the reason', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lfc-bad-'));
    cpSync(join(scenariosDir, 'summer-export-hold'), dir, { recursive: true });
    const file = join(dir, 'scenario.json');
    const json = JSON.parse(readFileSync(file, 'utf8')) as { assets: Array<Record<string, unknown>> };
    json.assets[0]!.energyKwh = -5;
    writeFileSync(file, JSON.stringify(json));
    const errors: string[] = [];
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string) => {
      errors.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      expect(await main([file, '--out', join(dir, 'out')])).toBe(2);
    } finally {
      process.stderr.write = write;
    }
    expect(errors.join('')).toContain('assets[0].energyKwh');
    expect(errors.join('')).toContain('-5');
  });

  it('bad arguments exit 2', async () => {
    const write = process.stderr.write.bind(process.stderr);
    process.stderr.write = (() => true) as typeof process.stderr.write;
    try {
      expect(await main([])).toBe(2);
      expect(await main([join(scenariosDir, 'summer-export-hold', 'scenario.json'), '--out', outRoot, '--controller', 'pid'])).toBe(2);
      expect(await main([join(scenariosDir, 'summer-export-hold', 'scenario.json'), '--out', outRoot, '--speed', '-3'])).toBe(2);
      expect(await main([join(scenariosDir, 'summer-export-hold', 'scenario.json'), '--out', outRoot, '--controller', 'bound', '--time-limit', '0'])).toBe(2);
    } finally {
      process.stderr.write = write;
    }
  });

  it('--controller bound writes the limit of every run, for the same requested spans, never below lfc or deadbeat', async () => {
    for (const name of ['summer-export-hold', 'winter-island-then-import-packages']) {
      const dir = outDir(name, 'bound');
      expect(await main([join(scenariosDir, name, 'scenario.json'), '--out', dir, '--controller', 'bound', '--time-limit', '5', '--quiet'])).toBe(0);
      const bound = JSON.parse(readFileSync(join(dir, 'kpi.json'), 'utf8')) as { format: string; runs: Array<{ availability: Record<string, number | string | null>; bound: { status: string } }> };
      expect(bound.format).toBe('lfc-bound/1');
      for (const c of ['lfc', 'deadbeat']) {
        const runs = readKpi(name, c).runs;
        expect(bound.runs.length, `${name} ${c}`).toBe(runs.length);
        runs.forEach((run, i) => {
          const b = bound.runs[i]!.availability;
          for (const k of ['requestedStartAt', 'requestedEndAt', 'requestedS', 'requestedBasis']) expect(b[k], `${name} ${c} ${k}`).toEqual(run.availability[k]);
          expect(run.availability.heldS as number).toBeLessThanOrEqual((b.heldS as number) + 1e-6);
          expect(b.heldAchievedS as number).toBeLessThanOrEqual((b.heldS as number) + 1e-9);
        });
      }
      // bound.csv: one row per breaker sample of every run; its held flags add up to the achieved held
      // time (each sample one 10-s step, the last one cut at the requested end).
      const rows = readFileSync(join(dir, 'bound.csv'), 'utf8').trim().split('\n');
      expect(rows[0]).toBe('run,time,errorKw,held');
      bound.runs.forEach((r, i) => {
        const held = rows.filter((l) => l.startsWith(`run-${String(i + 1).padStart(3, '0')},`) && l.endsWith(',1')).length;
        expect(held * 10).toBeGreaterThanOrEqual(r.availability.heldAchievedS as number);
        expect(held * 10).toBeLessThan((r.availability.heldAchievedS as number) + 10);
      });
    }
  }, 120_000);
});
