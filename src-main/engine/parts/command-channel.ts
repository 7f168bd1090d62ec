/**
 * The command channel: every setpoint the EMS sends, and what the answer (or its absence) means.
 *
 * It owns the command numbering, the last value written to each asset (acknowledged or not, so a release
 * also covers what is still in flight), the acknowledgement timeout of each write and the BESS's write
 * read-back. It keeps each asset's link in the asset book up to date (`ack-timeout`, `asset-lost`,
 * `setpoint-rejected`, restored), applies an acknowledged value to the book, and stamps a run's first
 * acknowledged setpoint (K02). Every write carries its expiry: a device nobody renews falls back by itself.
 */
import type { SetpointAck, SetpointCommand } from '../model.js';
import type { AssetBook } from './asset-book.js';
import type { EngineContext, EnginePorts, RunRecord } from './types.js';

export class CommandChannel {
  private commandSeq = 0;
  /** The last value written to each asset, acknowledged or not (null = released). */
  private readonly commanded = new Map<string, number | null>();
  /** The BESS's latest write read-back (power and when it was measured), for stale telemetry. */
  lastBessReadBack: { powerKw: number; sampleMs: number } | null = null;

  constructor(
    private readonly ctx: EngineContext,
    private readonly ports: Pick<EnginePorts, 'write'>,
    private readonly book: AssetBook,
    /** The run in force now (its id goes with every command). */
    private readonly currentRun: () => RunRecord | null,
  ) {}

  /** Whether the last value written to `assetId` was a setpoint (not a release, and not nothing). */
  isCommanded(assetId: string): boolean {
    return (this.commanded.get(assetId) ?? null) !== null;
  }

  /** Sends `powerKw` (null: release) to `assetId`, in force until `expiresMs`; `onOk` hears an accepting acknowledgement. */
  write(assetId: string, powerKw: number | null, expiresMs: number, why: string, onOk?: (ack: SetpointAck) => void): void {
    const ctx = this.ctx;
    const now = ctx.clock.nowMs();
    this.commanded.set(assetId, powerKw);
    const target = this.book.linkOf(assetId);
    const run = this.currentRun();
    const cmd: SetpointCommand = {
      commandId: `c${++this.commandSeq}`,
      assetId,
      issuedMs: now,
      powerKw,
      expiresMs,
      runId: run?.runId ?? null,
    };
    let answered = false;
    const cancelTimeout = ctx.clock.schedule(now + ctx.safety.ackTimeoutS * 1000, () => {
      if (answered || !target) return;
      const link = target.link;
      // A write sent during an outage times out after the asset has already answered a later one: the
      // link is back, and this silence is old news.
      if (link.lastAnsweredIssuedMs >= cmd.issuedMs) return;
      link.missedAcks++;
      if (link.missedAcks === 1) ctx.emit('ack-timeout', 'warning', `${assetId}: no acknowledgement within ${ctx.safety.ackTimeoutS} s (${why})`, {}, assetId);
      if (link.missedAcks >= ctx.safety.lostAfterMissedAcks && !link.lost) {
        link.lost = true;
        link.lostSinceMs = now;
        ctx.emit('asset-lost', 'error', `${assetId}: ${link.missedAcks} writes unanswered; counted as unavailable`, {}, assetId);
      }
    });
    this.ports.write(cmd, (ack) => {
      answered = true;
      cancelTimeout();
      if (!target) return;
      target.link.lastAnsweredIssuedMs = Math.max(target.link.lastAnsweredIssuedMs, cmd.issuedMs);
      if (ack.ok) {
        target.apply(powerKw);
        this.book.markAlive(assetId, target.link);
        if (target.link.rejecting) {
          target.link.rejecting = false;
          ctx.emit('asset-restored', 'info', `${assetId} accepts setpoints again`, {}, assetId);
        }
        if (ack.readBack && assetId === this.book.bess.config.id) {
          if (ack.readBack.socPct !== undefined && Number.isFinite(ack.readBack.socPct)) this.book.bess.socPct = ack.readBack.socPct;
          if (Number.isFinite(ack.readBack.powerKw)) this.lastBessReadBack = { powerKw: ack.readBack.powerKw, sampleMs: ack.readBack.sampleMs };
        }
        if (run && cmd.runId === run.runId && run.firstSetpointAckMs === null && powerKw !== null) run.firstSetpointAckMs = ack.ackMs;
        onOk?.(ack);
      } else {
        this.book.markAlive(assetId, target.link);
        if (!target.link.rejecting) {
          target.link.rejecting = true;
          ctx.emit('setpoint-rejected', 'warning', `${assetId} rejected a setpoint (${why}): ${ack.error ?? 'no reason given'}`, { powerKw }, assetId);
        }
      }
    });
  }

  /** Ends a lost BESS's run after `bessLostStopS` without an answer: true when that time has come. */
  bessLostTooLong(now: number): boolean {
    const l = this.book.bess.link;
    return l.lost && l.lostSinceMs !== null && now - l.lostSinceMs >= this.ctx.safety.bessLostStopS * 1000;
  }
}
