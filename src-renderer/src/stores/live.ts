import { defineStore } from 'pinia';
import { computed, nextTick, ref, shallowRef } from 'vue';

import { call, on } from '../api';
import type { AssetRow, IpcError, LiveState, SpeedSetting, TriggerResponse, Unsubscribe } from '../api';

/** Deviation of the breaker from the target in kW, or null when either is unknown. */
export function deviationKw(state: LiveState | null): number | null {
  const m = state?.breaker.measuredKw;
  const t = state?.run?.targetKw ?? state?.breaker.targetKw;
  return m === null || m === undefined || t === null || t === undefined ? null : m - t;
}

/** Seconds left of the run on the session clock; null for an open-ended run or no run. */
export function timeLeftS(state: LiveState | null): number | null {
  const run = state?.run;
  if (!state || !run || run.plannedEndMs === null) return null;
  return Math.max(0, (run.plannedEndMs - state.nowMs) / 1000);
}

/** How many assets are reachable, lost or rejecting writes. */
export function linkCounts(assets: readonly AssetRow[]): { ok: number; lost: number; rejecting: number } {
  const c = { ok: 0, lost: 0, rejecting: 0 };
  for (const a of assets) c[a.link]++;
  return c;
}

/** The Now chart's window moves in steps of this (under 8 px on a 30-minute chart). */
export const CHART_STEP_MS = 10_000;
/** How long after a period boundary the chart waits for its breaker sample before it moves without one. */
export const CHART_GRACE_MS = 5_000;

/**
 * Where the Now chart's window ends. It moves in steps of `CHART_STEP_MS`, so the chart is not redrawn every
 * second to move by less than a pixel. It steps with the breaker sample that arrives (one redraw for the new
 * point and the new window, not one at the period boundary and another when the sample comes a second
 * later: measured, two redraws per period were a quarter of a live update's cost, bench/renderer.ts), and,
 * when no sample comes, with the session time less `CHART_GRACE_MS` for the measurement delay, so a silent
 * sensor still shows as a growing gap.
 */
export function chartWindowEndMs(lastSampleMs: number | null, nowMs: number): number {
  const bySampleMs = lastSampleMs === null ? -Infinity : Math.floor(lastSampleMs / CHART_STEP_MS) * CHART_STEP_MS + CHART_STEP_MS;
  const byClockMs = Math.ceil((nowMs - CHART_GRACE_MS) / CHART_STEP_MS) * CHART_STEP_MS;
  return Math.max(bySampleMs, byClockMs);
}

/** No live update for this long (wall time) and the console says the link to the core is down. */
export const LIVE_STALE_AFTER_MS = 3500;

/** The live picture pushed by the core once a second (`core:onLive`), and the Stop every view offers. */
export const useLiveStore = defineStore('live', () => {
  // Shallow: the core sends a whole new picture every second, never a change inside one. A deep ref would
  // wrap its ~1000 objects in reactive proxies on every push, and every read in a render would go through
  // them (measured: the larger part of the script time of a live update, bench/renderer.ts).
  const state = shallowRef<LiveState | null>(null);
  const lastUpdateWallMs = ref<number | null>(null);
  const wallNowMs = ref(Date.now());
  const error = ref<IpcError | null>(null);
  const stopResult = ref<{ ok: boolean; message: string; code?: string } | null>(null);
  let unsubscribe: Unsubscribe | null = null;
  let ticker: ReturnType<typeof setInterval> | null = null;

  function apply(next: LiveState, wallMs = Date.now()): void {
    const t0 = performance.now();
    state.value = next;
    lastUpdateWallMs.value = wallMs;
    // The console's own share of a live update (store + Vue's DOM patch), for bench/renderer.ts; the entry
    // is cleared at once so a console that runs for weeks does not collect them.
    void nextTick(() => {
      performance.measure('lfc:live-apply', { start: t0, end: performance.now() });
      performance.clearMeasures('lfc:live-apply');
    });
  }

  async function refresh(): Promise<void> {
    const r = await call('core:getState');
    if (r.ok) {
      apply(r.value);
      error.value = null;
    } else error.value = r.error;
  }

  function connect(): void {
    if (unsubscribe) return;
    unsubscribe = on('core:onLive', (s) => apply(s));
    ticker = setInterval(() => (wallNowMs.value = Date.now()), 1000);
    void refresh();
  }

  function disconnect(): void {
    unsubscribe?.();
    unsubscribe = null;
    if (ticker) clearInterval(ticker);
    ticker = null;
  }

  async function stop(): Promise<TriggerResponse | null> {
    const r = await call('core:stop');
    stopResult.value = r.ok ? { ok: r.value.accepted, message: r.value.reason ?? '' } : { ok: false, message: r.error.message, code: r.error.code };
    await refresh();
    return r.ok ? r.value : null;
  }

  async function setSpeed(speed: SpeedSetting): Promise<void> {
    const r = await call('core:setSpeed', speed);
    if (r.ok) apply(r.value);
    else error.value = r.error;
  }

  const linkAlive = computed(() => lastUpdateWallMs.value !== null && wallNowMs.value - lastUpdateWallMs.value < LIVE_STALE_AFTER_MS);
  const deviation = computed(() => deviationKw(state.value));
  const withinTolerance = computed(() => {
    const d = deviation.value;
    const tol = state.value?.run?.toleranceKw;
    return d === null || tol === undefined ? null : Math.abs(d) <= tol;
  });
  const timeLeft = computed(() => timeLeftS(state.value));
  const links = computed(() => linkCounts(state.value?.assets ?? []));

  return { state, lastUpdateWallMs, wallNowMs, error, stopResult, apply, refresh, connect, disconnect, stop, setSpeed, linkAlive, deviation, withinTolerance, timeLeft, links };
});
