import { type Canary, canaries, extensionCanaries, regexpHosts, regexpWords, unescapedDot } from './cors-probe.js';
import { invalidArgument, invalidOption } from './errors.js';
import { type Entry, freezeEntries, parseOrigin, show } from './internal/util.js';
import type { HeaderEntry } from './security-headers.js';

/** A synchronous or asynchronous origin predicate. Receives the request's exact Origin value. */
export type CorsOriginFn = (origin: string) => boolean | Promise<boolean>;

/**
 * Which origins may read responses:
 * - `'*'`: any origin, answered with `Access-Control-Allow-Origin: *` (no credentials);
 * - `true`: reflect any origin (no credentials);
 * - `'https://app.example.com'`: one exact origin;
 * - `'https://*.example.com'`: any subdomain (one or more labels) of example.com over https, default port, never the apex;
 * - a RegExp, anchored with `^…$`, tested against the Origin value;
 * - a list of any of the above (exact origins are looked up in a Set);
 * - a function `(origin) => boolean | Promise<boolean>` (then `handle` returns a promise when the function does).
 */
export type CorsOrigin = '*' | true | string | RegExp | readonly (string | RegExp)[] | CorsOriginFn;

/** Options for {@link cors}. */
export interface CorsOptions<O extends CorsOrigin = CorsOrigin> {
  /** Allowed origins; see {@link CorsOrigin}. Required: there is no safe default. */
  origin: O;
  /** Methods allowed in preflights. Default GET, HEAD, PUT, PATCH, POST, DELETE. `'*'` = any (not with credentials). */
  methods?: readonly string[] | '*';
  /**
   * Request headers allowed in preflights. Default: echo the requested ones (any header). A list is enforced: a
   * preflight asking for another header is refused. `'*'` = any (not with credentials).
   */
  allowedHeaders?: readonly string[] | '*';
  /** Response headers the page may read (Access-Control-Expose-Headers). Default none. */
  exposedHeaders?: readonly string[] | '*';
  /**
   * Sends Access-Control-Allow-Credentials: true. Refused (a TypeError when the policy is built) with `'*'`, `true`, and
   * any RegExp, pattern or function that admits an origin of the credentials probe: `null`, hosts unrelated to the
   * policy, look-alikes of the hosts it names, strangers' subdomains of shared hosting suffixes (see the README).
   * Default false.
   */
  credentials?: boolean;
  /** Access-Control-Max-Age in seconds (browsers cap it: Chromium 7200, Firefox 86400). Default 600. */
  maxAgeSec?: number;
}

/** The request fields {@link Cors.handle} reads (header values as received, `undefined` when absent). */
export interface CorsRequest {
  method: string;
  origin?: string | null | undefined;
  accessControlRequestMethod?: string | null | undefined;
  accessControlRequestHeaders?: string | null | undefined;
}

/**
 * A CORS decision. Shared and frozen: never mutate it. `headers` never contains Vary: merge `vary` into the response's
 * Vary header with {@link appendVary}.
 */
export interface CorsResult {
  /** True for a real preflight (OPTIONS + Origin + Access-Control-Request-Method): answer it, do not route it. */
  readonly preflight: boolean;
  /** Whether the origin (and, for preflights, the method and headers) is allowed. */
  readonly allowed: boolean;
  /** For preflights: 204 (allowed) or 403 (refused). 0 for other requests: they continue to the route. */
  readonly status: number;
  /** Headers to set (for allowed preflights this includes Content-Length: 0). */
  readonly headers: readonly HeaderEntry[];
  /** Vary tokens: `Origin` whenever the answer depends on the origin, rejected origins and no-Origin requests too. */
  readonly vary: readonly string[];
}

/** A compiled CORS policy. */
export interface Cors<R = CorsResult> {
  /**
   * Decides one request. Static origins answer synchronously from precompiled frozen results (no allocation for
   * exact origins; dynamic matches are cached, bounded). A function origin that returns a promise makes this return one.
   */
  handle(req: CorsRequest): R;
  /** True when `origin` is a function (results may be promises). */
  readonly isAsync: boolean;
}

