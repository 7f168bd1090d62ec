/**
 * Serve mode's read-only view of the fleet's central history (`npm run serve -- --fleet-postgres URL`): the
 * console's Fleet view reads it through the typed `fleet:*` channels (`service`, `fleet/fleet-service.ts`);
 * this file adds a small JSON API under `/fleet/api/` for scripts, behind the same login as the console (the
 * page cookie or the bearer token). `/fleet/` itself — once a page of its own — now sends the browser to the
 * console's Fleet view (`/#/fleet`). Nothing here writes: `FleetHistory` opens its connections read-only.
 *
 * | GET | answers |
 * | --- | --- |
 * | `/fleet/api/sites` | `[{ siteId, name, state, lastSeenMs, runs }]` |
 * | `/fleet/api/runs?site=S[&limit=N][&before=MS]` | the site's runs (the console's `RunDto`), newest first |
 * | `/fleet/api/series?site=S` | the site's series ids |
 * | `/fleet/api/trend?site=S&series=X&from=MS&to=MS[&buckets=N]` | min / max / mean per bucket |
 * | `/fleet/api/export?site=S&run=R&format=csv\|xlsx\|json[&lang=en\|de]` | the run as a file (download) |
 *
 * A bad parameter is answered 400 naming it and what was expected; an unknown site or run 404.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FleetHistory } from '../fleet/fleet-history';
import { exportFleetRun, FleetService } from '../fleet/fleet-service';

class BadParam extends Error {}

function param(url: URL, name: string): string {
  const v = url.searchParams.get(name);
  if (v === null || v === '') throw new BadParam(`?${name}= is required`);
  return v;
}

function numberParam(url: URL, name: string, fallback?: number): number {
  const v = url.searchParams.get(name);
  if (v === null || v === '') {
    if (fallback !== undefined) return fallback;
    throw new BadParam(`?${name}= is required (Unix ms)`);
  }
  const n = Number(v);
  if (!Number.isFinite(n)) throw new BadParam(`?${name}=: expected a number, got ${JSON.stringify(v)}`);
  return n;
}

export interface FleetRoutes {
  /** Answers `/fleet/…`; false for any other path. */
  handle(url: URL, req: IncomingMessage, res: ServerResponse): boolean;
  close(): Promise<void>;
  /** The same history behind the console's `fleet:*` channels (the Fleet view). */
  service: FleetService;
}

export function fleetRoutes(postgresUrl: string): FleetRoutes {
  const history = new FleetHistory(postgresUrl);
  const service = new FleetService(history);
  const json = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify(body));
  };

  async function api(url: URL, res: ServerResponse): Promise<void> {
    switch (url.pathname) {
      case '/fleet/api/sites':
        return json(res, 200, await history.listSites());
      case '/fleet/api/runs': {
        const before = url.searchParams.get('before');
        return json(res, 200, await history.listRuns(param(url, 'site'), { limit: numberParam(url, 'limit', 100), ...(before ? { beforeMs: numberParam(url, 'before') } : {}) }));
      }
      case '/fleet/api/series':
        return json(res, 200, await history.listSeries(param(url, 'site')));
      case '/fleet/api/trend': {
        const from = numberParam(url, 'from');
        const to = numberParam(url, 'to');
        if (to < from) throw new BadParam(`?to= (${to}) is before ?from= (${from})`);
        return json(res, 200, await history.querySeries(param(url, 'site'), param(url, 'series'), from, to, Math.min(5000, numberParam(url, 'buckets', 1000))));
      }
      case '/fleet/api/export': {
        const site = param(url, 'site');
        const runId = param(url, 'run');
        const format = param(url, 'format');
        if (format !== 'csv' && format !== 'xlsx' && format !== 'json') throw new BadParam(`?format=: expected csv, xlsx or json, got ${JSON.stringify(format)}`);
        const lang = url.searchParams.get('lang') === 'de' ? 'de' : 'en';
        const file = await exportFleetRun(history, site, runId, format, lang);
        if (!file) return json(res, 404, { error: `no run ${JSON.stringify(runId)} of site ${JSON.stringify(site)} in the central history` });
        res.writeHead(200, { 'Content-Type': file.mimeType, 'Content-Disposition': `attachment; filename="${file.fileName}"`, 'Cache-Control': 'no-store' });
        res.end(Buffer.from(file.base64, 'base64'));
        return;
      }
      default:
        return json(res, 404, { error: `no ${url.pathname}` });
    }
  }

  return {
    handle(url, _req, res) {
      if (url.pathname === '/fleet' || url.pathname === '/fleet/') {
        // The console's Fleet view superseded the page that was here; old bookmarks land in it.
        res.writeHead(302, { Location: '/#/fleet', 'Cache-Control': 'no-store' });
        res.end();
        return true;
      }
      if (!url.pathname.startsWith('/fleet/api/')) return false;
      api(url, res).catch((err: unknown) => {
        if (res.headersSent) return res.destroy();
        if (err instanceof BadParam) return json(res, 400, { error: err.message });
        json(res, 503, { error: `the central history (PostgreSQL) answered: ${err instanceof Error ? err.message : String(err)}` });
      });
      return true;
    },
    close: () => history.close(),
    service,
  };
}
