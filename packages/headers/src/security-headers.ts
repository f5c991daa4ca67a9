import { HeadersError, invalidArgument, invalidOption } from './errors.js';
import { type CompiledCsp, type CspOptions, compileCsp, mergeDirectives } from './internal/csp.js';
import { compilePermissionsPolicy, compileReportingEndpoints, type PermissionsAllowlist } from './internal/fields.js';
import {
  compileDocumentIsolationPolicy,
  compileIntegrityPolicy,
  type DocumentIsolationPolicyOptions,
  type DocumentIsolationPolicyValue,
  type IntegrityPolicyOptions,
} from './internal/integrity-isolation.js';
import { checkHeaderName, checkHeaderValue, type Entry, freezeEntries, isRecord, show } from './internal/util.js';
import { isValidNonce } from './nonce.js';
import {
  HEADER_DEFAULTS,
  type HstsOptions,
  PRESETS,
  type ReferrerPolicyToken,
  type ResolvedConfig,
  type SecurityPreset,
} from './presets.js';

/** A `[name, value]` header pair, as in `entries`. */
export type HeaderEntry = readonly [string, string];

/** Anything with Node's `setHeader` / `removeHeader` (node:http ServerResponse, Express, Fastify's `reply.raw`). */
export interface HeaderTarget {
  setHeader(name: string, value: string): unknown;
  removeHeader(name: string): unknown;
}

/** A Fetch-style `Headers` object (Hono's `c.res.headers`, a `Response`'s headers, Deno, Bun, workers). */
export interface FetchHeadersTarget {
  set(name: string, value: string): unknown;
  delete(name: string): unknown;
}

/**
 * Options for {@link securityHeaders}. Every header takes `false` (do not send), `true` (send the preset's value, or
 * the package default when the preset leaves it off) or a value. Unset options keep the preset's choice.
 */
export interface SecurityHeadersOptions {
  /** Starting point. Default `'helmet'` (helmet 8's exact defaults). */
  preset?: SecurityPreset;
  /** Content-Security-Policy. Directives merge over the preset's. */
  contentSecurityPolicy?: CspOptions | boolean;
  /** Content-Security-Policy-Report-Only, sent alongside the enforced one (e.g. to trial a stricter policy). */
  contentSecurityPolicyReportOnly?: CspOptions | boolean;
  crossOriginEmbedderPolicy?: 'require-corp' | 'credentialless' | 'unsafe-none' | boolean;
  crossOriginOpenerPolicy?:
    | 'same-origin'
    | 'same-origin-allow-popups'
    | 'noopener-allow-popups'
    | 'unsafe-none'
    | boolean;
  crossOriginResourcePolicy?: 'same-origin' | 'same-site' | 'cross-origin' | boolean;
  /** Origin-Agent-Cluster: ?1. */
  originAgentCluster?: boolean;
  /** One token or a fallback list (the browser uses the last one it knows). */
  referrerPolicy?: ReferrerPolicyToken | readonly ReferrerPolicyToken[] | boolean;
  strictTransportSecurity?: HstsOptions | boolean;
  /** X-Content-Type-Options: nosniff. */
  xContentTypeOptions?: boolean;
  xDnsPrefetchControl?: 'on' | 'off' | boolean;
  /** X-Download-Options: noopen (old IE). */
  xDownloadOptions?: boolean;
  xFrameOptions?: 'DENY' | 'SAMEORIGIN' | boolean;
  xPermittedCrossDomainPolicies?: 'none' | 'master-only' | 'by-content-type' | 'all' | boolean;
  /** X-XSS-Protection: 0 (turns the buggy legacy filter off; the only safe value). */
  xXssProtection?: boolean;
  /** Feature → allowlist, merged over the preset's; `null` drops a feature. `true` = the OWASP deny list. */
  permissionsPolicy?: Readonly<Record<string, PermissionsAllowlist | null | false>> | boolean;
  /**
   * Reporting-Endpoints: endpoint name → URL. The names are what CSP `report-to`, `integrityPolicy.endpoints` and
   * `documentIsolationPolicy.reportTo` refer to (checked when the policy is built).
   */
  reportingEndpoints?: Readonly<Record<string, string>> | false;
  /**
   * Integrity-Policy: scripts (and styles) must carry Subresource Integrity metadata or are blocked. `true` =
   * `blocked-destinations=(script)`. In no preset: it breaks every script without an `integrity` attribute.
   */
  integrityPolicy?: IntegrityPolicyOptions | boolean;
  /** Integrity-Policy-Report-Only: reports what `integrityPolicy` would block, blocking nothing. */
  integrityPolicyReportOnly?: IntegrityPolicyOptions | boolean;
  /**
   * Document-Isolation-Policy: cross-origin isolation for this document alone, without COOP/COEP. `true` =
   * `isolate-and-require-corp`. In no preset.
   */
  documentIsolationPolicy?: DocumentIsolationPolicyValue | DocumentIsolationPolicyOptions | boolean;
  /** Document-Isolation-Policy-Report-Only: reports what `documentIsolationPolicy` would block. */
  documentIsolationPolicyReportOnly?: DocumentIsolationPolicyValue | DocumentIsolationPolicyOptions | boolean;
  /** Cache-Control value; `true` = `no-store`. */
  cacheControl?: string | boolean;
  /** Extra static headers, validated like the rest. */
  headers?: Readonly<Record<string, string>>;
  /** Response headers to strip (X-Powered-By, Server, ...); replaces the preset's list. `false` = none. */
  remove?: readonly string[] | false;
}

