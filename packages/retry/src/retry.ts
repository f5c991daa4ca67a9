import { type Backoff, type BackoffOptions, type BackoffType, createBackoff, MAX_DELAY_MS } from './backoff.js';
import { isRetryBudget, type RetryBudget } from './budget.js';
import { AttemptTimeoutError, invalidArgument, invalidOption } from './errors.js';
import { type AbortWaiter, unwatch, watch } from './internal/abort.js';
import { sleep as defaultSleep, linkSignals } from './internal/sleep.js';
import { checkFunction, checkKeys, checkNumber, describe, isSignal } from './internal/validate.js';
import { hintFrom } from './retry-after.js';

/** What the retried function receives. */
export interface AttemptContext {
  /** 1 for the first attempt, 2 for the first retry, ... */
  readonly attempt: number;
  /**
   * Aborted when the caller's signal aborts or when `attemptTimeoutMs` elapses (reason: `AttemptTimeoutError`).
   * Created lazily: an attempt that never reads it costs no AbortController.
   */
  readonly signal: AbortSignal;
}

/** The function retried: sync or async. */
export type RetryFn<T> = (ctx: AttemptContext) => T | PromiseLike<T>;

/** The outcome of one attempt: it threw (`error`) or returned (`result`). Narrow with `'error' in outcome`. */
export type Outcome<T> = { error: unknown } | { result: T };

/** What `retryOn` receives. */
export type RetryOnContext<T> = Outcome<T> & {
  /** The attempt that produced the outcome (1-based). */
  attempt: number;
  /** Time since the call started, in ms. */
  elapsedMs: number;
};

/** What `onRetry` receives, before the delay. */
export type RetryEvent<T> = RetryOnContext<T> & {
  /** The delay before the next attempt, in ms (after Retry-After, caps and `maxElapsedMs`). */
  delayMs: number;
  /** The server's hint (Retry-After or `retryAfterMs`) when one (> 0) was found and honoured, in ms, before the cap. */
  retryAfterMs: number | undefined;
};

/** Why retrying stopped. */
export type GiveUpReason = 'attempts' | 'notRetryable' | 'maxElapsed' | 'budget';

/** What `onGiveUp` receives. Not called when the caller aborts. */
export type GiveUpEvent<T> = Outcome<T> & {
  /** Attempts made. */
  attempts: number;
  /** Time since the call started, in ms. */
  elapsedMs: number;
  /**
   * `attempts` exhausted; `notRetryable`: `retryOn` said no or the hint was `retryAfterMs: Infinity`; `maxElapsed`:
   * the deadline is reached (or a server hint goes beyond it); `budget`: the shared budget has no token.
   */
  reason: GiveUpReason;
};

/** Options of {@link retry} and {@link retryPolicy}. */
export interface RetryOptions<T = unknown> {
  /** Total attempts including the first (Infinity allowed: stop with `signal` or `maxElapsedMs`). Default 3. */
  attempts?: number;
  /** Delay curve: options, a curve name, or a `createBackoff()` result. Default exponential, 100 ms → 30 s, full jitter. */
  backoff?: BackoffOptions | BackoffType | Backoff;
  /**
   * Decides whether an outcome is retried; called for errors AND results (return false for results you accept).
   * May return a promise. Default: an error with a boolean `retryable` is retried when it is `true` and never when it
   * is `false`; any other error is retried unless it is an `AbortError`; every result is accepted.
   */
  retryOn?: (ctx: RetryOnContext<T>) => boolean | PromiseLike<boolean>;
  /** Per-attempt time limit in ms: the attempt's signal aborts and the attempt fails with `AttemptTimeoutError`. */
  attemptTimeoutMs?: number;
  /** Total time budget in ms: no attempt starts after it, and the last delay is cut to fit. Default Infinity. */
  maxElapsedMs?: number;
  /** Aborts the whole call, including a running attempt and a backoff sleep; rejects with `signal.reason`. */
  signal?: AbortSignal;
  /** Shared {@link RetryBudget}: retries happen only while it has tokens. */
  budget?: RetryBudget;
  /**
   * Use the server's hint (retry-after-ms / Retry-After headers, or a numeric `retryAfterMs` property) as the delay
   * when it is > 0; a hint of 0 leaves the backoff in charge; `retryAfterMs: Infinity` stops retrying. Default true.
   */
  honorRetryAfter?: boolean;
  /** Cap on an honoured server hint, in ms. Default 60000. */
  maxRetryAfterMs?: number;
  /** Called before each delay. */
  onRetry?: (e: RetryEvent<T>) => void;
  /** Called once when retrying stops on a failure (not on the caller's abort, not on an accepted result). */
  onGiveUp?: (e: GiveUpEvent<T>) => void;
  /** Monotonic time source in ms. Default `performance.now`. */
  clock?: () => number;
  /** Random source in [0, 1) for jitter. Default `Math.random`. */
  random?: () => number;
  /** Sleep function (tests inject one that advances a fake clock). Default: an abortable timer. */
  sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
}

