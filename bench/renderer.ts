/**
 * The console in Chromium (Debian's, via playwright-core) against serve mode in this process:
 * - time to first render of the Now view (navigation start → the breaker tile shows a number);
 * - time to draw 24 h of 10 s data for 12 series on the Trends view (click "24 h" → chart drawn; the core
 *   decimates in SQL to ≤ 800 buckets per series, which is how the product draws long ranges);
 * - cost per live update at 1 Hz on the Now view with a run in force, over 10 updates: Chrome's own TaskDuration, less the same
 *   page's TaskDuration with no live updates at all (measured at the end, with the core closed: headless
 *   Chromium spends a few ms per second on its own housekeeping, which is not the update's cost), and a
 *   Chromium trace of the same seconds split into script, style + layout, and paint + compositing on the
 *   renderer's main thread (plus raster on other threads), and the console's own marks for its part
 *   (`lfc:live-apply`: the store update and Vue's DOM patch; `lfc:chart-draw`: chart.js's update);
 * - renderer heap after an hour of live data (3600 `core:onLive` pushes, then a forced GC).
 * Goals: draw < 300 ms, update < 5 ms, heap flat and < 150 MB.
 *
 * `LFC_BENCH_RENDERER_DIR=<built renderer>` measures another build (e.g. an older one, for a before/after).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { chromium } from 'playwright-core';
import type { CDPSession } from 'playwright-core';

import { LfcCore } from '../src-main/core/lfc-core';
import { resourcesDir } from '../src-main/node/paths';
import { buildRenderer } from '../src-main/serve/build-renderer';
import { newToken, startServer } from '../src-main/serve/server';
import { openHistoryStore } from '../src-main/storage/history-store';
import type { SeriesPoint } from '../src-main/storage/history-store';

const CHROMIUM = '/usr/bin/chromium';
const BENCH_SERIES = 10;

interface TraceEvent {
  name: string;
  ph: string;
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  args?: { name?: string };
}

/** Main-thread work by kind, in ms, from a Chromium trace; only the outermost event of a kind counts. */
export interface TraceBreakdown {
  taskMs: number;
  scriptMs: number;
  styleLayoutMs: number;
  paintMs: number;
  gcMs: number;
  /** Raster and compositing on other threads of the renderer (does not block the main thread). */
  otherThreadsRasterMs: number;
}

const SCRIPT = new Set(['FunctionCall', 'EvaluateScript', 'TimerFire', 'FireAnimationFrame', 'EventDispatch', 'RunMicrotasks', 'v8.execute', 'V8.Execute', 'v8.callFunction']);
const STYLE_LAYOUT = new Set(['UpdateLayoutTree', 'RecalculateStyles', 'Layout']);
const PAINT = new Set(['PrePaint', 'Paint', 'PaintImage', 'Layerize', 'UpdateLayer', 'UpdateLayerTree', 'CompositeLayers', 'Commit', 'ScrollbarPaint', 'RasterTask', 'Decode Image', 'Canvas2DLayerBridge::FlushRecording', 'CanvasResourceProvider::FlushCanvas']);
const GC = new Set(['MajorGC', 'MinorGC', 'V8.GCScavenger', 'V8.GC_MARK_COMPACTOR', 'BlinkGC.AtomicPhase']);
const RASTER = new Set(['RasterTask', 'TileManager::FlushAndIssueSignals', 'ImageDecodeTask', 'Display::DrawAndSwap', 'SkiaOutputSurfaceImplOnGpu::SwapBuffers']);

