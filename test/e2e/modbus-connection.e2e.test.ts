/**
 * A SunSpec Modbus battery from the console, end to end in Chromium: a lab rig alone on loopback serves its
 * BESS as a Modbus TCP / SunSpec device (30×). The operator imports the site file the rig wrote, sees the
 * BESS link as Modbus/SunSpec with the no-security warning at the field, types the rig's token, saves,
 * tests the BESS connection and sees the discovered SunSpec models listed (1, 802, 704) with a reading; an
 * impossible unit id is refused at its field; then field mode runs on it and the BESS link is healthy on
 * the Now view. Screenshots go to test-results/screenshots/.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { RunningServer } from '../../src-main/serve/server';
import { screenshotDir, startRigConsole, type RigConsole } from './fixtures/rig-console';

let rig: RigConsole;
let server: RunningServer;
let page: Page;
let siteFile: string;
let secrets: Record<string, string>;

beforeAll(async () => {
  rig = await startRigConsole({ name: 'modbus', bessVia: 'modbus', windowMinutes: 60 });
  ({ server, page, secrets } = rig);
  siteFile = join(rig.dir, 'rig.site.json');
  writeFileSync(siteFile, JSON.stringify(rig.site, null, 2));
}, 120_000);

afterAll(async () => {
  await rig?.close();
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
    // The form shows the imported file once it has read it (before, the default site's OPC UA link).
    await expect.poll(() => page.locator('[data-via-for="bess"]').inputValue(), { timeout: 10_000 }).toBe('modbus');
    expect(await page.locator('[data-path="$.connectors.assets[0].host"]').inputValue()).toBe('127.0.0.1');
    expect(await page.locator('[data-testid="modbus-no-security"]').innerText()).toMatch(/no login, no encryption/);
    for (const [name, value] of Object.entries(secrets)) await page.locator(`[data-secret="${name}"]`).fill(value);
    const unit = page.locator('input[aria-label="bess unit id"]');
    await unit.fill('300');
    await unit.dispatchEvent('change');
    await page.locator('[data-testid="site-save"]').click();
    await expect.poll(() => page.locator('.field-error').allInnerTexts(), { timeout: 10_000 }).toEqual(expect.arrayContaining([expect.stringMatching(/unitId: a Modbus unit id is 1…247/)]));
    await unit.fill(String(rig.lab.rig.bessModbus!.unitId));
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
