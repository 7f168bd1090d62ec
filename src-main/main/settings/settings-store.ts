/**
 * `SettingsStore`: typed get/set/onChange over the zod-validated settings, plus the logic both
 * implementations share (validation, change notification). Each implementation only says how to read
 * and write the whole document.
 */
import { z } from 'zod';

import { salvageSettings, settingsSchema } from './settings-schema';
import type { Settings, SettingsKey } from './settings-schema';

export type SettingsChangeListener = (next: Settings, previous: Settings, changedKeys: SettingsKey[]) => void;

export interface SettingsStore {
  /** A copy of all settings. */
  getAll(): Settings;
  get<K extends SettingsKey>(key: K): Settings[K];
  /** Validates, writes at once, then notifies. Throws (and changes nothing) when the value is invalid. */
  set<K extends SettingsKey>(key: K, value: Settings[K]): void;
  /** Several keys in one validated write and one notification. */
  update(patch: Partial<Settings>): void;
  /** Called after every change made through this store; returns the unsubscribe function. */
  onChange(listener: SettingsChangeListener): () => void;
  /** What was wrong with the stored settings when they were loaded (empty when nothing was). */
  readonly loadProblems: readonly string[];
}

/**
 * Where `SafeStorageSecretStore` keeps its ciphertexts: a section of the settings file that is not part of
 * `Settings`, so it never travels to the renderer with them.
 */
export interface EncryptedSecretsSection {
  readEncryptedSecrets(): Record<string, string>;
  writeEncryptedSecrets(secrets: Record<string, string>): void;
}

/** The key under which the encrypted secrets sit in the settings document. */
export const ENCRYPTED_SECRETS_KEY = 'encryptedSecrets';

/** How an implementation reads and writes the whole settings document (settings keys + the secrets section). */
export interface SettingsDocumentIo {
  read(): Record<string, unknown>;
  write(document: Record<string, unknown>): void;
}

export class ValidatedSettingsStore implements SettingsStore, EncryptedSecretsSection {
  private current: Settings;
  private readonly listeners = new Set<SettingsChangeListener>();
  readonly loadProblems: readonly string[];

  constructor(
    private readonly io: SettingsDocumentIo,
    defaults: Settings,
    /** Names the file in error messages. */
    private readonly where: string,
    /** Problems the implementation met before validation (e.g. a file that was not JSON and was set aside). */
    earlierProblems: readonly string[] = [],
  ) {
    const document = io.read();
    const { settings, problems } = salvageSettings(stripSecrets(document), defaults);
    this.current = settings;
    this.loadProblems = [...earlierProblems, ...problems];
    // Write back what is now in force, so the file is whole and valid again (invalid input was kept aside by the caller).
    if (this.loadProblems.length > 0 || Object.keys(document).length === 0) this.persist(settings);
  }

  getAll(): Settings {
    return structuredClone(this.current);
  }

  get<K extends SettingsKey>(key: K): Settings[K] {
    return structuredClone(this.current[key]);
  }

  set<K extends SettingsKey>(key: K, value: Settings[K]): void {
    this.update({ [key]: value } as Partial<Settings>);
  }

  update(patch: Partial<Settings>): void {
    const candidate = { ...this.current, ...patch };
    const parsed = settingsSchema.safeParse(candidate);
    if (!parsed.success) throw new Error(`settings (${this.where}) not changed: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}`);
    const previous = this.current;
    const next = parsed.data;
    const changedKeys = (Object.keys(patch) as SettingsKey[]).filter((key) => JSON.stringify(previous[key]) !== JSON.stringify(next[key]));
    if (changedKeys.length === 0) return;
    this.persist(next);
    this.current = next;
    for (const listener of this.listeners) {
      try {
        listener(structuredClone(next), structuredClone(previous), changedKeys);
      } catch (error) {
        // One broken listener must not stop the others from hearing about the change.
        console.error('[settings] change listener failed:', error);
      }
    }
  }

  onChange(listener: SettingsChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  readEncryptedSecrets(): Record<string, string> {
    const section = this.io.read()[ENCRYPTED_SECRETS_KEY];
    if (section === undefined) return {};
    const parsed = z.record(z.string(), z.string()).safeParse(section);
    if (!parsed.success) throw new Error(`settings (${this.where}): "${ENCRYPTED_SECRETS_KEY}" is malformed: ${z.prettifyError(parsed.error)}`);
    return parsed.data;
  }

  writeEncryptedSecrets(secrets: Record<string, string>): void {
    this.io.write({ ...this.current, [ENCRYPTED_SECRETS_KEY]: secrets });
  }

  private persist(settings: Settings): void {
    const secrets = this.io.read()[ENCRYPTED_SECRETS_KEY];
    this.io.write(secrets === undefined ? { ...settings } : { ...settings, [ENCRYPTED_SECRETS_KEY]: secrets });
  }
}

function stripSecrets(document: Record<string, unknown>): Record<string, unknown> {
  const { [ENCRYPTED_SECRETS_KEY]: _secrets, ...rest } = document;
  return rest;
}
