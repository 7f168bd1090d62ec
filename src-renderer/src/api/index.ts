/**
 * The renderer's only door to the main process. Components and stores import from here, never
 * `window.lfc`, so the bridge can be faked in one place and its absence handled in one place.
 *
 * Functions keep the contract's `IpcResult` envelope: a failed call is a value to show, not an exception.
 */
import type {
  AppInfo,
  BundledScenario,
  EngineStatusEvent,
  IpcResult,
  LfcApi,
  Unsubscribe,
} from '../../../src-main/shared/ipc-contract';

export type { AppInfo, BundledScenario, EngineStatusEvent, IpcError, IpcResult } from '../../../src-main/shared/ipc-contract';

const BRIDGE_UNAVAILABLE = {
  ok: false,
  error: { code: 'BRIDGE_UNAVAILABLE', message: 'Not running inside the Local Flex Controller app (no window.lfc).' },
} as const satisfies IpcResult<never>;

function bridge(): LfcApi | undefined {
  return window.lfc;
}

export function getAppInfo(): Promise<IpcResult<AppInfo>> {
  return bridge()?.['app:getInfo']() ?? Promise.resolve(BRIDGE_UNAVAILABLE);
}

export function listBundledScenarios(): Promise<IpcResult<BundledScenario[]>> {
  return bridge()?.['scenario:listBundled']() ?? Promise.resolve(BRIDGE_UNAVAILABLE);
}

/** Subscribes to engine status changes; call the returned function to stop (e.g. in onUnmounted). */
export function onEngineStatus(listener: (status: EngineStatusEvent) => void): Unsubscribe {
  return bridge()?.['engine:onStatus'](listener) ?? (() => undefined);
}
