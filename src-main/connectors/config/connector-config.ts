/**
 * The connector configuration (`lfc-connectors/1`): one JSON file that says which connector serves which
 * asset — the simulator in-process, OPC UA, Modbus TCP with SunSpec, a REST vendor backend, or the grid operator's platform — with
 * URLs, timeouts, retries, TLS files and credentials *by name* (secrets never sit in this file; they are
 * resolved at start from the environment, `LFC_SECRET_<NAME>`, or a secrets file the operator keeps apart).
 *
 * Errors name the JSON path (`$.assets[2].endpoint`) and the reason, and every error is listed at once.
 *
 * ```jsonc
 * {
 *   "format": "lfc-connectors/1",
 *   "installation": "substation-4711",
 *   "endpoints": {
 *     "dso":     { "baseUrl": "https://dso.example/api", "tokenSecret": "DSO_TOKEN",
 *                  "tls": { "caFile": "pki/dso-ca.pem", "clientCertFile": "pki/ems.pem", "clientKeyFile": "pki/ems.key" } },
 *     "storage": { "baseUrl": "https://storage-cloud.example", "tokenSecret": "STORAGE_TOKEN", "timeoutMs": 3000 },
 *     "weather": { "baseUrl": "https://api.open-meteo.com" }
 *   },
 *   "breaker": { "via": "dsoPlatform", "endpoint": "dso", "meterId": "ss-4711-lv" },
 *   "assets": [
 *     { "asset": "bess", "via": "opcua", "endpointUrl": "opc.tcp://bess.local:4840", "userSecret": "BESS_OPCUA_USER" },
 *     // or, for a SunSpec battery/inverter: { "asset": "bess", "via": "modbus", "host": "10.0.7.20", "unitId": 1, "revertS": 30 },
 *     { "asset": "hs",   "via": "rest", "backend": "storage", "endpoint": "storage" },
 *     { "asset": "hp",   "via": "dsoPlatform", "endpoint": "dso", "unit": "%", "ratedKw": 3 }
 *   ],
 *   "weather": { "via": "openMeteo", "endpoint": "weather", "latitude": 45.0, "longitude": 8.0 },
 *   "triggerIntake": { "port": 8470, "tokens": [{ "name": "dso-control-room", "secret": "INTAKE_TOKEN" }] }
 * }
 * ```
 */
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';

export const CONNECTOR_CONFIG_FORMAT = 'lfc-connectors/1';

const secretName = z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'a secret is named, not given: UPPER_SNAKE_CASE, e.g. "DSO_TOKEN"');
const positiveInt = z.number().int().positive();

const RetrySchema = z.strictObject({
  maxAttempts: z.number().int().min(1).max(10),
  baseDelayMs: z.number().int().min(0).max(60_000),
  maxDelayMs: z.number().int().min(0).max(300_000),
});

const EndpointSchema = z.strictObject({
  baseUrl: z.url({ protocol: /^https?$/, error: 'must be an http:// or https:// URL' }),
  tokenSecret: secretName.optional(),
  tls: z
    .strictObject({
      caFile: z.string().min(1).optional(),
      clientCertFile: z.string().min(1).optional(),
      clientKeyFile: z.string().min(1).optional(),
    })
    .refine((t) => (t.clientCertFile === undefined) === (t.clientKeyFile === undefined), 'clientCertFile and clientKeyFile go together')
    .optional(),
  timeoutMs: positiveInt.max(120_000).default(5000),
  retry: RetrySchema.default({ maxAttempts: 3, baseDelayMs: 200, maxDelayMs: 2000 }),
});

