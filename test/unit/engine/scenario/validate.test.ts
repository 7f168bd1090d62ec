import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  allAssetNames,
  formatScenarioIssues,
  memberId,
  parseScenario,
  setpointTtlS,
  type ScenarioIssue,
} from '../../../../src-main/engine/scenario/index.js';

const SCENARIOS_DIR = fileURLToPath(new URL('../../../../resources/scenarios', import.meta.url));
const bundled = readdirSync(SCENARIOS_DIR).filter((d) => !d.startsWith('.'));

/* eslint-disable @typescript-eslint/no-explicit-any -- the tests mutate raw JSON on purpose */
function base(name = 'summer-export-hold'): any {
  return JSON.parse(readFileSync(join(SCENARIOS_DIR, name, 'scenario.json'), 'utf8'));
}

function issuesOf(mutate: (s: any) => void, name?: string): ScenarioIssue[] {
  const s = base(name);
  mutate(s);
  const r = parseScenario(JSON.stringify(s, null, 2));
  if (r.ok) throw new Error('expected the mutated scenario to be rejected');
  return r.issues;
}

const asText = (issues: ScenarioIssue[]) => issues.map((i) => `${i.path}: ${i.message}`);

describe('bundled scenarios', () => {
  it('finds all five', () => {
    expect(bundled.length).toBeGreaterThanOrEqual(5);
  });
  it.each(bundled)('%s parses with no issue', (name) => {
    const r = parseScenario(readFileSync(join(SCENARIOS_DIR, name, 'scenario.json'), 'utf8'));
    if (!r.ok) throw new Error(formatScenarioIssues(r.issues, name));
    expect(r.scenario.format).toBe('lfc-scenario/1');
  });
  it('fills defaults and keeps the values as written', () => {
    const r = parseScenario(readFileSync(join(SCENARIOS_DIR, 'winter-island-then-import-packages', 'scenario.json'), 'utf8'));
    if (!r.ok) throw new Error('should parse');
    const [island, stop, packages] = r.scenario.events;
    expect(island).toMatchObject({ useCase: 1, toleranceKw: 10 });
    expect(stop).toEqual({ at: '2026-02-24T12:00:00+01:00', useCase: 0 });
    expect(packages?.useCase === 3 && packages.schedule.length).toBe(2);
    expect(r.scenario.faults).toEqual([]);
  });
});