/** Defaults applied by {@link retry} and {@link retryPolicy}. */
export const RETRY_DEFAULTS: Readonly<{
  attempts: number;
  maxElapsedMs: number;
  honorRetryAfter: boolean;
  maxRetryAfterMs: number;
}> = Object.freeze({
  attempts: 3,
  maxElapsedMs: Number.POSITIVE_INFINITY,
  honorRetryAfter: true,
  maxRetryAfterMs: 60_000,
});

/** A reusable, validated retry configuration. */
export interface RetryPolicy {
  /** Runs `fn` with retries. `signal` is combined with the policy's own `signal` option. */
  execute<T>(fn: RetryFn<T>, signal?: AbortSignal): Promise<T>;
}

interface Config {
  attempts: number;
  backoff: Backoff;
  retryOn: ((ctx: RetryOnContext<any>) => boolean | PromiseLike<boolean>) | undefined;
  timeoutMs: number | undefined;
  maxElapsedMs: number;
  budget: RetryBudget | undefined;
  honorRetryAfter: boolean;
  maxRetryAfterMs: number;
  onRetry: ((e: RetryEvent<any>) => void) | undefined;
  onGiveUp: ((e: GiveUpEvent<any>) => void) | undefined;
  clock: () => number;
  /** Whether anything reads elapsed time (else the clock is never read). */
  timed: boolean;
  /** Nothing but `fn` runs on a first success (see firstAttempt): no timeout, retryOn, budget or clock. */
  plain: boolean;
  sleep: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
}

const KEYS: ReadonlySet<string> = new Set([
  'attempts',
  'backoff',
  'retryOn',
  'attemptTimeoutMs',
  'maxElapsedMs',
  'signal',
  'budget',
  'honorRetryAfter',
  'maxRetryAfterMs',
  'onRetry',
  'onGiveUp',
  'clock',
  'random',
  'sleep',
]);

const perfNow = (): number => performance.now();
let defaultConfig: Config | undefined;
let defaultBackoff: Backoff | undefined;

function normalize(o: RetryOptions<any>, where: string): Config {
  if (typeof o !== 'object' || o === null)
    throw invalidOption(TypeError, `${where}: options must be an object, got ${describe(o)}`);
  checkKeys(where, o, KEYS);
  const attempts = checkNumber(where, 'attempts', o.attempts ?? RETRY_DEFAULTS.attempts, 1, true, true);
  const random = checkFunction<() => number>(where, 'random', o.random) ?? Math.random;
  const b = o.backoff;
  const backoff =
    typeof b === 'object' &&
    b !== null &&
    typeof (b as Backoff).delay === 'function' &&
    typeof (b as Backoff).ceiling === 'function'
      ? (b as Backoff)
      : b === undefined && random === Math.random
        ? (defaultBackoff ??= createBackoff())
        : createBackoff(b as BackoffOptions | BackoffType | undefined, random);
  let timeoutMs: number | undefined;
  if (o.attemptTimeoutMs !== undefined) {
    const t = o.attemptTimeoutMs;
    if (typeof t !== 'number' || !(t > 0))
      throw invalidOption(
        typeof t === 'number' ? RangeError : TypeError,
        `${where}: attemptTimeoutMs must be a number > 0 (or Infinity), got ${describe(t)}`,
      );
    timeoutMs = t === Number.POSITIVE_INFINITY ? undefined : Math.min(t, MAX_DELAY_MS);
  }
  const maxElapsedMs = checkNumber(where, 'maxElapsedMs', o.maxElapsedMs ?? RETRY_DEFAULTS.maxElapsedMs, 0, true);
  if (o.signal !== undefined && !isSignal(o.signal))
    throw invalidOption(TypeError, `${where}: signal must be an AbortSignal, got ${describe(o.signal)}`);
  if (o.budget !== undefined && !isRetryBudget(o.budget))
    throw invalidOption(TypeError, `${where}: budget must be a retryBudget(), got ${describe(o.budget)}`);
  const honor = o.honorRetryAfter ?? RETRY_DEFAULTS.honorRetryAfter;
  if (typeof honor !== 'boolean')
    throw invalidOption(TypeError, `${where}: honorRetryAfter must be a boolean, got ${describe(honor)}`);
  const maxRetryAfterMs = Math.min(
    checkNumber(where, 'maxRetryAfterMs', o.maxRetryAfterMs ?? RETRY_DEFAULTS.maxRetryAfterMs, 0, true),
    MAX_DELAY_MS,
  );
  const retryOn = checkFunction<Config['retryOn']>(where, 'retryOn', o.retryOn);
  const onRetry = checkFunction<Config['onRetry']>(where, 'onRetry', o.onRetry);
  const onGiveUp = checkFunction<Config['onGiveUp']>(where, 'onGiveUp', o.onGiveUp);
  const timed =
    maxElapsedMs !== Number.POSITIVE_INFINITY ||
    retryOn !== undefined ||
    onRetry !== undefined ||
    onGiveUp !== undefined;
  return {
    attempts,
    backoff,
    retryOn,
    timeoutMs,
    maxElapsedMs,
    budget: o.budget,
    honorRetryAfter: honor,
    maxRetryAfterMs,
    onRetry,
    onGiveUp,
    clock: checkFunction<() => number>(where, 'clock', o.clock) ?? perfNow,
    timed,
    plain: !timed && timeoutMs === undefined && o.budget === undefined,
    sleep: checkFunction<Config['sleep']>(where, 'sleep', o.sleep) ?? defaultSleep,
  };
}

