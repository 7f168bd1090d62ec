/**
 * The live EMS: an `Engine` on a `WallClock` (speed 1 in the field, N× in the lab), wired to
 * `FieldConnectors` (OPC UA, REST, or the simulator), with the tamper-evident record and latency tracing.
 *
 * What it adds to the engine:
 * - every trigger (with its source), setpoint, acknowledgement, event and measurement batch goes into the
 *   record (`RecordLog`), measurements batched every `measurementBatchS` of EMS time but never held
 *   longer than one real second ({@link MAX_UNRECORDED_WALL_S}): the record is the headless EMS's only
 *   durable history, so a `kill -9` loses at most the last second of measurements (at 1× each breaker
 *   sample is in the record a second after it arrived; at the lab's 60× a minute's batch is that second);
 * - connector events (retries, outages, restarts, rejections, writes left unacknowledged) are logged in the
 *   same event stream as the engine's, so a run's events show what happened on the wire;
 * - latency at every hop: the engine's per-run hops (sensor → EMS, decision, EMS → ack, total, EMS-clock ms)
 *   and the connectors' wire time per write (real ms), summarised p50/p95/p99;
 * - it is the `TriggerTarget` of the HTTP trigger intake.
 *
 * Safety stays with the engine (see the header of `engine/engine.ts`); the runtime makes sure the
 * connectors surface each case as the engine expects: a stale breaker is simply no samples (or NaN ones),
 * an unacknowledged write is no ack at all (never a fake ok), a rejected write is `ok: false` with the reason.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from '../engine/clock.js';
import type { EngineConfig, EngineSnapshot, RunRecord } from '../engine/engine.js';
import { Engine } from '../engine/engine.js';
import type { AssetReport, BreakerSample, EngineEvent, SetpointAck, Trigger } from '../engine/model.js';
import type { FieldConnectors, Unsubscribe } from '../engine/ports.js';
import type { ConnectorContext, ConnectorEvent, WriteTrace } from '../connectors/rest/connector-context.js';
import type { TriggerTarget } from '../connectors/trigger-intake/trigger-intake.js';
import type { RecordLog } from '../record/record-log.js';
import { LatencyTracer, summarise, type LatencySummary } from './latency.js';

/**
 * Real seconds a measurement may wait in memory before it is in the record: what a killed process can
 * lose of its history (`npm run bench -- --only crash` measures it).
 */
export const MAX_UNRECORDED_WALL_S = 1;

/**
 * Events kept in memory (`EmsRuntime.events`, the source of events.jsonl): the newest 20 000, about 10 MB
 * (a soak day with a fault every 10 minutes logs ~2 000; a quiet field day a few hundred). The record
 * keeps every one; older ones leave memory in chunks of a tenth, counted in `eventsDropped`.
 */
export const MAX_KEPT_EVENTS = 20_000;

export type RuntimeEvent = (EngineEvent & { source: 'engine' }) | (ConnectorEvent & { source: 'connector'; runId?: string | null });

export interface EmsRuntimeOptions {
  engineConfig: EngineConfig;
  clock: Clock;
  /** EMS clock speed against the wall (1 in the field). */
  speed: number;
  /** Builds the connectors with the runtime's context (its clock, event sink and tracer). */
  connectors: (ctx: ConnectorContext) => FieldConnectors | Promise<FieldConnectors>;
  record?: RecordLog;
  /** EMS-clock seconds per measurement batch in the record (default 60; at most one real second, see {@link MAX_UNRECORDED_WALL_S}). */
  measurementBatchS?: number;
  onEvent?: (event: RuntimeEvent) => void;
  onRunEnded?: (run: RunRecord) => void;
  /** The end reason of a run still in force when `stop()` is called (default `scenario-end`, the lab's). */
  endReasonOnStop?: 'scenario-end' | 'ems-stopped';
  /** Every breaker sample as the engine got it (after the engine has handled it). */
  onBreakerSample?: (sample: BreakerSample) => void;
  /** Every asset report as the engine got it (after the engine has handled it). */
  onAssetReport?: (report: AssetReport) => void;
  /** Injected for tests; real timers and sleeps otherwise. */
  sleep?: (ms: number) => Promise<void>;
}

export interface LatencyReport {
  /** Engine hops over all runs, EMS-clock ms (at speed N, N× the real time). */
  engine: Record<'sensorToEms' | 'decision' | 'emsToAck' | 'total', LatencySummary>;
  /** Wire time per connector, real ms. */
  connectors: ReturnType<LatencyTracer['byConnector']>;
}

