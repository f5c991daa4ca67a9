import { invalidArgument, invalidOption, isRateLimitError, RateLimitError, RateLimitStoreError } from './errors.js';
import { DEFAULT_QUOTA_UNIT, windowHeaderSuffix } from './headers.js';
import { type DeadlineEntry, deadlineQueue } from './internal/deadline.js';
import {
  ALGO_CODES,
  type Algorithm,
  type CompiledPolicy,
  GCRA,
  OP_BLOCK,
  OP_CONSUME,
  OP_PEEK,
  OP_PENALIZE,
  OP_REFUND,
  OP_RESET,
  TOKEN,
} from './internal/policy.js';
import { IP_KEY_DEFAULTS, ipKey } from './ipkey.js';
import { memoryStore } from './memory.js';
import type { RateLimitStore, StoreRunner } from './store.js';

export type { Algorithm } from './internal/policy.js';

/** What to do when the store fails or does not answer within `timeoutMs`. */
export type StoreErrorMode = 'allow' | 'deny' | 'throw';

/** One policy: how many requests per window, with which algorithm. */
export interface PolicyOptions {
  /** Default `'gcra'`. */
  algorithm?: Algorithm;
  /** Requests (cost units) allowed per window. Required; integer >= 1. */
  limit: number;
  /** Window length in ms. Required; integer >= 1. */
  windowMs: number;
  /** GCRA / token bucket: requests allowed at once from rest. Default `limit`. Ignored by the window algorithms. */
  burst?: number;
  /** When > 0, a denied key is blocked for this many ms (every request denied, nothing counted). Default 0. */
  blockMs?: number;
  /**
   * Policy name: the namespace of its keys and the name in RateLimit headers. Printable ASCII (`!` to `~`) without
   * `"`, `\\`, `{` or `}`, so it is a valid structured-field string and header value everywhere it is written.
   * Default `${algorithm}-${limit}-${windowMs}ms` (+ `-b${burst}` when set).
   */
  name?: string;
  /**
   * What `limit` counts, sent as the draft-11 `qu` parameter of `RateLimit-Policy` when it is not the default
   * `'requests'`: `'content-bytes'` or `'concurrent-requests'` (the draft's registry), or another registered unit
   * (lower-case letters, digits and `-`). It only labels the headers; `cost` is what a request takes.
   */
  quotaUnit?: QuotaUnit;
}

/** A quota unit from the draft's RateLimit Quota Units registry. */
export type QuotaUnit = 'requests' | 'content-bytes' | 'concurrent-requests' | (string & {});

/** Options shared by {@link rateLimiter} and {@link rateLimiters}. */
export interface StoreOptions {
  /** Where state lives. Default: a private {@link memoryStore} (100,000 keys). */
  store?: RateLimitStore;
  /** On a store failure or timeout: `'allow'` (fail open, default), `'deny'` (fail closed) or `'throw'`. */
  onStoreError?: StoreErrorMode;
  /** Per-call timeout for asynchronous stores, in ms. Default 500. */
  timeoutMs?: number;
  /** `retryAfterMs` reported when denying because of a store failure (`onStoreError: 'deny'`). Default 1000. */
  storeErrorRetryAfterMs?: number;
  /**
   * Local deny cache: after a denial, the key is answered locally until its retry time, without asking the store.
   * `true` for 10,000 keys, or `{ maxKeys }`. Default off. Uses the local clock (`Date.now`).
   */
  denyCache?: boolean | { maxKeys?: number };
  /** IPv6 prefix of {@link RateLimiter.ipKey}: clients are keyed by their /`ipv6Prefix` network. Default 56. */
  ipv6Prefix?: number;
}

/** Options for {@link rateLimiter}. */
export interface RateLimiterOptions extends PolicyOptions, StoreOptions {}

/** Options for {@link rateLimiters}. */
export interface RateLimitersOptions extends StoreOptions {}

/** Per-request options. */
export interface ConsumeOptions {
  /** Units this request costs; integer >= 1 and <= the policy's capacity. Default 1. */
  cost?: number;
}

