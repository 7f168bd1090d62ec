/**
 * The 10 s BESS loop: exhaustion, heat-pump lock and package-step feed-forwards.
 * Tables of events in and commands/events out, on a virtual clock (time is leapt, never slept).
 */
import { describe, expect, it } from 'vitest';
import { controllerByName } from '../../../../src-main/engine/controllers.js';
import { AssetBook } from '../../../../src-main/engine/parts/asset-book.js';
import { BessLoop } from '../../../../src-main/engine/parts/bess-loop.js';
import { BreakerGuard } from '../../../../src-main/engine/parts/breaker-guard.js';
import { CommandChannel } from '../../../../src-main/engine/parts/command-channel.js';
import type { SetpointCommand } from '../../../../src-main/engine/model.js';
import { newRunRecord } from '../../../../src-main/engine/parts/run-recorder.js';
import { harness, loopDeps, partContext, T0 } from './harness.js';

describe('Engine BESS loop: flexibility short and exhausted', () => {
  it('ends the run flex-exhausted when the BESS is at its limit and the error persists', () => {
    const h = harness();
    h.setBess(0, 90); // full: cannot charge
    h.trigger({ targetKw: -100 });
    h.run(120, () => -150); // too much export; the BESS would have to charge
    expect(h.types()).toContain('flex-exhaustion-warning');
    expect(h.types()).toContain('flex-exhausted');
    expect(h.engine.runs[0]!.endReason).toBe('flex-exhausted');
  });

  it('keeps the run in force while the BESS is only at its power limit, and ends it once it is full', () => {
    // gen-s1-0024/run-001: a two-minute cloud had the BESS at its power limit for 60 s and ended a run the
    // bound holds 97 % of at 15 %. A shortage at the power limit passes; only a store at its limit is out.
    const h = harness();
    h.trigger({ targetKw: -100, durationS: 900 });
    h.setBess(300, 50); // charging at its 300 kW rating, half full
    h.run(180, () => -600); // 500 kW too much export for three minutes
    expect(h.types()).toContain('flex-exhaustion-warning');
    expect(h.types()).not.toContain('flex-exhausted');
    expect(h.engine.activeRun?.runId).toBe('run-001');
    h.setBess(0, 50);
    h.run(120, () => -100); // the shortage passes: held again, same run
    expect(h.engine.activeRun?.runId).toBe('run-001');
    // Full while the surplus is back: exhausted, after the confirmation time counted from being full.
    h.setBess(300, 90);
    h.run(50, () => -600);
    expect(h.types()).not.toContain('flex-exhausted');
    h.run(30, () => -600);
    expect(h.types()).toContain('flex-exhausted');
    expect(h.engine.runs[0]!.endReason).toBe('flex-exhausted');
  });

  it('ends the run when the BESS stays at its power limit for a whole dispatch period', () => {
    const h = harness();
    h.trigger({ targetKw: -100, durationS: 3600 });
    h.setBess(300, 50);
    h.run(880, () => -600);
    expect(h.types()).not.toContain('flex-exhausted');
    h.run(40, () => -600);
    expect(h.types()).toContain('flex-exhausted');
    expect(h.engine.runs[0]!.endReason).toBe('flex-exhausted');
  });
});

describe('Engine BESS loop: heat-pump minimum-time switches', () => {
  const hp = (id: string) => ({ id, powerKw: 4.5, cop: 3, capacityKwhPerK: 8, lossKwPerK: 0.18, indoorInitC: 21, indoorMinC: 19.5, indoorMaxC: 22.5, minOnS: 900, minOffS: 900 });

  it('counters a locked fleet’s switch with the BESS by the breaker sample that first shows it, not before', () => {
    const h = harness({ controller: 'lfc', dispatchPeriodS: 900, heatPumps: [hp('hp-01'), hp('hp-02')] });
    // Last reports: on for an hour, free to switch (stale: the thermostats have switched both off and on since).
    for (const id of ['hp-01', 'hp-02']) h.engine.handleAssetReport({ assetId: id, sampleMs: T0, arrivalMs: T0, powerKw: 4.5, on: true, indoorC: 21, msSinceSwitch: 3_600_000 });
    h.setBess(-200);
    h.run(20, () => 0);
    h.trigger({ targetKw: 0 });
    h.run(30, () => 0);
    const hpOff = h.writes.filter((w) => w.assetId.startsWith('hp-') && w.powerKw === 0);
    expect(hpOff.length).toBe(2);
    // The BESS discharges: fewer consumers are wanted, both are told off. A report then shows both still on,
    // switched on 600 s before it by their thermostats: locked for 300 s more.
    const reportMs = h.clock.nowMs();
    for (const id of ['hp-01', 'hp-02']) h.engine.handleAssetReport({ assetId: id, sampleMs: reportMs, arrivalMs: reportMs, powerKw: 4.5, on: true, indoorC: 21, msSinceSwitch: 600_000 });
    const lockEndMs = reportMs + 300_000;
    const before = h.bessWrites().length;
    h.run(280, () => 0);
    const lockWrites = () => h.bessWrites().slice(before).filter((w) => w.issuedMs > lockEndMs - 10_000 && w.issuedMs < lockEndMs);
    expect(lockWrites()).toEqual([]);
    h.run(40, () => 0);
    // One extra write inside the last breaker period before the switch shows, raising the BESS by the fleet's 9 kW.
    const extra = lockWrites().filter((w) => !h.bessWrites().slice(0, before).includes(w));
    expect(extra.length).toBeGreaterThanOrEqual(1);
    const ff = extra.at(-1)!;
    const prior = h.bessWrites().filter((w) => w.issuedMs < ff.issuedMs).at(-1)!;
    expect(ff.powerKw! - prior.powerKw!).toBeCloseTo(9, 6);
  });

  it('drops the counter when the EMS has released the pumps before the moment comes', () => {
    const h = harness({ controller: 'lfc', dispatchPeriodS: 900, heatPumps: [hp('hp-01')] });
    h.engine.handleAssetReport({ assetId: 'hp-01', sampleMs: T0, arrivalMs: T0, powerKw: 4.5, on: true, indoorC: 21, msSinceSwitch: 3_600_000 });
    h.setBess(-200);
    h.run(20, () => 0);
    h.trigger({ targetKw: 0, durationS: 120 });
    h.run(30, () => 0);
    expect(h.writes.filter((w) => w.assetId === 'hp-01' && w.powerKw === 0).length).toBe(1);
    const reportMs = h.clock.nowMs();
    h.engine.handleAssetReport({ assetId: 'hp-01', sampleMs: reportMs, arrivalMs: reportMs, powerKw: 4.5, on: true, indoorC: 21, msSinceSwitch: 600_000 });
    // The run ends after 120 s and everything is released: no feed-forward 300 s later.
    h.run(400, () => 0);
    expect(h.bessWrites().filter((w) => w.issuedMs > reportMs + 200_000 && w.powerKw !== null && w.powerKw !== 0)).toEqual([]);
  });
});

