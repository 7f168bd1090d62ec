/**
 * The site of field mode as the console keeps it (Settings → Connections): the site file (read, checked
 * whole, written), the secrets it names in the host's store (write-only: never read back to the console,
 * forgotten when where they are sent changes), the OPC UA PKI (trust / reject, UaExpert style), and the
 * test of each connection. Split from `LfcCore`, which composes it, so the core stays the live session's.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

import { pkiState, rejectCertificate, trustCertificate } from '../connectors/opcua/probe';
import { siteConnections, sitePkiDir, testSiteConnection } from '../field/site-connections';
import { writeFileAtomic } from '../node/atomic-write';
import type { ConnectionInfo, ConnectionTestResult, PkiState, SaveSiteRequest, SiteDocument } from '../shared/ipc-contract';
import { loadSiteFile, parseSiteFile, readSecretsFile, secretDestinations, secretNamesOf, secretsPathOf, SiteFileError } from '../site/site-file';
import type { LoadedSite } from '../site/site-file';
import type { FieldSession } from './field-session';
import { CoreError, parseRequest, SaveSiteRequestSchema } from './requests';

/** The host's secret store as the core uses it (names are the site file's, e.g. `DSO_TOKEN`). */
export interface SecretPort {
  /** Says where the secrets go, for the Settings view ("OS keychain (safeStorage)", "encrypted file …"). */
  readonly description: string;
  get(name: string): string | null;
  set(name: string, value: string): void;
  delete(name: string): boolean;
}

export interface SiteServiceOptions {
  sitePath: string;
  dataDirPath: string;
  resourcesDirPath: string;
  secretStore: SecretPort | null;
  /** The field session running now, if any. */
  running: () => FieldSession | null;
  /** The bundled scenario the template takes its plant from. */
  templateScenarioPath: string;
}

export class SiteService {
  readonly sitePath: string;

  constructor(private readonly o: SiteServiceOptions) {
    this.sitePath = resolve(o.sitePath);
  }

  /** The site file with its secrets, or a BAD_REQUEST naming every problem with its JSON path. */
  load(requireAllSecrets = true): LoadedSite {
    if (!existsSync(this.sitePath)) throw new CoreError('NOT_READY', `no site file at ${this.sitePath}: enter the site in Settings → Connections and save it`);
    try {
      return loadSiteFile(this.sitePath, process.env, this.o.secretStore ? (name) => this.o.secretStore!.get(secretKey(name)) ?? undefined : null, requireAllSecrets);
    } catch (error) {
      if (error instanceof SiteFileError) throw new CoreError('BAD_REQUEST', error.message);
      throw error;
    }
  }

  /** The site as Settings → Connections edits it: the file's text and which secrets are set, never their values. */
  get(): SiteDocument {
    const text = existsSync(this.sitePath) ? readFileSync(this.sitePath, 'utf8') : null;
    let names: string[] = [];
    let fileSecrets: Record<string, string> = {};
    if (text !== null) {
      try {
        const site = parseSiteFile(text, this.sitePath);
        names = secretNamesOf(site);
        const sp = secretsPathOf(this.sitePath, site);
        if (existsSync(sp)) fileSecrets = readSecretsFile(sp);
      } catch {
        // An invalid file is shown as it is, for the operator to mend; its secrets cannot be listed.
      }
    }
    const from = (name: string): SiteDocument['secrets'][number]['from'] =>
      this.o.secretStore?.get(secretKey(name)) ? 'console' : process.env[`LFC_SECRET_${name}`] ? 'environment' : fileSecrets[name] ? 'secrets-file' : null;
    return {
      path: this.sitePath,
      text,
      template: siteTemplate(this.o.templateScenarioPath),
      secrets: names.map((name) => ({ name, set: from(name) !== null, from: from(name) })),
      secretStore: this.o.secretStore?.description ?? `none in this host: LFC_SECRET_<NAME> or ${secretsPathOf(this.sitePath, {})} (mode 0600)`,
      cleared: [],
    };
  }