export function breakdownTrace(events: readonly TraceEvent[]): TraceBreakdown {
  const threadNames = new Map<string, string>();
  for (const e of events) if (e.ph === 'M' && e.name === 'thread_name' && e.args?.name) threadNames.set(`${e.pid}:${e.tid}`, e.args.name);
  const mainKey = [...threadNames.entries()].find(([, n]) => n === 'CrRendererMain')?.[0];
  const complete = events.filter((e) => e.ph === 'X' && typeof e.dur === 'number');
  const sum = (onMain: boolean, names: ReadonlySet<string>): number => {
    const chosen = complete.filter((e) => names.has(e.name) && (`${e.pid}:${e.tid}` === mainKey) === onMain).sort((a, b) => a.ts - b.ts);
    let total = 0;
    let coveredUntil = -Infinity;
    const byThread = new Map<string, number>();
    for (const e of chosen) {
      const key = `${e.pid}:${e.tid}`;
      coveredUntil = byThread.get(key) ?? -Infinity;
      if (e.ts >= coveredUntil) {
        total += e.dur!;
        byThread.set(key, e.ts + e.dur!);
      }
    }
    return total / 1000;
  };
  const rendererPid = mainKey?.split(':')[0];
  const rasterOther = complete.filter((e) => RASTER.has(e.name) && String(e.pid) === rendererPid && `${e.pid}:${e.tid}` !== mainKey);
  return {
    taskMs: sum(true, new Set(['ThreadControllerImpl::RunTask', 'RunTask'])),
    scriptMs: sum(true, SCRIPT),
    styleLayoutMs: sum(true, STYLE_LAYOUT),
    paintMs: sum(true, PAINT),
    gcMs: sum(true, GC),
    otherThreadsRasterMs: rasterOther.reduce((a, e) => a + e.dur!, 0) / 1000,
  };
}

/** Records a Chromium trace of the renderer while `during` runs. */
async function traced(cdp: CDPSession, during: () => Promise<void>): Promise<TraceEvent[]> {
  await cdp.send('Tracing.start', {
    transferMode: 'ReturnAsStream',
    traceConfig: { includedCategories: ['devtools.timeline', 'disabled-by-default-devtools.timeline', 'v8.execute', 'v8', 'blink', 'cc', 'gpu', 'viz', 'toplevel', 'disabled-by-default-v8.gc', '__metadata'] },
  });
  await during();
  const complete = new Promise<string>((resolve) => cdp.once('Tracing.tracingComplete', (e) => resolve(e.stream!)));
  await cdp.send('Tracing.end');
  const handle = await complete;
  let text = '';
  for (;;) {
    const chunk = await cdp.send('IO.read', { handle, size: 4 * 1024 * 1024 });
    text += chunk.base64Encoded ? Buffer.from(chunk.data, 'base64').toString('utf8') : chunk.data;
    if (chunk.eof) break;
  }
  await cdp.send('IO.close', { handle });
  const parsed = JSON.parse(text) as { traceEvents?: TraceEvent[] } | TraceEvent[];
  return Array.isArray(parsed) ? parsed : (parsed.traceEvents ?? []);
}

