/**
 * The IPC contract over serve mode's WebSocket, with exactly the shape of the preload's `window.lfc`
 * (`LfcApi`), so `api/index.ts` can hand either to the rest of the renderer.
 *
 * Calls made while the socket is connecting for the first time wait for it (up to `callTimeoutMs`); calls
 * made after the link was lost wait only `lostCallTimeoutMs` (default 5 s) for it to come back, so an
 * operator who presses Stop under a dead link learns within seconds that it did not arrive. A call whose
 * socket closes before the answer resolves to a `DISCONNECTED` result (never left hanging, never thrown). The socket reconnects with a
 * growing delay (0.5 s … 5 s); the socket factory offers the session secret on every attempt (see
 * api/index.ts and src-main/serve/server.ts).
 *
 * Kept free of the DOM's globals: the WebSocket constructor is passed in, so the unit tests run it under
 * Node with the `ws` package against a real serve-mode server.
 */
import { EVENT_CHANNELS, INVOKE_CHANNELS } from '../../../src-main/shared/ipc-contract';
import type { EventChannel, IpcResult, LfcApi } from '../../../src-main/shared/ipc-contract';

/** The wire format's subprotocol; equals server.ts's `WS_PROTOCOL` (a unit test checks). */
export const WS_PROTOCOL = 'lfc.v1';
/** A browser offers its session secret as the subprotocol `lfc.s.<secret>` (server.ts). */
export const WS_SESSION_PROTOCOL_PREFIX = 'lfc.s.';

/** The part of the WebSocket API the bridge uses (the browser's and `ws`'s both have it). */
export interface SocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(): void;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: unknown) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
}

export type SocketFactory = (url: string) => SocketLike;

export interface WsBridge {
  api: LfcApi;
  /** Connection state for the console's link indicator. */
  onConnectionChange(listener: (connected: boolean) => void): () => void;
  close(): void;
}

const OPEN = 1;

export function createWsBridge(url: string, connect: SocketFactory, options: { callTimeoutMs?: number; lostCallTimeoutMs?: number } = {}): WsBridge {
  const callTimeoutMs = options.callTimeoutMs ?? 60_000;
  const lostCallTimeoutMs = options.lostCallTimeoutMs ?? 5_000;
  let everOpened = false;
  let socket: SocketLike | null = null;
  let nextId = 1;
  let closed = false;
  let retryMs = 500;
  const pending = new Map<number, { resolve: (r: IpcResult<unknown>) => void; timer: ReturnType<typeof setTimeout>; channel: string }>();
  const queue: string[] = [];
  const listeners = new Map<EventChannel, Set<(payload: unknown) => void>>();
  const connectionListeners = new Set<(connected: boolean) => void>();

  const settleAll = (message: string): void => {
    for (const [id, p] of pending) {
      clearTimeout(p.timer);
      p.resolve({ ok: false, error: { code: 'DISCONNECTED', message } });
      pending.delete(id);
    }
    // A request the operator was told had failed must never be sent later (a trigger, a stop).
    queue.length = 0;
  };

  const open = (): void => {
    if (closed) return;
    const ws = connect(url);
    socket = ws;
    ws.onopen = () => {
      everOpened = true;
      retryMs = 500;
      for (const frame of queue.splice(0)) {
        // Sent now: it gets the full answer time from here, never a "failed" for a request that went out.
        const id = (JSON.parse(frame) as { id: number }).id;
        const p = pending.get(id);
        if (p) {
          clearTimeout(p.timer);
          p.timer = setTimeout(() => timeOut(id, p.channel, callTimeoutMs), callTimeoutMs);
        }
        ws.send(frame);
      }
      for (const l of connectionListeners) l(true);
    };
    ws.onmessage = (ev) => {
      let msg: { id?: number; result?: IpcResult<unknown>; event?: EventChannel; payload?: unknown };
      try {
        msg = JSON.parse(String(ev.data)) as typeof msg;
      } catch {
        return;
      }
      if (typeof msg.id === 'number') {
        const p = pending.get(msg.id);
        if (p && msg.result) {
          clearTimeout(p.timer);
          pending.delete(msg.id);
          p.resolve(msg.result);
        }
      } else if (msg.event) {
        for (const l of listeners.get(msg.event) ?? []) l(msg.payload);
      }
    };
    ws.onerror = () => undefined;
    ws.onclose = () => {
      socket = null;
      settleAll('the connection to the controller was lost; the request may not have arrived');
      for (const l of connectionListeners) l(false);
      if (!closed) {
        setTimeout(open, retryMs);
        retryMs = Math.min(5000, retryMs * 2);
      }
    };
  };

  const timeOut = (id: number, channel: string, waitMs: number): void => {
    const p = pending.get(id);
    if (!p) return;
    pending.delete(id);
    p.resolve({ ok: false, error: { code: 'DISCONNECTED', message: `${channel}: no answer within ${waitMs / 1000} s` } });
  };

  const invoke = (channel: string, args: unknown[]): Promise<IpcResult<unknown>> =>
    new Promise((resolve) => {
      if (closed) return resolve({ ok: false, error: { code: 'DISCONNECTED', message: 'the bridge is closed' } });
      const id = nextId++;
      const frame = JSON.stringify({ id, channel, args });
      const lost = everOpened && !(socket && socket.readyState === OPEN);
      const waitMs = lost ? Math.min(lostCallTimeoutMs, callTimeoutMs) : callTimeoutMs;
      const timer = setTimeout(() => {
        pending.delete(id);
        // Reported as failed: take it out of the queue too, so a reconnect cannot send it after all.
        const queued = queue.indexOf(frame);
        if (queued >= 0) queue.splice(queued, 1);
        resolve({ ok: false, error: { code: 'DISCONNECTED', message: `${channel}: no answer within ${waitMs / 1000} s` } });
      }, waitMs);
      pending.set(id, { resolve, timer, channel });
      if (socket && socket.readyState === OPEN) socket.send(frame);
      else queue.push(frame);
    });

  const surface: Record<string, unknown> = {};
  for (const channel of INVOKE_CHANNELS) surface[channel] = (...args: unknown[]) => invoke(channel, args);
  for (const channel of EVENT_CHANNELS) {
    surface[channel] = (listener: (payload: unknown) => void) => {
      let set = listeners.get(channel);
      if (!set) listeners.set(channel, (set = new Set()));
      set.add(listener);
      return () => set.delete(listener);
    };
  }
  open();
  return {
    // Built from the contract's channel lists, like the preload; the cast is checked by the same lists.
    api: Object.freeze(surface) as LfcApi,
    onConnectionChange(listener) {
      connectionListeners.add(listener);
      return () => connectionListeners.delete(listener);
    },
    close() {
      closed = true;
      socket?.close();
      settleAll('the bridge is closed');
    },
  };
}
