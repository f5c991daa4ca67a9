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

/** IETF RateLimit header flavours (the same output as `rateLimitHeaders()` of @org/ratelimit); `none` sends only Retry-After on denial. */
export type RateLimitHeaderFormat = 'draft-10' | 'draft-7' | 'draft-6' | 'legacy' | 'none';

const sec = (ms: number | undefined): number => (ms === undefined || ms <= 0 ? 0 : Math.ceil(ms / 1000));

/** The last policy seen, with its RateLimit-Policy value and RateLimit prefix: one policy per app is the rule. */
interface PolicyStrings {
  name: string;
  limit: number;
  windowMs: number | undefined;
  policy: string;
  prefix: string;
}

let lastPolicy: PolicyStrings = { name: '', limit: -1, windowMs: undefined, policy: '', prefix: '' };

/** `RateLimit-Policy` value and the `"name";r=` prefix of `RateLimit` for one policy (cached for the last policy). */
function policyStrings(p: DecisionLike): PolicyStrings {
  const name = p.name ?? 'default';
  const c = lastPolicy;
  if (c.name === name && c.limit === p.limit && c.windowMs === p.windowMs) return c;
  const policy = `"${name}";q=${p.limit}${p.windowMs !== undefined ? `;w=${sec(p.windowMs)}` : ''}`;
  const prefix = `"${name}";r=`;
  const next: PolicyStrings = { name, limit: p.limit, windowMs: p.windowMs, policy, prefix };
  lastPolicy = next;
  return next;
}

/** RateLimit headers for a decision (lower-case names), plus Retry-After (whole seconds, at least 1) when denied. */
export function rateLimitHeaderPairs(d: DecisionLike, format: RateLimitHeaderFormat): Array<[string, string]> {
  let out: Array<[string, string]>;
  if (format === 'draft-10') {
    const ps = d.policies;
    if (ps === undefined || ps.length === 1) {
      // one policy (the common case): the policy value is the same string on every response
      const p = ps === undefined ? d : ps[0]!;
      const s = policyStrings(p);
      out = [
        ['ratelimit-policy', s.policy],
        ['ratelimit', `${s.prefix}${p.remaining};t=${sec(p.resetMs)}`],
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
        ['ratelimit-policy', pol],
        ['ratelimit', cur],
      ];
    }
  } else if (format === 'draft-7') {
    out = [
      ['ratelimit-policy', `${d.limit};w=${sec(d.windowMs)}`],
      ['ratelimit', `limit=${d.limit}, remaining=${d.remaining}, reset=${sec(d.resetMs)}`],
    ];
  } else if (format === 'draft-6') {
    out = [
      ['ratelimit-policy', `${d.limit};w=${sec(d.windowMs)}`],
      ['ratelimit-limit', String(d.limit)],
      ['ratelimit-remaining', String(d.remaining)],
      ['ratelimit-reset', String(sec(d.resetMs))],
    ];
  } else if (format === 'legacy') {
    out = [
      ['x-ratelimit-limit', String(d.limit)],
      ['x-ratelimit-remaining', String(d.remaining)],
      ['x-ratelimit-reset', String(Math.ceil((Date.now() + d.resetMs) / 1000))],
    ];
  } else out = [];
  if (!d.allowed) out.push(['retry-after', String(Math.max(1, sec(d.retryAfterMs)))]);
  return out;
}
