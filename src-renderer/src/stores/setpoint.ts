import { defineStore } from 'pinia';
import { computed, ref } from 'vue';

import { call } from '../api';
import type { SchedulePackageDto, TriggerCheck, TriggerRequest, UseCaseCode } from '../api';
import { parseSchedulePaste, resolveSchedule } from '../composables/schedule';
import type { ResolvedSchedule, ScheduleRowDraft } from '../composables/schedule';

/** One package of a use-case 3/4 schedule, entered relative to the session clock (simulated time has no wall date). */
export interface PackageDraft {
  startInMin: number;
  lengthMin: number;
  /** Null while empty, NaN while the text is not a number (`components/DecimalInput.vue`). */
  targetKw: number | null;
}

export interface SetpointDraft {
  useCase: UseCaseCode;
  targetKw: number | null;
  durationMin: number | null;
  /** NaN while the text is not a number. */
  toleranceKw: number | null;
  packages: PackageDraft[];
}

export const defaultDraft = (): SetpointDraft => ({ useCase: 2, targetKw: null, durationMin: 60, toleranceKw: 10, packages: [{ startInMin: 0, lengthMin: 60, targetKw: 0 }] });

/** What the form can tell before asking the core: missing or impossible values, in words (English keys for tests). */
export function validateDraft(d: SetpointDraft, connectionLimitKw: number): string[] {
  const errors: string[] = [];
  const limit = connectionLimitKw;
  if (!(d.toleranceKw !== null && d.toleranceKw > 0)) errors.push('The tolerance must be more than 0 kW.');
  if (d.useCase === 2) {
    if (d.targetKw === null || !Number.isFinite(d.targetKw)) errors.push('Enter a target in kW.');
    else if (limit > 0 && Math.abs(d.targetKw) > limit) errors.push(`The target ${d.targetKw} kW is beyond the connection limit of ±${limit} kW.`);
    if (d.durationMin === null || !(d.durationMin > 0)) errors.push('Enter a duration of more than 0 min.');
  }
  if (d.useCase === 3 || d.useCase === 4) {
    if (d.packages.length === 0) errors.push('Add at least one package.');
    d.packages.forEach((p, i) => {
      // A field left empty or not a number (DecimalInput gives null or NaN) is never read as 0 kW.
      if (!(p.lengthMin > 0)) errors.push(`Package ${i + 1}: the length must be more than 0 min.`);
      if (!(p.startInMin >= 0)) errors.push(`Package ${i + 1}: it cannot start in the past.`);
      const kw = p.targetKw;
      if (kw === null || !Number.isFinite(kw)) {
        errors.push(`Package ${i + 1}: enter a target in kW.`);
        return;
      }
      if (limit > 0 && Math.abs(kw) > limit) errors.push(`Package ${i + 1}: ${kw} kW is beyond the connection limit of ±${limit} kW.`);
      if (d.useCase === 3 && kw < 0) errors.push(`Package ${i + 1}: an import package needs a target ≥ 0 kW.`);
      if (d.useCase === 4 && kw > 0) errors.push(`Package ${i + 1}: an export package needs a target ≤ 0 kW.`);
    });
    const sorted = [...d.packages].sort((a, b) => a.startInMin - b.startInMin);
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i]!.startInMin < sorted[i - 1]!.startInMin + sorted[i - 1]!.lengthMin) errors.push('Packages must not overlap.');
    }
  }
  return [...new Set(errors)];
}

