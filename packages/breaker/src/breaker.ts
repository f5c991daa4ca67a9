import { BreakerTimeoutError, CircuitOpenError, invalidArgument, invalidOption, type RejectReason } from './errors.js';
import { addListener, emit, type ListenerList, removeListener } from './internal/emit.js';
import { CountWindow, type OutcomeWindow, TimeWindow } from './internal/window.js';

/** The circuit's state. `isolated` is a manual open that only releasing every isolation handle (or `reset()`) ends. */
export type CircuitState = 'closed' | 'open' | 'half-open' | 'isolated';

/** A window over the last `size` calls (ring buffer, one byte per call). */
export interface CountWindowOptions {
  type: 'count';
  /** Calls kept. Integer >= 1. */
  size: number;
}

/** A window over the last `ms` milliseconds, in `buckets` buckets (default 10). */
export interface TimeWindowOptions {
  type: 'time';
  /** Window length in ms. */
  ms: number;
  /** Number of buckets the window is cut into. Integer >= 1, default 10. */
  buckets?: number;
}

/** Open duration growing with consecutive opens: `min(maxMs, initialMs * factor ** (opens - 1))`. */
export interface OpenBackoffOptions {
  /** Duration of the first open, ms. */
  initialMs: number;
  /** Cap, ms. */
  maxMs: number;
  /** Growth factor >= 1, default 2. */
  factor?: number;
}

/** What the fallback is told. On a rejection `error` is `undefined`: no Error is built on the open path. */
export interface FallbackInfo {
  /** Why the fallback runs: the circuit rejected the call, the call failed, or it timed out. */
  reason: RejectReason | 'failure' | 'timeout';
  /** The call's error for `failure` and `timeout`; `undefined` for rejections. */
  error: unknown;
  /** Milliseconds until the circuit may admit a call again (see {@link CircuitOpenError}). */
  retryAfterMs: number;
}

/** Why the state changed. */
export type TransitionReason =
  | 'consecutive-failures'
  | 'failure-rate'
  | 'slow-call-rate'
  | 'half-open-failure'
  | 'half-open-success'
  | 'open-elapsed'
  | 'isolate'
  | 'release'
  | 'reset'
  | 'restore';

/** Events emitted by a breaker. */
export interface BreakerEvents {
  /** The state changed. */
  stateChange: { from: CircuitState; to: CircuitState; reason: TransitionReason };
  /**
   * A call counted as a success. `durationMs` is measured with the breaker's clock (NaN for a call that started
   * before the first duration listener subscribed).
   */
  success: { durationMs: number };
  /** A call counted as a failure: a thrown error (`error`), a failing result (`result`) or a timeout. */
  failure: { error: unknown; result: unknown; durationMs: number; timeout: boolean };
  /** A call was not admitted. */
  reject: { reason: RejectReason; retryAfterMs: number };
}

/** Options for {@link circuitBreaker}. */
export interface CircuitBreakerOptions<F = never> {
  /** Name used in error messages. Default `'breaker'`. */
  name?: string;
  /** Open after this many failures in a row. Integer >= 1 or `Infinity` (off). Default 5. */
  consecutiveFailures?: number;
  /** Open when failures / calls in the window reach this, in (0, 1], or `false` (off). Default 0.5. */
  failureRateThreshold?: number | false;
  /** The window the rates are computed over. Default `{ type: 'count', size: 100 }`. */
  window?: CountWindowOptions | TimeWindowOptions;
  /** Rates are only judged once the window holds this many calls. Integer >= 1 or `Infinity`. Default 10. */
  minimumCalls?: number;
  /** A call lasting at least this long (ms) is slow. Default `Infinity` (slow-call detection off). */
  slowCallMs?: number;
  /** Open when slow calls / calls in the window reach this, in (0, 1]. Default 1. */
  slowCallRateThreshold?: number;
  /** How long the circuit stays open: fixed ms, or a backoff over consecutive opens. Default 10000. */
  openMs?: number | OpenBackoffOptions;
  /** Trial calls admitted at once while half-open. Integer >= 1. Default 1. */
  halfOpenMaxCalls?: number;
  /** Successful trials needed to close again. Integer >= 1. Default 1. */
  halfOpenSuccesses?: number;
  /** Which thrown errors count as failures; others count as successes. Default: every error. */
  isFailure?: (error: unknown) => boolean;
  /** Which returned values count as failures (the value is still returned). Default: none. */
  isResultFailure?: (result: unknown) => boolean;
  /** Abort the call's signal and fail the call after this many ms. Default `Infinity` (no timeout, no timer). */
  timeoutMs?: number;
  /** Value to return instead of throwing when the call is rejected, fails or times out (`execute`/`executeSync`). */
  fallback?: (info: FallbackInfo) => F;
  /**
   * Monotonic time source in ms: open durations, call durations and time windows. Default `performance.now()` (a
   * wall-clock step neither keeps a circuit open nor closes it early).
   */
  clock?: () => number;
  /**
   * Wall clock in ms since the epoch, read only by `toJSON()` and `restore()` to carry `openUntil` across processes
   * (each has its own monotonic origin). Default `Date.now`.
   */
  wallClock?: () => number;
}

