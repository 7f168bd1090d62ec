import { defineStore } from 'pinia';
import { ref } from 'vue';

import { call } from '../api';
import { unitOfSeries } from '../composables/format';
import type { ExportFormat, ExportedFile, IpcError, RecordVerification, RunDto, SeriesData } from '../api';
import { isFieldRun } from '../composables/run-report';

/** The headline KPIs of a run record for the table (null where the run has none yet). */
export function headlineKpis(run: RunDto): Record<'maeKw' | 'withinBandPct' | 'coveredPct' | 'heldPctOfRequested' | 'settlingS' | 'requestedS', number | null> & { requestedBasis: string | null } {
  const k = run.kpis as { accuracy?: Record<string, unknown>; availability?: Record<string, unknown>; responsiveness?: Record<string, unknown> } | null;
  const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  return {
    maeKw: num(k?.accuracy?.['maeKw']),
    withinBandPct: num(k?.accuracy?.['withinBandPct']),
    coveredPct: num(k?.availability?.['coveredPct']),
    heldPctOfRequested: num(k?.availability?.['heldPctOfRequested']),
    settlingS: num(k?.responsiveness?.['settlingS']),
    // What the held share is of (KPI.md): a share without its denominator cannot be quoted.
    requestedS: num(k?.availability?.['requestedS']),
    requestedBasis: typeof k?.availability?.['requestedBasis'] === 'string' ? k.availability['requestedBasis'] : null,
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

/** A KPI record as rows of dotted key and value, in the record's order (the printable report's table). */
export function kpiRows(kpis: Record<string, unknown> | null): Array<{ key: string; value: number | string | boolean | null }> {
  const rows: Array<{ key: string; value: number | string | boolean | null }> = [];
  const walk = (v: unknown, path: string[]): void => {
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) {
      for (const [k, x] of Object.entries(v)) walk(x, [...path, k]);
    } else if (v === null || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') rows.push({ key: path.join('.'), value: v });
    else rows.push({ key: path.join('.'), value: JSON.stringify(v) });
  };
  if (kpis) walk(kpis, []);
  return rows;
}

/**
 * The unit of a KPI by its dotted key: the nearest part that names one (`loopLatencyMs.total.p95` → ms),
 * none for counts and times of day.
 */
export function kpiUnit(key: string): string {
  const parts = key.split('.');
  const leaf = parts[parts.length - 1] ?? '';
  if (unitOfSeries(leaf) === '' && /count|samples|At$|Kind$|Basis$/i.test(leaf)) return '';
  if (/Pct[A-Z]/.test(leaf)) return '%';
  for (let i = parts.length - 1; i >= 0; i--) {
    const unit = unitOfSeries(parts[i]!);
    if (unit !== '') return unit;
  }
  return '';
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

  /**
   * The run's printable report as a PDF from the host (desktop app), or 'print' when the host cannot make
   * one (serve mode: the browser's own print, with the same print CSS), or null after an error.
   */
  async function exportPdf(runId: string): Promise<ExportedFile | 'print' | null> {
    const r = await call('runs:exportPdf', runId);
    if (r.ok) return r.value;
    if (r.error.code === 'NOT_AVAILABLE' || r.error.code === 'BRIDGE_UNAVAILABLE') return 'print';
    error.value = r.error;
    return null;
  }

  async function saveAsScenario(runId: string): Promise<string | null> {
    const r = await call('runs:saveAsScenario', { runId });
    if (!r.ok) {
      error.value = r.error;
      return null;
    }
    return r.value.path;
  }

  /**
   * The stored series a run's report plots, over the run's span (a running run up to `nowMs`), each
   * reduced to at most `maxBuckets` buckets; null for a series the history does not have.
   */
  async function reportSeries(run: RunDto, seriesIds: readonly string[], nowMs: number, maxBuckets = 600): Promise<Record<string, SeriesData | null>> {
    const fromMs = run.startMs;
    const toMs = Math.max(fromMs + 1000, run.endMs ?? nowMs);
    const answers = await Promise.all(seriesIds.map((seriesId) => call('history:querySeries', { seriesId, fromMs, toMs, maxBuckets })));
    return Object.fromEntries(seriesIds.map((id, i) => { const r = answers[i]!; return [id, r.ok ? r.value : null]; }));
  }

  /**
   * The signed record's check for a run: a field run's record is the field EMS's `record.jsonl` in the data
   * folder (`<data>/field-out/`); a simulator run has none. `dataDirPath` from `settings:get`.
   */
  async function verifyRecordOf(run: RunDto, dataDirPath: string | null): Promise<{ kind: 'simulator' } | { kind: 'result'; result: RecordVerification } | { kind: 'error'; message: string }> {
    if (!isFieldRun(run)) return { kind: 'simulator' };
    if (!dataDirPath) return { kind: 'error', message: 'the data folder is not known' };
    const sep = dataDirPath.includes('\\') && !dataDirPath.includes('/') ? '\\' : '/';
    const r = await call('record:verify', [dataDirPath.replace(/[\\/]+$/, ''), 'field-out', 'record.jsonl'].join(sep));
    return r.ok ? { kind: 'result', result: r.value } : { kind: 'error', message: r.error.message };
  }

  return { runs, error, notice, selectedRunId, load, exportRun, exportPdf, saveAsScenario, reportSeries, verifyRecordOf };
});
