/**
 * The command channel: acknowledgements, timeouts, rejections and the links they prove.
 * Tables of events in and commands/events out, on a virtual clock (time is leapt, never slept).
 */
import { describe, expect, it } from 'vitest';
import { harness, partContext, T0 } from './harness.js';
import { AssetBook } from '../../../../src-main/engine/parts/asset-book.js';
import { CommandChannel } from '../../../../src-main/engine/parts/command-channel.js';
import type { SetpointAck, SetpointCommand } from '../../../../src-main/engine/model.js';

describe('Engine command channel', () => {
  it('counts missing acknowledgements: ack-timeout, then asset-lost, then restored', () => {
    const h = harness();
    h.trigger({});
    h.setAck('silent');
    h.run(40, () => -100);
    expect(h.types()).toContain('ack-timeout');
    expect(h.types()).toContain('asset-lost');
    expect(h.engine.snapshot().assets[0]!.link).toBe('lost');
    h.setAck('ok');
    h.run(20, () => -100);
    expect(h.types()).toContain('asset-restored');
    expect(h.engine.snapshot().assets[0]!.link).toBe('ok');
  });

  it('logs a rejected write once per episode and takes the asset out of the band', () => {
    const h = harness();
    h.trigger({});
    h.setAck('reject');
    h.run(60, () => -100);
    expect(h.types().filter((t) => t === 'setpoint-rejected')).toHaveLength(1);
    expect(h.engine.snapshot().assets[0]!.link).toBe('rejecting');
  });

  it('a write that times out after the asset answered a later one does not lose the asset again', () => {
    const h = harness({ safety: { ackTimeoutS: 25 } });
    h.trigger({});
    // Writes issued during a short silence are answered never; the next one is answered.
    h.setAck('silent');
    h.run(20, () => -100);
    h.setAck('ok');
    h.run(60, () => -100);
    // The two silent writes' timeouts fall after the answered write: no ack-timeout, no asset-lost.
    expect(h.types()).not.toContain('asset-lost');
    expect(h.types()).not.toContain('ack-timeout');
    expect(h.engine.snapshot().assets[0]!.link).toBe('ok');
  });
});

describe('CommandChannel on its own', () => {
  it('numbers commands, remembers what was commanded, and loses an asset after two unanswered writes', () => {
    const { ctx, clock, events } = partContext();
    const book = new AssetBook(ctx);
    const sent: SetpointCommand[] = [];
    const channel = new CommandChannel(ctx, { write: (cmd) => sent.push(cmd) }, book, () => null);
    channel.write('bess', 50, T0 + 60_000, 'test');
    expect(channel.isCommanded('bess')).toBe(true);
    clock.runUntil(T0 + 6000);
    channel.write('bess', null, T0 + 60_000, 'test');
    expect(channel.isCommanded('bess')).toBe(false);
    clock.runUntil(T0 + 12_000);
    expect(sent.map((c) => [c.commandId, c.powerKw, c.expiresMs])).toEqual([['c1', 50, T0 + 60_000], ['c2', null, T0 + 60_000]]);
    expect(events.map((e) => e.type)).toEqual(['ack-timeout', 'asset-lost']);
    expect(book.bess.link.lost).toBe(true);
    expect(channel.bessLostTooLong(T0 + 6000 + 600_000)).toBe(true);
  });

  it('applies an accepted value and the BESS read-back; a rejection is said once and marks the link', () => {
    const { ctx, events } = partContext();
    const book = new AssetBook(ctx);
    let answer: (ack: SetpointAck) => void = () => {};
    const channel = new CommandChannel(ctx, { write: (_cmd, onAck) => (answer = onAck) }, book, () => null);
    channel.write('bess', 50, T0 + 60_000, 'test');
    answer({ commandId: 'c1', assetId: 'bess', ackMs: T0, ok: true, readBack: { powerKw: 48, socPct: 55, sampleMs: T0 } });
    expect([book.bess.setpointKw, book.bess.socPct, channel.lastBessReadBack]).toEqual([50, 55, { powerKw: 48, sampleMs: T0 }]);
    for (const id of ['c2', 'c3']) {
      channel.write('bess', 60, T0 + 60_000, 'test');
      answer({ commandId: id, assetId: 'bess', ackMs: T0, ok: false, error: 'no' });
    }
    expect(book.bess.link.rejecting).toBe(true);
    expect(events.map((e) => e.type)).toEqual(['setpoint-rejected']);
  });
});
