/**
 * Main process entry: a thin shell. It enforces one instance, hardens Electron, opens the services
 * (settings, secrets, log, history, core: services/), registers the IPC handlers, sets the menu and opens
 * the window; everything that decides anything lives in the services and the core.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { app, BrowserWindow, dialog, Menu } from 'electron';

import { hardenSession, hardenWebContents } from './hardening';
import { broadcastEvent, registerIpcHandlers } from './ipc';
import { buildMenuTemplate, FILE_FILTERS } from './menu';
import type { RendererOrigin } from './security';
import { openDesktopServices } from './services/core';
import type { HostServices } from './services/host-services';
import { createMainWindow } from './window';

const mainBundleDirPath = import.meta.dirname;

// electron-vite dev sets ELECTRON_RENDERER_URL to its dev server; a packaged app never honours it, so an
// environment variable cannot point a shipped build at a foreign page.
const devServerUrl = !app.isPackaged && process.env['ELECTRON_RENDERER_URL'] ? process.env['ELECTRON_RENDERER_URL'] : null;

const origin: RendererOrigin = {
  indexFileUrl: pathToFileURL(join(mainBundleDirPath, '../renderer/index.html')).href,
  devServerUrl,
};

let mainWindow: BrowserWindow | null = null;
let services: HostServices | null = null;

/** Root that holds `resources/`: the app folder in development, the installation's resources when packaged. */
const resourcesRootPath = (): string => (app.isPackaged ? process.resourcesPath : app.getAppPath());

/** The window icon (electron-builder ships the PNGs as extra resources for Linux, see build/electron-builder.yml). */
function iconPath(): string | null {
  const file = join(resourcesRootPath(), 'resources', 'icons', '512x512.png');
  return existsSync(file) ? file : null;
}

function openMainWindow(): void {
  mainWindow = createMainWindow({ mainBundleDirPath, origin, iconPath: iconPath() });
  mainWindow.on('closed', () => {
    mainWindow = null;
  });
}

function setMenu(s: HostServices): void {
  const template = buildMenuTemplate(
    {
      send: (command) => broadcastEvent(origin, 'app:onMenu', command),
      chooseFile: async (kind) => {
        const options = { properties: ['openFile' as const], filters: FILE_FILTERS[kind] };
        const r = mainWindow ? await dialog.showOpenDialog(mainWindow, options) : await dialog.showOpenDialog(options);
        return r.canceled || r.filePaths.length === 0 ? null : r.filePaths[0]!;
      },
    },
    { language: s.settings.get('language'), isMac: process.platform === 'darwin', dev: !app.isPackaged },
  );
  Menu.setApplicationMenu(Menu.buildFromTemplate(template));
}

// A second instance would run a second controller against the same plant: hand over to the first one.
if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  app.on('second-instance', () => {
    if (mainWindow === null) return;
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.focus();
  });

  hardenWebContents();

  app.on('window-all-closed', () => {
    // macOS convention: the app stays alive without windows until the user quits it.
    if (process.platform !== 'darwin') app.quit();
  });

  void app
    .whenReady()
    .then(async () => {
      hardenSession({ dev: devServerUrl !== null });
      const s = await openDesktopServices(resourcesRootPath());
      services = s;
      // A field EMS ends its run and releases the assets before the app goes: quitting waits for it once.
      let fieldStopped = false;
      app.on('before-quit', (event) => {
        if (fieldStopped) return;
        event.preventDefault();
        fieldStopped = true;
        void s.core.stopField().finally(() => app.quit());
      });
      app.once('will-quit', () => s.close());
      registerIpcHandlers({ origin, resourcesRootPath: resourcesRootPath(), core: s.core, startupProblems: () => s.startupProblems });
      setMenu(s);
      s.settings.onChange((_next, _previous, changed) => {
        if (changed.includes('language')) setMenu(s);
      });
      openMainWindow();
      // The bundled simulator at 1×, so the console has something to show from the first second.
      s.core.startSimulator({}).catch((error: unknown) => console.error('[core] the simulator did not start:', error));

      app.on('activate', () => {
        if (BrowserWindow.getAllWindows().length === 0) openMainWindow();
      });
    })
    .catch((error: unknown) => {
      // Without a window or handlers the app is useless; say why and leave rather than hang invisibly.
      console.error('[main] startup failed:', error);
      dialog.showErrorBox('Local Flex Controller could not start', error instanceof Error ? error.message : String(error));
      services?.close();
      app.exit(1);
    });
}
