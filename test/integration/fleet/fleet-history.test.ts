/**
 * Serve mode's fleet routes against a real PostgreSQL: the collector's writer fills the central history
 * (twice: a resend changes nothing), the read-only routes list the site and its run, reduce a series to
 * buckets, and export the run as a local run's CSV and JSON; a write through the read-only connection is
 * refused by PostgreSQL.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetHistory } from '../../../src-main/fleet/fleet-history';
import { FleetStore } from '../../../src-main/fleet/fleet-store';
import { LfcCore } from '../../../src-main/core/lfc-core';
import { resourcesDir } from '../../../src-main/node/paths';
import { fleetRoutes, type FleetRoutes } from '../../../src-main/serve/fleet-routes';
import { startServer } from '../../../src-main/serve/server';
import { openHistoryStore } from '../../../src-main/storage/history-store';
import { decodeMessage, encodeMeasurements, ITEMS_FORMAT } from '../../../src-main/uplink/codec';
import { POSTGRES_MISSING, PostgresCluster, postgresBinDir } from '../../fixtures/services/postgres';

const missing = postgresBinDir() ? null : POSTGRES_MISSING;
if (missing) console.warn(`fleet-history.test.ts: ${missing}`);

const T0 = Date.parse('2026-06-21T09:00:00Z');
const RUN = {
  runId: 'field-abc/run-001',
  sessionId: 'field-abc',
  scenario: 'lab site',
  controller: 'lfc',
  useCase: 2,
  startMs: T0 + 60_000,
  endMs: T0 + 600_000,
  endReason: 'duration-elapsed',
  trigger: { useCase: 2, targetKw: -250 },
  kpis: { availability: { heldPctOfRequested: 97.5 }, accuracy: { withinBandPct: 99 } },
  appVersion: 't',
  configVersion: 'lfc-config/1',
};

describe.skipIf(missing !== null)('the fleet history in serve mode', () => {
  let cluster: PostgresCluster;
  let routes: FleetRoutes;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    cluster = await PostgresCluster.start();
    const store = new FleetStore(cluster.url());
    await store.migrate();
    const points = [];
    for (let i = 0; i < 70; i++) {
      points.push({ seq: 2 * i + 1, seriesId: 'breaker.measuredKw', timeMs: T0 + i * 10_000, value: i === 5 ? NaN : -240 - (i % 3) });
      points.push({ seq: 2 * i + 2, seriesId: 'bess.socPct', timeMs: T0 + i * 10_000, value: 50 + i / 10 });
    }
    const messages = [
      decodeMessage('lfc/site-x/measurements', JSON.stringify(encodeMeasurements('site-x', 'ob', points))),
      decodeMessage('lfc/site-x/runs', JSON.stringify({ format: ITEMS_FORMAT, site: 'site-x', kind: 'runs', outbox: 'ob', fromSeq: 1, toSeq: 1, items: [{ seq: 1, body: RUN }] })),
      decodeMessage('lfc/site-x/events', JSON.stringify({ format: ITEMS_FORMAT, site: 'site-x', kind: 'events', outbox: 'ob', fromSeq: 2, toSeq: 2, items: [{ seq: 2, body: { timeMs: T0 + 60_000, type: 'run-started', level: 'info', message: 'run-001: use case 2 started', runId: 'run-001' } }] })),
    ];
    for (const m of messages) expect((await store.write(m)).inserted).toBeGreaterThan(0);
    for (const m of messages) if (m.kind !== 'runs') expect((await store.write(m)).inserted).toBe(0); // a resend
    await store.close();
    routes = fleetRoutes(cluster.url());
    server = createServer((req, res) => {
      if (!routes.handle(new URL(req.url ?? '/', 'http://x'), req, res)) res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }, 60_000);

  afterAll(async () => {
    server?.closeAllConnections();
    server?.close();
    await routes?.close();
    await cluster?.dispose();
  }, 30_000);

  it('lists the site, its runs and its series', async () => {
    expect(await (await fetch(`${base}/fleet/api/sites`)).json()).toEqual([expect.objectContaining({ siteId: 'site-x', runs: 1 })]);
    expect(await (await fetch(`${base}/fleet/api/runs?site=site-x`)).json()).toEqual([RUN]);
    expect(await (await fetch(`${base}/fleet/api/series?site=site-x`)).json()).toEqual(['bess.socPct', 'breaker.measuredKw']);
    // The page that was here is superseded by the console's Fleet view: /fleet/ leads there.
    const page = await fetch(`${base}/fleet/`, { redirect: 'manual' });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe('/#/fleet');
  });

  it('reduces a series to buckets in SQL, gaps left out of the statistics', async () => {
    const t = (await (await fetch(`${base}/fleet/api/trend?site=site-x&series=breaker.measuredKw&from=${T0}&to=${T0 + 699_999}&buckets=7`)).json()) as { bucketMs: number; timeMs: number[]; min: number[]; max: number[] };
    expect(t.bucketMs).toBe(100_000);
    expect(t.timeMs).toHaveLength(7);
    expect(Math.min(...t.min)).toBe(-242);
    expect(Math.max(...t.max)).toBe(-240);
    const bad = await fetch(`${base}/fleet/api/trend?site=site-x&series=x&from=abc&to=1`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/\?from=: expected a number, got "abc"/);
  });

  it('exports a run as a local run is exported (CSV with the KPIs as comments, JSON lfc-run-export/1)', async () => {
    const csv = await (await fetch(`${base}/fleet/api/export?site=site-x&run=${encodeURIComponent(RUN.runId)}&format=csv`)).text();
    expect(csv).toMatch(/^# /m);
    expect(csv).toContain('breaker.measuredKw [kW]');
    const json = (await (await fetch(`${base}/fleet/api/export?site=site-x&run=${encodeURIComponent(RUN.runId)}&format=json`)).json()) as { format: string; events: unknown[] };
    expect(json.format).toBe('lfc-run-export/1');
    expect(json.events).toHaveLength(1);
    expect((await fetch(`${base}/fleet/api/export?site=site-x&run=nope&format=csv`)).status).toBe(404);
  });

  it('cannot write: its connections are read-only', async () => {
    const h = new FleetHistory(cluster.url());
    const pool = (h as unknown as { pool: { query(sql: string): Promise<unknown> } }).pool;
    await expect(pool.query("INSERT INTO sites (site_id) VALUES ('intruder')")).rejects.toThrow(/read-only transaction/);
    await h.close();
  });

  it('in serve mode, sits behind the console login', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'lfc-fleet-serve-'));
    const history = openHistoryStore({ file: ':memory:' });
    const core = new LfcCore({ resourcesDirPath: resourcesDir(), dataDirPath: dataDir, history, appVersion: 't', autoRun: false });
    const token = 'fleet-test-token-0123456789';
    const served = await startServer({
      core,
      host: { appInfo: () => ({ name: 'lfc', version: 't', electronVersion: null, platform: 'linux' }), resourcesRootPath: resolve(resourcesDir(), '..') },
      rendererDirPath: dataDir,
      token,
      port: 0,
      extraRoutes: routes.handle,
    });
    try {
      expect((await fetch(`${served.url}fleet/api/sites`)).status).toBe(401);
      expect((await fetch(`${served.url}fleet/`)).status).toBe(401);
      const withToken = await fetch(`${served.url}fleet/api/sites`, { headers: { authorization: `Bearer ${token}` } });
      expect(withToken.status).toBe(200);
      const login = await fetch(served.loginUrl, { redirect: 'manual' });
      const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
      const page = await fetch(`${served.url}fleet/`, { headers: { cookie }, redirect: 'manual' });
      expect(page.status).toBe(302); // to the console's Fleet view
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    } finally {
      await served.close();
      core.close();
      history.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
