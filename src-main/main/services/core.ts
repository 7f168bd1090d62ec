/**
 * The desktop app's services, opened after `app.whenReady()`: settings (electron-store in the user data
 * folder), secrets (the OS keychain through `safeStorage`), and around them what every host opens
 * (host-services.ts: log, history, retention, core).
 */
import { join } from 'node:path';

import { app } from 'electron';

import { ElectronSettingsStore } from '../settings/electron-settings-store';
import { SafeStorageSecretStore } from '../settings/safe-storage-secret-store';
import { defaultSettings } from '../settings/settings-schema';
import { openHostServices } from './host-services';
import type { HostServices } from './host-services';

export async function openDesktopServices(resourcesRootPath: string): Promise<HostServices> {
  const userDataPath = app.getPath('userData');
  const settings = await ElectronSettingsStore.open({
    cwd: userDataPath,
    defaults: defaultSettings({ dataDir: userDataPath, language: app.getLocale().startsWith('de') ? 'de' : 'en' }),
  });
  const secrets = await SafeStorageSecretStore.create(settings);
  return openHostServices({
    settings,
    secrets,
    secretsDescription: 'the OS keychain (Electron safeStorage)',
    // `npm start` from a checkout builds better-sqlite3 for Electron's ABI apart from the Node build the
    // tests use and names it here (scripts/native-for-electron.mjs); an installer's copy is built for Electron.
    ...(process.env['LFC_SQLITE_BINDING'] ? { sqliteNativeBinding: process.env['LFC_SQLITE_BINDING'] } : {}),
    resourcesDirPath: join(resourcesRootPath, 'resources'),
    appVersion: app.getVersion(),
    teeConsole: true,
  });
}
