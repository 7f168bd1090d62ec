/**
 * The breaker meter's wire faults through the lab rig (summer-export-hold, 10:58–11:08 local at 60×, the
 * operator's −250 kW request from 11:00): the grid operator's platform sends the meter's values 10× too large
 * for 90 s (a CT-ratio error: −2,500 kW at a 630 kW connection), then, for 90 s, re-sends every sample's
 * predecessor after it (out of order). The EMS must take neither for a measurement: the scaled values are
 * `breaker-implausible` (kept as gaps) and control resumes on good samples; the late ones never reach the
 * record (the run's samples stay in time order) and control goes on meanwhile.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunRecord } from '../../../src-main/engine/engine.js';
import { LabSession } from '../../../src-main/lab/lab-session.js';
import { loadProfileLibraryFromResources } from '../../../src-main/node/load-profiles.js';
import { resourcesDir } from '../../../src-main/node/paths.js';
import { loadScenarioFile } from '../../../src-main/node/scenario-file.js';
import type { RuntimeEvent } from '../../../src-main/runtime/ems-runtime.js';

const local = (hhmm: string) => Date.parse(`2026-06-21T${hhmm}:00+02:00`);
const SCALE_FROM = local('11:02');
const SCALE_TO = SCALE_FROM + 90_000;
const REORDER_FROM = local('11:05');
const REORDER_TO = REORDER_FROM + 90_000;

let session: LabSession;
const events: RuntimeEvent[] = [];
let run: RunRecord;

beforeAll(async () => {
  const loaded = await loadScenarioFile(resolve(resourcesDir(), 'scenarios/summer-export-hold/scenario.json'));
  const forecastJson = await readFile(resolve(loaded.dir, 'weather/forecast.json'), 'utf8');
  session = new LabSession(
    { ...loaded, forecastJson, loadProfiles: loadProfileLibraryFromResources(resourcesDir()) },
    {
      speed: 60,
      windowStartMs: local('10:58'),
      windowEndMs: local('11:08'),
      bessVia: 'modbus',
      onEvent: (e) => events.push(e),
      protocolFaults: [
        { atMs: SCALE_FROM, role: 'dso-platform', kind: 'scale10', durationS: 90 },
        { atMs: REORDER_FROM, role: 'dso-platform', kind: 'reorder', durationS: 90 },
      ],
    },
  );
  await session.start();
  await session.finished();
  await session.stop();
  run = session.ems!.engine.runs[0]!;
}, 90_000);

afterAll(async () => {
  await session?.stop();
});

const engineEvents = (type: string) => events.filter((e) => e.source === 'engine' && e.type === type);
const within = (t: number, from: number, to: number) => t >= from && t <= to;

describe('the breaker meter’s wire faults', () => {
  it('10× scaled values are implausible: said, kept as gaps, and control resumes after them', () => {
    const implausible = engineEvents('breaker-implausible').find((e) => within(e.timeMs, SCALE_FROM, SCALE_TO + 20_000));
    expect(implausible?.message).toMatch(/beyond 1260 kW .* a wrong scale or unit; ignored/);
    const s = run.samples;
    const during = s.sampleTimeMs.map((t, i) => [t, s.measuredKw[i]!] as const).filter(([t]) => within(t, SCALE_FROM + 15_000, SCALE_TO - 5_000));
    expect(during.length).toBeGreaterThan(5);
    for (const [, v] of during) expect(v).toBeNaN();
    expect(engineEvents('breaker-restored').find((e) => e.timeMs >= SCALE_TO)).toBeDefined();
  });

  it('samples re-sent out of order never reach the record: the run’s samples stay in time order and control goes on', () => {
    // The platform's long poll asks for samples after the last one (`after=`) and the connector drops any
    // that is not newer; what would still slip through, the engine drops as `breaker-out-of-order` (unit test).
    const t = run.samples.sampleTimeMs;
    for (let i = 1; i < t.length; i++) expect(t[i]!, `sample ${i}`).toBeGreaterThan(t[i - 1]!);
    expect(t.filter((x) => within(x, REORDER_FROM, REORDER_TO)).length).toBeGreaterThanOrEqual(8);
    expect(engineEvents('breaker-stale').filter((e) => within(e.timeMs, REORDER_FROM, REORDER_TO))).toEqual([]);
  });
});