  /** Validates the site file whole, writes it, and stores the secrets given (an empty value deletes one). */
  save(request: SaveSiteRequest): SiteDocument {
    const req = parseRequest(SaveSiteRequestSchema, request, 'site:save');
    const running = this.o.running();
    if (running && resolve(running.loaded.path) === this.sitePath) throw new CoreError('NOT_READY', 'the field EMS runs on this site: switch to the simulator before changing it');
    let site;
    try {
      site = parseSiteFile(req.text, this.sitePath);
    } catch (error) {
      if (error instanceof SiteFileError) throw new CoreError('BAD_REQUEST', error.message);
      throw error;
    }
    const used = new Set(secretNamesOf(site));
    const given = Object.entries(req.secrets ?? {});
    const unknown = given.filter(([n]) => !used.has(n)).map(([n]) => n);
    if (unknown.length > 0) throw new CoreError('BAD_REQUEST', `site:save: the site names no secret ${unknown.join(', ')}`);
    if (given.some(([, v]) => v !== '') && !this.o.secretStore) throw new CoreError('NOT_AVAILABLE', `this host keeps no secrets: set LFC_SECRET_<NAME> or write them to ${secretsPathOf(this.sitePath, site)} (mode 0600)`);
    // A kept secret goes only where it went when it was entered: if its destination changed and no new
    // value came, it is forgotten (else a changed URL would carry the old token to another server).
    let before: Map<string, string> = new Map();
    try {
      if (existsSync(this.sitePath)) before = secretDestinations(parseSiteFile(readFileSync(this.sitePath, 'utf8'), this.sitePath));
    } catch {
      before = new Map(); // an invalid old file: nothing is known of where its secrets went
    }
    const after = secretDestinations(site);
    const givenNames = new Set(given.map(([n]) => n));
    const cleared = [...after.keys()].filter((n) => !givenNames.has(n) && before.get(n) !== after.get(n) && this.o.secretStore?.get(secretKey(n)));
    // The secrets first: a store that cannot encrypt (no OS keychain) fails before the file changes.
    try {
      for (const name of cleared) this.o.secretStore?.delete(secretKey(name));
      for (const [name, value] of given) {
        if (value === '') this.o.secretStore?.delete(secretKey(name));
        else this.o.secretStore!.set(secretKey(name), value);
      }
    } catch (error) {
      throw new CoreError('NOT_AVAILABLE', `site:save: the secrets could not be stored, the site file is unchanged: ${error instanceof Error ? error.message : String(error)}`);
    }
    mkdirSync(dirname(this.sitePath), { recursive: true });
    writeFileAtomic(this.sitePath, JSON.stringify(JSON.parse(req.text), null, 2) + '\n', 0o644);
    return { ...this.get(), cleared };
  }

  /** The PKI of the site's OPC UA connections (the default folder when no site is saved yet). */
  pkiDir(): string {
    const running = this.o.running();
    if (running) return running.ems.pkiDir;
    try {
      return sitePkiDir(parseSiteFile(readFileSync(this.sitePath, 'utf8'), this.sitePath), this.o.dataDirPath);
    } catch {
      return join(this.o.dataDirPath, 'pki');
    }
  }

  pki(): Promise<PkiState> {
    return pkiState(this.pkiDir());
  }

  /** UaExpert's "Trust": a refused server certificate (by its SHA-1 thumbprint) into the trusted list. */
  trust(sha1: string): Promise<PkiState> {
    return this.movePki('connections:trustCertificate', sha1, trustCertificate);
  }

  /** A trusted server certificate back to the refused ones. */
  reject(sha1: string): Promise<PkiState> {
    return this.movePki('connections:rejectCertificate', sha1, rejectCertificate);
  }

  private async movePki(channel: string, sha1: string, move: (pkiDir: string, sha1: string) => Promise<PkiState>): Promise<PkiState> {
    if (typeof sha1 !== 'string' || !/^[0-9a-fA-F:]{40,59}$/.test(sha1)) throw new CoreError('BAD_REQUEST', `${channel}: a SHA-1 thumbprint (40 hex digits) is required`);
    try {
      return await move(this.pkiDir(), sha1);
    } catch (error) {
      throw new CoreError('NOT_FOUND', error instanceof Error ? error.message : String(error));
    }
  }