/** A compiled, frozen header policy. Build it once at start-up; every field is safe to share between requests. */
export interface SecurityHeaders {
  /**
   * Frozen `[name, value]` pairs to set on every response: iterate and `setHeader`. With nonces on, the
   * Content-Security-Policy header(s) are NOT in here: use {@link SecurityHeaders.forRequest}.
   */
  readonly entries: readonly HeaderEntry[];
  /** Header names to remove from every response (frozen). */
  readonly remove: readonly string[];
  /** True when the CSP uses per-request nonces: call `forRequest({ nonce })` instead of reading `entries`. */
  readonly nonce: boolean;
  /** The options this policy was built from (frozen), for inspection and `extend`. */
  readonly options: Readonly<SecurityHeadersOptions>;
  /**
   * The full header list for one response. Without nonces it returns `entries` itself (no allocation). With nonces it
   * returns a new array with the CSP value(s) carrying `'nonce-<nonce>'`.
   * @throws {HeadersError} `ERR_INVALID_NONCE` when nonces are on and `nonce` is missing or not a 128-bit+ base64 value.
   */
  forRequest(ctx?: { nonce?: string | undefined }): readonly HeaderEntry[];
  /**
   * Sets every header on `target` (Node `setHeader`/`removeHeader`, or Fetch `Headers` `set`/`delete`) and removes
   * the `remove` list: one loop of the target's own public methods over private plain arrays, allocating nothing for
   * a static policy (with nonces: only the CSP string). `nonce` is required when nonces are on.
   * @throws {HeadersError} `ERR_INVALID_NONCE` when nonces are on and `nonce` is missing or invalid (nothing is set).
   * @throws {Error} Node's `ERR_HTTP_HEADERS_SENT` (from its `setHeader`) when the response head was already sent.
   */
  apply(target: HeaderTarget | FetchHeadersTarget, nonce?: string): void;
  /** Value of one header (case-insensitive) as compiled; CSP with nonces shows `{nonce}` in place of the nonce. */
  get(name: string): string | undefined;
  /** A new policy: these options merged over this one's (CSP directives, Permissions-Policy, headers merge per key). */
  extend(overrides: SecurityHeadersOptions): SecurityHeaders;
}

