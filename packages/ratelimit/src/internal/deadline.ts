/**
 * Per-call timeouts with at most one timer: every call has the same timeout, so deadlines arrive in call order and a
 * FIFO plus one timer covers them all (no timer per call). The timer is unref'd, re-armed only when it fires, and not
 * re-armed when nothing is in flight.
 *
 * A settled entry is dropped from the head of the FIFO at once (and the caller drops its own references), so the queue
 * holds only the calls in flight plus settled ones queued behind a slower call — never everything of the last
 * `timeoutMs`. (Keeping every call's closures alive until its deadline pushed them into the old generation and made
 * garbage collection the largest client-side cost under load.)
 */
export interface DeadlineEntry {
  /** Set by {@link DeadlineQueue.add}. */
  deadline: number;
  /** True once settled (answered, failed or timed out). */
  done: boolean;
}

export interface DeadlineQueue<E extends DeadlineEntry> {
  /** Starts the clock for `e` (its deadline is now + timeoutMs). */
  add(e: E): void;
  /** Marks `e` settled. Returns false when it already was (e.g. it timed out first): then ignore the late answer. */
  settle(e: E): boolean;
  /** Entries in flight (for tests). */
  readonly pending: number;
  /** Entries the FIFO still references, settled ones behind a slower call included (for tests). */
  readonly held: number;
}

export function deadlineQueue<E extends DeadlineEntry>(timeoutMs: number, expire: (e: E) => void): DeadlineQueue<E> {
  let q: Array<E | undefined> = [];
  let h = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inFlight = 0;

  const drop = (): void => {
    while (h < q.length && q[h]!.done) q[h++] = undefined;
    if (h === q.length) {
      q.length = 0;
      h = 0;
    } else if (h > 1024 && h * 2 > q.length) {
      q = q.slice(h);
      h = 0;
    }
  };

  const sweep = (): void => {
    timer = undefined;
    const now = performance.now();
    while (h < q.length) {
      const e = q[h]!;
      if (!e.done) {
        if (e.deadline > now) break;
        e.done = true;
        inFlight--;
        expire(e);
      }
      q[h++] = undefined;
    }
    drop();
    if (h < q.length) arm(q[h]!.deadline - now);
  };

  const arm = (ms: number): void => {
    timer = setTimeout(sweep, ms < 1 ? 1 : Math.ceil(ms));
    (timer as { unref?: () => void }).unref?.();
  };

  return {
    get pending() {
      return inFlight;
    },
    get held() {
      return q.length - h;
    },
    add(e) {
      e.deadline = performance.now() + timeoutMs;
      q.push(e);
      inFlight++;
      if (timer === undefined) arm(timeoutMs);
    },
    settle(e) {
      if (e.done) return false;
      e.done = true;
      inFlight--;
      if (q[h] === e) drop();
      return true;
    },
  };
}
