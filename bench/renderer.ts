/**
 * The console in Chromium (Debian's, via playwright-core) against serve mode in this process:
 * - time to first render of the Now view (navigation start → the breaker tile shows a number);
 * - time to draw 24 h of 10 s data for 12 series on the Trends view (click "24 h" → chart drawn; the core
 *   decimates in SQL to ≤ 800 buckets per series, which is how the product draws long ranges);
 * - cost per live update at 1 Hz on the Now view (Chrome's own TaskDuration over 10 updates / 10);
 * - renderer heap after an hour of live data (3600 `core:onLive` pushes, then a forced GC).
 * Goals: draw < 300 ms, update < 5 ms, heap flat and < 150 MB.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { chromium } from 'playwright-core';

import { LfcCore } from '../src-main/core/lfc-core';
import { resourcesDir } from '../src-main/node/paths';
import { buildRenderer } from '../src-main/serve/build-renderer';
import { newToken, startServer } from '../src-main/serve/server';
import { openHistoryStore } from '../src-main/storage/history-store';
import type { SeriesPoint } from '../src-main/storage/history-store';

const CHROMIUM = '/usr/bin/chromium';
const BENCH_SERIES = 10;

export async function benchRenderer(): Promise<Array<Record<string, string | number>>> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: apt-get update && apt-get install -y chromium`);
  const projectRoot = resolve(resourcesDir(), '..');
  const work = mkdtempSync(join(tmpdir(), 'lfc-bench-renderer-'));
  const rendererDir = join(work, 'renderer');
  await buildRenderer(projectRoot, rendererDir);
  const history = openHistoryStore({ file: ':memory:' });
  const core = new LfcCore({ resourcesDirPath: resourcesDir(), dataDirPath: work, history, appVersion: 'bench' });
  const rows: Array<Record<string, string | number>> = [];
  const state = await core.startSimulator({ speed: 1 });
  // 24 h of 10 s data for 10 more series before the session's start (with breaker measured + target: 12).
  const endMs = state.nowMs;
  const points: SeriesPoint[] = [];
  for (let t = endMs - 24 * 3_600_000; t < endMs; t += 10_000) {
    for (let s = 0; s < BENCH_SERIES; s++) points.push({ seriesId: `bench.s${String(s).padStart(2, '0')}Kw`, timeMs: t, value: 100 * Math.sin(t / 3.6e6 + s) + s });
    points.push({ seriesId: 'breaker.measuredKw', timeMs: t, value: -100 + 20 * Math.sin(t / 1e6) });
    points.push({ seriesId: 'breaker.targetKw', timeMs: t, value: -100 });
  }
  history.appendPoints(points);
  history.flush();

  const server = await startServer({
    core,
    host: { appInfo: () => ({ name: 'lfc', version: 'bench', electronVersion: null, platform: process.platform }), resourcesRootPath: projectRoot },
    rendererDirPath: rendererDir,
    token: newToken(),
    port: 0,
  });
  const userDataDir = join(work, 'chromium');
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--js-flags=--expose-gc'],
    viewport: { width: 1360, height: 900 },
  });
  try {
    const page = context.pages()[0] ?? (await context.newPage());
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');

    await page.goto(server.loginUrl);
    const firstRenderMs = (await page
      .waitForFunction(`/\\d/.test(document.querySelector('[data-testid="tile-breaker"] .value')?.textContent ?? '') && performance.now()`)
      .then((h) => h.jsonValue())) as number;
    rows.push({ metric: 'Now view: first render (navigation → breaker value shown)', value: Math.round(firstRenderMs), unit: 'ms', goal: '—' });

    // Live update cost: the page idles on Now; Chrome's task time over ten 1 Hz updates.
    const metrics = async (): Promise<Record<string, number>> => {
      const m = await cdp.send('Performance.getMetrics');
      return Object.fromEntries(m.metrics.map((x) => [x.name, x.value]));
    };
    await page.waitForTimeout(1500);
    const m0 = await metrics();
    const w0 = Date.now();
    await page.waitForTimeout(10_000);
    const updates = Math.round((Date.now() - w0) / 1000);
    const m1 = await metrics();
    const perUpdateMs = (name: string): number => Math.round(((m1[name]! - m0[name]!) * 1000 * 100) / updates) / 100;
    rows.push({ metric: 'Now view: main-thread time per live update (1 Hz), all tasks', value: perUpdateMs('TaskDuration'), unit: 'ms', goal: '< 5' });
    rows.push({ metric: '  of which script (Vue + chart.js)', value: perUpdateMs('ScriptDuration'), unit: 'ms', goal: '—' });
    rows.push({ metric: '  of which style + layout', value: Math.round((perUpdateMs('RecalcStyleDuration') + perUpdateMs('LayoutDuration')) * 100) / 100, unit: 'ms', goal: '—' });

    // Trends: 12 series over 24 h.
    await page.locator('button[data-view="trends"]').click();
    await page.locator('[data-testid="follow"]').uncheck();
    for (let s = 0; s < BENCH_SERIES; s++) {
      await page.locator('label', { hasText: `bench.s${String(s).padStart(2, '0')}Kw` }).locator('input').check();
    }
    await page.waitForTimeout(500);
    // A string, not a function: tsx's name-keeping helpers (`__name`) do not exist in the page.
    const drawMs = (await page.evaluate(`(async () => {
      const canvas = document.querySelector('.trend-chart canvas');
      const before = Number(canvas.dataset.renders);
      const button = [...document.querySelectorAll('[role="group"] button')].find((b) => b.textContent.trim() === '24 h');
      const start = performance.now();
      button.click();
      await new Promise((done) => {
        const tick = () => (Number(canvas.dataset.renders) > before ? done() : requestAnimationFrame(tick));
        tick();
      });
      // Include the paint of that frame.
      await new Promise((r) => requestAnimationFrame(() => r(null)));
      return performance.now() - start;
    })()`)) as number;
    const drawn = await page.locator('.trend-chart-legend li').count();
    rows.push({ metric: `Trends: 24 h of 10 s data, ${drawn} series (query + decimate + draw)`, value: Math.round(drawMs), unit: 'ms', goal: '< 300' });

    // Heap after an hour of live data: 3600 pushes of the live picture, on the Now view.
    await page.locator('button[data-view="now"]').click();
    const heapMb = async (): Promise<number> => {
      await cdp.send('HeapProfiler.collectGarbage');
      const h = await cdp.send('Runtime.getHeapUsage');
      return Math.round((h.usedSize / 1048576) * 10) / 10;
    };
    await page.waitForTimeout(1000);
    const heap0 = await heapMb();
    core.setSpeed(60);
    for (let i = 0; i < 3600; i++) {
      core.pump();
      core.publishLive();
      if (i % 50 === 49) await page.waitForTimeout(20);
    }
    await page.waitForTimeout(1500);
    const heap1 = await heapMb();
    rows.push({ metric: 'Renderer heap before live data (after GC)', value: heap0, unit: 'MB', goal: '—' });
    rows.push({ metric: 'Renderer heap after 3600 live updates (after GC)', value: heap1, unit: 'MB', goal: '< 150, flat' });
  } finally {
    await context.close();
    await server.close();
    core.close();
    history.close();
    rmSync(work, { recursive: true, force: true });
  }
  return rows;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop()!)) {
  benchRenderer().then((rows) => console.table(rows), (error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