const W = 'securityHeaders';
const COEP = new Set(['require-corp', 'credentialless', 'unsafe-none']);
const COOP = new Set(['same-origin', 'same-origin-allow-popups', 'noopener-allow-popups', 'unsafe-none']);
const CORP = new Set(['same-origin', 'same-site', 'cross-origin']);
const XPCDP = new Set(['none', 'master-only', 'by-content-type', 'all']);
const REFERRER = new Set<string>([
  'no-referrer',
  'no-referrer-when-downgrade',
  'same-origin',
  'origin',
  'strict-origin',
  'origin-when-cross-origin',
  'strict-origin-when-cross-origin',
  'unsafe-url',
]);
const KNOWN_OPTIONS = new Set<string>([
  'preset',
  'contentSecurityPolicy',
  'contentSecurityPolicyReportOnly',
  'crossOriginEmbedderPolicy',
  'crossOriginOpenerPolicy',
  'crossOriginResourcePolicy',
  'originAgentCluster',
  'referrerPolicy',
  'strictTransportSecurity',
  'xContentTypeOptions',
  'xDnsPrefetchControl',
  'xDownloadOptions',
  'xFrameOptions',
  'xPermittedCrossDomainPolicies',
  'xXssProtection',
  'permissionsPolicy',
  'reportingEndpoints',
  'integrityPolicy',
  'integrityPolicyReportOnly',
  'documentIsolationPolicy',
  'documentIsolationPolicyReportOnly',
  'cacheControl',
  'headers',
  'remove',
]);

function pick<T>(name: string, v: unknown, preset: T | false, fallback: T, allowed: Set<string> | null): T | false {
  if (v === undefined) return preset;
  if (v === false) return false;
  if (v === true) return preset === false ? fallback : preset;
  if (allowed !== null && (typeof v !== 'string' || !allowed.has(v))) {
    throw invalidOption(
      TypeError,
      `${W}: ${name} must be one of ${[...allowed].join(', ')} or a boolean, got ${show(v)}`,
    );
  }
  return v as T;
}

function bool(name: string, v: unknown, preset: boolean): boolean {
  if (v === undefined) return preset;
  if (typeof v !== 'boolean') throw invalidOption(TypeError, `${W}: ${name} must be a boolean, got ${show(v)}`);
  return v;
}

interface Slot {
  index: number;
  name: string;
  parts: readonly string[];
}

function describeNonce(n: unknown): string {
  if (n === undefined) return 'none';
  return typeof n === 'string' ? `a ${n.length}-character string` : `a ${typeof n}`;
}

function fill(parts: readonly string[], nonce: string): string {
  if (parts.length === 2) return parts[0]! + nonce + parts[1]!;
  if (parts.length === 3) return parts[0]! + nonce + parts[1]! + nonce + parts[2]!;
  let s = parts[0]!;
  for (let i = 1; i < parts.length; i++) s += nonce + parts[i]!;
  return s;
}

