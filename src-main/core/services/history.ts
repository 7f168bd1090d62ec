/**
 * The history as the console reads it (Trends, Runs): the stored series and forecasts, events, runs; the
 * retention (never applied to simulated sessions, whose data lie on their scenario's calendar); and, at a
 * start, closing the runs a dead process left in force. Each read first writes what the live session holds
 * back, so a query sees every sample taken so far.
 */
import type { EventsQuery, ForecastData, ForecastQuery, RunDto, SeriesData, SeriesInfo, SeriesQuery, StoredEventDto } from '../../shared/ipc-contract';
import type { HistoryStore } from '../../storage/history-store';
import { CoreError, EventsQuerySchema, ForecastQuerySchema, parseRequest, SeriesQuerySchema } from '../requests';
import { FORECAST_OVERLAYS, FORECAST_SERIES, SERIES, stitchForecasts, toSeriesData, unitOf } from '../series';
import { interruptedRunKpis } from '../stored-run';

/** What the history service needs to know of the live session. */
export interface HistoryLiveView {
  /** Writes what the live session holds back into the history. */
  flush(): void;
  /** The simulator's BESS (its series is overlaid by the planned BESS power), or null. */
  simulatorBessId(): string | null;
  /** The simulated session's first instant (its data are never pruned), or null. */
  simulatorStartMs(): number | null;
}

export class HistoryService {
  constructor(
    private readonly history: HistoryStore,
    private readonly live: HistoryLiveView,
  ) {}

  /**
   * Runs the history holds as still in force belong to a process that is gone (killed, crashed, powered
   * off): no session of this one can end them. They are closed as `interrupted` at the last moment the
   * history heard of them (their last event, else their start), so the Runs view never shows a dead run
   * as running, and given the KPIs the history holds the material for (`interruptedRunKpis`): every breaker
   * sample up to the crash against the request as received.
   */
  closeInterruptedRuns(): void {
    const runs = this.history.listRuns({ limit: 500 });
    for (const run of runs) {
      if (run.endMs !== null) continue;
      // Engine run ids repeat across sessions (run-001 …): look no further than the next run's start.
      // Another session's run starting at the same instant (a replayed scenario) bounds it too.
      const nextStartMs = Math.min(Number.MAX_SAFE_INTEGER, ...runs.filter((r) => r !== run && r.startMs >= run.startMs && r.runId !== run.runId).map((r) => (r.startMs > run.startMs ? r.startMs : run.startMs)));
      const events = this.history.events(run.startMs, nextStartMs, { runId: run.runId.split('/').pop()! });
      const lastMs = Math.max(run.startMs, ...events.map((e) => e.timeMs));
      // Up to the crash: the last sign of life is the newer of its last event and its last stored breaker sample.
      const target = this.history.queryRaw(SERIES.breakerTarget, run.startMs, Math.min(nextStartMs, Number.MAX_SAFE_INTEGER));
      let lastSampleMs = run.startMs;
      for (let i = 0; i < target.timeMs.length && Number.isFinite(target.value[i]!); i++) lastSampleMs = target.timeMs[i]!;
      const endMs = Math.max(lastMs, lastSampleMs);
      this.history.saveRun({ ...run, endMs, endReason: 'interrupted', kpis: run.kpis ?? interruptedRunKpis(this.history, run, endMs) });
      console.warn(`[core] run ${run.runId} was still in force when its process stopped; closed as interrupted at ${new Date(endMs).toISOString()}, its KPIs computed from the history up to then`);
    }
  }

  /** Writes everything pending (the live session's and the store's own buffer). */
  flushAll(): void {
    this.live.flush();
    this.history.flush();
  }

