/**
 * IPC registration: the only place main talks to `ipcMain`.
 *
 * Each handler is one line delegating to a service; this module adds the two things every channel needs
 * and no service should repeat: the sender check (Electron security checklist: validate every IPC sender)
 * and the `IpcResult` envelope, so nothing throws across the process boundary.
 */
import { app, ipcMain, webContents } from 'electron';
import type { IpcMainInvokeEvent, WebContents } from 'electron';

import { createCoreHandlers, invokeChannel } from '../core/handlers';
import type { LfcCore } from '../core/lfc-core';
import { INVOKE_CHANNELS } from '../shared/ipc-contract';
import type { EventChannel, EventContract, InvokeHandlers, IpcResult } from '../shared/ipc-contract';
import { isAllowedSenderUrl } from './security';
import type { RendererOrigin } from './security';
import { getAppInfo } from './services/app-info';
import { createAppCore } from './services/core';

export interface IpcDeps {
  origin: RendererOrigin;
  /** Root that holds `resources/` (the app path in development, `process.resourcesPath` when packaged). */
  resourcesRootPath: string;
}

/**
 * The handlers: one line per channel, each delegating to the core (core/handlers.ts, shared with serve
 * mode so both hosts answer every channel identically).
 */
export function createHandlers(deps: IpcDeps, core: LfcCore) {
  return createCoreHandlers(core, { appInfo: getAppInfo, resourcesRootPath: deps.resourcesRootPath }) satisfies InvokeHandlers;
}

/** Only a top-level frame showing the app's own page may call; iframes and foreign pages may not. */
function isAllowedSender(event: IpcMainInvokeEvent, origin: RendererOrigin): boolean {
  const frame = event.senderFrame;
  return frame !== null && frame.parent === null && isAllowedSenderUrl(frame.url, origin);
}

/**
 * Registers every request channel of the contract and forwards the core's events to the app's own pages;
 * returns a function that removes the handlers and stops the core.
 */
export function registerIpcHandlers(deps: IpcDeps): () => void {
  const { core, close } = createAppCore(deps.resourcesRootPath);
  const handlers: InvokeHandlers = createHandlers(deps, core);
  for (const channel of INVOKE_CHANNELS) {
    // Arguments are untrusted: the core parses each request (zod, core/requests.ts) before acting on it.
    ipcMain.handle(channel, (event, ...args: unknown[]) => {
      if (!isAllowedSender(event, deps.origin)) {
        console.warn(`[ipc] refused ${channel} from ${event.senderFrame?.url ?? 'a destroyed frame'}`);
        return { ok: false, error: { code: 'FORBIDDEN_SENDER', message: `${channel} is not available to this page` } } satisfies IpcResult<never>;
      }
      return invokeChannel(handlers, channel, args);
    });
  }
  const unsubscribe = core.subscribe((channel, payload) => {
    for (const target of webContents.getAllWebContents()) {
      if (isAllowedSenderUrl(target.getURL(), deps.origin)) sendEvent(target, channel, payload);
    }
  });
  app.once('will-quit', close);
  return () => {
    for (const channel of INVOKE_CHANNELS) ipcMain.removeHandler(channel);
    unsubscribe();
    close();
  };
}

/** Pushes a typed event to one renderer; the only way main should emit a contract event. */
export function sendEvent<C extends EventChannel>(target: WebContents, channel: C, payload: EventContract[C]): void {
  if (!target.isDestroyed()) target.send(channel, payload);
}
