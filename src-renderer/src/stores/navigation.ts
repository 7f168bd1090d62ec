import { defineStore } from 'pinia';
import { ref } from 'vue';

import { CONSOLE_VIEWS } from '../../../src-main/shared/ipc-contract';
import type { ConsoleView } from '../../../src-main/shared/ipc-contract';

/** The views in Alt+N order; the same list drives the desktop menu (shared/ipc-contract.ts). */
export const VIEWS = CONSOLE_VIEWS;
/**
 * Views reached from the navigation only (no Alt+N, no desktop menu item), shown when the host offers them:
 * `fleet`, the central history of serve mode with `--fleet-postgres`.
 */
export const EXTRA_VIEWS = ['fleet'] as const;
export type ViewName = ConsoleView | (typeof EXTRA_VIEWS)[number];

/** `#/trends` → 'trends'; anything unknown → 'now'. */
export function viewFromHash(hash: string): ViewName {
  const name = hash.replace(/^#\/?/, '').split(/[/?]/)[0] ?? '';
  return (VIEWS as readonly string[]).includes(name) || (EXTRA_VIEWS as readonly string[]).includes(name) ? (name as ViewName) : 'now';
}

/** Which view is shown; mirrored in the URL hash so a reload or a bookmark keeps it. */
export const useNavigationStore = defineStore('navigation', () => {
  const current = ref<ViewName>(typeof window === 'undefined' ? 'now' : viewFromHash(window.location.hash));
  function go(view: ViewName): void {
    current.value = view;
    if (typeof window !== 'undefined' && viewFromHash(window.location.hash) !== view) window.location.hash = `#/${view}`;
  }
  function syncFromHash(): void {
    if (typeof window !== 'undefined') current.value = viewFromHash(window.location.hash);
  }
  return { current, go, syncFromHash };
});
