import { MAX_DELAY_MS } from '../backoff.js';
import { CallbackWaiter, unwatch, watch } from './abort.js';

/**
 * Resolves after `ms` (clamped to [0, 2^31-1]); rejects with `signal.reason` as soon as `signal` aborts, clearing the
 * timer, so an aborted sleep leaves nothing behind. `ms <= 0` (or NaN) resolves without a timer.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  if (!(ms > 0)) return Promise.resolve();
  if (ms > MAX_DELAY_MS) ms = MAX_DELAY_MS;
  return new Promise<void>((resolve, reject) => {
    if (signal === undefined) {
      setTimeout(resolve, ms);
      return;
    }
    const waiter = new CallbackWaiter(() => {
      clearTimeout(timer);
      reject(signal.reason);
    });
    const timer = setTimeout(() => {
      unwatch(signal, waiter);
      resolve();
    }, ms);
    watch(signal, waiter);
  });
}

/** Links two optional signals; `dispose()` removes the listeners once the operation settles. */
export function linkSignals(
  a: AbortSignal | undefined,
  b: AbortSignal | undefined,
): { signal: AbortSignal | undefined; dispose: () => void } {
  if (a === undefined || b === undefined) return { signal: a ?? b, dispose: noop };
  if (a.aborted) return { signal: a, dispose: noop };
  if (b.aborted) return { signal: b, dispose: noop };
  const ctrl = new AbortController();
  const onA = new CallbackWaiter(() => {
    dispose();
    ctrl.abort(a.reason);
  });
  const onB = new CallbackWaiter(() => {
    dispose();
    ctrl.abort(b.reason);
  });
  const dispose = (): void => {
    unwatch(a, onA);
    unwatch(b, onB);
  };
  watch(a, onA);
  watch(b, onB);
  return { signal: ctrl.signal, dispose };
}

function noop(): void {}
