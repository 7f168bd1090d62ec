/**
 * The fleet uplink in Settings → Connections, in Chromium against a real Mosquitto with a password file:
 * the operator turns the uplink on, a wrong broker URL is refused at the uplink's fields (nothing saved),
 * the right URL and user are saved with the password typed as a write-only secret, the uplink appears among
 * the connections, and its Test logs in for real (reach, login) — then, with a wrong password, says that the
 * broker refused the login. Without a central history the navigation has no Fleet entry.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { HostServices } from '../../src-main/main/services/host-services';
import { resourcesDir } from '../../src-main/node/paths';
import { buildRenderer } from '../../src-main/serve/build-renderer';
import { openServeServices } from '../../src-main/serve/main';
import { newToken, startServer, type RunningServer } from '../../src-main/serve/server';
import { MOSQUITTO_MISSING, MosquittoBroker, mosquittoBinary } from '../fixtures/services/mosquitto';

const CHROMIUM = '/usr/bin/chromium';
const projectRoot = resolve(resourcesDir(), '..');
const missing = mosquittoBinary() ? null : MOSQUITTO_MISSING;
if (missing) console.warn(`uplink-settings.e2e.test.ts: ${missing}`);

describe.skipIf(missing !== null)('the uplink in Settings → Connections', () => {
  let broker: MosquittoBroker;
  let services: HostServices;
  let server: RunningServer;
  let browser: Browser;
  let page: Page;
  let dataDir: string;

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`Chromium is not installed at ${CHROMIUM}: run \`apt-get update && apt-get install -y chromium\`.`);
    broker = await MosquittoBroker.start({ users: { 'community-3': 'right-password' } });
    const rendererDir = join(projectRoot, 'test-results', 'e2e-uplink-renderer');
    await buildRenderer(projectRoot, rendererDir);
    dataDir = mkdtempSync(join(tmpdir(), 'lfc-e2e-uplink-'));
    services = openServeServices(dataDir, resourcesDir(), { teeConsole: false });
    await services.core.startSimulator({ speed: 1 });
    server = await startServer({ core: services.core, host: { appInfo: () => ({ name: 'lfc', version: '0.0.0-e2e', electronVersion: null, platform: process.platform }), resourcesRootPath: projectRoot }, rendererDirPath: rendererDir, token: newToken(), port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu'] });
    page = await browser.newPage({ viewport: { width: 1360, height: 900 }, locale: 'en-GB' });
    page.on('pageerror', (e) => console.error('[page error]', e.message));
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    services?.close();
    await broker?.dispose();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  const field = async (path: string, value: string) => {
    const input = page.locator(`[data-path="${path}"]`);
    await input.fill(value);
    await input.dispatchEvent('change');
  };
  /** Presses the uplink's Test and waits until its row says `expected` (a previous result may still be shown until then). */
  const testUplink = async (expected: RegExp) => {
    const row = page.locator('tr', { hasText: 'fleet uplink' }).first();
    await row.locator('button', { hasText: 'Test' }).click();
    await expect.poll(async () => await row.innerText(), { timeout: 15_000 }).toMatch(expected);
    return row.innerText();
  };

  it('edits, checks, saves and tests the uplink for real', async () => {
    await page.goto(server.loginUrl);
    await page.locator('button[data-view="settings"]').click();
    await page.locator('[data-testid="uplink-on"]').check();
    expect(await page.locator('button[data-view="fleet"]').count()).toBe(0);

    await field('$.uplink.url', 'http://fleet.example.org');
    await page.locator('[data-testid="site-save"]').click();
    expect(await page.locator('[data-testid="error-uplink"]').innerText()).toMatch(/url: an MQTT URL/);
    expect(await page.locator('[data-testid="site-saved"]').count()).toBe(0);

    await field('$.uplink.url', broker.url);
    await field('$.uplink.siteId', 'community-3');
    await field('$.uplink.username', 'community-3');
    await page.locator('[data-secret="UPLINK_PASSWORD"]').fill('right-password');
    await page.locator('[data-testid="site-save"]').click();
    await page.locator('[data-testid="site-saved"]').waitFor();
    expect(await page.locator('[data-secret-state="UPLINK_PASSWORD"]').innerText()).toMatch(/set \(console\)/);
    expect(await page.locator('[data-secret="UPLINK_PASSWORD"]').inputValue()).toBe(''); // write-only

    const ok = await testUplink(/✓ login: CONNACK: accepted as user community-3/);
    expect(ok).toMatch(/✓ reach: 127\.0\.0\.1:\d+ reached/);

    await page.locator('[data-secret="UPLINK_PASSWORD"]').fill('wrong');
    await page.locator('[data-testid="site-save"]').click();
    await page.locator('[data-testid="site-saved"]').waitFor();
    const refused = await testUplink(/✗ login: the broker refused the login as user community-3: (not authorized|bad user name or password)/);
    expect(refused).toMatch(/✓ reach/);
  }, 90_000);
});
