/**
 * The slot dispatcher on its own: when it dispatches at all, and the last-resort curtailment's window.
 * The plan-driven dispatch is covered through the Engine (bess-loop, asset-book) and the replay tests.
 */
import { describe, expect, it } from 'vitest';
import { controllerByName } from '../../../../src-main/engine/controllers.js';
import type { SetpointCommand, Trigger } from '../../../../src-main/engine/model.js';
import { AssetBook } from '../../../../src-main/engine/parts/asset-book.js';
import { BessLoop } from '../../../../src-main/engine/parts/bess-loop.js';
import { BreakerGuard } from '../../../../src-main/engine/parts/breaker-guard.js';
import { CommandChannel } from '../../../../src-main/engine/parts/command-channel.js';
import { newRunRecord, RunRecorder } from '../../../../src-main/engine/parts/run-recorder.js';
import { SlotDispatcher } from '../../../../src-main/engine/parts/slot-dispatcher.js';
import type { EngineConfig, RunRecord } from '../../../../src-main/engine/parts/types.js';
import { loopDeps, partContext, T0 } from './harness.js';

function dispatcher(over: Partial<EngineConfig> = {}) {
  const { ctx, clock, events } = partContext(over);
  const writes: SetpointCommand[] = [];
  const book = new AssetBook(ctx);
  const guard = new BreakerGuard(ctx);
  const channel = new CommandChannel(ctx, { write: (cmd) => writes.push(cmd) }, book, () => null);
  const recorder = new RunRecorder(ctx, book);
  const controller = controllerByName(ctx.config.controller);
  let run: RunRecord | null = null;
  let released: string[] = [];
  const loop = new BessLoop(ctx, controller, book, channel, guard, loopDeps(() => run));
  const d = new SlotDispatcher(ctx, controller, book, channel, loop, recorder, guard, {
    run: () => run,
    pendingTrigger: () => null,
    releaseAll: (why) => (released = [...released, why]),
  });
  const trigger: Trigger = { id: 'T', source: 'test', receivedMs: T0, startMs: T0, useCase: 2, targetKw: -100, durationS: 3600, toleranceKw: 10, schedule: null };
  return { d, clock, events, writes, start: () => (run = newRunRecord('run-001', trigger, controller.name, T0, [])), released: () => released };
}

describe('SlotDispatcher on its own', () => {
  it('dispatches nothing with no run in force and nothing announced', () => {
    const h = dispatcher({ households: [{ id: 'hs-01', powerKw: 5, energyKwh: 10, socInitPct: 50, socMinPct: 5, socMaxPct: 95, roundTripEfficiency: 0.9, setpointTtlS: 1800 }] });
    h.d.dispatch('slot');
    expect(h.writes).toEqual([]);
    expect(h.d.lastDispatchMs).toBe(-Infinity);
  });

  it('with a run and no planner, dispatches by fair share and records an exhaustion forecast and an energy check', () => {
    const h = dispatcher({ controller: 'lfc' });
    const run = h.start();
    h.d.dispatch('run start');
    expect(h.d.lastDispatchMs).toBe(T0);
    expect(run.exhaustionPredictions).toHaveLength(1);
    expect(h.d.planView()).toBeNull();
  });

  it('curtails every curtailable PV member to zero feed-in as a last resort, once per dispatch period', () => {
    const h = dispatcher({ curtailablePv: [{ id: 'pv-01', kwp: 10 }, { id: 'pv-02', kwp: 20 }] });
    h.d.curtailAllForShortage(T0);
    h.d.curtailAllForShortage(T0 + 60_000);
    expect(h.writes.map((w) => [w.assetId, w.powerKw, w.expiresMs])).toEqual([
      ['pv-01', 0, T0 + 1_800_000],
      ['pv-02', 0, T0 + 1_800_000],
    ]);
    expect(h.events.map((e) => e.data?.method)).toEqual(['curtail-all']);
    // The release of everything ends it.
    h.d.releaseControl('stop');
    expect(h.writes.slice(2).map((w) => [w.assetId, w.powerKw])).toEqual([['pv-01', null], ['pv-02', null]]);
  });
});
