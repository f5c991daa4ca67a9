// AbortSignal is an EventTarget, and on Node add+removeEventListener costs ~2 µs — more than the whole retry success
// path. So each signal gets ONE real listener, added the first time we see it and kept; per-call subscriptions are
// nodes of an intrusive doubly-linked list (O(1), no hashing, no allocation beyond the node). A signal therefore
// carries at most one listener from this package however many calls use it, and the list only holds calls in flight.

/** A subscription: anything with `onAbort()` and list links (the caller's own state object, so no extra allocation). */
export interface AbortWaiter {
  onAbort(): void;
  /** @internal list links, managed here */
  prevWaiter: AbortWaiter | null;
  nextWaiter: AbortWaiter | null;
}

interface WaitList {
  head: AbortWaiter | null;
  size: number;
}

const registry = new WeakMap<AbortSignal, WaitList>();

/** Calls `w.onAbort()` once when `signal` aborts. The signal must not be aborted yet. Undo with {@link unwatch}. */
export function watch(signal: AbortSignal, w: AbortWaiter): void {
  let list = registry.get(signal);
  if (list === undefined) {
    const l: WaitList = { head: null, size: 0 };
    list = l;
    registry.set(signal, l);
    signal.addEventListener(
      'abort',
      () => {
        registry.delete(signal);
        let n = l.head;
        l.head = null;
        l.size = 0;
        while (n !== null) {
          const next = n.nextWaiter;
          n.prevWaiter = n.nextWaiter = null;
          n.onAbort();
          n = next;
        }
      },
      { once: true },
    );
  }
  w.prevWaiter = null;
  w.nextWaiter = list.head;
  if (list.head !== null) list.head.prevWaiter = w;
  list.head = w;
  list.size++;
}

/** Removes a waiter added by {@link watch}; harmless if it already ran or was removed. */
export function unwatch(signal: AbortSignal, w: AbortWaiter): void {
  const list = registry.get(signal);
  if (list === undefined) return;
  if (w.prevWaiter !== null) w.prevWaiter.nextWaiter = w.nextWaiter;
  else if (list.head === w) list.head = w.nextWaiter;
  else return; // not in the list
  if (w.nextWaiter !== null) w.nextWaiter.prevWaiter = w.prevWaiter;
  w.prevWaiter = w.nextWaiter = null;
  list.size--;
}

/** A waiter around a plain callback (for the less hot paths: sleeps, linked signals). */
export class CallbackWaiter implements AbortWaiter {
  prevWaiter: AbortWaiter | null = null;
  nextWaiter: AbortWaiter | null = null;
  private readonly cb: () => void;
  constructor(cb: () => void) {
    this.cb = cb;
  }
  onAbort(): void {
    this.cb();
  }
}

/** Number of calls waiting on `signal` (for tests: proves that settled calls leave nothing behind). */
export function pendingAbortCallbacks(signal: AbortSignal): number {
  return registry.get(signal)?.size ?? 0;
}