export async function benchRenderer(): Promise<Array<Record<string, string | number>>> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium is missing at ${CHROMIUM}: apt-get update && apt-get install -y chromium`);
  const projectRoot = resolve(resourcesDir(), '..');
  const work = mkdtempSync(join(tmpdir(), 'lfc-bench-renderer-'));
  const prebuilt = process.env['LFC_BENCH_RENDERER_DIR'];
  const rendererDir = prebuilt ? resolve(prebuilt) : join(work, 'renderer');
  if (!prebuilt) await buildRenderer(projectRoot, rendererDir);
  const history = openHistoryStore({ file: ':memory:' });
  const core = new LfcCore({ resourcesDirPath: resourcesDir(), dataDirPath: work, history, appVersion: 'bench' });
  const rows: Array<Record<string, string | number>> = [];
  const state = await core.startSimulator({ speed: 1 });
  // A run in force, as an engineer watches it: its time left, KPIs and band change with every update.
  const trigger = core.sendTrigger({ useCase: 2, targetKw: -250, durationS: 7200, toleranceKw: 10 });
  if (!trigger.accepted) throw new Error(`the bench's trigger was refused: ${trigger.reason ?? '?'}`);
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
    // The console's own marks (a newer build measures its update; an older one has none): collected by an
    // observer, since the console clears its entries to keep the buffer from growing.
    await page.evaluate(`window.__lfcMeasures = []; new PerformanceObserver((list) => { for (const e of list.getEntries()) window.__lfcMeasures.push([e.name, e.duration]); }).observe({ type: 'measure' });`);
    // Ten seconds untraced (Chrome's own counters and the console's marks), then ten traced (tracing costs
    // time itself, so only the split between kinds of work is taken from it).
    const m0 = await metrics();
    const w0 = Date.now();
    await page.waitForTimeout(10_000);
    const updates = Math.round((Date.now() - w0) / 1000);
    const m1 = await metrics();
    const own = (await page.evaluate('window.__lfcMeasures')) as Array<[string, number]>;
    const w1 = Date.now();
    const trace = await traced(cdp, () => page.waitForTimeout(10_000));
    const tracedUpdates = Math.round((Date.now() - w1) / 1000);
    const round = (x: number): number => Math.round(x * 100) / 100;
    const perUpdateMs = (name: string): number => round(((m1[name]! - m0[name]!) * 1000) / updates);
    const t = breakdownTrace(trace);
    const ownMs = (name: string): number | string => {
      const d = own.filter(([n]) => n === name).map(([, v]) => v);
      return d.length === 0 ? 'n/a' : round(d.reduce((a, b) => a + b, 0) / updates);
    };
    const allTasksMs = perUpdateMs('TaskDuration');
    rows.push({ metric: 'Now view: main-thread time per live update (1 Hz), all tasks (CDP TaskDuration)', value: allTasksMs, unit: 'ms', goal: '—' });
    const floorRow = rows.length;
    rows.push({ metric: '  own mark: store update + Vue DOM patch (lfc:live-apply)', value: ownMs('lfc:live-apply'), unit: 'ms', goal: '—' });
    rows.push({ metric: '  own mark: chart.js update + draw calls (lfc:chart-draw)', value: ownMs('lfc:chart-draw'), unit: 'ms', goal: '—' });
    rows.push({ metric: '    of which canvas drawing (lfc:chart-canvas)', value: ownMs('lfc:chart-canvas'), unit: 'ms', goal: '—' });
    const traced1 = (x: number): number => round(x / tracedUpdates);
    rows.push({ metric: 'Traced (tracing adds its own cost): main-thread tasks per update', value: traced1(t.taskMs), unit: 'ms', goal: '—' });
    rows.push({ metric: '  script (all JS: WebSocket frame, Vue, chart.js)', value: traced1(t.scriptMs), unit: 'ms', goal: '—' });
    rows.push({ metric: '  style + layout', value: traced1(t.styleLayoutMs), unit: 'ms', goal: '—' });
    rows.push({ metric: '  paint + compositing (main thread)', value: traced1(t.paintMs), unit: 'ms', goal: '—' });
    rows.push({ metric: '  garbage collection', value: traced1(t.gcMs), unit: 'ms', goal: '—' });
    rows.push({ metric: '  raster on other threads (not blocking)', value: traced1(t.otherThreadsRasterMs), unit: 'ms', goal: '—' });

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

    // The idle floor: the same page, the core closed (no more pushes), over as many seconds.
    core.close();
    await page.waitForTimeout(1500);
    const f0 = await metrics();
    const wf = Date.now();
    await page.waitForTimeout(10_000);
    const f1 = await metrics();
    const idleMsPerS = round(((f1['TaskDuration']! - f0['TaskDuration']!) * 1000) / ((Date.now() - wf) / 1000));
    rows.splice(
      floorRow,
      0,
      { metric: '  the same page with no live updates (idle floor, per second)', value: idleMsPerS, unit: 'ms', goal: '—' },
      { metric: '  per live update, net of the idle floor', value: round(allTasksMs - idleMsPerS), unit: 'ms', goal: '< 5' },
    );
  } finally {
    await context.close();
    await server.close();
    core.close();
    history.close();
    rmSync(work, { recursive: true, force: true });
    if (prebuilt) process.stderr.write(`(measured the prebuilt renderer in ${rendererDir})\n`);
  }
  return rows;
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop()!)) {
  benchRenderer().then((rows) => console.table(rows), (error: unknown) => {
    console.error(error);
    process.exit(1);
  });
}