function compileHsts(v: unknown, preset: Required<HstsOptions> | false): string | false {
  if (v === undefined) {
    if (preset === false) return false;
    v = preset;
  } else if (v === false) return false;
  else if (v === true) v = preset === false ? HEADER_DEFAULTS.hsts : preset;
  if (!isRecord(v))
    throw invalidOption(TypeError, `${W}: strictTransportSecurity must be an object or a boolean, got ${show(v)}`);
  for (const k of Object.keys(v)) {
    if (k !== 'maxAgeSec' && k !== 'includeSubDomains' && k !== 'preload') {
      throw invalidOption(
        TypeError,
        `${W}: strictTransportSecurity.${k} is not an option (use maxAgeSec, includeSubDomains, preload)`,
      );
    }
  }
  const base = (preset === false ? HEADER_DEFAULTS.hsts : preset) as Required<HstsOptions>;
  const maxAge = v.maxAgeSec ?? base.maxAgeSec;
  const sub = v.includeSubDomains ?? base.includeSubDomains;
  const preload = v.preload ?? base.preload;
  if (typeof maxAge !== 'number' || !Number.isInteger(maxAge) || maxAge < 0) {
    throw invalidOption(
      RangeError,
      `${W}: strictTransportSecurity.maxAgeSec must be an integer >= 0, got ${show(maxAge)}`,
    );
  }
  if (typeof sub !== 'boolean') {
    throw invalidOption(
      TypeError,
      `${W}: strictTransportSecurity.includeSubDomains must be a boolean, got ${show(sub)}`,
    );
  }
  if (typeof preload !== 'boolean') {
    throw invalidOption(TypeError, `${W}: strictTransportSecurity.preload must be a boolean, got ${show(preload)}`);
  }
  if (preload && (!sub || maxAge < 31_536_000)) {
    throw invalidOption(
      RangeError,
      `${W}: strictTransportSecurity.preload needs includeSubDomains and maxAgeSec >= 31536000 (hstspreload.org rules), got maxAgeSec ${maxAge}, includeSubDomains ${sub}`,
    );
  }
  return `max-age=${maxAge}${sub ? '; includeSubDomains' : ''}${preload ? '; preload' : ''}`;
}

function cspConfig(
  name: string,
  v: unknown,
  preset: ResolvedConfig['csp'],
): { directives: unknown; nonce: unknown } | false {
  if (v === undefined) return preset === false ? false : { directives: preset.directives, nonce: undefined };
  if (v === false) return false;
  const base = preset === false ? HEADER_DEFAULTS.csp : preset;
  if (v === true) return { directives: (base as { directives: unknown }).directives, nonce: undefined };
  if (!isRecord(v)) throw invalidOption(TypeError, `${W}: ${name} must be an object or a boolean, got ${show(v)}`);
  for (const k of Object.keys(v)) {
    if (k !== 'directives' && k !== 'useDefaults' && k !== 'nonce') {
      throw invalidOption(TypeError, `${W}: ${name}.${k} is not an option (use directives, useDefaults, nonce)`);
    }
  }
  if (v.useDefaults !== undefined && typeof v.useDefaults !== 'boolean') {
    throw invalidOption(TypeError, `${W}: ${name}.useDefaults must be a boolean, got ${show(v.useDefaults)}`);
  }
  if (v.directives !== undefined && !isRecord(v.directives)) {
    throw invalidOption(TypeError, `${W}: ${name}.directives must be an object, got ${show(v.directives)}`);
  }
  const useDefaults = v.useDefaults !== false;
  const directives = useDefaults
    ? mergeDirectives((base as { directives: never }).directives, v.directives as never)
    : (v.directives ?? {});
  return { directives, nonce: v.nonce };
}

