import { invalidOption } from '../errors.js';
import { isRecord, show } from './util.js';

/** CSP keywords (always written quoted). */
export type CspKeyword =
  | "'self'"
  | "'none'"
  | "'unsafe-inline'"
  | "'unsafe-eval'"
  | "'unsafe-hashes'"
  | "'strict-dynamic'"
  | "'report-sample'"
  | "'wasm-unsafe-eval'"
  | "'inline-speculation-rules'";

/** One CSP source: a keyword, a hash (`'sha256-…'`), a scheme (`https:`) or a host (`*.example.com`). */
export type CspSource = CspKeyword | (string & {});

/** A source list; a single string is one source. `null`/`false` removes the directive from the preset. */
export type CspSourceList = readonly CspSource[] | CspSource | null | false;

/** `sandbox` flags. */
export type CspSandboxToken =
  | 'allow-downloads'
  | 'allow-forms'
  | 'allow-modals'
  | 'allow-orientation-lock'
  | 'allow-pointer-lock'
  | 'allow-popups'
  | 'allow-popups-to-escape-sandbox'
  | 'allow-presentation'
  | 'allow-same-origin'
  | 'allow-scripts'
  | 'allow-storage-access-by-user-activation'
  | 'allow-top-navigation'
  | 'allow-top-navigation-by-user-activation'
  | 'allow-top-navigation-to-custom-protocols';

/** Typed CSP directives (kebab-case, as on the wire). `null` or `false` removes a directive the preset set. */
export interface CspDirectives {
  'default-src'?: CspSourceList;
  'script-src'?: CspSourceList;
  'script-src-elem'?: CspSourceList;
  'script-src-attr'?: CspSourceList;
  'style-src'?: CspSourceList;
  'style-src-elem'?: CspSourceList;
  'style-src-attr'?: CspSourceList;
  'img-src'?: CspSourceList;
  'font-src'?: CspSourceList;
  'connect-src'?: CspSourceList;
  'media-src'?: CspSourceList;
  'object-src'?: CspSourceList;
  'frame-src'?: CspSourceList;
  'child-src'?: CspSourceList;
  'worker-src'?: CspSourceList;
  'manifest-src'?: CspSourceList;
  'fenced-frame-src'?: CspSourceList;
  'base-uri'?: CspSourceList;
  'form-action'?: CspSourceList;
  'frame-ancestors'?: CspSourceList;
  /** `true` (or `[]`) for the strictest sandbox, or the flags to relax it. */
  sandbox?: readonly CspSandboxToken[] | boolean | null;
  'upgrade-insecure-requests'?: boolean | null;
  /** Deprecated by CSP3 (upgrade-insecure-requests covers it); still accepted. */
  'block-all-mixed-content'?: boolean | null;
  /** Deprecated in favour of `report-to`; still the only reporting Firefox and Safari use, so send both. */
  'report-uri'?: readonly string[] | string | null | false;
  /** A group name declared in `reportingEndpoints`. */
  'report-to'?: string | null | false;
  'require-trusted-types-for'?: "'script'" | readonly ["'script'"] | null | false;
  'trusted-types'?: readonly string[] | string | null | false;
  webrtc?: "'allow'" | "'block'" | null | false;
}

/** Directive names this package knows. */
export type CspDirectiveName = keyof CspDirectives;

/** Content-Security-Policy options. */
export interface CspOptions {
  /** Directives, merged over the preset's (when `useDefaults`) in the preset's order, new ones appended. */
  directives?: CspDirectives;
  /** Start from the preset's directives. Default true. */
  useDefaults?: boolean;
  /**
   * Per-request nonces: `true` adds `'nonce-…'` to `script-src`; or name the directives (e.g.
   * `['script-src', 'style-src']`). A missing directive is derived from `default-src`. The policy then needs
   * `forRequest({ nonce })` per response. Note: browsers ignore `'unsafe-inline'` in a directive that has a nonce.
   */
  nonce?: boolean | readonly CspDirectiveName[];
}

