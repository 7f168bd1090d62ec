import { defineStore } from 'pinia';
import { ref } from 'vue';

import { call } from '../api';
import type { IpcError, SeriesData, SeriesInfo, StoredEventDto } from '../api';

export const RANGES = [
  { key: 'min10', ms: 10 * 60_000 },
  { key: 'h1', ms: 3_600_000 },
  { key: 'h6', ms: 6 * 3_600_000 },
  { key: 'h24', ms: 24 * 3_600_000 },
  { key: 'd7', ms: 7 * 24 * 3_600_000 },
] as const;

export const DEFAULT_SERIES = ['breaker.measuredKw', 'breaker.targetKw'];

/** Event types drawn as markers: triggers (▲) and faults (◆). */
export const MARKER_TYPES = {
  trigger: ['trigger-received', 'run-started', 'run-ended'],
  fault: ['fault-injected', 'breaker-stale', 'breaker-invalid', 'breaker-stuck', 'asset-lost', 'setpoint-rejected', 'flex-exhausted', 'safe-state', 'forecast-missing'],
};

/** The window shown: ending at the live time when following, else where the operator left it. */
export function windowFor(rangeMs: number, follow: boolean, liveNowMs: number, pinnedEndMs: number | null): { fromMs: number; toMs: number } {
  const toMs = follow || pinnedEndMs === null ? liveNowMs : pinnedEndMs;
  return { fromMs: toMs - rangeMs, toMs };
}

/** The Trends view: any stored series over 10 min … 7 days, decimated by the core to ~1 point per pixel. */
export const useTrendsStore = defineStore('trends', () => {
  const available = ref<SeriesInfo[]>([]);
  const selected = ref<string[]>([...DEFAULT_SERIES]);
  const rangeMs = ref<number>(RANGES[1].ms);
  const follow = ref(true);
  const pinnedEndMs = ref<number | null>(null);
  const data = ref<SeriesData[]>([]);
  const markers = ref<StoredEventDto[]>([]);
  const error = ref<IpcError | null>(null);
  const windowMs = ref<{ fromMs: number; toMs: number } | null>(null);

  async function loadSeriesList(): Promise<void> {
    const r = await call('history:listSeries');
    if (r.ok) available.value = r.value;
    else error.value = r.error;
  }

  async function load(liveNowMs: number, maxBuckets = 800): Promise<void> {
    const w = windowFor(rangeMs.value, follow.value, liveNowMs, pinnedEndMs.value);
    windowMs.value = w;
    const results = await Promise.all(selected.value.map((seriesId) => call('history:querySeries', { seriesId, fromMs: w.fromMs, toMs: w.toMs, maxBuckets })));
    const ok: SeriesData[] = [];
    for (const r of results) {
      if (r.ok) ok.push(r.value);
      else error.value = r.error;
    }
    data.value = ok;
    const ev = await call('history:events', { fromMs: w.fromMs, toMs: w.toMs, types: [...MARKER_TYPES.trigger, ...MARKER_TYPES.fault] });
    if (ev.ok) markers.value = ev.value;
  }

  function toggle(seriesId: string): void {
    selected.value = selected.value.includes(seriesId) ? selected.value.filter((s) => s !== seriesId) : [...selected.value, seriesId];
  }

  return { available, selected, rangeMs, follow, pinnedEndMs, data, markers, error, windowMs, loadSeriesList, load, toggle };
});
