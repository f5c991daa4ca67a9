import { BulkheadFullError, invalidOption } from './errors.js';

/** Options for {@link bulkhead}. */
export interface BulkheadOptions {
  /** Calls allowed to run at once. Integer >= 1. Default 10. */
  maxConcurrent?: number;
  /** Calls allowed to wait for a slot. Integer >= 0 or `Infinity`. Default 0 (reject at once when full). */
  maxQueue?: number;
}

/** Defaults applied by {@link bulkhead}. */
export const BULKHEAD_DEFAULTS: Readonly<Required<BulkheadOptions>> = Object.freeze({
  maxConcurrent: 10,
  maxQueue: 0,
});

/** A function run in the bulkhead; receives the caller's signal, if any. */
export type BulkheadTask<T> = (signal: AbortSignal | undefined) => T | PromiseLike<T>;

/** Bulkhead counters. */
export interface BulkheadStats {
  /** Calls running. */
  active: number;
  /** Calls waiting for a slot. */
  queued: number;
  maxConcurrent: number;
  maxQueue: number;
  /** Lifetime: calls rejected because slots and queue were full. */
  totalRejected: number;
  /** Lifetime: queued calls abandoned because their signal aborted. */
  totalAborted: number;
}

/** Limits how many calls run at once, with an optional bounded, abortable queue. */
export interface Bulkhead {
  /**
   * Runs `fn` when a slot is free. Rejects with {@link BulkheadFullError} when slots and queue are full, and with the
   * signal's reason as soon as `signal` aborts while the call waits (the slot it would have had goes to the next).
   */
  execute<T>(fn: BulkheadTask<T>, signal?: AbortSignal): Promise<T>;
  /** Calls running. */
  readonly active: number;
  /** Calls waiting. */
  readonly queued: number;
  /** Counters, O(1). */
  stats(): BulkheadStats;
}

interface Waiter {
  fn: BulkheadTask<unknown>;
  signal: AbortSignal | undefined;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  onAbort: (() => void) | null;
  prev: Waiter | null;
  next: Waiter | null;
}

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  v !== null &&
  (typeof v === 'object' || typeof v === 'function') &&
  typeof (v as { then?: unknown }).then === 'function';

/**
 * Creates a bulkhead. The queue is a linked list: enqueue, dequeue and removal on abort are O(1), and no timer is ever
 * created.
 * @throws {RangeError} on a bad option, naming it and the value.
 */
export function bulkhead(opts: BulkheadOptions = {}): Bulkhead {
  const maxConcurrent = opts.maxConcurrent ?? BULKHEAD_DEFAULTS.maxConcurrent;
  if (typeof maxConcurrent !== 'number' || !Number.isInteger(maxConcurrent) || maxConcurrent < 1)
    throw invalidOption(RangeError, `bulkhead: maxConcurrent must be an integer >= 1, got ${String(maxConcurrent)}`);
  const maxQueue = opts.maxQueue ?? BULKHEAD_DEFAULTS.maxQueue;
  if (
    typeof maxQueue !== 'number' ||
    !(maxQueue === Number.POSITIVE_INFINITY || (Number.isInteger(maxQueue) && maxQueue >= 0))
  )
    throw invalidOption(RangeError, `bulkhead: maxQueue must be an integer >= 0 or Infinity, got ${String(maxQueue)}`);

  let active = 0;
  let queued = 0;
  let head: Waiter | null = null;
  let tail: Waiter | null = null;
  let totalRejected = 0;
  let totalAborted = 0;

  const unlink = (w: Waiter): void => {
    if (w.prev !== null) w.prev.next = w.next;
    else head = w.next;
    if (w.next !== null) w.next.prev = w.prev;
    else tail = w.prev;
    w.prev = w.next = null;
    queued--;
  };

  const release = (): void => {
    active--;
    const w = head;
    if (w === null) return;
    unlink(w);
    if (w.onAbort !== null) w.signal!.removeEventListener('abort', w.onAbort);
    start(w.fn, w.signal, w.resolve, w.reject);
  };
  const onSettled = (v: unknown): unknown => {
    release();
    return v;
  };
  const onFailed = (e: unknown): never => {
    release();
    throw e;
  };

  const start = (
    fn: BulkheadTask<unknown>,
    signal: AbortSignal | undefined,
    resolve: ((v: unknown) => void) | null,
    reject: ((e: unknown) => void) | null,
  ): Promise<unknown> | undefined => {
    active++;
    let r: unknown;
    try {
      r = fn(signal);
    } catch (e) {
      release();
      if (reject === null) return Promise.reject(e);
      reject(e);
      return undefined;
    }
    const p = isThenable(r) ? Promise.resolve(r).then(onSettled, onFailed) : Promise.resolve(onSettled(r));
    if (resolve === null) return p;
    p.then(resolve, reject);
    return undefined;
  };

  return {
    execute<T>(fn: BulkheadTask<T>, signal?: AbortSignal): Promise<T> {
      if (signal?.aborted) return Promise.reject(signal.reason);
      if (active < maxConcurrent) return start(fn, signal, null, null) as Promise<T>;
      if (queued >= maxQueue) {
        totalRejected++;
        return Promise.reject(new BulkheadFullError(maxConcurrent, maxQueue));
      }
      return new Promise<T>((resolve, reject) => {
        const w: Waiter = {
          fn,
          signal,
          resolve: resolve as (v: unknown) => void,
          reject,
          onAbort: null,
          prev: tail,
          next: null,
        };
        if (tail !== null) tail.next = w;
        else head = w;
        tail = w;
        queued++;
        if (signal !== undefined) {
          w.onAbort = () => {
            unlink(w);
            totalAborted++;
            reject(signal.reason);
          };
          signal.addEventListener('abort', w.onAbort, { once: true });
        }
      });
    },
    get active() {
      return active;
    },
    get queued() {
      return queued;
    },
    stats: () => ({ active, queued, maxConcurrent, maxQueue, totalRejected, totalAborted }),
  };
}
