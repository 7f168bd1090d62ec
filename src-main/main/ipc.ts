/**
 * IPC registration: the only place main talks to `ipcMain`.
 *
 * Each handler is one line delegating to the core; this module adds the two things every channel needs
 * and no service should repeat: the sender check (Electron security checklist: validate every IPC sender)
 * and the `IpcResult` envelope, so nothing throws across the process boundary. The one channel that needs
 * the calling page itself, `runs:exportPdf`, is bound to the sender here (main/pdf.ts).
 */
import { ipcMain, webContents } from 'electron';
import type { IpcMainInvokeEvent, WebContents } from 'electron';

import { createCoreHandlers, invokeChannel } from '../core/handlers';
import type { LfcCore } from '../core/lfc-core';
import { INVOKE_CHANNELS } from '../shared/ipc-contract';
import type { EventChannel, EventContract, InvokeHandlers, IpcResult } from '../shared/ipc-contract';
import { exportRunPdf } from './pdf';
import { isAllowedSenderUrl } from './security';
import type { RendererOrigin } from './security';
import { getAppInfo } from './services/app-info';

export interface IpcDeps {
  origin: RendererOrigin;
  /** Root that holds `resources/` (the app path in development, `process.resourcesPath` when packaged). */
  resourcesRootPath: string;
  core: LfcCore;
  /** What went wrong at start-up, for the console's banner. */
  startupProblems: () => string[];
}

/**
 * The handlers: one line per channel, each delegating to the core (core/handlers.ts, shared with serve
 * mode so both hosts answer every channel identically).
 */
export function createHandlers(deps: IpcDeps) {
  return createCoreHandlers(deps.core, { appInfo: getAppInfo, resourcesRootPath: deps.resourcesRootPath, startupProblems: deps.startupProblems }) satisfies InvokeHandlers;
}

/** Only a top-level frame showing the app's own page may call; iframes and foreign pages may not. */
function isAllowedSender(event: IpcMainInvokeEvent, origin: RendererOrigin): boolean {
  const frame = event.senderFrame;
  return frame !== null && frame.parent === null && isAllowedSenderUrl(frame.url, origin);
}

/**
 * Registers every request channel of the contract and forwards the core's events to the app's own pages;
 * returns a function that removes the handlers (the caller closes the core).
 */
export function registerIpcHandlers(deps: IpcDeps): () => void {
  const handlers: InvokeHandlers = createHandlers(deps);
  for (const channel of INVOKE_CHANNELS) {
    // Arguments are untrusted: the core parses each request (zod, core/requests.ts) before acting on it.
    ipcMain.handle(channel, (event, ...args: unknown[]) => {
      if (!isAllowedSender(event, deps.origin)) {
        console.warn(`[ipc] refused ${channel} from ${event.senderFrame?.url ?? 'a destroyed frame'}`);
        return { ok: false, error: { code: 'FORBIDDEN_SENDER', message: `${channel} is not available to this page` } } satisfies IpcResult<never>;
      }
      if (channel === 'runs:exportPdf') {
        return invokeChannel({ ...handlers, 'runs:exportPdf': (runId) => exportRunPdf(event.sender, deps.core, runId) }, channel, args);
      }
      return invokeChannel(handlers, channel, args);
    });
  }
  const unsubscribe = deps.core.subscribe((channel, payload) => broadcastEvent(deps.origin, channel, payload));
  return () => {
    for (const channel of INVOKE_CHANNELS) ipcMain.removeHandler(channel);
    unsubscribe();
  };
}

/** Pushes a typed event to every page that shows the app's own renderer. */
export function broadcastEvent<C extends EventChannel>(origin: RendererOrigin, channel: C, payload: EventContract[C]): void {
  for (const target of webContents.getAllWebContents()) {
    if (isAllowedSenderUrl(target.getURL(), origin)) sendEvent(target, channel, payload);
  }
}

/** Pushes a typed event to one renderer; the only way main should emit a contract event. */
export function sendEvent<C extends EventChannel>(target: WebContents, channel: C, payload: EventContract[C]): void {
  if (!target.isDestroyed()) target.send(channel, payload);
}
