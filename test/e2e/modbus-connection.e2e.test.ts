/**
 * A SunSpec Modbus battery from the console, end to end in Chromium: a lab rig alone on loopback serves its
 * BESS as a Modbus TCP / SunSpec device (30×). The operator imports the site file the rig wrote, sees the
 * BESS link as Modbus/SunSpec with the no-security warning at the field, types the rig's token, saves,
 * tests the BESS connection and sees the discovered SunSpec models listed (1, 802, 704) with a reading; an
 * impossible unit id is refused at its field; then field mode runs on it and the BESS link is healthy on
 * the Now view. Screenshots go to test-results/screenshots/.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { chromium } from 'playwright-core';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { LabSession } from '../../src-main/lab/lab-session';
import type { HostServices } from '../../src-main/main/services/host-services';
import { loadProfileLibraryFromResources } from '../../src-main/node/load-profiles';
import { resourcesDir } from '../../src-main/node/paths';
import { loadScenarioFile } from '../../src-main/node/scenario-file';
import { buildRenderer } from '../../src-main/serve/build-renderer';
import { openServeServices } from '../../src-main/serve/main';
import { newToken, startServer } from '../../src-main/serve/server';
import type { RunningServer } from '../../src-main/serve/server';
import { siteFileForRig } from '../../src-main/site/rig-site';

const CHROMIUM = '/usr/bin/chromium';
const START_MS = Date.parse('2026-06-21T10:58:00+02:00');
const projectRoot = resolve(resourcesDir(), '..');
const screenshotDir = join(projectRoot, 'test-results', 'screenshots');

let lab: LabSession;
let services: HostServices;
let server: RunningServer;
let context: BrowserContext;
let page: Page;
let dir: string;
let siteFile: string;
let secrets: Record<string, string>;

beforeAll(async () => {
  mkdirSync(screenshotDir, { recursive: true });
  const rendererDir = join(projectRoot, 'test-results', 'e2e-renderer-modbus');
  await buildRenderer(projectRoot, rendererDir);
  dir = mkdtempSync(join(tmpdir(), 'lfc-e2e-modbus-'));
  const loaded = await loadScenarioFile(resolve(resourcesDir(), 'scenarios/summer-export-hold/scenario.json'));
  const forecastJson = await readFile(resolve(loaded.dir, 'weather/forecast.json'), 'utf8');
  lab = new LabSession({ ...loaded, forecastJson, loadProfiles: loadProfileLibraryFromResources(resourcesDir()) }, { speed: 30, windowStartMs: START_MS, windowEndMs: START_MS + 60 * 60_000, rigOnly: true, bessVia: 'modbus' });
  await lab.start();
  const made = siteFileForRig(lab.rig);
  secrets = made.secrets;
  siteFile = join(dir, 'rig.site.json');
  writeFileSync(siteFile, JSON.stringify(made.site, null, 2));
  services = openServeServices(join(dir, 'data'), resourcesDir(), { teeConsole: false });
  await services.core.startSimulator({ speed: 1 });
  server = await startServer({
    core: services.core,
    host: { appInfo: () => ({ name: 'local-flex-controller', version: '0.0.0-e2e', electronVersion: null, platform: process.platform }), resourcesRootPath: projectRoot },
    rendererDirPath: rendererDir,
    token: newToken(),
    port: 0,
  });
  context = await chromium.launchPersistentContext(join(dir, 'chromium'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    viewport: { width: 1366, height: 900 },
    locale: 'en-GB',
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => console.error('[page error]', e.message));
}, 120_000);

afterAll(async () => {
  await context?.close();
  await server?.close();
  await services?.core.stopField();
  services?.close();
  await lab?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function go(view: string): Promise<void> {
  await page.locator(`button[data-view="${view}"]`).click();
  await page.locator(`button[data-view="${view}"][aria-current="page"]`).waitFor();
}

describe('Settings → Connections with a SunSpec Modbus BESS, in Chromium', () => {
  it('shows the BESS link as Modbus/SunSpec with its address and the no-security warning; refuses an impossible unit id at its field', async () => {
    await page.goto(server.loginUrl);
    await expect.poll(() => page.locator('[data-testid="link"]').innerText(), { timeout: 10_000 }).toContain('connected');
    await go('settings');
    await page.locator('[data-testid="site-import-file"]').setInputFiles(siteFile);
    expect(await page.locator('[data-via-for="bess"]').inputValue()).toBe('modbus');
    expect(await page.locator('[data-path="$.connectors.assets[0].host"]').inputValue()).toBe('127.0.0.1');
    expect(await page.locator('[data-testid="modbus-no-security"]').innerText()).toMatch(/no login, no encryption/);
    for (const [name, value] of Object.entries(secrets)) await page.locator(`[data-secret="${name}"]`).fill(value);
    const unit = page.locator('input[aria-label="bess unit id"]');
    await unit.fill('300');
    await unit.dispatchEvent('change');
    await page.locator('[data-testid="site-save"]').click();
    await expect.poll(() => page.locator('.field-error').allInnerTexts(), { timeout: 10_000 }).toEqual(expect.arrayContaining([expect.stringMatching(/unitId: a Modbus unit id is 1…247/)]));
    await unit.fill(String(lab.rig.bessModbus!.unitId));
    await unit.dispatchEvent('change');
    await page.locator('[data-testid="site-save"]').click();
    await page.locator('[data-testid="site-saved"]').waitFor();
  }, 60_000);

  it('tests the BESS over Modbus: lists the discovered SunSpec models and reads power and SoC', async () => {
    const row = page.locator('[data-result-for="asset:bess"]');
    await page.locator('[data-test-connection="asset:bess"]').click();
    await expect.poll(() => row.locator('[data-testid="connection-message"]').getAttribute('class'), { timeout: 20_000 }).toBe('ok');
    const models = await row.locator('[data-testid="sunspec-models"] tbody tr').allInnerTexts();
    expect(models.map((r) => r.split(/\s+/)[0])).toEqual(['1', '802', '704']);
    expect(await row.innerText()).toMatch(/LFC lab rig simulated community BESS/);
    expect(await row.locator('[data-testid="connection-soc"]').innerText()).toMatch(/\d+\.\d\s?%/);
    await page.screenshot({ path: join(screenshotDir, 'settings-connections-modbus.png'), fullPage: true });
  }, 60_000);

  it('runs the field EMS on it: the BESS link over Modbus is healthy on the Now view', async () => {
    await page.locator('[data-testid="to-field"]').click();
    await page.locator('[data-testid="confirm-switch-yes"]').click();
    await expect.poll(() => page.locator('[data-testid="mode"]').getAttribute('data-mode'), { timeout: 20_000 }).toBe('field');
    await go('now');
    await expect.poll(() => page.locator('[data-testid="connection-health"] [data-connection="asset:bess"]').getAttribute('data-health'), { timeout: 15_000 }).toBe('ok');
  }, 60_000);
});
