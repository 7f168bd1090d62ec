/**
 * What the Runs view makes of a recorded run: its export (CSV in the console's language, XLSX, JSON) and
 * "Save as scenario" (the run's BESS, its recorded uncontrollable power as a `series` asset and its
 * triggers, written into the data folder, ready to replay with another controller).
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import type { LoadedScenario } from '../../node/scenario-file';
import type { ExportedFile, ExportFormat, LiveState, Preferences, SaveAsScenarioRequest, SavedScenario } from '../../shared/ipc-contract';
import type { HistoryStore } from '../../storage/history-store';
import { buildRecordedScenario } from '../recorded-scenario';
import type { StoredTrigger } from '../recorded-scenario';
import { CoreError, ExportFormatSchema, parseRequest, SaveAsScenarioRequestSchema } from '../requests';
import { exportRun } from '../run-export';
import { SERIES } from '../series';
import type { HistoryService } from './history';
import { DEFAULT_SCENARIO } from './host-ports';
import type { ScenarioFiles } from './scenario-files';

/** What exports need to know of the live session. */
export interface ExportLiveView {
  getState(): LiveState;
  nowMs(): number | null;
  /** The live session's BESS, or null without one. */
  bessId(): string | null;
  /** The simulator's scenario and session, when the simulator is the live session. */
  simulatorScenario(): { sessionId: string; loaded: LoadedScenario } | null;
}

export interface ExportServiceOptions {
  resourcesDirPath: string;
  dataDirPath: string;
  history: HistoryStore;
  runs: HistoryService;
  live: ExportLiveView;
  files: ScenarioFiles;
  preferences: () => Preferences | null;
}

export class ExportService {
  constructor(private readonly o: ExportServiceOptions) {}

  /** The series a run export carries, in column order. */
  private exportSeriesIds(): string[] {
    const bessId = this.o.live.bessId() ?? 'bess';
    return [SERIES.breakerMeasured, SERIES.breakerTarget, SERIES.breakerTolerance, SERIES.flexDown, SERIES.flexUp, `${bessId}.powerKw`, `${bessId}.setpointKw`, `${bessId}.socPct`, SERIES.pvTotal, SERIES.loadTotal];
  }

  async exportRun(runId: string, format: ExportFormat): Promise<ExportedFile> {
    const fmt = parseRequest(ExportFormatSchema, format, 'runs:export format');
    const run = this.o.runs.getRun(runId);
    const history = this.o.history;
    const toMs = run.endMs ?? this.o.live.nowMs() ?? run.startMs;
    const series = this.exportSeriesIds().map((seriesId) => ({ seriesId, ...history.queryRaw(seriesId, run.startMs, toMs) }));
    const events = history.events(run.startMs, toMs);
    // The CSV in the console's language; local times in the zone of the session the run belongs to.
    const live = this.o.live.getState();
    const language = this.o.preferences()?.language === 'de' ? 'de' : 'en';
    const timeZone = live.sessionId !== null && run.sessionId === live.sessionId && live.timezone !== 'UTC' ? live.timezone : null;
    return exportRun({ run, series, events }, fmt, { language, timeZone });
  }

  /** Writes `<dataDir>/scenarios/<name>/scenario.json` (+ its series and weather) from a recorded run. */
  async saveRunAsScenario(request: SaveAsScenarioRequest): Promise<SavedScenario> {
    const req = parseRequest(SaveAsScenarioRequestSchema, request, 'runs:saveAsScenario');
    const run = this.o.runs.getRun(req.runId);
    if (run.sessionId.startsWith('field-')) {
      throw new CoreError('NOT_AVAILABLE', `runs:saveAsScenario: ${run.runId} ran in the field, where the weather and each asset's power were not recorded as a scenario needs them; export it (CSV, XLSX, JSON) instead`);
    }
    const sim = this.o.live.simulatorScenario();
    const source = sim && sim.sessionId === run.sessionId ? sim.loaded : await this.o.files.load(join(this.o.resourcesDirPath, 'scenarios', run.scenario ?? DEFAULT_SCENARIO, 'scenario.json'));
    const name = req.name ?? `recorded-${run.scenario ?? 'live'}-${run.runId}`.replace(/[^A-Za-z0-9_.-]+/g, '-');
    const bessId = source.scenario.assets.find((a) => a.kind === 'bess')?.id ?? 'bess';
    const breakerMs = source.scenario.measurement.breakerPeriodS * 1000;
    const fromMs = Math.floor((Math.min(run.startMs, Date.parse(String((run.trigger as unknown as StoredTrigger).receivedAt))) - 60_000) / breakerMs) * breakerMs;
    const toMs = (run.endMs ?? this.o.live.nowMs() ?? run.startMs) + 60_000;
    const forecastFile = source.scenario.weather.forecast?.file ?? null;
    const history = this.o.history;
    const recorded = buildRecordedScenario({
      name,
      run,
      source: source.scenario,
      breaker: history.queryRaw(SERIES.breakerMeasured, fromMs, toMs),
      bessPowerKw: history.queryRaw(`${bessId}.powerKw`, fromMs, toMs),
      bessSocPct: history.queryRaw(`${bessId}.socPct`, fromMs, toMs),
      weatherActualFile: 'weather/actual.csv',
      weatherForecastFile: forecastFile ? 'weather/forecast.json' : null,
    });
    const dir = resolve(this.o.dataDirPath, 'scenarios', name);
    await mkdir(join(dir, 'weather'), { recursive: true });
    await copyFile(resolve(source.dir, source.scenario.weather.actual.file), join(dir, 'weather', 'actual.csv'));
    if (forecastFile) await copyFile(resolve(source.dir, forecastFile), join(dir, 'weather', 'forecast.json'));
    await writeFile(join(dir, recorded.seriesFile), recorded.seriesCsv);
    const path = join(dir, 'scenario.json');
    await writeFile(path, JSON.stringify(recorded.scenario, null, 2) + '\n');
    return { name, path };
  }
}
