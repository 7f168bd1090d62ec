/**
 * What several services load from the host's disk: scenario files (only inside the folders the console may
 * name), the bundled load profiles (parsed once), and the planner's LP solver (loaded once; null when it
 * cannot be, with the reason in the log). The folder check is here once so no service forgets it.
 */
import { resolve, sep } from 'node:path';

import type { LoadProfileLibrary } from '../../engine/models/load';
import type { LpSolver } from '../../engine/optimiser/lp';
import { loadProfileLibraryFromResources } from '../../node/load-profiles';
import { loadScenarioFile, ScenarioError } from '../../node/scenario-file';
import type { LoadedScenario } from '../../node/scenario-file';
import { CoreError } from '../requests';

export interface ScenarioFilesOptions {
  resourcesDirPath: string;
  /** Folders the console may name files in; null: any path (the desktop app's native file dialog). */
  allowedFileRoots: readonly string[] | null;
  /** Loads the planner's LP solver; null: no planner (fair-share dispatch, no forecasts recorded). */
  loadSolver: (() => Promise<LpSolver>) | null;
}

export class ScenarioFiles {
  private profiles: LoadProfileLibrary | null = null;

  constructor(private readonly o: ScenarioFilesOptions) {}

  /** Resolves a file the console named, refusing it outside `allowedFileRoots` (without reading it). */
  allowedFile(path: string, what: string): string {
    const file = resolve(path);
    const roots = this.o.allowedFileRoots;
    if (roots && !roots.some((root) => file === resolve(root) || file.startsWith(resolve(root) + sep))) {
      throw new CoreError('BAD_REQUEST', `${what}: ${file} is outside the folders this console may read (${roots.map((r) => resolve(r)).join(', ')})`);
    }
    return file;
  }

  /** A scenario file the console named; a bad one is the caller's BAD_REQUEST. */
  async load(path: string): Promise<LoadedScenario> {
    try {
      return await loadScenarioFile(this.allowedFile(path, 'scenario'));
    } catch (error) {
      if (error instanceof ScenarioError) throw new CoreError('BAD_REQUEST', error.message);
      throw error;
    }
  }

  loadProfiles(): LoadProfileLibrary {
    this.profiles ??= loadProfileLibraryFromResources(this.o.resourcesDirPath);
    return this.profiles;
  }

  /** The planner's solver, or null (with the reason in the log) when there is none or it cannot be loaded: the session still runs, by fair share. */
  async solverOrNull(): Promise<LpSolver | null> {
    if (!this.o.loadSolver) return null;
    try {
      return await this.o.loadSolver();
    } catch (error) {
      console.error('[core] the LP solver did not load; the live session dispatches by fair share and records no forecasts:', error);
      return null;
    }
  }
}
