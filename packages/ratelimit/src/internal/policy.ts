/**
 * Compiled policy and the decision arithmetic shared by the memory store (this file) and the Redis store (the Lua
 * script in lua.ts mirrors it line by line). Everything is an integer below 2^53, so JS doubles and Lua doubles compute
 * the same results bit for bit.
 */

/** Algorithm codes, also sent to the Lua script. */
export const GCRA = 0;
export const SLIDING = 1;
export const TOKEN = 2;
export const FIXED = 3;

/** Operation codes, also sent to the Lua script. */
export const OP_CONSUME = 0;
export const OP_PEEK = 1;
export const OP_REFUND = 2;
export const OP_PENALIZE = 3;
export const OP_BLOCK = 4;
export const OP_RESET = 5;

/**
 * A rate-limiting algorithm: `gcra` (default; one request every `windowMs / limit`, up to `burst` at once),
 * `sliding-window` (previous window weighted by the time left plus the current one), `token-bucket` (`burst` tokens
 * refilled continuously) or `fixed-window` (windows aligned to multiples of `windowMs` since the epoch).
 */
export type Algorithm = 'gcra' | 'sliding-window' | 'token-bucket' | 'fixed-window';

export const ALGO_CODES: Readonly<Record<Algorithm, number>> = {
  gcra: GCRA,
  'sliding-window': SLIDING,
  'token-bucket': TOKEN,
  'fixed-window': FIXED,
};

/** A policy after validation, with everything derived once. */
export interface CompiledPolicy {
  readonly name: string;
  readonly algorithm: Algorithm;
  readonly algo: number;
  readonly limit: number;
  readonly windowMs: number;
  readonly burst: number;
  readonly blockMs: number;
  /** Quota unit named in the headers (`'requests'` by default). */
  readonly quotaUnit: string;
  /** Largest cost one request may carry (burst for GCRA/token bucket, limit for the windows). */
  readonly capacity: number;
  /** GCRA emission interval in whole microseconds (rounded up, so the limiter never admits more than configured). */
  readonly intervalUs: number;
  /** GCRA tolerance: burst * intervalUs. */
  readonly tauUs: number;
}

/**
 * Mutable scratch record: state in/out plus the derived view. One per store; no allocation per decision.
 * a/b/c meaning per algorithm — GCRA: a = TAT (µs). token bucket: a = tokens * windowMs, b = last refill (ms).
 * fixed window: a = window start, b = count. sliding window: a = window start, b = current count, c = previous count.
 */
export interface Scratch {
  a: number;
  b: number;
  c: number;
  blk: number;
  allowed: boolean;
  retry: number;
  remaining: number;
  reset: number;
  ttl: number;
}

export const newScratch = (): Scratch => ({
  a: 0,
  b: 0,
  c: 0,
  blk: 0,
  allowed: false,
  retry: 0,
  remaining: 0,
  reset: 0,
  ttl: 0,
});

/** Loads the canonical state at `now` into s (s.a/b/c hold the stored values, or `exists` is false). */
export function normalize(p: CompiledPolicy, now: number, exists: boolean, s: Scratch): void {
  const W = p.windowMs;
  if (!exists) {
    s.blk = 0;
    s.c = 0;
    switch (p.algo) {
      case GCRA:
        s.a = now * 1000;
        s.b = 0;
        return;
      case TOKEN:
        s.a = p.burst * W;
        s.b = now;
        return;
      default:
        s.a = now - (now % W);
        s.b = 0;
        return;
    }
  }
  switch (p.algo) {
    case GCRA: {
      const nowUs = now * 1000;
      if (s.a < nowUs) s.a = nowUs;
      return;
    }
    case TOKEN: {
      const el = now - s.b;
      if (el > 0) {
        const t = s.a + el * p.limit;
        const cap = p.burst * W;
        s.a = Math.min(t, cap);
        s.b = now;
      }
      return;
    }
    case FIXED: {
      const ws = now - (now % W);
      if (s.a !== ws) {
        s.a = ws;
        s.b = 0;
      }
      return;
    }
    default: {
      const ws = now - (now % W);
      if (s.a !== ws) {
        if (s.a === ws - W) s.c = s.b;
        else s.c = 0;
        s.b = 0;
        s.a = ws;
      }
      return;
    }
  }
}