/** The context of an attempt with no caller signal and no timeout; its signal is created only when read. */
class PlainAttempt implements AttemptContext {
  readonly attempt: number;
  private ctrl: AbortController | undefined;
  constructor(attempt: number) {
    this.attempt = attempt;
    this.ctrl = undefined;
  }
  get signal(): AbortSignal {
    this.ctrl ??= new AbortController();
    return this.ctrl.signal;
  }
}

/**
 * A guarded attempt (caller signal and/or timeout): the context passed to `fn` and, in the same object (one allocation),
 * the race between `fn`'s promise, the caller's abort and the attempt timer. Its own signal is created only when read.
 */
class GuardedAttempt<T> implements AttemptContext, AbortWaiter {
  readonly attempt: number;
  prevWaiter: AbortWaiter | null = null;
  nextWaiter: AbortWaiter | null = null;
  private readonly outer: AbortSignal | undefined;
  private readonly own: boolean;
  private ctrl: AbortController | undefined = undefined;
  private reason: unknown = undefined;
  private aborted = false;
  private done = false;
  private timer: ReturnType<typeof setTimeout> | undefined = undefined;
  private resolve: ((v: T) => void) | undefined = undefined;
  private reject: ((e: unknown) => void) | undefined = undefined;

  constructor(attempt: number, outer: AbortSignal | undefined, own: boolean) {
    this.attempt = attempt;
    this.outer = outer;
    this.own = own;
  }

  get signal(): AbortSignal {
    if (this.ctrl === undefined) {
      if (this.outer !== undefined && !this.own) return this.outer;
      this.ctrl = new AbortController();
      if (this.aborted) this.ctrl.abort(this.reason);
    }
    return this.ctrl.signal;
  }

  /** Runs `fn`, settling early when the caller aborts or the attempt times out. */
  run(fn: RetryFn<T>, timeoutMs: number | undefined): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
      const outer = this.outer;
      if (outer !== undefined) {
        if (outer.aborted) return this.onAbort();
        watch(outer, this);
      }
      if (timeoutMs !== undefined) this.timer = setTimeout(() => this.onTimeout(timeoutMs), timeoutMs);
      let p: T | PromiseLike<T>;
      try {
        p = fn(this);
      } catch (e) {
        this.fail(e);
        return;
      }
      if (isThenable(p)) {
        p.then(
          (v) => this.ok(v),
          (e) => this.fail(e),
        );
      } else this.ok(p);
    });
  }

  private finish(): boolean {
    if (this.done) return false;
    this.done = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.outer !== undefined) unwatch(this.outer, this);
    return true;
  }
  private ok(v: T): void {
    if (this.finish()) this.resolve!(v);
  }
  private fail(e: unknown): void {
    if (this.finish()) this.reject!(e);
  }
  private abortWith(reason: unknown): void {
    this.aborted = true;
    this.reason = reason;
    this.ctrl?.abort(reason);
    this.reject!(reason);
  }
  /** The caller's signal aborted. */
  onAbort(): void {
    if (this.finish()) this.abortWith(this.outer!.reason);
  }
  private onTimeout(timeoutMs: number): void {
    this.timer = undefined;
    if (this.finish()) this.abortWith(new AttemptTimeoutError(this.attempt, timeoutMs));
  }
}