/** `tryExecute`'s answer: the value, or why the circuit did not admit the call (no Error is built). */
export type TryResult<T> = { ok: true; value: T } | { ok: false; reason: RejectReason; retryAfterMs: number };

/** Handle returned by `isolate()`. */
export interface IsolationHandle {
  /** Ends this isolation; the circuit closes when the last one is released. Idempotent. */
  release(): void;
}

/** A point-in-time view of a breaker, computed in O(1). */
export interface BreakerStats {
  state: CircuitState;
  /** Calls in the window. */
  calls: number;
  /** Failed calls in the window. */
  failures: number;
  /** Slow calls in the window. */
  slowCalls: number;
  /** failures / calls (0 when empty). */
  failureRate: number;
  /** slowCalls / calls (0 when empty). */
  slowCallRate: number;
  consecutiveFailures: number;
  /** Opens since the circuit last closed (drives the backoff). */
  consecutiveOpens: number;
  /** Trial calls running while half-open. */
  halfOpenInFlight: number;
  /** ms until a call may be admitted (0 when closed or half-open, `Infinity` when isolated). */
  retryAfterMs: number;
  /** Lifetime counters. */
  totalSuccesses: number;
  totalFailures: number;
  totalTimeouts: number;
  totalRejections: number;
  /** Calls whose caller aborted them: counted as neither success nor failure. */
  totalIgnored: number;
}

/** Serialisable state, from `toJSON()`, for `restore()`. The window's contents are not kept. */
export interface BreakerSnapshot {
  version: 1;
  state: CircuitState;
  /** Wall-clock time (ms since the epoch, from `wallClock`) at which an open circuit turns half-open; 0 otherwise. */
  openUntil: number;
  consecutiveOpens: number;
  consecutiveFailures: number;
}

/** A function run under the breaker; receives the call's signal (the caller's, merged with `timeoutMs`) if any. */
export type BreakerTask<T> = (signal: AbortSignal | undefined) => T | PromiseLike<T>;

/** A circuit breaker. */
export interface CircuitBreaker<F = never> {
  /** The name given in the options. */
  readonly name: string;
  /** Current state (an open circuit whose time is up reads as half-open). */
  readonly state: CircuitState;
  /**
   * Runs `fn` if the circuit admits it. Rejects with {@link CircuitOpenError} (or resolves with the fallback) when it
   * does not. An aborted `signal` rejects at once with its reason and the call counts as neither success nor failure.
   */
  execute<T>(fn: BreakerTask<T>, signal?: AbortSignal): Promise<T | Awaited<F>>;
  /**
   * Like `execute`, but a rejection resolves to `{ ok: false, reason, retryAfterMs }` without building an Error, and
   * the fallback is not used. Errors thrown by `fn` still reject.
   */
  tryExecute<T>(fn: BreakerTask<T>, signal?: AbortSignal): Promise<TryResult<T>>;
  /** Runs a synchronous `fn`. Throws {@link CircuitOpenError} (or returns the fallback) when rejected. */
  executeSync<T>(fn: () => T): T | F;
  /** Forces the circuit open until every returned handle is released. */
  isolate(): IsolationHandle;
  /** Closes the circuit, empties the window and ends every isolation. */
  reset(): void;
  /** O(1) statistics. */
  stats(): BreakerStats;
  /** Serialisable state (see {@link BreakerSnapshot}). */
  toJSON(): BreakerSnapshot;
  /**
   * Restores a snapshot from `toJSON()`, possibly taken by another process. A restored isolation is ended by
   * `reset()`.
   * @throws {RangeError} when a field is malformed, or when an open snapshot's `openUntil` lies further ahead of
   * `wallClock()` than these options' open duration for its `consecutiveOpens` allows.
   */
  restore(snapshot: BreakerSnapshot): void;
  /** Subscribes to an event; returns the unsubscribe function. Costs nothing while nobody listens. */
  on<E extends keyof BreakerEvents>(event: E, listener: (e: BreakerEvents[E]) => void): () => void;
}

/**
 * `performance.now()` where the runtime has it (Node, Bun, Deno, Workers, browsers); else `Date.now()` made
 * non-decreasing, which at least never moves an open circuit's end further away.
 */
function monotonicClock(): () => number {
  const perf = (globalThis as { performance?: { now?: () => number } }).performance;
  if (perf !== undefined && typeof perf.now === 'function') return () => perf.now!();
  let last = Number.NEGATIVE_INFINITY;
  return () => {
    const t = Date.now();
    if (t > last) last = t;
    return last;
  };
}

/** Defaults applied by {@link circuitBreaker}. */
export interface BreakerDefaults {
  name: string;
  consecutiveFailures: number;
  failureRateThreshold: number | false;
  window: CountWindowOptions;
  minimumCalls: number;
  slowCallMs: number;
  slowCallRateThreshold: number;
  openMs: number;
  halfOpenMaxCalls: number;
  halfOpenSuccesses: number;
  timeoutMs: number;
  clock: () => number;
  wallClock: () => number;
}