describe('Engine BESS loop: package steps', () => {
  it('moves the BESS by a package’s step ahead of the first breaker sample that shows it, not before the one before', () => {
    const h = harness({ controller: 'lfc' });
    h.run(20, () => 0);
    const startMs = h.clock.nowMs();
    const pkgFromMs = startMs + 300_000;
    h.trigger({ useCase: 3, targetKw: null, durationS: 900, schedule: [{ fromMs: pkgFromMs, toMs: startMs + 600_000, targetKw: 150 }] });
    h.run(330, () => 0);
    const ahead = h.bessWrites().filter((w) => w.issuedMs > pkgFromMs - 10_000 && w.issuedMs < pkgFromMs);
    // The loop's own write after the sample before the step, then the step itself.
    const step = ahead.at(-1)!;
    const before = h.bessWrites().filter((w) => w.issuedMs < step.issuedMs).at(-1)!;
    expect(step.powerKw! - before.powerKw!).toBeCloseTo(150, 6);
    // And the package's end, back by 150 kW, the same way.
    h.run(300, () => 0);
    const endMs = startMs + 600_000;
    const back = h.bessWrites().filter((w) => w.issuedMs > endMs - 10_000 && w.issuedMs < endMs).at(-1)!;
    const prior = h.bessWrites().filter((w) => w.issuedMs < back.issuedMs).at(-1)!;
    expect(back.powerKw! - prior.powerKw!).toBeCloseTo(-150, 6);
  });

  it('does nothing ahead for deadbeat, which is the reference without foresight', () => {
    const h = harness({ controller: 'deadbeat' });
    h.run(20, () => 0);
    const startMs = h.clock.nowMs();
    h.trigger({ useCase: 3, targetKw: null, durationS: 900, schedule: [{ fromMs: startMs + 300_000, toMs: startMs + 600_000, targetKw: 150 }] });
    h.run(330, () => 0);
    const ahead = h.bessWrites().filter((w) => w.issuedMs > startMs + 291_000 && w.issuedMs < startMs + 300_000);
    expect(ahead).toEqual([]);
  });
});

describe('BessLoop on its own', () => {
  function loopOf(responseDelayS: number) {
    const { ctx, clock } = partContext({ households: [{ id: 'hs-01', powerKw: 5, energyKwh: 10, socInitPct: 50, socMinPct: 5, socMaxPct: 95, roundTripEfficiency: 0.9, setpointTtlS: 1800, responseDelayS }] });
    const writes: SetpointCommand[] = [];
    const book = new AssetBook(ctx);
    const channel = new CommandChannel(ctx, { write: (cmd) => writes.push(cmd) }, book, () => null);
    const run = newRunRecord('run-001', { id: 'T', source: 'test', receivedMs: T0, startMs: T0, useCase: 2, targetKw: -100, durationS: 3600, toleranceKw: 10, schedule: null }, 'lfc', T0, []);
    const loop = new BessLoop(ctx, controllerByName('lfc'), book, channel, new BreakerGuard(ctx), loopDeps(() => run));
    return { loop, clock, writes, run, book };
  }

  it('keeps the BESS within its power and off a full or empty store', () => {
    const { loop, book } = loopOf(0);
    expect([loop.limited(500), loop.limited(-500), loop.limited(120)]).toEqual([300, -300, 120]);
    book.bess.socPct = 90;
    expect(loop.limited(50)).toBe(0);
    book.bess.socPct = 10;
    expect(loop.limited(-50)).toBe(0);
  });

  it('writes a dispatch feed-forward when the households act, and counts it pending only for samples before then', () => {
    const { loop, clock, writes, run } = loopOf(30);
    loop.feedForward(run, 40);
    clock.runUntil(T0 + 29_000);
    expect(writes).toEqual([]);
    clock.runUntil(T0 + 30_000);
    expect(writes.map((w) => [w.assetId, w.powerKw, w.issuedMs])).toEqual([['bess', 40, T0 + 30_000]]);
    expect(loop.pendingFeedForwardKw(T0 + 20_000)).toBe(40);
    expect(loop.pendingFeedForwardKw(T0 + 30_000)).toBe(0);
    // Pruned: an earlier sample no longer sees it either.
    expect(loop.pendingFeedForwardKw(T0 + 20_000)).toBe(0);
  });
});
