// Framework-agnostic helpers shared by @org/express, @org/fastify and @org/hono.
// One source for the three adapters: each bundles this private package into its dist (tsup noExternal).
// No `node:` import and no runtime import of another @org package: adapters only take instances built by the user.

/* ------------------------------------------------------------------ errors */

const BRAND = Symbol.for('@org/adapter.error');

/** Error raised by an adapter itself (body too large, request timeout). `code` and `status` are stable. */
export class AdapterError extends Error {
  /** Stable machine-readable code, e.g. `ERR_BODY_TOO_LARGE`. */
  readonly code: string;
  /** HTTP status the error handler answers with. */
  readonly status: number;
  constructor(code: string, status: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'AdapterError';
    this.code = code;
    this.status = status;
    Object.defineProperty(this, BRAND, { value: true });
  }
}

/** True for any error created by one of the adapters, even from another copy of the package. */
export function isAdapterError(e: unknown): e is AdapterError {
  return typeof e === 'object' && e !== null && (e as Record<symbol, unknown>)[BRAND] === true;
}

export const bodyTooLarge = (limit: number): AdapterError =>
  new AdapterError('ERR_BODY_TOO_LARGE', 413, `request body exceeds the limit of ${limit} bytes`);

export const requestTimedOut = (ms: number): AdapterError =>
  new AdapterError('ERR_REQUEST_TIMEOUT', 503, `request did not complete within ${ms} ms`);

/* ------------------------------------------------------------------ option validation */

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1024,
  kib: 1024,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

/** Parses `1048576`, `'1mb'`, `'512 KiB'` into bytes; throws naming the option on anything else. */
export function parseBytes(value: unknown, option: string): number {
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value) && value >= 0) return value;
  } else if (typeof value === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(value);
    const unit = UNITS[(m?.[2] || 'b').toLowerCase()];
    if (m && unit !== undefined) return Math.floor(Number(m[1]) * unit);
  }
  throw new RangeError(`${option} must be a byte count >= 0 or a string like '1mb', got ${show(value)}`);
}

/** Validates a positive duration in ms (finite, > 0, fits a timer). */
export function parseMs(value: unknown, option: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0 || value > 2 ** 31 - 1)
    throw new RangeError(`${option} must be a number of milliseconds in (0, 2^31-1], got ${show(value)}`);
  return value;
}

/** Throws unless `value` is an object exposing every named method. */
export function requireMethods(value: unknown, option: string, methods: readonly string[]): void {
  if (typeof value !== 'object' || value === null)
    throw new TypeError(`${option} must be an instance built by its @org package, got ${show(value)}`);
  for (const m of methods) {
    if (typeof (value as Record<string, unknown>)[m] !== 'function')
      throw new TypeError(`${option} must have a ${m}() method (build it with its @org package)`);
  }
}

export function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'function') return 'a function';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'object' && v !== null) return 'an object';
  return String(v);
}

/* ------------------------------------------------------------------ request id, nonce */

/** Incoming request ids are accepted only when they match this: 1-128 visible, header-safe characters. */
export const REQUEST_ID_PATTERN: RegExp = /^[A-Za-z0-9._:@+/=-]{1,128}$/;

/** Returns the incoming id when it is valid, else a fresh UUIDv4. */
export function resolveRequestId(incoming: unknown, generate: () => string): string {
  return typeof incoming === 'string' && REQUEST_ID_PATTERN.test(incoming) ? incoming : generate();
}

/**
 * Random bytes for request ids and nonces, drawn from Web Crypto 64 KiB (its maximum) at a time: a `getRandomValues`
 * call costs about 5 µs on Node 20 whatever its size up to that (measured: 16 bytes 5.5 µs, 4 KiB 5.2 µs, 64 KiB
 * 14 µs), so one call per request, as a nonce made that way took, costs more than the rest of a request's headers.
 * Every byte is handed out once.
 */
const randomPool = new Uint8Array(65536);
let randomAt = randomPool.length;

/** Offset in `randomPool` of `n` (at most 65536) fresh random bytes. */
function takeRandom(n: number): number {
  if (randomAt + n > randomPool.length) {
    globalThis.crypto.getRandomValues(randomPool);
    randomAt = 0;
  }
  const o = randomAt;
  randomAt += n;
  return o;
}

/** Ids made per text refill: one hex pass and one decode per batch. */
const ID_BATCH = 256;
/** The ASCII text of one batch: 36 bytes per id, the dashes written once here. */
const idAscii = new Uint8Array(ID_BATCH * 36).fill(45);
/** The batch's text, one flat string; each id is a 36-char slice of it. */
let idText = '';
let idAt = ID_BATCH;
/** Each byte's high and low lower-case hex digit, as char codes. */
const HEX_HI = new Uint8Array(256);
const HEX_LO = new Uint8Array(256);
for (let x = 0; x < 256; x++) {
  HEX_HI[x] = '0123456789abcdef'.charCodeAt(x >> 4);
  HEX_LO[x] = '0123456789abcdef'.charCodeAt(x & 15);
}
const idDecoder = new TextDecoder();

