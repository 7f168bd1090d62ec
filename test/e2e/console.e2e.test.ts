/**
 * The console end to end: serve mode started in-process on port 0 (real HTTP server, real WebSocket, the
 * real core on the bundled simulator at 60× real time with its 15-minute planner, and serve mode's own
 * services in a temporary data folder: settings file, secrets, log, SQLite history), the built renderer,
 * and Debian's Chromium driven by playwright-core. The login signs in one tab (its session secret leaves
 * the address bar, survives a reload; a new tab, though it has the cookie, cannot open the WebSocket and
 * asks for the login URL). The operator enters a use-case-2 target, confirms it,
 * sees the breaker follow it and the predicted exhaustion (or "none predicted"), sees the planner's
 * forecast overlaid on the Trends chart, stops it with the keyboard shortcut, exports the run (XLSX and
 * CSV, whose KPIs must equal the engine's run record), prints its report (the print CSS, as a PDF), and
 * switches to German and the dark theme, which the settings file keeps. Screenshots of every view, light
 * and dark, go to test-results/screenshots/.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import ExcelJS from 'exceljs';
import { csvNumber } from '../../src-main/core/run-export';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { LfcCore } from '../../src-main/core/lfc-core';
import { resourcesDir } from '../../src-main/node/paths';
import type { RunningServer } from '../../src-main/serve/server';
import { resultsDir, screenshotDir, startServeConsole, type ServeConsole } from './fixtures/serve-console';

const VIEWS = ['now', 'setpoint', 'assets', 'trends', 'runs', 'replay', 'settings'] as const;
const SPEED = 60;

let core: LfcCore;
let server: RunningServer;
let context: BrowserContext;
let page: Page;
let consoleUnderTest: ServeConsole;
let dataDir: string;

/** "−212.4 kW" (en) or "−212,4 kW" (de) → −212.4 */
function parseKw(text: string): number {
  const m = /([−-]?\d[\d.,]*)/.exec(text.replace(/\u202f/g, ' '));
  if (!m) throw new Error(`no number in ${JSON.stringify(text)}`);
  return Number(m[1]!.replace('−', '-').replace(/,/g, ''));
}

async function tileValue(testId: string): Promise<string> {
  return (await page.locator(`[data-testid="${testId}"] .value`).innerText()).trim();
}

async function go(view: (typeof VIEWS)[number]): Promise<void> {
  await page.locator(`button[data-view="${view}"]`).click();
  await page.locator(`button[data-view="${view}"][aria-current="page"]`).waitFor();
}

async function shootAll(theme: 'light' | 'dark'): Promise<void> {
  for (const view of VIEWS) {
    await go(view);
    // Views load their data on entry; wait until nothing is in flight, then for one frame.
    await page.waitForLoadState('networkidle');
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(screenshotDir, `${view}-${theme}.png`), fullPage: true });
  }
}

beforeAll(async () => {
  consoleUnderTest = await startServeConsole({ name: 'console', speed: SPEED, startupProblems: true, browser: { viewport: { width: 1360, height: 900 }, acceptDownloads: true, timezoneId: 'Europe/Rome' } });
  ({ core, server, context, page, dataDir } = consoleUnderTest);
}, 60_000);

afterAll(async () => {
  await consoleUnderTest?.close();
});

