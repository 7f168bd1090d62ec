/**
 * The one composition both hosts use: the timers it starts (and stops at close), the channels bound to its
 * services, and nothing moving after close.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { createCoreHandlers, invokeChannel } from '../../../../src-main/core/handlers';
import { createCoreServices } from '../../../../src-main/core/services/core-services';
import type { WallTimers } from '../../../../src-main/core/services/host-ports';
import { resourcesDir } from '../../../../src-main/node/paths';
import { INVOKE_CHANNELS } from '../../../../src-main/shared/ipc-contract';
import { openHistoryStore } from '../../../../src-main/storage/history-store';

const dir = mkdtempSync(join(tmpdir(), 'lfc-core-services-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

class TimerWall implements WallTimers {
  t = 0;
  live = new Map<number, { fn: () => void; ms: number }>();
  private next = 1;
  now(): number {
    return this.t;
  }
  setInterval(fn: () => void, ms: number): unknown {
    const id = this.next++;
    this.live.set(id, { fn, ms });
    return id;
  }
  clearInterval(handle: unknown): void {
    this.live.delete(handle as number);
  }
}

describe('createCoreServices', () => {
  it('starts the pacing and 1 Hz timers, binds every channel, and stops all at close', async () => {
    const history = openHistoryStore({ file: ':memory:' });
    const wall = new TimerWall();
    const services = createCoreServices({ resourcesDirPath: resourcesDir(), dataDirPath: dir, history, appVersion: 't', wall, loadSolver: null });
    expect([...wall.live.values()].map((t) => t.ms).sort((a, b) => a - b)).toEqual([50, 1000]);

    const handlers = createCoreHandlers({ services }, { appInfo: () => ({ name: 'x', version: '0', electronVersion: null, platform: 'linux' }), resourcesRootPath: join(resourcesDir(), '..') });
    expect(Object.keys(handlers).sort()).toEqual([...INVOKE_CHANNELS].sort());
    const started = await invokeChannel(handlers, 'core:startSimulator', [{ speed: 60 }]);
    expect(started).toMatchObject({ ok: true, value: { status: 'running' } });

    const lives: string[] = [];
    services.subscribe((channel) => lives.push(channel));
    const t0 = services.live.nowMs()!;
    wall.t += 1000;
    for (const t of wall.live.values()) t.fn();
    expect(services.live.nowMs()! - t0).toBe(60_000);
    expect(lives).toEqual(['core:onLive']);

    services.close();
    services.close();
    expect(wall.live.size).toBe(0);
    services.pump();
    services.publishLive();
    expect(lives).toEqual(['core:onLive']);
    expect(services.live.getState().status).toBe('idle');
    history.close();
  });
});
