// One header plan per request, and the one rule that decides between it and the route. Every adapter builds its plan
// here and hands it to one of two writers: node-writer.ts (Node's ServerResponse, public API) or fetch-writer.ts
// (a Fetch Response's Headers). Framework code only maps its request and response onto these.
//
// THE RULE, the same on every adapter and runtime, for every response (the route's, a problem, a preflight, a probe):
//   1. When the response head is written, each header of the plan the response does not carry yet is added: security
//      headers, CORS, request id, RateLimit (and Retry-After), X-Response-Time. A value the route set wins.
//   2. Vary is merged: the plan's tokens (CORS's Origin) join the route's, never replacing them or being replaced.
//   3. The names in the policy's `remove` list are removed, whoever set them.
//   4. On Node, a head written before the request body has fully arrived carries `Connection: close`, and the
//      connection ends after the response: a body nobody reads is never read to its end. The close lingers
//      (node-head-hook.ts), so a client still uploading reads the answer instead of a reset. Over HTTP/2 (which has
//      no Connection header) the request's stream is closed with NO_ERROR once the answer is sent instead.

import { formatResponseTime, now } from './clock.js';
import type { CorsResultLike, DecisionLike, HeaderList, SecurityHeadersLike } from './contracts.js';
import { randomNonce } from './ids.js';
import { type RateLimitHeaderFormat, rateLimitHeaderPairs } from './rate-limit.js';

const NO_HEADERS: HeaderList = [];
const NO_TOKENS: readonly string[] = [];

/** What a plan is made from, compiled once per adapter instance from its options. */
export class PlanPolicy {
  /** The policy's static headers (CSP without nonces included). */
  readonly security: HeaderList;
  /** The policy's per-request list with a CSP nonce, when it uses nonces. */
  readonly forRequest: ((ctx: { nonce: string }) => HeaderList) | undefined;
  /** Lower-case names the plan removes from every response. */
  readonly remove: readonly string[];
  /** Whether X-Response-Time is sent. */
  readonly responseTime: boolean;
  /** How RateLimit headers are made from a decision. */
  readonly rateHeaders: (d: DecisionLike) => HeaderList;

  constructor(o: {
    headers: SecurityHeadersLike | undefined;
    useNonce: boolean;
    responseTime: boolean;
    rateFormat: RateLimitHeaderFormat;
    formatHeaders: ((d: DecisionLike) => HeaderList | Readonly<Record<string, string>>) | undefined;
  }) {
    this.security = lowerCaseNames(o.headers?.entries ?? NO_HEADERS);
    const forRequest = o.headers?.forRequest;
    this.forRequest =
      o.useNonce && forRequest !== undefined ? (ctx) => lowerCaseNames(forRequest.call(o.headers, ctx)) : undefined;
    this.remove = (o.headers?.remove ?? NO_TOKENS).map((n) => n.toLowerCase());
    this.responseTime = o.responseTime;
    const format = o.formatHeaders;
    const rateFormat = o.rateFormat;
    this.rateHeaders =
      format === undefined
        ? (d) => rateLimitHeaderPairs(d, rateFormat)
        : (d) => {
            // Retry-After is the rule's, not the formatter's: a denial always says when to come back
            const pairs = headerPairs(format(d));
            if (!d.allowed && !pairs.some(([k]) => k.toLowerCase() === 'retry-after'))
              pairs.push(['retry-after', String(Math.max(1, Math.ceil(d.retryAfterMs / 1000)))]);
            return pairs;
          };
  }

  /** A new plan for a request that started at `t0` (now() ms). */
  plan(t0: number): HeaderPlan {
    return new HeaderPlan(this, t0);
  }
}

/** The headers one response gets from the middleware (see THE RULE above). Built while the request is decided. */
export class HeaderPlan {
  /** The security headers of this response: the policy's shared list, or this request's with its CSP nonce. */
  security: HeaderList;
  /** Headers made for this request (CORS, request id, RateLimit), in order; null while there are none. */
  own: Array<readonly [string, string]> | null = null;
  /** CORS Vary tokens, merged into the response's Vary. */
  vary: readonly string[] = NO_TOKENS;
  /** Lower-case names removed from the response. */
  readonly remove: readonly string[];
  /** now() when the request started, for X-Response-Time; NaN when it is off. */
  readonly t0: number;
  /** The CSP nonce of this response, when the policy uses nonces. */
  readonly nonce: string | undefined;

