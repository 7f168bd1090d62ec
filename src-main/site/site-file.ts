/**
 * The site file (`format: "lfc-site/1"`): everything the field EMS needs to run a real site, and nothing
 * secret. What it holds:
 * - `name`, `controller` (`lfc` or `deadbeat`);
 * - `plant`: the site (position, time zone, connection limit), the measurement and control periods and the
 *   asset list, in the very shapes of the scenario format (`../shared/docs/SCENARIOS.md`), so the engine's
 *   asset model is written once for replay, lab and field;
 * - `connectors` (`lfc-connectors/1`): the breaker meter source, each asset's binding (OPC UA endpoint and
 *   login secret names, vendor backends over REST, the DSO platform), the weather source and the trigger
 *   intake (bind address, port, token secret names, allowed remotes);
 * - `opcua`: the security mode and policy, the node mapping (a file, or the bundled SunSpec-style one), the
 *   EMS's PKI folder and the server certificates the operator vouches for by SHA-1 thumbprint;
 * - `clock`: `system` in the field (NTP time); `lab-rig` makes the EMS follow a lab rig's simulated clock
 *   (`GET /v1/clock` on the named endpoint), because a rig replays a recorded day, not today;
 * - `secretsFile`: where the secrets are (default: the site file's name with `.secrets.json`).
 * - `uplink` (optional): the fleet uplink over MQTT (broker URL, site id, user and password secret, TLS
 *   files, backlog rate limit; `uplink/uplink-config.ts`).
 *
 * Secrets are never in the site file: it names them (`tokenSecret: "DSO_TOKEN"`), and they come from the
 * environment (`LFC_SECRET_<NAME>`) or the secrets file, a JSON object of name → value that must be
 * readable by its owner only (mode 0600; anything wider is refused with the command that fixes it). The
 * console keeps the secrets the operator types in its host's store (Electron `safeStorage` on the desktop,
 * an encrypted file in serve mode), looked up first (`loadSiteFile`'s `held`).
 */
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { z } from 'zod';
import { ConnectorConfigError, ConnectorConfigSchema, jsonPath, requireSecrets, type ConfigIssue, type SecretResolver } from '../connectors/config/connector-config.js';
import { AssetSchema, ControlSchema, MeasurementSchema, SiteSchema } from '../engine/scenario/schema.js';
import { writeFileAtomic } from '../node/atomic-write.js';
import { UplinkSectionSchema } from '../uplink/uplink-config.js';

export const SITE_FILE_FORMAT = 'lfc-site/1';

const thumbprint = z.string().regex(/^[0-9A-Fa-f]{40}$/, 'a SHA-1 thumbprint: 40 hex digits');