const AssetBindingSchema = z.discriminatedUnion('via', [
  z.strictObject({ asset: z.string().min(1), via: z.literal('simulator') }),
  z.strictObject({
    asset: z.string().min(1),
    via: z.literal('opcua'),
    endpointUrl: z.string().regex(/^opc\.tcp:\/\/.+/, 'must be an opc.tcp:// URL'),
    userSecret: secretName.optional(),
    passwordSecret: secretName.optional(),
    pkiDir: z.string().min(1).optional(),
  }),
  z.strictObject({
    asset: z.string().min(1),
    via: z.literal('modbus'),
    /** Modbus TCP has no security: a host on a segment only the EMS reaches (see the README). */
    host: z.string().min(1),
    port: z.number().int().min(1).max(65535).default(502),
    unitId: z.number().int().min(1, 'a Modbus unit id is 1…247').max(247, 'a Modbus unit id is 1…247').default(1),
    /** The device's own reversion time (s): it falls back by itself this long after the EMS goes silent. */
    revertS: z.number().int().min(10, 'at least 10 s: the EMS re-arms it every 5 s').max(3600).default(30),
    pollMs: z.number().int().min(50).max(60_000).default(1000),
    timeoutMs: z.number().int().min(50).max(30_000).default(1000),
    control: z.enum(['auto', '704', '124']).default('auto'),
    batteryPowerSign: z.enum(['discharge-positive', 'charge-positive']).default('discharge-positive'),
  }),
  z.strictObject({ asset: z.string().min(1), via: z.literal('rest'), backend: z.enum(['storage', 'heatPump']), endpoint: z.string().min(1), longPollS: z.number().positive().max(300).default(30) }),
  z.strictObject({ asset: z.string().min(1), via: z.literal('dsoPlatform'), endpoint: z.string().min(1), unit: z.enum(['kW', '%']).default('kW'), ratedKw: z.number().positive().optional() }),
]);

export const ConnectorConfigSchema = z
  .strictObject({
    format: z.literal(CONNECTOR_CONFIG_FORMAT, { error: `format must be "${CONNECTOR_CONFIG_FORMAT}"` }),
    installation: z.string().min(1).max(100),
    endpoints: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9_-]*$/), EndpointSchema).default({}),
    breaker: z.discriminatedUnion('via', [
      z.strictObject({ via: z.literal('simulator') }),
      z.strictObject({ via: z.literal('dsoPlatform'), endpoint: z.string().min(1), meterId: z.string().min(1) }),
    ]),
    assets: z.array(AssetBindingSchema).min(1),
    weather: z.discriminatedUnion('via', [
      z.strictObject({ via: z.literal('simulator') }),
      z.strictObject({ via: z.literal('openMeteo'), endpoint: z.string().min(1), latitude: z.number().min(-90).max(90), longitude: z.number().min(-180).max(180) }),
    ]),
    triggerIntake: z.strictObject({
      host: z.string().default('127.0.0.1'),
      port: z.number().int().min(0).max(65535).default(0),
      tokens: z.array(z.strictObject({ name: z.string().min(1), secret: secretName })).min(1, 'the intake needs at least one token: it never runs open'),
      allowedRemotes: z.array(z.string().min(1)).default(['loopback']),
    }),
  })
  .superRefine((c, ctx) => {
    const known = new Set(Object.keys(c.endpoints));
    const needEndpoint = (name: string, path: Array<string | number>) => {
      if (!known.has(name)) ctx.addIssue({ code: 'custom', path, message: `no endpoint "${name}" in $.endpoints (known: ${[...known].join(', ') || 'none'})` });
    };
    if (c.breaker.via === 'dsoPlatform') needEndpoint(c.breaker.endpoint, ['breaker', 'endpoint']);
    if (c.weather.via === 'openMeteo') needEndpoint(c.weather.endpoint, ['weather', 'endpoint']);
    const seen = new Map<string, number>();
    c.assets.forEach((a, i) => {
      if ('endpoint' in a) needEndpoint(a.endpoint, ['assets', i, 'endpoint']);
      if (a.via === 'dsoPlatform' && a.unit === '%' && a.ratedKw === undefined) ctx.addIssue({ code: 'custom', path: ['assets', i, 'ratedKw'], message: '% setpoints need the rating (ratedKw)' });
      const prior = seen.get(a.asset);
      if (prior !== undefined) ctx.addIssue({ code: 'custom', path: ['assets', i, 'asset'], message: `asset "${a.asset}" is already bound by $.assets[${prior}]` });
      seen.set(a.asset, i);
    });
  });

