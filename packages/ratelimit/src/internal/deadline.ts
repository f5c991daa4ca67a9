/**
 * Per-call timeouts with at most one timer: every call has the same timeout, so deadlines arrive in order and a FIFO
 * plus one re-armed timer covers them all (no timer per call). The timer is unref'd and disarmed when idle.
 */
interface Pending {
  deadline: number;
  done: boolean;
  fail: (e: unknown) => void;
}

export interface DeadlineQueue {
  /** Resolves with ok(value of p), or with fail(error) when p rejects or after timeoutMs (fail(onTimeout())). */
  settle<T, R>(p: Promise<T>, ok: (v: T) => R, fail: (e: unknown) => R): Promise<R>;
  /** Number of calls in flight (for tests). */
  readonly pending: number;
}

export function deadlineQueue(timeoutMs: number, onTimeout: () => unknown): DeadlineQueue {
  let q: Pending[] = [];
  let h = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inFlight = 0;

  const sweep = (): void => {
    timer = undefined;
    const now = performance.now();
    while (h < q.length) {
      const e = q[h]!;
      if (!e.done) {
        if (e.deadline > now) break;
        e.done = true;
        inFlight--;
        e.fail(onTimeout());
      }
      q[h++] = undefined as unknown as Pending;
    }
    if (h === q.length) {
      q = [];
      h = 0;
      return;
    }
    if (h > 1024 && h * 2 > q.length) {
      q = q.slice(h);
      h = 0;
    }
    arm(q[h]!.deadline - now);
  };

  const arm = (ms: number): void => {
    timer = setTimeout(sweep, ms < 1 ? 1 : Math.ceil(ms));
    (timer as { unref?: () => void }).unref?.();
  };

  return {
    get pending() {
      return inFlight;
    },
    settle<T, R>(p: Promise<T>, ok: (v: T) => R, fail: (e: unknown) => R): Promise<R> {
      return new Promise<R>((resolve, reject) => {
        const e: Pending = {
          deadline: performance.now() + timeoutMs,
          done: false,
          fail: (err) => {
            try {
              resolve(fail(err));
            } catch (thrown) {
              reject(thrown);
            }
          },
        };
        q.push(e);
        inFlight++;
        if (timer === undefined) arm(timeoutMs);
        p.then(
          (v) => {
            if (e.done) return;
            e.done = true;
            inFlight--;
            try {
              resolve(ok(v));
            } catch (thrown) {
              e.fail(thrown);
            }
          },
          (err) => {
            if (e.done) return;
            e.done = true;
            inFlight--;
            e.fail(err);
          },
        );
      });
    },
  };
}
