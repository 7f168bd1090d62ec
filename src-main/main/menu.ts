/**
 * The desktop app's menu, as a plain template (Electron's `MenuItemConstructorOptions[]`) built from
 * injected actions, so it is unit-tested without Electron. Every item that concerns the console sends a
 * typed `app:onMenu` command (shared/ipc-contract.ts `MenuCommand`) that the renderer handles; items that
 * need a file ask main's file dialog first and carry the chosen path.
 *
 * The Alt+N and Alt+S accelerators are shown but not registered (`registerAccelerator: false`): the page
 * handles those keys itself (composables/shortcuts.ts, in serve mode too), and a registered accelerator
 * would make one key press act twice (two stop triggers).
 */
import type { FileFilter, MenuItemConstructorOptions } from 'electron';

import { CONSOLE_VIEWS } from '../shared/ipc-contract';
import type { ConsoleView, LanguageSetting, MenuCommand } from '../shared/ipc-contract';

export interface MenuActions {
  /** Delivers a command to the console. */
  send(command: MenuCommand): void;
  /** Shows the open-file dialog; resolves to the chosen path or null when cancelled. */
  chooseFile(kind: 'scenario' | 'record'): Promise<string | null>;
}

export interface MenuOptions {
  language: LanguageSetting;
  isMac: boolean;
  /** Adds the developer tools item (never in a packaged app). */
  dev: boolean;
}

const LABELS = {
  en: {
    file: 'File', openScenario: 'Open scenario…', exportRun: 'Export run…', verifyRecord: 'Verify record…', quit: 'Quit',
    view: 'View', run: 'Run', stop: 'Stop', help: 'Help', about: 'About Local Flex Controller',
    views: { now: 'Now', setpoint: 'Setpoint', assets: 'Assets', trends: 'Trends', runs: 'Runs', replay: 'Replay', settings: 'Settings' },
  },
  de: {
    file: 'Datei', openScenario: 'Szenario öffnen…', exportRun: 'Lauf exportieren…', verifyRecord: 'Protokoll prüfen…', quit: 'Beenden',
    view: 'Ansicht', run: 'Lauf', stop: 'Stopp', help: 'Hilfe', about: 'Über Local Flex Controller',
    views: { now: 'Jetzt', setpoint: 'Sollwert', assets: 'Anlagen', trends: 'Verläufe', runs: 'Läufe', replay: 'Wiedergabe', settings: 'Einstellungen' },
  },
} satisfies Record<LanguageSetting, { views: Record<ConsoleView, string> } & Record<string, unknown>>;

export function buildMenuTemplate(actions: MenuActions, options: MenuOptions): MenuItemConstructorOptions[] {
  const l = LABELS[options.language];
  const withFile = (kind: 'scenario' | 'record', toCommand: (path: string) => MenuCommand) => () => {
    void actions.chooseFile(kind).then(
      (path) => {
        if (path !== null) actions.send(toCommand(path));
      },
      (error: unknown) => console.error(`[menu] the file dialog failed:`, error),
    );
  };
  const file: MenuItemConstructorOptions = {
    label: l.file,
    submenu: [
      { id: 'open-scenario', label: l.openScenario, accelerator: 'CmdOrCtrl+O', click: withFile('scenario', (path) => ({ action: 'openScenario', path })) },
      { id: 'export-run', label: l.exportRun, accelerator: 'CmdOrCtrl+E', click: () => actions.send({ action: 'exportRun' }) },
      { id: 'verify-record', label: l.verifyRecord, click: withFile('record', (path) => ({ action: 'verifyRecord', path })) },
      { type: 'separator' },
      { role: options.isMac ? 'close' : 'quit', label: l.quit },
    ],
  };
  const view: MenuItemConstructorOptions = {
    label: l.view,
    submenu: [
      ...CONSOLE_VIEWS.map(
        (v, i): MenuItemConstructorOptions => ({
          id: `view-${v}`,
          label: l.views[v],
          accelerator: `Alt+${i + 1}`,
          registerAccelerator: false,
          click: () => actions.send({ action: 'view', view: v }),
        }),
      ),
      { type: 'separator' },
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      { role: 'togglefullscreen' },
      ...(options.dev ? [{ type: 'separator' } as const, { role: 'toggleDevTools' } as const] : []),
    ],
  };
  const run: MenuItemConstructorOptions = {
    label: l.run,
    submenu: [{ id: 'stop', label: l.stop, accelerator: 'Alt+S', registerAccelerator: false, click: () => actions.send({ action: 'stop' }) }],
  };
  const help: MenuItemConstructorOptions = {
    role: 'help',
    label: l.help,
    submenu: [{ id: 'about', label: l.about, click: () => actions.send({ action: 'about' }) }],
  };
  // macOS puts the app's own menu first; its Quit lives there.
  const appMenu: MenuItemConstructorOptions[] = options.isMac ? [{ role: 'appMenu' }] : [];
  return [...appMenu, file, view, run, help];
}

/** File dialog filters per kind of file the menu opens. */
export const FILE_FILTERS: Record<'scenario' | 'record', FileFilter[]> = {
  scenario: [{ name: 'Scenario (scenario.json)', extensions: ['json'] }],
  record: [{ name: 'Record (JSON lines)', extensions: ['jsonl', 'log', 'json'] }],
};
