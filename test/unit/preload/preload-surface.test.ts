/**
 * The preload is the app's attack surface: whatever it exposes, any script in the page can call. This test
 * loads the real preload with `electron` mocked and fails if `window.lfc` has any key that is not a
 * contract channel, lacks one, or hands out anything but plain functions.
 */
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

import { CHANNELS, EVENT_CHANNELS, INVOKE_CHANNELS } from '../../../src-main/shared/ipc-contract';

const electronMock = vi.hoisted(() => {
  const exposed: Array<{ name: string; api: unknown }> = [];
  return {
    exposed,
    contextBridge: {
      exposeInMainWorld: (name: string, api: unknown) => {
        exposed.push({ name, api });
      },
      exposeInIsolatedWorld: () => {
        throw new Error('the preload must expose to the main world only');
      },
    },
    ipcRenderer: {
      invoke: vi.fn((..._args: unknown[]) => Promise.resolve({ ok: true, value: 'from main' })),
      on: vi.fn(),
      removeListener: vi.fn(),
      send: vi.fn(),
      sendSync: vi.fn(),
    },
  };
});

vi.mock('electron', () => ({
  contextBridge: electronMock.contextBridge,
  ipcRenderer: electronMock.ipcRenderer,
}));

let api: Record<string, unknown>;

beforeAll(async () => {
  await import('../../../src-main/preload/index');
  expect(electronMock.exposed).toHaveLength(1);
  const [only] = electronMock.exposed;
  expect(only?.name).toBe('lfc');
  api = only?.api as Record<string, unknown>;
});

beforeEach(() => {
  vi.clearAllMocks();
});

describe('preload surface', () => {
  it('exposes exactly one function per contract channel, nothing more, nothing less', () => {
    expect(Object.keys(api).sort()).toEqual([...CHANNELS].sort());
    // Symbols and non-enumerable properties would slip past Object.keys.
    expect(Reflect.ownKeys(api).sort()).toEqual([...CHANNELS].sort());
    for (const key of CHANNELS) expect(typeof api[key], key).toBe('function');
  });

  it('never exposes ipcRenderer or any of its methods', () => {
    const leaked = new Set<unknown>([electronMock.ipcRenderer, ...Object.values(electronMock.ipcRenderer)]);
    for (const value of Object.values(api)) expect(leaked.has(value)).toBe(false);
  });

  it('is frozen, so the page cannot swap a function for its own', () => {
    expect(Object.isFrozen(api)).toBe(true);
  });

  it.each(INVOKE_CHANNELS)('%s invokes its own channel and returns what main answered', async (channel) => {
    const call = api[channel] as (...args: unknown[]) => Promise<unknown>;
    await expect(call()).resolves.toEqual({ ok: true, value: 'from main' });
    expect(electronMock.ipcRenderer.invoke).toHaveBeenCalledExactlyOnceWith(channel);
    expect(electronMock.ipcRenderer.send).not.toHaveBeenCalled();
    expect(electronMock.ipcRenderer.sendSync).not.toHaveBeenCalled();
  });

  it.each(EVENT_CHANNELS)('%s passes the payload only, and its unsubscribe removes the same listener', (channel) => {
    const subscribe = api[channel] as (listener: (payload: unknown) => void) => () => void;
    const received: unknown[] = [];
    const unsubscribe = subscribe((payload) => received.push(payload));

    expect(electronMock.ipcRenderer.on).toHaveBeenCalledOnce();
    const [onChannel, forward] = electronMock.ipcRenderer.on.mock.calls[0] as [string, (event: unknown, payload: unknown) => void];
    expect(onChannel).toBe(channel);

    const event = { sender: electronMock.ipcRenderer };
    forward(event, { state: 'running', atMs: 1_000 });
    // Only the payload: the IpcRendererEvent carries `sender`, i.e. ipcRenderer itself.
    expect(received).toEqual([{ state: 'running', atMs: 1_000 }]);

    expect(typeof unsubscribe).toBe('function');
    unsubscribe();
    expect(electronMock.ipcRenderer.removeListener).toHaveBeenCalledExactlyOnceWith(channel, forward);
  });
});
