/**
 * Node-side loader for the BDEW standard load profiles: reads the six data files (data README §1, §2) and hands
 * their text to the pure engine parser, which keeps file access out of the engine.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLoadProfileLibrary } from '../engine/models/load';
import type { LoadProfileLibrary } from '../engine/models/load';

/** Paths of the profile files relative to the resources folder. */
export const LOAD_PROFILE_FILES = {
  slp1999: 'profiles/bdew-slp-1999.csv',
  h25: 'profiles/bdew-2025/h25.csv',
  g25: 'profiles/bdew-2025/g25.csv',
  l25: 'profiles/bdew-2025/l25.csv',
  p25: 'profiles/bdew-2025/p25.csv',
  s25: 'profiles/bdew-2025/s25.csv',
} as const;

/**
 * Read and parse all profiles under `resourcesDir` (the project's `resources/` folder).
 * @throws Error naming the file if one is missing or malformed.
 */
export function loadProfileLibraryFromResources(resourcesDir: string): LoadProfileLibrary {
  const read = (relativePath: string): string => {
    const path = join(resourcesDir, relativePath);
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      throw new Error(`Cannot read load profile file ${path}: ${(error as Error).message}`);
    }
  };
  const texts = {
    slp1999: read(LOAD_PROFILE_FILES.slp1999),
    h25: read(LOAD_PROFILE_FILES.h25),
    g25: read(LOAD_PROFILE_FILES.g25),
    l25: read(LOAD_PROFILE_FILES.l25),
    p25: read(LOAD_PROFILE_FILES.p25),
    s25: read(LOAD_PROFILE_FILES.s25),
  };
  try {
    return createLoadProfileLibrary(texts);
  } catch (error) {
    throw new Error(`Malformed load profile data under ${resourcesDir}: ${(error as Error).message}`);
  }
}
