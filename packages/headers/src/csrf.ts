import { invalidOption } from './errors.js';
import { isRecord, parseOrigin, show } from './internal/util.js';

/** Options for {@link crossOriginProtection}. */
export interface CrossOriginProtectionOptions {
  /**
   * Origins (`scheme://host[:port]`, as browsers send them in `Origin`) whose cross-origin requests are allowed, e.g.
   * a separate front-end origin that posts to this API. Matched exactly against the `Origin` header.
   */
  trustedOrigins?: readonly string[];
  /**
   * Requests these patterns match skip the check (webhooks, OAuth callbacks). Go's `ServeMux` syntax:
   * `[METHOD ]/path`, `{name}` for one segment, `{name...}` for the rest, a trailing `/` for a subtree, `{$}` to end
   * it. Only requests that match as sent are exempt: a path that would need cleaning (`//`, `.`, `..`) or a trailing
   * slash added is not.
   */
  exemptPaths?: readonly string[];
}

/** What the guard reads of a request: framework-free. */
export interface CrossOriginRequest {
  /** The request method, as sent (methods are case-sensitive: only `GET`, `HEAD`, `OPTIONS` are safe). */
  method: string;
  /** Reads a request header by lower-case name (`sec-fetch-site`, `origin`, `host`); absent → `undefined`/`null`. */
  header(name: string): string | readonly string[] | undefined | null;
  /** The request's host (the `Host` header or HTTP/2 `:authority`). Default: `header('host')`. */
  host?: string | undefined;
  /** The request target's path; a query string is ignored. Only needed when `exemptPaths` is set. Default `/`. */
  path?: string | undefined;
}

/** Why a request was refused. */
export type CrossOriginDenyReason = 'sec-fetch-site' | 'origin-mismatch';

/** The guard's answer. Decisions are frozen and shared: one object per outcome, nothing allocated per request. */
export type CrossOriginDecision =
  | { readonly allowed: true }
  | {
      readonly allowed: false;
      /** Always 403 Forbidden. */
      readonly status: 403;
      /** `sec-fetch-site`: the browser said the request is cross-site (or same-site). `origin-mismatch`: no Sec-Fetch-Site, and Origin is not this host. */
      readonly reason: CrossOriginDenyReason;
      /** A sentence for the problem response's `detail` (Go's error text). */
      readonly detail: string;
    };

/** A compiled cross-origin request guard. */
export interface CrossOriginProtection {
  /** Judges one request. Never throws on request data. */
  check(request: CrossOriginRequest): CrossOriginDecision;
  /**
   * Judges a Fetch API `Request` (Bun, Deno, workers, Hono): host from the `Host` header (else the URL), path from
   * the URL as the runtime parsed it (dot segments already resolved, as the router sees it).
   */
  checkRequest(request: Request): CrossOriginDecision;
  /** The trusted origins (frozen). */
  readonly trustedOrigins: readonly string[];
  /** The exempt path patterns (frozen). */
  readonly exemptPaths: readonly string[];
}

const W = 'crossOriginProtection';
const ALLOWED: CrossOriginDecision = Object.freeze({ allowed: true });
const DENIED_FETCH_SITE: CrossOriginDecision = Object.freeze({
  allowed: false,
  status: 403,
  reason: 'sec-fetch-site',
  detail: 'cross-origin request detected from Sec-Fetch-Site header',
});
const DENIED_ORIGIN: CrossOriginDecision = Object.freeze({
  allowed: false,
  status: 403,
  reason: 'origin-mismatch',
  detail:
    'cross-origin request detected, and/or browser is out of date: Sec-Fetch-Site is missing, and Origin does not match Host',
});
const KNOWN = new Set(['trustedOrigins', 'exemptPaths']);
const METHOD = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const WILDCARD = /^\{([A-Za-z_][A-Za-z0-9_]*)(\.\.\.)?\}$/;

/** One segment of a pattern: a literal, `{name}` (one segment), `{name...}` (the rest) or `{$}` (end). */
type Seg = { lit: string } | { one: true } | { rest: true } | { end: true };

interface Pattern {
  /** Method the pattern is limited to (`GET` also matches `HEAD`), or null for any. */
  method: string | null;
  segs: Seg[];
  /** A trailing `/`: the pattern matches the whole subtree. */
  subtree: boolean;
}

