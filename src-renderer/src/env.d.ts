import type { LfcApi } from '../../src-main/shared/ipc-contract';

declare global {
  interface Window {
    /**
     * The preload's bridge (src-main/preload/index.ts). Optional because the page can also run outside
     * Electron (a browser test, `vite preview`); only src/api/index.ts may touch it.
     */
    readonly lfc?: LfcApi;
  }
}

declare module '*.vue' {
  import type { DefineComponent } from 'vue';
  const component: DefineComponent<object, object, unknown>;
  export default component;
}
