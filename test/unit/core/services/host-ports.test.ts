/** The contract's events: every listener hears each event, a failing one is logged and does not stop the others. */
import { describe, expect, it, vi } from 'vitest';

import { CoreEvents } from '../../../../src-main/core/services/host-ports';
import type { ReplayState } from '../../../../src-main/shared/ipc-contract';

const state: ReplayState = { status: 'idle', scenario: null, scenarioPath: null, speed: 1, progress: 0, nowMs: null, error: null, sides: [] };

describe('CoreEvents', () => {
  it('delivers to every listener, isolates a failing one, and stops after unsubscribe or clear', () => {
    const events = new CoreEvents();
    const heard: string[] = [];
    const error = vi.spyOn(console, 'error').mockImplementation(() => undefined);
    events.subscribe(() => {
      throw new Error('broken listener');
    });
    const off = events.subscribe((channel) => heard.push(`a:${channel}`));
    events.subscribe((channel) => heard.push(`b:${channel}`));
    events.emit('replay:onProgress', state);
    expect(heard).toEqual(['a:replay:onProgress', 'b:replay:onProgress']);
    expect(error).toHaveBeenCalledWith('[core] a replay:onProgress listener failed:', expect.any(Error));
    off();
    events.emit('replay:onProgress', state);
    expect(heard).toHaveLength(3);
    events.clear();
    events.emit('replay:onProgress', state);
    expect(heard).toHaveLength(3);
    error.mockRestore();
  });
});
