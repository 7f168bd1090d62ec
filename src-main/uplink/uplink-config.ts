/**
 * The site file's `uplink` section (optional) and how it becomes the publisher's link configuration:
 *
 * ```json
 * "uplink": {
 *   "url": "mqtts://fleet.example.org:8883",
 *   "siteId": "lab-community-3",
 *   "username": "site-3",
 *   "passwordSecret": "UPLINK_PASSWORD",
 *   "tls": { "caFile": "fleet-ca.pem", "certFile": "site-3.crt.pem", "keyFile": "site-3.key.pem" },
 *   "maxPointsPerS": 30000,
 *   "retentionDays": 31
 * }
 * ```
 *
 * The password is a secret like the connectors' (named, from `LFC_SECRET_<NAME>` or the secrets file); TLS
 * files are relative to the site file. `npm run ems -- --uplink URL` overrides the URL (and turns the uplink
 * on for a site file without the section).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import type { SecretResolver } from '../connectors/config/connector-config';
import { SITE_ID_PATTERN, siteIdFromName } from './codec';
import type { UplinkLinkConfig } from './publisher';

const secretName = z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'a secret name: upper case letters, digits and _');

export const UplinkUrlSchema = z.string().regex(/^mqtts?:\/\/[^/\s]+(:\d+)?\/?$/, 'an MQTT URL: mqtt://host[:port] or mqtts://host[:port] (TLS)');

export const UplinkSectionSchema = z.strictObject({
  url: UplinkUrlSchema,
  /** The site's id in the topics (`lfc/<siteId>/…`); default: the site's name, lower case, `-` for anything else. */
  siteId: z.string().regex(SITE_ID_PATTERN, '1–64 of A–Z a–z 0–9 _ -').optional(),
  username: z.string().min(1).max(200).optional(),
  passwordSecret: secretName.optional(),
  tls: z
    .strictObject({
      caFile: z.string().min(1).optional(),
      certFile: z.string().min(1).optional(),
      keyFile: z.string().min(1).optional(),
      rejectUnauthorized: z.boolean().default(true),
    })
    .optional(),
  /** Backlog rate limit after an outage, points per second. */
  maxPointsPerS: z.number().int().min(100).max(1_000_000).default(30_000),
  /** How long acknowledged points stay in the local outbox, days. */
  retentionDays: z.number().int().min(1).max(3650).default(31),
});
export type UplinkSection = z.output<typeof UplinkSectionSchema>;

/** Says which field of the uplink is wrong and why. */
export class UplinkConfigError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'UplinkConfigError';
  }
}

export interface ResolvedUplink {
  link: UplinkLinkConfig;
  retentionDays: number;
}

/**
 * The link of a site: its `uplink` section with `overrideUrl` (from `--uplink`) applied, secrets and TLS
 * files read. Null when there is neither.
 */
export function resolveUplink(site: { name: string; uplink?: UplinkSection | undefined }, sitePath: string, secrets: SecretResolver, overrideUrl?: string): ResolvedUplink | null {
  const section = site.uplink;
  if (!section && overrideUrl === undefined) return null;
  const url = overrideUrl ?? section!.url;
  const checked = UplinkUrlSchema.safeParse(url);
  if (!checked.success) throw new UplinkConfigError(overrideUrl !== undefined ? '--uplink' : '$.uplink.url', `expected ${checked.error.issues[0]!.message}, got ${JSON.stringify(url)}`);
  const link: UplinkLinkConfig = { url, siteId: section?.siteId ?? siteIdFromName(site.name), maxPointsPerS: section?.maxPointsPerS ?? 30_000 };
  if (section?.username !== undefined) link.username = section.username;
  if (section?.passwordSecret !== undefined) {
    const pw = secrets(section.passwordSecret);
    if (pw === undefined) throw new UplinkConfigError('$.uplink.passwordSecret', `the secret ${section.passwordSecret} is not set (LFC_SECRET_${section.passwordSecret} or the secrets file)`);
    link.password = pw;
  }
  const tls = section?.tls;
  if (tls) {
    const read = (field: 'caFile' | 'certFile' | 'keyFile'): string | undefined => {
      const f = tls[field];
      if (f === undefined) return undefined;
      const abs = resolve(sitePath, '..', f);
      try {
        return readFileSync(abs, 'utf8');
      } catch (err) {
        throw new UplinkConfigError(`$.uplink.tls.${field}`, `cannot read ${abs}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
      }
    };
    const ca = read('caFile');
    const cert = read('certFile');
    const key = read('keyFile');
    link.tls = { ...(ca ? { ca } : {}), ...(cert ? { cert } : {}), ...(key ? { key } : {}), rejectUnauthorized: tls.rejectUnauthorized };
  }
  return { link, retentionDays: section?.retentionDays ?? 31 };
}
