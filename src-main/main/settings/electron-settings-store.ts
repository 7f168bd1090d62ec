/**
 * Settings in the desktop app, kept by electron-store (atomic writes, in the app's userData folder).
 *
 * electron-store imports `electron` at load time, which only works inside Electron, so it is imported
 * dynamically here and nowhere else: serve mode and tests never load it.
 */
import { join, resolve } from 'node:path';

import { setAside } from './json-file-settings-store';
import type { Settings } from './settings-schema';
import { ValidatedSettingsStore } from './settings-store';
import type { SettingsDocumentIo } from './settings-store';

/** The part of electron-store's API used here (it has the same shape as `conf`). */
interface ConfLike {
  store: Record<string, unknown>;
  readonly path: string;
}

export class ElectronSettingsStore extends ValidatedSettingsStore {
  private constructor(
    readonly file: string,
    io: SettingsDocumentIo,
    defaults: Settings,
    earlierProblems: string[],
  ) {
    super(io, defaults, file, earlierProblems);
  }

  /**
   * Opens `<cwd>/<name>.json` (cwd: `app.getPath('userData')`). A file that is not valid JSON is set aside
   * (kept as `<name>.json.invalid-<ms>`) and defaults are used; `loadProblems` says so.
   */
  static async open(opts: { cwd: string; name?: string; defaults: Settings; nowMs?: number }): Promise<ElectronSettingsStore> {
    const { default: ElectronStore } = await import('electron-store');
    const cwd = resolve(opts.cwd);
    const name = opts.name ?? 'settings';
    const create = (): ConfLike =>
      new ElectronStore<Record<string, unknown>>({ name, cwd, configFileMode: 0o600, clearInvalidConfig: false }) as unknown as ConfLike;
    const earlierProblems: string[] = [];
    let store: ConfLike;
    try {
      store = create();
    } catch (error) {
      earlierProblems.push(setAside(join(cwd, `${name}.json`), (error as Error).message, opts.nowMs ?? Date.now()));
      store = create();
    }
    const io: SettingsDocumentIo = {
      read: () => ({ ...store.store }),
      write: (document) => {
        store.store = document;
      },
    };
    return new ElectronSettingsStore(store.path, io, opts.defaults, earlierProblems);
  }
}
