// Direct writes into Node's outgoing-header store, used by `apply()` only where they are provably what
// `res.setHeader()` / `res.removeHeader()` would do.
//
// Node's OutgoingMessage (http.ServerResponse, http.ClientRequest) keeps the headers to send in an own property keyed
// by an internal symbol (description 'kOutHeaders'): null until the first header, then a null-prototype object mapping
// lower-case name -> [name as given, value]. Its setHeader is, in full (Node 20; `verify` checks the running Node):
//
//   if (this._header) throw new ERR_HTTP_HEADERS_SENT('set');
//   validateHeaderName(name); validateHeaderValue(name, value);
//   let headers = this[kOutHeaders];
//   if (headers === null) this[kOutHeaders] = headers = { __proto__: null };
//   headers[name.toLowerCase()] = [name, value];
//
// and removeHeader deletes `headers[key]`, after setting a flag for connection, content-length, transfer-encoding and
// date. A policy validates its names and values at build time with rules at least as strict as Node's, so what remains
// per header is the store write, which is what this module lets `apply()` do.
//
// The store is only written when `target.setHeader` and `target.removeHeader` are the very functions verified below
// (one identity check each per call): a setHeader overridden on the instance, on a subclass or patched on Node's own
// prototype (APM wrappers), a test double, Bun's or Deno's node:http, all fail it and keep the setHeader path.
// No `node:` import: the symbol is found on the first response seen.

/** Node's header store: lower-case name -> [name, value]. */
export type OutHeaders = Record<string, [string, unknown]>;

interface NodeOutgoingLike {
  setHeader: unknown;
  removeHeader: unknown;
  _header?: unknown;
  [k: symbol]: unknown;
}

// Node's own rules (lib/_http_common.js checkIsHttpToken, checkInvalidHeaderChar).
const NODE_TOKEN = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/;
const NODE_INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/** True when Node's `setHeader(name, value)` accepts the pair (its validation is all the fast path skips). */
export function nodeAccepts(name: string, value: string): boolean {
  return (
    typeof name === 'string' && typeof value === 'string' && NODE_TOKEN.test(name) && !NODE_INVALID_VALUE.test(value)
  );
}

/** Lower-case names whose `removeHeader` does more than delete the entry (Node sets a flag for each). */
export const REMOVE_SIDE_EFFECTS: ReadonlySet<string> = new Set([
  'connection',
  'content-length',
  'transfer-encoding',
  'date',
]);

let kOutHeaders: symbol | undefined;
let verifiedSet: unknown;
let verifiedRemove: unknown;
// Functions that are not Node's (checked once each), and the last such setHeader seen: a test double or other custom
// target reused for every call costs one identity check, not a WeakSet lookup.
const rejected = new WeakSet<object>();
let lastRejectedSet: unknown;

const fnSource = Function.prototype.toString;
const PROBE_NAME = 'X-Headers-Probe';
const PROBE_KEY = 'x-headers-probe';
// Node markers: an OutgoingMessage.prototype owns all of these next to setHeader.
const MARKERS = ['getHeader', 'hasHeader', 'getHeaderNames', 'getHeaders', 'appendHeader', '_implicitHeader'];

function findOutHeadersSymbol(t: object): symbol | undefined {
  for (const s of Object.getOwnPropertySymbols(t)) {
    if (s.description === 'kOutHeaders') return s;
  }
  return undefined;
}

function isStore(v: unknown): boolean {
  return v === null || (typeof v === 'object' && Object.getPrototypeOf(v) === null);
}

/** The store holds exactly `name` -> [name, value] (checks a probe after a genuine setHeader). */
function holdsOnly(store: unknown, value: string): boolean {
  if (typeof store !== 'object' || store === null || Object.getPrototypeOf(store) !== null) return false;
  const keys = Reflect.ownKeys(store);
  if (keys.length !== 1 || keys[0] !== PROBE_KEY) return false;
  const e = (store as OutHeaders)[PROBE_KEY];
  return Array.isArray(e) && e.length === 2 && e[0] === PROBE_NAME && e[1] === value;
}

/** True when `f`'s source contains every marker (Node's own methods do; wrappers, spies, polyfills do not). */
function hasSource(f: unknown, markers: readonly string[]): boolean {
  let src: string;
  try {
    src = fnSource.call(f as () => unknown);
  } catch {
    return false;
  }
  return markers.every((m) => src.includes(m));
}
const SET_SOURCE = ['kOutHeaders', 'validateHeaderName', 'validateHeaderValue', 'this._header'];
const REMOVE_SOURCE = ['kOutHeaders', 'this._header', 'delete'];