/** Defaults applied by {@link circuitBreaker}. */
export const BREAKER_DEFAULTS: Readonly<BreakerDefaults> = Object.freeze({
  name: 'breaker',
  consecutiveFailures: 5,
  failureRateThreshold: 0.5,
  window: Object.freeze({ type: 'count' as const, size: 100 }),
  minimumCalls: 10,
  slowCallMs: Number.POSITIVE_INFINITY,
  slowCallRateThreshold: 1,
  openMs: 10_000,
  halfOpenMaxCalls: 1,
  halfOpenSuccesses: 1,
  timeoutMs: Number.POSITIVE_INFINITY,
  clock: monotonicClock(),
  wallClock: () => Date.now(),
});

const CLOSED = 0;
const OPEN = 1;
const HALF_OPEN = 2;
const ISOLATED = 3;
type StateCode = 0 | 1 | 2 | 3;
const STATE_NAMES: readonly CircuitState[] = ['closed', 'open', 'half-open', 'isolated'];

const ADMITTED = 0;
const REJECT_OPEN = 1;
const REJECT_HALF_OPEN = 2;
const REJECT_ISOLATED = 3;
type AdmitCode = 0 | 1 | 2 | 3;
const REJECT_REASONS: readonly RejectReason[] = ['open', 'open', 'half-open', 'isolated'];
const MAX_TIMER_MS = 2 ** 31 - 1;

const fail = (msg: string): never => {
  throw invalidOption(RangeError, `circuitBreaker: ${msg}`);
};
const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : String(v));
const isInt = (v: unknown, min: number): v is number => typeof v === 'number' && Number.isInteger(v) && v >= min;
const isIntOrInf = (v: unknown, min: number): v is number => v === Number.POSITIVE_INFINITY || isInt(v, min);
const isRate = (v: unknown): v is number => typeof v === 'number' && v > 0 && v <= 1;
const isMs = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0;
const checkFn = (name: string, v: unknown): void => {
  if (v !== undefined && typeof v !== 'function')
    throw invalidOption(TypeError, `circuitBreaker: ${name} must be a function, got ${typeof v}`);
};
const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  v !== null &&
  (typeof v === 'object' || typeof v === 'function') &&
  typeof (v as { then?: unknown }).then === 'function';
const wrapOk = <T>(value: T): TryResult<T> => ({ ok: true, value });

/**
 * Creates a circuit breaker. No timer exists unless `timeoutMs` is set, and then only while a call runs: an open
 * circuit turns half-open lazily, on the first call (or `state`/`stats()` read) after `openMs`.
 * @throws {RangeError|TypeError} on a bad option, naming it and the value.
 */
export function circuitBreaker<F = never>(opts: CircuitBreakerOptions<F> = {}): CircuitBreaker<F> {
  if (typeof opts !== 'object' || opts === null)
    throw invalidOption(TypeError, `circuitBreaker: options must be an object, got ${show(opts)}`);
  return new Breaker<F>(opts);
}

class Breaker<F> implements CircuitBreaker<F> {
  readonly name: string;
  // Options, normalised.
  private readonly _consecutiveFailures: number;
  private readonly _failureRate: number;
  private readonly _minimumCalls: number;
  private readonly _slowCallMs: number;
  private readonly _slowRate: number;
  private readonly _openFixed: number;
  private readonly _openInitial: number;
  private readonly _openMax: number;
  private readonly _openFactor: number;
  private readonly _halfOpenMaxCalls: number;
  private readonly _halfOpenSuccesses: number;
  private readonly _isFailure: ((e: unknown) => boolean) | null;
  private readonly _isResultFailure: ((r: unknown) => boolean) | null;
  readonly _timeoutMs: number;
  readonly _fallback: ((info: FallbackInfo) => F) | null;
  readonly _clock: () => number;
  private readonly _wallClock: () => number;
  private readonly _window: OutcomeWindow;
  private readonly _timeWindow: boolean;
  // State.
  private _state: StateCode = CLOSED;
  /** Bumped on every transition; an outcome only counts in the epoch its call was admitted in. */
  _epoch = 0;
  private _openUntil = 0;
  private _opens = 0;
  private _consecutive = 0;
  private _hoInFlight = 0;
  private _hoSuccesses = 0;
  private _isolations = 0;
  private _isolationGen = 0;
  private _lastNow = 0;
  /** True when a call's start time is needed: slow-call detection or duration listeners. */
  _timed: boolean;
  /** True when the end time is needed: `_timed`, or a time window. */
  private _needNow = false;
  // Lifetime counters.
  private _nSuccess = 0;
  private _nFailure = 0;
  private _nTimeout = 0;
  private _nReject = 0;
  private _nIgnored = 0;
  // Listeners (null = nobody listens).
  private _onState: ListenerList<BreakerEvents['stateChange']> = null;
  private _onSuccess: ListenerList<BreakerEvents['success']> = null;
  private _onFailure: ListenerList<BreakerEvents['failure']> = null;
  private _onReject: ListenerList<BreakerEvents['reject']> = null;