/**
 * An error's own `retryable: boolean` decides (the error contract of every @org package); without one, everything but
 * an `AbortError` is retried.
 */
function defaultRetryOn(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return true;
  const r = (error as { retryable?: unknown }).retryable;
  if (typeof r === 'boolean') return r;
  return (error as { name?: unknown }).name !== 'AbortError';
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as PromiseLike<unknown>).then === 'function';
}

/**
 * The first attempt of a plain config (no signal): `fn`'s promise with a rejection handler that goes on retrying. A
 * first success, the common case, then costs one `then` instead of an async function's frame, await and resume: the
 * bulk of the overhead over a bare `await fn()`.
 */
function firstAttempt<T>(c: Config, fn: RetryFn<T>): Promise<T> {
  if (typeof fn !== 'function')
    return Promise.reject(invalidArgument(TypeError, `retry: fn must be a function, got ${describe(fn)}`));
  let p: T | PromiseLike<T>;
  try {
    p = fn(new PlainAttempt(1));
  } catch (e) {
    return run(c, fn, undefined, { error: e });
  }
  const q: Promise<T> = p instanceof Promise ? p : Promise.resolve(p);
  return q.then(undefined, (e: unknown) => run(c, fn, undefined, { error: e }));
}

/**
 * firstAttempt with a caller signal: the attempt races the signal (GuardedAttempt), and the caller's abort still wins
 * over a success that lands in the same turn.
 */
function firstGuardedAttempt<T>(c: Config, fn: RetryFn<T>, signal: AbortSignal): Promise<T> {
  if (typeof fn !== 'function')
    return Promise.reject(invalidArgument(TypeError, `retry: fn must be a function, got ${describe(fn)}`));
  if (signal.aborted) return Promise.reject(signal.reason);
  return new GuardedAttempt<T>(1, signal, false).run(fn, undefined).then(
    (v) => (signal.aborted ? Promise.reject(signal.reason) : v),
    (e: unknown) => (signal.aborted ? Promise.reject(signal.reason) : run(c, fn, signal, { error: e })),
  );
}

