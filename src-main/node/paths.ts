import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The bundled `resources/` folder: beside the sources in a checkout, next to the bundle when built, or in
 * Electron's `process.resourcesPath` when packaged. `LFC_RESOURCES` overrides it.
 */
export function resourcesDir(): string {
  const fromEnv = process.env.LFC_RESOURCES;
  if (fromEnv) return resolve(fromEnv);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const candidate = resolve(dir, 'resources');
    if (existsSync(resolve(candidate, 'profiles'))) return candidate;
    dir = dirname(dir);
  }
  const packaged = (process as NodeJS.Process & { resourcesPath?: string }).resourcesPath;
  if (packaged) return resolve(packaged, 'resources');
  throw new Error('cannot find the bundled resources folder (set LFC_RESOURCES)');
}
