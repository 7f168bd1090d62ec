/**
 * The operator's settings: one zod schema is the single source of truth for their shape, defaults and
 * validation, whichever store keeps them (electron-store in the desktop app, a JSON file in serve mode).
 * Secrets (passwords, keys) are never part of it: they live in a `SecretStore` and are referenced by name.
 */
import { z } from 'zod';

/** Ids are used in file names, series ids and logs: keep them plain. */
const idSchema = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,63}$/i, 'letters, digits, ".", "_" or "-", at most 64, starting with a letter or digit');

export const OPCUA_SECURITY_MODES = ['None', 'Sign', 'SignAndEncrypt'] as const;

export const connectionSchema = z.object({
  id: idSchema,
  /** What is behind the URL: the breaker meter, the BESS, a vendor backend, the operator's trigger channel. */
  role: z.enum(['breakerMeter', 'bess', 'assetBackend', 'trigger', 'weather']),
  url: z.url(),
  /** OPC UA only; `None` is for lab loopback, a field connection should sign and encrypt. */
  securityMode: z.enum(OPCUA_SECURITY_MODES).default('SignAndEncrypt'),
  username: z.string().nullable().default(null),
  /** Name of the password in the SecretStore, or null for anonymous access. */
  passwordSecret: z.string().min(1).nullable().default(null),
  enabled: z.boolean().default(true),
});

export const settingsSchema = z.object({
  /** Where the history file and exports go (absolute path). */
  dataDir: z.string().min(1),
  language: z.enum(['en', 'de']),
  theme: z.enum(['system', 'light', 'dark']),
  connections: z.array(connectionSchema).superRefine((connections, ctx) => {
    const seen = new Set<string>();
    connections.forEach((c, i) => {
      if (seen.has(c.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `connection id "${c.id}" is used twice` });
      seen.add(c.id);
    });
  }),
  /** How long the history store keeps data, in days (HistoryStore.setRetention). */
  retention: z.object({
    measurementsDays: z.number().int().min(1).max(3650),
    eventsDays: z.number().int().min(1).max(3650),
  }),
});

export type Settings = z.infer<typeof settingsSchema>;
export type ConnectionSettings = z.infer<typeof connectionSchema>;
export type SettingsKey = keyof Settings;
export const SETTINGS_KEYS = Object.keys(settingsSchema.shape) as SettingsKey[];

/** Defaults for a fresh installation; `dataDir` is the platform's per-user app data folder. */
export function defaultSettings(opts: { dataDir: string; language?: Settings['language'] }): Settings {
  return {
    dataDir: opts.dataDir,
    language: opts.language ?? 'en',
    theme: 'system',
    connections: [],
    retention: { measurementsDays: 31, eventsDays: 366 },
  };
}

export interface SalvagedSettings {
  settings: Settings;
  /** One line per key that was invalid and fell back to its default; empty when the input was sound. */
  problems: string[];
}

/**
 * Validates what a settings file held, key by key: a valid key is kept, a missing one takes its default
 * (a newer app adds keys), an invalid one falls back to its default and is named in `problems`, so one bad
 * value never costs the operator the rest. Unknown keys are dropped.
 */
export function salvageSettings(raw: unknown, defaults: Settings): SalvagedSettings {
  const problems: string[] = [];
  const input = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  if (input !== raw) problems.push(`the file does not hold an object (${raw === null ? 'null' : Array.isArray(raw) ? 'an array' : typeof raw}); all defaults used`);
  const settings = { ...defaults } as Record<SettingsKey, unknown>;
  for (const key of SETTINGS_KEYS) {
    if (!(key in input)) continue;
    const parsed = settingsSchema.shape[key].safeParse(input[key]);
    if (parsed.success) settings[key] = parsed.data;
    else problems.push(`${key}: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')} (default used)`);
  }
  return { settings: settings as Settings, problems };
}