/** Where a decision came from. */
export type DecisionSource = 'store' | 'deny-cache' | 'store-error';

/** The answer for one request. */
export interface RateLimitDecision {
  /** Whether the request may proceed. */
  allowed: boolean;
  /** The policy's limit (requests per window). */
  limit: number;
  /** Units still available now (after this request when allowed). */
  remaining: number;
  /** ms until the quota is fully restored (0 when it already is). */
  resetMs: number;
  /** ms to wait before retrying; 0 when allowed. */
  retryAfterMs: number;
  /** Policy name (the most restrictive one for a group). */
  name: string;
  /** Policy window in ms. */
  windowMs: number;
  /** `'store'` normally; `'deny-cache'` when answered locally; `'store-error'` when produced by `onStoreError`. */
  source: DecisionSource;
  /** Every policy's own decision, for groups built with {@link rateLimiters}. */
  policies?: readonly RateLimitDecision[];
  /** The policy's quota unit (always set by the limiter; absent means `'requests'`). */
  quotaUnit?: QuotaUnit;
}

/** Events emitted by a limiter. */
export interface RateLimiterEvents {
  /** The store failed or timed out and `onStoreError` was applied. */
  storeError: { error: unknown; mode: StoreErrorMode };
  /**
   * A `consume` / `consumeSync` decided (the decision object itself, never the key): what metrics count. Nothing is
   * emitted, and nothing is spent, while nobody listens.
   */
  decision: RateLimitDecision;
}

/** A rate limiter (one policy) or a group of policies decided together. */
export interface RateLimiter {
  /** The compiled policies (one for {@link rateLimiter}). */
  readonly policies: readonly Readonly<PolicyInfo>[];
  /** Takes `cost` units for `key` when every policy allows it; nothing is taken when any denies. */
  consume(key: string, opts?: ConsumeOptions): Promise<RateLimitDecision>;
  /** Synchronous `consume`; only with a memory store. @throws {RateLimitError} ERR_SYNC_STORE otherwise. */
  consumeSync(key: string, opts?: ConsumeOptions): RateLimitDecision;
  /** Would `consume` allow this cost now? Changes nothing. */
  peek(key: string, opts?: ConsumeOptions): Promise<RateLimitDecision>;
  /** Gives `cost` units back (e.g. the request turned out to be free). Never beyond a full quota. */
  refund(key: string, opts?: ConsumeOptions): Promise<RateLimitDecision>;
  /** Takes `cost` units unconditionally (penalty for a failed login, etc.); may go below zero. */
  penalize(key: string, opts?: ConsumeOptions): Promise<RateLimitDecision>;
  /** Blocks `key` for `durationMs`: every consume is denied until then. */
  block(key: string, durationMs: number): Promise<RateLimitDecision>;
  /** Forgets everything about `key`. */
  reset(key: string): Promise<void>;
  /**
   * The key of a client address as this limiter groups clients: `ipKey(ip, { ipv6Prefix })` with the limiter's own
   * `ipv6Prefix` (e.g. `2001:db8:abcd:1200::/56`). Adapters key requests with it, so `limiter.reset(limiter.ipKey(ip))`
   * (or `ipKey(ip)` at the default prefix) finds their bucket.
   */
  ipKey(ip: string): string;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends keyof RateLimiterEvents>(event: E, listener: (e: RateLimiterEvents[E]) => void): () => void;
}

/** An asynchronous store call in flight. */
interface Call extends DeadlineEntry {
  op: number;
  resolve: (d: RateLimitDecision) => void;
  reject: (e: unknown) => void;
}

/** Public view of a compiled policy. */
export interface PolicyInfo {
  name: string;
  algorithm: Algorithm;
  limit: number;
  windowMs: number;
  burst: number;
  blockMs: number;
  quotaUnit: QuotaUnit;
}

