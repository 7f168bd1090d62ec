import { defineStore } from 'pinia';
import { ref } from 'vue';

import type { AssetRow } from '../api';

export type AssetSortKey = 'id' | 'kind' | 'powerKw' | 'setpointKw' | 'state' | 'lastReportMs' | 'link';

export interface AssetView {
  text: string;
  kind: AssetRow['kind'] | 'all';
  sortKey: AssetSortKey;
  descending: boolean;
}

const stateOf = (a: AssetRow): number | null => a.socPct ?? a.indoorC;

/** Filters by kind and by text (id, kind or link contain it) and sorts; unknown values sort last either way. */
export function sortAndFilterAssets(rows: readonly AssetRow[], view: AssetView): AssetRow[] {
  const text = view.text.trim().toLowerCase();
  const kept = rows.filter((a) => (view.kind === 'all' || a.kind === view.kind) && (text === '' || `${a.id} ${a.kind} ${a.link}`.toLowerCase().includes(text)));
  const value = (a: AssetRow): string | number | null => {
    switch (view.sortKey) {
      case 'state':
        return stateOf(a);
      case 'id':
      case 'kind':
      case 'link':
        return a[view.sortKey];
      default:
        return a[view.sortKey];
    }
  };
  const dir = view.descending ? -1 : 1;
  return kept.sort((x, y) => {
    const a = value(x);
    const b = value(y);
    if (a === null && b === null) return x.id.localeCompare(y.id);
    if (a === null) return 1;
    if (b === null) return -1;
    const c = typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b), undefined, { numeric: true });
    return c !== 0 ? c * dir : x.id.localeCompare(y.id);
  });
}

/** The Assets view's table settings. */
export const useAssetsStore = defineStore('assets', () => {
  const view = ref<AssetView>({ text: '', kind: 'all', sortKey: 'id', descending: false });
  function sortBy(key: AssetSortKey): void {
    if (view.value.sortKey === key) view.value.descending = !view.value.descending;
    else view.value = { ...view.value, sortKey: key, descending: false };
  }
  return { view, sortBy };
});