  constructor(o: CircuitBreakerOptions<F>) {
    const d = BREAKER_DEFAULTS;
    const name = o.name ?? d.name;
    if (typeof name !== 'string' || name === '') fail(`name must be a non-empty string, got ${show(name)}`);
    this.name = name;

    const cf = o.consecutiveFailures ?? d.consecutiveFailures;
    if (!isIntOrInf(cf, 1)) fail(`consecutiveFailures must be an integer >= 1 or Infinity, got ${show(cf)}`);
    this._consecutiveFailures = cf;

    const fr = o.failureRateThreshold ?? d.failureRateThreshold;
    if (fr !== false && !isRate(fr)) fail(`failureRateThreshold must be a number in (0, 1] or false, got ${show(fr)}`);
    this._failureRate = fr === false ? Number.POSITIVE_INFINITY : fr;

    const mc = o.minimumCalls ?? d.minimumCalls;
    if (!isIntOrInf(mc, 1)) fail(`minimumCalls must be an integer >= 1 or Infinity, got ${show(mc)}`);
    this._minimumCalls = mc;

    const w = o.window ?? d.window;
    if (typeof w !== 'object' || w === null) throw invalidOption(TypeError, `circuitBreaker: window must be an object`);
    if (w.type === 'count') {
      if (!isInt(w.size, 1) || w.size > 2 ** 30)
        fail(`window.size must be an integer in [1, 2^30], got ${show(w.size)}`);
      if (mc !== Number.POSITIVE_INFINITY && mc > w.size)
        fail(`minimumCalls (${mc}) must be <= window.size (${w.size}), or rates would never be judged`);
      this._window = new CountWindow(w.size);
      this._timeWindow = false;
    } else if (w.type === 'time') {
      if (!isMs(w.ms) || w.ms === 0) fail(`window.ms must be a finite number > 0, got ${show(w.ms)}`);
      const buckets = w.buckets ?? 10;
      if (!isInt(buckets, 1) || buckets > 10_000)
        fail(`window.buckets must be an integer in [1, 10000], got ${show(buckets)}`);
      this._window = new TimeWindow(w.ms, buckets);
      this._timeWindow = true;
    } else {
      throw invalidOption(
        TypeError,
        `circuitBreaker: window.type must be 'count' or 'time', got ${show((w as { type: unknown }).type)}`,
      );
    }

    const sm = o.slowCallMs ?? d.slowCallMs;
    if (sm !== Number.POSITIVE_INFINITY && !isMs(sm))
      fail(`slowCallMs must be a number >= 0 or Infinity, got ${show(sm)}`);
    this._slowCallMs = sm;
    const sr = o.slowCallRateThreshold ?? d.slowCallRateThreshold;
    if (!isRate(sr)) fail(`slowCallRateThreshold must be a number in (0, 1], got ${show(sr)}`);
    this._slowRate = sr;

    const om = o.openMs ?? d.openMs;
    if (typeof om === 'number') {
      if (!isMs(om) || om > MAX_TIMER_MS) fail(`openMs must be a number in [0, 2^31-1], got ${show(om)}`);
      this._openFixed = om;
      this._openInitial = om;
      this._openMax = om;
      this._openFactor = 1;
    } else if (typeof om === 'object' && om !== null) {
      const factor = om.factor ?? 2;
      if (!isMs(om.initialMs)) fail(`openMs.initialMs must be a finite number >= 0, got ${show(om.initialMs)}`);
      if (!isMs(om.maxMs) || om.maxMs < om.initialMs || om.maxMs > MAX_TIMER_MS)
        fail(`openMs.maxMs must be a number in [openMs.initialMs, 2^31-1], got ${show(om.maxMs)}`);
      if (typeof factor !== 'number' || !Number.isFinite(factor) || factor < 1)
        fail(`openMs.factor must be a finite number >= 1, got ${show(factor)}`);
      this._openFixed = Number.NaN;
      this._openInitial = om.initialMs;
      this._openMax = om.maxMs;
      this._openFactor = factor;
    } else {
      throw invalidOption(
        TypeError,
        `circuitBreaker: openMs must be a number or { initialMs, maxMs, factor }, got ${show(om)}`,
      );
    }

    const hm = o.halfOpenMaxCalls ?? d.halfOpenMaxCalls;
    if (!isInt(hm, 1)) fail(`halfOpenMaxCalls must be an integer >= 1, got ${show(hm)}`);
    this._halfOpenMaxCalls = hm;
    const hs = o.halfOpenSuccesses ?? d.halfOpenSuccesses;
    if (!isInt(hs, 1)) fail(`halfOpenSuccesses must be an integer >= 1, got ${show(hs)}`);
    this._halfOpenSuccesses = hs;

    const tm = o.timeoutMs ?? d.timeoutMs;
    if (tm !== Number.POSITIVE_INFINITY && (!isMs(tm) || tm === 0 || tm > MAX_TIMER_MS))
      fail(`timeoutMs must be a number in (0, 2^31-1] or Infinity, got ${show(tm)}`);
    this._timeoutMs = tm;

    checkFn('isFailure', o.isFailure);
    checkFn('isResultFailure', o.isResultFailure);
    checkFn('fallback', o.fallback);
    checkFn('clock', o.clock);
    checkFn('wallClock', o.wallClock);
    this._isFailure = o.isFailure ?? null;
    this._isResultFailure = o.isResultFailure ?? null;
    this._fallback = o.fallback ?? null;
    this._clock = o.clock ?? d.clock;
    this._wallClock = o.wallClock ?? d.wallClock;
    this._timed = false;
    this._updateTimed();
  }

