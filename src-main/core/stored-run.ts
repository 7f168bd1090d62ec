import type { RunRecord } from '../engine/engine';
import { triggerAsReceived } from '../replay/outputs';
import type { StoredRun } from '../storage/history-store';

const CONFIG_VERSION = 'lfc-config/1';

/** A run record as the history stores it: the trigger as received (ISO times), KPIs as computed. */
export function storedRun(run: RunRecord, sessionId: string, scenario: string | null, appVersion: string): StoredRun {
  const t = run.trigger;
  const trigger = triggerAsReceived(t);
  return {
    runId: `${sessionId}/${run.runId}`,
    sessionId,
    scenario,
    controller: run.controller,
    useCase: t.useCase,
    startMs: run.startMs,
    endMs: run.endMs,
    endReason: run.endReason,
    trigger: trigger as unknown as Record<string, unknown>,
    kpis: run.kpis ? (JSON.parse(JSON.stringify(run.kpis)) as Record<string, unknown>) : null,
    appVersion,
    configVersion: CONFIG_VERSION,
  };
}