/** Runs the retry loop; `first` is the outcome of a first attempt already made (by firstAttempt). */
async function run<T>(
  c: Config,
  fn: RetryFn<T>,
  signal: AbortSignal | undefined,
  first?: { error: unknown },
): Promise<T> {
  if (typeof fn !== 'function') throw invalidArgument(TypeError, `retry: fn must be a function, got ${describe(fn)}`);
  if (signal?.aborted) throw signal.reason;
  if (c.budget !== undefined) c.budget.recordExecution();
  const start = c.timed ? c.clock() : 0;
  const guarded = signal !== undefined || c.timeoutMs !== undefined;
  let prevDelay = 0;
  for (let attempt = 1; ; attempt++) {
    let failed = false;
    let error: unknown;
    let value: T | undefined;
    if (attempt === 1 && first !== undefined) {
      failed = true;
      error = first.error;
    } else {
      try {
        value = guarded
          ? await new GuardedAttempt<T>(attempt, signal, c.timeoutMs !== undefined).run(fn, c.timeoutMs)
          : await fn(new PlainAttempt(attempt));
      } catch (e) {
        failed = true;
        error = e;
      }
    }
    if (signal?.aborted) throw signal.reason; // the caller's abort wins over any outcome
    if (!failed && c.retryOn === undefined) return value as T;

    const elapsedMs = c.timed ? c.clock() - start : 0;
    const info: RetryOnContext<T> = failed ? { error, attempt, elapsedMs } : { result: value as T, attempt, elapsedMs };
    let retryable: boolean;
    if (c.retryOn === undefined) retryable = defaultRetryOn(error);
    else {
      let r = c.retryOn(info);
      if (isThenable(r)) {
        r = await r;
        if (signal?.aborted) throw signal.reason;
      }
      retryable = !!r;
    }

    let reason: GiveUpReason | undefined;
    let delay = 0;
    let hint: number | undefined;
    if (!retryable) {
      if (!failed) return value as T;
      reason = 'notRetryable';
    } else if (attempt >= c.attempts) reason = 'attempts';
    else {
      hint = c.honorRetryAfter ? hintFrom(failed ? error : value) : undefined;
      if (hint === Number.POSITIVE_INFINITY)
        reason = 'notRetryable'; // "never" (e.g. an isolated circuit)
      else if (hint !== undefined && hint > 0) delay = hint < c.maxRetryAfterMs ? hint : c.maxRetryAfterMs;
      else {
        hint = undefined; // 0 means "no particular time": the backoff applies
        delay = c.backoff.delay(attempt, prevDelay);
        if (!(delay >= 0))
          delay = 0; // a custom curve cannot produce NaN or a negative sleep
        else if (delay > MAX_DELAY_MS) delay = MAX_DELAY_MS;
      }
      if (reason === undefined && c.maxElapsedMs !== Number.POSITIVE_INFINITY) {
        const remaining = c.maxElapsedMs - elapsedMs;
        // A server hint beyond the deadline means the last attempt would be refused: give up now instead.
        if (remaining <= 0 || (hint !== undefined && delay > remaining)) reason = 'maxElapsed';
        else if (delay > remaining) delay = remaining;
      }
      if (reason === undefined && c.budget !== undefined && !c.budget.tryAcquire()) reason = 'budget';
    }
    if (reason !== undefined) {
      if (c.onGiveUp !== undefined) {
        c.onGiveUp(
          failed
            ? { error, attempts: attempt, elapsedMs, reason }
            : { result: value as T, attempts: attempt, elapsedMs, reason },
        );
      }
      if (failed) throw error;
      return value as T;
    }
    prevDelay = delay;
    if (c.onRetry !== undefined) c.onRetry({ ...info, delayMs: delay, retryAfterMs: hint });
    if (delay > 0) await c.sleep(delay, signal);
    if (signal?.aborted) throw signal.reason;
  }
}

/**
 * Calls `fn` until it succeeds, retrying failures with backoff. Resolves with the first accepted result; rejects with
 * the last error when retrying stops (see {@link GiveUpReason}), or with `signal.reason` when the caller aborts.
 * A result that `retryOn` keeps rejecting is returned as is once retrying stops.
 * @throws {TypeError|RangeError} (synchronously) naming the option when an option is invalid.
 * @example
 * const res = await retry(({ signal }) => fetch(url, { signal }), {
 *   attempts: 5,
 *   retryOn: (o) => 'error' in o || o.result.status >= 500 || o.result.status === 429,
 * });
 */
export function retry<T>(fn: RetryFn<T>, opts?: RetryOptions<T>): Promise<T> {
  if (opts === undefined) return firstAttempt((defaultConfig ??= normalize({}, 'retry')), fn);
  const c = normalize(opts, 'retry');
  if (!c.plain) return run(c, fn, opts.signal);
  return opts.signal === undefined ? firstAttempt(c, fn) : firstGuardedAttempt(c, fn, opts.signal);
}

/**
 * Validates options once and returns a reusable policy. The policy's `signal` (if any) applies to every execution,
 * combined with the one passed to `execute`. A `budget` is shared by every execution of the policy.
 * @throws {TypeError|RangeError} naming the option when an option is invalid.
 */
export function retryPolicy(opts: RetryOptions<unknown> = {}): RetryPolicy {
  const c = normalize(opts, 'retryPolicy');
  const own = opts.signal;
  return {
    execute<T>(fn: RetryFn<T>, signal?: AbortSignal): Promise<T> {
      if (signal !== undefined && !isSignal(signal))
        return Promise.reject(
          invalidArgument(TypeError, `retryPolicy: signal must be an AbortSignal, got ${describe(signal)}`),
        );
      if (c.plain && (own === undefined || signal === undefined)) {
        const s = own ?? signal;
        return s === undefined ? firstAttempt(c, fn) : firstGuardedAttempt(c, fn, s);
      }
      if (own === undefined || signal === undefined) return run(c, fn, own ?? signal);
      const link = linkSignals(own, signal);
      const p = run(c, fn, link.signal);
      p.then(link.dispose, link.dispose);
      return p;
    },
  };
}
