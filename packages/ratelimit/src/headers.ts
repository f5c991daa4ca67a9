import { invalidOption } from './errors.js';
import type { RateLimitDecision } from './limiter.js';

/**
 * Header dialects:
 * - `'draft-11'` (default): draft-ietf-httpapi-ratelimit-headers-11, `RateLimit-Policy` + `RateLimit` as structured
 *   field lists, one item per policy, with the quota unit (`qu`) when a policy sets one.
 * - `'draft-10'`: the same field syntax (draft-10 already had `qu`; -11 changed the meaning of `r` and `t` in prose
 *   only), kept so a pinned format keeps working.
 * - `'draft-7'`, `'draft-6'`: older drafts, one policy.
 * - `'legacy'`: `X-RateLimit-Limit` / `-Remaining` / `-Reset` (epoch seconds), one policy.
 * - `'legacy-window'`: `X-RateLimit-Limit-<Policy>` and `X-RateLimit-Remaining-<Policy>` for every policy of a group,
 *   e.g. `X-RateLimit-Limit-Minute` for a policy named `minute` (see {@link windowHeaderSuffix}).
 */
export type HeaderFormat = 'draft-11' | 'draft-10' | 'draft-7' | 'draft-6' | 'legacy' | 'legacy-window';

/** Options for {@link rateLimitHeaders}. */
export interface RateLimitHeadersOptions {
  /** Default `'draft-11'`. */
  format?: HeaderFormat;
  /** Legacy only: clock for the epoch-seconds `X-RateLimit-Reset`. Default `Date.now`. */
  now?: () => number;
}

/**
 * Every header name this package writes, in one place: the IETF draft may still rename its fields, and adapters that
 * write headers themselves should take the names from here.
 */
export const RATE_LIMIT_HEADER_NAMES: Readonly<{
  /** draft-7 and later: the policies (`RateLimit-Policy`). */
  policy: string;
  /** draft-7 and later: the current service limit of each policy (`RateLimit`). */
  current: string;
  /** draft-6: `RateLimit-Limit`. */
  limit: string;
  /** draft-6: `RateLimit-Remaining`. */
  remaining: string;
  /** draft-6: `RateLimit-Reset`. */
  reset: string;
  /** legacy: `X-RateLimit-Limit`; legacy-window: the prefix of `X-RateLimit-Limit-<Policy>`. */
  legacyLimit: string;
  /** legacy: `X-RateLimit-Remaining`; legacy-window: the prefix of `X-RateLimit-Remaining-<Policy>`. */
  legacyRemaining: string;
  /** legacy: `X-RateLimit-Reset`. */
  legacyReset: string;
  /** Every denial, every format. */
  retryAfter: string;
}> = Object.freeze({
  policy: 'RateLimit-Policy',
  current: 'RateLimit',
  limit: 'RateLimit-Limit',
  remaining: 'RateLimit-Remaining',
  reset: 'RateLimit-Reset',
  legacyLimit: 'X-RateLimit-Limit',
  legacyRemaining: 'X-RateLimit-Remaining',
  legacyReset: 'X-RateLimit-Reset',
  retryAfter: 'Retry-After',
});

const N = RATE_LIMIT_HEADER_NAMES;

/** The quota unit the drafts assume when a policy sends no `qu`. */
export const DEFAULT_QUOTA_UNIT = 'requests';

const sec = (ms: number): number => (ms <= 0 ? 0 : Math.ceil(ms / 1000));

