/**
 * The renderer's only door to the main process. Components and stores import from here, never
 * `window.lfc`, so the transport is chosen in one place:
 * - inside the Electron app, the preload's bridge `window.lfc`;
 * - in a browser (serve mode), the same contract over a WebSocket to the page's own server (`/ws`),
 *   authorised by the session cookie the server set at login.
 * Both are an `LfcApi`, so every function below is typed by the contract whichever carries it.
 *
 * Functions keep the contract's `IpcResult` envelope: a failed call is a value to show, not an exception.
 */
import type {
  EventChannel,
  EventContract,
  InvokeChannel,
  InvokeContract,
  IpcResult,
  LfcApi,
  Unsubscribe,
} from '../../../src-main/shared/ipc-contract';
import { createWsBridge } from './ws-bridge';
import type { SocketLike } from './ws-bridge';

export type * from '../../../src-main/shared/ipc-contract';

const BRIDGE_UNAVAILABLE = {
  ok: false,
  error: { code: 'BRIDGE_UNAVAILABLE', message: 'Not running inside the Local Flex Controller app (no window.lfc) and no server to talk to.' },
} as const satisfies IpcResult<never>;

let bridgeApi: LfcApi | null | undefined;
const connectionListeners = new Set<(connected: boolean) => void>();
let connected = false;

/** Replaces the transport (unit tests pass a fake `LfcApi`); null means "none". */
export function setBridge(api: LfcApi | null): void {
  bridgeApi = api;
}

function bridge(): LfcApi | null {
  if (bridgeApi !== undefined) return bridgeApi;
  if (typeof window === 'undefined') return (bridgeApi = null);
  if (window.lfc) {
    connected = true;
    return (bridgeApi = window.lfc);
  }
  if (window.location.protocol === 'http:' || window.location.protocol === 'https:') {
    const url = `${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}/ws`;
    const ws = createWsBridge(url, (u) => new WebSocket(u) as unknown as SocketLike);
    ws.onConnectionChange((c) => {
      connected = c;
      for (const l of connectionListeners) l(c);
    });
    return (bridgeApi = ws.api);
  }
  return (bridgeApi = null);
}

/** Which transport carries the calls: the Electron bridge, serve mode's WebSocket, or none. */
export function transportKind(): 'electron' | 'websocket' | 'none' {
  const b = bridge();
  if (!b) return 'none';
  return typeof window !== 'undefined' && window.lfc === b ? 'electron' : 'websocket';
}

export function isConnected(): boolean {
  return connected;
}

export function onConnectionChange(listener: (connected: boolean) => void): Unsubscribe {
  connectionListeners.add(listener);
  return () => connectionListeners.delete(listener);
}

/** Calls one request channel of the contract. */
export function call<C extends InvokeChannel>(channel: C, ...args: InvokeContract[C]['args']): Promise<IpcResult<InvokeContract[C]['result']>> {
  const b = bridge();
  if (!b) return Promise.resolve(BRIDGE_UNAVAILABLE);
  const fn = b[channel] as (...a: InvokeContract[C]['args']) => Promise<IpcResult<InvokeContract[C]['result']>>;
  return fn(...args);
}

/** Subscribes to one event channel; call the returned function to stop (e.g. in onUnmounted). */
export function on<C extends EventChannel>(channel: C, listener: (payload: EventContract[C]) => void): Unsubscribe {
  const b = bridge();
  if (!b) return () => undefined;
  const sub = b[channel] as (l: (payload: EventContract[C]) => void) => Unsubscribe;
  return sub(listener);
}

export const getAppInfo = () => call('app:getInfo');
export const listBundledScenarios = () => call('scenario:listBundled');
export const onEngineStatus = (listener: (status: EventContract['engine:onStatus']) => void) => on('engine:onStatus', listener);
