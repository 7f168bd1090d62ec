import { app } from 'electron';

import type { AppInfo } from '../../shared/ipc-contract';

/** Identity of the running app, for the About line and bug reports. */
export function getAppInfo(): AppInfo {
  return {
    name: app.getName(),
    version: app.getVersion(),
    // `process.versions.electron` is undefined when this runs under plain Node (e.g. a headless tool).
    electronVersion: process.versions.electron ?? null,
    platform: process.platform,
  };
}
