import { join } from 'node:path';

import { BrowserWindow } from 'electron';

import type { RendererOrigin } from './security';

export interface MainWindowOptions {
  /** Directory of the built main bundle (out/main); preload and renderer sit next to it in out/. */
  mainBundleDirPath: string;
  origin: RendererOrigin;
  /** The window icon (Linux and Windows; a packaged app's .exe/.app carries its own elsewhere), or null. */
  iconPath: string | null;
}

/** The one application window, with every Electron security switch in its safe position. */
export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  const window = new BrowserWindow({
    width: 1280,
    height: 800,
    minWidth: 960,
    minHeight: 600,
    // Shown on ready-to-show so the user never sees a blank white frame.
    show: false,
    autoHideMenuBar: true,
    ...(options.iconPath !== null ? { icon: options.iconPath } : {}),
    webPreferences: {
      // CommonJS because a sandboxed preload cannot load an ES module (see electron.vite.config.ts).
      preload: join(options.mainBundleDirPath, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      webviewTag: false,
    },
  });

  window.once('ready-to-show', () => window.show());

  if (options.origin.devServerUrl !== null) {
    void window.loadURL(options.origin.devServerUrl);
  } else {
    void window.loadURL(options.origin.indexFileUrl);
  }
  return window;
}
