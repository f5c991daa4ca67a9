import {
  bodyTooLarge,
  clientIp,
  compileTrust,
  DeadlineNode,
  DeadlineQueue,
  type DecisionLike,
  existingHeaderStore,
  formatResponseTime,
  HeadLines,
  headerPairs,
  headLineOk,
  ipKey,
  mergeVary,
  nodeHeaderStore,
  now,
  PROBLEM_JSON,
  type ProblemResponse,
  peerAddress,
  problemForError,
  randomId,
  randomNonce,
  rateLimitHeaderPairs,
  rateLimitHeadLines,
  rendersHead,
  requestTimedOut,
  resolveRequestId,
  writeHeadWithLines,
} from '@org/adapter-kit/common';
import {
  type CommonOptions,
  type CorsResultLike,
  decide,
  type LoggerLike,
  logRequest,
  resolveOptions,
} from '@org/adapter-kit/contracts';
import type { Context, ErrorHandler, MiddlewareHandler, NotFoundHandler } from 'hono';
import { bodyLimit as honoBodyLimit } from 'hono/body-limit';

/** Per-request values the middleware sets, read with `c.get('requestId')`, `c.get('cspNonce')`, ... */
export interface HardeningVariables {
  /** The accepted incoming X-Request-Id or a generated UUIDv4. */
  requestId: string;
  /** CSP nonce of this response when the headers policy uses nonces. */
  cspNonce: string;
  /** The client address after trusted-proxy handling ('' when the runtime does not expose it). */
  clientIp: string;
  /** True once the timeout answered 503. */
  timedOut: boolean;
}

/** Hono `Env` of the middleware: `new Hono<HardeningEnv>()` types `c.get('cspNonce')`. */
export interface HardeningEnv {
  Variables: HardeningVariables;
}

/** Options of {@link hardening}. Every concern is optional: leave an instance out and that concern is off. */
export interface HonoHardeningOptions extends CommonOptions<Context> {
  /**
   * The socket peer address. Default: `c.env.incoming.socket.remoteAddress` (@hono/node-server), then
   * `c.env.requestIP(c.req.raw)` (Bun), then `c.env.remoteAddr.hostname` (Deno).
   */
  remoteAddress?: (c: Context) => string | undefined;
}

/** The request's timeout state, also its node in the timeout queue. */
class TimeoutState extends DeadlineNode {
  ac: AbortController | undefined = undefined;
  timedOut = false;
  /** Settles the race between the handler and the deadline. */
  settle: ((timedOut: boolean) => void) | undefined = undefined;
  constructor(readonly ms: number) {
    super();
  }
  onDeadline(): void {
    this.settle?.(true);
  }
}
const TIMEOUT_KEY = '@org/hono.timeout';

/**
 * The signal aborted when this request times out (created on first call, so requests that never ask pay nothing).
 * Undefined when the middleware runs without a timeout. Pass it to your I/O: `fetch(url, { signal: timeoutSignal(c) })`.
 */
export function timeoutSignal(c: Context): AbortSignal | undefined {
  const st = c.get(TIMEOUT_KEY) as TimeoutState | undefined;
  if (st === undefined) return undefined;
  if (st.ac === undefined) {
    st.ac = new AbortController();
    if (st.timedOut) st.ac.abort(requestTimedOut(st.ms));
  }
  return st.ac.signal;
}

/** Options of {@link problemHandler}. */
export interface ProblemHandlerOptions {
  /** Unexpected errors (those answered with a bare 500) are logged here with their stack. */
  logger?: LoggerLike;
}

/** A problem response (application/problem+json); `close` adds Connection: close. */
export function problemResponse(p: ProblemResponse, close = false, head = false): Response {
  const h = new Headers(p.headers);
  h.set('content-type', PROBLEM_JSON);
  h.set('cache-control', 'no-store');
  if (close) h.set('connection', 'close');
  return new Response(head ? null : JSON.stringify(p.body), { status: p.status, headers: h });
}

