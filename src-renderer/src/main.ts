import './styles.css';

import { createPinia } from 'pinia';
import { createApp } from 'vue';

import App from './App.vue';
import { createConsoleI18n } from './i18n';
import { useSettingsStore } from './stores/settings';

const pinia = createPinia();
const app = createApp(App).use(pinia);
app.use(createConsoleI18n(useSettingsStore(pinia).language));
app.mount('#app');
