/**
 * The console's live session and `npm run replay` are one simulation (`ScenarioSimulation`): with the
 * scenario's own triggers, the live session must give exactly the replay's breaker and runs.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

import type { RunRecord } from '../../../src-main/engine/engine';
import type { BreakerSample, EngineEvent } from '../../../src-main/engine/model';
import { LiveSimulation } from '../../../src-main/core/live-simulation';
import { loadProfileLibraryFromResources } from '../../../src-main/node/load-profiles';
import { resourcesDir } from '../../../src-main/node/paths';
import { loadScenarioFile } from '../../../src-main/node/scenario-file';
import { ReplaySession } from '../../../src-main/replay/replay';

describe('LiveSimulation', () => {
  it('with the scenario triggers, gives what the replay gives, sample for sample', async () => {
    const loaded = await loadScenarioFile(join(resourcesDir(), 'scenarios', 'faults-and-bad-data', 'scenario.json'));
    const inputs = { ...loaded, loadProfiles: loadProfileLibraryFromResources(resourcesDir()), controller: 'deadbeat' as const };
    const replay = new ReplaySession(inputs).finish();

    const samples: BreakerSample[] = [];
    const events: EngineEvent[] = [];
    const ended: RunRecord[] = [];
    const live = new LiveSimulation(
      { ...inputs, withScenarioTriggers: true },
      { onBreakerSampleTaken: () => {}, onBreakerSample: (s) => samples.push(s), onAssetReport: () => {}, onEvent: (e) => events.push(e), onRunEnded: (r) => ended.push(r) },
    );
    // In uneven slices, as the console's pacing advances it.
    for (let i = 0; !live.done; i++) live.advance(1 + (i % 7) * 53);
    live.clock.runUntil(live.plant.endMs - 1);
    live.finish();

    const delivered = replay.breaker.sentKw.filter((kw) => Number.isFinite(kw));
    expect(samples.length).toBeGreaterThan(100);
    expect(samples.map((s) => s.powerKw).filter((kw) => Number.isFinite(kw))).toEqual(Array.from(delivered));
    expect(live.engine.runs.map((r) => [r.runId, r.endReason, r.kpis?.accuracy.maeKw])).toEqual(replay.runs.map((r) => [r.runId, r.endReason, r.kpis?.accuracy.maeKw]));
    expect(ended.map((r) => r.runId)).toEqual(replay.runs.map((r) => r.runId));
    const brief = (e: EngineEvent): string => `${e.timeMs} ${e.type} ${e.assetId ?? ''} ${e.message}`;
    expect(events.map(brief).sort()).toEqual(replay.events.map(brief).sort());
  });
});
