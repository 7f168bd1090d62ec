/**
 * The fleet uplink in Settings → Connections, in Chromium against a real Mosquitto with a password file:
 * the operator turns the uplink on, a wrong broker URL is refused at the uplink's fields (nothing saved),
 * the right URL and user are saved with the password typed as a write-only secret, the uplink appears among
 * the connections, and its Test logs in for real (reach, login) — then, with a wrong password, says that the
 * broker refused the login. Without a central history the navigation has no Fleet entry.
 */

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { RunningServer } from '../../src-main/serve/server';
import { MOSQUITTO_MISSING, MosquittoBroker, mosquittoBinary } from '../fixtures/services/mosquitto';
import { startServeConsole, type ServeConsole } from './fixtures/serve-console';

const missing = mosquittoBinary() ? null : MOSQUITTO_MISSING;
if (missing) console.warn(`uplink-settings.e2e.test.ts: ${missing}`);

describe.skipIf(missing !== null)('the uplink in Settings → Connections', () => {
  let broker: MosquittoBroker;
  let server: RunningServer;
  let page: Page;
  let consoleUnderTest: ServeConsole;

  beforeAll(async () => {
    broker = await MosquittoBroker.start({ users: { 'community-3': 'right-password' } });
    consoleUnderTest = await startServeConsole({ name: 'uplink', speed: 1, browser: { viewport: { width: 1360, height: 900 } } });
    ({ server, page } = consoleUnderTest);
  }, 180_000);

  afterAll(async () => {
    await consoleUnderTest?.close();
    await broker?.dispose();
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