  /** The site's connections: the running field EMS's, else the saved site file's (none when it is missing or invalid). */
  connections(): ConnectionInfo[] {
    const running = this.o.running();
    if (running) return running.connections();
    try {
      return siteConnections(parseSiteFile(readFileSync(this.sitePath, 'utf8'), this.sitePath));
    } catch {
      return [];
    }
  }

  /**
   * Tests one of the site's connections for real (the probe of `field/site-connections.ts`: OPC UA reach,
   * certificate, secure channel, login, a read; REST reach, token, a read), against the running field EMS's
   * site or the saved site file, so a site can be tested before the switch to field mode. Only this
   * connection's secrets are needed: the breaker can be tested before the BESS password is in.
   */
  test(connectionId: string): Promise<ConnectionTestResult> {
    const running = this.o.running();
    if (running) return running.testConnection(connectionId);
    const loaded = this.load(false);
    if (!siteConnections(loaded.site).some((c) => c.id === connectionId)) throw new CoreError('NOT_FOUND', `no connection ${connectionId}`);
    return testSiteConnection(loaded, this.o.dataDirPath, connectionId);
  }
}

/**
 * A site file to start from: the bundled default scenario's plant, and example connections in the shapes
 * of `lfc-connectors/1` with placeholder addresses (`*.invalid` never resolves, so nothing is reached by
 * accident before the operator enters the site's own).
 */
function siteTemplate(scenarioPath: string): string {
  const s = JSON.parse(readFileSync(scenarioPath, 'utf8')) as { site: unknown; measurement: unknown; control: unknown; assets: Array<{ id: string; kind: string }> };
  const bess = s.assets.find((a) => a.kind === 'bess')?.id ?? 'bess';
  const site = {
    format: 'lfc-site/1',
    name: 'my substation',
    controller: 'lfc',
    plant: { site: s.site, measurement: s.measurement, control: s.control, assets: s.assets },
    connectors: {
      format: 'lfc-connectors/1',
      installation: 'substation-1',
      endpoints: {
        dso: { baseUrl: 'https://dso-platform.invalid/api', tokenSecret: 'DSO_TOKEN', timeoutMs: 5000 },
        storage: { baseUrl: 'https://storage-cloud.invalid', tokenSecret: 'STORAGE_TOKEN', timeoutMs: 5000 },
        heatpumps: { baseUrl: 'https://heatpump-cloud.invalid', tokenSecret: 'HEATPUMP_TOKEN', timeoutMs: 5000 },
        weather: { baseUrl: 'https://api.open-meteo.com' },
      },
      breaker: { via: 'dsoPlatform', endpoint: 'dso', meterId: 'breaker-1' },
      assets: s.assets.map((a) =>
        a.id === bess
          ? { asset: a.id, via: 'opcua', endpointUrl: 'opc.tcp://bess.invalid:4840', userSecret: 'BESS_OPCUA_USER', passwordSecret: 'BESS_OPCUA_PASSWORD' }
          : a.kind === 'heatPump'
            ? { asset: a.id, via: 'rest', backend: 'heatPump', endpoint: 'heatpumps' }
            : a.kind === 'householdStorage'
              ? { asset: a.id, via: 'rest', backend: 'storage', endpoint: 'storage' }
              : null,
      ).filter((b) => b !== null),
      weather: { via: 'openMeteo', endpoint: 'weather', latitude: (s.site as { latitude: number }).latitude, longitude: (s.site as { longitude: number }).longitude },
      triggerIntake: { host: '127.0.0.1', port: 8470, tokens: [{ name: 'dso-control-room', secret: 'INTAKE_TOKEN' }], allowedRemotes: ['loopback'] },
    },
    opcua: { securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', trustedThumbprints: [] },
    clock: { source: 'system' },
  };
  return JSON.stringify(site, null, 2);
}

/** The key under which the host's secret store keeps a site secret (apart from the app's other secrets). */
function secretKey(name: string): string {
  return `site.${name}`;
}