function compile(options: SecurityHeadersOptions): SecurityHeaders {
  if (!isRecord(options)) throw invalidOption(TypeError, `${W}: options must be an object, got ${show(options)}`);
  for (const k of Object.keys(options)) {
    if (!KNOWN_OPTIONS.has(k)) throw invalidOption(TypeError, `${W}: unknown option ${show(k)}`);
  }
  const o = options as SecurityHeadersOptions;
  const presetName = o.preset ?? 'helmet';
  const p = PRESETS[presetName];
  if (p === undefined || !Object.hasOwn(PRESETS, presetName)) {
    throw invalidOption(TypeError, `${W}: preset must be one of helmet, owasp, api, got ${show(o.preset)}`);
  }
  const D = HEADER_DEFAULTS;
  const list: Entry[] = [];
  const slots: Slot[] = [];

  // Reporting endpoints first: CSP report-to is checked against their names.
  let reporting: { value: string; names: Set<string> } | null = null;
  if (o.reportingEndpoints !== undefined && o.reportingEndpoints !== false) {
    reporting = compileReportingEndpoints(`${W}: reportingEndpoints`, o.reportingEndpoints);
  }
  const groups = reporting?.names ?? null;

  const addCsp = (header: string, optName: string, v: unknown, enforced: boolean): void => {
    const cfg = enforced ? cspConfig(optName, v, p.csp) : v === undefined ? false : cspConfig(optName, v, p.csp);
    if (cfg === false) return;
    const c: CompiledCsp = compileCsp(`${W}: ${optName}`, cfg.directives, cfg.nonce, enforced, groups);
    if (c.parts !== null) slots.push({ index: list.length, name: header, parts: c.parts });
    list.push([header, c.value ?? c.parts!.join('{nonce}')]);
  };
  addCsp('Content-Security-Policy', 'contentSecurityPolicy', o.contentSecurityPolicy, true);
  addCsp(
    'Content-Security-Policy-Report-Only',
    'contentSecurityPolicyReportOnly',
    o.contentSecurityPolicyReportOnly,
    false,
  );

  const coep = pick('crossOriginEmbedderPolicy', o.crossOriginEmbedderPolicy, p.coep, D.coep as string, COEP);
  if (coep !== false) list.push(['Cross-Origin-Embedder-Policy', coep]);
  const coop = pick('crossOriginOpenerPolicy', o.crossOriginOpenerPolicy, p.coop, D.coop as string, COOP);
  if (coop !== false) list.push(['Cross-Origin-Opener-Policy', coop]);
  const corp = pick('crossOriginResourcePolicy', o.crossOriginResourcePolicy, p.corp, D.corp as string, CORP);
  if (corp !== false) list.push(['Cross-Origin-Resource-Policy', corp]);
  if (bool('originAgentCluster', o.originAgentCluster, p.originAgentCluster)) list.push(['Origin-Agent-Cluster', '?1']);

  let referrer: readonly string[] | false = p.referrerPolicy;
  const rp = o.referrerPolicy;
  if (rp === false) referrer = false;
  else if (rp === true) referrer = p.referrerPolicy === false ? D.referrerPolicy : p.referrerPolicy;
  else if (rp !== undefined) {
    const tokens = typeof rp === 'string' ? [rp] : rp;
    if (!Array.isArray(tokens) || tokens.length === 0) {
      throw invalidOption(
        TypeError,
        `${W}: referrerPolicy must be a token, a non-empty array of tokens or a boolean, got ${show(rp)}`,
      );
    }
    for (const t of tokens) {
      if (!REFERRER.has(t)) throw invalidOption(TypeError, `${W}: referrerPolicy has an unknown token ${show(t)}`);
    }
    if (new Set(tokens).size !== tokens.length)
      throw invalidOption(TypeError, `${W}: referrerPolicy repeats a token: ${show(rp)}`);
    referrer = tokens;
  }
  if (referrer !== false) list.push(['Referrer-Policy', referrer.join(',')]);

  const hsts = compileHsts(o.strictTransportSecurity, p.hsts);
  if (hsts !== false) list.push(['Strict-Transport-Security', hsts]);
  if (bool('xContentTypeOptions', o.xContentTypeOptions, p.xContentTypeOptions)) {
    list.push(['X-Content-Type-Options', 'nosniff']);
  }
  const dns = pick('xDnsPrefetchControl', o.xDnsPrefetchControl, p.xDnsPrefetchControl, 'off', new Set(['on', 'off']));
  if (dns !== false) list.push(['X-DNS-Prefetch-Control', dns]);
  if (bool('xDownloadOptions', o.xDownloadOptions, p.xDownloadOptions)) list.push(['X-Download-Options', 'noopen']);
  let xfoIn: unknown = o.xFrameOptions;
  if (typeof xfoIn === 'string') xfoIn = xfoIn.toUpperCase() === 'SAME-ORIGIN' ? 'SAMEORIGIN' : xfoIn.toUpperCase();
  const xfo = pick('xFrameOptions', xfoIn, p.xFrameOptions, 'DENY' as const, new Set(['DENY', 'SAMEORIGIN']));
  if (xfo !== false) list.push(['X-Frame-Options', xfo]);
  const xp = pick(
    'xPermittedCrossDomainPolicies',
    o.xPermittedCrossDomainPolicies,
    p.xPermittedCrossDomainPolicies,
    'none',
    XPCDP,
  );
  if (xp !== false) list.push(['X-Permitted-Cross-Domain-Policies', xp]);
  if (bool('xXssProtection', o.xXssProtection, p.xXssProtection)) list.push(['X-XSS-Protection', '0']);

  const pp = o.permissionsPolicy;
  if (pp !== false && (pp !== undefined || p.permissionsPolicy !== false)) {
    const base = p.permissionsPolicy === false ? D.permissionsPolicy : p.permissionsPolicy;
    let policy: unknown;
    if (pp === undefined || pp === true) policy = base;
    else if (isRecord(pp)) policy = p.permissionsPolicy === false ? pp : { ...p.permissionsPolicy, ...pp };
    else throw invalidOption(TypeError, `${W}: permissionsPolicy must be an object or a boolean, got ${show(pp)}`);
    list.push(['Permissions-Policy', compilePermissionsPolicy(`${W}: permissionsPolicy`, policy)]);
  }
  if (reporting !== null) list.push(['Reporting-Endpoints', reporting.value]);
  // Sent only when asked for: no preset includes them (see the README's Presets section).
  const policies = [
    ['Integrity-Policy', 'integrityPolicy', compileIntegrityPolicy],
    ['Integrity-Policy-Report-Only', 'integrityPolicyReportOnly', compileIntegrityPolicy],
    ['Document-Isolation-Policy', 'documentIsolationPolicy', compileDocumentIsolationPolicy],
    ['Document-Isolation-Policy-Report-Only', 'documentIsolationPolicyReportOnly', compileDocumentIsolationPolicy],
  ] as const;
  for (const [header, opt, compilePolicy] of policies) {
    const v = o[opt];
    if (v !== undefined && v !== false) list.push([header, compilePolicy(`${W}: ${opt}`, v, groups)]);
  }

  const cc = o.cacheControl;
  let cache: string | false = p.cacheControl;
  if (cc === false) cache = false;
  else if (cc === true) cache = p.cacheControl === false ? 'no-store' : p.cacheControl;
  else if (cc !== undefined) cache = checkHeaderValue(`${W}: cacheControl`, cc);
  if (cache !== false) list.push(['Cache-Control', cache]);

  if (o.headers !== undefined) {
    if (!isRecord(o.headers))
      throw invalidOption(TypeError, `${W}: headers must be an object of name → value, got ${show(o.headers)}`);
    for (const name of Object.keys(o.headers)) {
      checkHeaderName(`${W}: headers`, name);
      const lower = name.toLowerCase();
      if (list.some(([n]) => n.toLowerCase() === lower)) {
        throw invalidOption(
          TypeError,
          `${W}: headers.${name} duplicates a header this policy already sets; use its own option`,
        );
      }
      list.push([name, checkHeaderValue(`${W}: headers.${name}`, o.headers[name])]);
    }
  }

  let remove: readonly string[] = p.remove;
  if (o.remove === false) remove = [];
  else if (o.remove !== undefined) {
    if (!Array.isArray(o.remove))
      throw invalidOption(TypeError, `${W}: remove must be an array of header names, got ${show(o.remove)}`);
    remove = o.remove.map((n) => checkHeaderName(`${W}: remove`, n));
  }
  const removeSet = new Set(remove.map((n) => n.toLowerCase()));
  for (const [n] of list) {
    if (removeSet.has(n.toLowerCase()))
      throw invalidOption(TypeError, `${W}: remove lists ${n}, which the policy also sets`);
  }
  const frozenRemove = Object.freeze([...remove]);

  // Public lists are frozen (safe to share). V8 (Node 20) reads frozen arrays several times slower than plain ones,
  // so the hot paths (`apply`, `forRequest`) run on private plain copies of the same strings.
  const template = freezeEntries(list.map((e) => [e[0], e[1]] as const as Entry));
  const slotIndexes = new Set(slots.map((s) => s.index));
  const usesNonce = slots.length > 0;
  const entries = usesNonce ? freezeEntries(list.filter((_, i) => !slotIndexes.has(i)) as Entry[]) : template;
  const staticNames: string[] = entries.map((e) => e[0]);
  const staticValues: string[] = entries.map((e) => e[1]);
  const allNames: string[] = list.map((e) => e[0]);
  const allValues: string[] = list.map((e) => e[1]);
  const slotParts: Array<readonly string[] | null> = list.map(
    (_, i) => slots.find((s) => s.index === i)?.parts ?? null,
  );
  const templatePlain: HeaderEntry[] = [...template];
  const slotList = slots.map((s) => ({ index: s.index, name: s.name, parts: [...s.parts] }));
  const removeNames: string[] = [...remove];
  const byName = new Map(list.map(([n, v]) => [n.toLowerCase(), v]));
  const frozenOptions = Object.freeze({ ...o });

  const checkNonce = (nonce: unknown): string => {
    if (!isValidNonce(nonce)) {
      throw new HeadersError(
        'ERR_INVALID_NONCE',
        `securityHeaders: forRequest needs a nonce of at least 128 bits in base64 (use generateNonce()), got ${describeNonce(nonce)}`,
      );
    }
    return nonce;
  };

  const forRequest = (ctx?: { nonce?: string | undefined }): readonly HeaderEntry[] => {
    if (!usesNonce) return entries;
    const nonce = checkNonce(ctx?.nonce);
    const out = templatePlain.slice();
    for (let i = 0; i < slotList.length; i++) {
      const s = slotList[i]!;
      out[s.index] = [s.name, fill(s.parts, nonce)];
    }
    return out;
  };

  return Object.freeze({
    entries,
    remove: frozenRemove,
    nonce: usesNonce,
    options: frozenOptions,
    forRequest,
    apply(target: HeaderTarget | FetchHeadersTarget, nonce?: string): void {
      const setHeader = (target as HeaderTarget).setHeader;
      const node = typeof setHeader === 'function';
      if (!node && typeof (target as FetchHeadersTarget).set !== 'function') {
        throw invalidArgument(
          TypeError,
          `${W}: apply() needs a target with setHeader/removeHeader or set/delete, got ${show(target)}`,
        );
      }
      const n = usesNonce ? checkNonce(nonce) : '';
      if (usesNonce) {
        for (let i = 0; i < allNames.length; i++) {
          const parts = slotParts[i];
          const v = parts === null || parts === undefined ? allValues[i]! : fill(parts, n);
          if (node) (target as HeaderTarget).setHeader(allNames[i]!, v);
          else (target as FetchHeadersTarget).set(allNames[i]!, v);
        }
      } else if (node) {
        for (let i = 0; i < staticNames.length; i++)
          (target as HeaderTarget).setHeader(staticNames[i]!, staticValues[i]!);
      } else {
        for (let i = 0; i < staticNames.length; i++)
          (target as FetchHeadersTarget).set(staticNames[i]!, staticValues[i]!);
      }
      if (node) for (let i = 0; i < removeNames.length; i++) (target as HeaderTarget).removeHeader(removeNames[i]!);
      else for (let i = 0; i < removeNames.length; i++) (target as FetchHeadersTarget).delete(removeNames[i]!);
    },
    get(name: string): string | undefined {
      return byName.get(String(name).toLowerCase());
    },
    extend(overrides: SecurityHeadersOptions): SecurityHeaders {
      return compile(mergeOptions(frozenOptions, overrides));
    },
  });
}