/**
 * Makes the next ID_BATCH ids' text: random bytes from Web Crypto, version and variant bits set, hex-encoded in the
 * 8-4-4-4-12 groups (one loop per group, the dashes skipped: measured 18 → 12 µs a batch against one loop over a table
 * of the 16 positions).
 */
function refillIds(): void {
  const r = randomPool;
  const a = idAscii;
  const hi = HEX_HI;
  const lo = HEX_LO;
  let o = takeRandom(ID_BATCH * 16);
  let p = 0;
  for (let k = 0; k < ID_BATCH; k++) {
    r[o + 6] = (r[o + 6]! & 0x0f) | 0x40; // version 4
    r[o + 8] = (r[o + 8]! & 0x3f) | 0x80; // variant 10
    for (let e = o + 4; o < e; o++, p += 2) {
      a[p] = hi[r[o]!]!;
      a[p + 1] = lo[r[o]!]!;
    }
    p++;
    for (let g = 0; g < 3; g++, p++) {
      for (let e = o + 2; o < e; o++, p += 2) {
        a[p] = hi[r[o]!]!;
        a[p + 1] = lo[r[o]!]!;
      }
    }
    for (let e = o + 6; o < e; o++, p += 2) {
      a[p] = hi[r[o]!]!;
      a[p + 1] = lo[r[o]!]!;
    }
  }
  idText = idDecoder.decode(a);
  idAt = 0;
}

/**
 * A random UUIDv4 (RFC 9562) from the runtime's Web Crypto: 122 random bits. Random bytes come from a 64 KiB pool
 * (one `getRandomValues` call per 4,096 ids), text 256 ids at a time (one hex pass over a byte array, one decode to a flat string);
 * each id is a 36-char slice of that string. Node 20 microbenchmark: ~40 ns per id, where building each id with
 * `String.fromCharCode` of 36 codes from 4 KiB random pools took ~110 ns and `crypto.randomUUID()` takes ~200 ns.
 */
export function randomId(): string {
  if (idAt === ID_BATCH) refillIds();
  const p = idAt++ * 36;
  return idText.slice(p, p + 36);
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** 128 random bits (16 bytes of the shared pool), base64 (what CSP `'nonce-…'` expects). */
export function randomNonce(): string {
  const b = randomPool;
  const o = takeRandom(16);
  let out = '';
  for (let i = o; i < o + 15; i += 3) {
    const n = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    out += B64[n >> 18]! + B64[(n >> 12) & 63]! + B64[(n >> 6) & 63]! + B64[n & 63]!;
  }
  const last = b[o + 15]!;
  return `${out}${B64[last >> 2]!}${B64[(last & 3) << 4]!}==`;
}

const perf = globalThis.performance;
/**
 * `performance.now()` with the global read once, at load: Node's `performance` global is an accessor, so every read of
 * it is a getter call (measured on Node 20: 57–67 ns a call against 69–88 ns; a request reads the clock three or four
 * times).
 */
export const now = (): number => perf.now();

const MS_PAD = ['000', '00', '0', ''];
/**
 * `X-Response-Time` value from a duration in ms, three decimals, e.g. `1.234ms` (built from integers: about half the
 * time of `toFixed(3)`, which is used only for values outside 0..1e12 ms).
 */
export function formatResponseTime(ms: number): string {
  const u = Math.round(ms * 1000);
  if (!(u >= 0 && u < 1e15)) return `${ms.toFixed(3)}ms`;
  const i = Math.floor(u / 1000);
  const f = `${u - i * 1000}`;
  return `${i}.${MS_PAD[f.length]!}${f}ms`;
}

/* ------------------------------------------------------------------ client IP and trusted proxies */

/**
 * Which peers may set `X-Forwarded-For`:
 * - `false` (default): never trust it; the client is the socket peer.
 * - `true`: trust every hop; the client is the left-most address.
 * - a number `n`: trust the `n` closest hops.
 * - addresses / CIDRs / the names `loopback`, `linklocal`, `uniquelocal` (string, comma list or array).
 * - a function `(address, hop) => boolean`.
 */
export type TrustProxy = boolean | number | string | readonly string[] | ((address: string, hop: number) => boolean);

type Cidr = { bytes: Uint8Array; bits: number };
const NAMED: Record<string, string[]> = {
  loopback: ['127.0.0.1/8', '::1/128'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
};

/** Compiles a {@link TrustProxy} setting once into a predicate. */
export function compileTrust(
  trust: TrustProxy | undefined,
  option = 'trustProxy',
): (addr: string, hop: number) => boolean {
  if (trust === undefined || trust === false) return () => false;
  if (trust === true) return () => true;
  if (typeof trust === 'function') return trust;
  if (typeof trust === 'number') {
    if (!Number.isInteger(trust) || trust < 0)
      throw new RangeError(`${option} must be an integer >= 0 when a number, got ${trust}`);
    return (_a, hop) => hop < trust;
  }
  const list = typeof trust === 'string' ? trust.split(',') : trust;
  if (!Array.isArray(list)) throw new TypeError(`${option} must be a boolean, number, string, array or function`);
  const cidrs: Cidr[] = [];
  for (const raw of list) {
    const item = String(raw).trim();
    for (const c of NAMED[item] ?? [item]) {
      const [addr, bitsRaw] = c.split('/');
      const bytes = parseIp(addr ?? '');
      const max = bytes ? bytes.length * 8 : 0;
      const bits = bitsRaw === undefined ? max : Number(bitsRaw);
      if (!bytes || !Number.isInteger(bits) || bits < 0 || bits > max)
        throw new TypeError(
          `${option}: ${JSON.stringify(item)} is not an IP address, CIDR or one of loopback, linklocal, uniquelocal`,
        );
      cidrs.push({ bytes, bits });
    }
  }
  return (addr) => {
    const b = parseIp(addr);
    if (!b) return false;
    for (const c of cidrs) if (inCidr(b, c)) return true;
    return false;
  };
}

function inCidr(b: Uint8Array, c: Cidr): boolean {
  let ip = b;
  if (ip.length !== c.bytes.length) {
    // compare IPv4-mapped IPv6 (::ffff:a.b.c.d) with IPv4 ranges
    if (ip.length === 16 && c.bytes.length === 4 && isMapped(ip)) ip = ip.subarray(12);
    else return false;
  }
  let bits = c.bits;
  for (let i = 0; bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((ip[i]! & mask) !== (c.bytes[i]! & mask)) return false;
  }
  return true;
}

const isMapped = (b: Uint8Array): boolean =>
  b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;

/** Parses an IPv4 or IPv6 address (zone ids dropped) into bytes; undefined when it is not one. */
export function parseIp(s: string): Uint8Array | undefined {
  if (s.includes(':')) return parseV6(s);
  return parseV4(s);
}

function parseV4(s: string): Uint8Array | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    out[i] = Number(p);
  }
  return out;
}

