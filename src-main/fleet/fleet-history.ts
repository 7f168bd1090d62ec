/**
 * The central history, read-only: what the console in serve mode shows of the fleet's PostgreSQL
 * (`schema.ts`) — the sites, a site's runs, its series, one series reduced to buckets for a chart (min,
 * max, mean per bucket, computed in SQL), a run's raw series and events for an export (the same files as a
 * local run's: `core/run-export.ts`). Every connection is read-only (`default_transaction_read_only`): the
 * console can never write the fleet's database.
 */
import pg from 'pg';
import type { RunDto, StoredEventDto } from '../shared/ipc-contract';

export interface FleetSite {
  siteId: string;
  name: string | null;
  state: string | null;
  lastSeenMs: number;
  runs: number;
}

export interface FleetSeriesBuckets {
  seriesId: string;
  fromMs: number;
  toMs: number;
  bucketMs: number;
  timeMs: number[];
  min: Array<number | null>;
  max: Array<number | null>;
  mean: Array<number | null>;
}

const ms = (col: string) => `(extract(epoch from ${col}) * 1000)::float8`;

export class FleetHistory {
  private readonly pool: pg.Pool;

  constructor(postgresUrl: string) {
    this.pool = new pg.Pool({ connectionString: postgresUrl, max: 3, options: '-c default_transaction_read_only=on' });
    this.pool.on('error', () => {});
  }

  async listSites(): Promise<FleetSite[]> {
    const r = await this.pool.query<{ site_id: string; name: string | null; state: string | null; last_seen_ms: number; runs: string }>(
      `SELECT s.site_id, s.name, s.state, ${ms('s.last_seen')} AS last_seen_ms, (SELECT count(*) FROM runs r WHERE r.site_id = s.site_id) AS runs FROM sites s ORDER BY s.site_id`,
    );
    return r.rows.map((x) => ({ siteId: x.site_id, name: x.name, state: x.state, lastSeenMs: x.last_seen_ms, runs: Number(x.runs) }));
  }

  /** Newest first; `beforeMs` pages backwards. */
  async listRuns(siteId: string, opts: { limit?: number; beforeMs?: number } = {}): Promise<RunDto[]> {
    const r = await this.pool.query<{ record: RunDto }>(
      `SELECT record FROM runs WHERE site_id = $1 AND ($2::float8 IS NULL OR start_time < timestamptz 'epoch' + $2 * interval '1 millisecond') ORDER BY start_time DESC LIMIT $3`,
      [siteId, opts.beforeMs ?? null, Math.min(opts.limit ?? 100, 1000)],
    );
    return r.rows.map((x) => x.record);
  }

  async getRun(siteId: string, runId: string): Promise<RunDto | null> {
    const r = await this.pool.query<{ record: RunDto }>('SELECT record FROM runs WHERE site_id = $1 AND run_id = $2', [siteId, runId]);
    return r.rows[0]?.record ?? null;
  }

  async listSeries(siteId: string): Promise<string[]> {
    const r = await this.pool.query<{ series: string }>('SELECT DISTINCT series FROM measurements WHERE site_id = $1 ORDER BY series', [siteId]);
    return r.rows.map((x) => x.series);
  }

  /** One series over [fromMs, toMs] in at most `maxBuckets` buckets; a bucket without a finite value is null. */
  async querySeries(siteId: string, seriesId: string, fromMs: number, toMs: number, maxBuckets = 1000): Promise<FleetSeriesBuckets> {
    const bucketMs = Math.max(1, Math.ceil((toMs - fromMs + 1) / Math.max(1, maxBuckets)));
    const r = await this.pool.query<{ b: string; mn: number | null; mx: number | null; mean: number | null }>(
      `SELECT floor((${ms('time')} - $3) / $5)::bigint AS b, min(value) AS mn, max(value) AS mx, avg(value) AS mean
       FROM measurements
       WHERE site_id = $1 AND series = $2 AND time BETWEEN timestamptz 'epoch' + $3 * interval '1 millisecond' AND timestamptz 'epoch' + $4 * interval '1 millisecond'
       GROUP BY 1 ORDER BY 1`,
      [siteId, seriesId, fromMs, toMs, bucketMs],
    );
    const out: FleetSeriesBuckets = { seriesId, fromMs, toMs, bucketMs, timeMs: [], min: [], max: [], mean: [] };
    for (const row of r.rows) {
      out.timeMs.push(fromMs + Number(row.b) * bucketMs);
      out.min.push(row.mn);
      out.max.push(row.mx);
      out.mean.push(row.mean);
    }
    return out;
  }

  /** Every point of a series in [fromMs, toMs] (NaN for a stored gap). */
  async queryRaw(siteId: string, seriesId: string, fromMs: number, toMs: number): Promise<{ timeMs: Float64Array; value: Float64Array }> {
    const r = await this.pool.query<{ t: number; v: number | null }>(
      `SELECT ${ms('time')} AS t, value AS v FROM measurements
       WHERE site_id = $1 AND series = $2 AND time BETWEEN timestamptz 'epoch' + $3 * interval '1 millisecond' AND timestamptz 'epoch' + $4 * interval '1 millisecond'
       ORDER BY time`,
      [siteId, seriesId, fromMs, toMs],
    );
    return { timeMs: Float64Array.from(r.rows, (x) => x.t), value: Float64Array.from(r.rows, (x) => x.v ?? NaN) };
  }

  async events(siteId: string, fromMs: number, toMs: number): Promise<StoredEventDto[]> {
    const r = await this.pool.query<{ body: StoredEventDto & { sessionId?: string } }>(
      `SELECT body FROM events WHERE site_id = $1 AND time BETWEEN timestamptz 'epoch' + $2 * interval '1 millisecond' AND timestamptz 'epoch' + $3 * interval '1 millisecond' ORDER BY time, seq`,
      [siteId, fromMs, toMs],
    );
    return r.rows.map(({ body }) => {
      const { sessionId: _s, ...dto } = body;
      return dto;
    });
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