const mergeRecord = (a: unknown, b: unknown): unknown => (isRecord(a) && isRecord(b) ? { ...a, ...b } : b);

function mergeCsp(a: unknown, b: unknown): unknown {
  if (!isRecord(a) || !isRecord(b)) return b;
  const out: Record<string, unknown> = { ...a, ...b };
  if (b.useDefaults !== false) out.directives = mergeRecord(a.directives, b.directives) ?? a.directives;
  return out;
}

/** Merges `over` into `base` the way `extend()` does. */
function mergeOptions(base: SecurityHeadersOptions, over: SecurityHeadersOptions): SecurityHeadersOptions {
  if (!isRecord(over)) throw invalidOption(TypeError, `${W}: extend() needs an options object, got ${show(over)}`);
  const out: Record<string, unknown> = { ...base };
  for (const k of Object.keys(over)) {
    const b = (over as Record<string, unknown>)[k];
    const a = (base as Record<string, unknown>)[k];
    if (b === undefined) continue;
    if (k === 'contentSecurityPolicy' || k === 'contentSecurityPolicyReportOnly') out[k] = mergeCsp(a, b);
    else if (
      k === 'permissionsPolicy' ||
      k === 'reportingEndpoints' ||
      k === 'integrityPolicy' ||
      k === 'integrityPolicyReportOnly' ||
      k === 'documentIsolationPolicy' ||
      k === 'documentIsolationPolicyReportOnly' ||
      k === 'headers' ||
      k === 'strictTransportSecurity'
    ) {
      out[k] = mergeRecord(a, b);
    } else out[k] = b;
  }
  return out as SecurityHeadersOptions;
}

