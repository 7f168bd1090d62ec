/**
 * IPC registration: the only place main talks to `ipcMain`.
 *
 * Each handler is one line delegating to a service; this module adds the two things every channel needs
 * and no service should repeat: the sender check (Electron security checklist: validate every IPC sender)
 * and the `IpcResult` envelope, so nothing throws across the process boundary.
 */
import { ipcMain } from 'electron';
import type { IpcMainInvokeEvent, WebContents } from 'electron';

import { INVOKE_CHANNELS } from '../shared/ipc-contract';
import type { EventChannel, EventContract, InvokeChannel, InvokeHandlers, IpcResult } from '../shared/ipc-contract';
import { isAllowedSenderUrl } from './security';
import type { RendererOrigin } from './security';
import { getAppInfo } from './services/app-info';
import { listBundledScenarios } from './services/bundled-scenarios';

export interface IpcDeps {
  origin: RendererOrigin;
  /** Root that holds `resources/` (the app path in development, `process.resourcesPath` when packaged). */
  resourcesRootPath: string;
}

export function createHandlers(deps: IpcDeps) {
  return {
    'app:getInfo': () => getAppInfo(),
    'scenario:listBundled': () => listBundledScenarios(deps.resourcesRootPath),
  } satisfies InvokeHandlers;
}

/** Only a top-level frame showing the app's own page may call; iframes and foreign pages may not. */
function isAllowedSender(event: IpcMainInvokeEvent, origin: RendererOrigin): boolean {
  const frame = event.senderFrame;
  return frame !== null && frame.parent === null && isAllowedSenderUrl(frame.url, origin);
}

async function settle<T>(run: () => T | Promise<T>, channel: InvokeChannel): Promise<IpcResult<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    console.error(`[ipc] ${channel} failed:`, error);
    return { ok: false, error: { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) } };
  }
}

/** Registers every request channel of the contract; returns a function that removes them again. */
export function registerIpcHandlers(deps: IpcDeps): () => void {
  const handlers: InvokeHandlers = createHandlers(deps);
  for (const channel of INVOKE_CHANNELS) {
    // Today no channel takes arguments, so none are read. A channel that does must parse them (zod) in
    // its handler before use: anything can arrive over IPC.
    ipcMain.handle(channel, (event) => {
      if (!isAllowedSender(event, deps.origin)) {
        console.warn(`[ipc] refused ${channel} from ${event.senderFrame?.url ?? 'a destroyed frame'}`);
        return { ok: false, error: { code: 'FORBIDDEN_SENDER', message: `${channel} is not available to this page` } } satisfies IpcResult<never>;
      }
      return settle(() => handlers[channel](), channel);
    });
  }
  return () => {
    for (const channel of INVOKE_CHANNELS) ipcMain.removeHandler(channel);
  };
}

/** Pushes a typed event to one renderer; the only way main should emit a contract event. */
export function sendEvent<C extends EventChannel>(target: WebContents, channel: C, payload: EventContract[C]): void {
  if (!target.isDestroyed()) target.send(channel, payload);
}
