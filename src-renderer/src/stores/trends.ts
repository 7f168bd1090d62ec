import { defineStore } from 'pinia';
import { computed, ref } from 'vue';

import { call } from '../api';
import type { ForecastData, IpcError, SeriesData, SeriesInfo, StoredEventDto } from '../api';

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

/**
 * Which forecast series to draw: every selected forecast series, and with the overlay on, the forecast of
 * every selected measured series that has one stored.
 */
export function forecastsToDraw(available: readonly SeriesInfo[], selected: readonly string[], overlay: boolean): string[] {
  const byId = new Map(available.map((s) => [s.seriesId, s]));
  const out = new Set<string>();
  for (const id of selected) {
    const info = byId.get(id);
    if (info?.kind === 'forecast') out.add(id);
    else if (overlay && info?.forecastSeriesId) out.add(info.forecastSeriesId);
  }
  return [...out];
}

/**
 * A forecast as chart points holding each slot's value over the slot (step after each point), closed at
 * the last slot's end; null values break the line.
 */
export function forecastPoints(f: ForecastData): Array<{ x: number; y: number | null }> {
  const pts = f.timeMs.map((x, i) => ({ x, y: f.value[i] ?? null }));
  const last = pts[pts.length - 1];
  if (last) pts.push({ x: last.x + f.stepMs, y: last.y });
  return pts;
}

/** The Trends view: any stored series over 10 min … 7 days, decimated by the core to ~1 point per pixel. */
export const useTrendsStore = defineStore('trends', () => {
  const available = ref<SeriesInfo[]>([]);
  const selected = ref<string[]>([...DEFAULT_SERIES]);
  const rangeMs = ref<number>(RANGES[1].ms);
  const follow = ref(true);
  const pinnedEndMs = ref<number | null>(null);
  const data = ref<SeriesData[]>([]);
  const forecasts = ref<ForecastData[]>([]);
  /** Overlay each selected measured series with the forecast that predicted it, where one is stored. */
  const overlay = ref(true);
  const markers = ref<StoredEventDto[]>([]);
  const error = ref<IpcError | null>(null);
  const windowMs = ref<{ fromMs: number; toMs: number } | null>(null);
  /** Selected measured series that have a forecast stored (to say honestly when none is). */
  const overlayable = computed(() => available.value.filter((s) => selected.value.includes(s.seriesId) && s.forecastSeriesId !== null).map((s) => s.seriesId));

  async function loadSeriesList(): Promise<void> {
    const r = await call('history:listSeries');
    if (r.ok) available.value = r.value;
    else error.value = r.error;
  }

  async function load(liveNowMs: number, maxBuckets = 800): Promise<void> {
    const w = windowFor(rangeMs.value, follow.value, liveNowMs, pinnedEndMs.value);
    windowMs.value = w;
    const kinds = new Map(available.value.map((s) => [s.seriesId, s.kind]));
    const measured = selected.value.filter((id) => kinds.get(id) !== 'forecast');
    const wanted = forecastsToDraw(available.value, selected.value, overlay.value);
    const [results, forecastResults, ev] = await Promise.all([
      Promise.all(measured.map((seriesId) => call('history:querySeries', { seriesId, fromMs: w.fromMs, toMs: w.toMs, maxBuckets }))),
      Promise.all(wanted.map((seriesId) => call('history:queryForecast', { seriesId, fromMs: w.fromMs, toMs: w.toMs }))),
      call('history:events', { fromMs: w.fromMs, toMs: w.toMs, types: [...MARKER_TYPES.trigger, ...MARKER_TYPES.fault] }),
    ]);
    const ok: SeriesData[] = [];
    for (const r of results) {
      if (r.ok) ok.push(r.value);
      else error.value = r.error;
    }
    data.value = ok;
    const fc: ForecastData[] = [];
    for (const r of forecastResults) {
      if (r.ok && r.value.timeMs.length > 0) fc.push(r.value);
      else if (!r.ok) error.value = r.error;
    }
    forecasts.value = fc;
    if (ev.ok) markers.value = ev.value;
  }

  function toggle(seriesId: string): void {
    selected.value = selected.value.includes(seriesId) ? selected.value.filter((s) => s !== seriesId) : [...selected.value, seriesId];
  }

  return { available, selected, rangeMs, follow, pinnedEndMs, data, forecasts, overlay, overlayable, markers, error, windowMs, loadSeriesList, load, toggle };
});
