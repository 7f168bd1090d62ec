import './styles.css';

import { createPinia } from 'pinia';
import { createApp } from 'vue';

import App from './App.vue';
import { adoptServeSession, needsServeLogin } from './api';
import { createConsoleI18n } from './i18n';
import { useSettingsStore } from './stores/settings';

// Serve mode's login secret arrives in the URL fragment; take it before the navigation reads the hash.
adoptServeSession();

if (needsServeLogin()) {
  // A browser tab without a session secret (a new tab, or a bookmark) cannot reach the controller:
  // say so instead of showing a console whose every call would fail.
  const mount = document.getElementById('app')!;
  const notice = document.createElement('p');
  notice.setAttribute('role', 'alert');
  notice.setAttribute('data-testid', 'login-needed');
  notice.className = 'bad';
  notice.textContent = 'This browser tab is not signed in to the Local Flex Controller: open the login URL that `npm run serve` printed (each new tab needs it once; a reload keeps the tab signed in).';
  mount.replaceChildren(notice);
} else {
  const pinia = createPinia();
  const app = createApp(App).use(pinia);
  app.use(createConsoleI18n(useSettingsStore(pinia).language));
  app.mount('#app');
}
