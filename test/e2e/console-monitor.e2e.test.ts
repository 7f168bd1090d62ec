/**
 * The console's monitoring and scheduling in Chromium against serve mode (started in-process on port 0 on
 * the bundled simulator at 60×, as `console.e2e.test.ts` does), at a 1366×768 laptop screen:
 * - Now: the energy-flow picture (grid, breaker, BESS, PV, households, heat pumps, home batteries, with
 *   power and direction, in words for a screen reader), the flexibility band as a bar with the need marked,
 *   and the exhaustion countdown, all above the fold;
 * - Trends: the crosshair with every visible series' value at the cursor, the legend's min/mean/max of the
 *   window, the range presets and a free from–to, zoom and its reset, markers that explain themselves;
 * - Setpoint: a use-case-4 schedule pasted from a spreadsheet (German decimal comma), a bad row refused at
 *   the row, the feasibility preview, then sent.
 * Screenshots go to test-results/screenshots/monitor-*.png.
 */
import { join } from 'node:path';

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { LfcCore } from '../../src-main/core/lfc-core';
import type { RunningServer } from '../../src-main/serve/server';
import { screenshotDir, startServeConsole, type ServeConsole } from './fixtures/serve-console';

const SPEED = 60;

let core: LfcCore;
let server: RunningServer;
let page: Page;
let consoleUnderTest: ServeConsole;

/** "−212.4 kW" → −212.4 (English page). */
function parseKw(text: string): number {
  const m = /([−-]?\d[\d.,]*)/.exec(text);
  if (!m) throw new Error(`no number in ${JSON.stringify(text)}`);
  return Number(m[1]!.replace('−', '-').replace(/,/g, ''));
}

async function go(view: 'now' | 'setpoint' | 'trends'): Promise<void> {
  await page.locator(`button[data-view="${view}"]`).click();
  await page.locator(`button[data-view="${view}"][aria-current="page"]`).waitFor();
}

beforeAll(async () => {
  consoleUnderTest = await startServeConsole({ name: 'monitor', speed: SPEED, startupProblems: true, browser: { viewport: { width: 1366, height: 768 }, timezoneId: 'Europe/Rome' } });
  ({ core, server, page } = consoleUnderTest);
}, 60_000);

afterAll(async () => {
  await consoleUnderTest?.close();
});

