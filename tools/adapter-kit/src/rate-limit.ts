// Rate limiting as the adapters apply it: the limiter's decision (synchronous where its store allows), the key of a
// client (the limiter's own ipKey, the one source), and the IETF RateLimit headers of a decision.

import type { DecisionLike, RateLimiterLike } from './contracts.js';
import { noClientAddress } from './errors.js';

const asyncOnly = new WeakSet<object>();

/**
 * One rate-limit decision: synchronous through `consumeSync()` when the limiter's store allows it, else the promise
 * of `consume()`. Any other error of `consumeSync()` goes through `consume()` so the limiter's failure mode (allow,
 * deny, throw) applies as usual.
 */
export function decide(
  limiter: RateLimiterLike,
  key: string,
  opts: { cost?: number } | undefined,
): DecisionLike | Promise<DecisionLike> {
  if (typeof limiter.consumeSync === 'function' && !asyncOnly.has(limiter)) {
    try {
      return limiter.consumeSync(key, opts);
    } catch (e) {
      if ((e as { code?: unknown } | null)?.code === 'ERR_SYNC_STORE') asyncOnly.add(limiter);
    }
  }
  return limiter.consume(key, opts);
}

/** Rate limiting, normalised. */
export interface ResolvedRate<K> {
  limiter: RateLimiterLike;
  /** The user's key function, or undefined for the limiter's own `ipKey` of the client address. */
  key: ((ctx: K, ip: string) => string) | undefined;
  cost: ((ctx: K) => number) | undefined;
  skip: ((ctx: K) => boolean) | undefined;
}

/**
 * The rate-limit key of a request: the user's `key`, else the limiter's own `ipKey` of the client address (one source
 * of IP keys: what `limiter.reset(ipKey(ip))` of @org/ratelimit finds).
 * @throws {AdapterError} `ERR_NO_CLIENT_ADDRESS` when keying by address and the runtime gave none: one shared bucket
 * for every client would let one of them lock out all the others.
 */
export function rateKey<K>(rate: ResolvedRate<K>, ctx: K, ip: string, adapter: string): string {
  if (rate.key !== undefined) return rate.key(ctx, ip);
  if (ip === '') throw noClientAddress(adapter);
  return rate.limiter.ipKey!(ip);
}

/**
 * RateLimit header flavours, the same output as `rateLimitHeaders()` of @org/ratelimit: `draft-11` (default),
 * `draft-10`, `draft-7`, `draft-6`, `legacy`, `legacy-window` (`X-RateLimit-Limit-<Policy>` per policy); `none` sends
 * only Retry-After on denial.
 */
export type RateLimitHeaderFormat =
  | 'draft-11'
  | 'draft-10'
  | 'draft-7'
  | 'draft-6'
  | 'legacy'
  | 'legacy-window'
  | 'none';

/**
 * The header names, lower-case, in one place: `RATE_LIMIT_HEADER_NAMES` of @org/ratelimit lower-cased (a test holds
 * them equal; the adapters import no core package at run time).
 */
export const RATE_LIMIT_HEADERS: Readonly<{
  policy: string;
  current: string;
  limit: string;
  remaining: string;
  reset: string;
  legacyLimit: string;
  legacyRemaining: string;
  legacyReset: string;
  retryAfter: string;
}> = Object.freeze({
  policy: 'ratelimit-policy',
  current: 'ratelimit',
  limit: 'ratelimit-limit',
  remaining: 'ratelimit-remaining',
  reset: 'ratelimit-reset',
  legacyLimit: 'x-ratelimit-limit',
  legacyRemaining: 'x-ratelimit-remaining',
  legacyReset: 'x-ratelimit-reset',
  retryAfter: 'retry-after',
});
const H = RATE_LIMIT_HEADERS;