function parseV6(input: string): Uint8Array | undefined {
  let s = input;
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  let tail: Uint8Array | undefined;
  const lastColon = s.lastIndexOf(':');
  if (s.indexOf('.', lastColon) > 0) {
    tail = parseV4(s.slice(lastColon + 1));
    if (!tail) return undefined;
    s = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...rest];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const g = groups[i]!;
    if (!/^[0-9a-f]{1,4}$/i.test(g)) return undefined;
    const n = Number.parseInt(g, 16);
    out[i * 2] = n >> 8;
    out[i * 2 + 1] = n & 0xff;
  }
  if (tail) out.set(tail, 12);
  return out;
}

/** Strips the IPv4-mapped prefix (`::ffff:1.2.3.4` → `1.2.3.4`); other strings are returned unchanged. */
export function normalizeIp(ip: string): string {
  return ip.length > 7 && ip.charCodeAt(0) === 58 && /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(ip) ? ip.slice(7) : ip;
}

const kPeer = Symbol('@org/adapter-kit.peer');

/**
 * The peer address of a Node socket, read once per connection and kept on the socket under a symbol: Node's
 * `remoteAddress` getter goes through `_getpeername()` on every read (about 900 instructions a request in a Fastify
 * server, callgrind), and a keep-alive connection carries many requests from the same peer.
 */
export function peerAddress(
  socket: { readonly remoteAddress?: string | undefined } | null | undefined,
): string | undefined {
  if (socket === null || socket === undefined) return undefined;
  const s = socket as unknown as Record<symbol, string | undefined>;
  let a = s[kPeer];
  if (a === undefined) {
    a = socket.remoteAddress;
    if (a !== undefined) s[kPeer] = a;
  }
  return a;
}

/**
 * The client address: starting at the socket peer, walk `X-Forwarded-For` from right to left while the current hop is
 * trusted. Unparseable forwarded entries stop the walk (they are never returned as the client).
 */
export function clientIp(
  remote: string | undefined,
  forwardedFor: string | string[] | undefined,
  trust: (addr: string, hop: number) => boolean,
): string {
  let current = normalizeIp(remote ?? '');
  if (forwardedFor === undefined || current === '') return current;
  const xff = (Array.isArray(forwardedFor) ? forwardedFor.join(',') : forwardedFor).split(',');
  for (let hop = 0, i = xff.length - 1; i >= 0; i--, hop++) {
    if (!trust(current, hop)) return current;
    const next = normalizeIp(xff[i]!.trim());
    if (!parseIp(next)) return current;
    current = next;
  }
  return current;
}

