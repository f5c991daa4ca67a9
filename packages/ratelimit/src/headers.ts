import type { RateLimitDecision } from './limiter.js';

/** Header dialects: IETF draft-10 (`RateLimit-Policy` + `RateLimit`), draft-6, draft-7, legacy `X-RateLimit-*`. */
export type HeaderFormat = 'draft-10' | 'draft-7' | 'draft-6' | 'legacy';

/** Options for {@link rateLimitHeaders}. */
export interface RateLimitHeadersOptions {
  /** Default `'draft-10'`. */
  format?: HeaderFormat;
  /** Legacy only: clock for the epoch-seconds `X-RateLimit-Reset`. Default `Date.now`. */
  now?: () => number;
}

const sec = (ms: number): number => (ms <= 0 ? 0 : Math.ceil(ms / 1000));

/**
 * Response headers for a decision, as a plain object (set each entry on the response). Cheap: a few string
 * concatenations, no allocation beyond the object.
 * - `draft-10`: `RateLimit-Policy: "name";q=100;w=60` and `RateLimit: "name";r=42;t=17`, one list member per policy.
 * - `draft-7`: `RateLimit-Policy: 100;w=60` and `RateLimit: limit=100, remaining=42, reset=17`.
 * - `draft-6`: `RateLimit-Policy`, `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` (delta seconds).
 * - `legacy`: `X-RateLimit-Limit`, `X-RateLimit-Remaining`, `X-RateLimit-Reset` (epoch seconds).
 * Every denial also gets `Retry-After` in whole seconds (at least 1).
 * @throws {TypeError} on an unknown format.
 */
export function rateLimitHeaders(decision: RateLimitDecision, opts?: RateLimitHeadersOptions): Record<string, string> {
  const format = opts?.format ?? 'draft-10';
  const d = decision;
  let h: Record<string, string>;
  switch (format) {
    case 'draft-10': {
      const ps = d.policies;
      if (ps === undefined) {
        h = {
          'RateLimit-Policy': `"${d.name}";q=${d.limit};w=${sec(d.windowMs)}`,
          RateLimit: `"${d.name}";r=${d.remaining};t=${sec(d.resetMs)}`,
        };
      } else {
        let pol = '';
        let cur = '';
        for (let i = 0; i < ps.length; i++) {
          const p = ps[i]!;
          const sep = i === 0 ? '' : ', ';
          pol += `${sep}"${p.name}";q=${p.limit};w=${sec(p.windowMs)}`;
          cur += `${sep}"${p.name}";r=${p.remaining};t=${sec(p.resetMs)}`;
        }
        h = { 'RateLimit-Policy': pol, RateLimit: cur };
      }
      break;
    }
    case 'draft-7':
      h = {
        'RateLimit-Policy': `${d.limit};w=${sec(d.windowMs)}`,
        RateLimit: `limit=${d.limit}, remaining=${d.remaining}, reset=${sec(d.resetMs)}`,
      };
      break;
    case 'draft-6':
      h = {
        'RateLimit-Policy': `${d.limit};w=${sec(d.windowMs)}`,
        'RateLimit-Limit': String(d.limit),
        'RateLimit-Remaining': String(d.remaining),
        'RateLimit-Reset': String(sec(d.resetMs)),
      };
      break;
    case 'legacy':
      h = {
        'X-RateLimit-Limit': String(d.limit),
        'X-RateLimit-Remaining': String(d.remaining),
        'X-RateLimit-Reset': String(Math.ceil(((opts?.now ?? Date.now)() + d.resetMs) / 1000)),
      };
      break;
    default:
      throw new TypeError(
        `rateLimitHeaders: format must be 'draft-10', 'draft-7', 'draft-6' or 'legacy', got ${String(format)}`,
      );
  }
  if (!d.allowed) h['Retry-After'] = String(Math.max(1, sec(d.retryAfterMs)));
  return h;
}