export const SiteFileSchema = z.strictObject({
  format: z.literal(SITE_FILE_FORMAT, { error: `format must be "${SITE_FILE_FORMAT}"` }),
  name: z.string().min(1).max(100),
  controller: z.enum(['lfc', 'deadbeat']).default('lfc'),
  plant: z.strictObject({
    site: SiteSchema,
    measurement: MeasurementSchema,
    control: ControlSchema,
    assets: z.array(AssetSchema).min(1),
  }),
  connectors: ConnectorConfigSchema,
  opcua: z
    .strictObject({
      securityMode: z.enum(['None', 'Sign', 'SignAndEncrypt']).default('SignAndEncrypt'),
      securityPolicy: z.enum(['None', 'Basic256Sha256', 'Aes128_Sha256_RsaOaep']).default('Basic256Sha256'),
      /** A node-mapping file (relative to the site file), or absent for the bundled `opcua/sunspec-bess.json`. */
      mappingFile: z.string().min(1).optional(),
      /** The EMS's PKI folder (relative to the data folder when not absolute); default `<data>/pki`. */
      pkiDir: z.string().min(1).optional(),
      trustedThumbprints: z.array(thumbprint).default([]),
    })
    .default({ securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', trustedThumbprints: [] }),
  clock: z
    .discriminatedUnion('source', [z.strictObject({ source: z.literal('system') }), z.strictObject({ source: z.literal('lab-rig'), endpoint: z.string().min(1) })])
    .default({ source: 'system' }),
  secretsFile: z.string().min(1).optional(),
  /** The fleet uplink over MQTT (`uplink/uplink-config.ts`); absent: none (unless `npm run ems -- --uplink URL`). */
  uplink: UplinkSectionSchema.optional(),
});

export type SiteFile = z.output<typeof SiteFileSchema>;

export class SiteFileError extends Error {
  constructor(
    readonly file: string,
    readonly issues: ConfigIssue[],
  ) {
    super(`${file}: ${issues.length === 1 ? '' : `${issues.length} problems\n`}${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`);
    this.name = 'SiteFileError';
  }
}

export function parseSiteFile(text: string, file = 'site.json'): SiteFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new SiteFileError(file, [{ path: '$', message: `not valid JSON: ${err instanceof Error ? err.message : String(err)}` }]);
  }
  const r = SiteFileSchema.safeParse(raw);
  if (!r.success) throw new SiteFileError(file, r.error.issues.map((i) => ({ path: jsonPath(i.path), message: i.message })));
  const site = r.data;
  const issues: ConfigIssue[] = [];
  // Every binding names an asset of the plant, and the plant has the one community BESS the engine controls.
  const ids = new Set(site.plant.assets.map((a) => a.id));
  site.connectors.assets.forEach((b, i) => {
    if (!ids.has(b.asset)) issues.push({ path: `$.connectors.assets[${i}].asset`, message: `no asset "${b.asset}" in $.plant.assets` });
  });
  // A site is reached over its protocols; the in-process simulator is the console's other mode, and a
  // simulated plant is reached as a site through a lab rig (`npm run lab -- SCEN --rig-only --site-out F`).
  const viaSimulator = 'is "simulator": a site file reaches a site over the wire (for the simulator, start a lab rig: npm run lab -- <scenario> --rig-only --site-out <file>)';
  if (site.connectors.breaker.via === 'simulator') issues.push({ path: '$.connectors.breaker.via', message: viaSimulator });
  if (site.connectors.weather.via === 'simulator') issues.push({ path: '$.connectors.weather.via', message: viaSimulator });
  site.connectors.assets.forEach((b, i) => {
    if (b.via === 'simulator') issues.push({ path: `$.connectors.assets[${i}].via`, message: viaSimulator });
  });
  if (!site.plant.assets.some((a) => a.kind === 'bess')) issues.push({ path: '$.plant.assets', message: 'the site needs its community BESS (kind "bess")' });
  if (site.clock.source === 'lab-rig' && !site.connectors.endpoints[site.clock.endpoint]) issues.push({ path: '$.clock.endpoint', message: `no endpoint "${site.clock.endpoint}" in $.connectors.endpoints` });
  if (issues.length > 0) throw new SiteFileError(file, issues);
  return site;
}

/** Where the secrets of a site file are. */
export function secretsPathOf(sitePath: string, site: Pick<SiteFile, 'secretsFile'>): string {
  if (site.secretsFile) return resolve(dirname(sitePath), site.secretsFile);
  return resolve(dirname(sitePath), basename(sitePath).replace(/\.json$/i, '') + '.secrets.json');
}

/** Reads a secrets file, refusing one that others than its owner may read. */
export function readSecretsFile(path: string): Record<string, string> {
  const st = statSync(path);
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
    throw new SiteFileError(path, [{ path: '$', message: `the secrets file may be read by others (mode ${(st.mode & 0o777).toString(8)}); run: chmod 600 ${JSON.stringify(path)}` }]);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new SiteFileError(path, [{ path: '$', message: `not valid JSON: ${err instanceof Error ? err.message : String(err)}` }]);
  }
  const r = z.record(z.string().regex(/^[A-Z][A-Z0-9_]*$/), z.string().min(1)).safeParse(raw);
  if (!r.success) throw new SiteFileError(path, r.error.issues.map((i) => ({ path: jsonPath(i.path), message: i.message })));
  return r.data;
}

export interface LoadedSite {
  path: string;
  site: SiteFile;
  secrets: SecretResolver;
  secretsPath: string;
}

/**
 * Loads and checks a site file and its secrets: every secret it names must be held by the console (`held`),
 * in the environment or in the secrets file, all missing ones listed at once. No secrets file and nothing in the environment is a clear
 * error that says where the file is expected. `requireAll: false` lets a missing secret pass (the console's
 * connection test of one connection needs only that connection's secrets).
 */
