/**
 * The uplink's login and TLS against a real Mosquitto with a password file and a TLS listener (a test CA
 * and a broker certificate for 127.0.0.1 made with openssl): the site file's `uplink` section (user,
 * password secret, CA file) connects and delivers; a wrong password is refused by the broker and says so;
 * without the CA the broker's certificate is refused. Nothing is acknowledged, so nothing leaves the outbox.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UplinkOutbox } from '../../../src-main/uplink/outbox';
import { UplinkPublisher } from '../../../src-main/uplink/publisher';
import { resolveUplink, UplinkSectionSchema } from '../../../src-main/uplink/uplink-config';
import { MOSQUITTO_MISSING, MosquittoBroker, mosquittoBinary } from '../../fixtures/services/mosquitto';

const missing = !mosquittoBinary() ? MOSQUITTO_MISSING : !existsSync('/usr/bin/openssl') ? 'openssl is not installed: the uplink TLS test is skipped' : null;
if (missing) console.warn(`uplink-security.test.ts: ${missing}`);

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(missing !== null)('the uplink with a login and TLS', () => {
  let dir: string;
  let broker: MosquittoBroker;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lfc-uplink-tls-'));
    const ssl = (...args: string[]) => execFileSync('/usr/bin/openssl', args, { cwd: dir, stdio: 'ignore' });
    ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '2', '-subj', '/CN=lfc test fleet CA');
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'broker.key', '-out', 'broker.csr', '-subj', '/CN=127.0.0.1');
    writeFileSync(join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
    ssl('x509', '-req', '-in', 'broker.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'broker.crt', '-days', '2', '-extfile', 'ext.cnf');
    broker = await MosquittoBroker.start({ users: { 'community-3': 'right-password' }, tls: { certFile: join(dir, 'broker.crt'), keyFile: join(dir, 'broker.key') } });
  }, 60_000);

  afterAll(async () => {
    await broker?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function attempt(section: Record<string, unknown>, password: string, file: string): Promise<{ connected: boolean; lastError: string | null; acked: number }> {
    const site = { name: 'Community 3', uplink: UplinkSectionSchema.parse(section) };
    const cfg = resolveUplink(site, join(dir, 'site.json'), (n) => (n === 'UPLINK_PASSWORD' ? password : undefined))!;
    const outbox = new UplinkOutbox(join(dir, file));
    for (let i = 0; i < 100; i++) outbox.appendPoint('breaker.measuredKw', 1_000_000 + i * 10_000, -i);
    outbox.flush();
    const pub = new UplinkPublisher(outbox, cfg.link, { name: site.name, appVersion: 't' });
    pub.start();
    const until = Date.now() + 4_000;
    while (!pub.drained() && Date.now() < until) await wait(50);
    const s = pub.status();
    const acked = outbox.ackedSeq('measurements');
    await pub.stop(0);
    outbox.close();
    return { connected: s.connected, lastError: s.lastError, acked };
  }

  it('connects with the site file user, the password secret and the CA file, and delivers', async () => {
    const r = await attempt({ url: broker.url, siteId: 'community-3', username: 'community-3', passwordSecret: 'UPLINK_PASSWORD', tls: { caFile: 'ca.crt' } }, 'right-password', 'ok.sqlite');
    expect(broker.url).toMatch(/^mqtts:/);
    expect(r).toMatchObject({ connected: true, acked: 100 });
  });

  it('is refused with a wrong password, and keeps everything', async () => {
    const r = await attempt({ url: broker.url, siteId: 'community-3', username: 'community-3', passwordSecret: 'UPLINK_PASSWORD', tls: { caFile: 'ca.crt' } }, 'wrong', 'wrong.sqlite');
    expect(r.connected).toBe(false);
    expect(r.acked).toBe(0);
    expect(r.lastError).toMatch(/not authori[sz]ed|bad user name or password/i);
  });

  it('refuses a broker whose certificate it cannot check (no CA given)', async () => {
    const r = await attempt({ url: broker.url, siteId: 'community-3', username: 'community-3', passwordSecret: 'UPLINK_PASSWORD' }, 'right-password', 'noca.sqlite');
    expect(r.connected).toBe(false);
    expect(r.acked).toBe(0);
    expect(r.lastError).toMatch(/self[- ]signed|unable to (get|verify)|certificate/i);
  });
});
