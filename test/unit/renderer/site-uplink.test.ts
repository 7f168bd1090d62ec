/**
 * The site form's uplink section: a field set from the form is trimmed and an empty optional one removed
 * (no `"siteId": ""` for the core to refuse), a `tls` without files goes, and the uplink's password secret is
 * one of the secrets the form lists (write-only, like the others).
 */
import { describe, expect, it } from 'vitest';

import { NEW_UPLINK, secretNames, withUplinkField } from '../../../src-renderer/src/stores/site';
import type { SiteDraft } from '../../../src-renderer/src/stores/site';

describe('the uplink section of the site form', () => {
  it('sets, trims and removes fields; TLS files live under tls and an empty tls goes', () => {
    let u = withUplinkField({ ...NEW_UPLINK }, 'url', ' mqtts://fleet.example.org:8883 ');
    expect(u).toEqual({ url: 'mqtts://fleet.example.org:8883', passwordSecret: 'UPLINK_PASSWORD' });
    u = withUplinkField(u, 'siteId', 'community-3');
    u = withUplinkField(u, 'caFile', 'fleet-ca.pem');
    u = withUplinkField(u, 'certFile', 'site.crt');
    expect(u).toEqual({ url: 'mqtts://fleet.example.org:8883', passwordSecret: 'UPLINK_PASSWORD', siteId: 'community-3', tls: { caFile: 'fleet-ca.pem', certFile: 'site.crt' } });
    u = withUplinkField(u, 'siteId', '  ');
    u = withUplinkField(u, 'caFile', '');
    u = withUplinkField(u, 'certFile', '');
    expect(u).toEqual({ url: 'mqtts://fleet.example.org:8883', passwordSecret: 'UPLINK_PASSWORD' });
  });

  it('keeps TLS settings the form does not show', () => {
    expect(withUplinkField({ url: 'mqtts://h', tls: { caFile: 'a.pem', rejectUnauthorized: false } }, 'caFile', '')).toEqual({ url: 'mqtts://h', tls: { rejectUnauthorized: false } });
  });

  it('lists the uplink password among the secrets', () => {
    const draft = {
      format: 'lfc-site/1',
      name: 'x',
      plant: { site: { connectionLimitKw: 1, timezone: 'UTC' }, measurement: { breakerPeriodS: 10 } },
      connectors: { installation: 'i', endpoints: { dso: { baseUrl: 'https://d', tokenSecret: 'DSO_TOKEN' } }, breaker: { via: 'dsoPlatform' }, assets: [], weather: { via: 'none' }, triggerIntake: { tokens: [] } },
    } satisfies SiteDraft;
    expect(secretNames(draft)).toEqual(['DSO_TOKEN']);
    expect(secretNames({ ...draft, uplink: { ...NEW_UPLINK } })).toEqual(['DSO_TOKEN', 'UPLINK_PASSWORD']);
  });
});
