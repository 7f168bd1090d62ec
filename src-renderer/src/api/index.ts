/**
 * The renderer's only door to the main process. Components and stores import from here, never
 * `window.lfc`, so the transport is chosen in one place:
 * - inside the Electron app, the preload's bridge `window.lfc`;
 * - in a browser (serve mode), the same contract over a WebSocket to the page's own server (`/ws`),
 *   authorised by this tab's session secret, offered as a subprotocol (never by a cookie: see
 *   src-main/serve/server.ts). The login lands on `/#s=<secret>`; `adoptServeSession` moves the secret
 *   into sessionStorage (this origin and this tab only; a reload keeps it) and out of the address bar.
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
import { createWsBridge, WS_PROTOCOL, WS_SESSION_PROTOCOL_PREFIX } from './ws-bridge';
import type { SocketLike } from './ws-bridge';

export type * from '../../../src-main/shared/ipc-contract';

const BRIDGE_UNAVAILABLE = {
  ok: false,
  error: { code: 'BRIDGE_UNAVAILABLE', message: 'Not running inside the Local Flex Controller app (no window.lfc) and no server to talk to.' },
} as const satisfies IpcResult<never>;

const NOT_SIGNED_IN = {
  ok: false,
  error: {
    code: 'BRIDGE_UNAVAILABLE',
    message: 'This browser tab is not signed in to the controller: open the login URL that `npm run serve` printed (each new tab needs it once).',
  },
} as const satisfies IpcResult<never>;

/** sessionStorage key of serve mode's session secret. */
const SESSION_STORAGE_KEY = 'lfc.serve.session';
/** The login's redirect target `/#s=<secret>` (server.ts: SESSION_FRAGMENT_KEY); base64url only. */
const SESSION_FRAGMENT = /^#s=([A-Za-z0-9_-]+)$/;

/**
 * Serve mode: takes the session secret the login put in the URL fragment, keeps it in this tab's
 * sessionStorage and removes it from the address bar (and so from this history entry). Call it before
 * anything reads `location.hash` (the view navigation does). Does nothing elsewhere.
 */
export function adoptServeSession(): void {
  if (typeof window === 'undefined' || window.lfc) return;
  const match = SESSION_FRAGMENT.exec(window.location.hash);
  if (!match) return;
  window.sessionStorage.setItem(SESSION_STORAGE_KEY, match[1]!);
  window.history.replaceState(window.history.state, '', window.location.pathname + window.location.search);
}

/** This tab's serve-mode session secret, or null (never logged in from this tab). */
function serveSessionSecret(): string | null {
  adoptServeSession();
  return window.sessionStorage.getItem(SESSION_STORAGE_KEY);
}

/** True when the page runs in a browser against serve mode but this tab has no session secret. */
export function needsServeLogin(): boolean {
  if (typeof window === 'undefined' || window.lfc) return false;
  if (window.location.protocol !== 'http:' && window.location.protocol !== 'https:') return false;
  return serveSessionSecret() === null;
}

let bridgeApi: LfcApi | null | undefined;
let unavailable: IpcResult<never> = BRIDGE_UNAVAILABLE;
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
    const secret = serveSessionSecret();
    if (secret === null) {
      unavailable = NOT_SIGNED_IN;
      return (bridgeApi = null);
    }
    const url = `${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}/ws`;
    const protocols = [WS_PROTOCOL, WS_SESSION_PROTOCOL_PREFIX + secret];
    const ws = createWsBridge(url, (u) => new WebSocket(u, protocols) as unknown as SocketLike);
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
  if (!b) return Promise.resolve(unavailable);
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
