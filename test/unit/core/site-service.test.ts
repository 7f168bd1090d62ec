/**
 * The core's site handling without a site to reach: the template parses as a site file, a save is checked
 * whole before anything is written, secrets go only to the host's store (and only names the site uses),
 * field mode without a saved site says where to enter it, and a test of an unreachable site says which step
 * failed.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { LfcCore, type SecretPort } from '../../../src-main/core/lfc-core';
import { resourcesDir } from '../../../src-main/node/paths';
import { parseSiteFile } from '../../../src-main/site/site-file';
import { openHistoryStore, type HistoryStore } from '../../../src-main/storage/history-store';

let dir: string;
let history: HistoryStore;
const held = new Map<string, string>();
const store: SecretPort = { description: 'test', get: (n) => held.get(n) ?? null, set: (n, v) => void held.set(n, v), delete: (n) => held.delete(n) };
const make = (secretStore: SecretPort | null = store) => new LfcCore({ resourcesDirPath: resourcesDir(), dataDirPath: dir, history, appVersion: 'test', loadSolver: null, autoRun: false, secretStore });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lfc-core-site-'));
  history = openHistoryStore({ file: ':memory:' });
  held.clear();
});
afterEach(() => {
  history.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the core’s site file', () => {
  it('offers a template that is a valid site file, with no site saved yet', () => {
    const doc = make().site.get();
    expect(doc.text).toBeNull();
    expect(doc.path).toBe(join(dir, 'site', 'site.json'));
    const site = parseSiteFile(doc.template);
    expect(site.connectors.assets.find((a) => a.asset === 'bess')?.via).toBe('opcua');
    expect(make().getSettings().connections.map((c) => c.id)).toEqual(['simulator']);
  });

  it('writes nothing when the file has a problem, and refuses secrets the site does not name', () => {
    const core = make();
    const template = JSON.parse(core.site.get().template) as { connectors: { endpoints: { dso: { baseUrl: string } } } };
    template.connectors.endpoints.dso.baseUrl = 'ftp://nope';
    expect(() => core.site.save({ text: JSON.stringify(template) })).toThrow(/\$\.connectors\.endpoints\.dso\.baseUrl/);
    expect(existsSync(join(dir, 'site', 'site.json'))).toBe(false);
    expect(() => core.site.save({ text: core.site.get().template, secrets: { OTHER: 'x' } })).toThrow(/names no secret OTHER/);
    expect(existsSync(join(dir, 'site', 'site.json'))).toBe(false);
  });

  it('keeps secrets in the host’s store under site.<NAME>, says which are set, and deletes one given empty', () => {
    const core = make();
    const doc = core.site.save({ text: core.site.get().template, secrets: { DSO_TOKEN: 'tok' } });
    expect(held.get('site.DSO_TOKEN')).toBe('tok');
    expect(doc.secrets.find((s) => s.name === 'DSO_TOKEN')).toEqual({ name: 'DSO_TOKEN', set: true, from: 'console' });
    expect(doc.secrets.find((s) => s.name === 'INTAKE_TOKEN')).toEqual({ name: 'INTAKE_TOKEN', set: false, from: null });
    core.site.save({ text: core.site.get().text!, secrets: { DSO_TOKEN: '' } });
    expect(held.has('site.DSO_TOKEN')).toBe(false);
  });

  it('says so when the host keeps no secrets', () => {
    const core = make(null);
    expect(() => core.site.save({ text: core.site.get().template, secrets: { DSO_TOKEN: 'tok' } })).toThrow(/keeps no secrets: set LFC_SECRET_<NAME>/);
  });

  it('cannot start field mode without a site, nor with secrets missing, and says where', async () => {
    const core = make();
    await expect(core.startField()).rejects.toThrow(/no site file at .*site\.json: enter the site in Settings → Connections/);
    core.site.save({ text: core.site.get().template });
    await expect(core.startField()).rejects.toThrow(/secret "DSO_TOKEN" is not set/);
  });

  it('tests an unreachable OPC UA endpoint and says the reach step failed', async () => {
    const core = make();
    const t = JSON.parse(core.site.get().template) as { connectors: { assets: Array<{ asset: string; endpointUrl?: string }> } };
    t.connectors.assets.find((a) => a.asset === 'bess')!.endpointUrl = 'opc.tcp://127.0.0.1:1';
    core.site.save({ text: JSON.stringify(t), secrets: { DSO_TOKEN: 'a', STORAGE_TOKEN: 'b', HEATPUMP_TOKEN: 'c', BESS_OPCUA_USER: 'u', BESS_OPCUA_PASSWORD: 'p', INTAKE_TOKEN: 'i' } });
    const r = await core.testConnection('asset:bess');
    expect(r.ok).toBe(false);
    expect(r.steps).toEqual([expect.objectContaining({ step: 'reach', ok: false })]);
    expect(r.message).toMatch(/opc\.tcp:\/\/127\.0\.0\.1:1: cannot reach the server/);
  }, 20_000);
});

describe('a host whose secret store cannot encrypt', () => {
  it('changes neither the file nor any secret, and says why', () => {
    const failing: SecretPort = { description: 'none', get: () => null, set: () => { throw new Error('the operating system offers no encryption to this app (Electron safeStorage is unavailable)'); }, delete: () => false };
    const core = make(failing);
    expect(() => core.site.save({ text: core.site.get().template, secrets: { DSO_TOKEN: 'tok' } })).toThrow(/could not be stored, the site file is unchanged: .*safeStorage is unavailable/);
    expect(existsSync(join(dir, 'site', 'site.json'))).toBe(false);
  });
});
