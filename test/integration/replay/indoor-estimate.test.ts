/**
 * The engine's estimate of each house's indoor temperature between its 15-minute reports, against the
 * plant's truth over whole replays (a hot summer day, where the heat pumps cannot cool, and a winter day).
 */
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

import { loadProfileLibraryFromResources } from '../../../src-main/node/load-profiles.js';
import { resourcesDir } from '../../../src-main/node/paths.js';
import { loadScenarioFile } from '../../../src-main/node/scenario-file.js';
import { loadLpSolver } from '../../../src-main/node/solver.js';
import { ReplaySession } from '../../../src-main/replay/replay.js';

describe('indoor temperature between reports', () => {
  it.each(['summer-flex-exhaustion', 'winter-island-then-import-packages'])('%s: within a few hundredths of a kelvin of the truth, every minute, every house', async (name) => {
    const loaded = await loadScenarioFile(resolve(resourcesDir(), 'scenarios', name, 'scenario.json'));
    const session = new ReplaySession({ ...loaded, loadProfiles: loadProfileLibraryFromResources(resourcesDir()), controller: 'lfc', solver: await loadLpSolver() });
    const pumps = session.plant.members.filter((m) => m.kind === 'heatPump');
    expect(pumps.length).toBeGreaterThan(0);
    let n = 0;
    let absSum = 0;
    let sum = 0;
    while (!session.done) {
      session.advance(60);
      for (const m of pumps) {
        const errorK = session.engine.heatPumpIndoorEstimateC(m.id)! - session.plant.heatPumps[m.index]!.indoorC;
        absSum += Math.abs(errorK);
        sum += errorK;
        n++;
      }
    }
    // The last report alone is off by 0.045 K (summer) and 0.09 K (winter) on average.
    expect(absSum / n).toBeLessThan(0.02);
    expect(Math.abs(sum / n)).toBeLessThan(0.015);
  }, 60_000);
});