const SOURCE_LIST = new Set<string>([
  'default-src',
  'script-src',
  'script-src-elem',
  'script-src-attr',
  'style-src',
  'style-src-elem',
  'style-src-attr',
  'img-src',
  'font-src',
  'connect-src',
  'media-src',
  'object-src',
  'frame-src',
  'child-src',
  'worker-src',
  'manifest-src',
  'fenced-frame-src',
  'base-uri',
  'form-action',
  'frame-ancestors',
]);
const BOOLEAN = new Set<string>(['upgrade-insecure-requests', 'block-all-mixed-content']);
const OTHER = new Set<string>([
  'sandbox',
  'report-uri',
  'report-to',
  'require-trusted-types-for',
  'trusted-types',
  'webrtc',
]);
const SCRIPT_LIKE = new Set<string>(['default-src', 'script-src', 'script-src-elem']);
const KEYWORDS = new Set<string>([
  'self',
  'none',
  'unsafe-inline',
  'unsafe-eval',
  'unsafe-hashes',
  'strict-dynamic',
  'report-sample',
  'wasm-unsafe-eval',
  'inline-speculation-rules',
]);
const SANDBOX = new Set<string>([
  'allow-downloads',
  'allow-forms',
  'allow-modals',
  'allow-orientation-lock',
  'allow-pointer-lock',
  'allow-popups',
  'allow-popups-to-escape-sandbox',
  'allow-presentation',
  'allow-same-origin',
  'allow-scripts',
  'allow-storage-access-by-user-activation',
  'allow-top-navigation',
  'allow-top-navigation-by-user-activation',
  'allow-top-navigation-to-custom-protocols',
]);
const HASH = /^'sha(?:256|384|512)-[A-Za-z0-9+/_-]+={0,2}'$/;
const UNQUOTED_SPECIAL = /^(?:nonce|sha256|sha384|sha512)-/;
// Scheme, host and path sources: URL characters except the CSP delimiters ; , and the quote.
const SOURCE_CHARS = /^[A-Za-z0-9\-._~:/?#[\]@!$&()*+=%]+$/;
const SCHEME_ONLY = /^[a-zA-Z][a-zA-Z0-9+.-]*:$/;
const GROUP = /^[A-Za-z0-9_-]+$/;

const isKnown = (name: string): boolean => SOURCE_LIST.has(name) || BOOLEAN.has(name) || OTHER.has(name);

function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

function fail(where: string, directive: string, msg: string): never {
  throw invalidOption(TypeError, `${where}: directive ${directive} ${msg}`);
}

function asList(where: string, directive: string, v: unknown): string[] {
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list)) fail(where, directive, `must be a string or an array of strings, got ${show(v)}`);
  for (const t of list) if (typeof t !== 'string') fail(where, directive, `values must be strings, got ${show(t)}`);
  return list as string[];
}

function checkCommon(where: string, directive: string, t: string): void {
  if (t === '') fail(where, directive, 'has an empty value');
  if (/[\r\n\0]/.test(t)) fail(where, directive, `value must not contain CR, LF or NUL, got ${show(t)}`);
  if (/[;,]/.test(t)) fail(where, directive, `value must not contain ";" or "," (directive injection), got ${show(t)}`);
  if (/\s/.test(t)) {
    fail(where, directive, `value must not contain whitespace; pass each source as its own array item, got ${show(t)}`);
  }
  if (/[^\x21-\x7e]/.test(t)) fail(where, directive, `value must be printable ASCII, got ${show(t)}`);
}

