import { defineStore } from 'pinia';
import { ref } from 'vue';

import { call, on } from '../api';
import type { BundledScenario, IpcError, ReplaySide, ReplayState, SpeedSetting, Unsubscribe } from '../api';

/** The KPIs compared side by side: key path in the KPI record, and its unit. */
export const COMPARED_KPIS: Array<{ key: string; path: [string, string]; unit: string }> = [
  { key: 'maeKw', path: ['accuracy', 'maeKw'], unit: 'kW' },
  { key: 'rmseKw', path: ['accuracy', 'rmseKw'], unit: 'kW' },
  { key: 'maxAbsErrorKw', path: ['accuracy', 'maxAbsErrorKw'], unit: 'kW' },
  { key: 'withinBandPct', path: ['accuracy', 'withinBandPct'], unit: '%' },
  { key: 'energyErrorKwh', path: ['accuracy', 'energyErrorKwh'], unit: 'kWh' },
  { key: 'settlingS', path: ['responsiveness', 'settlingS'], unit: 's' },
  { key: 'coveredPct', path: ['availability', 'coveredPct'], unit: '%' },
  { key: 'heldPctOfRequested', path: ['availability', 'heldPctOfRequested'], unit: '%' },
];

/** One row per (run, KPI): the value of each side, for the Replay view's table. */
export function kpiComparison(sides: readonly ReplaySide[]): Array<{ runId: string; key: string; unit: string; values: Array<number | null> }> {
  const rows: Array<{ runId: string; key: string; unit: string; values: Array<number | null> }> = [];
  const first = sides[0];
  if (!first) return rows;
  first.runs.forEach((run, i) => {
    for (const k of COMPARED_KPIS) {
      const values = sides.map((s) => {
        const kp = s.runs[i]?.kpis as Record<string, Record<string, unknown>> | null | undefined;
        const v = kp?.[k.path[0]]?.[k.path[1]];
        return typeof v === 'number' && Number.isFinite(v) ? v : null;
      });
      rows.push({ runId: run.runId, key: k.key, unit: k.unit, values });
    }
  });
  return rows;
}

/** The Replay view: lfc and deadbeat on the same scenario, paced by the core. */
export const useReplayStore = defineStore('replay', () => {
  const state = ref<ReplayState | null>(null);
  const scenarios = ref<BundledScenario[]>([]);
  const scenarioPath = ref('');
  const speed = ref<SpeedSetting>('max');
  const error = ref<IpcError | null>(null);
  let unsubscribe: Unsubscribe | null = null;

  async function load(): Promise<void> {
    if (!unsubscribe) unsubscribe = on('replay:onProgress', (s) => (state.value = s));
    const [list, current] = await Promise.all([call('scenario:listBundled'), call('replay:getState')]);
    if (list.ok) {
      scenarios.value = list.value;
      if (!scenarioPath.value && list.value[0]) scenarioPath.value = list.value[0].path;
    }
    if (current.ok) state.value = current.value;
  }

  async function start(): Promise<void> {
    error.value = null;
    const r = await call('replay:start', { scenarioPath: scenarioPath.value, speed: speed.value });
    if (r.ok) state.value = r.value;
    else error.value = r.error;
  }

  async function poll(): Promise<void> {
    const r = await call('replay:getState');
    if (r.ok) state.value = r.value;
  }

  async function stop(): Promise<void> {
    const r = await call('replay:stop');
    if (r.ok) state.value = r.value;
  }

  return { state, scenarios, scenarioPath, speed, error, load, start, poll, stop };
});