describe('monitoring and scheduling in Chromium at 1366×768', () => {
  it('Now: the energy flows with power and direction, the band with the need marked, the countdown, above the fold', async () => {
    await page.goto(server.loginUrl);
    await expect.poll(() => page.locator('[data-testid="link"]').innerText(), { timeout: 10_000 }).toContain('connected');
    await go('now');
    const flow = page.locator('[data-testid="energy-flow"]');
    await flow.waitFor();
    // The simulator records the community's PV and load: both get their own line once the history has them.
    await expect.poll(() => page.locator('[data-flow="pv"]').count(), { timeout: 20_000 }).toBe(1);
    for (const id of ['grid', 'pv', 'households', 'heatPumps', 'householdStorage', 'bess']) expect(await page.locator(`[data-flow="${id}"]`).count(), id).toBe(1);
    // The grid line's direction is the breaker's sign: import flows into the community.
    const breakerKw = core.getState().breaker.measuredKw!;
    expect(await page.locator('[data-flow="grid"]').getAttribute('data-direction')).toBe(Math.abs(breakerKw) < 0.5 ? 'idle' : breakerKw > 0 ? 'toBus' : 'fromBus');
    // The text alternative lists every flow in words.
    const desc = await page.locator('[data-testid="energy-flow-desc"]').textContent();
    expect(desc).toMatch(/Grid: [\d.,]+\s*kW (imported from|exported to) the grid/);
    expect(desc).toMatch(/PV: (generating [\d.,]+\s*kW|idle)/);
    expect(desc).toMatch(/Community BESS: (charging at|discharging at|idle)/);
    expect(desc).toMatch(/Home batteries \(\d+\)/);
    expect(await flow.locator('svg').getAttribute('role')).toBe('img');

    // No run: the assets' own band, no need, and no exhaustion verdict.
    await expect.poll(() => page.locator('[data-testid="flex-band-bar"]').count(), { timeout: 10_000 }).toBe(1);
    expect(await page.locator('[data-testid="flex-band-bar"]').getAttribute('data-need')).toBe('none');
    expect(await page.locator('[data-testid="flex-countdown"]').innerText()).toMatch(/no run/);

    // A run: the need (target − uncontrolled) is marked on the run's band.
    const r = core.sendTrigger({ useCase: 2, targetKw: Math.round(breakerKw - 80), durationS: 7200, toleranceKw: 10 });
    expect(r.accepted).toBe(true);
    await expect.poll(() => page.locator('[data-testid="flex-band-bar"]').getAttribute('data-need'), { timeout: 10_000 }).toMatch(/^(inside|edge|outside)$/);
    expect(await page.locator('[data-testid="flex-band-bar"]').getAttribute('aria-label')).toMatch(/Flexibility band .*kW … .*kW; the assets draw .* now; the target needs .*kW, (inside|at the edge of|outside) the band/);
    await expect.poll(() => page.locator('[data-testid="flex-countdown"]').innerText(), { timeout: 10_000 }).toMatch(/Exhaustion: (no exhaustion predicted for this run|runs out in .*)/);
    const countdown = await page.locator('[data-testid="flex-countdown"]').innerText();
    if (core.getState().run?.exhaustion) expect(countdown).toMatch(/confidence: (high|medium|low)/);

    // Above the fold at 1366×768: the picture and the band next to the chart, under the tiles.
    await page.screenshot({ path: join(screenshotDir, 'monitor-now-1366.png') });
    const box = await page.locator('[data-testid="flex-band"]').boundingBox();
    expect(box).not.toBeNull();
    expect(box!.y + box!.height).toBeLessThanOrEqual(768);
    const flowBox = (await flow.boundingBox())!;
    const chartBox = (await page.locator('.now-chart canvas').boundingBox())!;
    expect(flowBox.x).toBeGreaterThan(chartBox.x + chartBox.width - 1);
  }, 60_000);

  it('Trends: crosshair with every series’ value, legend min/mean/max, range presets and a free from–to, zoom and its reset, markers that explain themselves', async () => {
    await go('trends');
    await page.locator('label[title="bess.powerKw"] input').check();
    await page.locator('[data-testid="follow"]').uncheck();
    await page.getByRole('button', { name: /^10 min$/ }).click();
    const legend = page.locator('[data-testid="legend-stats"]');
    await expect.poll(() => legend.locator('li[data-series]').count(), { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    // Min ≤ mean ≤ max for the measured breaker power over the window.
    const row = legend.locator('li[data-series="breaker.measuredKw"]');
    await expect.poll(() => row.locator('[data-stat="mean"]').innerText(), { timeout: 10_000 }).toMatch(/\d/);
    const stat = async (k: string) => parseKw(await row.locator(`[data-stat="${k}"]`).innerText());
    expect(await stat('min')).toBeLessThanOrEqual(await stat('mean'));
    expect(await stat('mean')).toBeLessThanOrEqual(await stat('max'));

    // The crosshair: every visible series' value at the pointer.
    const canvas = page.locator('.trend-chart canvas');
    const box = (await canvas.boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.85, box.y + box.height / 2);
    const tip = page.locator('[data-testid="crosshair"]');
    await tip.waitFor();
    expect(await tip.locator('tr').count()).toBe(await legend.locator('li[data-series]').count());
    expect(await tip.locator('tr[data-series="breaker.measuredKw"] .value').innerText()).toMatch(/\d.*kW/);
    expect(await tip.locator('tr[data-series="bess.powerKw"] .value').innerText()).toMatch(/\d.*kW/);
    await page.screenshot({ path: join(screenshotDir, 'monitor-trends-crosshair.png') });

    // A marker explains itself under the pointer: find the run's start by sweeping near where it must be.
    expect(await page.locator('[data-testid="window-text"]').innerText()).toMatch(/Shown: .* – .* \(Europe\/Rome\)/);
    // Where the run's start is on the plot: the crosshair's own time at two points gives the time → pixel map.
    const runStartMs = core.engineRuns()[0]!.startMs;
    const secondsOfDay = (hms: string) => hms.split(':').map(Number).reduce((acc, v) => acc * 60 + v, 0);
    const timeAt = async (px: number) => {
      await page.mouse.move(px, box.y + box.height / 2);
      await page.waitForTimeout(30);
      return secondsOfDay((await tip.locator('.time').innerText()).trim());
    };
    const x1 = box.x + box.width * 0.3;
    const x2 = box.x + box.width * 0.7;
    const [t1, t2] = [await timeAt(x1), await timeAt(x2)];
    const target = secondsOfDay(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Rome', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).format(runStartMs));
    const guess = x1 + ((target - t1) / (t2 - t1)) * (x2 - x1);
    let found = false;
    for (let dx = -8; dx <= 8 && !found; dx += 2) {
      await page.mouse.move(guess + dx, box.y + box.height / 2);
      await page.waitForTimeout(30);
      found = (await page.locator('[data-testid="crosshair-marker"]').count()) > 0;
    }
    expect(found).toBe(true);
    expect(await page.locator('[data-testid="crosshair-marker"]').innerText()).toMatch(/A trigger arrived|A run started/);
    await page.screenshot({ path: join(screenshotDir, 'monitor-trends-marker.png') });
    await page.locator('[data-testid="marker-list"] summary').click();
    expect(await page.locator('[data-testid="marker-list"]').innerText()).toMatch(/run-started — A run started: the EMS now holds/);

    // Zoom (keyboard on the focused chart), then reset to the 10-minute window.
    const before = await page.locator('[data-testid="window-text"]').innerText();
    expect(await page.locator('[data-testid="reset-zoom"]').isDisabled()).toBe(true);
    await canvas.focus();
    await page.keyboard.press('+');
    await expect.poll(() => page.locator('[data-testid="window-text"]').innerText()).not.toBe(before);
    expect(await page.locator('[data-testid="reset-zoom"]').isDisabled()).toBe(false);
    await page.locator('[data-testid="reset-zoom"]').click();
    await expect.poll(() => page.locator('[data-testid="window-text"]').innerText()).toBe(before);
    // The same from the keyboard: + zooms, 0 goes back.
    await canvas.focus();
    await page.keyboard.press('+');
    await expect.poll(() => page.locator('[data-testid="window-text"]').innerText()).not.toBe(before);
    await page.keyboard.press('0');
    await expect.poll(() => page.locator('[data-testid="window-text"]').innerText()).toBe(before);
    expect(await page.locator('[data-testid="reset-zoom"]').isDisabled()).toBe(true);
    // A drag across the plot zooms to what it spans.
    await page.mouse.move(box.x + box.width * 0.4, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await expect.poll(() => page.locator('[data-testid="reset-zoom"]').isDisabled()).toBe(false);
    await page.locator('[data-testid="reset-zoom"]').click();

    // A free from–to in the site's zone.
    const nowMs = core.getState().nowMs;
    const local = (ms: number) => new Intl.DateTimeFormat('sv-SE', { timeZone: 'Europe/Rome', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(ms).replace(' ', 'T');
    await page.locator('[data-testid="range-from"]').fill(local(nowMs - 5 * 60_000));
    await page.locator('[data-testid="range-to"]').fill(local(nowMs));
    await page.locator('[data-testid="range-apply"]').click();
    const hm = (ms: number) => new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Rome', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms);
    await expect.poll(() => page.locator('[data-testid="window-text"]').innerText()).toContain(`${hm(nowMs - 5 * 60_000)}:00 – ${hm(nowMs)}:00`);
  }, 60_000);

  it('Setpoint: a use-case-4 schedule pasted from a spreadsheet, a bad row refused at the row, the feasibility preview, then sent', async () => {
    // Real time from here: the rows' clock times must not slip past while the test types.
    core.setSpeed(1);
    const nowMs = core.getState().nowMs;
    const hm = (ms: number) => new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Rome', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(ms);
    const [t1, t2, t3] = [nowMs + 5 * 60_000, nowMs + 35 * 60_000, nowMs + 65 * 60_000].map(hm) as [string, string, string];
    await go('setpoint');
    await page.locator('[data-testid="use-case"]').selectOption('4');
    await page.locator('[data-testid="schedule"]').waitFor();
    // Excel's clipboard: a header, tabs, a German decimal comma, a typo, and the end as a last row.
    await page.locator('[data-testid="paste"] summary').click();
    await page.locator('[data-testid="paste-text"]').fill(`Beginn\tkW\n${t1}\t-120,5\n${t2}\t-8O\n${t3}\t\n`);
    await page.locator('[data-testid="paste-apply"]').click();
    expect(await page.locator('[data-testid="paste-status"]').innerText()).toBe('Rows taken over: 2.');
    expect(await page.locator('[data-testid="row-start-0"]').inputValue()).toBe(t1);
    expect(await page.locator('[data-testid="row-target-0"]').inputValue()).toBe('-120,5');
    expect(await page.locator('[data-testid="schedule-end"]').inputValue()).toBe(t3);
    // The bad target is refused at its row, in words; no preview while a row is wrong.
    expect(await page.locator('[data-testid="row-problems-1"]').innerText()).toMatch(/Not a number/);
    expect(await page.locator('[data-testid="row-target-1"]').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('[data-testid="row-problems-0"]').count()).toBe(0);
    expect(await page.locator('[data-testid="preview-waiting"]').count()).toBe(1);

    // Corrected: the engine's check previews the whole schedule and each row before anything is sent.
    await page.locator('[data-testid="row-target-1"]').fill('-80');
    await expect.poll(() => page.locator('[data-testid="preview-verdict"]').getAttribute('data-verdict'), { timeout: 10_000 }).toMatch(/^(feasible|tight|infeasible)$/);
    await expect.poll(() => page.locator('[data-testid="row-verdict-1"]').getAttribute('data-verdict'), { timeout: 10_000 }).toMatch(/^(feasible|tight|infeasible)$/);
    expect(await page.locator('[data-testid="schedule-preview"]').innerText()).toMatch(/Flexibility band\s+[−-]?\d+\s*kW … [−-]?\d+\s*kW/);
    const runsBefore = core.engineRuns().length;
    expect(core.getState().pendingTrigger).toBeNull();

    // A row pasted into a field fills the rows from there on (as a spreadsheet does).
    await page.locator('[data-testid="row-start-1"]').evaluate((el, text) => {
      // Runs in the page; the node type-check knows no DOM globals, so they are named through globalThis.
      const dom = globalThis as unknown as {
        DataTransfer: new () => { setData(kind: string, value: string): void };
        ClipboardEvent: new (type: string, init: Record<string, unknown>) => Event;
      };
      const data = new dom.DataTransfer();
      data.setData('text/plain', text);
      el.dispatchEvent(new dom.ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
    }, `${t2}\t-90,5\n`);
    await expect.poll(() => page.locator('[data-testid="row-target-1"]').inputValue()).toBe('-90,5');
    await page.screenshot({ path: join(screenshotDir, 'monitor-setpoint-schedule.png'), fullPage: true });

    await page.locator('[data-testid="check"]').click();
    await page.locator('[data-testid="review"]').waitFor();
    expect(await page.locator('[data-testid="review-packages"]').innerText()).toMatch(new RegExp(`${t1}.* – .*${t2}.*: −120\\.5\\s?kW\\n.*${t2}.* – .*${t3}.*: −90\\.5\\s?kW`));
    await page.locator('[data-testid="confirm"]').click();
    await expect.poll(() => page.locator('[data-testid="setpoint-result"]').innerText()).toMatch(/Trigger OP-\d+ accepted/);
    const trigger = (core.getState().pendingTrigger ?? null) as { useCase: number } | null;
    const inForce = core.getState().run;
    expect(trigger?.useCase ?? inForce?.useCase).toBe(4);
    expect(core.engineRuns().length).toBeGreaterThanOrEqual(runsBefore);
  }, 60_000);

  it('Trends: a run beside its replay with another controller, labelled, both held shares in the legend', async () => {
    // A run of its own: a few minutes of a use-case-2 target, stopped.
    core.stop();
    const kw = core.getState().breaker.measuredKw ?? 0;
    const targetKw = Math.round(kw - 60);
    expect(core.sendTrigger({ useCase: 2, targetKw, durationS: 3600, toleranceKw: 10 }).accepted).toBe(true);
    await page.waitForTimeout(3000); // three simulated minutes at 60×
    core.stop();
    await page.goto(server.loginUrl);
    await expect.poll(() => page.locator('[data-testid="link"]').innerText(), { timeout: 10_000 }).toContain('connected');
    await go('trends');
    const cmp = page.locator('[data-testid="replay-compare"]');
    await cmp.scrollIntoViewIfNeeded();
    await expect.poll(() => cmp.locator('[data-testid="compare-run"] option').count(), { timeout: 10_000 }).toBeGreaterThan(0);
    const mine = core.engineRuns().find((r) => r.trigger.targetKw === targetKw && r.trigger.useCase === 2)!.runId;
    const value = (await cmp.locator('[data-testid="compare-run"] option').evaluateAll((os) => os.map((o) => (o as unknown as { value: string }).value))).find((v) => v.endsWith(`/${mine}`))!;
    await cmp.locator('[data-testid="compare-run"]').selectOption(value);
    expect(await cmp.locator('[data-testid="compare-none"]').count()).toBe(1);
    await cmp.locator('[data-testid="compare-replay"]').click();
    // The run saved as a scenario, replayed with lfc and deadbeat at full speed; deadbeat's side is drawn.
    const legend = cmp.locator('.trend-chart-legend');
    await expect.poll(() => legend.innerText(), { timeout: 60_000 }).toMatch(/Breaker, replay with deadbeat \(held [\d.]+\u202f%\)/);
    await expect.poll(() => core.getReplay().status, { timeout: 60_000 }).toBe('done');
    const text = await legend.innerText();
    expect(text).toMatch(/Breaker, run run-\d+ \(lfc, held [\d.]+\u202f%\)/);
    expect(text).toContain('BESS, replay with deadbeat');
    expect(await cmp.locator('[data-testid="compare-none"]').count()).toBe(0);
    await cmp.locator('[data-testid="compare-controller"]').selectOption('lfc');
    await expect.poll(() => legend.innerText()).toMatch(/Breaker, replay with lfc \(held [\d.]+\u202f%\)/);
    await cmp.screenshot({ path: join(screenshotDir, 'monitor-trends-replay-compare.png') });
  }, 90_000);

  it('in German: the flows in words, the band and the schedule’s problems in German, still above the fold', async () => {
    await page.locator('button[data-view="settings"]').click();
    await page.locator('input[data-lang="de"]').check();
    await expect.poll(() => page.locator('button[data-view="now"]').innerText()).toContain('Jetzt');
    await go('now');
    await expect.poll(() => page.locator('[data-testid="energy-flow-desc"]').textContent(), { timeout: 10_000 }).toMatch(/Netz: [\d.,]+\s*kW (Bezug aus dem|Einspeisung ins) Netz/);
    expect(await page.locator('[data-testid="energy-flow-desc"]').textContent()).toMatch(/Quartiersspeicher: (lädt mit|entlädt mit|ruht)/);
    expect(await page.locator('[data-testid="flex-band"]').innerText()).toMatch(/Flexibilitätsband/);
    const box = (await page.locator('[data-testid="flex-band"]').boundingBox())!;
    expect(box.y + box.height).toBeLessThanOrEqual(768);
    await page.screenshot({ path: join(screenshotDir, 'monitor-now-1366-de.png') });
    await go('setpoint');
    await page.locator('[data-testid="use-case"]').selectOption('3');
    await page.locator('[data-testid="row-start-0"]').fill('25:00');
    await page.locator('[data-testid="row-target-0"]').fill('-5');
    expect(await page.locator('[data-testid="row-problems-0"]').innerText()).toMatch(/Keine Uhrzeit.*Ein Bezugspaket braucht einen Sollwert ≥ 0 kW/);
  }, 60_000);
});
