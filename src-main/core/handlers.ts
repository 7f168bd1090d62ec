/**
 * The contract's request channels bound to the core's services (`services/core-services.ts`), one line each, and the envelope every transport
 * uses: Electron's `ipcMain` (main/ipc.ts) and serve mode's WebSocket (serve/server.ts) both call
 * `invokeChannel`, so a request is parsed, answered and wrapped the same way whichever carried it.
 */
import type { AppInfo, InvokeChannel, InvokeContract, InvokeHandlers, IpcResult } from '../shared/ipc-contract';
import { INVOKE_CHANNELS } from '../shared/ipc-contract';
import { FleetService } from '../fleet/fleet-service';
import { listBundledScenarios } from './bundled-scenarios';
import type { CoreServices } from './services/core-services';
import { CoreError } from './requests';

export interface HostInfo {
  /** Identity of the host process (Electron's app, or serve mode's package.json). */
  appInfo: () => AppInfo;
  /** Root that holds `resources/`. */
  resourcesRootPath: string;
  /** What went wrong at start-up (settings that fell back to defaults, …); none when omitted. */
  startupProblems?: () => string[];
  /** The fleet's central history (serve mode's `--fleet-postgres`); without it the `fleet:*` channels answer "not configured". */
  fleet?: FleetService;
}

/** Binds every request channel to the service that answers it (a host passes its `LfcCore`, or the services themselves). */
export function createCoreHandlers(core: { readonly services: CoreServices }, host: HostInfo) {
  const { live, history, exports, replay, settings, records, site } = core.services;
  const fleet = host.fleet ?? new FleetService(null);
  // A central run's CSV in the console's language, as a local run's (services/exports.ts).
  const language = () => (settings.preferences()?.language === 'de' ? 'de' : 'en');
  return {
    'app:getInfo': () => host.appInfo(),
    'scenario:listBundled': () => listBundledScenarios(host.resourcesRootPath),
    'core:getState': () => live.getState(),
    'core:startSimulator': (request) => live.startSimulator(request),
    'core:setSpeed': (speed) => live.setSpeed(speed),
    'core:checkTrigger': (request) => live.checkTrigger(request),
    'core:sendTrigger': (request) => live.sendTrigger(request),
    'core:stop': () => live.stop(),
    'core:startField': () => live.startField(),
    'history:listSeries': () => history.listSeries(),
    'history:querySeries': (query) => history.querySeries(query),
    'history:events': (query) => history.events(query),
    'history:queryForecast': (query) => history.queryForecast(query),
    'runs:list': () => history.listRuns(),
    'runs:export': (runId, format) => exports.exportRun(runId, format),
    // Electron's IPC layer replaces this one: printing needs the calling page (main/pdf.ts).
    'runs:exportPdf': () => {
      throw new CoreError('NOT_AVAILABLE', 'PDF export needs the desktop app: print the report from the browser instead');
    },
    'runs:saveAsScenario': (request) => exports.saveRunAsScenario(request),
    'replay:start': (request) => replay.start(request),
    'replay:getState': () => replay.getState(),
    'replay:stop': () => replay.stop(),
    'settings:get': () => settings.get(),
    'settings:setPreferences': (patch) => settings.setPreferences(patch),
    'connections:test': (connectionId) => settings.testConnection(connectionId),
    'connections:pki': () => site.pki(),
    'connections:trustCertificate': (sha1) => site.trust(sha1),
    'connections:rejectCertificate': (sha1) => site.reject(sha1),
    'site:get': () => site.get(),
    'site:save': (request) => site.save(request),
    'app:getStartupProblems': () => host.startupProblems?.() ?? [],
    'record:verify': (path) => records.verify(path),
    'fleet:getStatus': () => fleet.status(),
    'fleet:listSites': () => fleet.listSites(),
    'fleet:listRuns': (siteId, query) => fleet.listRuns(siteId, query),
    'fleet:listSeries': (siteId) => fleet.listSeries(siteId),
    'fleet:querySeries': (siteId, query) => fleet.querySeries(siteId, query),
    'fleet:events': (siteId, query) => fleet.events(siteId, query),
    'fleet:exportRun': (siteId, runId, format) => fleet.exportRun(siteId, runId, format, language()),
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
