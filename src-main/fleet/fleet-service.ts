/**
 * The fleet's central history as the console's `fleet:*` channels answer it (`shared/ipc-contract.ts`):
 * requests validated as the local history's are (`core/requests.ts`), then read through `FleetHistory`
 * (read-only connections). A host without a central database builds it with `null`: `status()` says
 * `configured: false` and every other call is NOT_AVAILABLE, "not configured".
 *
 * The export is the one `/fleet/api/export` serves too (`exportFleetRun`): a run of the central history
 * comes out as the same CSV, XLSX and JSON as a local run (`core/run-export.ts`).
 */
import { z } from 'zod';
import { CoreError, EventsQuerySchema, ExportFormatSchema, parseRequest, SeriesQuerySchema } from '../core/requests';
import { exportRun } from '../core/run-export';
import { unitOf } from '../core/series';
import type { EventsQuery, ExportedFile, ExportFormat, FleetRunsQuery, FleetSiteDto, FleetStatus, RunDto, SeriesData, SeriesInfo, SeriesQuery, StoredEventDto } from '../shared/ipc-contract';
import type { FleetHistory } from './fleet-history';

/** What the service needs of the central history (a `FleetHistory`, or a stand-in in a test). */
export type FleetHistoryPort = Pick<FleetHistory, 'listSites' | 'listRuns' | 'getRun' | 'listSeries' | 'querySeries' | 'queryRaw' | 'events'>;

const SiteIdSchema = z.string().min(1).max(64);
const RunsQuerySchema = z.strictObject({ limit: z.number().int().min(1).max(1000).optional(), beforeMs: z.number().finite().optional() });

/**
 * A run of the central history as a file, exactly as a local run's export (`runs:export`): its series over
 * the run (every point, as stored), its events, the run record the site sent. Null when the site has no
 * such run.
 */
export async function exportFleetRun(history: FleetHistoryPort, siteId: string, runId: string, format: ExportFormat, language: 'en' | 'de'): Promise<ExportedFile | null> {
  const run = await history.getRun(siteId, runId);
  if (!run) return null;
  const endMs = run.endMs ?? Date.now();
  const series = [];
  for (const seriesId of await history.listSeries(siteId)) {
    const raw = await history.queryRaw(siteId, seriesId, run.startMs, endMs);
    if (raw.timeMs.length > 0) series.push({ seriesId, ...raw });
  }
  const events = await history.events(siteId, run.startMs, endMs);
  const file = await exportRun({ run, series, events }, format, { language });
  // The site's id leads the name: runs of two sites may share a run id.
  return { ...file, fileName: `${siteId}-${file.fileName.replace(/[^A-Za-z0-9._-]/g, '_')}` };
}

export class FleetService {
  constructor(private readonly history: FleetHistoryPort | null) {}

  status(): FleetStatus {
    return { configured: this.history !== null };
  }

  async listSites(): Promise<FleetSiteDto[]> {
    return this.central('fleet:listSites').listSites();
  }

  async listRuns(siteId: string, query: FleetRunsQuery = {}): Promise<RunDto[]> {
    const h = this.central('fleet:listRuns');
    const site = parseRequest(SiteIdSchema, siteId, 'fleet:listRuns: siteId');
    const q = parseRequest(RunsQuerySchema, query ?? {}, 'fleet:listRuns');
    return h.listRuns(site, { ...(q.limit !== undefined ? { limit: q.limit } : {}), ...(q.beforeMs !== undefined ? { beforeMs: q.beforeMs } : {}) });
  }

  async listSeries(siteId: string): Promise<SeriesInfo[]> {
    const h = this.central('fleet:listSeries');
    const site = parseRequest(SiteIdSchema, siteId, 'fleet:listSeries: siteId');
    return (await h.listSeries(site)).map((seriesId) => ({ seriesId, unit: unitOf(seriesId), kind: 'measured' as const, forecastSeriesId: null }));
  }

  async querySeries(siteId: string, query: SeriesQuery): Promise<SeriesData> {
    const h = this.central('fleet:querySeries');
    const site = parseRequest(SiteIdSchema, siteId, 'fleet:querySeries: siteId');
    const q = parseRequest(SeriesQuerySchema, query, 'fleet:querySeries');
    if (!(q.toMs > q.fromMs)) throw new CoreError('BAD_REQUEST', `fleet:querySeries: toMs (${q.toMs}) must be after fromMs (${q.fromMs})`);
    const b = await h.querySeries(site, q.seriesId, q.fromMs, q.toMs, Math.min(q.maxBuckets, 5000));
    return { seriesId: b.seriesId, unit: unitOf(b.seriesId), bucketMs: b.bucketMs, timeMs: b.timeMs, min: b.min, max: b.max, mean: b.mean };
  }

  async events(siteId: string, query: EventsQuery): Promise<StoredEventDto[]> {
    const h = this.central('fleet:events');
    const site = parseRequest(SiteIdSchema, siteId, 'fleet:events: siteId');
    const q = parseRequest(EventsQuerySchema, query, 'fleet:events');
    const all = await h.events(site, q.fromMs, q.toMs);
    const types = q.types ? new Set(q.types) : null;
    return all.filter((e) => (!types || types.has(e.type)) && (q.runId === undefined || e.runId === q.runId));
  }

  async exportRun(siteId: string, runId: string, format: ExportFormat, language: 'en' | 'de'): Promise<ExportedFile> {
    const h = this.central('fleet:exportRun');
    const site = parseRequest(SiteIdSchema, siteId, 'fleet:exportRun: siteId');
    const run = parseRequest(z.string().min(1), runId, 'fleet:exportRun: runId');
    const fmt = parseRequest(ExportFormatSchema, format, 'fleet:exportRun: format');
    const file = await exportFleetRun(h, site, run, fmt, language);
    if (!file) throw new CoreError('NOT_FOUND', `no run ${JSON.stringify(run)} of site ${JSON.stringify(site)} in the central history`);
    return file;
  }

  private central(channel: string): FleetHistoryPort {
    if (!this.history) throw new CoreError('NOT_AVAILABLE', `${channel}: the fleet's central history is not configured (serve mode with --fleet-postgres <url>)`);
    return this.history;
  }
}
