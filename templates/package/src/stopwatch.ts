import { TemplateError } from './errors.js';

/** Options for {@link createStopwatch}. */
export interface StopwatchOptions {
  /** Laps above this duration emit `slow`. Default 1000. */
  slowMs?: number;
  /** Time source in milliseconds. Default `performance.now`. */
  clock?: () => number;
}

/** Events emitted by a stopwatch. */
export interface StopwatchEvents {
  slow: { name: string; ms: number };
}

/** Measures named laps. */
export interface Stopwatch {
  /** Starts a lap; call the returned function to end it and get its duration in ms. */
  start(name: string): () => number;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends keyof StopwatchEvents>(event: E, listener: (e: StopwatchEvents[E]) => void): () => void;
}

/** Defaults applied by {@link createStopwatch}. */
export const STOPWATCH_DEFAULTS: Readonly<Required<StopwatchOptions>> = Object.freeze({
  slowMs: 1000,
  clock: () => performance.now(),
});

/**
 * Creates a stopwatch.
 * @throws {RangeError} when `slowMs` is not a finite number >= 0, naming the option and the value.
 */
export function createStopwatch(opts: StopwatchOptions = {}): Stopwatch {
  const slowMs = opts.slowMs ?? STOPWATCH_DEFAULTS.slowMs;
  if (typeof slowMs !== 'number' || !Number.isFinite(slowMs) || slowMs < 0) {
    throw new RangeError(`stopwatch: slowMs must be a finite number >= 0, got ${String(slowMs)}`);
  }
  const clock = opts.clock ?? STOPWATCH_DEFAULTS.clock;
  let slowListeners: Array<(e: StopwatchEvents['slow']) => void> | null = null;
  return {
    start(name) {
      if (typeof name !== 'string' || name === '')
        throw new TemplateError('ERR_LAP_NAME', 'stopwatch: lap name must be a non-empty string');
      const t0 = clock();
      let done = false;
      return () => {
        if (done) throw new TemplateError('ERR_LAP_ENDED', `stopwatch: lap "${name}" already ended`);
        done = true;
        const ms = clock() - t0;
        if (slowListeners !== null && ms > slowMs) for (const l of slowListeners) l({ name, ms });
        return ms;
      };
    },
    on(event, listener) {
      if (event !== 'slow') throw new TypeError(`stopwatch: unknown event ${String(event)}`);
      const l = listener as (e: StopwatchEvents['slow']) => void;
      slowListeners = [...(slowListeners ?? []), l];
      return () => {
        const next = (slowListeners ?? []).filter((x) => x !== l);
        slowListeners = next.length ? next : null;
      };
    },
  };
}
