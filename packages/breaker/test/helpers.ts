/** A manual clock for deterministic tests: no fake timers, the breaker reads `clock.now`. */
export interface ManualClock {
  now: number;
  fn: () => number;
  advance(ms: number): void;
}
export function manualClock(start = 1_000): ManualClock {
  const c: ManualClock = {
    now: start,
    fn: () => c.now,
    advance(ms: number) {
      c.now += ms;
    },
  };
  return c;
}

export const boom = (): never => {
  throw new Error('boom');
};
export const fails = async (): Promise<never> => {
  throw new Error('boom');
};
export const ok = async (): Promise<string> => 'ok';

/** Resolves after ms, or rejects with the signal's reason when it aborts (used for "does not hang" bounds). */
export function settlesWithin<T>(p: Promise<T>, ms: number): Promise<T> {
  let t: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, rej) => {
    t = setTimeout(() => rej(new Error(`did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([p, limit]).finally(() => clearTimeout(t));
}

/** A promise with its resolve/reject exposed. */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
}
export function deferred<T = unknown>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}
