import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { resolveUplink, UplinkSectionSchema } from '../../../src-main/uplink/uplink-config';

const section = (x: Record<string, unknown>) => UplinkSectionSchema.parse(x);

describe('the site file uplink section', () => {
  it('is off without a section or --uplink; --uplink turns it on and overrides the URL', () => {
    expect(resolveUplink({ name: 'A' }, '/x/site.json', () => undefined)).toBeNull();
    expect(resolveUplink({ name: 'Lab Site 3' }, '/x/site.json', () => undefined, 'mqtt://127.0.0.1:1883')!.link).toMatchObject({ url: 'mqtt://127.0.0.1:1883', siteId: 'lab-site-3', maxPointsPerS: 30_000 });
    const r = resolveUplink({ name: 'A', uplink: section({ url: 'mqtts://fleet:8883', siteId: 's3' }) }, '/x/site.json', () => undefined, 'mqtt://other:1')!;
    expect(r.link).toMatchObject({ url: 'mqtt://other:1', siteId: 's3' });
  });

  it('takes the password from the secrets, TLS files beside the site file, and says which field is wrong', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lfc-uplink-cfg-'));
    try {
      writeFileSync(join(dir, 'ca.pem'), 'CA');
      const up = section({ url: 'mqtts://fleet:8883', username: 'u', passwordSecret: 'UPLINK_PW', tls: { caFile: 'ca.pem' } });
      const r = resolveUplink({ name: 'A', uplink: up }, join(dir, 'site.json'), (n) => (n === 'UPLINK_PW' ? 'pw' : undefined))!;
      expect(r.link).toMatchObject({ username: 'u', password: 'pw', tls: { ca: 'CA', rejectUnauthorized: true } });
      expect(() => resolveUplink({ name: 'A', uplink: up }, join(dir, 'site.json'), () => undefined)).toThrow(/\$\.uplink\.passwordSecret: the secret UPLINK_PW is not set/);
      const noCa = section({ url: 'mqtts://fleet:8883', tls: { caFile: 'missing.pem' } });
      expect(() => resolveUplink({ name: 'A', uplink: noCa }, join(dir, 'site.json'), () => undefined)).toThrow(/\$\.uplink\.tls\.caFile: cannot read .*missing\.pem: ENOENT/);
      expect(() => resolveUplink({ name: 'A' }, join(dir, 'site.json'), () => undefined, 'http://x')).toThrow(/--uplink: expected an MQTT URL/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a site id that would break the topic layout', () => {
    expect(UplinkSectionSchema.safeParse({ url: 'mqtt://h:1', siteId: 'a/b' }).success).toBe(false);
    expect(UplinkSectionSchema.safeParse({ url: 'tcp://h:1' }).success).toBe(false);
  });
});