/** Defaults applied by {@link rateLimiter} and {@link rateLimiters}. */
export const RATE_LIMITER_DEFAULTS: Readonly<{
  algorithm: Algorithm;
  onStoreError: StoreErrorMode;
  timeoutMs: number;
  storeErrorRetryAfterMs: number;
  blockMs: number;
  denyCacheMaxKeys: number;
}> = Object.freeze({
  algorithm: 'gcra',
  onStoreError: 'allow',
  timeoutMs: 500,
  storeErrorRetryAfterMs: 1000,
  blockMs: 0,
  denyCacheMaxKeys: 10_000,
});

const MAX_SAFE = 2 ** 50;

const intOpt = (where: string, name: string, v: unknown, min: number): number => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min)
    throw invalidOption(RangeError, `${where}: ${name} must be an integer >= ${min}, got ${String(v)}`);
  return v;
};

/** `U+00E9` for 'é'. */
const codePoint = (c: string): string => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;

/**
 * A policy name is written inside an sf-string in `RateLimit` / `RateLimit-Policy` (RFC 9651: printable ASCII, with
 * `"` and `\\` escaped) and turned into header names by the `legacy-window` format; anything else would make a
 * header invalid on every request. Space is refused too (it never was accepted), and braces because they are Redis
 * Cluster hash-tag delimiters.
 */
function checkName(where: string, name: unknown): void {
  if (typeof name !== 'string' || name === '')
    throw invalidOption(
      TypeError,
      `${where}: name must be a non-empty string, got ${typeof name === 'string' ? '""' : typeof name}`,
    );
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x21 || c > 0x7e || c === 0x22 || c === 0x5c || c === 0x7b || c === 0x7d) {
      const ch = String.fromCodePoint(name.codePointAt(i)!);
      throw invalidOption(
        TypeError,
        `${where}: name must be printable ASCII (! to ~) without spaces, quotes, backslashes or braces, so it is valid in RateLimit headers; got ${JSON.stringify(name)} with ${codePoint(ch)} at index ${i}`,
      );
    }
  }
}

/** Validates and compiles one policy. */
export function compilePolicy(o: PolicyOptions, where = 'rateLimiter'): CompiledPolicy {
  if (o === null || typeof o !== 'object') throw invalidOption(TypeError, `${where}: options must be an object`);
  const algorithm = o.algorithm ?? RATE_LIMITER_DEFAULTS.algorithm;
  const algo = ALGO_CODES[algorithm];
  if (algo === undefined || !Object.hasOwn(ALGO_CODES, algorithm))
    throw invalidOption(
      TypeError,
      `${where}: algorithm must be 'gcra', 'sliding-window', 'token-bucket' or 'fixed-window', got ${String(algorithm)}`,
    );
  const limit = intOpt(where, 'limit', o.limit, 1);
  const windowMs = intOpt(where, 'windowMs', o.windowMs, 1);
  const burst = o.burst === undefined ? limit : intOpt(where, 'burst', o.burst, 1);
  const blockMs = o.blockMs === undefined ? 0 : intOpt(where, 'blockMs', o.blockMs, 0);
  const intervalUs = Math.ceil((windowMs * 1000) / limit);
  if ((limit + burst) * windowMs * 2 > MAX_SAFE || burst * intervalUs > MAX_SAFE)
    throw invalidOption(
      RangeError,
      `${where}: limit, burst and windowMs are too large together (exact integer maths needs (limit + burst) * windowMs < 2^49)`,
    );
  const usesBurst = algo === GCRA || algo === TOKEN;
  let name = o.name;
  if (name === undefined)
    name = `${algorithm}-${limit}-${windowMs}ms${usesBurst && burst !== limit ? `-b${burst}` : ''}`;
  else checkName(where, name);
  const quotaUnit = o.quotaUnit ?? DEFAULT_QUOTA_UNIT;
  if (typeof quotaUnit !== 'string' || !/^[a-z][a-z0-9-]*$/.test(quotaUnit))
    throw invalidOption(
      TypeError,
      `${where}: quotaUnit must be a registered quota unit such as 'requests', 'content-bytes' or 'concurrent-requests' (lower-case letters, digits and -), got ${JSON.stringify(quotaUnit)}`,
    );
  return {
    name,
    algorithm,
    algo,
    limit,
    windowMs,
    burst: usesBurst ? burst : limit,
    blockMs,
    capacity: usesBurst ? burst : limit,
    quotaUnit,
    intervalUs,
    tauUs: burst * intervalUs,
  };
}

