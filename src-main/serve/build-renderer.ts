/**
 * Builds the console for serve mode with Vite (the renderer part of electron.vite.config.ts: same root,
 * same Vue plugin), so serve mode and the browser tests never depend on a stale `out/renderer`.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

import vue from '@vitejs/plugin-vue';
import { build } from 'vite';

export const RENDERER_SOURCE_DIR = 'src-renderer';

/** Newest modification time under a folder (files only), 0 if it does not exist. */
function newestMtimeMs(dirPath: string): number {
  if (!existsSync(dirPath)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dirPath, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) newest = Math.max(newest, statSync(join(entry.parentPath, entry.name)).mtimeMs);
  }
  return newest;
}

/** True when `outDirPath` has no index.html or is older than the renderer's sources or the contract. */
export function rendererBuildIsStale(projectRootPath: string, outDirPath: string): boolean {
  const index = join(outDirPath, 'index.html');
  if (!existsSync(index)) return true;
  const built = statSync(index).mtimeMs;
  const sources = Math.max(newestMtimeMs(join(projectRootPath, RENDERER_SOURCE_DIR)), newestMtimeMs(join(projectRootPath, 'src-main', 'shared')));
  return sources > built;
}

export async function buildRenderer(projectRootPath: string, outDirPath: string): Promise<void> {
  await build({
    configFile: false,
    root: resolve(projectRootPath, RENDERER_SOURCE_DIR),
    base: './',
    plugins: [vue()],
    logLevel: 'warn',
    build: { outDir: resolve(outDirPath), emptyOutDir: true, chunkSizeWarningLimit: 2048 },
  });
}
