import { defineStore } from 'pinia';
import { ref } from 'vue';

import { getAppInfo, listBundledScenarios } from '../api';
import type { AppInfo, BundledScenario, IpcError } from '../api';

/** Who we are and what ships with us: app identity and the bundled scenarios. */
export const useAppInfoStore = defineStore('appInfo', () => {
  const info = ref<AppInfo | null>(null);
  const scenarios = ref<BundledScenario[]>([]);
  const loading = ref(false);
  /** The first failure of the last load, if any; the parts that did load stay visible. */
  const error = ref<IpcError | null>(null);

  async function load(): Promise<void> {
    loading.value = true;
    error.value = null;
    try {
      // Independent calls: ask both at once.
      const [infoResult, scenariosResult] = await Promise.all([getAppInfo(), listBundledScenarios()]);
      if (infoResult.ok) info.value = infoResult.value;
      else error.value = infoResult.error;
      if (scenariosResult.ok) scenarios.value = scenariosResult.value;
      else error.value ??= scenariosResult.error;
    } finally {
      loading.value = false;
    }
  }

  return { info, scenarios, loading, error, load };
});
