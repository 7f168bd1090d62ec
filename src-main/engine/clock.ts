/**
 * The engine's only source of time. In a replay it is a virtual clock that leaps from event to event; in
 * the app it is the wall clock. The engine never reads the wall clock itself (lint enforces it), so a test can
 * leap six hours in a millisecond and a replay is reproducible bit for bit.
 */
export interface Clock {
  nowMs(): number;
  /** Calls `fn` once at `atMs` (or at once, if that is past). Returns a function that cancels it. */
  schedule(atMs: number, fn: () => void): () => void;
}

interface Scheduled {
  atMs: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/**
 * A discrete-event clock: a binary heap of callbacks ordered by (time, insertion order), so two events at
 * the same instant always fire in the order they were scheduled.
 */
export class VirtualClock implements Clock {
  private heap: Scheduled[] = [];
  private seq = 0;
  private currentMs: number;

  constructor(startMs: number) {
    this.currentMs = startMs;
  }

  nowMs(): number {
    return this.currentMs;
  }

  schedule(atMs: number, fn: () => void): () => void {
    const item: Scheduled = { atMs: Math.max(atMs, this.currentMs), seq: this.seq++, fn, cancelled: false };
    this.push(item);
    return () => {
      item.cancelled = true;
    };
  }

  /** Time of the next pending event, or Infinity. */
  nextAtMs(): number {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.pop();
    return this.heap.length > 0 ? this.heap[0]!.atMs : Infinity;
  }

  /** Fires every event up to and including `untilMs`, in order, then sets the clock to `untilMs`. */
  runUntil(untilMs: number): void {
    for (;;) {
      const next = this.nextAtMs();
      if (next > untilMs) break;
      const item = this.pop()!;
      this.currentMs = item.atMs;
      item.fn();
    }
    if (untilMs > this.currentMs) this.currentMs = untilMs;
  }

  private less(a: Scheduled, b: Scheduled): boolean {
    return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
  }

  private push(item: Scheduled): void {
    const h = this.heap;
    h.push(item);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(h[i]!, h[parent]!)) break;
      [h[i], h[parent]] = [h[parent]!, h[i]!];
      i = parent;
    }
  }

  private pop(): Scheduled | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && this.less(h[l]!, h[m]!)) m = l;
        if (r < h.length && this.less(h[r]!, h[m]!)) m = r;
        if (m === i) break;
        [h[i], h[m]] = [h[m]!, h[i]!];
        i = m;
      }
    }
    return top;
  }
}