const W = 'cors';
const DEFAULT_METHODS = Object.freeze(['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE']);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const TOKEN_LIST = /^[\t ]*[!#$%&'*+.^_`|~0-9A-Za-z-]+(?:[\t ]*,[\t ]*[!#$%&'*+.^_`|~0-9A-Za-z-]+)*[\t ]*$/;
const EMPTY: readonly HeaderEntry[] = Object.freeze([]);
const DYNAMIC_CACHE_MAX = 1000;

type Matcher = (origin: string) => boolean;

interface Pattern {
  prefix: string; // "https://"
  suffix: string; // ".example.com" or ".example.com:8443"
  host: string; // "example.com"
}

function compilePattern(p: string): Pattern {
  const star = p.indexOf('://*.');
  if (star < 0 || p.indexOf('*', star + 4) !== -1) {
    throw invalidOption(
      TypeError,
      `${W}: origin pattern ${show(p)} must look like https://*.example.com (one leading "*.")`,
    );
  }
  const prefix = p.slice(0, star + 3);
  const rest = p.slice(star + 4); // ".example.com[:port]"
  const probe = parseOrigin(`${prefix}x${rest}`);
  if (probe === undefined) {
    throw invalidOption(
      TypeError,
      `${W}: origin pattern ${show(p)} must be scheme://*.domain[:port], lowercase, without a path`,
    );
  }
  if (!probe.host.slice(2).includes('.')) {
    throw invalidOption(TypeError, `${W}: origin pattern ${show(p)} is too broad: it covers a whole top-level domain`);
  }
  return { prefix, suffix: rest, host: probe.host.slice(2) };
}

const isLabelChar = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 45 || c === 46;

/** Anchored match: prefix + one or more DNS labels + suffix, nothing else (no port, path or user info can sneak in). */
function matchPattern(p: Pattern, origin: string): boolean {
  const n = origin.length;
  const mid = n - p.prefix.length - p.suffix.length;
  if (mid < 1 || !origin.startsWith(p.prefix) || !origin.endsWith(p.suffix)) return false;
  const start = p.prefix.length;
  const end = start + mid;
  let prev = 46; // '.': a label may not start with '.' or '-'
  for (let i = start; i < end; i++) {
    const c = origin.charCodeAt(i);
    if (!isLabelChar(c)) return false;
    if (c === 46 && (prev === 46 || prev === 45)) return false;
    if (c === 45 && prev === 46) return false;
    prev = c;
  }
  return prev !== 45 && prev !== 46;
}

function checkRegExp(re: RegExp): RegExp {
  if (re.global || re.sticky) {
    throw invalidOption(
      TypeError,
      `${W}: origin RegExp ${String(re)} must not use the g or y flag (lastIndex makes test() stateful)`,
    );
  }
  if (!re.source.startsWith('^') || !re.source.endsWith('$')) {
    throw invalidOption(
      TypeError,
      `${W}: origin RegExp ${String(re)} must be anchored with ^ and $ (unanchored, "https://example.com.evil.net" matches)`,
    );
  }
  return re;
}

const INSTEAD =
  'List exact origins, or match subdomains of a domain you own: the pattern "https://*.example.com" or ' +
  String.raw`/^https:\/\/([a-z0-9-]+\.)*example\.com$/` +
  ' (every literal dot escaped, the dot before the domain included, both anchors on the whole expression)';

/** The build-time refusal of a credentialed policy that admits `c`, with what to write instead. */
function refusal(origin: unknown, c: Canary): TypeError {
  return invalidOption(
    TypeError,
    `${W}: credentials: true cannot be combined with origin ${show(origin)}: it admits ${c.origin} (${c.why}). ${INSTEAD}`,
  );
}

/** The first canary `admits` accepts, or undefined. */
function firstAdmitted(list: readonly Canary[], admits: (o: string) => boolean): Canary | undefined {
  for (const c of list) if (admits(c.origin)) return c;
  return undefined;
}

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  v !== null && typeof v === 'object' && typeof (v as PromiseLike<unknown>).then === 'function';

function checkList(where: string, list: readonly string[], allowStar: boolean): readonly string[] {
  if (!Array.isArray(list))
    throw invalidOption(TypeError, `${W}: ${where} must be an array of strings, got ${show(list)}`);
  for (const t of list) {
    if (typeof t !== 'string' || !(TOKEN.test(t) || (allowStar && t === '*'))) {
      throw invalidOption(TypeError, `${W}: ${where} has an invalid entry ${show(t)} (HTTP tokens only)`);
    }
  }
  return Object.freeze([...list]);
}

function freezeResult(r: CorsResult): CorsResult {
  return Object.freeze(r);
}

/**
 * Compiles a CORS policy once; `handle()` then decides each request.
 *
 * ```ts
 * const c = cors({ origin: ['https://app.example.com', 'https://*.example.com'], credentials: true });
 * const r = c.handle({ method, origin, accessControlRequestMethod, accessControlRequestHeaders });
 * for (const [n, v] of r.headers) res.setHeader(n, v);
 * if (r.vary.length) res.setHeader('Vary', appendVary(res.getHeader('Vary'), r.vary));
 * if (r.preflight) { res.statusCode = r.status; res.end(); }
 * ```
 * @throws {TypeError} on invalid options, and when `credentials` is combined with `'*'` or a reflect-all origin.
 */
export function cors(opts: CorsOptions<(origin: string) => Promise<boolean>>): Cors<Promise<CorsResult>>;
export function cors(opts: CorsOptions<'*' | true | string | RegExp | readonly (string | RegExp)[]>): Cors<CorsResult>;
export function cors(opts: CorsOptions<(origin: string) => boolean>): Cors<CorsResult>;
export function cors(opts: CorsOptions): Cors<CorsResult | Promise<CorsResult>>;
export function cors(opts: CorsOptions): Cors<CorsResult | Promise<CorsResult>> {
  if (typeof opts !== 'object' || opts === null)
    throw invalidOption(TypeError, `${W}: options must be an object, got ${show(opts)}`);
  for (const k of Object.keys(opts)) {
    if (!['origin', 'methods', 'allowedHeaders', 'exposedHeaders', 'credentials', 'maxAgeSec'].includes(k)) {
      throw invalidOption(TypeError, `${W}: unknown option ${show(k)}`);
    }
  }
  const credentials = opts.credentials ?? false;
  if (typeof credentials !== 'boolean')
    throw invalidOption(TypeError, `${W}: credentials must be a boolean, got ${show(credentials)}`);
  const maxAge = opts.maxAgeSec ?? 600;
  if (typeof maxAge !== 'number' || !Number.isInteger(maxAge) || maxAge < 0) {
    throw invalidOption(RangeError, `${W}: maxAgeSec must be an integer >= 0, got ${show(maxAge)}`);
  }
  const methods = opts.methods === '*' ? '*' : checkList('methods', opts.methods ?? DEFAULT_METHODS, false);
  if (methods !== '*' && methods.length === 0)
    throw invalidOption(TypeError, `${W}: methods must list at least one method`);
  const allowedHeaders =
    opts.allowedHeaders === undefined || opts.allowedHeaders === '*'
      ? opts.allowedHeaders
      : checkList('allowedHeaders', opts.allowedHeaders, false);
  const exposedHeaders =
    opts.exposedHeaders === undefined || opts.exposedHeaders === '*'
      ? opts.exposedHeaders
      : checkList('exposedHeaders', opts.exposedHeaders, false);
  if (credentials) {
    if (methods === '*')
      throw invalidOption(
        TypeError,
        `${W}: credentials cannot be combined with methods '*' (browsers read it literally)`,
      );
    if (allowedHeaders === '*') {
      throw invalidOption(
        TypeError,
        `${W}: credentials cannot be combined with allowedHeaders '*' (browsers read it literally)`,
      );
    }
    if (exposedHeaders === '*') {
      throw invalidOption(
        TypeError,
        `${W}: credentials cannot be combined with exposedHeaders '*' (browsers read it literally)`,
      );
    }
  }

  // ---- origin matcher ----
  const origin = opts.origin;
  let anyOrigin = false; // '*': answer with "*", independent of the request's origin
  let fn: CorsOriginFn | null = null;
  let match: Matcher | null = null;
  // An async origin function's credentials probe while it runs, then the refusal it found, if any (see below).
  let probing: Promise<void> | null = null;
  let probeRefusal: TypeError | null = null;
  const exact = new Set<string>();
  if (origin === '*') {
    if (credentials) {
      throw invalidOption(
        TypeError,
        `${W}: credentials cannot be combined with origin '*'; list the allowed origins instead`,
      );
    }
    anyOrigin = true;
  } else if (origin === true) {
    if (credentials) {
      throw invalidOption(
        TypeError,
        `${W}: credentials cannot be combined with a reflect-all origin (true): any site could read users' data`,
      );
    }
    // Reflect only well-formed origins: never "null", never a value that could corrupt the ACAO header.
    match = (o) => parseOrigin(o) !== undefined;
  } else if (typeof origin === 'function') {
    fn = origin;
    if (credentials) {
      // Called now with each canary: a sync verdict of true refuses the policy here; promised verdicts are awaited by
      // the first calls of handle(), which reject with the refusal if one comes true.
      const pending: Array<Promise<Canary | undefined>> = [];
      for (const c of canaries([], new Set(), true)) {
        let v: unknown;
        try {
          v = origin(c.origin);
        } catch {
          continue; // throwing is not admitting (handle would throw too)
        }
        if (v === true) throw refusal(origin, c);
        if (isThenable(v)) {
          pending.push(
            Promise.resolve(v).then(
              (ok) => (ok === true ? c : undefined),
              () => undefined,
            ),
          );
        }
      }
      if (pending.length > 0) {
        probing = Promise.all(pending).then((found) => {
          const c = found.find((x) => x !== undefined);
          if (c !== undefined) probeRefusal = refusal(origin, c);
          probing = null;
        });
      }
    }
  } else {
    const items = Array.isArray(origin) ? origin : [origin];
    if (items.length === 0) throw invalidOption(TypeError, `${W}: origin list is empty`);
    const patterns: Pattern[] = [];
    const regexps: RegExp[] = [];
    const named: string[] = [];
    const words: string[] = [];
    for (const it of items as readonly unknown[]) {
      if (it instanceof RegExp) {
        regexps.push(checkRegExp(it));
        named.push(...regexpHosts(it));
        words.push(...regexpWords(it));
      } else if (typeof it !== 'string') {
        throw invalidOption(TypeError, `${W}: origin entries must be strings or RegExps, got ${show(it)}`);
      } else if (it === '*') {
        throw invalidOption(
          TypeError,
          credentials
            ? `${W}: credentials cannot be combined with origin '*'; list the allowed origins instead`
            : `${W}: origin '*' must be used alone, not inside a list`,
        );
      } else if (it === 'null') {
        throw invalidOption(
          TypeError,
          `${W}: origin "null" is not allowed: sandboxed iframes and file: pages all send it`,
        );
      } else if (it.includes('*')) {
        const p = compilePattern(it);
        patterns.push(p);
        named.push(p.host);
      } else {
        const parsed = parseOrigin(it);
        if (parsed === undefined) {
          throw invalidOption(
            TypeError,
            `${W}: origin ${show(it)} is not an origin; write scheme://host[:port] in lowercase, without path or trailing slash`,
          );
        }
        exact.add(it);
        named.push(parsed.host);
      }
    }
    const np = patterns.length;
    const nr = regexps.length;
    match = (o) => {
      for (let i = 0; i < np; i++) if (matchPattern(patterns[i]!, o)) return true;
      for (let i = 0; i < nr; i++) if (regexps[i]!.test(o)) return true;
      return false;
    };
    if (np === 0 && nr === 0) match = null;
    if (credentials && match !== null) {
      const m = match;
      const bad =
        firstAdmitted(canaries(named, exact, false), m) ??
        firstAdmitted(
          extensionCanaries(named, words, m).filter((c) => !exact.has(c.origin)),
          m,
        );
      if (bad !== undefined) throw refusal(origin, bad);
      for (const re of regexps) {
        const dot = unescapedDot(re);
        if (dot !== undefined) {
          throw invalidOption(
            TypeError,
            `${W}: credentials: true cannot be combined with origin ${show(origin)}: it admits look-alike hosts (the unescaped "." in ${show(dot)} matches any character). ${INSTEAD}`,
          );
        }
      }
    }
  }
  const originDependent = !anyOrigin;

  // ---- precompiled pieces ----
  const VARY_ORIGIN: readonly string[] = Object.freeze(['Origin']);
  const VARY_NONE: readonly string[] = Object.freeze([]);
  const actualVary = originDependent ? VARY_ORIGIN : VARY_NONE;
  const pfVaryList: string[] = originDependent ? ['Origin'] : [];
  if (methods !== '*') pfVaryList.push('Access-Control-Request-Method');
  if (allowedHeaders !== '*') pfVaryList.push('Access-Control-Request-Headers');
  const preflightVary = Object.freeze(pfVaryList);

  const methodSet = methods === '*' ? null : new Set(methods);
  const methodsValue = methods === '*' ? '*' : methods.join(', ');
  const allowedSet = Array.isArray(allowedHeaders) ? new Set(allowedHeaders.map((h) => h.toLowerCase())) : null;
  const allowedValue = Array.isArray(allowedHeaders) ? allowedHeaders.join(', ') : allowedHeaders === '*' ? '*' : null;
  const exposedValue =
    exposedHeaders === undefined ? null : exposedHeaders === '*' ? '*' : exposedHeaders.join(', ') || null;

  const NOT_CORS = freezeResult({ preflight: false, allowed: true, status: 0, headers: EMPTY, vary: actualVary });
  const REJECTED = freezeResult({ preflight: false, allowed: false, status: 0, headers: EMPTY, vary: actualVary });
  const PF_REJECTED = freezeResult({
    preflight: true,
    allowed: false,
    status: 403,
    headers: EMPTY,
    vary: preflightVary,
  });

  const actualFor = (acao: string): CorsResult => {
    const h: Entry[] = [['Access-Control-Allow-Origin', acao]];
    if (credentials) h.push(['Access-Control-Allow-Credentials', 'true']);
    if (exposedValue !== null) h.push(['Access-Control-Expose-Headers', exposedValue]);
    return freezeResult({ preflight: false, allowed: true, status: 0, headers: freezeEntries(h), vary: actualVary });
  };
  const preflightFor = (acao: string, allowHeaders: string | null): CorsResult => {
    const h: Entry[] = [['Access-Control-Allow-Origin', acao]];
    if (credentials) h.push(['Access-Control-Allow-Credentials', 'true']);
    h.push(['Access-Control-Allow-Methods', methodsValue]);
    if (allowHeaders !== null && allowHeaders !== '') h.push(['Access-Control-Allow-Headers', allowHeaders]);
    h.push(['Access-Control-Max-Age', String(maxAge)]);
    h.push(['Content-Length', '0']);
    return freezeResult({
      preflight: true,
      allowed: true,
      status: 204,
      headers: freezeEntries(h),
      vary: preflightVary,
    });
  };
  const reflectHeaders = allowedHeaders === undefined;

  // Exact origins: every answer precompiled. Dynamic matches (patterns, RegExps, reflect): cached on first use,
  // bounded with FIFO eviction so a flood of distinct origins cannot grow memory.
  const actualCache = new Map<string, CorsResult>();
  const preflightCache = new Map<string, CorsResult>();
  for (const o of exact) {
    actualCache.set(o, actualFor(o));
    if (!reflectHeaders) preflightCache.set(o, preflightFor(o, allowedValue));
  }
  const dynActual = new Map<string, CorsResult>();
  const dynPreflight = new Map<string, CorsResult>();
  const ANY_ACTUAL = anyOrigin ? actualFor('*') : null;
  const ANY_PREFLIGHT = anyOrigin && !reflectHeaders ? preflightFor('*', allowedValue) : null;
  const remember = (map: Map<string, CorsResult>, key: string, r: CorsResult): CorsResult => {
    if (map.size >= DYNAMIC_CACHE_MAX) map.delete(map.keys().next().value as string);
    map.set(key, r);
    return r;
  };

  const preflightChecks = (acrm: string, acrh: string | null | undefined): boolean => {
    if (methodSet !== null && !methodSet.has(acrm)) return false;
    if (acrh === undefined || acrh === null || acrh === '') return true;
    if (!TOKEN_LIST.test(acrh)) return false;
    if (allowedSet !== null) {
      for (const h of acrh.split(',')) if (!allowedSet.has(h.trim().toLowerCase())) return false;
    }
    return true;
  };

  /** Answers for an origin already known to be allowed. */
  const allowedAnswer = (
    o: string,
    isPreflight: boolean,
    acrh: string | null | undefined,
    dynamic: boolean,
  ): CorsResult => {
    if (!isPreflight) {
      if (ANY_ACTUAL !== null) return ANY_ACTUAL;
      const hit = (dynamic ? dynActual : actualCache).get(o);
      if (hit !== undefined) return hit;
      return dynamic ? remember(dynActual, o, actualFor(o)) : actualFor(o);
    }
    if (reflectHeaders) {
      const h = acrh === undefined || acrh === null ? null : acrh.trim();
      return preflightFor(anyOrigin ? '*' : o, h);
    }
    if (ANY_PREFLIGHT !== null) return ANY_PREFLIGHT;
    const hit = (dynamic ? dynPreflight : preflightCache).get(o);
    if (hit !== undefined) return hit;
    return dynamic ? remember(dynPreflight, o, preflightFor(o, allowedValue)) : preflightFor(o, allowedValue);
  };

  const handle = (req: CorsRequest): CorsResult | Promise<CorsResult> => {
    const o = req.origin;
    if (o === undefined || o === null || o === '') return NOT_CORS;
    const acrm = req.accessControlRequestMethod;
    const isPreflight = req.method === 'OPTIONS' && acrm !== undefined && acrm !== null && acrm !== '';
    if (isPreflight && !preflightChecks(acrm, req.accessControlRequestHeaders)) {
      // A refused method or header is refused for every origin: no need to consult the origin (or its function).
      return PF_REJECTED;
    }
    if (anyOrigin) return allowedAnswer(o, isPreflight, req.accessControlRequestHeaders, false);
    if (fn !== null) {
      if (probing !== null) return probing.then(() => handle(req));
      if (probeRefusal !== null) return Promise.reject(probeRefusal);
      const verdict = fn(o);
      const decide = (ok: unknown): CorsResult => {
        if (typeof ok !== 'boolean') {
          throw invalidOption(
            TypeError,
            `${W}: the origin function must return a boolean (or a promise of one), got ${show(ok)}`,
          );
        }
        if (!ok) return isPreflight ? PF_REJECTED : REJECTED;
        return allowedAnswer(o, isPreflight, req.accessControlRequestHeaders, false);
      };
      return verdict !== null && typeof verdict === 'object' && typeof (verdict as Promise<boolean>).then === 'function'
        ? (verdict as Promise<boolean>).then(decide)
        : decide(verdict);
    }
    if (exact.has(o)) return allowedAnswer(o, isPreflight, req.accessControlRequestHeaders, false);
    if (match !== null) {
      // Origins matched before (patterns are static, so still valid) answer from the cache without re-matching.
      const hit = isPreflight ? undefined : dynActual.get(o);
      if (hit !== undefined) return hit;
      if (match(o)) return allowedAnswer(o, isPreflight, req.accessControlRequestHeaders, true);
    }
    return isPreflight ? PF_REJECTED : REJECTED;
  };

  return Object.freeze({ handle, isAsync: fn !== null }) as Cors<CorsResult | Promise<CorsResult>>;
}

/**
 * Merges Vary tokens into an existing Vary value without overwriting or duplicating (case-insensitive). Returns the
 * existing value unchanged (same string) when every token is already there, and `*` when either side is `*`.
 * Accepts what `res.getHeader('Vary')` returns (string, string[], number or undefined).
 */
export function appendVary(
  existing: string | number | readonly string[] | null | undefined,
  add: string | readonly string[],
): string {
  const cur =
    existing === undefined || existing === null ? '' : Array.isArray(existing) ? existing.join(', ') : String(existing);
  const tokens = typeof add === 'string' ? add.split(',') : add;
  if (cur.trim() === '*') return '*';
  let out = cur.trim();
  let seen: Set<string> | null = null;
  for (const raw of tokens) {
    const t = raw.trim();
    if (t === '') continue;
    if (t === '*') return '*';
    if (!TOKEN.test(t)) throw invalidArgument(TypeError, `appendVary: ${show(t)} is not a header name`);
    if (seen === null) seen = new Set(out === '' ? [] : out.split(',').map((s) => s.trim().toLowerCase()));
    const lower = t.toLowerCase();
    if (seen.has(lower)) continue;
    seen.add(lower);
    out = out === '' ? t : `${out}, ${t}`;
  }
  return out === cur.trim() && typeof existing === 'string' ? existing : out;
}
