import { invalidOption } from './errors.js';
import { checkKeys, checkNumber, describe } from './internal/validate.js';

/** How the delay grows with the retry number. */
export type BackoffType = 'exponential' | 'linear' | 'constant';

/**
 * Randomisation applied to the delay (see the AWS Architecture Blog "Exponential Backoff And Jitter"):
 * - `none`: the delay is the curve's value, capped at `maxMs`.
 * - `full`: uniform in [0, cap].
 * - `equal`: cap/2 + uniform in [0, cap/2].
 * - `decorrelated`: uniform in [initialMs, previous delay × 3], capped; it follows its own curve (the `type` is unused).
 */
export type Jitter = 'none' | 'full' | 'equal' | 'decorrelated';

/** Options of a backoff curve. */
export interface BackoffOptions {
  /** Curve. Default `'exponential'`. */
  type?: BackoffType;
  /** Delay before the first retry, in ms. Default 100. */
  initialMs?: number;
  /** Upper bound of every delay, in ms; clamped to 2^31-1 (setTimeout's limit). Default 30000. */
  maxMs?: number;
  /**
   * Growth factor. Exponential: initialMs × factor^(n-1) (default 2, must be >= 1).
   * Linear: initialMs × (1 + factor × (n-1)) (default 1, must be >= 0). Constant: unused.
   */
  factor?: number;
  /** Randomisation. Default `'full'`. */
  jitter?: Jitter;
}

/** A normalised backoff curve; pure apart from the injected `random`. */
export interface Backoff {
  readonly type: BackoffType;
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
  readonly jitter: Jitter;
  /**
   * The largest delay retry `n` (1 = first retry) can get: non-decreasing in `n`, always within [0, maxMs], finite for
   * any `n` (no overflow, no NaN, even for n = 10^9 or Infinity).
   */
  ceiling(n: number): number;
  /**
   * The delay before retry `n`, in [0, ceiling(n)]. `previousMs` is the previous delay (used by `decorrelated`; pass
   * 0 or omit for the first retry).
   */
  delay(n: number, previousMs?: number): number;
}

/** Largest delay a timer can hold (setTimeout fires at once above it). */
export const MAX_DELAY_MS: number = 2 ** 31 - 1;

/** Defaults applied by {@link createBackoff} (factor: 2 for exponential, 1 for linear). */
export const BACKOFF_DEFAULTS: Readonly<{
  type: BackoffType;
  initialMs: number;
  maxMs: number;
  factor: number;
  jitter: Jitter;
}> = Object.freeze({ type: 'exponential', initialMs: 100, maxMs: 30_000, factor: 2, jitter: 'full' });

const TYPES: readonly string[] = ['exponential', 'linear', 'constant'];
const JITTERS: readonly string[] = ['none', 'full', 'equal', 'decorrelated'];
const KEYS: ReadonlySet<string> = new Set(['type', 'initialMs', 'maxMs', 'factor', 'jitter']);

/**
 * Builds a backoff curve from options (or a curve name). `random` returns a number in [0, 1) (default `Math.random`);
 * values outside [0, 1] or NaN are clamped, so a bad source cannot produce a bad delay.
 * @throws {TypeError|RangeError} naming the option when an option is invalid.
 */
export function createBackoff(opts: BackoffOptions | BackoffType = {}, random: () => number = Math.random): Backoff {
  const o: BackoffOptions = typeof opts === 'string' ? { type: opts } : opts;
  if (typeof o !== 'object' || o === null)
    throw invalidOption(TypeError, `retry: backoff must be an object or a curve name, got ${describe(o)}`);
  checkKeys('retry: backoff', o, KEYS);
  const type = o.type ?? BACKOFF_DEFAULTS.type;
  if (!TYPES.includes(type))
    throw invalidOption(TypeError, `retry: backoff.type must be one of ${TYPES.join(', ')}, got ${describe(type)}`);
  const jitter = o.jitter ?? BACKOFF_DEFAULTS.jitter;
  if (!JITTERS.includes(jitter))
    throw invalidOption(
      TypeError,
      `retry: backoff.jitter must be one of ${JITTERS.join(', ')}, got ${describe(jitter)}`,
    );
  const initialMs = Math.min(
    checkNumber('retry', 'backoff.initialMs', o.initialMs ?? BACKOFF_DEFAULTS.initialMs, 0),
    MAX_DELAY_MS,
  );
  const maxMs = Math.min(
    checkNumber('retry', 'backoff.maxMs', o.maxMs ?? Math.max(BACKOFF_DEFAULTS.maxMs, initialMs), 0, true),
    MAX_DELAY_MS,
  );
  if (maxMs < initialMs)
    throw invalidOption(RangeError, `retry: backoff.maxMs must be >= backoff.initialMs (${initialMs}), got ${maxMs}`);
  const factor = checkNumber(
    'retry',
    'backoff.factor',
    o.factor ?? (type === 'linear' ? 1 : BACKOFF_DEFAULTS.factor),
    type === 'exponential' ? 1 : 0,
  );
  if (typeof random !== 'function')
    throw invalidOption(TypeError, `retry: random must be a function, got ${describe(random)}`);

  return new Curve(type, initialMs, maxMs, factor, jitter, random);
}

class Curve implements Backoff {
  readonly type: BackoffType;
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
  readonly jitter: Jitter;
  private readonly random: () => number;
  constructor(
    type: BackoffType,
    initialMs: number,
    maxMs: number,
    factor: number,
    jitter: Jitter,
    random: () => number,
  ) {
    this.type = type;
    this.initialMs = initialMs;
    this.maxMs = maxMs;
    this.factor = factor;
    this.jitter = jitter;
    this.random = random;
  }

  private rand(): number {
    const r = this.random();
    return r >= 0 ? Math.min(r, 1) : 0; // NaN -> 0
  }

  ceiling(n: number): number {
    // NaN -> 1; Infinity -> 2^53 (1 ** Infinity and 0 * Infinity would be NaN)
    n = n >= 1 ? Math.floor(Math.min(n, Number.MAX_SAFE_INTEGER)) : 1;
    const { initialMs, maxMs, factor } = this;
    if (initialMs === 0) return 0;
    let v: number;
    if (this.jitter === 'decorrelated') v = initialMs * 3 ** n;
    else if (this.type === 'exponential') v = initialMs * factor ** (n - 1);
    else if (this.type === 'linear') v = initialMs * (1 + factor * (n - 1));
    else v = initialMs;
    if (!(v < maxMs)) return maxMs; // Infinity -> maxMs, and NaN (should it ever occur) -> maxMs, never NaN
    return v;
  }

  delay(n: number, previousMs = 0): number {
    const c = this.ceiling(n);
    switch (this.jitter) {
      case 'none':
        return c;
      case 'full':
        return this.rand() * c;
      case 'equal': {
        const h = c / 2;
        const v = h + this.rand() * h;
        return Math.min(v, c); // c / 2 is inexact for subnormal c: never exceed the cap
      }
      default: {
        const { initialMs, maxMs } = this;
        const prev = previousMs >= initialMs ? Math.min(previousMs, maxMs) : initialMs;
        let hi = prev * 3;
        if (hi > c) hi = c;
        const lo = Math.min(initialMs, hi);
        const v = lo + this.rand() * (hi - lo);
        return Math.min(v, hi);
      }
    }
  }
}
