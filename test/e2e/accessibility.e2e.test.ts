/**
 * Accessibility of the console in Chromium against serve mode (in-process, port 0, the bundled simulator at
 * 60× with a run in force and an ended run to report on):
 * - axe-core (Deque's engine, `node_modules/axe-core/axe.min.js` injected into the page) on every view, in
 *   the light and the dark theme, in English and German: no WCAG 2.0/2.1 A or AA violation (labels, names,
 *   roles, contrast, …);
 * - the keyboard: Tab walks through every view, every action in it is reached, and the focused element
 *   always shows a visible focus indicator (an outline or a ring, never `outline: none` with nothing else).
 * Screenshots of the views with the focus on an action go to test-results/screenshots/a11y-*.png.
 */
import { join } from 'node:path';
import { createRequire } from 'node:module';

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { LfcCore } from '../../src-main/core/lfc-core';
import type { RunningServer } from '../../src-main/serve/server';
import { screenshotDir, startServeConsole, type ServeConsole } from './fixtures/serve-console';

const VIEWS = ['now', 'setpoint', 'assets', 'trends', 'runs', 'replay', 'settings'] as const;
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

let core: LfcCore;
let server: RunningServer;
let page: Page;
let consoleUnderTest: ServeConsole;

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[]; failureSummary: string }>;
}

async function go(view: (typeof VIEWS)[number]): Promise<void> {
  await page.locator(`button[data-view="${view}"]`).click();
  await page.locator(`button[data-view="${view}"][aria-current="page"]`).waitFor();
}

/** axe-core on the page as it is, WCAG 2.0/2.1 A and AA; the violations, each with where it is. */
async function axe(): Promise<string[]> {
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.addScriptTag({ path: AXE });
  const violations = (await page.evaluate(
    'window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] }, resultTypes: ["violations"] }).then((r) => r.violations)',
  )) as AxeViolation[];
  return violations.flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${v.help} at ${n.target.join(' ')} — ${n.failureSummary.replace(/\s+/g, ' ')}`));
}

async function setLanguageAndTheme(lang: 'en' | 'de', theme: 'light' | 'dark'): Promise<void> {
  await go('settings');
  await page.locator(`input[data-lang="${lang}"]`).check();
  await page.locator(`input[data-theme-choice="${theme}"]`).check();
  await expect.poll(() => page.locator('html').getAttribute('data-theme')).toBe(theme);
}

beforeAll(async () => {
  // The console's CSP (script-src 'self') refuses the inline <script> addScriptTag makes of axe.min.js:
  // lifted for this test's browser only (the CSP itself is tested in console.e2e.test.ts and the serve tests).
  consoleUnderTest = await startServeConsole({ name: 'a11y', speed: 60, startupProblems: true, browser: { viewport: { width: 1366, height: 768 }, timezoneId: 'Europe/Rome', bypassCSP: true } });
  ({ core, server, page } = consoleUnderTest);
  await page.goto(server.loginUrl);
  await page.locator('[data-testid="link"]:has-text("connected")').waitFor({ timeout: 10_000 });
  // An ended run (for Runs and its report) and one in force (for Now's run tiles).
  const kw = core.getState().breaker.measuredKw ?? 0;
  core.sendTrigger({ useCase: 2, targetKw: Math.round(kw - 50), durationS: 3600, toleranceKw: 10 });
  for (let i = 0; i < 150 && (core.getState().run?.kpis?.samples ?? 0) <= 6; i++) await new Promise((r) => setTimeout(r, 100));
  core.stop();
  core.sendTrigger({ useCase: 2, targetKw: Math.round(kw - 40), durationS: 3600, toleranceKw: 10 });
}, 90_000);

afterAll(async () => {
  await consoleUnderTest?.close();
});

describe('accessibility in Chromium', () => {
  for (const lang of ['en', 'de'] as const) {
    for (const theme of ['light', 'dark'] as const) {
      it(`axe-core finds no WCAG A/AA violation on any view (${lang}, ${theme})`, async () => {
        await setLanguageAndTheme(lang, theme);
        const found: string[] = [];
        for (const view of VIEWS) {
          await go(view);
          await page.waitForLoadState('networkidle');
          await page.waitForTimeout(300);
          if (view === 'runs') {
            // The report too: its plots, tables and buttons.
            await page.locator('[data-testid="runs-table"] tbody tr button[data-show-report]').first().click();
            await page.locator('[data-testid="report"] figure img').first().waitFor({ timeout: 15_000 });
          }
          found.push(...(await axe()).map((v) => `${view}: ${v}`));
        }
        await page.screenshot({ path: join(screenshotDir, `a11y-runs-${lang}-${theme}.png`), fullPage: true });
        expect(found).toEqual([]);
      }, 90_000);
    }
  }

  it('Tab reaches every action of every view, always with a visible focus indicator', async () => {
    await setLanguageAndTheme('en', 'light');
    const problems: string[] = [];
    for (const view of VIEWS) {
      await go(view);
      await page.waitForLoadState('networkidle');
      await page.waitForTimeout(300);
      // Every action in the view (visible, enabled, not taken out of the tab order).
      const actions = (await page.evaluate(`(() => {
        const els = [...document.querySelectorAll('main button, main input, main select, main textarea, main a[href], main [tabindex]:not([tabindex="-1"])')];
        // A radio group is one Tab stop (arrows move inside it): its checked radio, or its first.
        const groupStop = (e) => {
          if (e.type !== 'radio' || !e.name) return true;
          const group = [...document.querySelectorAll('input[type="radio"][name="' + e.name + '"]')];
          return e === (group.find((r) => r.checked) ?? group[0]);
        };
        return els.filter((e) => !e.disabled && e.tabIndex >= 0 && e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden' && groupStop(e))
          .map((e, i) => { e.setAttribute('data-a11y-id', String(i)); return String(i); });
      })()`)) as string[];
      await page.locator(`button[data-view="${view}"]`).focus();
      const reached = new Set<string>();
      for (let i = 0; i < actions.length + 40 && reached.size < actions.length; i++) {
        await page.keyboard.press('Tab');
        const f = (await page.evaluate(`(() => {
          const e = document.activeElement;
          if (!e || e === document.body) return null;
          const s = getComputedStyle(e);
          const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
          const ring = s.boxShadow !== 'none';
          return { id: e.getAttribute('data-a11y-id'), visible: outline || ring, what: e.tagName.toLowerCase() + (e.getAttribute('data-testid') ? '[' + e.getAttribute('data-testid') + ']' : '') + ' ' + (e.textContent || e.getAttribute('aria-label') || '').trim().slice(0, 30) };
        })()`)) as { id: string | null; visible: boolean; what: string } | null;
        if (!f) continue;
        if (!f.visible) problems.push(`${view}: no visible focus on ${f.what}`);
        if (f.id !== null) reached.add(f.id);
        if (i === 3) await page.screenshot({ path: join(screenshotDir, `a11y-focus-${view}.png`) });
      }
      const missed = actions.filter((a) => !reached.has(a));
      if (missed.length > 0) {
        const names = (await page.evaluate(`[${missed.map((m) => `"${m}"`).join(',')}].map((m) => { const e = document.querySelector('[data-a11y-id="' + m + '"]'); return e.tagName.toLowerCase() + ' ' + (e.textContent || e.getAttribute('aria-label') || '').trim().slice(0, 30); })`)) as string[];
        problems.push(`${view}: not reached by Tab: ${names.join(', ')}`);
      }
    }
    expect([...new Set(problems)]).toEqual([]);
  }, 120_000);
});
