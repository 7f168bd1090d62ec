import { join } from 'node:path';

import { app } from 'electron';

import { LfcCore } from '../../core/lfc-core';
import { openHistoryStore, defaultHistoryFile } from '../../storage/history-store';

/**
 * The desktop app's core: history in the user's data folder, the bundled simulator started at 1× so the
 * console has something to show. Returns the core and a function that stops it and closes the history.
 */
export function createAppCore(resourcesRootPath: string): { core: LfcCore; close: () => void } {
  const dataDirPath = app.getPath('userData');
  const history = openHistoryStore({ file: defaultHistoryFile(dataDirPath) });
  const core = new LfcCore({ resourcesDirPath: join(resourcesRootPath, 'resources'), dataDirPath, history, appVersion: app.getVersion() });
  core.startSimulator({}).catch((error: unknown) => console.error('[core] the simulator did not start:', error));
  return {
    core,
    close: () => {
      core.close();
      history.close();
    },
  };
}
