import { defineStore } from 'pinia';
import { ref } from 'vue';

import { call } from '../api';
import type { ConnectionTestResult, CoreSettings, IpcError } from '../api';

export type Theme = 'light' | 'dark';
export type Language = 'en' | 'de';

const STORAGE_KEY = 'lfc.console.preferences';

export interface Preferences {
  language: Language;
  theme: Theme;
}

/** Reads stored preferences; anything missing or malformed falls back to the default, field by field. */
export function parsePreferences(text: string | null, fallback: Preferences): Preferences {
  try {
    const raw = JSON.parse(text ?? '{}') as Partial<Record<keyof Preferences, unknown>>;
    return {
      language: raw.language === 'de' || raw.language === 'en' ? raw.language : fallback.language,
      theme: raw.theme === 'dark' || raw.theme === 'light' ? raw.theme : fallback.theme,
    };
  } catch {
    return fallback;
  }
}

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

/** Language and theme (kept in this browser / window), plus the core's settings and connection tests. */
export const useSettingsStore = defineStore('settings', () => {
  const initialLanguage: Language = typeof navigator !== 'undefined' && navigator.language.startsWith('de') ? 'de' : 'en';
  const prefs = parsePreferences(storage()?.getItem(STORAGE_KEY) ?? null, { language: initialLanguage, theme: 'light' });
  const language = ref<Language>(prefs.language);
  const theme = ref<Theme>(prefs.theme);
  const core = ref<CoreSettings | null>(null);
  const error = ref<IpcError | null>(null);
  const tests = ref<Record<string, ConnectionTestResult>>({});

  function save(): void {
    storage()?.setItem(STORAGE_KEY, JSON.stringify({ language: language.value, theme: theme.value }));
  }
  function setLanguage(l: Language): void {
    language.value = l;
    save();
  }
  function setTheme(t: Theme): void {
    theme.value = t;
    save();
  }
  async function load(): Promise<void> {
    const r = await call('settings:get');
    if (r.ok) core.value = r.value;
    else error.value = r.error;
  }
  async function test(connectionId: string): Promise<void> {
    const r = await call('connections:test', connectionId);
    tests.value = { ...tests.value, [connectionId]: r.ok ? r.value : { id: connectionId, ok: false, message: r.error.message } };
  }
  return { language, theme, core, error, tests, setLanguage, setTheme, load, test };
});
