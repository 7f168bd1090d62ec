import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { resourcesDir } from './paths.js';

/** The app's version, from package.json beside the resources folder (one source of truth). */
export const APP_VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(resolve(resourcesDir(), '..', 'package.json'), 'utf8')) as { version?: string };
    return pkg.version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
})();
