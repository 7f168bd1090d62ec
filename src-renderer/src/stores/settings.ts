import { defineStore } from 'pinia';
import { computed, ref } from 'vue';

import { call } from '../api';
import type { ConnectionTestResult, CoreSettings, IpcError, Preferences } from '../api';

/** The theme actually drawn. */
export type Theme = 'light' | 'dark';
/** The theme the operator chose: `system` follows the operating system's light/dark setting. */
export type ThemeChoice = 'system' | 'light' | 'dark';
export type Language = 'en' | 'de';

const STORAGE_KEY = 'lfc.console.preferences';

/** Reads stored preferences; anything missing or malformed falls back to the default, field by field. */
export function parsePreferences(text: string | null, fallback: Preferences): Preferences {
  try {
    const raw = JSON.parse(text ?? '{}') as Partial<Record<keyof Preferences, unknown>>;
    return {
      language: raw.language === 'de' || raw.language === 'en' ? raw.language : fallback.language,
      theme: raw.theme === 'dark' || raw.theme === 'light' || raw.theme === 'system' ? raw.theme : fallback.theme,
    };
  } catch {
    return fallback;
  }
}

/** The theme to draw for a choice, given whether the system prefers dark. */
export function resolveTheme(choice: ThemeChoice, systemPrefersDark: boolean): Theme {
  return choice === 'system' ? (systemPrefersDark ? 'dark' : 'light') : choice;
}

function storage(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage;
  } catch {
    return null;
  }
}

function prefersDarkQuery(): MediaQueryList | null {
  return typeof window !== 'undefined' && typeof window.matchMedia === 'function' ? window.matchMedia('(prefers-color-scheme: dark)') : null;
}

/**
 * Language and theme, plus the core's settings and connection tests. Where the host keeps preferences
 * (the desktop app's and serve mode's settings file), they are read from and written to it, so every
 * window and every start shows the same; this browser's copy (localStorage) covers the first paint and
 * hosts that keep none.
 */
export const useSettingsStore = defineStore('settings', () => {
  const initialLanguage: Language = typeof navigator !== 'undefined' && navigator.language.startsWith('de') ? 'de' : 'en';
  const prefs = parsePreferences(storage()?.getItem(STORAGE_KEY) ?? null, { language: initialLanguage, theme: 'light' });
  const language = ref<Language>(prefs.language);
  const themeChoice = ref<ThemeChoice>(prefs.theme);
  const systemDark = ref(prefersDarkQuery()?.matches ?? false);
  prefersDarkQuery()?.addEventListener('change', (e) => (systemDark.value = e.matches));
  /** The theme drawn (the choice, with `system` resolved). */
  const theme = computed<Theme>(() => resolveTheme(themeChoice.value, systemDark.value));
  const core = ref<CoreSettings | null>(null);
  const error = ref<IpcError | null>(null);
  const tests = ref<Record<string, ConnectionTestResult>>({});
  /** Whether the host keeps the preferences (known after `load`). */
  const hostKeepsPreferences = ref(false);

  function saveLocal(): void {
    storage()?.setItem(STORAGE_KEY, JSON.stringify({ language: language.value, theme: themeChoice.value }));
  }
  async function saveToHost(patch: Partial<Preferences>): Promise<void> {
    if (!hostKeepsPreferences.value) return;
    const r = await call('settings:setPreferences', patch);
    if (!r.ok) error.value = r.error;
  }
  function setLanguage(l: Language): void {
    language.value = l;
    saveLocal();
    void saveToHost({ language: l });
  }
  function setTheme(t: ThemeChoice): void {
    themeChoice.value = t;
    saveLocal();
    void saveToHost({ theme: t });
  }
  async function load(): Promise<void> {
    const r = await call('settings:get');
    if (!r.ok) {
      error.value = r.error;
      return;
    }
    core.value = r.value;
    const p = r.value.preferences;
    hostKeepsPreferences.value = p !== null;
    if (p) {
      language.value = p.language;
      themeChoice.value = p.theme;
      saveLocal();
    }
  }
  async function test(connectionId: string): Promise<void> {
    const r = await call('connections:test', connectionId);
    tests.value = { ...tests.value, [connectionId]: r.ok ? r.value : { id: connectionId, ok: false, message: r.error.message, steps: [], latencyMs: null, opcua: null } };
  }
  return { language, theme, themeChoice, core, error, tests, hostKeepsPreferences, setLanguage, setTheme, load, test };
});