/** The request the core receives, with the schedule placed on the session clock at `nowMs` (a draft `validateDraft` passed). */
export function toRequest(d: SetpointDraft, nowMs: number): TriggerRequest {
  const toleranceKw = d.toleranceKw ?? NaN;
  switch (d.useCase) {
    case 0:
      return { useCase: 0 };
    case 1:
      return { useCase: 1, toleranceKw, durationS: d.durationMin && d.durationMin > 0 ? d.durationMin * 60 : null };
    case 2:
      return { useCase: 2, targetKw: d.targetKw, durationS: (d.durationMin ?? 0) * 60, toleranceKw };
    default: {
      const schedule = [...d.packages]
        .sort((a, b) => a.startInMin - b.startInMin)
        .map((p) => ({ fromMs: nowMs + p.startInMin * 60_000, toMs: nowMs + (p.startInMin + p.lengthMin) * 60_000, targetKw: p.targetKw ?? NaN }));
      const endMs = Math.max(...schedule.map((p) => p.toMs));
      return { useCase: d.useCase, schedule, toleranceKw, durationS: (endMs - nowMs) / 1000 };
    }
  }
}

/** A use-case 3/4 request from the schedule editor's packages (already resolved on the session clock). */
export function scheduleRequest(d: Pick<SetpointDraft, 'useCase' | 'toleranceKw'>, packages: SchedulePackageDto[], nowMs: number): TriggerRequest {
  const endMs = Math.max(...packages.map((p) => p.toMs));
  return { useCase: d.useCase, schedule: packages, toleranceKw: d.toleranceKw ?? NaN, durationS: (endMs - nowMs) / 1000 };
}

/** The feasibility preview of a schedule: the whole, and each row on its own (which row is the hard one). */
export interface SchedulePreview {
  whole: TriggerCheck;
  rows: Array<TriggerCheck | null>;
  checkedAtMs: number;
}

/** Rows checked one by one in the preview, at most (each is one request to the core). */
export const PREVIEW_MAX_ROWS = 48;

/**
 * The Setpoint view's two-step flow: edit → Check (local validation, then the core's limit and
 * feasibility check) → review → Send. Nothing reaches the engine without the second step.
 */
