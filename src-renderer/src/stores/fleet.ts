import { defineStore } from 'pinia';
import { computed, ref } from 'vue';

import { call } from '../api';
import type { ExportedFile, ExportFormat, FleetSiteDto, IpcError, RunDto, SeriesData, SeriesInfo, StoredEventDto } from '../api';

/** The series a run's chart opens with, when the site sent them (breaker against its target, the BESS). */
export const DEFAULT_FLEET_SERIES = ['breaker.measuredKw', 'breaker.targetKw', 'bess.powerKw'] as const;

/** Buckets of a run's chart: enough for a 1080-pixel-wide plot's min/max. */
export const FLEET_MAX_BUCKETS = 1200;

/**
 * The time a run's chart shows: the run and a tenth of its length either side (at least a minute), so the
 * approach and the release are in view. A run still in force reaches to `nowMs`.
 */
export function runWindow(run: Pick<RunDto, 'startMs' | 'endMs'>, nowMs: number): { fromMs: number; toMs: number } {
  const endMs = run.endMs ?? Math.max(nowMs, run.startMs + 60_000);
  const margin = Math.max(60_000, Math.round((endMs - run.startMs) / 10));
  return { fromMs: run.startMs - margin, toMs: endMs + margin };
}

/** The defaults the site has, else its first series (a chart is never empty when the site sent anything). */
export function defaultSeries(available: readonly SeriesInfo[]): string[] {
  const ids = new Set(available.map((s) => s.seriesId));
  const picked = DEFAULT_FLEET_SERIES.filter((id) => ids.has(id));
  return picked.length > 0 ? [...picked] : available.slice(0, 1).map((s) => s.seriesId);
}

/**
 * The Fleet view (serve mode with a central history): pick a site, its runs as the Runs view shows local
 * ones, a run's trends from the central database, and its export. Read-only: nothing here writes. Each
 * load remembers what it was for, so an answer for a site or run no longer picked is dropped, not shown.
 */
export const useFleetStore = defineStore('fleet', () => {
  /** null until asked; false: this host has no central history (the view is hidden). */
  const configured = ref<boolean | null>(null);
  const sites = ref<FleetSiteDto[]>([]);
  const siteId = ref<string | null>(null);
  const runs = ref<RunDto[]>([]);
  const available = ref<SeriesInfo[]>([]);
  const selected = ref<string[]>([]);
  const runId = ref<string | null>(null);
  const data = ref<SeriesData[]>([]);
  const events = ref<StoredEventDto[]>([]);
  const error = ref<IpcError | null>(null);
  const loading = ref(false);

  const site = computed(() => sites.value.find((s) => s.siteId === siteId.value) ?? null);
  const run = computed(() => runs.value.find((r) => r.runId === runId.value) ?? null);
  const timeWindow = computed(() => (run.value ? runWindow(run.value, Date.now()) : null));

  /** Asks the host whether it reads a central history; a call that got no answer leaves it unknown (hidden). */
  async function loadStatus(): Promise<boolean | null> {
    const r = await call('fleet:getStatus');
    if (r.ok) configured.value = r.value.configured;
    return configured.value;
  }

  async function loadSites(): Promise<void> {
    const r = await call('fleet:listSites');
    if (!r.ok) {
      error.value = r.error;
      return;
    }
    sites.value = r.value;
    error.value = null;
  }

  async function pickSite(id: string): Promise<void> {
    siteId.value = id;
    runId.value = null;
    runs.value = [];
    available.value = [];
    data.value = [];
    events.value = [];
    loading.value = true;
    const [r, s] = await Promise.all([call('fleet:listRuns', id, { limit: 200 }), call('fleet:listSeries', id)]);
    if (siteId.value !== id) return; // another site was picked meanwhile
    loading.value = false;
    if (!r.ok || !s.ok) {
      error.value = !r.ok ? r.error : !s.ok ? s.error : null;
      return;
    }
    error.value = null;
    runs.value = r.value;
    available.value = s.value;
    selected.value = defaultSeries(s.value);
  }

  async function pickRun(id: string): Promise<void> {
    runId.value = id;
    await loadTrends();
  }

  /** The picked run's window: each selected series in buckets, and the site's events of that time. */
  async function loadTrends(): Promise<void> {
    const sid = siteId.value;
    const rid = runId.value;
    const w = timeWindow.value;
    if (!sid || !rid || !w) return;
    const ids = [...selected.value];
    loading.value = true;
    const [ev, ...series] = await Promise.all([
      call('fleet:events', sid, { fromMs: w.fromMs, toMs: w.toMs }),
      ...ids.map((seriesId) => call('fleet:querySeries', sid, { seriesId, fromMs: w.fromMs, toMs: w.toMs, maxBuckets: FLEET_MAX_BUCKETS })),
    ]);
    if (siteId.value !== sid || runId.value !== rid) return;
    loading.value = false;
    const failed = [ev!, ...series].find((x) => !x.ok);
    if (failed && !failed.ok) error.value = failed.error;
    else error.value = null;
    data.value = series.flatMap((x) => (x.ok ? [x.value] : []));
    events.value = ev!.ok ? ev!.value : [];
  }

  async function toggleSeries(id: string): Promise<void> {
    selected.value = selected.value.includes(id) ? selected.value.filter((x) => x !== id) : [...selected.value, id];
    await loadTrends();
  }

  async function exportRun(id: string, format: ExportFormat): Promise<ExportedFile | null> {
    if (!siteId.value) return null;
    const r = await call('fleet:exportRun', siteId.value, id, format);
    if (!r.ok) {
      error.value = r.error;
      return null;
    }
    return r.value;
  }

  return { configured, sites, siteId, site, runs, available, selected, runId, run, timeWindow, data, events, error, loading, loadStatus, loadSites, pickSite, pickRun, loadTrends, toggleSeries, exportRun };
});
