import { describe, expect, it } from 'vitest';
import { ConnectorConfigError, parseConnectorConfig, requireSecrets } from '../../../../src-main/connectors/config/connector-config.js';

const good = {
  format: 'lfc-connectors/1',
  installation: 'substation-4711',
  endpoints: { dso: { baseUrl: 'https://dso.example/api', tokenSecret: 'DSO_TOKEN' }, storage: { baseUrl: 'https://storage.example', timeoutMs: 3000 } },
  breaker: { via: 'dsoPlatform', endpoint: 'dso', meterId: 'ss-4711' },
  assets: [
    { asset: 'bess', via: 'opcua', endpointUrl: 'opc.tcp://bess.local:4840' },
    { asset: 'hs', via: 'rest', backend: 'storage', endpoint: 'storage' },
    { asset: 'hp', via: 'dsoPlatform', endpoint: 'dso', unit: '%', ratedKw: 3 },
  ],
  weather: { via: 'simulator' },
  triggerIntake: { tokens: [{ name: 'dso-control-room', secret: 'INTAKE_TOKEN' }] },
};

const issuesOf = (v: unknown) => {
  try {
    parseConnectorConfig(JSON.stringify(v));
  } catch (e) {
    if (e instanceof ConnectorConfigError) return e.issues;
    throw e;
  }
  return [];
};

describe('connector configuration', () => {
  it('accepts a complete file and fills the defaults', () => {
    const c = parseConnectorConfig(JSON.stringify(good));
    expect(c.endpoints.dso!.timeoutMs).toBe(5000);
    expect(c.endpoints.dso!.retry).toEqual({ maxAttempts: 3, baseDelayMs: 200, maxDelayMs: 2000 });
    expect(c.triggerIntake).toMatchObject({ host: '127.0.0.1', allowedRemotes: ['loopback'] });
  });

  it('names every problem with its JSON path', () => {
    const bad = structuredClone(good) as Record<string, unknown> & typeof good;
    (bad.endpoints.dso as Record<string, unknown>).tokenSecret = 'my-plain-password';
    (bad.assets[1] as Record<string, unknown>).endpoint = 'nowhere';
    (bad.assets[2] as Record<string, unknown>).ratedKw = undefined;
    bad.assets.push({ asset: 'bess', via: 'simulator' } as never);
    (bad as Record<string, unknown>).typo = 1;
    const paths = issuesOf(bad).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['$.endpoints.dso.tokenSecret', '$.assets[1].endpoint', '$.assets[2].ratedKw', '$.assets[3].asset', '$']));
    expect(issuesOf({ ...good, triggerIntake: { tokens: [] } }).map((i) => i.path)).toContain('$.triggerIntake.tokens');
    expect(() => parseConnectorConfig('{ nope')).toThrow(/not valid JSON/);
  });

  it('lists every missing secret by name, never by value', () => {
    const c = parseConnectorConfig(JSON.stringify(good));
    expect(() => requireSecrets(c, (n) => (n === 'DSO_TOKEN' ? 'x' : undefined))).toThrow(/\$\.triggerIntake\.tokens\[0\]\.secret: secret "INTAKE_TOKEN" is not set/);
    expect(() => requireSecrets(c, () => 'x')).not.toThrow();
  });
});