export class EmsRuntime implements TriggerTarget {
  readonly engine: Engine;
  readonly clock: Clock;
  /** The newest {@link MAX_KEPT_EVENTS} events, oldest first (every one is in the record). */
  readonly events: RuntimeEvent[] = [];
  /** Events that left `events` to bound it (the oldest). */
  eventsDropped = 0;
  readonly latency = new LatencyTracer();
  readonly sessionId = randomUUID().slice(0, 8);
  readonly connectionLimitKw: number;
  private connectors: FieldConnectors | null = null;
  private readonly unsubscribe: Unsubscribe[] = [];
  private readonly opts: EmsRuntimeOptions;
  private batch: MeasurementBatch = emptyBatch();
  private batchStartMs: number;
  /** Cancels the pending flush of the batch (see `flushLater`). */
  private flushTimer: (() => void) | null = null;
  /** Set when stopping begins: no new samples or triggers, but the final releases still go out. */
  private stopped = false;
  /** Set once the connectors are let go: nothing reaches the engine or the record any more. */
  private closed = false;
  private pendingWrites = 0;
  private started = false;

  constructor(opts: EmsRuntimeOptions) {
    this.opts = opts;
    this.clock = opts.clock;
    this.connectionLimitKw = opts.engineConfig.connectionLimitKw;
    this.batchStartMs = opts.clock.nowMs();
    this.engine = new Engine(opts.engineConfig, opts.clock, {
      write: (cmd, onAck) => {
        if (this.closed) return;
        opts.record?.append('setpoint', { ...cmd });
        if (!this.connectors) return;
        this.pendingWrites++;
        let answered = false;
        this.connectors.setpoints.write(cmd, (ack: SetpointAck) => {
          if (answered) return;
          answered = true;
          this.pendingWrites--;
          if (this.closed) return;
          opts.record?.append('ack', { ...ack });
          onAck(ack);
        });
        // A write that is never answered stops counting as pending once the engine has given up on it.
        this.clock.schedule(this.clock.nowMs() + this.engine.safety.ackTimeoutS * 1000, () => {
          if (!answered) {
            answered = true;
            this.pendingWrites--;
          }
        });
      },
      requestForecast: (onResult) => {
        if (!this.connectors || this.stopped) return;
        this.connectors.weather.fetchForecast((r) => {
          if (!this.closed) onResult(r);
        });
      },
      emit: (e) => this.log({ ...e, source: 'engine' }),
      onRunEnded: (run) => {
        opts.record?.append('run-ended', { runId: run.runId, triggerId: run.trigger.id, endReason: run.endReason, startMs: run.startMs, endMs: run.endMs, kpis: run.kpis });
        opts.onRunEnded?.(run);
      },
    });
  }

  /** The context every connector of this runtime is built with. */
  get connectorContext(): ConnectorContext {
    return {
      clock: this.clock,
      speed: this.opts.speed,
      sessionId: this.sessionId,
      onEvent: (e: ConnectorEvent) => this.log({ ...e, source: 'connector', runId: this.engine.activeRun?.runId ?? null }),
      onWriteTrace: (t: WriteTrace) => this.latency.add(t),
      ...(this.opts.sleep ? { sleep: this.opts.sleep } : {}),
    };
  }

  /** Builds the connectors, subscribes the engine to them and starts its timers. */
  async start(): Promise<void> {
    if (this.started) throw new Error('EmsRuntime.start: already started');
    this.started = true;
    const c = await this.opts.connectors(this.connectorContext);
    this.connectors = c;
    this.unsubscribe.push(
      c.breaker.subscribe((s: BreakerSample) => {
        if (this.stopped) return;
        this.batch.breaker.push([s.sampleMs, s.arrivalMs, s.powerKw]);
        const before = this.engine.activeRun;
        const recordedBefore = before?.samples.sampleTimeMs.length ?? 0;
        this.engine.handleBreakerSample(s);
        this.keepRunSample(before, recordedBefore);
        this.opts.onBreakerSample?.(s);
        this.flushLater();
      }),
      c.telemetry.subscribe((r: AssetReport) => {
        if (this.stopped) return;
        this.batch.reports.push({ ...r });
        this.engine.handleAssetReport(r);
        this.opts.onAssetReport?.(r);
        this.flushLater();
      }),
      c.triggers.subscribe((t: Trigger) => void this.submit(t)),
    );
    this.engine.start();
  }

  nowMs(): number {
    return this.clock.nowMs();
  }

  /** Hands a trigger to the engine, on the record with its source. */
  submit(trigger: Trigger): { accepted: boolean; reason?: string } {
    if (this.stopped) return { accepted: false, reason: 'the EMS is stopping' };
    const verdict = this.engine.handleTrigger(trigger);
    this.opts.record?.append(verdict.accepted ? 'trigger' : 'trigger-refused', { ...trigger, ...(verdict.reason ? { reason: verdict.reason } : {}) });
    return verdict;
  }

  snapshot(): EngineSnapshot {
    return this.engine.snapshot();
  }

  latencyReport(): LatencyReport {
    const hops = { sensorToEms: [] as number[], decision: [] as number[], emsToAck: [] as number[], total: [] as number[] };
    for (const r of this.engine.runs) for (const k of Object.keys(hops) as Array<keyof typeof hops>) hops[k].push(...r.latencyMs[k]);
    return {
      engine: { sensorToEms: summarise(hops.sensorToEms), decision: summarise(hops.decision), emsToAck: summarise(hops.emsToAck), total: summarise(hops.total) },
      connectors: this.latency.byConnector(),
    };
  }