const defaultRemote = (c: Context): string | undefined => {
  const env = c.env as Record<string, any> | undefined;
  if (env === undefined || env === null) return undefined;
  const fromNode = peerAddress(env.incoming?.socket);
  if (typeof fromNode === 'string') return fromNode;
  if (typeof env.requestIP === 'function') {
    const a = env.requestIP(c.req.raw)?.address;
    if (typeof a === 'string') return a;
  }
  const deno = env.remoteAddr?.hostname;
  return typeof deno === 'string' ? deno : undefined;
};

type RawHeaders = Record<string, string | string[] | undefined>;

/**
 * The Node IncomingMessage's plain header object on @hono/node-server, else undefined. Reading it directly avoids
 * materialising a Fetch `Request`, which costs more than everything else this middleware does.
 */
const rawHeadersOf = (c: Context): RawHeaders | undefined => {
  const raw = (c.env as { incoming?: { headers?: RawHeaders } } | undefined)?.incoming?.headers;
  return raw !== undefined && raw !== null && typeof raw === 'object' ? raw : undefined;
};

/** One request header, from the raw Node headers when present (no closure per request). */
function readHeader(c: Context, raw: RawHeaders | undefined, name: string): string | undefined {
  if (raw === undefined) return c.req.header(name);
  const v = raw[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

const ctxOf = (c: Context) => ({
  requestId: (c.get('requestId') as string | undefined) || undefined,
  instance: c.req.path,
});

/**
 * RFC 9457 error handler for `app.onError()`. Maps open circuits (`ERR_CIRCUIT_OPEN`) to 503 + Retry-After,
 * rate-limit errors to 429, oversize bodies to 413, timeouts to 503, HTTPException and other 4xx errors carrying a
 * status to that status, and everything else to a bare 500 whose message and stack stay in the log.
 */
export function problemHandler(options: ProblemHandlerOptions = {}): ErrorHandler {
  const logger = options.logger;
  if (logger !== undefined && (typeof logger !== 'object' || logger === null || typeof logger.error !== 'function'))
    throw new TypeError('hono: problemHandler logger must have an error() method');
  return (err, c) => {
    // an HTTPException thrown with a ready response (`new HTTPException(401, { res })`) is answered as given
    const e = err as { res?: unknown; getResponse?: () => Response };
    if (e.res instanceof Response && typeof e.getResponse === 'function') return e.getResponse();
    const p = problemForError(err, ctxOf(c));
    if (!p.expected)
      logger?.error({ err, requestId: c.get('requestId'), method: c.req.method, path: c.req.path }, 'unhandled error');
    return problemResponse(p, p.status === 413, c.req.method === 'HEAD');
  };
}

/** 404 as application/problem+json, for `app.notFound()`. */
export function notFoundHandler(): NotFoundHandler {
  return (c) =>
    problemResponse(problemForError({ status: 404, message: '' }, ctxOf(c)), false, c.req.method === 'HEAD');
}

/** The parts of Node's ServerResponse used on @hono/node-server. */
interface NodeResponseLike {
  headersSent: boolean;
  writeHead(...args: unknown[]): unknown;
  setHeader(name: string, value: string): unknown;
  getHeader(name: string): unknown;
  removeHeader(name: string): unknown;
}

const LOWER = new Map<string, string>();
/** Lower-cased header name, cached (header names come from a small fixed set). */
const lower = (name: string): string => {
  let l = LOWER.get(name);
  if (l === undefined) {
    l = name.toLowerCase();
    if (LOWER.size < 1000) LOWER.set(name, l);
  }
  return l;
};

/** What the shared writeHead adds to a @hono/node-server response (an own symbol field on the Node response). */
interface HeadState {
  /** The security headers, rendered once (per request with CSP nonces). */
  secure: HeadLines;
  pairs: ReadonlyArray<readonly [string, string]>;
  /**
   * Header lines made safe where they were made, so not checked again: the request id (ours or an accepted incoming
   * one) and the RateLimit lines of an allowed decision in the default format (see rateLimitHeadLines).
   */
  lines: string;
  /** The request id of `lines` and its lower-case header name, or undefined. */
  id: string | undefined;
  idName: string;
  /** The decision whose RateLimit headers are in `lines` (draft-10), or undefined. */
  rate: DecisionLike | undefined;
  vary: readonly string[] | string;
  remove: readonly string[];
  t0: number | undefined;
  writeHead: (...a: unknown[]) => unknown;
}
const kHead = Symbol('@org/hono.head');

/**
 * The writeHead shared by every patched @hono/node-server response (no closure per request). Security headers the
 * route set itself win; CORS Vary tokens are merged into the route's Vary; the removal list is applied last.
 */
function patchedWriteHead(
  this: NodeResponseLike & { [kHead]: HeadState },
  a: unknown,
  b?: unknown,
  c?: unknown,
): unknown {
  const st = this[kHead];
  if (!this.headersSent) {
    const useB = typeof b !== 'string';
    const given = (useB ? b : c) as Record<string, unknown> | undefined | null;
    if (Array.isArray(given)) return st.writeHead.call(this, a, b, c); // raw header arrays: leave them alone
    if (rendersHead(this, st.writeHead)) return writeHeadRendered(this, st, a, b, useB, given);
    const store = nodeHeaderStore(this);
    if (store !== undefined) return writeHeadViaStore(this, st, store, a, b, useB, given);
    // Node takes a flat [name, value, ...] list: built with appends, it spares the megamorphic keyed stores of a
    // growing object, and the record passed in (maybe frozen or shared between responses) is never touched.
    const out: unknown[] = [];
    const pairs = st.pairs;
    const remove = st.remove;
    const route = routeRecord(st, given);
    const givenVary = route.vary;
    const pass = route.pass;
    if (pass) for (const k in pass) out.push(k, pass[k]);
    const all = st.secure.all;
    for (let i = 0; i < all.length; i++) if (route.clash?.[all[i]![0]] === undefined) out.push(all[i]![0], all[i]![1]);
    for (let i = 0; i < pairs.length; i++) out.push(lower(pairs[i]![0]), pairs[i]![1]);
    const own = linePairs(st);
    for (let i = 0; i < own.length; i++) out.push(own[i]![0], own[i]![1]);
    if (st.t0 !== undefined) out.push('x-response-time', formatResponseTime(now() - st.t0));
    const vary = varyOf(st, givenVary, this.getHeader('vary'));
    if (vary !== undefined) out.push('vary', vary);
    for (let i = 0; i < remove.length; i++) this.removeHeader(remove[i]!);
    return useB ? st.writeHead.call(this, a, out) : st.writeHead.call(this, a, b, out);
  }
  return st.writeHead.call(this, a, b, c);
}

/**
 * writeHead on a genuine Node response: our headers go straight into Node's header store (built and validated once,
 * or made by us), so Node validates only the few headers Hono passes; a route's own header still wins over a
 * security header because Node applies the passed record after the store. The record is copied only when it names a
 * header we own (CORS, RateLimit, request id, X-Response-Time, Vary, a removed header) or holds an undefined value.
 */
function writeHeadViaStore(
  res: NodeResponseLike,
  st: HeadState,
  store: Record<string, [string, unknown]>,
  a: unknown,
  b: unknown,
  useB: boolean,
  given: Record<string, unknown> | undefined | null,
): unknown {
  const pairs = st.pairs;
  const remove = st.remove;
  const timed = st.t0 !== undefined;
  const route = routeRecord(st, given);
  const pass = route.pass;
  const givenVary = route.vary;
  // The policy's entries are shared between responses: safe, because Node renders the head right below and nothing
  // can append to (and so mutate) an entry before that.
  const all = st.secure.all;
  for (let i = 0; i < all.length; i++) store[all[i]![0]] = all[i] as [string, string];
  for (let i = 0; i < pairs.length; i++) store[lower(pairs[i]![0])] = pairs[i] as [string, string];
  const own = linePairs(st);
  for (let i = 0; i < own.length; i++) store[own[i]![0]] = own[i] as [string, string];
  if (timed) store['x-response-time'] = ['x-response-time', formatResponseTime(now() - st.t0!)];
  const vary = varyOf(st, givenVary, store.vary?.[1]);
  if (vary !== undefined) store.vary = ['vary', vary];
  for (let i = 0; i < remove.length; i++) delete store[remove[i]!];
  return useB ? st.writeHead.call(res, a, pass) : st.writeHead.call(res, a, b, pass);
}

/**
 * writeHead on a genuine Node HTTP/1 response calling Node's own writeHead: Node renders the head from what Hono
 * passes, and our lines are added to it after (the security lines were rendered and validated once), so Node
 * validates and renders only the route's headers. A route's own security header wins; a header we own (CORS,
 * RateLimit, request id, X-Response-Time, a removed one) is dropped from the route's record, which is copied then and
 * never modified.
 */
function writeHeadRendered(
  res: NodeResponseLike,
  st: HeadState,
  a: unknown,
  b: unknown,
  useB: boolean,
  given: Record<string, unknown> | undefined | null,
): unknown {
  const store = existingHeaderStore(res);
  const sec = st.secure;
  const route = routeRecord(st, given);
  const pass = route.pass;
  const givenVary = route.vary;
  const clash = route.clash;
  let text = clash === undefined && !sec.clashes(store) ? sec.text : sec.without(clash, store);
  for (let i = 0; i < sec.rest.length; i++) {
    const [k, v] = sec.rest[i]!;
    if (clash?.[k] === undefined && store?.[k] === undefined) res.setHeader(k, v);
  }
  const pairs = st.pairs;
  for (let i = 0; i < pairs.length; i++) {
    const k = lower(pairs[i]![0]);
    const v = pairs[i]![1];
    if (store !== null && store[k] !== undefined) res.removeHeader(k);
    if (headLineOk(k, v)) text += `${k}: ${v}\r\n`;
    else res.setHeader(k, v);
  }
  if (st.lines !== '') {
    // ours replace values the route set on the response
    if (store !== null) {
      if (st.id !== undefined && store[st.idName] !== undefined) res.removeHeader(st.idName);
      if (st.rate !== undefined && store.ratelimit !== undefined) res.removeHeader('ratelimit');
      if (st.rate !== undefined && store['ratelimit-policy'] !== undefined) res.removeHeader('ratelimit-policy');
    }
    text += st.lines;
  }
  if (st.t0 !== undefined) {
    if (store !== null && store['x-response-time'] !== undefined) res.removeHeader('x-response-time');
    text += `x-response-time: ${formatResponseTime(now() - st.t0)}\r\n`;
  }
  const storeVary = store?.vary;
  const vary = varyOf(st, givenVary, storeVary?.[1]);
  if (vary !== undefined) {
    // a Vary that is only our CORS tokens is rendered with ours; one that holds the route's goes through Node
    if (givenVary === undefined && storeVary === undefined && headLineOk('vary', String(vary)))
      text += `vary: ${vary}\r\n`;
    else res.setHeader('vary', String(vary));
  }
  const remove = st.remove;
  for (let i = 0; i < remove.length; i++)
    if (store !== null && store[remove[i]!] !== undefined) res.removeHeader(remove[i]!);
  return useB
    ? writeHeadWithLines(res, st.writeHead, text, a, pass)
    : writeHeadWithLines(res, st.writeHead, text, a, b, pass);
}

/** The route's record as writeHead passes it on, with what it held that concerns us. */
interface RouteRecord {
  /** The record itself, or a copy without the headers we own (and undefined values) when it had any. */
  pass: Record<string, unknown> | undefined | null;
  /** The route's Vary value (never passed on: the merged value is set by us). */
  vary: unknown;
  /** Lower-case names of security headers the route set itself (they win over the policy's). */
  clash: Record<string, true> | undefined;
}

/** Splits the record Hono passes to writeHead; the record itself is never modified (it may be frozen or shared). */
function routeRecord(st: HeadState, given: Record<string, unknown> | undefined | null): RouteRecord {
  const out: RouteRecord = { pass: given, vary: undefined, clash: undefined };
  if (!given) return out;
  const has = st.secure.has;
  let copy: Record<string, unknown> | undefined;
  for (const k in given) {
    const v = given[k];
    const lk = lower(k);
    const ours = lk === 'vary' || owned(st, lk);
    if (lk === 'vary') out.vary = v;
    else if (v !== undefined && has[lk] === true) (out.clash ??= {})[lk] = true;
    if (copy === undefined && (ours || v === undefined)) {
      copy = {};
      for (const k2 in given) {
        if (k2 === k) break;
        copy[k2] = given[k2];
      }
    }
    if (copy !== undefined && !ours && v !== undefined) copy[k] = v;
  }
  if (copy !== undefined) out.pass = copy;
  return out;
}

/**
 * True when the middleware owns the header `name` (lower-case) on this response, so the route's value is dropped:
 * X-Response-Time (when timed), the CORS / RateLimit / request-id pairs, and the headers the policy removes.
 */
function owned(st: HeadState, name: string): boolean {
  return (
    (st.t0 !== undefined && name === 'x-response-time') ||
    listed(st.pairs, name) ||
    (st.id !== undefined && name === st.idName) ||
    (st.rate !== undefined && (name === 'ratelimit' || name === 'ratelimit-policy')) ||
    st.remove.includes(name)
  );
}

/** The headers of `lines` as pairs (lower-case names), for the paths that set headers one by one. */
function linePairs(st: HeadState): ReadonlyArray<readonly [string, string]> {
  if (st.lines === '') return NO_PAIRS;
  const out: Array<readonly [string, string]> = st.id === undefined ? [] : [[st.idName, st.id]];
  if (st.rate !== undefined) out.push(...rateLimitHeaderPairs(st.rate, 'draft-10'));
  return out;
}
const NO_PAIRS: ReadonlyArray<readonly [string, string]> = [];

/**
 * The Vary value to send: the route's Vary (else `current`, the one already set) with the CORS tokens
 * merged in, or the route's own when CORS adds none; undefined when there is none.
 */
function varyOf(st: HeadState, givenVary: unknown, current: unknown): unknown {
  if (st.vary.length === 0) return givenVary;
  const cur = givenVary ?? current;
  return mergeVary(cur === undefined ? undefined : String(cur), st.vary);
}

/** True when `name` (lower-case) is one of the pairs' names. */
function listed(pairs: ReadonlyArray<readonly [string, string]>, name: string): boolean {
  for (let i = 0; i < pairs.length; i++) if (lower(pairs[i]![0]) === name) return true;
  return false;
}

function setAll(c: Context, pairs: ReadonlyArray<readonly [string, string]>): void {
  let h = c.res.headers;
  try {
    for (let i = 0; i < pairs.length; i++) h.set(pairs[i]![0], pairs[i]![1]);
  } catch {
    // immutable headers (a Response from fetch()): copy the response once, then set
    c.res = new Response(c.res.body, c.res);
    h = c.res.headers;
    for (let i = 0; i < pairs.length; i++) h.set(pairs[i]![0], pairs[i]![1]);
  }
}

/**
 * All-in-one Hono middleware: request id, X-Response-Time, access log, security headers (+ CSP nonce as
 * `c.get('cspNonce')`), CORS (preflights answered here, Vary merged), health routes, rate limiting (429 + Retry-After +
 * RateLimit headers), body size limit enforced while the body streams in (Hono's `bodyLimit`, 413), and a request
 * timeout (503). Use it first: `app.use(hardening({...}))`, and set `app.onError(problemHandler())`.
 *
 * @throws {TypeError|RangeError} on invalid options, naming the option.
 */
export function hardening(options: HonoHardeningOptions = {}): MiddlewareHandler<HardeningEnv> {
  const o = resolveOptions(options, 'hono');
  const trust = compileTrust(options.trustProxy, 'hono: trustProxy');
  if (options.remoteAddress !== undefined && typeof options.remoteAddress !== 'function')
    throw new TypeError('hono: remoteAddress must be a function');
  const remoteOf = options.remoteAddress ?? defaultRemote;
  const { headers, useNonce, cors, rate, hasRate, logger, health, healthPaths, idHeader, generateId } = o;
  const context = o.context;
  const { responseTime, bodyLimit, timeoutMs } = o;
  const staticHeaders = headers?.entries ?? [];
  const staticLines = new HeadLines(staticHeaders);
  const removeHeaders = headers?.remove ?? [];
  const removeLower = removeHeaders.map((n) => n.toLowerCase());
  const idLower = idHeader === undefined ? '' : idHeader.toLowerCase();
  const limitBody =
    bodyLimit === undefined
      ? undefined
      : honoBodyLimit({
          maxSize: bodyLimit,
          onError: (c) => problemResponse(problemForError(bodyTooLarge(bodyLimit), ctxOf(c)), true),
        });
  const timeouts = timeoutMs === undefined ? undefined : new DeadlineQueue(timeoutMs);

  return async function orgHardening(c, next) {
    const t0 = now();
    const raw = rawHeadersOf(c as unknown as Context);
    let id: string | undefined;
    if (idHeader !== undefined) {
      id = resolveRequestId(readHeader(c as unknown as Context, raw, idHeader), generateId!);
      c.set('requestId', id);
    }
    const ip = clientIp(
      remoteOf(c as unknown as Context),
      readHeader(c as unknown as Context, raw, 'x-forwarded-for'),
      trust,
    );
    c.set('clientIp', ip);
    let list = staticHeaders;
    if (useNonce) {
      const nonce = randomNonce();
      c.set('cspNonce', nonce);
      list = headers!.forRequest!({ nonce });
    }
    const after: Array<readonly [string, string]> = [];
    let varyAdd: readonly string[] | string = '';
    let res: Response | undefined;
    /** A decision whose headers are made in our default format once the write path is known (lines or pairs). */
    let rateDecision: DecisionLike | undefined;

    if (cors !== undefined) {
      let r = cors.handle({
        method: c.req.method,
        origin: readHeader(c as unknown as Context, raw, 'origin'),
        accessControlRequestMethod: readHeader(c as unknown as Context, raw, 'access-control-request-method'),
        accessControlRequestHeaders: readHeader(c as unknown as Context, raw, 'access-control-request-headers'),
      });
      if (typeof (r as Promise<CorsResultLike>).then === 'function') r = await r;
      r = r as CorsResultLike;
      varyAdd = r.vary;
      for (let i = 0; i < r.headers.length; i++) after.push(r.headers[i]!);
      if (r.preflight) res = new Response(null, { status: r.status });
    }

    if (res === undefined && health !== undefined && healthPaths.has(c.req.path)) {
      const probe = health.route(c.req.method, c.req.url, (name) =>
        readHeader(c as unknown as Context, raw, name.toLowerCase()),
      );
      if (probe !== null) {
        const r = await probe;
        res = new Response(c.req.method === 'HEAD' ? null : r.body, { status: r.httpStatus, headers: r.headers });
      }
    }

    if (res === undefined && hasRate && !(rate.skip?.(c as unknown as Context) ?? false)) {
      const key = rate.key ? rate.key(c as unknown as Context, ip) : ipKey(ip, rate.ipv6Prefix);
      const cost = rate.cost?.(c as unknown as Context);
      // a memory store decides synchronously: no promise, no microtask
      let d = decide(rate.limiter, key, cost === undefined ? undefined : { cost });
      if (typeof (d as Promise<DecisionLike>).then === 'function') d = await d;
      d = d as DecisionLike;
      if (rate.formatHeaders === undefined) rateDecision = d;
      else {
        const pairs = headerPairs(rate.formatHeaders(d));
        for (let i = 0; i < pairs.length; i++) after.push(pairs[i]!);
      }
      if (!d.allowed) {
        res = problemResponse(
          problemForError({ code: 'ERR_RATE_LIMITED', retryAfterMs: d.retryAfterMs }, ctxOf(c as unknown as Context)),
          false,
          c.req.method === 'HEAD',
        );
      }
    }

    if (res !== undefined) c.res = res;
    else {
      // Hono's bodyLimit answers by returning a Response (413) instead of calling next()
      // only a request that announces a body goes through the limiter (it needs the Fetch Request's stream)
      const inner =
        limitBody === undefined ||
        (readHeader(c as unknown as Context, raw, 'content-length') === undefined &&
          readHeader(c as unknown as Context, raw, 'transfer-encoding') === undefined)
          ? next
          : async () => {
              const out = await limitBody(c as unknown as Context, next);
              if (out instanceof Response) c.res = out;
            };
      const run = context === undefined || id === undefined ? inner : () => context({ requestId: id }, inner);
      if (timeoutMs === undefined) await run();
      else {
        const st = new TimeoutState(timeoutMs);
        c.set(TIMEOUT_KEY as 'timedOut', st as never);
        // one promise settled by whichever comes first: the handler or the request's deadline in the shared queue
        let first: boolean;
        try {
          first = await new Promise<boolean>((resolve, reject) => {
            st.settle = resolve;
            timeouts!.add(st);
            run().then(() => resolve(false), reject);
          });
        } finally {
          timeouts!.cancel(st);
        }
        if (first) {
          st.timedOut = true;
          st.ac?.abort(requestTimedOut(timeoutMs));
          c.set('timedOut', true);
          c.res = undefined as unknown as Response;
          c.res = problemResponse(problemForError(requestTimedOut(timeoutMs), ctxOf(c as unknown as Context)));
        }
      }
    }

    const outgoing = (c.env as { outgoing?: NodeResponseLike } | undefined)?.outgoing;
    if (
      outgoing !== undefined &&
      outgoing !== null &&
      typeof outgoing.writeHead === 'function' &&
      typeof outgoing.setHeader === 'function' &&
      !outgoing.headersSent
    ) {
      // @hono/node-server: add the headers when it writes the head, into the plain object it passes. Touching
      // c.res.headers would turn its lightweight Response into a Fetch Headers object, the costliest step by far.
      // the default case (draft-10, one policy, allowed) as ready lines, the policy line cached; else as pairs
      const rateText = rateDecision === undefined ? undefined : rateLimitHeadLines(rateDecision, rate.headers);
      if (rateDecision !== undefined && rateText === undefined)
        after.push(...rateLimitHeaderPairs(rateDecision, rate.headers));
      // an id is header-safe when it is ours or an accepted incoming one (REQUEST_ID_PATTERN); a custom generator's
      // ids are checked with the other pairs
      const idLine = id !== undefined && generateId === randomId;
      if (id !== undefined && !idLine) after.push([idHeader!, id]);
      const head: HeadState = {
        secure: list === staticHeaders ? staticLines : new HeadLines(list),
        pairs: after,
        lines: (idLine ? `${idLower}: ${id}\r\n` : '') + (rateText ?? ''),
        id: idLine ? id : undefined,
        idName: idLower,
        rate: rateText === undefined ? undefined : rateDecision,
        vary: varyAdd,
        remove: removeLower,
        t0: responseTime ? t0 : undefined,
        writeHead: outgoing.writeHead as (...a: unknown[]) => unknown,
      };
      (outgoing as NodeResponseLike & { [kHead]: HeadState })[kHead] = head;
      outgoing.writeHead = patchedWriteHead as NodeResponseLike['writeHead'];
    } else {
      if (rateDecision !== undefined) after.push(...rateLimitHeaderPairs(rateDecision, rate.headers));
      if (id !== undefined) after.push([idHeader!, id]);
      for (let i = 0; i < list.length; i++) after.push(list[i]!);
      if (responseTime) after.push(['x-response-time', formatResponseTime(now() - t0)]);
      setAll(c as unknown as Context, after);
      const h = c.res.headers;
      if (varyAdd.length > 0) h.set('vary', mergeVary(h.get('vary') ?? undefined, varyAdd));
      for (let i = 0; i < removeHeaders.length; i++) h.delete(removeHeaders[i]!);
    }

    if (logger !== undefined) {
      logRequest(logger, id, c.req.method, c.req.path, c.res.status, t0, ip, false);
    }
  };
}
