/**
 * What the core's services take from their host: its wall clock and timers, its preferences store, and the
 * listener of the contract's events. Kept apart so every service (and the composition, `core-services.ts`)
 * imports the same few types without importing one another.
 */
import type { EventChannel, EventContract, Preferences, Unsubscribe } from '../../shared/ipc-contract';

export interface WallTimers {
  now(): number;
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

export const realWallTimers: WallTimers = {
  now: () => Date.now(),
  setInterval: (fn, ms) => {
    const h = setInterval(fn, ms);
    h.unref?.();
    return h;
  },
  clearInterval: (h) => clearInterval(h as ReturnType<typeof setInterval>),
};

/** Where the host keeps the operator's display preferences (its settings store). */
export interface PreferencesPort {
  get(): Preferences;
  /** Validates and stores; throws (changing nothing) when a value is invalid. */
  set(patch: Partial<Preferences>): Preferences;
}

export type CoreEventListener = <C extends EventChannel>(channel: C, payload: EventContract[C]) => void;

/** The scenario the simulator starts on, and the site template takes its plant from. */
export const DEFAULT_SCENARIO = 'summer-export-hold';

/** The contract's events (`core:onLive`, `replay:onProgress`) to whoever listens: the IPC layer, the WebSocket. */
export class CoreEvents {
  private readonly listeners = new Set<CoreEventListener>();

  subscribe(listener: CoreEventListener): Unsubscribe {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A listener that throws is logged; the others still hear the event. */
  emit<C extends EventChannel>(channel: C, payload: EventContract[C]): void {
    for (const l of this.listeners) {
      try {
        l(channel, payload);
      } catch (error) {
        console.error(`[core] a ${channel} listener failed:`, error);
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}
