/**
 * The history store: every measurement, event, run record and forecast the controller has seen, kept on
 * disk so that a run can be proven afterwards (KPIs, exports, the trend chart) and survives a crash.
 *
 * The contract is `history-port.ts` (re-exported here); this file holds the factory; `sqlite-history-store.ts`
 * implements the contract on SQLite.
 * The console, the KPI panel and the exporters code against `HistoryStore`, never against SQLite.
 *
 * Conventions: times are Unix epoch milliseconds (stored to the whole millisecond), ranges are inclusive at both ends (`fromMs ≤ t ≤ toMs`),
 * powers follow the load-frame sign convention of `engine/model.ts`. A value that was NaN when it was
 * appended is stored (as SQL NULL) and read back as NaN: a gap in the data stays visible as a gap.
 */
import { join } from 'node:path';

import type { HistoryStore, OpenHistoryStoreOptions } from './history-port';
import { SqliteHistoryStore } from './sqlite-history-store';

export * from './history-port';

/**
 * Opens (creating and migrating if needed) the history file. Throws a clear error naming the file when it
 * is not a history database or was written by a newer app version.
 */
export function openHistoryStore(opts: OpenHistoryStoreOptions): HistoryStore {
  return SqliteHistoryStore.open(opts);
}

/** The embedded default file inside the app's data folder: needs no set-up, the folder is created on open. */
export function defaultHistoryFile(appDataDir: string): string {
  return join(appDataDir, 'history', 'lfc-history.sqlite3');
}

