/**
 * What a host (the Electron app or serve mode) opens around one `LfcCore` — the core's services, composed
 * once by `core/services/core-services.ts` — in one place so both do the same: the log file, the history in the data folder with the settings' retention (pruned at start and
 * once a day), the core with the settings' language and theme, and the list of start-up problems the
 * console shows. Free of Electron: the host passes its own settings and secret stores.
 *
 * Data folder layout (`settings.dataDir`):
 *   history/lfc-history.sqlite3   measurements, events, runs, forecasts (SQLite, WAL)
 *   logs/lfc.log, lfc.log.1 …     the log, rotated at 5 MiB, 3 old files kept
 *   scenarios/<name>/             runs saved as scenarios
 */
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';

import { LfcCore, realWallTimers } from '../../core/lfc-core';
import { acquireOwnerLock, type OwnerLock } from '../../node/owner-lock';
import type { LfcCoreOptions, PreferencesPort, WallTimers } from '../../core/lfc-core';
import type { Preferences } from '../../shared/ipc-contract';
import { defaultHistoryFile, openHistoryStore } from '../../storage/history-store';
import { HistoryDamagedError } from '../../storage/sqlite-history-store';
import type { HistoryStore } from '../../storage/history-store';
import { FileLogger, teeConsole } from '../logger';
import type { SecretStore } from '../settings/secret-store';
import type { Settings } from '../settings/settings-schema';
import type { SettingsStore } from '../settings/settings-store';

export const PRUNE_INTERVAL_MS = 24 * 3_600_000;

export interface HostServicesOptions {
  settings: SettingsStore;
  secrets: SecretStore;
  /** Where `secrets` keeps them, as Settings → Connections says ("OS keychain (Electron safeStorage)", …). */
  secretsDescription: string;
  /** The site file of field mode (default `<dataDir>/site/site.json`). */
  sitePath?: string;
  /** The bundled `resources/` folder. */
  resourcesDirPath: string;
  appVersion: string;
  /** The history file; default `<dataDir>/history/lfc-history.sqlite3` (':memory:' for tests). */
  historyFile?: string;
  /** better-sqlite3's addon for this runtime, when not its own build (the desktop app from a checkout). */
  sqliteNativeBinding?: string;
  /** Copy `console.*` into the log file (the hosts do; tests do not). */
  teeConsole?: boolean;
  /** Wall clock and timers for the daily prune (and the core, unless `core.wall` says otherwise). */
  wall?: WallTimers;
  /** Further options for the core (tests: `autoRun: false`, `loadSolver: null`). */
  core?: Partial<Omit<LfcCoreOptions, 'history' | 'preferences' | 'logFilePath' | 'resourcesDirPath' | 'dataDirPath' | 'appVersion'>>;
  /** Problems the host met before (shown with the settings' own). */
  startupProblems?: readonly string[];
}

export interface HostServices {
  readonly settings: SettingsStore;
  readonly secrets: SecretStore;
  readonly history: HistoryStore;
  readonly core: LfcCore;
  readonly logger: FileLogger;
  readonly dataDirPath: string;
  /** What the operator should know about the start (settings fallen back to defaults, …). */
  readonly startupProblems: string[];
  /** Prunes the history by the retention now (also done at start and daily). */
  prune(): void;
  /** Stops the core and the timers, closes the history and the log. Idempotent. */
  close(): void;
}

export function logFileIn(dataDirPath: string): string {
  return join(dataDirPath, 'logs', 'lfc.log');
}

function retentionOf(settings: Settings['retention']): { measurements: number; events: number } {
  return { measurements: settings.measurementsDays, events: settings.eventsDays };
}