export type ConnectorConfig = z.output<typeof ConnectorConfigSchema>;
export type EndpointConfig = z.output<typeof EndpointSchema>;
export type AssetBinding = z.output<typeof AssetBindingSchema>;

export interface ConfigIssue {
  path: string;
  message: string;
}

export class ConnectorConfigError extends Error {
  constructor(
    readonly file: string,
    readonly issues: ConfigIssue[],
  ) {
    super(`${file}: the connector configuration has ${issues.length} problem${issues.length === 1 ? '' : 's'}:\n${issues.map((i) => `  ${i.path}: ${i.message}`).join('\n')}`);
    this.name = 'ConnectorConfigError';
  }
}

export function jsonPath(path: ReadonlyArray<PropertyKey>): string {
  return '$' + path.map((p) => (typeof p === 'number' ? `[${p}]` : /^[A-Za-z_][A-Za-z0-9_]*$/.test(String(p)) ? `.${String(p)}` : `[${JSON.stringify(String(p))}]`)).join('');
}

export function parseConnectorConfig(text: string, file = 'connectors.json'): ConnectorConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new ConnectorConfigError(file, [{ path: '$', message: `not valid JSON: ${err instanceof Error ? err.message : String(err)}` }]);
  }
  const r = ConnectorConfigSchema.safeParse(raw);
  if (!r.success) throw new ConnectorConfigError(file, r.error.issues.map((i) => ({ path: jsonPath(i.path), message: i.message })));
  return r.data;
}

/** Resolves a named secret; undefined when it is not set. */
export type SecretResolver = (name: string) => string | undefined;

export const envSecrets: SecretResolver = (name) => process.env[`LFC_SECRET_${name}`];

/** Checks that every secret the configuration names is available, listing all that are missing. */
export function requireSecrets(config: ConnectorConfig, secrets: SecretResolver, file = 'connectors.json'): void {
  const issues: ConfigIssue[] = [];
  const need = (name: string | undefined, path: string) => {
    if (name !== undefined && !secrets(name)) issues.push({ path, message: `secret "${name}" is not set (LFC_SECRET_${name} in the environment, or the secrets file)` });
  };
  for (const [k, e] of Object.entries(config.endpoints)) need(e.tokenSecret, `$.endpoints.${k}.tokenSecret`);
  config.assets.forEach((a, i) => {
    if (a.via === 'opcua') {
      need(a.userSecret, `$.assets[${i}].userSecret`);
      need(a.passwordSecret, `$.assets[${i}].passwordSecret`);
    }
  });
  config.triggerIntake.tokens.forEach((t, i) => need(t.secret, `$.triggerIntake.tokens[${i}].secret`));
  if (issues.length > 0) throw new ConnectorConfigError(file, issues);
}

/** TLS material read from the files an endpoint names (paths relative to the configuration file). */
export interface LoadedTls {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

export async function loadConnectorConfigFile(path: string): Promise<{ config: ConnectorConfig; tls: Record<string, LoadedTls> }> {
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new ConnectorConfigError(path, [{ path: '$', message: err.code === 'ENOENT' ? 'no such file' : err.message }]);
  });
  const config = parseConnectorConfig(text, path);
  const dir = dirname(path);
  const tls: Record<string, LoadedTls> = {};
  const issues: ConfigIssue[] = [];
  for (const [name, e] of Object.entries(config.endpoints)) {
    if (!e.tls) continue;
    const out: LoadedTls = {};
    for (const [field, prop] of [['caFile', 'ca'], ['clientCertFile', 'cert'], ['clientKeyFile', 'key']] as const) {
      const f = e.tls[field];
      if (f === undefined) continue;
      try {
        out[prop] = await readFile(resolve(dir, f));
      } catch (err) {
        issues.push({ path: `$.endpoints.${name}.tls.${field}`, message: `cannot read ${JSON.stringify(f)}: ${(err as NodeJS.ErrnoException).code ?? String(err)}` });
      }
    }
    tls[name] = out;
  }
  if (issues.length > 0) throw new ConnectorConfigError(path, issues);
  return { config, tls };
}
