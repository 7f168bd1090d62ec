import { defineStore } from 'pinia';
import { ref } from 'vue';

import { call } from '../api';
import type { ExportFormat, ExportedFile, IpcError, RunDto } from '../api';

/** The headline KPIs of a run record for the table (null where the run has none yet). */
export function headlineKpis(run: RunDto): Record<'maeKw' | 'withinBandPct' | 'coveredPct' | 'heldPctOfRequested' | 'settlingS', number | null> {
  const k = run.kpis as { accuracy?: Record<string, unknown>; availability?: Record<string, unknown>; responsiveness?: Record<string, unknown> } | null;
  const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  return {
    maeKw: num(k?.accuracy?.['maeKw']),
    withinBandPct: num(k?.accuracy?.['withinBandPct']),
    coveredPct: num(k?.availability?.['coveredPct']),
    heldPctOfRequested: num(k?.availability?.['heldPctOfRequested']),
    settlingS: num(k?.responsiveness?.['settlingS']),
  };
}

/** "UC2 −150 kW · 60 min ± 10 kW" from the stored trigger (as received). */
export function describeTrigger(trigger: Record<string, unknown>): { useCase: number; targetKw: number | null; durationS: number | null; toleranceKw: number | null; packages: number } {
  const n = (v: unknown): number | null => (typeof v === 'number' ? v : null);
  return {
    useCase: n(trigger['useCase']) ?? -1,
    targetKw: n(trigger['targetKw']),
    durationS: n(trigger['durationS']),
    toleranceKw: n(trigger['toleranceKw']),
    packages: Array.isArray(trigger['schedule']) ? trigger['schedule'].length : 0,
  };
}

/** The Runs view: the recorded runs, their exports and "save as scenario". */
export const useRunsStore = defineStore('runs', () => {
  const runs = ref<RunDto[]>([]);
  const error = ref<IpcError | null>(null);
  const notice = ref<string | null>(null);
  const selectedRunId = ref<string | null>(null);

  async function load(): Promise<void> {
    const r = await call('runs:list');
    if (r.ok) {
      runs.value = r.value;
      error.value = null;
    } else error.value = r.error;
  }

  async function exportRun(runId: string, format: ExportFormat): Promise<ExportedFile | null> {
    const r = await call('runs:export', runId, format);
    if (!r.ok) {
      error.value = r.error;
      return null;
    }
    return r.value;
  }

  async function saveAsScenario(runId: string): Promise<string | null> {
    const r = await call('runs:saveAsScenario', { runId });
    if (!r.ok) {
      error.value = r.error;
      return null;
    }
    return r.value.path;
  }

  return { runs, error, notice, selectedRunId, load, exportRun, saveAsScenario };
});