/**
 * Whether `s` is a dotted-quad IPv4 address written the way {@link ipKey} writes it (no leading zeros, no spaces): at
 * the default /32 such an address is its own key. A character loop, for the limiter's per-request `ipKey`.
 */
function isCanonicalV4(s: string): boolean {
  const n = s.length;
  if (n < 7 || n > 15) return false;
  let dots = 0;
  let digits = 0;
  let value = 0;
  let first = 0;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || ++dots > 3) return false;
      digits = 0;
      value = 0;
    } else if (c >= 48 && c <= 57) {
      if (digits === 0) first = c;
      else if (first === 48) return false; // a leading zero
      if (++digits > 3) return false;
      value = value * 10 + (c - 48);
      if (value > 255) return false;
    } else return false;
  }
  return dots === 3 && digits > 0;
}

/** Builds a limiter for one policy. See {@link RateLimiterOptions}. @throws {RangeError|TypeError} on bad options, naming the option. */
export function rateLimiter(opts: RateLimiterOptions): RateLimiter {
  const p = compilePolicy(opts, 'rateLimiter');
  return build([p], opts, 'rateLimiter');
}

/**
 * Builds one limiter from several policies (e.g. 10/s and 1000/day) decided together in one store call: a request is
 * allowed only when every policy allows it, and then every policy is charged; otherwise nothing is charged. The
 * returned decision is the most restrictive policy's (largest retryAfterMs when denied, smallest remaining when
 * allowed), with each policy's own decision in `policies`.
 */
export function rateLimiters(policies: readonly PolicyOptions[], opts: RateLimitersOptions = {}): RateLimiter {
  if (!Array.isArray(policies) || policies.length === 0)
    throw invalidOption(TypeError, 'rateLimiters: policies must be a non-empty array');
  const compiled = policies.map((p, i) => compilePolicy(p, `rateLimiters: policies[${i}]`));
  const seen = new Map<string, number>();
  for (let i = 0; i < compiled.length; i++) {
    const name = compiled[i]!.name;
    // Header names compare case-insensitively: two policies must not share their legacy-window header names.
    const suffix = windowHeaderSuffix(name).toLowerCase();
    const j = seen.get(suffix);
    if (j !== undefined)
      throw invalidOption(
        TypeError,
        compiled[j]!.name === name
          ? `rateLimiters: policy names must be unique, got ${name} twice`
          : `rateLimiters: policies[${j}] (${compiled[j]!.name}) and policies[${i}] (${name}) would share the header names X-RateLimit-*-${windowHeaderSuffix(name)}; rename one`,
      );
    seen.set(suffix, i);
  }
  return build(compiled, opts, 'rateLimiters');
}

