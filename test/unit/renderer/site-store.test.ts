/**
 * Settings → Connections' store: the core's list of a refused site file's problems mapped to their fields,
 * a file that is no site file refused on import with the reason, the secret names a site uses, and a save
 * that sends only the secrets typed (and clears them from the page afterwards).
 */
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it } from 'vitest';

import { setBridge } from '../../../src-renderer/src/api';
import type { IpcResult, LfcApi, SiteDocument } from '../../../src-renderer/src/api';
import { issuesByPath, parseDraft, secretNames, useSiteStore } from '../../../src-renderer/src/stores/site';

const SITE = {
  format: 'lfc-site/1',
  name: 'rig',
  plant: { site: { connectionLimitKw: 630, timezone: 'Europe/Rome' }, measurement: { breakerPeriodS: 10 }, assets: [] },
  connectors: {
    installation: 'x',
    endpoints: { dso: { baseUrl: 'http://127.0.0.1:1', tokenSecret: 'DSO_TOKEN' }, weather: { baseUrl: 'http://127.0.0.1:2' } },
    breaker: { via: 'dsoPlatform', endpoint: 'dso', meterId: 'm' },
    assets: [{ asset: 'bess', via: 'opcua', endpointUrl: 'opc.tcp://127.0.0.1:3', userSecret: 'BESS_USER', passwordSecret: 'BESS_PASSWORD' }],
    weather: { via: 'openMeteo', endpoint: 'weather', latitude: 45, longitude: 8 },
    triggerIntake: { tokens: [{ name: 'dso', secret: 'INTAKE_TOKEN' }, { name: 'again', secret: 'DSO_TOKEN' }] },
  },
};

describe('site store helpers', () => {
  it('maps the core’s problems to their JSON paths, the one-problem form with the file name first too', () => {
    expect(issuesByPath('/data/site.json: 2 problems\n  $.name: too short\n  $.connectors.endpoints.dso.baseUrl: must be an http:// or https:// URL')).toEqual({
      '$.name': 'too short',
      '$.connectors.endpoints.dso.baseUrl': 'must be an http:// or https:// URL',
    });
    expect(issuesByPath('/data/site.json:   $.connectors.installation: Too small: expected string to have >=1 characters')).toEqual({
      '$.connectors.installation': 'Too small: expected string to have >=1 characters',
    });
    expect(issuesByPath('the field EMS runs on this site')).toEqual({ $: 'the field EMS runs on this site' });
  });

  it('refuses what is not a site file, saying why', () => {
    expect(parseDraft('{')).toMatch(/not valid JSON/);
    expect(parseDraft('{"format":"lfc-connectors/1"}')).toMatch(/"format" must be "lfc-site\/1"/);
    expect(parseDraft('{"format":"lfc-site/1"}')).toMatch(/needs "plant" and "connectors"/);
    expect(typeof parseDraft(JSON.stringify(SITE))).toBe('object');
  });

  it('lists each secret the site names once, in file order', () => {
    expect(secretNames(parseDraft(JSON.stringify(SITE)) as never)).toEqual(['DSO_TOKEN', 'BESS_USER', 'BESS_PASSWORD', 'INTAKE_TOKEN']);
  });
});

describe('site store', () => {
  const calls: Array<[string, unknown[]]> = [];
  const doc = (text: string | null): SiteDocument => ({ path: '/d/site/site.json', text, template: JSON.stringify(SITE), secrets: [], secretStore: 'test', cleared: [] });
  const ok = <T>(value: T): IpcResult<T> => ({ ok: true, value });
  beforeEach(() => {
    calls.length = 0;
    setActivePinia(createPinia());
    const answers: Record<string, (...args: unknown[]) => IpcResult<unknown>> = {
      'site:get': () => ok(doc(null)),
      'site:save': (req) => ok(doc((req as { text: string }).text)),
      'connections:pki': () => ok({ pkiDir: '/p', trustedDir: '/p/t', rejectedDir: '/p/r', ownCertificate: null, trusted: [], rejected: [] }),
      'settings:get': () => ok({ dataDirPath: '/d', logFilePath: null, connections: [], preferences: null }),
    };
    setBridge(
      new Proxy({} as LfcApi, {
        get: (_t, channel: string) => async (...args: unknown[]) => {
          calls.push([channel, args]);
          return answers[channel]?.(...args) ?? { ok: false, error: { code: 'NOT_FOUND', message: channel } };
        },
      }),
    );
  });

  it('starts a new site from the template and sends only the secrets typed, then forgets them', async () => {
    const site = useSiteStore();
    await site.load();
    expect(site.isNew).toBe(true);
    expect(site.draft?.name).toBe('rig');
    site.secretInputs = { DSO_TOKEN: 'abc', BESS_USER: '', NOT_USED: 'x' };
    expect(await site.save()).toBe(true);
    const save = calls.find(([c]) => c === 'site:save')!;
    expect((save[1][0] as { secrets: Record<string, string> }).secrets).toEqual({ DSO_TOKEN: 'abc' });
    expect(JSON.stringify(save[1][0])).not.toContain('NOT_USED');
    expect(site.secretInputs).toEqual({});
    expect(site.saved).toBe(true);
  });

  it('keeps the draft on a refused import', async () => {
    const site = useSiteStore();
    await site.load();
    expect(site.importText('{"format":"x"}')).toBe(false);
    expect(site.issues['$']).toMatch(/not a site file/);
    expect(site.draft?.name).toBe('rig');
  });
});