function checkSource(where: string, directive: string, t: string): void {
  checkCommon(where, directive, t);
  if (t.startsWith("'")) {
    if (t.length < 3 || !t.endsWith("'")) fail(where, directive, `has an unterminated quoted value ${show(t)}`);
    const inner = t.slice(1, -1);
    if (KEYWORDS.has(inner)) {
      if (inner === 'strict-dynamic' && !SCRIPT_LIKE.has(directive)) {
        fail(where, directive, `cannot use 'strict-dynamic' (only default-src, script-src, script-src-elem)`);
      }
      return;
    }
    if (inner.startsWith('nonce-')) {
      fail(where, directive, `has a fixed nonce ${show(t)}; nonces must change per response: set nonce: true`);
    }
    if (HASH.test(t)) return;
    fail(where, directive, `has an unknown keyword ${show(t)}`);
  }
  if (KEYWORDS.has(t) || UNQUOTED_SPECIAL.test(t)) {
    fail(where, directive, `value ${show(t)} must be quoted: "'${t}'"`);
  }
  if (t.includes("'")) fail(where, directive, `value must not contain a quote, got ${show(t)}`);
  if (!SOURCE_CHARS.test(t)) fail(where, directive, `has an invalid source ${show(t)}`);
  if (
    t.includes('://') === false &&
    t.includes(':') &&
    !SCHEME_ONLY.test(t) &&
    !/^[A-Za-z0-9.*-]+:(?:\d+|\*)/.test(t)
  ) {
    fail(where, directive, `has an invalid source ${show(t)}`);
  }
}