  private _updateTimed(): void {
    this._timed = this._slowCallMs !== Number.POSITIVE_INFINITY || this._onSuccess !== null || this._onFailure !== null;
    this._needNow = this._timed || this._timeWindow;
  }

  get state(): CircuitState {
    this._refresh();
    return STATE_NAMES[this._state]!;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Admission

  /** Open → half-open once the open time is up. */
  private _refresh(): void {
    if (this._state === OPEN && this._clock() >= this._openUntil) this._toHalfOpen();
  }

  /** Decides whether a call may run when the circuit is not closed; takes a half-open permit when it may. */
  private _admit(): AdmitCode {
    let s = this._state;
    if (s === OPEN) {
      const now = this._clock();
      if (now < this._openUntil) {
        this._lastNow = now;
        return REJECT_OPEN;
      }
      this._toHalfOpen();
      s = HALF_OPEN;
    }
    if (s === HALF_OPEN) {
      if (this._hoInFlight < this._halfOpenMaxCalls) {
        this._hoInFlight++;
        return ADMITTED;
      }
      return REJECT_HALF_OPEN;
    }
    return s === ISOLATED ? REJECT_ISOLATED : ADMITTED;
  }

  /** Counts a rejection, tells listeners, and returns retryAfterMs. */
  private _rejection(code: AdmitCode): number {
    this._nReject++;
    const retryAfterMs =
      code === REJECT_OPEN
        ? Math.max(0, this._openUntil - this._lastNow)
        : code === REJECT_ISOLATED
          ? Number.POSITIVE_INFINITY
          : 0;
    if (this._onReject !== null) emit(this._onReject, { reason: REJECT_REASONS[code]!, retryAfterMs });
    return retryAfterMs;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Calls

  execute<T>(fn: BreakerTask<T>, signal?: AbortSignal): Promise<T | Awaited<F>> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this._state !== CLOSED) {
      const code = this._admit();
      if (code !== ADMITTED) {
        const retryAfterMs = this._rejection(code);
        const reason = REJECT_REASONS[code]!;
        const fb = this._fallback;
        if (fb !== null)
          return new Promise<Awaited<F>>((resolve) =>
            resolve(fb({ reason, error: undefined, retryAfterMs }) as Awaited<F>),
          );
        return Promise.reject(new CircuitOpenError(this.name, reason, retryAfterMs));
      }
    }
    return this._run(fn, signal, false) as Promise<T | Awaited<F>>;
  }