  constructor(policy: PlanPolicy, t0: number) {
    this.remove = policy.remove;
    this.t0 = policy.responseTime ? t0 : Number.NaN;
    if (policy.forRequest === undefined) {
      this.security = policy.security;
      this.nonce = undefined;
    } else {
      this.nonce = randomNonce();
      this.security = policy.forRequest({ nonce: this.nonce });
    }
  }

  /** Adds one header made for this request. */
  add(name: string, value: string): void {
    if (this.own === null) this.own = [[name, value]];
    else this.own.push([name, value]);
  }

  /** Adds a list of headers made for this request. */
  addAll(list: HeaderList): void {
    for (let i = 0; i < list.length; i++) this.add(list[i]![0], list[i]![1]);
  }

  /** Takes a CORS decision's headers and Vary tokens. */
  cors(r: CorsResultLike): void {
    if (r.headers.length > 0) this.addAll(r.headers);
    if (r.vary.length > 0) this.vary = r.vary;
  }

  /** X-Response-Time as of now, or undefined when it is off. */
  responseTime(): string | undefined {
    return Number.isNaN(this.t0) ? undefined : formatResponseTime(now() - this.t0);
  }
}

const KEYS = new Map<string, string>();

/**
 * A header name in lower case, as an interned string (the one V8 keeps for property keys), cached: the plan's names
 * come from a small fixed set. Header records are keyed by lower-case name on every writer, and an interned key is
 * found without hashing a fresh string.
 */
export function headerKey(name: string): string {
  let k = KEYS.get(name);
  if (k === undefined) {
    k = name.toLowerCase();
    // a computed property name is interned; reading it back gives the interned copy
    const interned = Object.keys({ [k]: 0 })[0];
    if (interned === k) k = interned;
    if (KEYS.size < 1000) {
      KEYS.set(name, k);
      KEYS.set(k, k);
    }
  }
  return k;
}

/** `list` with lower-case (interned) names; `list` itself when they already are. */
function lowerCaseNames(list: HeaderList): HeaderList {
  let out: Array<readonly [string, string]> | undefined;
  for (let i = 0; i < list.length; i++) {
    const [name, value] = list[i]!;
    const key = headerKey(name);
    if (key !== name && out === undefined) out = list.slice(0, i);
    out?.push(key === name ? list[i]! : [key, value]);
  }
  return out === undefined ? list : out;
}

/** Adds tokens to a Vary value without duplicates (case-insensitive); `*` absorbs everything. */
export function mergeVary(existing: string | undefined, add: readonly string[] | string): string {
  if (typeof add !== 'string' && add.length === 1 && add[0] !== '*') {
    // the common cases (Vary: Origin, set once or twice), without splitting anything
    if (existing === undefined || existing === '') return add[0]!;
    if (existing.length === add[0]!.length && existing.toLowerCase() === add[0]!.toLowerCase()) return existing;
  }
  const tokens = (existing ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (tokens.includes('*')) return '*';
  const seen = new Set(tokens.map((t) => t.toLowerCase()));
  for (const raw of typeof add === 'string' ? add.split(',') : add) {
    const t = raw.trim();
    if (t === '') continue;
    if (t === '*') return '*';
    if (!seen.has(t.toLowerCase())) {
      seen.add(t.toLowerCase());
      tokens.push(t);
    }
  }
  return tokens.join(', ');
}

/** Normalises `[name, value][]`, a Headers-like object with `forEach`, or a record into pairs. */
export function headerPairs(h: unknown): Array<[string, string]> {
  if (h === undefined || h === null) return [];
  if (Array.isArray(h)) return (h as Array<[string, string]>).slice();
  const out: Array<[string, string]> = [];
  if (
    typeof (h as { forEach?: unknown }).forEach === 'function' &&
    typeof (h as { get?: unknown }).get === 'function'
  ) {
    (h as { forEach(cb: (v: string, k: string) => void): void }).forEach((v, k) => {
      out.push([k, v]);
    });
    return out;
  }
  for (const [k, v] of Object.entries(h as Record<string, unknown>)) if (v !== undefined) out.push([k, String(v)]);
  return out;
}