/** Rate-limit key of an address: IPv4 as is, IPv6 truncated to its `/prefix` network (one subscriber, one key). */
export function ipKey(ip: string, prefix: number): string {
  if (!ip.includes(':')) return ip;
  const b = parseIp(ip);
  if (!b) return ip;
  if (isMapped(b)) return `${b[12]}.${b[13]}.${b[14]}.${b[15]}`;
  let out = '';
  for (let i = 0; i < 8; i++) {
    const bitsLeft = prefix - i * 16;
    const mask = bitsLeft >= 16 ? 0xffff : bitsLeft <= 0 ? 0 : (0xffff << (16 - bitsLeft)) & 0xffff;
    out += `${i ? ':' : ''}${(((b[i * 2]! << 8) | b[i * 2 + 1]!) & mask).toString(16)}`;
  }
  return `${out}/${prefix}`;
}

/* ------------------------------------------------------------------ RFC 9457 problem details */

/** An RFC 9457 problem details object (application/problem+json). */
export interface ProblemDetails {
  /** A URI reference identifying the problem type; `about:blank` means "see the status code". */
  type: string;
  /** Short summary; for `about:blank` the HTTP reason phrase. */
  title: string;
  /** The HTTP status code. */
  status: number;
  /** Explanation specific to this occurrence; only ever set for errors meant for the client. */
  detail?: string;
  /** The request path. */
  instance?: string;
  /** Extension: the request id, to quote when reporting a problem. */
  requestId?: string;
  [extension: string]: unknown;
}

/** Status, headers and body of a problem response. `expected` is false for errors that should be logged as bugs. */
export interface ProblemResponse {
  status: number;
  headers: Record<string, string>;
  body: ProblemDetails;
  expected: boolean;
}

/** Reason phrases used as `title`. */
export const STATUS_TITLES: Readonly<Record<number, string>> = Object.freeze({
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  411: 'Length Required',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  422: 'Unprocessable Content',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
});

export const PROBLEM_JSON = 'application/problem+json';

/** A problem body for a status, with optional extensions. */
export function problem(status: number, extra?: Record<string, unknown>): ProblemDetails {
  const body: ProblemDetails = { type: 'about:blank', title: STATUS_TITLES[status] ?? 'Error', status };
  if (extra) for (const k of Object.keys(extra)) if (extra[k] !== undefined) body[k] = extra[k];
  return body;
}

const retryAfterHeader = (ms: unknown): Record<string, string> =>
  typeof ms === 'number' && Number.isFinite(ms) && ms >= 0
    ? { 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))) }
    : {};

const TOO_LARGE = new Set(['ERR_BODY_TOO_LARGE', 'FST_ERR_CTP_BODY_TOO_LARGE', 'ERR_PAYLOAD_TOO_LARGE']);
const RATE_LIMITED = new Set([
  'ERR_RATE_LIMITED',
  'ERR_RATE_LIMIT',
  'ERR_RATE_LIMIT_EXCEEDED',
  'ERR_TOO_MANY_REQUESTS',
]);
const UNAVAILABLE = new Set(['ERR_CIRCUIT_OPEN', 'ERR_CIRCUIT_ISOLATED', 'ERR_BULKHEAD_FULL', 'ERR_BULKHEAD_REJECTED']);

/** Maps a thrown value to a problem response. Unexpected errors become a bare 500: no message, no stack. */
export function problemForError(
  err: unknown,
  ctx: { requestId?: string | undefined; instance?: string | undefined },
): ProblemResponse {
  const e = (typeof err === 'object' && err !== null ? err : {}) as Record<string, unknown>;
  const code = typeof e.code === 'string' ? e.code : '';
  const ext = { instance: ctx.instance, requestId: ctx.requestId };
  if (code === 'ERR_REQUEST_TIMEOUT')
    return {
      status: 503,
      headers: {},
      body: problem(503, { ...ext, detail: 'The request took too long.' }),
      expected: true,
    };
  if (UNAVAILABLE.has(code))
    return {
      status: 503,
      headers: retryAfterHeader(e.retryAfterMs),
      body: problem(503, { ...ext, detail: 'A dependency is unavailable; retry later.' }),
      expected: true,
    };
  if (code === 'ERR_CIRCUIT_TIMEOUT' || code === 'ERR_ATTEMPT_TIMEOUT')
    return {
      status: 504,
      headers: {},
      body: problem(504, { ...ext, detail: 'A dependency did not answer in time.' }),
      expected: true,
    };
  if (TOO_LARGE.has(code) || e.type === 'entity.too.large')
    return {
      status: 413,
      headers: {},
      body: problem(413, { ...ext, detail: 'The request body is too large.' }),
      expected: true,
    };
  if (RATE_LIMITED.has(code))
    return {
      status: 429,
      headers: retryAfterHeader(e.retryAfterMs),
      body: problem(429, { ...ext, detail: 'Too many requests; retry later.' }),
      expected: true,
    };
  const raw = typeof e.status === 'number' ? e.status : e.statusCode;
  const status = typeof raw === 'number' && Number.isInteger(raw) && raw >= 400 && raw <= 599 ? raw : 500;
  if (status >= 500) return { status, headers: {}, body: problem(status, ext), expected: status !== 500 };
  // A 4xx carried by the error (http-errors, framework validation) is meant for the client unless `expose` says no.
  const detail = e.expose !== false && typeof e.message === 'string' && e.message !== '' ? e.message : undefined;
  const headers = status === 429 ? retryAfterHeader(e.retryAfterMs) : {};
  return { status, headers, body: problem(status, { ...ext, detail }), expected: true };
}