  tryExecute<T>(fn: BreakerTask<T>, signal?: AbortSignal): Promise<TryResult<T>> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this._state !== CLOSED) {
      const code = this._admit();
      if (code !== ADMITTED) {
        const retryAfterMs = this._rejection(code);
        return Promise.resolve({ ok: false, reason: REJECT_REASONS[code]!, retryAfterMs });
      }
    }
    return this._run(fn, signal, true) as Promise<TryResult<T>>;
  }

  executeSync<T>(fn: () => T): T | F {
    if (this._state !== CLOSED) {
      const code = this._admit();
      if (code !== ADMITTED) {
        const retryAfterMs = this._rejection(code);
        const reason = REJECT_REASONS[code]!;
        if (this._fallback !== null) return this._fallback({ reason, error: undefined, retryAfterMs });
        throw new CircuitOpenError(this.name, reason, retryAfterMs);
      }
    }
    const epoch = this._epoch;
    const t0 = this._timed ? this._clock() : Number.NaN;
    let v: T;
    try {
      v = fn();
    } catch (e) {
      return this._afterError(e, epoch, t0, true) as F;
    }
    return this._afterValue(v, epoch, t0);
  }

  /**
   * Runs an admitted call. `tryMode`: no fallback, and the value is wrapped as `{ ok: true, value }`.
   * Untimed calls without a signal use settle handlers cached per epoch, so the hot path allocates no closure.
   */
  private _run<T>(fn: BreakerTask<T>, signal: AbortSignal | undefined, tryMode: boolean): Promise<unknown> {
    if (signal !== undefined || this._timeoutMs !== Number.POSITIVE_INFINITY) {
      return new Promise((resolve, reject) => {
        new GuardedCall(this, fn, signal, tryMode, resolve, reject);
      });
    }
    const epoch = this._epoch;
    const t0 = this._timed ? this._clock() : Number.NaN;
    let r: T | PromiseLike<T>;
    try {
      r = fn(undefined);
    } catch (e) {
      try {
        return Promise.resolve(this._afterError(e, epoch, t0, !tryMode));
      } catch (x) {
        return Promise.reject(x);
      }
    }
    let p: Promise<unknown>;
    if (r instanceof Promise) p = r;
    else if (isThenable(r)) p = Promise.resolve(r);
    else {
      const v = this._afterValue(r, epoch, t0);
      return Promise.resolve(tryMode ? wrapOk(v) : v);
    }
    if (this._timed) {
      return p.then(
        tryMode ? (v) => wrapOk(this._afterValue(v, epoch, t0)) : (v) => this._afterValue(v, epoch, t0),
        (e) => this._afterError(e, epoch, t0, !tryMode),
      );
    }
    if (tryMode) {
      if (this._tEpoch !== epoch) this._makeTryHandlers(epoch);
      return p.then(this._tOk, this._tErr);
    }
    if (this._hEpoch !== epoch) this._makeHandlers(epoch);
    return p.then(this._hOk, this._hErr);
  }

  // Settle handlers for untimed calls of the current epoch (no start time: t0 is NaN), made on first use per mode.
  private _hEpoch = -1;
  private _hOk: (v: unknown) => unknown = wrapOk;
  private _hErr: (e: unknown) => unknown = wrapOk;
  private _tEpoch = -1;
  private _tOk: (v: unknown) => unknown = wrapOk;
  private _tErr: (e: unknown) => unknown = wrapOk;

  private _makeHandlers(epoch: number): void {
    this._hEpoch = epoch;
    this._hOk = (v) => this._afterValue(v, epoch, Number.NaN);
    this._hErr = (e) => this._afterError(e, epoch, Number.NaN, true);
  }

  private _makeTryHandlers(epoch: number): void {
    this._tEpoch = epoch;
    this._tOk = (v) => wrapOk(this._afterValue(v, epoch, Number.NaN));
    this._tErr = (e) => this._afterError(e, epoch, Number.NaN, false);
  }

  /** Classifies a returned value, records it, and returns it. */
  _afterValue<T>(v: T, epoch: number, t0: number): T {
    const p = this._isResultFailure;
    if (p !== null && judgedFailure(p, v)) this._failure(epoch, t0, undefined, v, false);
    else this._success(epoch, t0);
    return v;
  }

  /** Classifies a thrown error, records it, and returns the fallback's value or rethrows. */
  _afterError(e: unknown, epoch: number, t0: number, useFallback: boolean): unknown {
    const p = this._isFailure;
    if (p !== null && !judgedFailure(p, e)) {
      this._success(epoch, t0);
      throw e;
    }
    this._failure(epoch, t0, e, undefined, false);
    if (useFallback && this._fallback !== null)
      return this._fallback({ reason: 'failure', error: e, retryAfterMs: this._retryAfter() });
    throw e;
  }

  _retryAfter(): number {
    const s = this._state;
    if (s === OPEN) return Math.max(0, this._openUntil - this._clock());
    return s === ISOLATED ? Number.POSITIVE_INFINITY : 0;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Outcomes

  _success(epoch: number, t0: number): void {
    this._nSuccess++;
    let now = 0;
    let durationMs = 0;
    if (this._needNow) {
      now = this._clock();
      if (this._timed) durationMs = now - t0;
    }
    if (epoch === this._epoch) {
      const slow = durationMs >= this._slowCallMs;
      const s = this._state;
      if (s === CLOSED) {
        this._consecutive = 0;
        const w = this._window;
        w.record(false, slow, now);
        // A success can complete the minimum: judge the rates too (cheap: only once the minimum is reached).
        if (w.total >= this._minimumCalls) {
          if (w.failures / w.total >= this._failureRate) this._open('failure-rate');
          else if (w.slow / w.total >= this._slowRate) this._open('slow-call-rate');
        }
      } else if (s === HALF_OPEN) {
        this._hoInFlight--;
        if (slow) this._open('half-open-failure');
        else if (++this._hoSuccesses >= this._halfOpenSuccesses) this._close('half-open-success');
      }
    }
    if (this._onSuccess !== null) emit(this._onSuccess, { durationMs });
  }

  _failure(epoch: number, t0: number, error: unknown, result: unknown, timeout: boolean): void {
    this._nFailure++;
    if (timeout) this._nTimeout++;
    let now = 0;
    let durationMs = 0;
    if (this._needNow) {
      now = this._clock();
      if (this._timed) durationMs = now - t0;
    }
    if (epoch === this._epoch) {
      const s = this._state;
      if (s === CLOSED) {
        const slow = durationMs >= this._slowCallMs;
        const w = this._window;
        w.record(true, slow, now);
        if (++this._consecutive >= this._consecutiveFailures) this._open('consecutive-failures');
        else if (w.total >= this._minimumCalls) {
          if (w.failures / w.total >= this._failureRate) this._open('failure-rate');
          else if (w.slow / w.total >= this._slowRate) this._open('slow-call-rate');
        }
      } else if (s === HALF_OPEN) {
        this._hoInFlight--;
        this._open('half-open-failure');
      }
    }
    if (this._onFailure !== null) emit(this._onFailure, { error, result, durationMs, timeout });
  }

  /** A call the caller aborted: no outcome, but its half-open permit comes back. */
  _ignore(epoch: number): void {
    this._nIgnored++;
    if (epoch === this._epoch && this._state === HALF_OPEN) this._hoInFlight--;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Transitions

  private _openDuration(opens: number): number {
    if (!Number.isNaN(this._openFixed)) return this._openFixed; // fixed duration
    const ms = this._openInitial * this._openFactor ** (opens - 1);
    // Not Math.min: 0 * Infinity is NaN, and NaN (like Infinity) must end at the cap.
    if (ms < this._openMax) return ms;
    return this._openMax;
  }

  private _setState(to: StateCode, reason: TransitionReason): void {
    const from = this._state;
    this._state = to;
    this._epoch++;
    this._hoInFlight = 0;
    this._hoSuccesses = 0;
    this._consecutive = 0;
    if (from !== to && this._onState !== null)
      emit(this._onState, { from: STATE_NAMES[from]!, to: STATE_NAMES[to]!, reason });
  }

  private _open(reason: TransitionReason): void {
    this._opens++;
    this._openUntil = this._clock() + this._openDuration(this._opens);
    this._window.reset();
    this._setState(OPEN, reason);
  }

  private _toHalfOpen(): void {
    this._setState(HALF_OPEN, 'open-elapsed');
  }

  private _close(reason: TransitionReason): void {
    this._opens = 0;
    this._openUntil = 0;
    this._window.reset();
    this._setState(CLOSED, reason);
  }

  isolate(): IsolationHandle {
    this._isolations++;
    if (this._state !== ISOLATED) {
      this._window.reset();
      this._setState(ISOLATED, 'isolate');
    }
    const gen = this._isolationGen;
    let released = false;
    return {
      release: () => {
        if (released || gen !== this._isolationGen) return;
        released = true;
        if (--this._isolations === 0) this._close('release');
      },
    };
  }

  reset(): void {
    this._isolationGen++;
    this._isolations = 0;
    this._close('reset');
  }

  // ---------------------------------------------------------------------------------------------------------------
  // Introspection

  stats(): BreakerStats {
    this._refresh();
    const w = this._window;
    if (this._timeWindow) w.advance(this._clock());
    const calls = w.total;
    return {
      state: STATE_NAMES[this._state]!,
      calls,
      failures: w.failures,
      slowCalls: w.slow,
      failureRate: calls === 0 ? 0 : w.failures / calls,
      slowCallRate: calls === 0 ? 0 : w.slow / calls,
      consecutiveFailures: this._consecutive,
      consecutiveOpens: this._opens,
      halfOpenInFlight: this._state === HALF_OPEN ? this._hoInFlight : 0,
      retryAfterMs: this._retryAfter(),
      totalSuccesses: this._nSuccess,
      totalFailures: this._nFailure,
      totalTimeouts: this._nTimeout,
      totalRejections: this._nReject,
      totalIgnored: this._nIgnored,
    };
  }

  toJSON(): BreakerSnapshot {
    this._refresh();
    return {
      version: 1,
      state: STATE_NAMES[this._state]!,
      // The monotonic clock's origin is this process's; the wall clock is shared: write the end as wall-clock time.
      openUntil: this._state === OPEN ? this._wallClock() + (this._openUntil - this._clock()) : 0,
      consecutiveOpens: this._opens,
      consecutiveFailures: this._consecutive,
    };
  }

  restore(snapshot: BreakerSnapshot): void {
    if (typeof snapshot !== 'object' || snapshot === null)
      throw invalidArgument(TypeError, `circuitBreaker: restore() needs a snapshot object, got ${show(snapshot)}`);
    if (snapshot.version !== 1)
      throw invalidArgument(
        RangeError,
        `circuitBreaker: restore(): unsupported snapshot version ${show(snapshot.version)}`,
      );
    const to = STATE_NAMES.indexOf(snapshot.state);
    if (to === -1)
      throw invalidArgument(
        RangeError,
        `circuitBreaker: restore(): state must be one of ${STATE_NAMES.join(', ')}, got ${show(snapshot.state)}`,
      );
    if (typeof snapshot.openUntil !== 'number' || Number.isNaN(snapshot.openUntil))
      throw invalidArgument(
        RangeError,
        `circuitBreaker: restore(): openUntil must be a number, got ${show(snapshot.openUntil)}`,
      );
    if (!isInt(snapshot.consecutiveOpens, 0))
      throw invalidArgument(
        RangeError,
        `circuitBreaker: restore(): consecutiveOpens must be an integer >= 0, got ${show(snapshot.consecutiveOpens)}`,
      );
    if (!isInt(snapshot.consecutiveFailures, 0))
      throw invalidArgument(
        RangeError,
        `circuitBreaker: restore(): consecutiveFailures must be an integer >= 0, got ${show(snapshot.consecutiveFailures)}`,
      );
    let remaining = 0;
    if (to === OPEN) {
      // What is left of the open time, by the wall clock, may not exceed what these options would open for: a
      // snapshot from a wall clock that was ahead (or stepped back since), from other options, or forged, would
      // otherwise keep the circuit open for as long as it says.
      remaining = snapshot.openUntil - this._wallClock();
      const allowed = this._openDuration(Math.max(1, snapshot.consecutiveOpens));
      if (!(remaining <= allowed))
        throw invalidArgument(
          RangeError,
          `circuitBreaker: restore(): openUntil is ${show(remaining)} ms ahead, beyond the ${allowed} ms open duration the options allow (consecutiveOpens ${snapshot.consecutiveOpens})`,
        );
    }
    this._isolationGen++;
    this._isolations = to === ISOLATED ? 1 : 0;
    this._window.reset();
    this._setState(to as StateCode, 'restore');
    this._opens = snapshot.consecutiveOpens;
    this._openUntil = to === OPEN ? this._clock() + Math.max(0, remaining) : 0;
    this._consecutive = to === CLOSED ? snapshot.consecutiveFailures : 0;
  }

  on<E extends keyof BreakerEvents>(event: E, listener: (e: BreakerEvents[E]) => void): () => void {
    if (typeof listener !== 'function')
      throw invalidArgument(TypeError, `circuitBreaker: on("${String(event)}") needs a listener function`);
    const l = listener as (e: any) => void;
    switch (event) {
      case 'stateChange':
        this._onState = addListener(this._onState, l);
        break;
      case 'success':
        this._onSuccess = addListener(this._onSuccess, l);
        break;
      case 'failure':
        this._onFailure = addListener(this._onFailure, l);
        break;
      case 'reject':
        this._onReject = addListener(this._onReject, l);
        break;
      default:
        throw invalidArgument(
          TypeError,
          `circuitBreaker: unknown event ${show(event)} (expected stateChange, success, failure or reject)`,
        );
    }
    this._updateTimed();
    let done = false;
    return () => {
      if (done) return;
      done = true;
      if (event === 'stateChange') this._onState = removeListener(this._onState, l);
      else if (event === 'success') this._onSuccess = removeListener(this._onSuccess, l);
      else if (event === 'failure') this._onFailure = removeListener(this._onFailure, l);
      else this._onReject = removeListener(this._onReject, l);
      this._updateTimed();
    };
  }
}

/** A call with a caller signal and/or a timeout: settles on the first of outcome, caller abort, timeout. */
class GuardedCall<T, F> {
  private done = false;
  private timer: ReturnType<typeof setTimeout> | undefined = undefined;
  private controller: AbortController | null = null;
  private readonly epoch: number;
  private readonly t0: number;

  constructor(
    private readonly b: Breaker<F>,
    fn: BreakerTask<T>,
    private readonly signal: AbortSignal | undefined,
    private readonly tryMode: boolean,
    private readonly resolve: (v: unknown) => void,
    private readonly reject: (e: unknown) => void,
  ) {
    this.epoch = b._epoch;
    this.t0 = b._timed ? b._clock() : Number.NaN;
    let fnSignal = signal;
    if (b._timeoutMs !== Number.POSITIVE_INFINITY) {
      const c = new AbortController();
      this.controller = c;
      fnSignal = c.signal;
      const t = setTimeout(this.onTimeout, b._timeoutMs);
      (t as { unref?: () => void }).unref?.();
      this.timer = t;
    }
    if (signal !== undefined) signal.addEventListener('abort', this.onAbort);
    let r: T | PromiseLike<T>;
    try {
      r = fn(fnSignal);
    } catch (e) {
      this.onError(e);
      return;
    }
    if (isThenable(r)) Promise.resolve(r).then(this.onValue, this.onError);
    else this.onValue(r);
  }

  private finish(): boolean {
    if (this.done) return false;
    this.done = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.signal !== undefined) this.signal.removeEventListener('abort', this.onAbort);
    return true;
  }

  private readonly onValue = (v: unknown): void => {
    if (!this.finish()) return;
    const value = this.b._afterValue(v, this.epoch, this.t0);
    this.resolve(this.tryMode ? wrapOk(value) : value);
  };

  private readonly onError = (e: unknown): void => {
    if (!this.finish()) return;
    try {
      this.resolve(this.b._afterError(e, this.epoch, this.t0, !this.tryMode));
    } catch (x) {
      this.reject(x);
    }
  };

  private readonly onAbort = (): void => {
    if (!this.finish()) return;
    const reason = this.signal!.reason;
    this.controller?.abort(reason);
    this.b._ignore(this.epoch);
    this.reject(reason);
  };

  private readonly onTimeout = (): void => {
    if (!this.finish()) return;
    const b = this.b;
    const err = new BreakerTimeoutError(b.name, b._timeoutMs);
    this.controller!.abort(err);
    b._failure(this.epoch, this.t0, err, undefined, true);
    const fb = b._fallback;
    if (!this.tryMode && fb !== null) {
      try {
        this.resolve(fb({ reason: 'timeout', error: err, retryAfterMs: b._retryAfter() }));
      } catch (x) {
        this.reject(x);
      }
    } else this.reject(err);
  };
}

/** Runs a user classifier (`isFailure` / `isResultFailure`); a classifier that throws counts as a failure. */
function judgedFailure(p: (x: unknown) => boolean, x: unknown): boolean {
  try {
    return p(x) === true;
  } catch {
    return true;
  }
}