/**
 * Tries to take `cost` from the normalized state. Sets s.allowed and s.retry; when allowed, s.a/b/c hold the state
 * after consumption (the caller decides whether to commit it). When denied, state is untouched.
 */
export function tryConsume(p: CompiledPolicy, now: number, cost: number, s: Scratch): void {
  if (s.blk > now) {
    s.allowed = false;
    s.retry = s.blk - now;
    return;
  }
  const W = p.windowMs;
  switch (p.algo) {
    case GCRA: {
      const nowUs = now * 1000;
      const tat = s.a + cost * p.intervalUs;
      if (tat - nowUs <= p.tauUs) {
        s.allowed = true;
        s.retry = 0;
        s.a = tat;
      } else {
        s.allowed = false;
        s.retry = Math.ceil((tat - p.tauUs - nowUs) / 1000);
      }
      return;
    }
    case TOKEN: {
      const need = cost * W;
      if (s.a >= need) {
        s.allowed = true;
        s.retry = 0;
        s.a -= need;
      } else {
        s.allowed = false;
        s.retry = Math.ceil((need - s.a) / p.limit);
      }
      return;
    }
    case FIXED: {
      if (s.b + cost <= p.limit) {
        s.allowed = true;
        s.retry = 0;
        s.b += cost;
      } else {
        s.allowed = false;
        s.retry = s.a + W - now;
      }
      return;
    }
    default: {
      const el = now - s.a;
      const curr = s.b;
      const prev = s.c;
      if (prev * (W - el) + (curr + cost) * W <= p.limit * W) {
        s.allowed = true;
        s.retry = 0;
        s.b = curr + cost;
      } else {
        s.allowed = false;
        if (curr + cost <= p.limit) {
          // prev > 0 here; wait inside this window until the previous window's weight has decayed enough.
          s.retry = W - Math.floor(((p.limit - curr - cost) * W) / prev) - el;
        } else {
          s.retry = W - el + W - Math.floor(((p.limit - cost) * W) / curr);
        }
      }
      return;
    }
  }
}

/** Applies refund (cost > 0 gives capacity back) or penalty (takes capacity unconditionally) to normalized state. */
export function adjust(p: CompiledPolicy, cost: number, refund: boolean, now: number, s: Scratch): void {
  switch (p.algo) {
    case GCRA: {
      const nowUs = now * 1000;
      if (refund) {
        const t = s.a - cost * p.intervalUs;
        s.a = Math.max(t, nowUs);
      } else s.a += cost * p.intervalUs;
      return;
    }
    case TOKEN: {
      if (refund) {
        const t = s.a + cost * p.windowMs;
        const cap = p.burst * p.windowMs;
        s.a = Math.min(t, cap);
      } else s.a -= cost * p.windowMs;
      return;
    }
    default: {
      if (refund) s.b = s.b > cost ? s.b - cost : 0;
      else s.b += cost;
      return;
    }
  }
}

/** Computes remaining / reset / ttl of a normalized state. ttl <= 0 means the state equals "no state" (delete it). */
export function view(p: CompiledPolicy, now: number, s: Scratch): void {
  const W = p.windowMs;
  let remaining: number;
  let reset: number;
  switch (p.algo) {
    case GCRA: {
      const used = s.a - now * 1000;
      remaining = Math.floor((p.tauUs - used) / p.intervalUs);
      reset = used > 0 ? Math.ceil(used / 1000) : 0;
      break;
    }
    case TOKEN: {
      remaining = Math.floor(s.a / W);
      const missing = p.burst * W - s.a;
      reset = missing > 0 ? Math.ceil(missing / p.limit) : 0;
      break;
    }
    case FIXED: {
      remaining = p.limit - s.b;
      reset = s.b > 0 ? s.a + W - now : 0;
      break;
    }
    default: {
      const el = now - s.a;
      remaining = Math.floor((p.limit * W - s.c * (W - el) - s.b * W) / W);
      reset = s.b > 0 ? W + W - el : s.c > 0 ? W - el : 0;
      break;
    }
  }
  let ttl = reset;
  if (s.blk > now) {
    const b = s.blk - now;
    remaining = 0;
    if (b > reset) reset = b;
    if (b > ttl) ttl = b;
  }
  s.remaining = Math.max(remaining, 0);
  s.reset = reset;
  s.ttl = ttl;
}