/* ------------------------------------------------------------------ rate limit headers */

/** The fields of a rate-limit decision the adapters read (what @org/ratelimit's `consume()` resolves to). */
export interface DecisionLike {
  allowed: boolean;
  limit: number;
  remaining: number;
  resetMs: number;
  retryAfterMs: number;
  /** Policy name (RateLimit-Policy). Default `default`. */
  name?: string;
  /** Policy window in ms (RateLimit-Policy `w=`). */
  windowMs?: number;
  /** Every policy's own decision, for groups of policies. */
  policies?: readonly DecisionLike[];
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
  /** `ratelimit-policy: …\r\nratelimit: "name";r=` when both are header-safe, else undefined. */
  head: string | undefined;
}

let lastPolicy: PolicyStrings = { name: '', limit: -1, windowMs: undefined, policy: '', prefix: '', head: undefined };

/** `RateLimit-Policy` value and the `"name";r=` prefix of `RateLimit` for one policy (cached for the last policy). */
function policyStrings(p: DecisionLike): PolicyStrings {
  const name = p.name ?? 'default';
  const c = lastPolicy;
  if (c.name === name && c.limit === p.limit && c.windowMs === p.windowMs) return c;
  const policy = `"${name}";q=${p.limit}${p.windowMs !== undefined ? `;w=${sec(p.windowMs)}` : ''}`;
  const prefix = `"${name}";r=`;
  const next: PolicyStrings = {
    name,
    limit: p.limit,
    windowMs: p.windowMs,
    policy,
    prefix,
    head:
      headLineOk('ratelimit-policy', policy) && headLineOk('ratelimit', prefix)
        ? `ratelimit-policy: ${policy}\r\nratelimit: ${prefix}`
        : undefined,
  };
  lastPolicy = next;
  return next;
}

/**
 * The RateLimit headers of an allowed decision as head lines (`name: value\r\n`, for {@link insertIntoHead}) in the
 * case every default setup uses: format `draft-10`, one policy, a header-safe policy name. The policy line is built
 * once per policy. Undefined otherwise: use {@link rateLimitHeaderPairs}.
 */