/**
 * Compiles a security-header policy once: validated, frozen, ready to apply per response at the cost of a loop.
 *
 * ```ts
 * const headers = securityHeaders({ preset: 'owasp', contentSecurityPolicy: { nonce: true } });
 * // per request:
 * const nonce = generateNonce();
 * for (const [name, value] of headers.forRequest({ nonce })) res.setHeader(name, value);
 * ```
 * @throws {TypeError | RangeError} on any invalid option, naming it (and the CSP directive, for CSP errors).
 */
export function securityHeaders(options: SecurityHeadersOptions = {}): SecurityHeaders {
  return compile(options);
}

const SITE_DATA = new Set([
  'cache',
  'cookies',
  'storage',
  'executionContexts',
  'clientHints',
  'prefetchCache',
  'prerenderCache',
  '*',
]);

/** Clear-Site-Data types. */
export type ClearSiteDataType =
  | 'cache'
  | 'cookies'
  | 'storage'
  | 'executionContexts'
  | 'clientHints'
  | 'prefetchCache'
  | 'prerenderCache'
  | '*';

/**
 * The Clear-Site-Data header for a logout (or account deletion) route, as a frozen `[name, value]` pair:
 * `clearSiteData()` → `['Clear-Site-Data', '"cache", "cookies", "storage"']`. Build it once; never send it globally.
 * @throws {TypeError} on an unknown or repeated type.
 */
export function clearSiteData(types: readonly ClearSiteDataType[] = ['cache', 'cookies', 'storage']): HeaderEntry {
  if (!Array.isArray(types) || types.length === 0) {
    throw invalidArgument(TypeError, `clearSiteData: types must be a non-empty array, got ${show(types)}`);
  }
  for (const t of types) {
    if (!SITE_DATA.has(t)) {
      throw invalidArgument(TypeError, `clearSiteData: unknown type ${show(t)} (use ${[...SITE_DATA].join(', ')})`);
    }
  }
  if (new Set(types).size !== types.length)
    throw invalidArgument(TypeError, `clearSiteData: repeats a type: ${show(types)}`);
  return Object.freeze(['Clear-Site-Data', types.map((t) => `"${t}"`).join(', ')] as const);
}