describe('malformed scenarios: one precise message each', () => {
  it('negative energyKwh', () => {
    expect(asText(issuesOf((s) => (s.assets[0].energyKwh = -5)))).toEqual(['assets[0].energyKwh: expected a positive number, got -5']);
  });

  it('unknown field typo: energyKwH', () => {
    const issues = issuesOf((s) => {
      s.assets[0].energyKwH = s.assets[0].energyKwh;
      delete s.assets[0].energyKwh;
    });
    expect(asText(issues)).toEqual([
      'assets[0].energyKwh: expected a positive number, but the field is missing',
      'assets[0].energyKwH: unknown field, did you mean "energyKwh"?',
    ]);
  });

  it('wrong asset kind', () => {
    expect(asText(issuesOf((s) => (s.assets[1].kind = 'battery')))).toEqual([
      'assets[1].kind: expected one of "bess", "householdStorage", "heatPump", "pv", "load", "series", got "battery"',
    ]);
  });

  it('use case 2 without targetKw', () => {
    expect(asText(issuesOf((s) => delete s.events[0].targetKw))).toEqual([
      'events[0].targetKw: expected a number, but the field is missing',
    ]);
  });

  it('time without offset', () => {
    expect(asText(issuesOf((s) => (s.start = '2026-06-21T09:00:00')))).toEqual([
      'start: expected an ISO 8601 date-time with offset, like "2026-06-21T09:00:00+02:00", got "2026-06-21T09:00:00"',
    ]);
  });

  it('end before start', () => {
    expect(asText(issuesOf((s) => (s.end = '2026-06-21T08:00:00+02:00')))).toContain(
      'end: expected a time after start (2026-06-21T09:00:00+02:00), got "2026-06-21T08:00:00+02:00"',
    );
  });

  it('socInit outside min/max', () => {
    expect(asText(issuesOf((s) => (s.assets[0].socInitPct = 95)))).toEqual([
      'assets[0].socInitPct: expected a value between socMinPct (10) and socMaxPct (90), got 95',
    ]);
  });

  it('pairedWith naming a missing load', () => {
    expect(asText(issuesOf((s) => (s.assets[6].pairedWith.load = 'households')))).toEqual([
      'assets[6].pairedWith.load: expected the id of a load asset, got "households" (no asset has that id)',
    ]);
  });

  it('pairedWith naming a load with too few members', () => {
    expect(asText(issuesOf((s) => (s.assets[6].pairedWith.load = 'farm')))).toEqual([
      'assets[6].pairedWith.load: expected a load asset with count ≥ 12 (this storage\'s count), got "farm" with count 3',
    ]);
  });

  it('fault naming a missing asset', () => {
    const issues = issuesOf((s) => (s.faults = [{ at: '2026-06-21T12:00:00+02:00', kind: 'assetOffline', asset: 'hs-13', durationS: 60 }]));
    expect(asText(issues)).toEqual([
      'faults[0].asset: expected the id of an asset or asset member, got "hs-13" (no such asset); "hs" has members hs-01 … hs-12',
    ]);
  });

  it('fault asset required for asset faults, refused for site faults', () => {
    const issues = issuesOf((s) => {
      s.faults = [
        { at: '2026-06-21T12:00:00+02:00', kind: 'assetOffline', durationS: 60 },
        { at: '2026-06-21T12:00:00+02:00', kind: 'breakerSensorNaN', asset: 'bess', durationS: 60 },
      ];
    });
    expect(asText(issues)).toEqual([
      'faults[0].asset: expected an id of letters, digits, "_", "." or "-" (starting with a letter or digit), but the field is missing',
      'faults[1].asset: field not allowed here',
    ]);
  });

  it('duplicate ids, including member ids', () => {
    const issues = issuesOf((s) => {
      s.assets[2].id = 'hh';
      s.assets.push({ ...s.assets[0], id: 'hs-03' });
    });
    expect(asText(issues)).toEqual([
      'assets[2].id: expected a unique id, got "hh" (already the id of assets[1])',
      'assets[8].id: expected a unique id, got "hs-03" (already the id of member 3 of assets[6] "hs")',
    ]);
  });

  it('schedule packages overlapping', () => {
    const issues = issuesOf((s) => (s.events[2].schedule[1].from = '2026-02-24T15:00:00+01:00'), 'winter-island-then-import-packages');
    expect(asText(issues)).toEqual([
      'events[2].schedule[1].from: expected a time at or after the end of schedule[0] (2026-02-24T15:30:00+01:00): packages must be in time order and not overlap, got "2026-02-24T15:00:00+01:00"',
    ]);
  });

  it('import package with a negative target (use case 3 imports only)', () => {
    const issues = issuesOf((s) => (s.events[2].schedule[0].targetKw = -50), 'winter-island-then-import-packages');
    expect(asText(issues)).toEqual(['events[2].schedule[0].targetKw: expected an import target ≥ 0 kW, got -50']);
  });

  it('target above the connection limit', () => {
    expect(asText(issuesOf((s) => (s.events[0].targetKw = -700)))).toEqual([
      'events[0].targetKw: expected a target within ±630 kW (site.connectionLimitKw), got -700',
    ]);
  });

  it('package target above the connection limit', () => {
    const issues = issuesOf((s) => (s.events[2].schedule[0].targetKw = 631), 'winter-island-then-import-packages');
    expect(asText(issues)).toEqual(['events[2].schedule[0].targetKw: expected a target within ±630 kW (site.connectionLimitKw), got 631']);
  });

  it('events out of order and outside the run; startAt before at', () => {
    const issues = issuesOf((s) => {
      s.events[0].startAt = '2026-01-20T14:00:00+01:00';
      s.events.push({ at: '2026-01-20T14:30:00+01:00', useCase: 0 });
      s.events.push({ at: '2026-01-20T21:00:00+01:00', useCase: 0 });
    }, 'winter-evening-import');
    expect(asText(issues)).toEqual([
      'events[0].startAt: expected a time at or after at (2026-01-20T15:00:00+01:00), got "2026-01-20T14:00:00+01:00"',
      'events[1].at: expected a time after events[0].at (2026-01-20T15:00:00+01:00), got "2026-01-20T14:30:00+01:00"',
      'events[2].at: expected a time inside the scenario [2026-01-20T12:00:00+01:00, 2026-01-20T21:00:00+01:00), got "2026-01-20T21:00:00+01:00"',
    ]);
  });

  it('stepS must divide the breaker and BESS periods', () => {
    const issues = issuesOf((s) => {
      s.stepS = 3;
    });
    expect(asText(issues)).toEqual([
      'measurement.breakerPeriodS: expected a whole multiple of stepS (3 s), got 10',
      'control.bessPeriodS: expected a whole multiple of stepS (3 s), got 10',
    ]);
  });

  it('heat pump band and unknown use case and series unit', () => {
    const issues = issuesOf((s) => {
      s.assets[7].thermal.setpointC = 23;
      s.events[0].useCase = 7;
      s.assets.push({ kind: 'series', id: 'meter', file: 'm.csv', column: 'p', unit: 'W', interpolation: 'hold' });
    });
    expect(asText(issues)).toEqual([
      'assets[8].unit: expected "kW", got "W"',
      'events[0].useCase: expected one of 0, 1, 2, 3, 4, got 7',
      'assets[7].thermal.setpointC: expected a value between indoorMinC (20) and indoorMaxC (22.5), got 23',
    ]);
  });

  it('several errors at once are reported together', () => {
    const issues = issuesOf((s) => {
      s.format = 'lfc-scenario/2';
      s.assets[0].energyKwh = -5;
      s.assets[0].roundTripEfficiency = 1.2;
      s.assets[4].lossesPct = 'fourteen';
      s.site.connectionLimitKw = 0;
      s.end = '2026-06-21T08:00:00+02:00';
      s.faults = [{ at: '2026-06-21T12:00:00+02:00', kind: 'assetOffline', asset: 'nope', durationS: -1 }];
    });
    expect(asText(issues)).toEqual([
      'format: expected "lfc-scenario/1", got "lfc-scenario/2"',
      'site.connectionLimitKw: expected a positive number, got 0',
      'assets[0].energyKwh: expected a positive number, got -5',
      'assets[0].roundTripEfficiency: expected an efficiency in (0, 1], got 1.2',
      'assets[4].lossesPct: expected a percentage in 0..100 (exclusive of 100), got "fourteen"',
      'faults[0].durationS: expected a positive number, got -1',
      // Cross-field checks come after the shape checks; events are not checked against a broken span.
      'end: expected a time after start (2026-06-21T09:00:00+02:00), got "2026-06-21T08:00:00+02:00"',
      'faults[0].asset: expected the id of an asset or asset member, got "nope" (no such asset)',
    ]);
  });

  it('JSON syntax error gives line and column', () => {
    const text = '{\n  "format": "lfc-scenario/1",\n  "name": "x"\n  "site": {}\n}';
    const r = parseScenario(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(formatScenarioIssues(r.issues, 'scenario.json')).toBe(
      `scenario.json: line 4, column 3: invalid JSON: expected ',' or '}' after a property value, got '"'`,
    );
  });

  it.each([
    ['{\n  "format": ', 'line 2, column 13: invalid JSON: expected a value, got the end of the file'],
    ['{\n  "a": [1, 2,]\n}', "line 2, column 14: invalid JSON: expected a value, got ']'"],
    ["{\n  'a': 1\n}", `line 2, column 3: invalid JSON: expected a property name in double quotes, got '''`],
    ['{"a": "x\ny"}', 'line 1, column 9: invalid JSON: line break or control character inside a string'],
    ['{} {}', "line 1, column 4: invalid JSON: expected the end of the file after the JSON value, got '{'"],
  ])('JSON syntax error in %j', (text, expected) => {
    const r = parseScenario(text);
    expect(r.ok ? [] : r.issues.map((i) => `${i.path}: ${i.message}`)).toEqual([expected]);
  });
});

describe('helpers', () => {
  it('formats one line per issue with the file name', () => {
    expect(
      formatScenarioIssues(
        [
          { path: 'assets[3].energyKwh', message: 'expected a positive number, got -5' },
          { path: '', message: 'whole-file problem' },
        ],
        'scenario.json',
      ),
    ).toBe('scenario.json: assets[3].energyKwh: expected a positive number, got -5\nscenario.json: whole-file problem');
  });

  it('names members with at least two digits, wider for large counts', () => {
    expect(memberId('hs', 3, 12)).toBe('hs-03');
    expect(memberId('hh', 7, 120)).toBe('hh-007');
  });

  it('lists all asset names and resolves setpoint TTL defaults', () => {
    const r = parseScenario(readFileSync(join(SCENARIOS_DIR, 'faults-and-bad-data', 'scenario.json'), 'utf8'));
    if (!r.ok) throw new Error('should parse');
    const names = allAssetNames(r.scenario);
    expect(names).toContain('hs-03');
    expect(names).toContain('hh-120');
    expect(new Set(names).size).toBe(names.length);
    const [bess] = r.scenario.assets;
    const hs = r.scenario.assets.find((a) => a.kind === 'householdStorage');
    if (bess?.kind !== 'bess' || hs?.kind !== 'householdStorage') throw new Error('fixture changed');
    expect(setpointTtlS(r.scenario, bess)).toBe(60);
    expect(setpointTtlS(r.scenario, hs)).toBe(1800);
  });

  it('accepts the product extensions and rejects a bad country code', () => {
    const ok = base();
    ok.site.country = 'IT';
    ok.assets[0].setpointTtlS = 30;
    expect(parseScenario(JSON.stringify(ok)).ok).toBe(true);
    expect(asText(issuesOf((s) => (s.site.country = 'Italy')))).toEqual([
      'site.country: expected an ISO 3166-1 alpha-2 country code such as "DE", got "Italy"',
    ]);
  });
});