export const useSetpointStore = defineStore('setpoint', () => {
  const draft = ref<SetpointDraft>(defaultDraft());
  const phase = ref<'edit' | 'review' | 'sending'>('edit');
  const localErrors = ref<string[]>([]);
  const check = ref<TriggerCheck | null>(null);
  const pendingRequest = ref<TriggerRequest | null>(null);
  const result = ref<{ ok: boolean; triggerId?: string; message: string } | null>(null);
  /** The schedule editor of use cases 3/4: rows of start time and target, and the end, as typed or pasted. */
  const scheduleRows = ref<ScheduleRowDraft[]>([{ start: '', target: '' }]);
  const scheduleEnd = ref('');
  /** Row problems are shown once the operator has pressed Check (or left a row), not while typing the first one. */
  const rowsChecked = ref(false);
  const preview = ref<SchedulePreview | null>(null);
  let previewSeq = 0;

  function resolved(nowMs: number, connectionLimitKw: number, timeZone: string): ResolvedSchedule {
    const useCase = draft.value.useCase === 3 ? 3 : 4;
    return resolveSchedule(scheduleRows.value, scheduleEnd.value, { nowMs, timeZone, useCase, connectionLimitKw });
  }

  /**
   * Asks the core's feasibility check (`core:checkTrigger`) about the schedule as it stands — the whole, and
   * each row alone — without sending anything. Null when a row is not right yet.
   */
  async function previewSchedule(nowMs: number, connectionLimitKw: number, timeZone: string): Promise<SchedulePreview | null> {
    const seq = ++previewSeq;
    const res = resolved(nowMs, connectionLimitKw, timeZone);
    if (!res.packages || !(draft.value.toleranceKw !== null && draft.value.toleranceKw > 0)) {
      preview.value = null;
      return null;
    }
    const packages = res.packages;
    const [whole, ...rows] = await Promise.all([
      call('core:checkTrigger', scheduleRequest(draft.value, packages, nowMs)),
      ...packages.slice(0, PREVIEW_MAX_ROWS).map((p) => call('core:checkTrigger', scheduleRequest(draft.value, [p], nowMs))),
    ]);
    if (seq !== previewSeq) return preview.value; // a newer edit asked again
    if (!whole || !whole.ok) {
      preview.value = null;
      return null;
    }
    preview.value = { whole: whole.value, rows: packages.map((_, i) => (rows[i]?.ok ? rows[i].value : null)), checkedAtMs: nowMs };
    return preview.value;
  }

  /** Rows from a spreadsheet's clipboard, replacing the rows from `atRow` on (all of them by default). */
  function pasteRows(text: string, atRow = 0): number {
    const p = parseSchedulePaste(text);
    if (p.rows.length === 0 && p.end === null) return 0;
    scheduleRows.value = [...scheduleRows.value.slice(0, atRow).filter((r) => r.start !== '' || r.target !== ''), ...p.rows];
    if (scheduleRows.value.length === 0) scheduleRows.value = [{ start: '', target: '' }];
    if (p.end !== null) scheduleEnd.value = p.end;
    return p.rows.length;
  }

  function addRow(): void {
    scheduleRows.value.push({ start: '', target: '' });
  }

  function removeRow(index: number): void {
    scheduleRows.value.splice(index, 1);
    if (scheduleRows.value.length === 0) scheduleRows.value.push({ start: '', target: '' });
  }

  async function review(nowMs: number, connectionLimitKw: number, timeZone = 'UTC'): Promise<boolean> {
    result.value = null;
    let request: TriggerRequest;
    if (draft.value.useCase === 3 || draft.value.useCase === 4) {
      // The schedule editor: problems are shown at their rows; the tolerance is checked as for any use case.
      rowsChecked.value = true;
      const res = resolved(nowMs, connectionLimitKw, timeZone);
      localErrors.value = validateDraft({ ...draft.value, useCase: 1 }, connectionLimitKw);
      if (localErrors.value.length > 0 || !res.packages) return false;
      request = scheduleRequest(draft.value, res.packages, nowMs);
    } else {
      localErrors.value = validateDraft(draft.value, connectionLimitKw);
      if (localErrors.value.length > 0) return false;
      request = toRequest(draft.value, nowMs);
    }
    const r = await call('core:checkTrigger', request);
    if (!r.ok) {
      localErrors.value = [r.error.message];
      return false;
    }
    check.value = r.value;
    if (r.value.errors.length > 0) {
      localErrors.value = r.value.errors;
      return false;
    }
    pendingRequest.value = request;
    phase.value = 'review';
    return true;
  }

  async function confirm(): Promise<boolean> {
    if (phase.value !== 'review' || !pendingRequest.value) return false;
    phase.value = 'sending';
    const r = await call('core:sendTrigger', pendingRequest.value);
    phase.value = 'edit';
    pendingRequest.value = null;
    if (!r.ok) {
      result.value = { ok: false, message: r.error.message };
      return false;
    }
    result.value = { ok: r.value.accepted, triggerId: r.value.triggerId, message: r.value.reason ?? '' };
    return r.value.accepted;
  }

  function cancel(): void {
    phase.value = 'edit';
    pendingRequest.value = null;
  }

  function addPackage(): void {
    const last = draft.value.packages[draft.value.packages.length - 1];
    draft.value.packages.push({ startInMin: last ? last.startInMin + last.lengthMin : 0, lengthMin: 60, targetKw: 0 });
  }

  function removePackage(index: number): void {
    draft.value.packages.splice(index, 1);
  }

  const needsSchedule = computed(() => draft.value.useCase === 3 || draft.value.useCase === 4);
  return {
    draft,
    phase,
    localErrors,
    check,
    pendingRequest,
    result,
    review,
    confirm,
    cancel,
    addPackage,
    removePackage,
    needsSchedule,
    scheduleRows,
    scheduleEnd,
    rowsChecked,
    preview,
    resolved,
    previewSchedule,
    pasteRows,
    addRow,
    removeRow,
  };
});