function compilePattern(where: string, raw: unknown): Pattern {
  if (typeof raw !== 'string' || raw === '')
    throw invalidOption(TypeError, `${where}: a pattern must be a non-empty string, got ${show(raw)}`);
  let method: string | null = null;
  let path = raw;
  const sp = raw.search(/[ \t]/);
  if (sp !== -1) {
    method = raw.slice(0, sp);
    path = raw.slice(sp).replace(/^[ \t]+/, '');
    if (!METHOD.test(method)) throw invalidOption(TypeError, `${where}: pattern ${show(raw)} has an invalid method`);
  }
  if (!path.startsWith('/'))
    throw invalidOption(
      TypeError,
      `${where}: pattern ${show(raw)} must be "[METHOD ]/path" (host patterns are not supported), got path ${show(path)}`,
    );
  if (/[?#\s]/.test(path))
    throw invalidOption(TypeError, `${where}: pattern ${show(raw)} must be a path without query or spaces`);
  const parts = path.slice(1).split('/');
  const subtree = parts.length > 0 && parts[parts.length - 1] === '';
  if (subtree) parts.pop();
  const segs: Seg[] = [];
  const names = new Set<string>();
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    if (p === '{$}') {
      if (i !== parts.length - 1 || subtree)
        throw invalidOption(
          TypeError,
          `${where}: pattern ${show(raw)}: {$} is only allowed as the last segment, after a "/"`,
        );
      segs.push({ end: true });
      continue;
    }
    const m = WILDCARD.exec(p);
    if (m) {
      if (names.has(m[1]!))
        throw invalidOption(TypeError, `${where}: pattern ${show(raw)} repeats the wildcard {${m[1]}}`);
      names.add(m[1]!);
      if (m[2] !== undefined) {
        if (i !== parts.length - 1 || subtree)
          throw invalidOption(TypeError, `${where}: pattern ${show(raw)}: {${m[1]}...} must be the last segment`);
        segs.push({ rest: true });
      } else segs.push({ one: true });
      continue;
    }
    if (p.includes('{') || p.includes('}'))
      throw invalidOption(TypeError, `${where}: pattern ${show(raw)}: a wildcard must be a whole segment, like {id}`);
    if (p === '' || p === '.' || p === '..')
      throw invalidOption(TypeError, `${where}: pattern ${show(raw)} is not a clean path (empty, "." or ".." segment)`);
    let lit: string;
    try {
      lit = decodeURIComponent(p);
    } catch {
      throw invalidOption(TypeError, `${where}: pattern ${show(raw)} has a bad percent-encoding`);
    }
    segs.push({ lit });
  }
  return { method, segs, subtree };
}

/** The request path's decoded segments, or null when it does not match as sent (Go's mux would redirect it). */
function requestSegments(target: string): string[] | null {
  let path = target;
  // absolute-form request target (`POST http://host/path HTTP/1.1`)
  if (!path.startsWith('/')) {
    const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*/.exec(path);
    if (m === null) return null;
    path = path.slice(m[0].length) || '/';
  }
  const q = path.search(/[?#]/);
  if (q !== -1) path = path.slice(0, q);
  if (!path.startsWith('/')) return null;
  const raw = path.slice(1).split('/');
  const segs: string[] = new Array(raw.length);
  for (let i = 0; i < raw.length; i++) {
    try {
      segs[i] = decodeURIComponent(raw[i]!);
    } catch {
      return null;
    }
  }
  // Go cleans the decoded path and redirects when it changes: such requests are never exempt.
  const decoded = `/${segs.join('/')}`;
  if (/\/\/|\/\.\.?(?:\/|$)/.test(decoded)) return null;
  return segs;
}

function matches(p: Pattern, method: string, segs: readonly string[]): boolean {
  if (p.method !== null && p.method !== method && !(p.method === 'GET' && method === 'HEAD')) return false;
  const n = p.segs.length;
  for (let i = 0; i < n; i++) {
    const s = p.segs[i]!;
    if ('rest' in s) return segs.length >= i + 1;
    // `{$}`: the path ends here with its trailing slash (`/a/{$}` matches `/a/` only, `/{$}` matches `/` only).
    if ('end' in s) return segs.length === i + 1 && segs[i] === '';
    if (i >= segs.length) return false;
    const seg = segs[i]!;
    if ('one' in s) {
      if (seg === '') return false;
    } else if (seg !== s.lit) return false;
  }
  // A subtree pattern `/a/` needs at least one more segment (`/a/` itself is ['a', '']).
  return p.subtree ? segs.length > n : segs.length === n;
}

const first = (v: string | readonly string[] | undefined | null): string => {
  if (typeof v === 'string') return v;
  if (Array.isArray(v) && typeof v[0] === 'string') return v[0];
  return '';
};

/** The host of an Origin header value, as Go's `url.Parse(origin).Host` reads it; '' when it has none. */
function originHost(origin: string): string {
  const m = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/([^/?#]*)/.exec(origin);
  if (m === null) return '';
  const authority = m[1]!;
  const at = authority.lastIndexOf('@');
  return at === -1 ? authority : authority.slice(at + 1);
}

/**
 * Builds a cross-site request forgery guard in the manner of Go 1.25's `http.CrossOriginProtection`: unsafe methods
 * (anything but GET, HEAD, OPTIONS) are refused when the browser's `Sec-Fetch-Site` says `cross-site` or `same-site`,
 * or, from browsers too old to send it, when `Origin` does not name this host. Requests with neither header (same-origin
 * navigations of old browsers, non-browser clients) pass. No tokens, no cookies, no state.
 *
 * ```ts
 * const csrf = crossOriginProtection({ trustedOrigins: ['https://app.example.com'], exemptPaths: ['POST /webhooks/'] });
 * const d = csrf.check({ method: req.method, header: (n) => req.headers[n], path: req.url });
 * if (!d.allowed) res.writeHead(d.status, { 'content-type': 'text/plain' }).end(d.detail);
 * ```
 * @throws {TypeError} on a bad option: an origin that is not `scheme://host[:port]`, a malformed pattern.
 */
export function crossOriginProtection(options: CrossOriginProtectionOptions = {}): CrossOriginProtection {
  if (!isRecord(options)) throw invalidOption(TypeError, `${W}: options must be an object, got ${show(options)}`);
  for (const k of Object.keys(options))
    if (!KNOWN.has(k)) throw invalidOption(TypeError, `${W}: unknown option ${show(k)}`);
  const origins = options.trustedOrigins ?? [];
  if (!Array.isArray(origins))
    throw invalidOption(TypeError, `${W}: trustedOrigins must be an array, got ${show(origins)}`);
  const trusted = new Set<string>();
  for (const o of origins) {
    if (typeof o !== 'string' || parseOrigin(o.toLowerCase()) === undefined)
      throw invalidOption(
        TypeError,
        `${W}: trustedOrigins entry ${show(o)} must be an origin "scheme://host[:port]" (no path, query, fragment or trailing slash)`,
      );
    // Browsers serialise origins in lower case; match that.
    trusted.add(o.toLowerCase());
  }
  const rawPatterns = options.exemptPaths ?? [];
  if (!Array.isArray(rawPatterns))
    throw invalidOption(TypeError, `${W}: exemptPaths must be an array of patterns, got ${show(rawPatterns)}`);
  const patterns = rawPatterns.map((p) => compilePattern(`${W}: exemptPaths`, p));

  const isExempt = (method: string, path: string | undefined, origin: string): boolean => {
    if (patterns.length > 0) {
      const segs = requestSegments(typeof path === 'string' && path !== '' ? path : '/');
      if (segs !== null) for (const p of patterns) if (matches(p, method, segs)) return true;
    }
    return origin !== '' && trusted.has(origin);
  };

  const check = (req: CrossOriginRequest): CrossOriginDecision => {
    const method = req.method;
    if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return ALLOWED;
    const site = first(req.header('sec-fetch-site'));
    if (site !== '') {
      if (site === 'same-origin' || site === 'none') return ALLOWED;
      return isExempt(method, req.path, first(req.header('origin'))) ? ALLOWED : DENIED_FETCH_SITE;
    }
    const origin = first(req.header('origin'));
    // Neither header: a same-origin request of an old browser, or not a browser at all.
    if (origin === '') return ALLOWED;
    const host = req.host ?? first(req.header('host'));
    // Unlike Go, an empty host never matches (Go lets Origin "null" through on a request without a Host header).
    if (typeof host === 'string' && host !== '' && originHost(origin) === host) return ALLOWED;
    return isExempt(method, req.path, origin) ? ALLOWED : DENIED_ORIGIN;
  };

  return Object.freeze({
    check,
    checkRequest(request: Request): CrossOriginDecision {
      const method = request.method;
      if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') return ALLOWED;
      const headers = request.headers;
      let url: URL | undefined;
      try {
        url = new URL(request.url);
      } catch {
        url = undefined;
      }
      return check({
        method,
        header: (n) => headers.get(n),
        host: headers.get('host') ?? url?.host,
        path: url === undefined ? '/' : url.pathname,
      });
    },
    trustedOrigins: Object.freeze([...trusted]),
    exemptPaths: Object.freeze([...(rawPatterns as string[])]),
  });
}
