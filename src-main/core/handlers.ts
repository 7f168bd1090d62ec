/**
 * The contract's request channels bound to one `LfcCore`, one line each, and the envelope every transport
 * uses: Electron's `ipcMain` (main/ipc.ts) and serve mode's WebSocket (serve/server.ts) both call
 * `invokeChannel`, so a request is parsed, answered and wrapped the same way whichever carried it.
 */
import type { AppInfo, InvokeChannel, InvokeContract, InvokeHandlers, IpcResult } from '../shared/ipc-contract';
import { INVOKE_CHANNELS } from '../shared/ipc-contract';
import { listBundledScenarios } from './bundled-scenarios';
import type { LfcCore } from './lfc-core';
import { CoreError } from './requests';

export interface HostInfo {
  /** Identity of the host process (Electron's app, or serve mode's package.json). */
  appInfo: () => AppInfo;
  /** Root that holds `resources/`. */
  resourcesRootPath: string;
  /** What went wrong at start-up (settings that fell back to defaults, …); none when omitted. */
  startupProblems?: () => string[];
}

export function createCoreHandlers(core: LfcCore, host: HostInfo) {
  return {
    'app:getInfo': () => host.appInfo(),
    'scenario:listBundled': () => listBundledScenarios(host.resourcesRootPath),
    'core:getState': () => core.getState(),
    'core:startSimulator': (request) => core.startSimulator(request),
    'core:setSpeed': (speed) => core.setSpeed(speed),
    'core:checkTrigger': (request) => core.checkTrigger(request),
    'core:sendTrigger': (request) => core.sendTrigger(request),
    'core:stop': () => core.stop(),
    'history:listSeries': () => core.listSeries(),
    'history:querySeries': (query) => core.querySeries(query),
    'history:events': (query) => core.events(query),
    'runs:list': () => core.listRuns(),
    'history:queryForecast': (query) => core.queryForecast(query),
    'runs:export': (runId, format) => core.exportRun(runId, format),
    // Electron's IPC layer replaces this one: printing needs the calling page (main/pdf.ts).
    'runs:exportPdf': () => {
      throw new CoreError('NOT_AVAILABLE', 'PDF export needs the desktop app: print the report from the browser instead');
    },
    'runs:saveAsScenario': (request) => core.saveRunAsScenario(request),
    'replay:start': (request) => core.startReplay(request),
    'replay:getState': () => core.getReplay(),
    'replay:stop': () => core.stopReplay(),
    'settings:get': () => core.getSettings(),
    'settings:setPreferences': (patch) => core.setPreferences(patch),
    'connections:test': (connectionId) => core.testConnection(connectionId),
    'connections:pki': () => core.site.pki(),
    'connections:trustCertificate': (sha1) => core.site.trust(sha1),
    'connections:rejectCertificate': (sha1) => core.site.reject(sha1),
    'site:get': () => core.site.get(),
    'site:save': (request) => core.site.save(request),
    'core:startField': () => core.startField(),
    'app:getStartupProblems': () => host.startupProblems?.() ?? [],
    'record:verify': (path) => core.verifyRecord(path),
  } satisfies InvokeHandlers;
}

const KNOWN = new Set<string>(INVOKE_CHANNELS);

export function isInvokeChannel(channel: unknown): channel is InvokeChannel {
  return typeof channel === 'string' && KNOWN.has(channel);
}

/**
 * Calls one handler with untrusted arguments and wraps the outcome: never throws. A `CoreError` keeps its
 * code (BAD_REQUEST, NOT_FOUND, NOT_READY); anything else is INTERNAL and logged.
 */
export async function invokeChannel<C extends InvokeChannel>(
  handlers: InvokeHandlers,
  channel: C,
  args: unknown[],
): Promise<IpcResult<InvokeContract[C]['result']>> {
  try {
    const handler = handlers[channel] as (...a: unknown[]) => unknown;
    return { ok: true, value: (await handler(...args)) as InvokeContract[C]['result'] };
  } catch (error) {
    if (error instanceof CoreError) return { ok: false, error: { code: error.code, message: error.message } };
    console.error(`[ipc] ${channel} failed:`, error);
    return { ok: false, error: { code: 'INTERNAL', message: error instanceof Error ? error.message : String(error) } };
  }
}
