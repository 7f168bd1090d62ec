/**
 * The field EMS's uplink to the fleet: what the EMS records goes into the outbox (`outbox.ts`) and from
 * there, on its own path, to the broker (`publisher.ts`). The EMS calls `sample`, `event` and `run` from its
 * callbacks; each is an array push (committed by a 1 s timer, as the console's history is) and never
 * throws into the control path, and nothing here is ever awaited by the engine: control never depends on
 * the uplink.
 *
 * What goes out, named as in the console's history (`core/series.ts`):
 * - at every breaker sample: `breaker.measuredKw`, `breaker.targetKw`, `breaker.toleranceKw`,
 *   `flex.downKw`, `flex.upKw` and the BESS's `powerKw`, `setpointKw`, `socPct`; household storages and
 *   heat pumps (`powerKw`, `socPct`, `indoorC`) once a minute of EMS time;
 * - runs when they start and when they end (the console's run record, `runId` = `<session>/<run>`), the
 *   KPIs of each finished run, and every event.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { assetPoints, breakerPoints, eventDto } from '../core/live-state';
import { storedRun } from '../core/stored-run';
import type { Engine, RunRecord } from '../engine/engine';
import type { BreakerSample } from '../engine/model';
import type { RuntimeEvent } from '../runtime/ems-runtime';
import type { SeriesPoint } from '../storage/history-port';
import { UplinkOutbox } from './outbox';
import { UplinkPublisher, type UplinkStatus } from './publisher';
import type { ResolvedUplink } from './uplink-config';

export interface FieldUplinkOptions {
  /** The EMS's data folder: the outbox is `<dataDir>/uplink.sqlite`. */
  dataDir: string;
  config: ResolvedUplink;
  siteName: string;
  appVersion: string;
  /** Household storages and heat pumps are sent this often, EMS seconds (default 60). */
  memberPeriodS?: number;
  log?: (message: string) => void;
}

const FLUSH_MS = 1_000;
const PRUNE_EVERY_MS = 3_600_000;

export class FieldUplink {
  readonly outbox: UplinkOutbox;
  readonly publisher: UplinkPublisher;
  /** This EMS start (runs are numbered per start: `<sessionId>/run-001`). */
  readonly sessionId = `field-${randomBytes(4).toString('hex')}`;
  private timer: ReturnType<typeof setInterval> | null = null;
  private lastMemberMs = -Infinity;
  private lastPruneMs = -Infinity;
  private readonly points: SeriesPoint[] = [];

  constructor(private readonly o: FieldUplinkOptions) {
    this.outbox = new UplinkOutbox(join(o.dataDir, 'uplink.sqlite'));
    this.publisher = new UplinkPublisher(this.outbox, o.config.link, { name: o.siteName, appVersion: o.appVersion, ...(o.log ? { log: o.log } : {}) });
  }

  get siteId(): string {
    return this.o.config.link.siteId;
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), FLUSH_MS);
    this.timer.unref?.();
    this.publisher.start();
  }

  /** Commits what is buffered and lets the publisher send it. */
  tick(): void {
    this.safely('commit the outbox', () => {
      if (this.outbox.flush() > 0) this.publisher.kick();
      const now = Date.now();
      if (now - this.lastPruneMs >= PRUNE_EVERY_MS) {
        this.lastPruneMs = now;
        this.outbox.prune(now, this.o.config.retentionDays);
      }
    });
  }

  /** A breaker sample the engine took (from its callback). */
  sample(engine: Engine, s: BreakerSample): void {
    this.safely('take a sample', () => {
      const t = s.sampleMs;
      const p = this.points;
      p.length = 0;
      breakerPoints(engine, t, s.powerKw, p);
      const members = t - this.lastMemberMs >= (this.o.memberPeriodS ?? 60) * 1000;
      if (members) this.lastMemberMs = t;
      assetPoints(engine, t, members, p);
      for (const x of p) this.outbox.appendPoint(x.seriesId, x.timeMs, x.value);
    });
  }

  event(e: RuntimeEvent): void {
    this.safely('take an event', () => {
      const dto = eventDto({ ...e, data: e.source === 'connector' ? { connector: e.connector, ...(e.data ?? {}) } : e.data });
      this.outbox.appendItem('events', { sessionId: this.sessionId, ...dto });
    });
  }

  /** A run started (its record so far) or ended (its final record, and its KPIs on their own topic). */
  run(run: RunRecord): void {
    this.safely('take a run', () => {
      const dto = storedRun(run, this.sessionId, this.o.siteName, this.o.appVersion);
      this.outbox.appendItem('runs', dto as unknown as Record<string, unknown>);
      if (run.endMs !== null && dto.kpis) this.outbox.appendItem('kpis', { runId: dto.runId, sessionId: this.sessionId, endMs: run.endMs, kpis: dto.kpis });
    });
  }

  status(): UplinkStatus {
    return this.publisher.status();
  }

  /**
   * Commits what is left, gives the publisher `drainMs` to send it, and closes; the rest waits in the outbox
   * for the next start, and the log says how much.
   */
  async stop(drainMs = 2_000): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.tick();
    await this.publisher.stop(drainMs).catch((err) => this.o.log?.(`uplink: stop: ${err instanceof Error ? err.message : String(err)}`));
    this.safely('count the backlog', () => {
      const left = this.outbox.backlog();
      if (left.points > 0 || left.items > 0) this.o.log?.(`uplink: ${left.points} points and ${left.items} runs/KPIs/events not yet acknowledged by the broker stay in ${this.outbox.file} and go out at the next start`);
    });
    this.outbox.close();
  }

  private safely(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.o.log?.(`uplink: could not ${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}
