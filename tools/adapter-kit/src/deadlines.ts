// Request deadlines: one timer for every request of an adapter instance.

import { now } from './clock.js';

/**
 * A node of a {@link DeadlineQueue}: the per-request state object itself (no allocation per request). `onDeadline` is
 * called once when the deadline passes before `cancel()`.
 */
export interface DeadlineEntry {
  /** @internal absolute deadline (performance.now() ms); 0 when not queued */
  dlAt: number;
  /** @internal */
  dlPrev: DeadlineEntry | null;
  /** @internal */
  dlNext: DeadlineEntry | null;
  onDeadline(): void;
}

/**
 * Base class of a {@link DeadlineQueue} entry: the intrusive list fields, initialised as the queue expects (`dlAt` 0
 * means "not queued"). Extend it with the request's own state and implement `onDeadline`.
 */
export abstract class DeadlineNode implements DeadlineEntry {
  /** @internal */
  dlAt = 0;
  /** @internal */
  dlPrev: DeadlineEntry | null = null;
  /** @internal */
  dlNext: DeadlineEntry | null = null;
  abstract onDeadline(): void;
}

/**
 * Deadlines of one fixed duration (every request of an adapter has the same timeout), kept in arrival order in an
 * intrusive doubly-linked list with ONE timer for the whole queue: adding and cancelling are O(1) and allocate nothing.
 * The timer is unref'd and only armed while something is queued.
 *
 * For long-lived processes only (Node, Bun, Deno): the timer is shared across requests, and on Workers a timer set
 * inside one request dies with it. Code that may run there uses a timer per request (see the Hono adapter).
 */
export class DeadlineQueue {
  readonly ms: number;
  private head: DeadlineEntry | null = null;
  private tail: DeadlineEntry | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly onTimer = (): void => this.expire();

  constructor(ms: number) {
    this.ms = ms;
  }

  /** Queues `e` to fire `ms` from now. An entry already queued is moved to the end. */
  add(e: DeadlineEntry): void {
    if (e.dlAt !== 0) this.cancel(e);
    e.dlAt = now() + this.ms;
    e.dlPrev = this.tail;
    e.dlNext = null;
    if (this.tail === null) this.head = e;
    else this.tail.dlNext = e;
    this.tail = e;
    if (this.timer === undefined) this.arm(e.dlAt);
  }

  /** Removes `e` if it is queued (its callback will not run). */
  cancel(e: DeadlineEntry): void {
    if (e.dlAt === 0) return;
    const p = e.dlPrev;
    const n = e.dlNext;
    if (p === null) this.head = n;
    else p.dlNext = n;
    if (n === null) this.tail = p;
    else n.dlPrev = p;
    e.dlAt = 0;
    e.dlPrev = null;
    e.dlNext = null;
    // the timer stays armed: when it fires it re-arms for the new head (once per `ms` at most), or stops when empty
  }

  private arm(at: number): void {
    const t = setTimeout(this.onTimer, Math.max(1, Math.ceil(at - now())));
    (t as { unref?: () => void }).unref?.();
    this.timer = t;
  }

  private expire(): void {
    this.timer = undefined;
    const t = now();
    let e = this.head;
    while (e !== null && e.dlAt <= t) {
      this.cancel(e);
      try {
        e.onDeadline();
      } catch (err) {
        // one failing callback must not strand the rest of the queue
        queueMicrotask(() => {
          throw err;
        });
      }
      e = this.head;
    }
    if (e !== null) this.arm(e.dlAt);
  }

  /** @internal for tests: queued entries. */
  get size(): number {
    let n = 0;
    for (let e = this.head; e !== null; e = e.dlNext) n++;
    return n;
  }

  /** @internal for tests: whether the timer is armed. */
  get armed(): boolean {
    return this.timer !== undefined;
  }
}