export function openHostServices(options: HostServicesOptions): HostServices {
  const { settings, secrets } = options;
  const wall = options.wall ?? realWallTimers;
  const dataDirPath = settings.get('dataDir');
  mkdirSync(dataDirPath, { recursive: true });
  const logger = new FileLogger(logFileIn(dataDirPath), { now: () => wall.now() });
  const restoreConsole = options.teeConsole ? teeConsole(logger) : () => undefined;
  logger.info(`starting ${options.appVersion}; data folder ${dataDirPath}`);

  const startupProblems = [...(options.startupProblems ?? []), ...settings.loadProblems];
  for (const p of startupProblems) logger.warn(`[settings] ${p}`);

  let history: HistoryStore;
  const historyFile = options.historyFile ?? defaultHistoryFile(dataDirPath);
  // One owner per history (see node/owner-lock.ts): a second console on this folder is refused here.
  let lock: OwnerLock = { file: '', stale: null, release: () => undefined };
  try {
    if (historyFile !== ':memory:') {
      mkdirSync(dirname(historyFile), { recursive: true });
      lock = acquireOwnerLock(`${historyFile}.lock`, wall.now());
    }
  } catch (error) {
    logger.error(`[history] ${error instanceof Error ? error.message : String(error)}`);
    restoreConsole();
    logger.close();
    throw error;
  }
  if (lock.stale) logger.warn(`[history] the previous owner of this data folder (process ${lock.stale.pid}, started ${lock.stale.startedAt}) stopped without closing it`);
  const open = () => openHistoryStore({ file: historyFile, ...(options.sqliteNativeBinding ? { nativeBinding: options.sqliteNativeBinding } : {}) });
  try {
    try {
      history = open();
    } catch (error) {
      if (!(error instanceof HistoryDamagedError)) throw error;
      // Damaged: kept as it is, under another name, for whoever wants to rescue it; a new history starts.
      const aside = moveAside(historyFile, wall.now());
      const problem = `the history file ${historyFile} is damaged (${error.message.replace(/^history file .* cannot be used: /, '')}); it was moved to ${aside} and a new history started`;
      startupProblems.push(problem);
      logger.error(`[history] ${problem}`);
      history = open();
    }
  } catch (error) {
    logger.error(`[history] cannot open ${historyFile}:`, error);
    lock.release();
    restoreConsole();
    logger.close();
    throw error;
  }
  history.setRetention(retentionOf(settings.get('retention')));

  const preferences: PreferencesPort = {
    get: (): Preferences => ({ language: settings.get('language'), theme: settings.get('theme') }),
    set: (patch) => {
      settings.update(patch);
      return preferences.get();
    },
  };
  const core = new LfcCore({
    ...options.core,
    wall: options.core?.wall ?? wall,
    resourcesDirPath: options.resourcesDirPath,
    dataDirPath,
    history,
    // This process holds the history's lock: a run still in force in it belongs to a process that is gone.
    closeInterruptedRuns: true,
    appVersion: options.appVersion,
    preferences,
    logFilePath: logger.file,
    ...(options.sitePath !== undefined ? { sitePath: options.sitePath } : {}),
    secretStore: {
      description: options.secretsDescription,
      // A secret that cannot be read (another user's keychain) is one the site does not have: the start says which.
      get: (name) => {
        try {
          return secrets.get(name);
        } catch (error) {
          logger.warn(`[secrets] ${name}: ${error instanceof Error ? error.message : String(error)}`);
          return null;
        }
      },
      set: (name, value) => secrets.set(name, value),
      delete: (name) => secrets.delete(name),
    },
  });

  const prune = (): void => {
    try {
      const removed = core.pruneHistory(wall.now());
      if (removed.points + removed.events > 0) logger.info(`[history] pruned ${removed.points} points and ${removed.events} events past the retention`);
    } catch (error) {
      logger.error('[history] prune failed:', error);
    }
  };
  prune();
  const pruneTimer = wall.setInterval(prune, PRUNE_INTERVAL_MS);
  const unsubscribe = settings.onChange((next, _previous, changed) => {
    if (changed.includes('retention')) {
      history.setRetention(retentionOf(next.retention));
      logger.info(`[settings] retention now ${next.retention.measurementsDays} days (measurements), ${next.retention.eventsDays} days (events)`);
    }
  });

  let closed = false;
  return {
    settings,
    secrets,
    history,
    core,
    logger,
    dataDirPath,
    startupProblems,
    prune,
    close() {
      if (closed) return;
      closed = true;
      wall.clearInterval(pruneTimer);
      unsubscribe();
      core.close();
      history.close();
      lock.release();
      logger.info('stopped');
      restoreConsole();
      logger.close();
    },
  };
}

/** Renames a damaged SQLite file and its WAL and shared-memory files to `<file>.damaged-<time>`; returns the new name. */
function moveAside(file: string, nowMs: number): string {
  const aside = `${file}.damaged-${new Date(nowMs).toISOString().replace(/[:.]/g, '-')}`;
  for (const suffix of ['', '-wal', '-shm']) if (existsSync(file + suffix)) renameSync(file + suffix, aside + suffix);
  return aside;
}
