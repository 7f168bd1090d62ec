/**
 * Preload: runs sandboxed (built as CommonJS, see electron.vite.config.ts) and exposes exactly the IPC
 * contract as `window.lfc`, one function per channel.
 *
 * Why so little here: a preload runs with more privilege than the page, so anything it exposes is attack
 * surface. It never hands `ipcRenderer` (or an IpcRendererEvent, whose `sender` IS ipcRenderer) to the
 * page, it adds no logic, and it builds the surface by looping over the contract's channel lists, so a
 * channel cannot be exposed without being in the contract. test/unit/preload/preload-surface.test.ts
 * fails if that ever changes.
 */
import { contextBridge, ipcRenderer } from 'electron';
import type { IpcRendererEvent } from 'electron';

import { EVENT_CHANNELS, INVOKE_CHANNELS } from '../shared/ipc-contract';
import type { EventChannel, InvokeChannel, LfcApi } from '../shared/ipc-contract';

// Nothing is exported: the bundle is a script run for its side effect, and the page's global name
// `lfc` is part of the contract with src-renderer/src/env.d.ts.

function invoker(channel: InvokeChannel) {
  // Arguments are passed through untouched: main validates them, the preload is not a trust boundary.
  return (...args: unknown[]): Promise<unknown> => ipcRenderer.invoke(channel, ...args);
}

function subscriber(channel: EventChannel) {
  return (listener: (payload: unknown) => void): (() => void) => {
    // Strip the event object: only the payload crosses into the page.
    const forward = (_event: IpcRendererEvent, payload: unknown): void => listener(payload);
    ipcRenderer.on(channel, forward);
    return () => {
      ipcRenderer.removeListener(channel, forward);
    };
  };
}

const surface: Record<string, unknown> = {};
for (const channel of INVOKE_CHANNELS) surface[channel] = invoker(channel);
for (const channel of EVENT_CHANNELS) surface[channel] = subscriber(channel);

// The one cast in the bridge: the loops above produce the keys at runtime, which the type system cannot
// follow. The contract's compile-time list check plus the surface test keep the cast honest.
const api = Object.freeze(surface) as LfcApi;

contextBridge.exposeInMainWorld('lfc', api);
