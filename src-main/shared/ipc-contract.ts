/**
 * The one IPC contract between the main process and the renderer.
 *
 * Every channel the preload exposes, every handler main registers and every call the renderer makes is
 * derived from this file, so a channel cannot exist on one side only: the preload builds its surface from
 * the channel lists below, main declares its handlers `satisfies InvokeHandlers`, and the renderer types
 * `window.lfc` as `LfcApi`.
 *
 * This module is imported by main, by the sandboxed preload (bundled into it) and, type-only, by the
 * renderer. It must therefore stay pure: no Node, no Electron, no DOM.
 *
 * Naming: `domain:verb` for request/response channels, `domain:onSomething` for events pushed from main.
 * The API key in `window.lfc` IS the channel name, so the same string is grep-able on all three sides.
 */

// ---------------------------------------------------------------------------------------------------
// Result envelope (Signal style): handlers never throw across the process boundary.

/** Why a call failed. `FORBIDDEN_SENDER` and `BRIDGE_UNAVAILABLE` come from the IPC layer itself. */
export type IpcErrorCode =
  /** The calling frame is not the app's own page (see main's sender validation). */
  | 'FORBIDDEN_SENDER'
  /** The request arguments did not match the contract. */
  | 'BAD_REQUEST'
  /** The requested thing does not exist. */
  | 'NOT_FOUND'
  /** The service threw; the message is for the log and the developer, not for the operator. */
  | 'INTERNAL'
  /** Renderer side only: `window.lfc` is absent (page opened outside Electron, e.g. a browser test). */
  | 'BRIDGE_UNAVAILABLE';

export interface IpcError {
  code: IpcErrorCode;
  message: string;
}

export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: IpcError };

// ---------------------------------------------------------------------------------------------------
// Payload types.

export interface AppInfo {
  /** Product name as Electron reports it (package.json `productName`, else `name`). */
  name: string;
  /** Application version (package.json `version`). */
  version: string;
  /** Electron's version, or null when the code runs outside Electron (tests, headless tools). */
  electronVersion: string | null;
  /** Node's `process.platform`, e.g. `linux`, `win32`, `darwin`. */
  platform: string;
}

/** A scenario shipped in `resources/scenarios/<dir>/scenario.json`. */
export interface BundledScenario {
  name: string;
  description: string;
  /** Absolute path of the scenario.json file, to hand back to a later `scenario:*` call. */
  path: string;
}

export interface EngineStatusEvent {
  state: string;
  /** Simulation or wall time of the status change in epoch milliseconds, as the engine's clock says. */
  atMs: number;
}

// ---------------------------------------------------------------------------------------------------
// Channels.

/** Request/response channels (renderer → main → renderer). `args` is the renderer's argument tuple. */
export interface InvokeContract {
  'app:getInfo': { args: []; result: AppInfo };
  'scenario:listBundled': { args: []; result: BundledScenario[] };
}

/** Events pushed from main to the renderer; the value is the payload type. */
export interface EventContract {
  'engine:onStatus': EngineStatusEvent;
}

export type InvokeChannel = keyof InvokeContract;
export type EventChannel = keyof EventContract;
export type Channel = InvokeChannel | EventChannel;

/**
 * The runtime channel lists. The `satisfies` + `Exact` checks below make the compiler reject a list
 * that misses or invents a channel, so the preload (which loops over these) cannot drift from the types.
 */
export const INVOKE_CHANNELS = ['app:getInfo', 'scenario:listBundled'] as const satisfies readonly InvokeChannel[];
export const EVENT_CHANNELS = ['engine:onStatus'] as const satisfies readonly EventChannel[];
export const CHANNELS = [...INVOKE_CHANNELS, ...EVENT_CHANNELS] as const;

type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type AssertTrue<T extends true> = T;
/** Compile-time only: fails to type-check when a list misses a channel of its contract. */
export type _ChannelListsAreComplete = AssertTrue<
  Exact<(typeof INVOKE_CHANNELS)[number], InvokeChannel> | Exact<(typeof EVENT_CHANNELS)[number], EventChannel>
>;

// ---------------------------------------------------------------------------------------------------
// The surfaces built from the contract.

export type Unsubscribe = () => void;

/** What the preload exposes as `window.lfc`: exactly one function per channel, nothing else. */
export type LfcApi = {
  readonly [C in InvokeChannel]: (...args: InvokeContract[C]['args']) => Promise<IpcResult<InvokeContract[C]['result']>>;
} & {
  readonly [C in EventChannel]: (listener: (payload: EventContract[C]) => void) => Unsubscribe;
};

/**
 * What main implements per request channel. Handlers return the plain value (or throw); main's IPC layer
 * validates the sender and wraps the outcome into an `IpcResult`.
 */
export type InvokeHandlers = {
  readonly [C in InvokeChannel]: (...args: InvokeContract[C]['args']) => InvokeContract[C]['result'] | Promise<InvokeContract[C]['result']>;
};