describe('the operator’s console in Chromium against serve mode', () => {
  it('refuses a page load without the token', async () => {
    const r = await fetch(server.url);
    expect(r.status).toBe(401);
  });

  it('signs in one tab: the secret leaves the address bar, a reload keeps it, the cookie alone opens no WebSocket', async () => {
    await page.goto(server.loginUrl);
    await expect.poll(() => page.locator('[data-testid="link"]').innerText(), { timeout: 10_000 }).toContain('connected');
    expect(page.url()).not.toContain('s=');
    expect(page.url()).not.toContain('token');
    const secret = (await page.evaluate("sessionStorage.getItem('lfc.serve.session')")) as string | null;
    expect(secret).toMatch(/^[A-Za-z0-9_-]{32}$/);

    await page.reload();
    await expect.poll(() => page.locator('[data-testid="link"]').innerText(), { timeout: 10_000 }).toContain('connected');

    const wsUrl = `${server.url.replace(/^http/, 'ws')}ws`;
    // Resolves 'open' or 'refused'; a string, not a function (tsx's helpers do not exist in the page).
    const tryWs = (protocols: string[]): string =>
      `new Promise((done) => { const ws = new WebSocket(${JSON.stringify(wsUrl)}, ${JSON.stringify(protocols)}); ws.onopen = () => { ws.close(); done('open'); }; ws.onclose = () => done('refused'); })`;
    const other = await context.newPage();
    try {
      // A new tab has the (port-blind) cookie, so the page loads, but no session secret: it asks for the login URL.
      await other.goto(server.url);
      await other.locator('[data-testid="login-needed"]').waitFor();
      expect(await other.locator('[data-testid="login-needed"]').innerText()).toMatch(/login URL/);
      // The browser sends our cookie and our Origin with the upgrade: still refused without the secret.
      expect(await other.evaluate(tryWs(['lfc.v1']))).toBe('refused');
      expect(await other.evaluate(tryWs(['lfc.v1', 'lfc.s.wrong-secret']))).toBe('refused');
      expect(await other.evaluate(tryWs(['lfc.v1', `lfc.s.${secret}`]))).toBe('open');
    } finally {
      await other.close();
    }
  }, 60_000);

  it('holds a use-case-2 target entered and confirmed by the operator, then stops it', async () => {
    await page.goto(server.loginUrl);
    await expect.poll(() => page.locator('[data-testid="link"]').innerText(), { timeout: 10_000 }).toContain('connected');
    await expect.poll(async () => tileValue('tile-breaker'), { timeout: 10_000 }).toMatch(/\d/);

    const measured = core.getState().breaker.measuredKw!;
    const target = Math.round(measured - 80);
    await go('setpoint');
    await page.locator('[data-testid="use-case"]').selectOption('2');
    await page.locator('[data-testid="target-kw"]').fill(String(target));
    await page.locator('[data-testid="duration-min"]').fill('120');
    await page.locator('[data-testid="tolerance-kw"]').fill('10');
    await page.locator('[data-testid="check"]').click();
    await page.locator('[data-testid="review"]').waitFor();
    expect(await page.locator('[data-testid="verdict"]').innerText()).toMatch(/feasible|tight/);
    expect(core.getState().run).toBeNull(); // nothing sent before the second step
    await page.locator('[data-testid="confirm"]').click();
    await expect.poll(() => page.locator('[data-testid="setpoint-result"]').innerText()).toMatch(/Trigger OP-001 accepted/);

    await go('now');
    await expect.poll(async () => tileValue('tile-target'), { timeout: 5_000 }).toMatch(new RegExp(`^[−-]?${Math.abs(target)}(\\.0)?\\s*kW$`));
    // The trend follows: the breaker power the page shows comes within the tolerance of the target.
    await expect
      .poll(async () => Math.abs(parseKw(await tileValue('tile-breaker')) - parseKw(await tileValue('tile-target'))), { timeout: 20_000, interval: 500 })
      .toBeLessThanOrEqual(10);
    await expect.poll(async () => tileValue('kpi-k03'), { timeout: 5_000 }).toMatch(/\d.*kW/);
    // The engine's exhaustion warning: a countdown with its confidence, or an honest "none predicted".
    const exhaustion = await tileValue('tile-exhaustion');
    const warning = core.getState().run?.exhaustion ?? null;
    expect(exhaustion).toMatch(warning === null ? /^none predicted$/ : /^runs out in \d/);
    // K01's held share says what it is of: the request so far, and what ends it.
    expect(await page.locator('[data-testid="kpi-k01"]').innerText()).toMatch(/held: [\d.]+\s*% · requested so far .*\(its duration\)/);

    // The planner's forecast of the breaker power, overlaid (dashed) on the measured one.
    await expect.poll(() => core.listSeries().find((s) => s.seriesId === 'breaker.measuredKw')?.forecastSeriesId, { timeout: 20_000 }).toBe('forecast.breakerKw');
    await go('trends');
    await page.locator('.trend-chart-legend li[data-series="forecast.breakerKw"]').waitFor({ timeout: 10_000 });
    expect(await page.locator('[data-testid="overlay-state"]').innerText()).toMatch(/forecast\.breakerKw dashed: the plan in force at each slot’s start.*\(plans issued: [1-9]\d*\)/);
    expect(await page.locator('.trend-chart-legend li[data-series="forecast.breakerKw"] .latest').innerText()).toMatch(/\d.*kW/);
    await page.locator('[data-testid="overlay"]').uncheck();
    await expect.poll(() => page.locator('.trend-chart-legend li[data-series="forecast.breakerKw"]').count()).toBe(0);
    await page.locator('[data-testid="overlay"]').check();
    await page.locator('.trend-chart-legend li[data-series="forecast.breakerKw"]').waitFor();
    await shootAll('light');

    // Stop with the keyboard shortcut from another view.
    await go('assets');
    await page.keyboard.press('Alt+KeyS');
    await page.locator('[data-testid="stop-result"]').waitFor();
    expect(core.getState().run).toBeNull();
    expect(core.engineRuns()[0]?.endReason).toBe('operator-stop');
    // The ended run's final KPIs stay on the Now view (they used to vanish as "— %"), saying whose they are.
    await go('now');
    await expect.poll(() => page.locator('[data-testid="kpi-heading"]').innerText(), { timeout: 10_000 }).toMatch(/KPIs of run-001 \(ended: operator stop\)/);
    const withinBand = core.engineRuns()[0]!.kpis!.accuracy.withinBandPct!;
    expect(await page.locator('[data-testid="kpi-k03"]').innerText()).toContain(`${withinBand.toFixed(1)}`);
  }, 60_000);

  it('exports the run as XLSX and CSV with the engine’s KPIs', async () => {
    const engineRun = core.engineRuns()[0]!;
    await go('runs');
    const row = page.locator('[data-testid="runs-table"] tbody tr').first();
    await row.waitFor();
    // The table may first show the list it had before the stop reached it; it refreshes from the history.
    await expect.poll(() => row.innerText(), { timeout: 10_000 }).toContain('operator stop');
    // The held share with its denominator: the request was withdrawn by the stop.
    expect(await row.locator('[data-held]').innerText()).toMatch(/of .*· stopped by the operator/);

    const [xlsxDownload] = await Promise.all([page.waitForEvent('download'), row.locator('button[data-export$=":xlsx"]').click()]);
    const xlsxPath = join(resultsDir, 'run-export.xlsx');
    await xlsxDownload.saveAs(xlsxPath);
    const wb = new ExcelJS.Workbook();
    await wb.xlsx.readFile(xlsxPath);
    const kpis = new Map<string, { value: unknown; unit: unknown }>();
    wb.getWorksheet('KPIs')!.eachRow((r) => kpis.set(String(r.getCell(1).value), { value: r.getCell(2).value, unit: r.getCell(3).value }));
    const k = engineRun.kpis!;
    expect(kpis.get('kpi.accuracy.maeKw')).toEqual({ value: k.accuracy.maeKw, unit: 'kW' });
    expect(kpis.get('kpi.accuracy.withinBandPct')?.value).toBe(k.accuracy.withinBandPct);
    expect(kpis.get('kpi.availability.coveredPct')?.value).toBe(k.availability.coveredPct);
    expect(kpis.get('kpi.responsiveness.settlingS')?.value).toBe(k.responsiveness.settlingS ?? '');
    expect(kpis.get('endReason')?.value).toBe('operator-stop');
    const ts = wb.getWorksheet('Time series')!;
    expect(ts.getRow(1).getCell(2).value).toBe('breaker.measuredKw [kW]');
    expect(ts.rowCount).toBeGreaterThan(engineRun.samples.sampleTimeMs.length / 2);

    const [csvDownload] = await Promise.all([page.waitForEvent('download'), row.locator('button[data-export$=":csv"]').click()]);
    const csvPath = join(resultsDir, 'run-export.csv');
    await csvDownload.saveAs(csvPath);
    const csv = readFileSync(csvPath, 'utf8');
    expect(csv).toContain(`# kpi.accuracy.maeKw,${csvNumber(k.accuracy.maeKw!, 'en')},kW`);
    expect(csv).toContain(`# kpi.accuracy.rmseKw,${csvNumber(k.accuracy.rmseKw!, 'en')},kW`);
    expect(csv).toContain(`# kpi.availability.heldPctOfRequested,${csvNumber(k.availability.heldPctOfRequested!, 'en')},%`);
    expect(csv).toMatch(/\ntime \(UTC\),local time \(Europe\/Rome\),breaker\.measuredKw \[kW\],breaker\.targetKw \[kW\]/);
  }, 30_000);

  it('prints the run’s report: serve mode hands it to the browser’s print, with the report’s print CSS', async () => {
    const engineRun = core.engineRuns()[0]!;
    const row = page.locator('[data-testid="runs-table"] tbody tr').first();
    // The browser's print dialog cannot be driven headless: count the calls instead (a string, not a
    // function: tsx's helpers do not exist in the page).
    await page.evaluate('window.__printCalls = 0; window.print = () => { window.__printCalls += 1; }');
    await row.locator('button[data-report]').click();
    await expect.poll(() => page.evaluate('window.__printCalls'), { timeout: 15_000 }).toBe(1);
    const report = page.locator('[data-testid="report"]');
    await report.waitFor();
    // On screen the report is a preview under the table, with a PNG per plot.
    expect(await page.locator('[data-testid="runs-table"]').isVisible()).toBe(true);
    expect(await report.locator('figure img').count()).toBe(3);
    await report.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(screenshotDir, 'runs-report-screen.png'), fullPage: true });
    const [png] = await Promise.all([page.waitForEvent('download'), report.locator('button[data-png="breaker"]').click()]);
    expect(png.suggestedFilename()).toMatch(/-breaker\.png$/);
    const pngPath = join(resultsDir, 'run-report-breaker.png');
    await png.saveAs(pngPath);
    expect(readFileSync(pngPath).subarray(1, 4).toString('latin1')).toBe('PNG');
    await page.emulateMedia({ media: 'print' });
    try {
      await checkPrintedReport(report, engineRun);
    } finally {
      await page.emulateMedia({ media: 'screen' });
    }
  }, 40_000);

  async function checkPrintedReport(report: ReturnType<Page['locator']>, engineRun: ReturnType<LfcCore['engineRuns']>[number]): Promise<void> {
    expect(await report.isVisible()).toBe(true);
    expect(await page.locator('[data-testid="runs-table"]').isVisible()).toBe(false);
    expect(await report.locator('button').first().isVisible()).toBe(false); // no buttons on paper
    const text = await report.innerText();
    expect(text).toContain('Trial report');
    expect(await report.locator('[data-testid="report-end"]').innerText()).toBe('operator stop');
    const k = engineRun.kpis!;
    const maeKw = k.accuracy.maeKw;
    expect(maeKw).not.toBeNull();
    // Human labels, the unit with each figure, and its basis (KPI.md); no raw keys for what the report knows.
    expect(await report.locator('[data-kpi="accuracy.maeKw"]').innerText()).toBe(`Mean absolute error\t${maeKw!.toFixed(2)}\u202fkW\tmean ∣e∣, e = P_B − P*, over the samples after settling (or 60 s)`);
    expect(text).not.toContain('responsiveness.loopLatencyMs');
    // The headline: held share of the request with its span and basis (an operator stop cuts the request).
    expect(await report.locator('[data-testid="report-held"]').innerText()).toMatch(/^[\d.]+\u202f% of the request: .* \(end by stopped by the operator\)/);
    expect(await report.locator('[data-testid="report-covered"]').innerText()).toBe(k.availability.coveredPct === null ? '—\u202f%' : `${k.availability.coveredPct.toFixed(1)}\u202f%`);
    // The trigger as received, the versions, the record's status, the zone stated.
    expect(await report.locator('[data-testid="report-trigger"]').innerText()).toMatch(/Sent by\toperator:console/);
    expect(await report.locator('[data-testid="report-config"]').innerText()).toMatch(/App version\t\d+\.\d+\.\d+.*\nConfiguration version\tlfc-config\//);
    expect(await report.locator('[data-testid="report-record"]').innerText()).toMatch(/simulator run/);
    expect(await report.locator('[data-testid="report-zone"]').innerText()).toMatch(/Europe\/Rome \(UTC\+[12]\)/);
    // The plots are images in the printed page.
    for (const id of ['breaker', 'bess', 'flex']) {
      const img = report.locator(`figure[data-chart="${id}"] img`);
      expect(await img.isVisible(), id).toBe(true);
      expect(await img.evaluate((el) => (el as unknown as { naturalWidth: number }).naturalWidth), id).toBe(1200);
    }
    await page.screenshot({ path: join(screenshotDir, 'runs-report-print.png'), fullPage: true });
    // Chromium's print pipeline, as Electron's printToPDF uses it in the desktop app.
    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    writeFileSync(join(resultsDir, 'run-report.pdf'), pdf);
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    // Three embedded images (the plots) made it into the PDF.
    expect((pdf.toString('latin1').match(/\/Subtype\s*\/Image/g) ?? []).length).toBeGreaterThanOrEqual(3);
  }

  it('switches to German and to the dark theme', async () => {
    await core.startReplay({ scenarioPath: join(resourcesDir(), 'scenarios', 'summer-export-hold', 'scenario.json'), speed: 'max' });
    await go('settings');
    await page.locator('input[data-lang="de"]').check();
    await expect.poll(() => page.locator('button[data-view="now"]').innerText()).toContain('Jetzt');
    expect(await page.locator('button[data-view="setpoint"]').innerText()).toContain('Sollwert');
    expect(await page.locator('[data-testid="stop"]').innerText()).toContain('Stopp');
    await page.locator('input[data-theme-choice="dark"]').check();
    expect(await page.locator('html').getAttribute('data-theme')).toBe('dark');
    // Serve mode keeps them in its settings file, like the desktop app.
    await expect.poll(() => JSON.parse(readFileSync(join(dataDir, 'settings.json'), 'utf8')) as { language: string; theme: string }).toMatchObject({ language: 'de', theme: 'dark' });
    expect(await page.locator('[data-testid="data-folder"]').innerText()).toBe(dataDir);
    expect(await page.locator('[data-testid="log-file"]').innerText()).toBe(join(dataDir, 'logs', 'lfc.log'));
    // A German decimal comma is read as typed (a browser number field made −1505 of "-150,5"), and a
    // separator that may be a grouping is refused at the field, not guessed.
    await go('setpoint');
    await page.locator('[data-testid="use-case"]').selectOption('2');
    await page.locator('[data-testid="target-kw"]').fill('-1.500');
    expect(await page.locator('[data-testid="target-kw-error"]').innerText()).toMatch(/Mehrdeutig/);
    await page.locator('[data-testid="target-kw"]').fill('-150,5');
    expect(await page.locator('[data-testid="target-kw-error"]').count()).toBe(0);
    await page.locator('[data-testid="check"]').click();
    await page.locator('[data-testid="review"]').waitFor();
    expect(await page.locator('[data-testid="review"]').innerText()).toMatch(/[−-]150,5\s?kW/);
    await page.locator('[data-testid="cancel"]').click();
    // Trends name their series in German, not by their ids.
    await go('trends');
    await expect.poll(() => page.locator('.series-list').innerText(), { timeout: 10_000 }).toContain('Übergabepunkt: gemessene Leistung');
    await expect.poll(() => core.getReplay().status, { timeout: 20_000 }).toBe('done');
    await shootAll('dark');
  }, 60_000);

  it('says when the simulated scenario has reached its end, and starts it again on request', async () => {
    await core.startSimulator({ speed: 'max' });
    await expect.poll(() => core.getState().status, { timeout: 30_000 }).toBe('ended');
    const before = core.getState().sessionId;
    await page.locator('[data-testid="scenario-ended"]').waitFor({ timeout: 10_000 });
    expect(await page.locator('[data-testid="scenario-ended"]').innerText()).toMatch(/summer-export-hold/);
    // The session clock says whose time it is.
    expect(await page.locator('[data-testid="session-zone"]').innerText()).toMatch(/\(Europe\/Rome\)/);
    await page.locator('[data-testid="restart-simulator"]').click();
    await expect.poll(() => core.getState().sessionId, { timeout: 10_000 }).not.toBe(before);
    // No run in force: nothing can run out, so no "none predicted" either.
    await go('now');
    expect(await tileValue('tile-exhaustion')).toBe('—');
  }, 60_000);

  it('says so when the controller goes away under an open page, and greys every figure as the last one received', async () => {
    await go('now');
    expect(await page.locator('[data-testid="connection-lost"]').count()).toBe(0);
    // Every live tile says how old its value is; live, none is stale.
    const ages = page.locator('.base-kpi-tile [data-testid="data-age"]');
    expect(await ages.count()).toBe(9);
    await expect.poll(() => ages.evaluateAll((els) => els.map((e) => e.getAttribute('data-stale')))).toEqual(Array(9).fill('false'));
    // After the restart above the first breaker sample may still be on its way ("no data yet").
    await expect.poll(() => page.locator('[data-testid="tile-breaker"] [data-testid="data-age"]').innerText(), { timeout: 10_000 }).toMatch(/^vor \d+\s?s$|^\d+\s?s old$/);
    await server.close();
    await page.locator('[data-testid="connection-lost"]').waitFor({ timeout: 15_000 });
    expect(await page.locator('[data-testid="connection-lost"]').innerText()).toMatch(/Seit .* keine Daten vom Regler|No data from the controller for/);
    expect(await page.locator('main').getAttribute('data-stale')).toBe('true');
    expect(await page.locator('[data-testid="link"]').innerText()).toMatch(/keine Verbindung|no connection/);
    // Every tile's value is marked stale, with its age.
    expect(await ages.evaluateAll((els) => els.map((e) => e.getAttribute('data-stale')))).toEqual(Array(9).fill('true'));
    expect(await page.locator('[data-testid="tile-breaker"] [data-testid="data-age"]').innerText()).toMatch(/^(veraltet: vor|stale:) /);
    // A Stop under the dead link: said within seconds, in the page's language.
    await page.locator('[data-testid="stop"]').click();
    await expect.poll(() => page.locator('[data-testid="stop-result"]').innerText(), { timeout: 10_000 }).toMatch(/Stopp fehlgeschlagen: keine Antwort vom Regler|Stop failed: no answer from the controller/);
    await page.screenshot({ path: join(screenshotDir, 'now-connection-lost.png'), fullPage: true });
  }, 30_000);
});