  /** Every stored series: measured ones (with the forecast that overlays each, if stored) and forecasts. */
  listSeries(): SeriesInfo[] {
    this.flushAll();
    const ids = this.history.listSeries();
    const forecasts = new Set(ids.filter((id) => this.history.listForecastIssues(id, 0, Number.MAX_SAFE_INTEGER).length > 0));
    const bessId = this.live.simulatorBessId() ?? 'bess';
    const overlays: Record<string, string> = { ...FORECAST_OVERLAYS, [`${bessId}.powerKw`]: FORECAST_SERIES.bess };
    return ids.map((seriesId) => {
      const overlay = overlays[seriesId];
      return forecasts.has(seriesId)
        ? { seriesId, unit: unitOf(seriesId), kind: 'forecast' as const, forecastSeriesId: null }
        : { seriesId, unit: unitOf(seriesId), kind: 'measured' as const, forecastSeriesId: overlay !== undefined && forecasts.has(overlay) ? overlay : null };
    });
  }

  /** A forecast series over a window as it was in force (see `ForecastData`). */
  queryForecast(query: ForecastQuery): ForecastData {
    const q = parseRequest(ForecastQuerySchema, query, 'history:queryForecast');
    if (!(q.toMs > q.fromMs)) throw new CoreError('BAD_REQUEST', `history:queryForecast: toMs (${q.toMs}) must be after fromMs (${q.fromMs})`);
    this.flushAll();
    // Plans reach 12 h ahead: one issued up to 12 h before the window can still hold values inside it.
    const lookBackMs = 12 * 3_600_000;
    const issues = this.history.listForecastIssues(q.seriesId, q.fromMs - lookBackMs, q.toMs);
    const plans = issues.map((issuedMs) => this.history.latestForecast(q.seriesId, issuedMs)).filter((p) => p !== null);
    return { seriesId: q.seriesId, unit: unitOf(q.seriesId), ...stitchForecasts(plans, q.fromMs, q.toMs) };
  }

  querySeries(query: SeriesQuery): SeriesData {
    const q = parseRequest(SeriesQuerySchema, query, 'history:querySeries');
    if (!(q.toMs > q.fromMs)) throw new CoreError('BAD_REQUEST', `history:querySeries: toMs (${q.toMs}) must be after fromMs (${q.fromMs})`);
    this.flushAll();
    return toSeriesData(this.history.querySeries(q.seriesId, q.fromMs, q.toMs, q.maxBuckets));
  }

  events(query: EventsQuery): StoredEventDto[] {
    const q = parseRequest(EventsQuerySchema, query, 'history:events');
    this.flushAll();
    const opts: { types?: string[]; runId?: string } = {};
    if (q.types) opts.types = q.types;
    if (q.runId) opts.runId = q.runId;
    return this.history.events(q.fromMs, q.toMs, opts);
  }

  listRuns(): RunDto[] {
    this.flushAll();
    return this.history.listRuns({ limit: 500 });
  }

  /** One recorded run, or NOT_FOUND (hosts use it to name the files they make of a run). */
  getRun(runId: string): RunDto {
    if (typeof runId !== 'string' || runId.length === 0) throw new CoreError('BAD_REQUEST', 'a run id is required');
    this.flushAll();
    const run = this.history.getRun(runId);
    if (!run) throw new CoreError('NOT_FOUND', `no run ${runId} in the history`);
    return run;
  }

  /**
   * Applies the history's retention at wall time `wallNowMs`, but never to the live session: a simulated
   * session runs on its scenario's calendar, which may lie months back, and its data must outlive the run.
   */
  prune(wallNowMs: number): { points: number; events: number } {
    this.flushAll();
    // Nor to any simulated session with a recorded run: its data lie on its scenario's calendar, so a
    // wall-clock retention would empty its runs at the next start (their exports and save-as-scenario with
    // them). Until the history stores when data were recorded, simulated sessions are kept whole.
    const simulatedRunStarts = this.history
      .listRuns()
      .filter((r) => r.sessionId.startsWith('sim-'))
      .map((r) => r.startMs - 3_600_000);
    const simStartMs = this.live.simulatorStartMs();
    const liveStart = simStartMs !== null ? [simStartMs] : [];
    const keepFromMs = simulatedRunStarts.length + liveStart.length > 0 ? Math.min(...simulatedRunStarts, ...liveStart) : null;
    const retentionMs = this.history.getRetention().measurements * 86_400_000;
    return this.history.prune(keepFromMs === null ? wallNowMs : Math.min(wallNowMs, keepFromMs + retentionMs));
  }
}
