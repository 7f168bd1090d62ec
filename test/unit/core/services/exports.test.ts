/**
 * Exports of a recorded run on a real in-memory store and a stand-in live session: the live session's BESS
 * picks the columns, the host's language the CSV's separators; a field run is not saved as a scenario.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import { ExportService } from '../../../../src-main/core/services/exports';
import type { ExportLiveView } from '../../../../src-main/core/services/exports';
import { HistoryService } from '../../../../src-main/core/services/history';
import { ScenarioFiles } from '../../../../src-main/core/services/scenario-files';
import { resourcesDir } from '../../../../src-main/node/paths';
import type { LiveState, Preferences, RunDto } from '../../../../src-main/shared/ipc-contract';
import { openHistoryStore } from '../../../../src-main/storage/history-store';
import type { HistoryStore } from '../../../../src-main/storage/history-store';

const run = (sessionId: string): RunDto => ({
  runId: `${sessionId}/run-001`,
  sessionId,
  scenario: 'summer-export-hold',
  controller: 'lfc',
  useCase: 2,
  startMs: 1_000_000,
  endMs: 1_060_000,
  endReason: 'completed',
  trigger: { useCase: 2, targetKw: 0, durationS: 60, receivedAt: new Date(1_000_000).toISOString() },
  kpis: null,
  appVersion: 't',
  configVersion: 'c',
});

let store: HistoryStore;
let preferences: Preferences | null;
let service: ExportService;

beforeEach(() => {
  store = openHistoryStore({ file: ':memory:' });
  preferences = null;
  const live: ExportLiveView = {
    getState: () => ({ sessionId: null, timezone: 'UTC' }) as LiveState,
    nowMs: () => null,
    bessId: () => 'bess-7',
    simulatorScenario: () => null,
  };
  const runs = new HistoryService(store, { flush: () => undefined, simulatorBessId: () => null, simulatorStartMs: () => null });
  const files = new ScenarioFiles({ resourcesDirPath: resourcesDir(), allowedFileRoots: null, loadSolver: null });
  service = new ExportService({ resourcesDirPath: resourcesDir(), dataDirPath: '/nonexistent', history: store, runs, live, files, preferences: () => preferences });
  store.saveRun(run('sim-a'));
  store.saveRun(run('field-b'));
  store.appendPoints([
    { seriesId: 'breaker.measuredKw', timeMs: 1_010_000, value: 1.25 },
    { seriesId: 'bess-7.powerKw', timeMs: 1_010_000, value: -3.5 },
  ]);
});
afterEach(() => store.close());

const text = (f: { base64: string }): string => Buffer.from(f.base64, 'base64').toString('utf8');

describe('ExportService', () => {
  it("carries the live session's BESS series and writes the CSV in the host's language", async () => {
    const en = text(await service.exportRun('sim-a/run-001', 'csv'));
    expect(en).toContain('bess-7.powerKw');
    expect(en).toMatch(/1\.25/);
    preferences = { language: 'de', theme: 'system' };
    const de = text(await service.exportRun('sim-a/run-001', 'csv'));
    expect(de).toMatch(/1,25/);
    expect(de).toContain(';');
  });

  it('refuses an unknown format and an unknown run', async () => {
    await expect(service.exportRun('sim-a/run-001', 'pdf' as never)).rejects.toMatchObject({ code: 'BAD_REQUEST' });
    await expect(service.exportRun('nope', 'json')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('does not save a field run as a scenario: its weather and asset powers were not recorded', async () => {
    await expect(service.saveRunAsScenario({ runId: 'field-b/run-001' })).rejects.toMatchObject({ code: 'NOT_AVAILABLE' });
  });
});
