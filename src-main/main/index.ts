/**
 * Main process entry: a thin shell. It enforces one instance, hardens Electron, registers the IPC
 * handlers and opens the window; everything that decides anything lives in services.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { app, BrowserWindow } from 'electron';

import { hardenSession, hardenWebContents } from './hardening';
import { registerIpcHandlers } from './ipc';
import type { RendererOrigin } from './security';
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

function openMainWindow(): void {
  mainWindow = createMainWindow({ mainBundleDirPath, origin });
  mainWindow.on('closed', () => {
    mainWindow = null;
  });
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

  void app.whenReady().then(() => {
    hardenSession({ dev: devServerUrl !== null });
    registerIpcHandlers({
      origin,
      resourcesRootPath: app.isPackaged ? process.resourcesPath : app.getAppPath(),
    });
    openMainWindow();

    app.on('activate', () => {
      if (BrowserWindow.getAllWindows().length === 0) openMainWindow();
    });
  }).catch((error: unknown) => {
    // Without a window or handlers the app is useless; say why and leave rather than hang invisibly.
    console.error('[main] startup failed:', error);
    app.exit(1);
  });
}
