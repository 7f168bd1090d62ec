/** The Replay view's service: starts both sides, paces them, says when it ends, and stops on request. */
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { CoreEvents } from '../../../../src-main/core/services/host-ports';
import { Pacer } from '../../../../src-main/core/services/pacer';
import { ReplayService } from '../../../../src-main/core/services/replay';
import { ScenarioFiles } from '../../../../src-main/core/services/scenario-files';
import { resourcesDir } from '../../../../src-main/node/paths';
import type { ReplayState } from '../../../../src-main/shared/ipc-contract';
import { FakeWall } from './fakes';

const scenarioPath = join(resourcesDir(), 'scenarios', 'summer-export-hold', 'scenario.json');

function make() {
  const wall = new FakeWall();
  const events = new CoreEvents();
  const progress: ReplayState[] = [];
  events.subscribe((channel, payload) => {
    if (channel === 'replay:onProgress') progress.push(payload as ReplayState);
  });
  const files = new ScenarioFiles({ resourcesDirPath: resourcesDir(), allowedFileRoots: [resourcesDir()], loadSolver: null });
  const replay = new ReplayService({ files, events, pacer: new Pacer(wall, { maxSliceWallMs: 1e9, maxStepsPerTick: 1e9 }), wall });
  return { wall, replay, progress };
}

describe('ReplayService', () => {
  it('paces a replay at its speed and publishes its progress while it runs', async () => {
    const { wall, replay, progress } = make();
    expect(replay.getState().status).toBe('idle');
    const started = await replay.start({ scenarioPath, speed: 600 });
    expect(started).toMatchObject({ status: 'running', scenario: 'summer-export-hold', progress: 0 });
    expect(started.sides.map((s) => s.controller)).toEqual(['lfc', 'deadbeat']);
    wall.t += 1000;
    replay.pump();
    expect(replay.getState().nowMs! - started.nowMs!).toBeGreaterThanOrEqual(590_000);
    replay.publish();
    expect(progress.at(-1)?.status).toBe('running');
    expect(replay.stop().status).toBe('idle');
    replay.publish();
    expect(progress).toHaveLength(1);
  });

  it("runs to the end at 'max' and says so once", async () => {
    const { replay, progress } = make();
    await replay.start({ scenarioPath, speed: 'max' });
    replay.pump();
    expect(replay.getState()).toMatchObject({ status: 'done', progress: 1 });
    expect(progress.map((p) => p.status)).toEqual(['done']);
    expect(replay.stop().status).toBe('done');
  });

  it('refuses a scenario outside its folders', async () => {
    const { replay } = make();
    await expect(replay.start({ scenarioPath: '/etc/passwd', speed: 1 })).rejects.toMatchObject({ code: 'BAD_REQUEST' });
  });
});