/** Compiles one directive to its wire text (name plus values), or undefined when removed. */
function compileDirective(where: string, name: string, v: unknown, groups: ReadonlySet<string> | null): string | null {
  if (v === null || v === false || v === undefined) return null;
  if (SOURCE_LIST.has(name)) {
    const list = asList(where, name, v);
    if (list.length === 0) fail(where, name, `must list at least one source (use "'none'" to allow nothing)`);
    for (const t of list) checkSource(where, name, t);
    if (list.includes("'none'") && list.length > 1) fail(where, name, `combines "'none'" with other sources`);
    if (new Set(list).size !== list.length) fail(where, name, `lists a source twice: ${show(list)}`);
    return `${name} ${list.join(' ')}`;
  }
  if (BOOLEAN.has(name)) {
    if (v !== true) fail(where, name, `takes true (on) or false/null (off), got ${show(v)}`);
    return name;
  }
  switch (name) {
    case 'sandbox': {
      if (v === true) return name;
      const list = asList(where, name, v);
      for (const t of list) if (!SANDBOX.has(t)) fail(where, name, `has an unknown flag ${show(t)}`);
      return list.length ? `${name} ${list.join(' ')}` : name;
    }
    case 'report-uri': {
      const list = asList(where, name, v);
      if (list.length === 0) fail(where, name, 'must list at least one URL');
      for (const t of list) {
        checkCommon(where, name, t);
        if (t.includes("'") || !/^(?:https?:\/\/|\/)/.test(t)) {
          fail(where, name, `must be an http(s) URL or a path starting with "/", got ${show(t)}`);
        }
      }
      return `${name} ${list.join(' ')}`;
    }
    case 'report-to': {
      if (typeof v !== 'string' || !GROUP.test(v)) fail(where, name, `must be one endpoint group name, got ${show(v)}`);
      if (groups !== null && !groups.has(v)) {
        fail(where, name, `names group ${show(v)}, which reportingEndpoints does not declare`);
      }
      return `${name} ${v}`;
    }
    case 'require-trusted-types-for': {
      const list = asList(where, name, v);
      if (list.length !== 1 || list[0] !== "'script'") fail(where, name, `only takes "'script'", got ${show(v)}`);
      return `${name} 'script'`;
    }
    case 'trusted-types': {
      const list = asList(where, name, v);
      for (const t of list) {
        checkCommon(where, name, t);
        if (!/^(?:'none'|'allow-duplicates'|\*|[A-Za-z0-9\-#=_/@.%]+)$/.test(t)) {
          fail(where, name, `has an invalid policy name ${show(t)}`);
        }
      }
      return list.length ? `${name} ${list.join(' ')}` : name;
    }
    case 'webrtc': {
      if (v !== "'allow'" && v !== "'block'") fail(where, name, `takes "'allow'" or "'block'", got ${show(v)}`);
      return `${name} ${v}`;
    }
  }
  /* c8 ignore next */
  return fail(where, name, 'is not supported');
}

/** A compiled CSP: either a static value or the parts around each nonce. */
export interface CompiledCsp {
  /** The full value when no nonce is used. */
  readonly value: string | null;
  /** With nonces: value = parts[0] + nonce + parts[1] + … ; null otherwise. */
  readonly parts: readonly string[] | null;
}

const NONCE_MARK = '\u0000';

/** Merges directive maps: keys of `over` replace those of `base` in place, new ones are appended. */
export function mergeDirectives(base: CspDirectives | undefined, over: CspDirectives | undefined): CspDirectives {
  return { ...(base ?? {}), ...(over ?? {}) } as CspDirectives;
}

/**
 * Validates and compiles CSP directives. `where` prefixes every error ("securityHeaders: contentSecurityPolicy").
 * `requireDefaultSrc` is on for the enforced policy.
 */
export function compileCsp(
  where: string,
  directives: unknown,
  nonce: unknown,
  requireDefaultSrc: boolean,
  groups: ReadonlySet<string> | null,
): CompiledCsp {
  if (!isRecord(directives))
    throw invalidOption(TypeError, `${where}: directives must be an object, got ${show(directives)}`);
  const out = new Map<string, string>();
  for (const key of Object.keys(directives)) {
    if (!isKnown(key)) {
      const k = kebab(key);
      const hint = k !== key && isKnown(k) ? `; write it as "${k}"` : '';
      throw invalidOption(TypeError, `${where}: unknown directive ${show(key)}${hint}`);
    }
    const text = compileDirective(where, key, directives[key], groups);
    if (text !== null) out.set(key, text);
  }
  if (out.size === 0)
    throw invalidOption(TypeError, `${where}: has no directives; disable the header with false instead`);
  if (requireDefaultSrc && !out.has('default-src')) {
    throw invalidOption(
      TypeError,
      `${where}: directive default-src is required (it is the fallback for every fetch directive)`,
    );
  }
  let nonceTargets: string[] = [];
  if (nonce === true) {
    nonceTargets = ['script-src'];
  } else if (Array.isArray(nonce)) {
    nonceTargets = nonce as string[];
    if (nonceTargets.length === 0) throw invalidOption(TypeError, `${where}: nonce must name at least one directive`);
  } else if (nonce !== undefined && nonce !== false) {
    throw invalidOption(
      TypeError,
      `${where}: nonce must be a boolean or an array of directive names, got ${show(nonce)}`,
    );
  }
  for (const d of nonceTargets) {
    if (!SOURCE_LIST.has(d)) throw invalidOption(TypeError, `${where}: nonce cannot apply to directive ${show(d)}`);
    let text = out.get(d);
    if (text === undefined) {
      // The directive falls back to default-src today: derive it from default-src so adding the nonce keeps every
      // source default-src allowed ('none' aside, which a nonce replaces).
      const def = out.get('default-src');
      if (def === undefined) {
        throw invalidOption(
          TypeError,
          `${where}: nonce needs directive ${d} (or default-src to derive it from), which the policy does not set`,
        );
      }
      const sources = def.slice('default-src'.length).trim();
      text = sources === "'none'" ? d : `${d} ${sources}`;
    }
    if (text.endsWith(" 'none'"))
      throw invalidOption(TypeError, `${where}: directive ${d} is 'none'; it cannot take a nonce`);
    out.set(d, `${text} 'nonce-${NONCE_MARK}'`);
  }
  const value = [...out.values()].join(';');
  if (nonceTargets.length === 0) return { value, parts: null };
  return { value: null, parts: Object.freeze(value.split(NONCE_MARK)) };
}