export function loadSiteFile(path: string, env: NodeJS.ProcessEnv = process.env, held: SecretResolver | null = null, requireAll = true): LoadedSite {
  const abs = resolve(path);
  let text: string;
  try {
    text = readFileSync(abs, 'utf8');
  } catch (err) {
    throw new SiteFileError(abs, [{ path: '$', message: (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(err) }]);
  }
  const site = parseSiteFile(text, abs);
  const secretsPath = secretsPathOf(abs, site);
  const fromFile = existsSync(secretsPath) ? readSecretsFile(secretsPath) : {};
  // The console's own store (OS keychain or its encrypted file) first, then the environment, then the file.
  const secrets: SecretResolver = (name) => held?.(name) ?? env[`LFC_SECRET_${name}`] ?? fromFile[name];
  if (!requireAll) return { path: abs, site, secrets, secretsPath };
  try {
    requireSecrets(site.connectors, secrets, abs);
  } catch (err) {
    if (!(err instanceof ConnectorConfigError)) throw err;
    const where = existsSync(secretsPath) ? `${secretsPath} has no such entry` : `there is no secrets file at ${secretsPath}`;
    throw new SiteFileError(abs, err.issues.map((i) => ({ path: i.path.replace(/^\$/, '$.connectors'), message: `${i.message}; ${where}` })));
  }
  const uplinkSecret = site.uplink?.passwordSecret;
  if (uplinkSecret !== undefined && secrets(uplinkSecret) === undefined) {
    const where = existsSync(secretsPath) ? `${secretsPath} has no such entry` : `there is no secrets file at ${secretsPath}`;
    throw new SiteFileError(abs, [{ path: '$.uplink.passwordSecret', message: `the secret ${uplinkSecret} is not set (LFC_SECRET_${uplinkSecret}); ${where}` }]);
  }
  return { path: abs, site, secrets, secretsPath };
}

/**
 * Where each secret of a site is sent: a REST endpoint's URL, an OPC UA server with its security mode and
 * policy; an intake token is checked here and sent nowhere. The console forgets a secret it keeps when its
 * destination changes (a changed URL must not carry the old token to a new server).
 */
export function secretDestinations(site: SiteFile): Map<string, string> {
  const c = site.connectors;
  const out = new Map<string, Set<string>>();
  const add = (name: string | undefined, dest: string) => {
    if (name === undefined) return;
    const set = out.get(name) ?? new Set<string>();
    set.add(dest);
    out.set(name, set);
  };
  for (const e of Object.values(c.endpoints)) add(e.tokenSecret, `rest ${e.baseUrl}`);
  for (const a of c.assets) {
    if (a.via !== 'opcua') continue;
    const dest = `opcua ${a.endpointUrl} ${site.opcua.securityMode}/${site.opcua.securityPolicy}`;
    add(a.userSecret, dest);
    add(a.passwordSecret, dest);
  }
  for (const t of c.triggerIntake.tokens) add(t.secret, 'intake');
  if (site.uplink) add(site.uplink.passwordSecret, `mqtt ${site.uplink.url}`);
  return new Map([...out].map(([k, v]) => [k, [...v].sort().join(' | ')]));
}

/** Every secret name a site file uses, in file order. */
export function secretNamesOf(site: SiteFile): string[] {
  const c = site.connectors;
  const names: string[] = [];
  for (const e of Object.values(c.endpoints)) if (e.tokenSecret) names.push(e.tokenSecret);
  for (const a of c.assets) if (a.via === 'opcua') names.push(...[a.userSecret, a.passwordSecret].filter((n): n is string => n !== undefined));
  for (const t of c.triggerIntake.tokens) names.push(t.secret);
  if (site.uplink?.passwordSecret) names.push(site.uplink.passwordSecret);
  return [...new Set(names)];
}

/** Writes a site file and, beside it, its secrets file with mode 0600. */
export function writeSiteFile(path: string, site: SiteFile, secrets: Record<string, string>): { sitePath: string; secretsPath: string } {
  const sitePath = resolve(path);
  parseSiteFile(JSON.stringify(site), sitePath); // never write a file we would refuse to read
  writeFileSync(sitePath, JSON.stringify(site, null, 2) + '\n');
  const secretsPath = secretsPathOf(sitePath, site);
  // Written beside, 0600 from its first byte, then renamed over: an existing file's wider mode never sees the secrets.
  writeFileAtomic(secretsPath, JSON.stringify(secrets, null, 2) + '\n', 0o600);
  return { sitePath, secretsPath };
}