/** RFC 9110 tchar: what a header name may contain. */
const NOT_TCHAR = /[^!#$%&'*+\-.^_`|~0-9A-Za-z]/g;

/**
 * The `<Policy>` part of the `'legacy-window'` header names for a policy name: every character that may not appear in
 * a header name becomes `-`, and each letter at the start or after a `-` is upper-cased (`minute` → `Minute`,
 * `per-ip` → `Per-Ip`, `api:read` → `Api-Read`). {@link rateLimiters} refuses groups in which two policies would get
 * the same header names (compared case-insensitively, as HTTP compares them).
 */
export function windowHeaderSuffix(name: string): string {
  return name.replace(NOT_TCHAR, '-').replace(/(^|-)([a-z])/g, (_, sep: string, c: string) => sep + c.toUpperCase());
}

const policyItem = (d: RateLimitDecision): string => {
  const u = d.quotaUnit;
  return u === undefined || u === DEFAULT_QUOTA_UNIT
    ? `"${d.name}";q=${d.limit};w=${sec(d.windowMs)}`
    : `"${d.name}";q=${d.limit};qu="${u}";w=${sec(d.windowMs)}`;
};

/**
 * Response headers for a decision, as a plain object (set each entry on the response). Cheap: a few string
 * concatenations, no allocation beyond the object. Names come from {@link RATE_LIMIT_HEADER_NAMES}.
 * - `draft-11` / `draft-10`: `RateLimit-Policy: "name";q=100;w=60` and `RateLimit: "name";r=42;t=17`, one list member
 *   per policy; `;qu="content-bytes"` after `q` for a policy whose `quotaUnit` is not `requests`.
 * - `draft-7`: `RateLimit-Policy: 100;w=60` and `RateLimit: limit=100, remaining=42, reset=17`.
 * - `draft-6`: `RateLimit-Policy`, `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (delta seconds).
 * - `legacy`: `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset` (epoch seconds).
 * - `legacy-window`: `X-RateLimit-Limit-<Policy>` and `X-RateLimit-Remaining-<Policy>` per policy.
 * Every denial also gets `Retry-After` in whole seconds (at least 1).
 * @throws {TypeError} on an unknown format.
 * @example
 * const d = await limiter.consume(key);
 * for (const [name, value] of Object.entries(rateLimitHeaders(d))) res.setHeader(name, value);
 */
export function rateLimitHeaders(decision: RateLimitDecision, opts?: RateLimitHeadersOptions): Record<string, string> {
  const format = opts?.format ?? 'draft-11';
  const d = decision;
  const h: Record<string, string> = {};
  switch (format) {
    case 'draft-11':
    case 'draft-10': {
      const ps = d.policies;
      if (ps === undefined) {
        h[N.policy] = policyItem(d);
        h[N.current] = `"${d.name}";r=${d.remaining};t=${sec(d.resetMs)}`;
      } else {
        let pol = '';
        let cur = '';
        for (let i = 0; i < ps.length; i++) {
          const p = ps[i]!;
          const sep = i === 0 ? '' : ', ';
          pol += sep + policyItem(p);
          cur += `${sep}"${p.name}";r=${p.remaining};t=${sec(p.resetMs)}`;
        }
        h[N.policy] = pol;
        h[N.current] = cur;
      }
      break;
    }
    case 'draft-7':
      h[N.policy] = `${d.limit};w=${sec(d.windowMs)}`;
      h[N.current] = `limit=${d.limit}, remaining=${d.remaining}, reset=${sec(d.resetMs)}`;
      break;
    case 'draft-6':
      h[N.policy] = `${d.limit};w=${sec(d.windowMs)}`;
      h[N.limit] = String(d.limit);
      h[N.remaining] = String(d.remaining);
      h[N.reset] = String(sec(d.resetMs));
      break;
    case 'legacy':
      h[N.legacyLimit] = String(d.limit);
      h[N.legacyRemaining] = String(d.remaining);
      h[N.legacyReset] = String(Math.ceil(((opts?.now ?? Date.now)() + d.resetMs) / 1000));
      break;
    case 'legacy-window': {
      const ps = d.policies ?? [d];
      for (let i = 0; i < ps.length; i++) {
        const p = ps[i]!;
        const s = windowHeaderSuffix(p.name);
        h[`${N.legacyLimit}-${s}`] = String(p.limit);
        h[`${N.legacyRemaining}-${s}`] = String(p.remaining);
      }
      break;
    }
    default:
      throw invalidOption(
        TypeError,
        `rateLimitHeaders: format must be 'draft-11', 'draft-10', 'draft-7', 'draft-6', 'legacy' or 'legacy-window', got ${String(format)}`,
      );
  }
  if (!d.allowed) h[N.retryAfter] = String(Math.max(1, sec(d.retryAfterMs)));
  return h;
}