  /**
   * Ends what runs (reason `scenario-end` in the lab), sends the releases (BESS to 0 kW, the others to their
   * own control) and waits up to `releaseWaitMs` real ms for their acknowledgements, flushes the record and
   * lets go of the connectors.
   */
  async stop(closeConnectors?: () => Promise<void>, releaseWaitMs = 3000): Promise<RunRecord[]> {
    if (this.stopped) return this.engine.runs;
    this.stopped = true;
    for (const u of this.unsubscribe) u();
    this.engine.finish(this.opts.endReasonOnStop ?? 'scenario-end');
    const sleep = this.opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    for (let waitedMs = 0; this.pendingWrites > 0 && waitedMs < releaseWaitMs; waitedMs += 10) await sleep(10);
    this.flush();
    this.opts.record?.append('event', { type: 'ems-stopped', unacknowledgedReleases: this.pendingWrites, latency: this.latencyReport() });
    this.closed = true;
    await closeConnectors?.();
    return this.engine.runs;
  }

  private log(e: RuntimeEvent): void {
    if (this.closed) return;
    this.events.push(e);
    if (this.events.length > MAX_KEPT_EVENTS) {
      const n = this.events.length - MAX_KEPT_EVENTS + MAX_KEPT_EVENTS / 10;
      this.events.splice(0, n);
      this.eventsDropped += n;
    }
    this.opts.record?.append('event', e);
    this.opts.onEvent?.(e);
  }

  /**
   * Puts what arrived into the record within a batch's time: the first measurement of a batch sets a flush
   * for `measurementBatchS` of EMS time later, or one real second, whichever comes first.
   */
  private flushLater(): void {
    if (this.flushTimer !== null) return;
    const batchMs = Math.min((this.opts.measurementBatchS ?? 60) * 1000, MAX_UNRECORDED_WALL_S * 1000 * this.opts.speed);
    this.flushTimer = this.clock.schedule(this.clock.nowMs() + batchMs, () => {
      this.flushTimer = null;
      if (!this.closed) this.flush();
    });
  }

  /**
   * The run's own view of the sample the engine just took (what its KPIs are computed from), for the record:
   * the run in force before the sample, if the sample went into its series, else the run it started.
   */
  private keepRunSample(before: RunRecord | null, recordedBefore: number): void {
    const after = this.engine.activeRun;
    const run = before && before.samples.sampleTimeMs.length > recordedBefore ? before : after && after !== before && after.samples.sampleTimeMs.length > 0 ? after : null;
    if (!run) return;
    const s = run.samples;
    const i = s.sampleTimeMs.length - 1;
    this.batch.runSamples.push([run.runId, s.sampleTimeMs[i]!, s.arrivalTimeMs[i]!, s.measuredKw[i]!, s.targetKw[i]!, s.flexDownKw[i]!, s.flexUpKw[i]!, s.uncontrolledKw[i]!, s.inExhaustion[i]!]);
  }

  private flush(): void {
    this.flushTimer?.();
    this.flushTimer = null;
    const b = this.batch;
    if (b.breaker.length > 0 || b.reports.length > 0 || b.runSamples.length > 0) {
      this.opts.record?.append('measurements', {
        fromMs: this.batchStartMs,
        toMs: this.clock.nowMs(),
        breaker: { columns: ['sampleMs', 'arrivalMs', 'powerKw'], rows: b.breaker },
        reports: b.reports,
        ...(b.runSamples.length > 0 ? { runSamples: { columns: RUN_SAMPLE_COLUMNS, rows: b.runSamples } } : {}),
      });
    }
    this.batch = emptyBatch();
    this.batchStartMs = this.clock.nowMs();
  }
}

/**
 * The columns of a measurement batch's `runSamples`: each breaker sample a run took into its series, as the
 * run holds it (`RunRecord.samples`; a sample the engine did not accept has `measuredKw` null). With the
 * run's trigger and start, the record alone then holds what the run's KPIs are computed from, so the next
 * start can close a run a killed process left in force (`record/interrupted-runs.ts`).
 */
export const RUN_SAMPLE_COLUMNS = ['runId', 'sampleMs', 'arrivalMs', 'measuredKw', 'targetKw', 'flexDownKw', 'flexUpKw', 'uncontrolledKw', 'inExhaustion'] as const;
export type RunSampleRow = [string, number, number, number, number, number, number, number, number];

interface MeasurementBatch {
  breaker: Array<[number, number, number]>;
  reports: Array<Record<string, unknown>>;
  runSamples: RunSampleRow[];
}

function emptyBatch(): MeasurementBatch {
  return { breaker: [], reports: [], runSamples: [] };
}
