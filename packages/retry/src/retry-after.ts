import { MAX_DELAY_MS } from './backoff.js';

/** Anything with a `get(name)` method (WHATWG `Headers`, axios headers, a `Map`) or a plain header record. */
export type HeadersLike =
  | { get(name: string): unknown }
  | Readonly<Record<string, string | readonly string[] | number | undefined | null>>;

const SECONDS = /^\d+(?:\.\d+)?$/;
const DAY = /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)/i;

function fromValue(v: unknown, ms: boolean, nowMs: number): number | undefined {
  if (Array.isArray(v)) v = v[0];
  if (typeof v === 'number') {
    if (!(v >= 0) || !Number.isFinite(v)) return undefined;
    const out = ms ? v : v * 1000;
    return Math.min(out, MAX_DELAY_MS);
  }
  if (typeof v !== 'string') return undefined;
  const s = v.trim();
  if (s === '') return undefined;
  if (SECONDS.test(s)) return fromValue(Number(s), ms, nowMs);
  if (ms || !DAY.test(s)) return undefined; // retry-after-ms is a number only; every HTTP-date starts with a day name
  const at = Date.parse(s);
  if (Number.isNaN(at)) return undefined;
  const d = at - nowMs;
  return d > 0 ? Math.min(d, MAX_DELAY_MS) : 0;
}

function fromHeaders(h: object, nowMs: number): number | undefined {
  const get = (h as { get?: unknown }).get;
  if (typeof get === 'function') {
    return fromValue(get.call(h, 'retry-after-ms'), true, nowMs) ?? fromValue(get.call(h, 'retry-after'), false, nowMs);
  }
  let ms: unknown;
  let s: unknown;
  for (const k of Object.keys(h)) {
    const lk = k.toLowerCase();
    if (lk === 'retry-after-ms') ms = (h as Record<string, unknown>)[k];
    else if (lk === 'retry-after') s = (h as Record<string, unknown>)[k];
  }
  return fromValue(ms, true, nowMs) ?? fromValue(s, false, nowMs);
}

/**
 * Reads a server's "come back later" hint and returns it in milliseconds (>= 0, at most 2^31-1), or `undefined` when
 * there is none or it cannot be parsed.
 *
 * Accepts:
 * - a `Retry-After` header value: delta-seconds (`"120"`, decimals tolerated) or an HTTP date
 *   (`"Wed, 21 Oct 2015 07:28:00 GMT"`, relative to `nowMs`; a past date gives 0); a number is read as seconds;
 * - a headers object (WHATWG `Headers`, anything with `get()`, or a plain record, case-insensitive): `retry-after-ms`
 *   (milliseconds, as sent by some APIs) wins over `retry-after`;
 * - a Response-like object (`{ headers }`).
 *
 * @param nowMs wall-clock time used for HTTP dates. Default `Date.now()`.
 */
export function parseRetryAfter(value: unknown, nowMs: number = Date.now()): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string' || typeof value === 'number' || Array.isArray(value)) {
    return fromValue(value, false, nowMs);
  }
  if (typeof value !== 'object') return undefined;
  try {
    const headers = (value as { headers?: unknown }).headers;
    if (typeof headers === 'object' && headers !== null) return fromHeaders(headers, nowMs);
    return fromHeaders(value, nowMs);
  } catch {
    return undefined; // a throwing getter or proxy trap must never replace the failure being handled
  }
}

/**
 * The server hint carried by a failed attempt's error or result, in ms: a numeric `retryAfterMs` property (how
 * `@org/breaker`'s open error and `tryExecute` result say when the circuit will let calls through), else the
 * Retry-After of its `headers` or `response.headers`. `Infinity` means "not before you are told" (an isolated
 * breaker). Internal: used by retry, not exported from the package entry.
 */
export function hintFrom(x: unknown): number | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  try {
    const ra = (x as { retryAfterMs?: unknown }).retryAfterMs;
    // Infinity stays Infinity ("never": e.g. an isolated breaker) so retry can give up instead of waiting.
    if (typeof ra === 'number') return ra >= 0 ? ra : undefined; // NaN -> undefined
    const headers = (x as { headers?: unknown }).headers;
    if (typeof headers === 'object' && headers !== null) return fromHeaders(headers, Date.now());
    const response = (x as { response?: unknown }).response;
    if (typeof response === 'object' && response !== null) {
      const rh = (response as { headers?: unknown }).headers;
      if (typeof rh === 'object' && rh !== null) return fromHeaders(rh, Date.now());
    }
  } catch {
    // a throwing getter or proxy trap must never replace the failure being handled
  }
  return undefined;
}
