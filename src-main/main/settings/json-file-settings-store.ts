/**
 * Settings in a plain JSON file, for serve mode (no Electron) and tests. Every write replaces the file
 * atomically (temp file + rename), readable only by the user (0600).
 */
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

import { writeFileAtomic } from '../../node/atomic-write';
import type { Settings } from './settings-schema';
import { ValidatedSettingsStore } from './settings-store';
import type { SettingsDocumentIo } from './settings-store';

function readDocument(file: string): Record<string, unknown> {
  if (!existsSync(file)) return {};
  const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('it does not hold a JSON object');
  return parsed as Record<string, unknown>;
}

/**
 * Moves an unreadable settings file aside (never deletes it: the operator may want what was in it) and
 * says where it went.
 */
export function setAside(file: string, reason: string, nowMs: number): string {
  const aside = `${file}.invalid-${nowMs}`;
  renameSync(file, aside);
  return `${file} could not be read (${reason}); it was kept as ${aside} and defaults are used`;
}

export class JsonFileSettingsStore extends ValidatedSettingsStore {
  private constructor(
    readonly file: string,
    io: SettingsDocumentIo,
    defaults: Settings,
    earlierProblems: string[],
  ) {
    super(io, defaults, file, earlierProblems);
  }

  /** Opens (creating if needed) the settings file; `nowMs` names a set-aside broken file. */
  static open(opts: { file: string; defaults: Settings; nowMs?: number }): JsonFileSettingsStore {
    const file = resolve(opts.file);
    mkdirSync(dirname(file), { recursive: true });
    const earlierProblems: string[] = [];
    try {
      readDocument(file);
    } catch (error) {
      earlierProblems.push(setAside(file, (error as Error).message, opts.nowMs ?? Date.now()));
    }
    const io: SettingsDocumentIo = {
      read: () => {
        try {
          return readDocument(file);
        } catch (error) {
          throw new Error(`settings file ${file} cannot be read: ${(error as Error).message}`, { cause: error });
        }
      },
      write: (document) => writeFileAtomic(file, `${JSON.stringify(document, null, 2)}\n`),
    };
    return new JsonFileSettingsStore(file, io, opts.defaults, earlierProblems);
  }
}
