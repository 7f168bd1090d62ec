/**
 * The Fleet view end to end: a real PostgreSQL (Debian's package, on a free loopback port) migrated and
 * filled by the collector's own writer (`FleetStore.write` of decoded uplink messages: two sites, a run with
 * its KPIs, ten minutes of breaker and BESS series, its events), serve mode in-process with the central
 * history (`fleetRoutes(...).service`, as `--fleet-postgres` wires it), the built renderer, and Debian's
 * Chromium by playwright-core. The operator finds Fleet in the navigation, picks a site, sees its run with
 * its end reason and held share with its basis, opens the run's trends (the chart draws the central
 * series), and exports it: the CSV is the local export's format with the central points in it. `/fleet/`
 * (once a page of its own) leads to the view.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { HostServices } from '../../src-main/main/services/host-services';
import { FleetStore } from '../../src-main/fleet/fleet-store';
import { fleetRoutes, type FleetRoutes } from '../../src-main/serve/fleet-routes';
import type { RunningServer } from '../../src-main/serve/server';
import { decodeMessage, encodeMeasurements, ITEMS_FORMAT } from '../../src-main/uplink/codec';
import { POSTGRES_MISSING, PostgresCluster, postgresBinDir } from '../fixtures/services/postgres';
import { resultsDir, startServeConsole, type ServeConsole } from './fixtures/serve-console';

const missing = postgresBinDir() ? null : POSTGRES_MISSING;
if (missing) console.warn(`fleet-console.e2e.test.ts: ${missing}`);

const T0 = Date.parse('2026-06-21T09:00:00Z');
const RUN = {
  runId: 'field-abc/run-001',
  sessionId: 'field-abc',
  scenario: 'community 3',
  controller: 'lfc',
  useCase: 2,
  startMs: T0 + 60_000,
  endMs: T0 + 540_000,
  endReason: 'duration-elapsed',
  trigger: { useCase: 2, targetKw: -250, durationS: 480, toleranceKw: 10 },
  kpis: { availability: { coveredPct: 100, heldPctOfRequested: 97.5, requestedS: 480, requestedBasis: 'duration' }, accuracy: { maeKw: 3.21, withinBandPct: 98.4 }, responsiveness: { settlingS: 12 } },
  appVersion: 't',
  configVersion: 'lfc-config/1',
};

let cluster: PostgresCluster;
let fleet: FleetRoutes;
let services: HostServices;
let server: RunningServer;
let page: Page;
let consoleUnderTest: ServeConsole;

describe.skipIf(missing !== null)('the Fleet view in the console', () => {
  beforeAll(async () => {
    cluster = await PostgresCluster.start();
    const store = new FleetStore(cluster.url());
    await store.migrate();
    for (const site of ['community-3', 'community-4']) {
      const points = [];
      let seq = 0;
      for (let i = 0; i < 60; i++) {
        const t = T0 + i * 10_000;
        points.push({ seq: ++seq, seriesId: 'breaker.measuredKw', timeMs: t, value: i < 8 ? -120 : -250 + (i % 3) });
        points.push({ seq: ++seq, seriesId: 'breaker.targetKw', timeMs: t, value: i < 6 ? NaN : -250 });
        points.push({ seq: ++seq, seriesId: 'bess.powerKw', timeMs: t, value: i < 6 ? 0 : -130 });
      }
      const items = (kind: 'runs' | 'events', fromSeq: number, bodies: unknown[]) =>
        JSON.stringify({ format: ITEMS_FORMAT, site, kind, outbox: 'ob', fromSeq, toSeq: fromSeq + bodies.length - 1, items: bodies.map((body, i) => ({ seq: fromSeq + i, body })) });
      const messages = [decodeMessage(`lfc/${site}/measurements`, JSON.stringify(encodeMeasurements(site, 'ob', points)))];
      if (site === 'community-3') {
        messages.push(decodeMessage(`lfc/${site}/runs`, items('runs', 1, [RUN])));
        messages.push(decodeMessage(`lfc/${site}/events`, items('events', 2, [{ sessionId: 'field-abc', timeMs: RUN.startMs, type: 'run-started', level: 'info', message: 'run-001: use case 2 started', runId: 'run-001' }])));
      }
      for (const m of messages) await store.write(m);
    }
    await store.close();

    fleet = fleetRoutes(cluster.url());
    consoleUnderTest = await startServeConsole({ name: 'fleet', speed: 1, fleet: fleet.service, extraRoutes: fleet.handle, browser: { viewport: { width: 1360, height: 900 }, acceptDownloads: true } });
    ({ services, server, page } = consoleUnderTest);
  }, 180_000);

  afterAll(async () => {
    await services?.core.stopField().catch(() => undefined);
    await consoleUnderTest?.close();
    await fleet?.close();
    await cluster?.dispose();
  }, 60_000);

  it('picks a site, sees its run and its trends from the central history, and exports the run', async () => {
    await page.goto(server.loginUrl);
    const nav = page.locator('button[data-view="fleet"]');
    await nav.waitFor({ timeout: 15_000 });
    await nav.click();
    await page.locator('button[data-view="fleet"][aria-current="page"]').waitFor();
    expect(page.url()).toMatch(/#\/fleet$/);

    const picker = page.locator('[data-testid="fleet-site"]');
    await expect.poll(async () => (await picker.locator('option').allInnerTexts()).join(' | '), { timeout: 10_000 }).toContain('community-4');
    await picker.selectOption('community-3');
    const row = page.locator(`[data-testid="fleet-runs"] tr[data-run="${RUN.runId}"]`);
    await row.waitFor({ timeout: 10_000 });
    expect(await row.locator(`[data-end="${RUN.runId}"]`).innerText()).toBe('duration elapsed');
    const held = (await row.locator(`[data-held="${RUN.runId}"]`).innerText()).replace(/\s+/g, ' ');
    expect(held).toMatch(/97\.5 %.*of 8 min.*its duration/);

    await row.locator(`button[data-trends="${RUN.runId}"]`).click();
    const trends = page.locator('[data-testid="fleet-trends"]');
    await trends.waitFor();
    // The chart drew the central series: the legend lists them with their window statistics.
    for (const id of ['breaker.measuredKw', 'breaker.targetKw', 'bess.powerKw']) await trends.locator(`.trend-chart-legend li[data-series="${id}"]`).waitFor({ timeout: 10_000 });
    await expect.poll(async () => Number((await trends.locator('canvas').getAttribute('data-renders')) ?? '0'), { timeout: 10_000 }).toBeGreaterThan(0);
    const minBreaker = await trends.locator('.trend-chart-legend li[data-series="breaker.measuredKw"] [data-stat="min"]').innerText();
    expect(minBreaker.replace(/\u202f/g, ' ')).toMatch(/−250(\.0)? kW/);
    await page.screenshot({ path: join(resultsDir, 'screenshots', 'fleet-light.png'), fullPage: true });

    const [csvDownload] = await Promise.all([page.waitForEvent('download'), row.locator(`button[data-export="${RUN.runId}:csv"]`).click()]);
    expect(csvDownload.suggestedFilename()).toMatch(/^community-3-.*\.csv$/);
    const csv = readFileSync((await csvDownload.path())!, 'utf8');
    expect(csv).toContain('# endReason,duration-elapsed');
    expect(csv).toContain('breaker.measuredKw [kW]');
    // Every breaker sample of the run (T0+60 s … T0+540 s, 10 s apart) is a row.
    const rows = csv.split('\n').filter((l) => /^2026-06-21T09:/.test(l));
    expect(rows).toHaveLength(49);
    await page.locator('[data-testid="fleet-notice"]').waitFor();
    const [jsonDownload] = await Promise.all([page.waitForEvent('download'), row.locator(`button[data-export="${RUN.runId}:json"]`).click()]);
    const json = JSON.parse(readFileSync((await jsonDownload.path())!, 'utf8')) as { format: string; run: { runId: string } };
    expect(json).toMatchObject({ format: 'lfc-run-export/1', run: { runId: RUN.runId } });
  }, 120_000);

  it('/fleet/, where a page of its own was, opens the console’s Fleet view', async () => {
    await page.goto(`${server.url}fleet/`);
    await page.locator('[data-testid="fleet-view"]').waitFor();
    expect(page.url()).toMatch(/\/#\/fleet$/);
    expect(await page.locator('[data-testid="fleet-site"] option').allInnerTexts()).toContain('community-3 · runs: 1');
  }, 60_000);
});

mkdirSync(join(resultsDir, 'screenshots'), { recursive: true });
