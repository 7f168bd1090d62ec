/**
 * Settings → Connections' Test of the fleet uplink against a real Mosquitto (a password file and a TLS
 * listener with a test CA made by openssl, and a plain listener), through the core as the console calls it
 * (`connections:test` with id `uplink`, on a site file saved with its `uplink` section and the password
 * typed as a secret): each failure is told by its step — nothing listening (reach), a broker certificate
 * without its CA (secure channel), a wrong password (login, with the broker's reason) — and the right
 * settings pass all three and disconnect. The test never takes over the EMS's session (its own client id).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { LfcCore, type SecretPort } from '../../../src-main/core/lfc-core';
import { resourcesDir } from '../../../src-main/node/paths';
import { openHistoryStore, type HistoryStore } from '../../../src-main/storage/history-store';
import { probeUplink } from '../../../src-main/uplink/probe';
import { freeLoopbackPort } from '../../fixtures/services/free-port';
import { MOSQUITTO_MISSING, MosquittoBroker, mosquittoBinary } from '../../fixtures/services/mosquitto';

const missing = !mosquittoBinary() ? MOSQUITTO_MISSING : !existsSync('/usr/bin/openssl') ? 'openssl is not installed: the uplink Test is skipped' : null;
if (missing) console.warn(`uplink-test-connection.test.ts: ${missing}`);

describe.skipIf(missing !== null)('the uplink connection test', () => {
  let dir: string;
  let tlsBroker: MosquittoBroker;
  let plainBroker: MosquittoBroker;
  let history: HistoryStore;
  let core: LfcCore;
  const held = new Map<string, string>();
  const store: SecretPort = { description: 'test', get: (n) => held.get(n) ?? null, set: (n, v) => void held.set(n, v), delete: (n) => held.delete(n) };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lfc-uplink-test-'));
    const ssl = (...args: string[]) => execFileSync('/usr/bin/openssl', args, { cwd: dir, stdio: 'ignore' });
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=lfc test fleet CA');
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'broker.key', '-out', 'broker.csr', '-subj', '/CN=127.0.0.1');
    writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
    ssl('x509', '-req', '-in', 'broker.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'broker.crt', '-days', '2', '-extfile', 'ext.cnf');
    [tlsBroker, plainBroker] = await Promise.all([
      MosquittoBroker.start({ users: { 'community-3': 'right-password' }, tls: { certFile: join(dir, 'broker.crt'), keyFile: join(dir, 'broker.key') } }),
      MosquittoBroker.start({ users: { 'community-3': 'right-password' } }),
    ]);
    history = openHistoryStore({ file: ':memory:' });
    core = new LfcCore({ resourcesDirPath: resourcesDir(), dataDirPath: dir, history, appVersion: 'test', loadSolver: null, autoRun: false, secretStore: store });
  }, 60_000);

  afterAll(async () => {
    await Promise.all([tlsBroker?.dispose(), plainBroker?.dispose()]);
    history?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Saves the template with this uplink section (and the password as a typed secret), then tests `uplink`. */
  async function testWith(uplink: Record<string, unknown>, password?: string) {
    const site = JSON.parse(core.site.get().template) as Record<string, unknown>;
    site['uplink'] = uplink;
    core.site.save({ text: JSON.stringify(site), ...(password !== undefined ? { secrets: { UPLINK_PASSWORD: password } } : {}) });
    expect(core.getSettings().connections.find((c) => c.id === 'uplink')).toMatchObject({ kind: 'mqtt', endpoint: uplink['url'] });
    return core.services.settings.testConnection('uplink');
  }
  // The CA file is beside the site file (`<dataDir>/site/`): relative to the site file, as the EMS reads it.
  const caFile = () => join(dir, 'ca.crt');

  it('passes reach, TLS and login with the right user, password and CA, and says what it saw', async () => {
    const r = await testWith({ url: tlsBroker.url, siteId: 'community-3', username: 'community-3', passwordSecret: 'UPLINK_PASSWORD', tls: { caFile: caFile() } }, 'right-password');
    expect(r.steps.map((s) => [s.step, s.ok])).toEqual([['reach', true], ['secure-channel', true], ['login', true]]);
    expect(r.ok).toBe(true);
    expect(r.steps[1]!.detail).toMatch(/TLSv1\.[23], certificate 127\.0\.0\.1, issued by lfc test fleet CA.*trusted/);
    expect(r.steps[2]!.detail).toMatch(/accepted as user community-3/);
    expect(r.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('a wrong password fails at the login, with the broker’s reason', async () => {
    const r = await testWith({ url: tlsBroker.url, siteId: 'community-3', username: 'community-3', passwordSecret: 'UPLINK_PASSWORD', tls: { caFile: caFile() } }, 'wrong');
    expect(r.ok).toBe(false);
    expect(r.steps.map((s) => [s.step, s.ok])).toEqual([['reach', true], ['secure-channel', true], ['login', false]]);
    expect(r.message).toMatch(/refused the login as user community-3: (not authorized|bad user name or password) \(reason 13[45]\)/);
  });

  it('a broker certificate without its CA fails at the secure channel, saying to give the CA', async () => {
    const r = await testWith({ url: tlsBroker.url, siteId: 'community-3', username: 'community-3', passwordSecret: 'UPLINK_PASSWORD' }, 'right-password');
    expect(r.steps.map((s) => [s.step, s.ok])).toEqual([['reach', true], ['secure-channel', false]]);
    expect(r.message).toMatch(/not trusted .*tls\.caFile/);
  });

  it('an unreadable CA file and an unset password are said before anything is reached', async () => {
    const noCa = await testWith({ url: tlsBroker.url, siteId: 'community-3', username: 'community-3', passwordSecret: 'UPLINK_PASSWORD', tls: { caFile: 'missing-ca.pem' } }, 'right-password');
    expect(noCa.steps).toEqual([{ step: 'secure-channel', ok: false, detail: expect.stringMatching(/\$\.uplink\.tls\.caFile: cannot read .*missing-ca\.pem: ENOENT/) }]);
    const noPw = await testWith({ url: plainBroker.url, siteId: 'community-3', username: 'community-3', passwordSecret: 'UPLINK_PASSWORD' }, '');
    expect(noPw.message).toMatch(/secret UPLINK_PASSWORD is not set/);
  });

  it('nothing listening fails at reach; TLS against a plain listener says so', async () => {
    const port = await freeLoopbackPort();
    const r = await testWith({ url: `mqtt://127.0.0.1:${port}`, siteId: 'community-3' });
    expect(r.steps).toEqual([{ step: 'reach', ok: false, detail: expect.stringMatching(/refused the connection: nothing listens there/) }]);
    const plainAsTls = await probeUplink({ url: `mqtts://127.0.0.1:${plainBroker.port}`, siteId: 'community-3' }, 3000);
    expect(plainAsTls.steps.map((s) => [s.step, s.ok])).toEqual([['reach', true], ['secure-channel', false]]);
    const dns = await probeUplink({ url: 'mqtt://broker.invalid:1883', siteId: 'x' }, 3000);
    expect(dns.steps[0]).toMatchObject({ step: 'reach', ok: false, detail: expect.stringMatching(/does not resolve/) });
  });

  it('plain MQTT with the right login passes without a TLS step', async () => {
    const r = await testWith({ url: plainBroker.url, siteId: 'community-3', username: 'community-3', passwordSecret: 'UPLINK_PASSWORD' }, 'right-password');
    expect(r.steps.map((s) => [s.step, s.ok])).toEqual([['reach', true], ['login', true]]);
  });
});
