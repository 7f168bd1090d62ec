import { createI18n } from 'vue-i18n';

import { de, en } from './messages';

/** English and German; the choice is kept by the settings store (localStorage) and applied at start. */
export function createConsoleI18n(locale: 'en' | 'de' = 'en') {
  return createI18n({ legacy: false, locale, fallbackLocale: 'en', messages: { en, de } });
}
