/**
 * Test fixtures for the OPC UA link: a small fake battery with its own (virtual) clock that records every
 * write the rig server passes to it, and helpers that wait for connector output (events, not sleeps; the
 * time limits are only failure guards).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from '../../../src-main/engine/clock.js';
import type { AssetReport } from '../../../src-main/engine/model.js';
import type { LinkEvent } from '../../../src-main/connectors/opcua/bess-client.js';
import type { AssetTelemetry } from '../../../src-main/engine/ports.js';
import type { BessDevice } from '../../../src-main/lab/opcua/bess-server.js';

export const T0_MS = Date.UTC(2026, 5, 21, 10, 0, 0);

export interface DeviceWrite {
  atMs: number;
  setpointKw: number | null;
  expiresMs: number;
  commandId: string | null;
  heartbeat: boolean;
}

/** A battery that follows its setpoint at once and reverts to 0 kW (default) when the setpoint expires. */
export class FakeBess implements BessDevice {
  idlePowerKw = 0;
  socPct = 55;
  refuse: string | null = null;
  readonly writes: DeviceWrite[] = [];
  private setpointKw: number | null = null;
  private expiresMs = 0;

  constructor(readonly clock: VirtualClock) {}

  nowMs(): number {
    return this.clock.nowMs();
  }

  /** The setpoint in force now, or null (released, or expired: the battery's own fallback). */
  inForce(): number | null {
    return this.setpointKw !== null && this.clock.nowMs() < this.expiresMs ? this.setpointKw : null;
  }

  read(): { powerKw: number; socPct: number; setpointKw: number | null; status: string } {
    const sp = this.inForce();
    return { powerKw: sp ?? this.idlePowerKw, socPct: this.socPct, setpointKw: sp, status: sp === null ? 'default' : 'dispatched' };
  }

  write(setpointKw: number | null, expiresMs: number, meta?: { commandId: string | null; heartbeat: boolean }): { ok: true } | { ok: false; error: string } {
    if (this.refuse) return { ok: false, error: this.refuse };
    this.writes.push({ atMs: this.clock.nowMs(), setpointKw, expiresMs, commandId: meta?.commandId ?? null, heartbeat: meta?.heartbeat ?? false });
    this.setpointKw = setpointKw;
    this.expiresMs = setpointKw === null ? 0 : expiresMs;
    return { ok: true };
  }

  /** Commits (not heartbeats) per command id. */
  commitsPerCommand(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const w of this.writes) if (!w.heartbeat && w.commandId) counts.set(w.commandId, (counts.get(w.commandId) ?? 0) + 1);
    return counts;
  }
}

export function tempDir(prefix: string): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), `lfc-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Resolves with the first report that satisfies `predicate`. */
export function nextReport(connector: AssetTelemetry, predicate: (r: AssetReport) => boolean = () => true, guardMs = 15_000): Promise<AssetReport> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no matching telemetry report within ${guardMs} ms`));
    }, guardMs);
    const off = connector.subscribe((r) => {
      if (!predicate(r)) return;
      clearTimeout(timer);
      off();
      resolve(r);
    });
  });
}

/** Collects link events and resolves waits on them. */
export class EventLog {
  readonly events: LinkEvent[] = [];
  private waiters: Array<{ type: LinkEvent['type']; after: number; resolve: (e: LinkEvent) => void }> = [];

  readonly onLinkEvent = (e: LinkEvent): void => {
    this.events.push(e);
    const index = this.events.length - 1;
    this.waiters = this.waiters.filter((w) => {
      if (w.type !== e.type || index < w.after) return true;
      w.resolve(e);
      return false;
    });
  };

  types(): string[] {
    return this.events.map((e) => e.type);
  }

  /** The first event of this type at or after index `after` (default: the first ever), or the next one to come. */
  waitFor(type: LinkEvent['type'], after = 0, guardMs = 20_000): Promise<LinkEvent> {
    const seen = this.events.slice(after).find((e) => e.type === type);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no '${type}' link event within ${guardMs} ms; got ${this.types().join(', ')}`)), guardMs);
      this.waiters.push({ type, after, resolve: (e) => (clearTimeout(timer), resolve(e)) });
    });
  }
}

export function newClock(): VirtualClock {
  return new VirtualClock(T0_MS);
}
