import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resourcesDir } from '../../../src-main/node/paths.js';
import { SiteFileError, loadSiteFile, parseSiteFile, secretsPathOf, writeSiteFile, type SiteFile } from '../../../src-main/site/site-file.js';

const scenario = JSON.parse(readFileSync(resolve(resourcesDir(), 'scenarios/summer-export-hold/scenario.json'), 'utf8'));

function site(): SiteFile {
  return parseSiteFile(
    JSON.stringify({
      format: 'lfc-site/1',
      name: 'substation 4711',
      plant: { site: scenario.site, measurement: scenario.measurement, control: scenario.control, assets: scenario.assets },
      connectors: {
        format: 'lfc-connectors/1',
        installation: 'substation-4711',
        endpoints: { dso: { baseUrl: 'https://dso.example/api', tokenSecret: 'DSO_TOKEN' } },
        breaker: { via: 'dsoPlatform', endpoint: 'dso', meterId: 'm-1' },
        assets: [{ asset: 'bess', via: 'opcua', endpointUrl: 'opc.tcp://10.0.0.5:4840', userSecret: 'BESS_USER', passwordSecret: 'BESS_PASSWORD' }],
        weather: { via: 'openMeteo', endpoint: 'dso', latitude: 52.4, longitude: 10.8 },
        triggerIntake: { tokens: [{ name: 'dso-control-room', secret: 'INTAKE_TOKEN' }] },
      },
    }),
  );
}

const SECRETS = { DSO_TOKEN: 'd', BESS_USER: 'u', BESS_PASSWORD: 'p', INTAKE_TOKEN: 'i' };

function issuesOf(fn: () => unknown): Array<{ path: string; message: string }> {
  try {
    fn();
  } catch (err) {
    if (err instanceof SiteFileError) return err.issues;
    throw err;
  }
  throw new Error('expected a SiteFileError');
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lfc-site-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('parseSiteFile', () => {
  it('fills the defaults: lfc, SignAndEncrypt / Basic256Sha256, no vouched certificates, the system clock', () => {
    const s = site();
    expect(s.controller).toBe('lfc');
    expect(s.opcua).toEqual({ securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', trustedThumbprints: [] });
    expect(s.clock).toEqual({ source: 'system' });
  });

  it('says where and why for each problem, all at once', () => {
    const bad = { ...site(), format: 'lfc-site/9', opcua: { securityMode: 'Encrypt', trustedThumbprints: ['abc'] } };
    const issues = issuesOf(() => parseSiteFile(JSON.stringify(bad), 'bad.json'));
    expect(issues.map((i) => i.path)).toEqual(expect.arrayContaining(['$.format', '$.opcua.securityMode', '$.opcua.trustedThumbprints[0]']));
    expect(issues.find((i) => i.path === '$.opcua.trustedThumbprints[0]')!.message).toMatch(/40 hex digits/);
  });

  it('refuses invalid JSON with the parser message, bindings to assets the plant does not have, a plant without BESS, a clock endpoint that is not there', () => {
    expect(issuesOf(() => parseSiteFile('{ nope', 'x.json'))[0]!.message).toMatch(/not valid JSON/);
    const s = site();
    const wrong = { ...s, plant: { ...s.plant, assets: s.plant.assets.filter((a) => a.kind !== 'bess') }, clock: { source: 'lab-rig', endpoint: 'rig' } };
    const issues = issuesOf(() => parseSiteFile(JSON.stringify(wrong)));
    expect(issues).toEqual(
      expect.arrayContaining([
        { path: '$.connectors.assets[0].asset', message: 'no asset "bess" in $.plant.assets' },
        expect.objectContaining({ path: '$.plant.assets', message: expect.stringMatching(/community BESS/) }),
        expect.objectContaining({ path: '$.clock.endpoint' }),
      ]),
    );
  });

  it('refuses the in-process simulator as a connection, and says how to reach a simulated plant instead', () => {
    const s = site();
    const sim = { ...s, connectors: { ...s.connectors, breaker: { via: 'simulator' } } };
    const [issue] = issuesOf(() => parseSiteFile(JSON.stringify(sim)));
    expect(issue).toMatchObject({ path: '$.connectors.breaker.via', message: expect.stringMatching(/--rig-only --site-out/) });
  });

  it('never takes a secret in clear text', () => {
    const s = site();
    const clear = { ...s, connectors: { ...s.connectors, endpoints: { dso: { baseUrl: 'https://dso.example/api', tokenSecret: 'hunter2-the-real-token' } } } };
    expect(issuesOf(() => parseSiteFile(JSON.stringify(clear)))[0]).toMatchObject({ path: '$.connectors.endpoints.dso.tokenSecret', message: expect.stringMatching(/a secret is named, not given/) });
  });
});

describe('the secrets file', () => {
  it('writeSiteFile writes the secrets 0600 beside the site file, and loadSiteFile reads them back', () => {
    const { sitePath, secretsPath } = writeSiteFile(join(dir, 'site.json'), site(), SECRETS);
    expect(secretsPath).toBe(join(dir, 'site.secrets.json'));
    expect(statSync(secretsPath).mode & 0o777).toBe(0o600);
    expect(readFileSync(sitePath, 'utf8')).not.toContain('hunter');
    const loaded = loadSiteFile(sitePath, {});
    expect(loaded.secrets('BESS_PASSWORD')).toBe('p');
    expect(loaded.secretsPath).toBe(secretsPath);
  });

  it('rewrites an existing wide-open secrets file as 0600', () => {
    const path = secretsPathOf(join(dir, 'site.json'), {});
    writeFileSync(path, '{}');
    chmodSync(path, 0o644);
    writeSiteFile(join(dir, 'site.json'), site(), SECRETS);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('refuses a secrets file others may read, with the command that fixes it', () => {
    const { sitePath, secretsPath } = writeSiteFile(join(dir, 'site.json'), site(), SECRETS);
    chmodSync(secretsPath, 0o644);
    const [issue] = issuesOf(() => loadSiteFile(sitePath, {}));
    expect(issue!.message).toContain(`chmod 600 ${JSON.stringify(secretsPath)}`);
  });

  it('lists every missing secret with its path, and says there is no secrets file', () => {
    writeFileSync(join(dir, 'site.json'), JSON.stringify(site()));
    const issues = issuesOf(() => loadSiteFile(join(dir, 'site.json'), { LFC_SECRET_DSO_TOKEN: 'from-env' }));
    expect(issues.map((i) => i.path)).toEqual(['$.connectors.assets[0].userSecret', '$.connectors.assets[0].passwordSecret', '$.connectors.triggerIntake.tokens[0].secret']);
    expect(issues[0]!.message).toContain(`there is no secrets file at ${join(dir, 'site.secrets.json')}`);
  });

  it('takes a secret from the environment over the file', () => {
    const { sitePath } = writeSiteFile(join(dir, 'site.json'), site(), SECRETS);
    expect(loadSiteFile(sitePath, { LFC_SECRET_DSO_TOKEN: 'from-env' }).secrets('DSO_TOKEN')).toBe('from-env');
  });

  it('a missing site file is a clear error', () => {
    expect(issuesOf(() => loadSiteFile(join(dir, 'none.json'), {}))[0]!.message).toBe('no such file');
  });
});