/**
 * Decides whether `t.setHeader` / `t.removeHeader` are Node's own: Node's source, found on a prototype that also owns
 * Node's other header methods, and observed on a probe object to do exactly the store write and deletion this module
 * replicates (and nothing else to the object). Runs once for Node's pair; functions whose source is not Node's are
 * remembered, so spies and wrappers cost one WeakSet lookup per call.
 */
function verify(t: NodeOutgoingLike): boolean {
  const set = t.setHeader;
  const remove = t.removeHeader;
  if (typeof set !== 'function' || typeof remove !== 'function') return false;
  if (rejected.has(set)) {
    lastRejectedSet = set;
    return false;
  }
  if (rejected.has(remove)) return false;
  if (!hasSource(set, SET_SOURCE)) {
    rejected.add(set);
    lastRejectedSet = set;
    return false;
  }
  if (!hasSource(remove, REMOVE_SOURCE)) {
    rejected.add(remove);
    return false;
  }
  const sym = kOutHeaders ?? findOutHeadersSymbol(t);
  if (sym === undefined || !Object.hasOwn(t, sym) || !isStore(t[sym])) return false;
  // The prototype that owns this setHeader (an instance may hold Node's own function too: same behaviour).
  let owner: object | null = Object.getPrototypeOf(t);
  while (owner !== null && !Object.hasOwn(owner, 'setHeader')) owner = Object.getPrototypeOf(owner);
  if (owner === null) return false;
  const o = owner as Record<string, unknown>;
  const sent = Object.getOwnPropertyDescriptor(owner, 'headersSent');
  if (
    o.setHeader !== set ||
    o.removeHeader !== remove ||
    sent === undefined ||
    typeof sent.get !== 'function' ||
    MARKERS.some((m) => !Object.hasOwn(o, m) || typeof o[m] !== 'function')
  ) {
    return false;
  }
  // Behaviour: on a fresh object with an empty store, set, overwrite and remove one header; nothing but the store may
  // change, the store must be created once and hold exactly [name, value].
  try {
    const probe = Object.create(owner) as NodeOutgoingLike;
    probe[sym] = null;
    const call = (f: unknown, ...args: string[]) => (f as (...a: string[]) => unknown).apply(probe, args);
    call(set, PROBE_NAME, 'a');
    const store = probe[sym];
    const ok1 = Reflect.ownKeys(probe).length === 1 && holdsOnly(store, 'a');
    call(set, PROBE_NAME, 'b');
    const ok2 = Reflect.ownKeys(probe).length === 1 && probe[sym] === store && holdsOnly(store, 'b');
    call(remove, PROBE_NAME);
    const ok3 =
      Reflect.ownKeys(probe).length === 1 && probe[sym] === store && Reflect.ownKeys(store as object).length === 0;
    if (!ok1 || !ok2 || !ok3) {
      rejected.add(set);
      lastRejectedSet = set;
      return false;
    }
  } catch {
    rejected.add(set);
    lastRejectedSet = set;
    return false;
  }
  kOutHeaders = sym;
  verifiedSet = set;
  verifiedRemove = remove;
  return true;
}

/**
 * Node's header store of `target` when writing into it is exactly what `target.setHeader` would do, else `undefined`
 * (use the setHeader path). `setHeader` is `target.setHeader`, already read by the caller. `null` means "eligible, no header yet": create one with {@link createOutHeaders}.
 * Cost on the fast path: two identity checks, one `_header` read (what setHeader itself checks) and the store read.
 */
export function outHeadersOf(target: object, setHeader: unknown): OutHeaders | null | undefined {
  const t = target as NodeOutgoingLike;
  if (setHeader !== verifiedSet || t.removeHeader !== verifiedRemove) {
    if (setHeader === lastRejectedSet || !verify(t)) return undefined;
  }
  // Headers already sent: setHeader throws ERR_HTTP_HEADERS_SENT, so let it.
  if (t._header) return undefined;
  const h = t[kOutHeaders!];
  if (h === null) return null;
  return typeof h === 'object' ? (h as OutHeaders) : undefined;
}

/** Creates the store on an eligible target whose store is still null (what setHeader does on its first header). */
export function createOutHeaders(target: object): OutHeaders {
  const h = Object.create(null) as OutHeaders;
  (target as NodeOutgoingLike)[kOutHeaders!] = h;
  return h;
}