function build(policies: CompiledPolicy[], opts: StoreOptions, where: string): RateLimiter {
  const store = opts.store ?? memoryStore();
  if (!store || typeof store.bind !== 'function')
    throw invalidOption(TypeError, `${where}: store must come from memoryStore() or redisStore()`);
  const mode = opts.onStoreError ?? RATE_LIMITER_DEFAULTS.onStoreError;
  if (mode !== 'allow' && mode !== 'deny' && mode !== 'throw')
    throw invalidOption(TypeError, `${where}: onStoreError must be 'allow', 'deny' or 'throw', got ${String(mode)}`);
  const timeoutMs = intOpt(where, 'timeoutMs', opts.timeoutMs ?? RATE_LIMITER_DEFAULTS.timeoutMs, 1);
  const errRetry = intOpt(
    where,
    'storeErrorRetryAfterMs',
    opts.storeErrorRetryAfterMs ?? RATE_LIMITER_DEFAULTS.storeErrorRetryAfterMs,
    0,
  );
  let cacheMax = 0;
  if (opts.denyCache === true) cacheMax = RATE_LIMITER_DEFAULTS.denyCacheMaxKeys;
  else if (opts.denyCache && typeof opts.denyCache === 'object')
    cacheMax = intOpt(where, 'denyCache.maxKeys', opts.denyCache.maxKeys ?? RATE_LIMITER_DEFAULTS.denyCacheMaxKeys, 1);
  else if (opts.denyCache !== undefined && opts.denyCache !== false)
    throw invalidOption(TypeError, `${where}: denyCache must be a boolean or { maxKeys }`);

  const ipv6Prefix = opts.ipv6Prefix ?? IP_KEY_DEFAULTS.ipv6Prefix;
  if (!Number.isInteger(ipv6Prefix) || ipv6Prefix < 0 || ipv6Prefix > 128)
    throw invalidOption(
      RangeError,
      `${where}: ipv6Prefix must be an integer between 0 and 128, got ${String(opts.ipv6Prefix)}`,
    );
  const keyOpts = { ipv6Prefix };

  const runner: StoreRunner = store.bind(policies);
  const n = policies.length;
  const capacity = Math.min(...policies.map((p) => p.capacity));
  const p0 = policies[0]!;
  const info: PolicyInfo[] = policies.map((p) =>
    Object.freeze({
      name: p.name,
      algorithm: p.algorithm,
      limit: p.limit,
      windowMs: p.windowMs,
      burst: p.burst,
      blockMs: p.blockMs,
      quotaUnit: p.quotaUnit,
    }),
  );

  // each event's listeners, copied on change (an emit in progress keeps its list); null while there are none
  const subs: { [E in keyof RateLimiterEvents]: Array<(e: RateLimiterEvents[E]) => void> | null } = {
    storeError: null,
    decision: null,
  };
  // A throwing listener must not change the decision (nor, from consumeSync, send the adapter to consume() again, nor
  // turn onStoreError's answer into a rejection): its error is rethrown asynchronously, where it is reported as
  // uncaught (as @org/breaker's events do), and the listeners after it still run.
  const emit = <E>(ls: ReadonlyArray<(e: E) => void>, e: E): void => {
    for (const l of ls) {
      try {
        l(e);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  };
  const emitDecision = (d: RateLimitDecision): RateLimitDecision => {
    const ls = subs.decision;
    if (ls !== null) emit(ls, d);
    return d;
  };
  const denyCache = cacheMax > 0 ? new Map<string, number>() : null;
  const storeTimeout = (): RateLimitStoreError =>
    new RateLimitStoreError('ERR_STORE_TIMEOUT', `ratelimit: store did not answer within ${timeoutMs} ms`);
  const timeouts = runner.sync
    ? null
    : deadlineQueue<Call>(timeoutMs, (c) => {
        try {
          c.resolve(failed(storeTimeout(), c.op));
        } catch (thrown) {
          c.reject(thrown);
        }
      });

  const checkCost = (o: ConsumeOptions | undefined): number => {
    const cost = o?.cost;
    if (cost === undefined) return 1;
    if (typeof cost !== 'number' || !Number.isInteger(cost) || cost < 1 || cost > capacity)
      throw invalidArgument(
        RangeError,
        `${where}: cost must be an integer between 1 and ${capacity}, got ${String(cost)}`,
      );
    return cost;
  };
  const checkKey = (key: unknown): void => {
    if (typeof key !== 'string') throw invalidArgument(TypeError, `${where}: key must be a string, got ${typeof key}`);
  };

  const one = (r: ArrayLike<number>, o: number, p: CompiledPolicy): RateLimitDecision => ({
    allowed: r[o] === 1,
    limit: p.limit,
    remaining: r[o + 1]!,
    resetMs: r[o + 2]!,
    retryAfterMs: r[o + 3]!,
    name: p.name,
    windowMs: p.windowMs,
    source: 'store',
    quotaUnit: p.quotaUnit,
  });

  const toDecision =
    n === 1
      ? (r: ArrayLike<number>): RateLimitDecision => one(r, 0, p0)
      : (r: ArrayLike<number>): RateLimitDecision => {
          const all: RateLimitDecision[] = [];
          let allowed = true;
          for (let k = 0; k < n; k++) {
            const d = one(r, k * 4, policies[k]!);
            if (!d.allowed) allowed = false;
            all.push(d);
          }
          let pick = all[0]!;
          for (const d of all) {
            if (
              allowed
                ? d.remaining < pick.remaining
                : d.retryAfterMs > pick.retryAfterMs || (pick.allowed && !d.allowed)
            )
              pick = d;
          }
          return { ...pick, allowed, retryAfterMs: allowed ? 0 : pick.retryAfterMs, policies: all };
        };

  const failed = (error: unknown, op: number): RateLimitDecision => {
    const err = isRateLimitError(error)
      ? error
      : new RateLimitStoreError('ERR_STORE', 'ratelimit: the store failed', { cause: error });
    const ls = subs.storeError;
    if (ls !== null) emit(ls, { error: err, mode });
    if (mode === 'throw') throw err;
    const allow = mode === 'allow' || (op !== OP_CONSUME && op !== OP_PEEK);
    const d = storeErrorDecision(p0, allow);
    // A group lists every policy, so per-policy headers (legacy-window, draft-11 lists) stay complete in an outage.
    return n === 1 ? d : { ...d, policies: policies.map((p) => storeErrorDecision(p, allow)) };
  };
  const storeErrorDecision = (p: CompiledPolicy, allow: boolean): RateLimitDecision => ({
    allowed: allow,
    limit: p.limit,
    remaining: allow ? p.limit : 0,
    resetMs: 0,
    retryAfterMs: allow ? 0 : errRetry,
    name: p.name,
    windowMs: p.windowMs,
    source: 'store-error',
    quotaUnit: p.quotaUnit,
  });

  const cacheLookup = (key: string): RateLimitDecision | undefined => {
    const until = denyCache!.get(key);
    if (until === undefined) return undefined;
    const left = until - Date.now();
    if (left <= 0) {
      denyCache!.delete(key);
      return undefined;
    }
    return {
      allowed: false,
      limit: p0.limit,
      remaining: 0,
      resetMs: left,
      retryAfterMs: left,
      name: p0.name,
      windowMs: p0.windowMs,
      source: 'deny-cache',
      quotaUnit: p0.quotaUnit,
    };
  };
  const cacheStore = (key: string, d: RateLimitDecision): void => {
    if (d.allowed || d.retryAfterMs <= 0) return;
    if (denyCache!.size >= cacheMax) denyCache!.delete(denyCache!.keys().next().value as string);
    denyCache!.set(key, Date.now() + d.retryAfterMs);
  };

  const read = runner.read ?? ((v: unknown) => v as ArrayLike<number>);
  const retry = runner.retry;
  const settled = runner.settled;
  const exec = (op: number, key: string, cost: number): Promise<RateLimitDecision> => {
    if (denyCache !== null) {
      if (op === OP_CONSUME) {
        const hit = cacheLookup(key);
        if (hit !== undefined) return Promise.resolve(hit);
      } else if (op !== OP_PEEK) denyCache.delete(key);
    }
    let r: ArrayLike<number> | Promise<unknown>;
    try {
      r = runner.run(op, key, cost);
    } catch (e) {
      try {
        return Promise.resolve(failed(e, op));
      } catch (thrown) {
        return Promise.reject(thrown);
      }
    }
    if (timeouts === null) {
      const d = toDecision(r as ArrayLike<number>);
      if (denyCache !== null && op === OP_CONSUME) cacheStore(key, d);
      return Promise.resolve(d);
    }
    const q = timeouts;
    return new Promise<RateLimitDecision>((resolve, reject) => {
      const c: Call = { deadline: 0, done: false, op, resolve, reject };
      q.add(c);
      let retried = false;
      // The store's promise settled: `settled` first (once per promise), then the decision.
      const ko = (e: unknown): void => {
        if (settled !== undefined) settled();
        fail(e);
      };
      const fail = (e: unknown): void => {
        if (c.done) return;
        if (!retried && retry !== undefined) {
          retried = true;
          let again: Promise<unknown> | undefined;
          try {
            again = retry(e, op, key, cost);
          } catch (e2) {
            e = e2;
          }
          if (again !== undefined) {
            again.then(ok, ko);
            return;
          }
        }
        if (!q.settle(c)) return;
        try {
          resolve(failed(e, op));
        } catch (thrown) {
          reject(thrown);
        }
      };
      const ok = (v: unknown): void => {
        if (settled !== undefined) settled();
        if (c.done) return;
        let d: RateLimitDecision;
        try {
          d = toDecision(read(v, op, cost));
        } catch (e) {
          retried = true;
          fail(e);
          return;
        }
        q.settle(c);
        if (denyCache !== null && op === OP_CONSUME) cacheStore(key, d);
        resolve(d);
      };
      (r as Promise<unknown>).then(ok, ko);
    });
  };

  return {
    policies: info,
    consume(key, o) {
      checkKey(key);
      const p = exec(OP_CONSUME, key, checkCost(o));
      return subs.decision === null ? p : p.then(emitDecision);
    },
    consumeSync(key, o) {
      checkKey(key);
      if (!runner.sync)
        throw new RateLimitError('ERR_SYNC_STORE', `${where}: consumeSync needs a memory store; use consume()`);
      const cost = checkCost(o);
      if (denyCache !== null) {
        const hit = cacheLookup(key);
        if (hit !== undefined) return subs.decision === null ? hit : emitDecision(hit);
      }
      const d = toDecision(runner.run(OP_CONSUME, key, cost) as ArrayLike<number>);
      if (denyCache !== null) cacheStore(key, d);
      return subs.decision === null ? d : emitDecision(d);
    },
    peek(key, o) {
      checkKey(key);
      return exec(OP_PEEK, key, checkCost(o));
    },
    refund(key, o) {
      checkKey(key);
      return exec(OP_REFUND, key, checkCost(o));
    },
    penalize(key, o) {
      checkKey(key);
      const cost = o?.cost ?? 1;
      if (!Number.isInteger(cost) || cost < 1)
        throw invalidArgument(RangeError, `${where}: cost must be an integer >= 1, got ${String(cost)}`);
      return exec(OP_PENALIZE, key, cost);
    },
    block(key, durationMs) {
      checkKey(key);
      intOpt(where, 'durationMs', durationMs, 1);
      return exec(OP_BLOCK, key, durationMs);
    },
    reset(key) {
      checkKey(key);
      return exec(OP_RESET, key, 0).then(() => undefined);
    },
    ipKey(ip) {
      // called for every request: a plain IPv4 address, the usual case, is its own key (what ipKey() returns for it)
      return typeof ip === 'string' && isCanonicalV4(ip) ? ip : ipKey(ip, keyOpts);
    },
    on(event, listener) {
      if (event !== 'storeError' && event !== 'decision')
        throw invalidArgument(TypeError, `${where}: unknown event ${String(event)}`);
      if (typeof listener !== 'function')
        throw invalidArgument(TypeError, `${where}: on('${event}') needs a listener function`);
      const l = listener as (e: unknown) => void;
      // one list per event, the same handling for both (the listener's type is its event's, checked by on()'s signature)
      const lists = subs as Record<keyof RateLimiterEvents, Array<(e: unknown) => void> | null>;
      const name = event as keyof RateLimiterEvents;
      lists[name] = [...(lists[name] ?? []), l];
      return () => {
        const next = (lists[name] ?? []).filter((x) => x !== l);
        lists[name] = next.length ? next : null;
      };
    },
  };
}
