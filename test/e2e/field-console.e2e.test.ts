/**
 * Field mode from the console, end to end in Chromium: a lab rig alone on loopback (its OPC UA BESS server
 * with SignAndEncrypt and a user login, the DSO platform, the vendor clouds, the weather service, at 30×)
 * is a site like any other. The operator imports the site file the rig wrote (without the vouched
 * thumbprint: the operator vouches in the console), types its secrets, saves, tests the BESS connection and
 * sees the server certificate's SHA-1 thumbprint refused, trusts it, tests again (login ok, SoC read),
 * switches to field mode after a confirmation, sees the mode on every view and each connection's health on
 * the Now view; then an independent HTTP client posts a use-case-2 trigger to the intake and the rig's
 * breaker, as the plant's own meter sampled it, is held in band. Screenshots go to test-results/screenshots/.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { HostServices } from '../../src-main/main/services/host-services';
import type { RunningServer } from '../../src-main/serve/server';
import { screenshotDir, startRigConsole, type RigConsole } from './fixtures/rig-console';

let rig: RigConsole;
let services: HostServices;
let server: RunningServer;
let page: Page;
let dir: string;
let siteFile: string;
let secrets: Record<string, string>;
let thumbprint: string;

beforeAll(async () => {
  rig = await startRigConsole({ name: 'field', bessVia: 'opcua', windowMinutes: 60 });
  ({ services, server, page, dir, secrets } = rig);
  thumbprint = rig.lab.rig.bessOpcua!.certificateThumbprint.toLowerCase();
  // As an operator gets it: the site file alone (no secrets in it), not yet vouching for the certificate.
  siteFile = join(dir, 'rig.site.json');
  writeFileSync(siteFile, JSON.stringify({ ...rig.site, opcua: { ...rig.site.opcua, trustedThumbprints: [] } }, null, 2));
}, 120_000);

afterAll(async () => {
  await rig?.close();
});

async function go(view: string): Promise<void> {
  await page.locator(`button[data-view="${view}"]`).click();
  await page.locator(`button[data-view="${view}"][aria-current="page"]`).waitFor();
}

describe('Settings → Connections against a lab rig, in Chromium', () => {
  it('imports the site file, takes its secrets, and saves it with every problem shown at its field', async () => {
    await page.goto(server.loginUrl);
    await expect.poll(() => page.locator('[data-testid="link"]').innerText(), { timeout: 10_000 }).toContain('connected');
    await go('settings');
    await page.locator('[data-testid="site-new"]').waitFor();
    await page.locator('[data-testid="site-import-file"]').setInputFiles(siteFile);
    await expect.poll(() => page.locator('[data-path="$.name"]').inputValue()).toBe(JSON.parse(readFileSync(siteFile, 'utf8')).name);
    // A bad value first: the core refuses the whole file and the form says why, at the field.
    await page.locator('[data-path="$.connectors.installation"]').fill('');
    await page.locator('[data-testid="site-save"]').click();
    await page.locator('[data-testid="error-installation"]').waitFor();
    await page.locator('[data-path="$.connectors.installation"]').fill('lab-rig');
    for (const [name, value] of Object.entries(secrets)) await page.locator(`[data-secret="${name}"]`).fill(value);
    await page.locator('[data-testid="site-save"]').click();
    await page.locator('[data-testid="site-saved"]').waitFor();
    for (const name of Object.keys(secrets)) await expect.poll(() => page.locator(`[data-secret-state="${name}"]`).innerText()).toContain('set (console)');
    const onDisk = readFileSync(join(dir, 'data', 'site', 'site.json'), 'utf8');
    for (const value of Object.values(secrets)) expect(onDisk).not.toContain(value);
  });

  it('tests the BESS over OPC UA: shows the thumbprint, refuses it until trusted, then logs in and reads the SoC', async () => {
    const row = page.locator('[data-result-for="asset:bess"]');
    await page.locator('[data-test-connection="asset:bess"]').click();
    await row.locator('[data-testid="server-certificate"]').waitFor({ timeout: 20_000 });
    const sha1 = (await row.locator('[data-field="SHA-1"]').innerText()).replace(/:/g, '').toLowerCase();
    expect(sha1).toBe(thumbprint);
    expect(await row.locator('[data-field="SHA-256"]').innerText()).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(await row.locator('[data-testid="connection-message"]').innerText()).toMatch(/not trusted/);
    await page.screenshot({ path: join(screenshotDir, 'settings-connections-untrusted.png'), fullPage: true });
    await row.locator('[data-testid="trust-certificate"]').click();
    await page.locator(`[data-trusted="${thumbprint}"]`).waitFor();
    await page.locator('[data-test-connection="asset:bess"]').click();
    await expect.poll(() => row.locator('[data-testid="connection-message"]').getAttribute('class'), { timeout: 20_000 }).toBe('ok');
    expect(await row.locator('[data-testid="connection-soc"]').innerText()).toMatch(/\d+\.\d %/);
    expect(await row.locator('[data-testid="connection-latency"]').innerText()).toMatch(/ms$/);
    await page.locator('[data-test-connection="breaker"]').click();
    await expect.poll(() => page.locator('[data-result-for="breaker"] [data-testid="connection-message"]').getAttribute('class'), { timeout: 20_000 }).toBe('ok');
    await page.screenshot({ path: join(screenshotDir, 'settings-connections-trusted.png'), fullPage: true });
  }, 60_000);

  it('switches to field mode only after a confirmation, and shows the mode on every view', async () => {
    expect(await page.locator('[data-testid="mode"]').getAttribute('data-mode')).toBe('simulator');
    await page.locator('[data-testid="to-field"]').click();
    await page.locator('[data-testid="confirm-switch"]').waitFor();
    expect(await page.locator('[data-testid="mode"]').getAttribute('data-mode')).toBe('simulator');
    await page.locator('[data-testid="confirm-switch-yes"]').click();
    await expect.poll(() => page.locator('[data-testid="mode"]').getAttribute('data-mode'), { timeout: 20_000 }).toBe('field');
    for (const view of ['now', 'setpoint', 'assets', 'trends', 'runs', 'replay', 'settings']) {
      await go(view);
      expect(await page.locator('[data-testid="mode"]').innerText()).toContain('Field');
    }
    await go('now');
    await expect.poll(() => page.locator('[data-testid="connection-health"] [data-connection="breaker"]').getAttribute('data-health'), { timeout: 15_000 }).toBe('ok');
    await expect.poll(() => page.locator('[data-testid="connection-health"] [data-connection="asset:bess"]').getAttribute('data-health'), { timeout: 15_000 }).toBe('ok');
    await page.screenshot({ path: join(screenshotDir, 'now-field.png'), fullPage: true });
  }, 60_000);

  it('holds a use-case-2 trigger an independent client posts to the intake, on the rig’s own meter', async () => {
    const state = services.core.getState();
    const intakeUrl = state.source?.kind === 'field' ? state.source.intakeUrl : null;
    expect(intakeUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1\/triggers$/);
    const token = readFileSync(join(dir, 'data', 'intake-token'), 'utf8').trim();
    const trigger = { useCase: 2, targetKw: -250, durationS: 300, toleranceKw: 10 };
    const res = await fetch(intakeUrl!, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify(trigger) });
    expect(res.status, await res.clone().text()).toBe(202);
    // 300 s of rig time at 30× = 10 s.
    await expect.poll(() => services.core.listRuns().filter((r) => r.endMs !== null).length, { timeout: 40_000, interval: 500 }).toBe(1);
    const run = services.core.listRuns()[0]!;
    expect(run.endReason).toBe('duration-elapsed');
    const xs = rig.meter.filter((s) => s.sampleMs >= run.startMs + 60_000 && s.sampleMs < run.endMs! && Number.isFinite(s.powerKw));
    expect(xs.length).toBeGreaterThan(15);
    const within = xs.filter((s) => Math.abs(s.powerKw - trigger.targetKw) <= trigger.toleranceKw).length / xs.length;
    expect(within).toBeGreaterThanOrEqual(0.9);
    await go('runs');
    await page.screenshot({ path: join(screenshotDir, 'runs-field.png'), fullPage: true });
  }, 60_000);
});
