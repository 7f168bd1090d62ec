/**
 * Build of the Electron shell: main (ESM), preload (CommonJS) and the Vue renderer, all into out/.
 */
import { fileURLToPath } from 'node:url';

import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';

import { contentSecurityPolicy } from './src-main/main/security';

const fromRoot = (relativePath: string): string => fileURLToPath(new URL(relativePath, import.meta.url));

const CSP_META_RE = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"\s*\/?>/;

/**
 * Keeps the renderer's <meta> CSP identical to the header main sends (src-main/main/security.ts):
 * a production build fails if index.html carries another policy, and the dev server swaps in the dev
 * policy (which has to allow the <style> elements Vite injects).
 */
function rendererCsp(): Plugin {
  let dev = false;
  return {
    name: 'lfc:renderer-csp',
    configResolved(config) {
      dev = config.command === 'serve';
    },
    transformIndexHtml(html) {
      const match = CSP_META_RE.exec(html);
      const expected = contentSecurityPolicy({ dev: false });
      if (!match || match[1] !== expected) {
        throw new Error(`src-renderer/index.html must carry <meta http-equiv="Content-Security-Policy" content="${expected}">`);
      }
      return dev ? html.replace(match[1], contentSecurityPolicy({ dev: true })) : html;
    },
  };
}

export default defineConfig({
  main: {
    build: {
      // Node dependencies stay in node_modules and are loaded at run time, not bundled.
      externalizeDeps: true,
      outDir: fromRoot('out/main'),
      rolldownOptions: {
        input: { index: fromRoot('src-main/main/index.ts') },
        // ESM because package.json says "type": "module" and Electron >= 28 runs ESM main scripts;
        // the file name matches package.json "main".
        output: { format: 'es', entryFileNames: '[name].js' },
      },
    },
  },
  preload: {
    build: {
      // A sandboxed preload can require() only a few Electron built-ins, no files and no packages, so
      // everything (the shared contract) is bundled into one file and nothing is externalised but electron.
      externalizeDeps: false,
      outDir: fromRoot('out/preload'),
      rolldownOptions: {
        input: { index: fromRoot('src-main/preload/index.ts') },
        // Sandboxed preloads cannot be ES modules; `.cjs` makes Node-style loading unambiguous in a
        // "type": "module" package. window.ts points at out/preload/index.cjs.
        output: { format: 'cjs', entryFileNames: '[name].cjs', codeSplitting: false },
      },
    },
  },
  renderer: {
    root: fromRoot('src-renderer'),
    plugins: [vue(), rendererCsp()],
    build: {
      outDir: fromRoot('out/renderer'),
      rolldownOptions: {
        input: { index: fromRoot('src-renderer/index.html') },
      },
    },
  },
});