/** RFC 9110 tchar: what a header name may contain. */
const NOT_TCHAR = /[^!#$%&'*+\-.^_`|~0-9A-Za-z]/g;

/** The `<Policy>` of `legacy-window` names: `windowHeaderSuffix()` of @org/ratelimit (`minute` → `Minute`), lower-cased. */
const suffixes = new Map<string, string>();
function windowSuffix(name: string): string {
  let s = suffixes.get(name);
  if (s === undefined) {
    s = name.replace(NOT_TCHAR, '-').toLowerCase();
    if (suffixes.size < 1024) suffixes.set(name, s);
  }
  return s;
}

const sec = (ms: number | undefined): number => (ms === undefined || ms <= 0 ? 0 : Math.ceil(ms / 1000));

/** The last policy seen, with its RateLimit-Policy value and RateLimit prefix: one policy per app is the rule. */
interface PolicyStrings {
  name: string;
  limit: number;
  windowMs: number | undefined;
  quotaUnit: string | undefined;
  policy: string;
  prefix: string;
}

let lastPolicy: PolicyStrings = {
  name: '',
  limit: -1,
  windowMs: undefined,
  quotaUnit: undefined,
  policy: '',
  prefix: '',
};

/** `RateLimit-Policy` value and the `"name";r=` prefix of `RateLimit` for one policy (cached for the last policy). */
function policyStrings(p: DecisionLike): PolicyStrings {
  const name = p.name ?? 'default';
  const c = lastPolicy;
  const qu = p.quotaUnit;
  if (c.name === name && c.limit === p.limit && c.windowMs === p.windowMs && c.quotaUnit === qu) return c;
  // draft-11: the quota unit after q, only when it is not the default `requests`
  const unit = qu === undefined || qu === 'requests' ? '' : `;qu="${qu}"`;
  const policy = `"${name}";q=${p.limit}${unit}${p.windowMs !== undefined ? `;w=${sec(p.windowMs)}` : ''}`;
  const prefix = `"${name}";r=`;
  const next: PolicyStrings = { name, limit: p.limit, windowMs: p.windowMs, quotaUnit: qu, policy, prefix };
  lastPolicy = next;
  return next;
}

/** RateLimit headers for a decision (lower-case names), plus Retry-After (whole seconds, at least 1) when denied. */
export function rateLimitHeaderPairs(d: DecisionLike, format: RateLimitHeaderFormat): Array<[string, string]> {
  let out: Array<[string, string]>;
  if (format === 'draft-11' || format === 'draft-10') {
    const ps = d.policies;
    if (ps === undefined || ps.length === 1) {
      // one policy (the common case): the policy value is the same string on every response
      const p = ps === undefined ? d : ps[0]!;
      const s = policyStrings(p);
      out = [
        [H.policy, s.policy],
        [H.current, `${s.prefix}${p.remaining};t=${sec(p.resetMs)}`],
      ];
    } else {
      let pol = '';
      let cur = '';
      for (let i = 0; i < ps.length; i++) {
        const p = ps[i]!;
        const sep = i === 0 ? '' : ', ';
        const s = policyStrings(p);
        pol += `${sep}${s.policy}`;
        cur += `${sep}${s.prefix}${p.remaining};t=${sec(p.resetMs)}`;
      }
      out = [
        [H.policy, pol],
        [H.current, cur],
      ];
    }
  } else if (format === 'draft-7') {
    out = [
      [H.policy, `${d.limit};w=${sec(d.windowMs)}`],
      [H.current, `limit=${d.limit}, remaining=${d.remaining}, reset=${sec(d.resetMs)}`],
    ];
  } else if (format === 'draft-6') {
    out = [
      [H.policy, `${d.limit};w=${sec(d.windowMs)}`],
      [H.limit, String(d.limit)],
      [H.remaining, String(d.remaining)],
      [H.reset, String(sec(d.resetMs))],
    ];
  } else if (format === 'legacy') {
    out = [
      [H.legacyLimit, String(d.limit)],
      [H.legacyRemaining, String(d.remaining)],
      [H.legacyReset, String(Math.ceil((Date.now() + d.resetMs) / 1000))],
    ];
  } else if (format === 'legacy-window') {
    out = [];
    const ps = d.policies ?? [d];
    for (let i = 0; i < ps.length; i++) {
      const p = ps[i]!;
      const s = windowSuffix(p.name ?? 'default');
      out.push([`${H.legacyLimit}-${s}`, String(p.limit)], [`${H.legacyRemaining}-${s}`, String(p.remaining)]);
    }
  } else out = [];
  if (!d.allowed) out.push([H.retryAfter, String(Math.max(1, sec(d.retryAfterMs)))]);
  return out;
}