export function rateLimitHeadLines(d: DecisionLike, format: RateLimitHeaderFormat): string | undefined {
  if (format !== 'draft-10' || !d.allowed) return undefined;
  const ps = d.policies;
  if (ps !== undefined && ps.length !== 1) return undefined;
  const p = ps === undefined ? d : ps[0]!;
  const head = policyStrings(p).head;
  return head === undefined ? undefined : `${head}${p.remaining};t=${sec(p.resetMs)}\r\n`;
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

/* ------------------------------------------------------------------ header helpers */

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
  if (Array.isArray(h)) return h as Array<[string, string]>;
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

/* ------------------------------------------------------------------ request deadlines */

/**
 * A node of a {@link DeadlineQueue}: the per-request state object itself (no allocation per request). `onDeadline` is
 * called once when the deadline passes before `cancel()`.
 */
export interface DeadlineEntry {
  /** @internal absolute deadline (performance.now() ms); 0 when not queued */
  dlAt: number;
  /** @internal */
  dlPrev: DeadlineEntry | null;
  /** @internal */
  dlNext: DeadlineEntry | null;
  onDeadline(): void;
}

/**
 * Base class of a {@link DeadlineQueue} entry: the intrusive list fields, initialised as the queue expects (`dlAt` 0
 * means "not queued"). Extend it with the request's own state and implement `onDeadline`.
 */
export abstract class DeadlineNode implements DeadlineEntry {
  /** @internal */
  dlAt = 0;
  /** @internal */
  dlPrev: DeadlineEntry | null = null;
  /** @internal */
  dlNext: DeadlineEntry | null = null;
  abstract onDeadline(): void;
}

/**
 * Deadlines of one fixed duration (every request of an adapter has the same timeout), kept in arrival order in an
 * intrusive doubly-linked list with ONE timer for the whole queue: adding and cancelling are O(1) and allocate nothing,
 * where a `setTimeout` per request allocates a Timeout object and touches the timer lists twice. The timer is unref'd
 * and only armed while something is queued.
 */
export class DeadlineQueue {
  readonly ms: number;
  private head: DeadlineEntry | null = null;
  private tail: DeadlineEntry | null = null;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly onTimer = (): void => this.expire();

  constructor(ms: number) {
    this.ms = ms;
  }

  /** Queues `e` to fire `ms` from now. An entry already queued is moved to the end. */
  add(e: DeadlineEntry): void {
    if (e.dlAt !== 0) this.cancel(e);
    e.dlAt = now() + this.ms;
    e.dlPrev = this.tail;
    e.dlNext = null;
    if (this.tail === null) this.head = e;
    else this.tail.dlNext = e;
    this.tail = e;
    if (this.timer === undefined) this.arm(e.dlAt);
  }

  /** Removes `e` if it is queued (its callback will not run). */
  cancel(e: DeadlineEntry): void {
    if (e.dlAt === 0) return;
    const p = e.dlPrev;
    const n = e.dlNext;
    if (p === null) this.head = n;
    else p.dlNext = n;
    if (n === null) this.tail = p;
    else n.dlPrev = p;
    e.dlAt = 0;
    e.dlPrev = null;
    e.dlNext = null;
    // the timer stays armed: when it fires it re-arms for the new head (once per `ms` at most), or stops when empty
  }

  private arm(at: number): void {
    const t = setTimeout(this.onTimer, Math.max(1, Math.ceil(at - now())));
    (t as { unref?: () => void }).unref?.();
    this.timer = t;
  }

  private expire(): void {
    this.timer = undefined;
    const t = now();
    let e = this.head;
    while (e !== null && e.dlAt <= t) {
      this.cancel(e);
      try {
        e.onDeadline();
      } catch (err) {
        // one failing callback must not strand the rest of the queue
        queueMicrotask(() => {
          throw err;
        });
      }
      e = this.head;
    }
    if (e !== null) this.arm(e.dlAt);
  }

  /** @internal for tests: queued entries. */
  get size(): number {
    let n = 0;
    for (let e = this.head; e !== null; e = e.dlNext) n++;
    return n;
  }

  /** @internal for tests: whether the timer is armed. */
  get armed(): boolean {
    return this.timer !== undefined;
  }
}

/* ------------------------------------------------------------------ Node response header store */

/** The parts of Node's OutgoingMessage the direct header writer checks. */
interface NodeOutgoingLike {
  headersSent: boolean;
  setHeader(name: string, value: unknown): unknown;
}

let lastProto: object | null = null;
let lastSetHeader: unknown;
let lastSym: symbol | null = null;

/** The symbol Node keeps an OutgoingMessage's headers under, when `res` is a genuine, unpatched Node response. */
function outHeadersSymbol(res: NodeOutgoingLike): symbol | null {
  const proto = Object.getPrototypeOf(res) as object | null;
  if (proto === lastProto && res.setHeader === lastSetHeader) return lastSym;
  let sym: symbol | null = null;
  if (!Object.hasOwn(res, 'setHeader')) {
    // the prototype that owns setHeader must be Node's OutgoingMessage.prototype (it also owns its header methods)
    let owner: object | null = proto;
    while (owner !== null && !Object.hasOwn(owner, 'setHeader')) owner = Object.getPrototypeOf(owner) as object | null;
    const genuine =
      owner !== null &&
      ['getHeader', 'hasHeader', 'removeHeader', 'getHeaderNames', '_implicitHeader', '_renderHeaders'].every((m) =>
        Object.hasOwn(owner as object, m),
      );
    if (genuine) {
      const s = Object.getOwnPropertySymbols(res).find((x) => x.description === 'kOutHeaders');
      const v = s === undefined ? undefined : (res as unknown as Record<symbol, unknown>)[s];
      if (s !== undefined && (v === null || typeof v === 'object')) sym = s;
    }
  }
  lastProto = proto;
  lastSetHeader = res.setHeader;
  lastSym = sym;
  return sym;
}

/**
 * Node's own header store of `res` (lower-case name → `[name, value]`), for writing headers that were validated when the
 * policy was built without `setHeader`'s per-call validation and lower-casing. Undefined when `res` is not a genuine
 * Node response (Bun, Deno, a patched `setHeader`, a test double) or its head is already sent: use `setHeader` then.
 */
export function nodeHeaderStore(res: NodeOutgoingLike): Record<string, [string, unknown]> | undefined {
  if (res.headersSent) return undefined;
  const sym = outHeadersSymbol(res);
  if (sym === null) return undefined;
  const r = res as unknown as Record<symbol, Record<string, [string, unknown]> | null>;
  let h = r[sym];
  if (h === null || h === undefined) {
    h = Object.create(null) as Record<string, [string, unknown]>;
    r[sym] = h;
  }
  return h;
}

/* ------------------------------------------------------------------ header lines rendered once */

/** A character Node refuses in a header value. */
const BAD_HEADER_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
/** 1 for the characters of an HTTP token (RFC 9110 `tchar`, what Node's setHeader accepts in a name), by char code. */
const TOKEN_CHAR = /* @__PURE__ */ (() => {
  const t = new Uint8Array(128);
  for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    t[c.charCodeAt(0)] = 1;
  return t;
})();
/** Names Node's HTTP/1 writer acts on while it renders a head (framing, keep-alive): those always go through Node. */
const NODE_FRAMING = new Set([
  'connection',
  'content-length',
  'transfer-encoding',
  'date',
  'expect',
  'trailer',
  'keep-alive',
]);

/**
 * Whether `name: value` may be written into a head Node has rendered, as it is: a valid name and value (the checks
 * Node's `setHeader` makes), and not a name Node acts on while rendering.
 */
export function headLineOk(name: string, value: string): boolean {
  // the name (a constant string) by a table rather than Node's RegExp, and lower-cased only when it has upper case:
  // this runs for every dynamic line of every response
  const n = name.length;
  if (n === 0) return false;
  let upper = false;
  for (let i = 0; i < n; i++) {
    const c = name.charCodeAt(i);
    if (c > 127 || TOKEN_CHAR[c] === 0) return false;
    if (c <= 90 && c >= 65) upper = true;
  }
  // a value is any of HTAB, visible ASCII and obs-text (0x80-0xff): no CR, LF, NUL or other control, no char > 0xff.
  // A RegExp here, not a char loop: values are often concatenated (cons) strings, which a RegExp flattens once and a
  // charCodeAt loop reads slowly (measured: the loop cost more than the RegExp).
  return !BAD_HEADER_VALUE.test(value) && !NODE_FRAMING.has(upper ? name.toLowerCase() : name);
}

/**
 * A fixed list of headers rendered once as head lines (`name: value\r\n`, names lower-cased), for
 * {@link insertIntoHead}. Pairs that cannot be written that way (see {@link headLineOk}) are kept in `rest`, to be
 * set through the runtime as usual.
 */
export class HeadLines {
  /** One `name: value\r\n` line per rendered pair. */
  readonly lines: readonly string[];
  /** All lines, joined. */
  readonly text: string;
  /** The rendered pairs (lower-case names), for runtimes without a rendered head. */
  readonly pairs: ReadonlyArray<readonly [string, string]>;
  /** Pairs left to the runtime (lower-case names). */
  readonly rest: ReadonlyArray<readonly [string, string]>;
  /** `pairs` then `rest`: every header of the list, for runtimes that set them one by one. */
  readonly all: ReadonlyArray<readonly [string, string]>;
  /** Lower-case name → true for every header of the list, for one-lookup "is this one of ours" checks. */
  readonly has: Readonly<Record<string, true>>;

  constructor(list: ReadonlyArray<readonly [string, string]>) {
    const lines: string[] = [];
    const pairs: Array<readonly [string, string]> = [];
    const rest: Array<readonly [string, string]> = [];
    const has: Record<string, true> = Object.create(null) as Record<string, true>;
    for (const [n, v] of list) {
      const name = n.toLowerCase();
      if (!headLineOk(name, v) || has[name] === true) rest.push([name, v]);
      else {
        lines.push(`${name}: ${v}\r\n`);
        pairs.push([name, v]);
      }
      has[name] = true;
    }
    this.lines = lines;
    this.text = lines.join('');
    this.pairs = pairs;
    this.rest = rest;
    this.all = [...pairs, ...rest];
    this.has = has;
  }

  /** The lines whose names neither `a` nor `b` (header records keyed by lower-case name) holds. */
  without(
    a: Readonly<Record<string, unknown>> | null | undefined,
    b?: Readonly<Record<string, unknown>> | null,
  ): string {
    let out = '';
    const pairs = this.pairs;
    for (let i = 0; i < pairs.length; i++) {
      const n = pairs[i]![0];
      if (a?.[n] === undefined && b?.[n] === undefined) out += this.lines[i]!;
    }
    return out;
  }

  /** Whether `a` or `b` (keyed by lower-case name) holds one of these names. */
  clashes(
    a: Readonly<Record<string, unknown>> | null | undefined,
    b?: Readonly<Record<string, unknown>> | null,
  ): boolean {
    return this.holds(a) || this.holds(b);
  }

  private holds(taken: Readonly<Record<string, unknown>> | null | undefined): boolean {
    if (taken === null || taken === undefined) return false;
    const has = this.has;
    for (const k in taken) if (has[k] === true && taken[k] !== undefined) return true;
    return false;
  }
}

/** Node's header store of `res` when it has one (not created when absent), keyed by lower-case name. */
export function existingHeaderStore(res: NodeOutgoingLike): Record<string, [string, unknown]> | null {
  const sym = outHeadersSymbol(res);
  if (sym === null) return null;
  return (res as unknown as Record<symbol, Record<string, [string, unknown]> | null>)[sym] ?? null;
}

let lastHeadProto: object | null = null;
let lastHeadWrite: unknown;
let lastHeadOk = false;

/**
 * Whether `res` is a genuine Node HTTP/1 server response (not Bun's, Deno's or HTTP/2's compatibility object, not a
 * test double such as light-my-request's) and `writeHead` is Node's own `ServerResponse.prototype.writeHead`: then
 * calling it renders the head into a string that {@link insertIntoHead} can add to before it is sent, and nobody looks
 * at the headers between the two.
 */
export function rendersHead(res: NodeOutgoingLike, writeHead: unknown): boolean {
  // Node keeps the rendered head in `_header`: null until writeHead renders it
  if ((res as { _header?: unknown })._header !== null) return false;
  const proto = Object.getPrototypeOf(res) as object | null;
  if (proto === lastHeadProto && writeHead === lastHeadWrite) return lastHeadOk && outHeadersSymbol(res) !== null;
  // Node's ServerResponse.prototype is the one that owns assignSocket/detachSocket/writeContinue
  let owner: object | null = proto;
  while (owner !== null && !Object.hasOwn(owner, 'assignSocket')) owner = Object.getPrototypeOf(owner) as object | null;
  const ok =
    owner !== null &&
    Object.hasOwn(owner, 'detachSocket') &&
    Object.hasOwn(owner, 'writeContinue') &&
    (owner as { writeHead?: unknown }).writeHead === writeHead;
  lastHeadProto = proto;
  lastHeadWrite = writeHead;
  lastHeadOk = ok;
  return ok && outHeadersSymbol(res) !== null;
}

/** What Node's `_storeHeader` looks like: renders the head from the status line and the header record. */
type StoreHeader = (this: object, firstLine: string, headers: unknown) => unknown;
/** Node's own `_storeHeader` (OutgoingMessage.prototype's), the lines to render and the response they are for. */
let nodeStoreHeader: StoreHeader | undefined;
let pendingLines = '';
let pendingFor: object | null = null;

/**
 * `_storeHeader` of a response that {@link writeHeadWithLines} handles: the pending lines go right after the status
 * line of the head Node renders (Node builds the head by appending to that line, so nothing is copied or re-scanned).
 */
function storeHeaderWithLines(this: object, firstLine: string, headers: unknown): unknown {
  if (pendingFor === this) {
    firstLine += pendingLines;
    pendingFor = null;
    pendingLines = '';
  }
  return nodeStoreHeader!.call(this, firstLine, headers);
}

/** `_storeHeader` of Node's OutgoingMessage.prototype: the prototype in the chain that owns it with setHeader/getHeader. */
function outgoingStoreHeader(res: object): StoreHeader | undefined {
  let p = Object.getPrototypeOf(res) as object | null;
  while (p !== null && !Object.hasOwn(p, '_storeHeader')) p = Object.getPrototypeOf(p) as object | null;
  if (p === null || !Object.hasOwn(p, 'setHeader') || !Object.hasOwn(p, 'getHeader')) return undefined;
  const f = (p as { _storeHeader?: unknown })._storeHeader;
  return typeof f === 'function' ? (f as StoreHeader) : undefined;
}

/**
 * Calls `writeHead` (Node's own: check with {@link rendersHead} first) so that the head it renders also holds `text`,
 * CRLF-terminated header lines that must be valid already (built by {@link HeadLines} or checked with
 * {@link headLineOk}: Node does not look at them). The lines are rendered after the status line, in the same pass as
 * the route's headers: unlike {@link insertIntoHead}, the rendered head is never searched or split again (that split
 * made V8 copy the whole head into one flat string first: about 1,900 instructions a response, measured with
 * callgrind). Falls back to {@link insertIntoHead} when the response's `_storeHeader` is not Node's.
 */
export function writeHeadWithLines(
  res: object,
  writeHead: (...a: unknown[]) => unknown,
  text: string,
  a: unknown,
  b?: unknown,
  c?: unknown,
): unknown {
  if (text === '') return writeHead.call(res, a, b, c);
  const r = res as { _storeHeader?: unknown };
  const own = r._storeHeader;
  if (own !== storeHeaderWithLines) {
    nodeStoreHeader ??= outgoingStoreHeader(res);
    if (own === undefined || own !== nodeStoreHeader) {
      const out = writeHead.call(res, a, b, c);
      insertIntoHead(res, text);
      return out;
    }
    // an own property set once per response, to the one shared function
    r._storeHeader = storeHeaderWithLines;
  }
  pendingLines = text;
  pendingFor = res;
  try {
    return writeHead.call(res, a, b, c);
  } finally {
    // writeHead threw before rendering (an invalid header of the route's): nothing is left for another response
    pendingFor = null;
    pendingLines = '';
  }
}

/**
 * Adds CRLF-terminated header lines to the head Node rendered in `writeHead` and has not sent yet (the head is sent
 * with the first body bytes). The lines must be valid (built by {@link HeadLines} or checked with {@link headLineOk}):
 * Node does not look at them again. Returns false, and changes nothing, when there is no such head.
 */
export function insertIntoHead(res: object, text: string): boolean {
  const r = res as { _header?: unknown; _headerSent?: unknown };
  const h = r._header;
  if (typeof h !== 'string' || r._headerSent !== false || !h.endsWith('\r\n\r\n')) return false;
  r._header = `${h.slice(0, -2)}${text}\r\n`;
  return true;
}
