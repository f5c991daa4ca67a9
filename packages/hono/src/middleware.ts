import { isHttp2 } from '@org/adapter-kit/body-limit';
import { clientIp, normalizeIp, peerAddress } from '@org/adapter-kit/client-ip';
import { now } from '@org/adapter-kit/clock';
import type { CorsResultLike, DecisionLike, LoggerLike } from '@org/adapter-kit/contracts';
import { DeadlineNode, DeadlineQueue } from '@org/adapter-kit/deadlines';
import { AdapterError, bodyTooLarge, invalidOption, requestTimedOut } from '@org/adapter-kit/errors';
import { writePlanToFetch, writeRouteFixups } from '@org/adapter-kit/fetch-writer';
import { checkCrossOrigin, checkIp, isSafeMethod, logRefusal } from '@org/adapter-kit/guards';
import type { HeaderPlan } from '@org/adapter-kit/header-plan';
import { resolveRequestId } from '@org/adapter-kit/ids';
import { compileIpFilter, type IpFilterOptions } from '@org/adapter-kit/ip-filter';
import { type HeadListener, type HookedResponse, type LingerSocket, onHead } from '@org/adapter-kit/node-head-hook';
import {
  type ClosableStream,
  mayCloseConnection,
  type NodeHeaderTarget,
  writePlanForRequest,
} from '@org/adapter-kit/node-writer';
import { type CommonOptions, resolveOptions } from '@org/adapter-kit/options';
import { PROBLEM_JSON, type ProblemResponse, problemForError } from '@org/adapter-kit/problems';
import { decide, rateKey } from '@org/adapter-kit/rate-limit';
import { logRequest } from '@org/adapter-kit/request-log';
import type { Context, ErrorHandler, MiddlewareHandler, NotFoundHandler } from 'hono';
import { bodyLimit as honoBodyLimit } from 'hono/body-limit';
import { metered } from './metrics.js';

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
   * `c.env.requestIP(c.req.raw)` (Bun), then `c.env.remoteAddr.hostname` (Deno). Workers give none: pass one (on
   * Cloudflare, `(c) => c.req.header('cf-connecting-ip')`), or rate limiting by address answers 500.
   */
  remoteAddress?: (c: Context) => string | undefined;
}

/** The request's timeout state: its node in the shared queue (Node) or its own timer (elsewhere). */
class TimeoutState extends DeadlineNode {
  ac: AbortController | undefined = undefined;
  timedOut = false;
  /** Settles the race between the handler and the deadline. */
  settle: ((timedOut: boolean) => void) | undefined = undefined;
  constructor(
    readonly ms: number,
    readonly status: 503 | 504,
  ) {
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
    if (st.timedOut) st.ac.abort(requestTimedOut(st.ms, st.status));
  }
  return st.ac.signal;
}

/** Options of {@link problemHandler}. */
export interface ProblemHandlerOptions {
  /** Unexpected errors (those answered with a bare 500) are logged here with their stack. */
  logger?: LoggerLike;
}

/** A problem response (application/problem+json); `close` adds Connection: close; `head` leaves the body out. */
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

/** The Node request and response on @hono/node-server (its documented `c.env` bindings), else undefined. */
interface NodeBindings {
  incoming: {
    headers: RawHeaders & { 'content-length'?: string; 'transfer-encoding'?: string };
    complete: boolean;
    httpVersionMajor?: number;
    socket?: LingerSocket;
    stream?: ClosableStream & { endAfterHeaders?: boolean };
  };
  outgoing: NodeHeaderTarget & HookedResponse;
}
/** Whether a problem response may carry `Connection: close`: not over HTTP/2 on @hono/node-server (see node-writer). */
const mayClose = (c: Context): boolean => mayCloseConnection(nodeBindings(c)?.incoming);

const nodeBindings = (c: Context): NodeBindings | undefined => {
  const env = c.env as Partial<NodeBindings> | undefined;
  const o = env?.outgoing;
  const i = env?.incoming;
  return o !== undefined && o !== null && typeof o.setHeader === 'function' && typeof i?.headers === 'object'
    ? (env as NodeBindings)
    : undefined;
};

/**
 * Writes the plan when node-server writes the head (the guarded head hook): the route's Response headers, which
 * node-server passes to `writeHead`, are on the Node response by then, so the plan is written once, against the
 * final headers, and the route's Response is never turned into a Fetch `Headers` object to merge Vary into it.
 */
class NodeHead implements HeadListener<NodeBindings['outgoing']> {
  constructor(
    readonly plan: HeaderPlan,
    readonly incoming: NodeBindings['incoming'],
  ) {}
  onHead(res: NodeBindings['outgoing']): void {
    writePlanForRequest(res, this.plan, this.incoming);
  }
}

/** One request header, from Node's header object on @hono/node-server (no Fetch Request built for it). */
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
 * Whether `err` is what parsing this request's body as JSON throws: `c.req.json()` keeps the body's text in
 * `c.req.bodyCache`, and the same text fails the same way. A malformed body is the client's fault (400); any other
 * SyntaxError is the server's (500).
 */
async function isMalformedJson(err: unknown, c: Context): Promise<boolean> {
  if (!(err instanceof SyntaxError)) return false;
  const text = (c.req.bodyCache as Record<string, unknown>).text;
  if (text === undefined) return false;
  try {
    JSON.parse(String(await text));
    return false;
  } catch (e) {
    return e instanceof SyntaxError && e.message === err.message;
  }
}

/**
 * RFC 9457 error handler for `app.onError()`. Maps open circuits (`ERR_CIRCUIT_OPEN`) to 503 + Retry-After,
 * rate-limit errors to 429, oversize bodies to 413, a malformed JSON body read with `c.req.json()` to 400, timeouts to
 * 503, HTTPException and other 4xx errors carrying a status to that status, and everything else to a bare 500 whose
 * message and stack stay in the log.
 */
export function problemHandler(options: ProblemHandlerOptions = {}): ErrorHandler {
  const logger = options.logger;
  if (logger !== undefined && (typeof logger !== 'object' || logger === null || typeof logger.error !== 'function'))
    throw invalidOption(TypeError, 'hono: problemHandler logger must have an error() method');
  const answer = (err: unknown, c: Context): Response => {
    const p = problemForError(err, ctxOf(c));
    if (!p.expected)
      logger?.error({ err, requestId: c.get('requestId'), method: c.req.method, path: c.req.path }, 'unhandled error');
    return problemResponse(p, p.status === 413 && mayClose(c), c.req.method === 'HEAD');
  };
  return (err, c) => {
    // an HTTPException thrown with a ready response (`new HTTPException(401, { res })`) is answered as given
    const e = err as { res?: unknown; getResponse?: () => Response };
    if (e.res instanceof Response && typeof e.getResponse === 'function') return e.getResponse();
    if (!(err instanceof SyntaxError)) return answer(err, c);
    return isMalformedJson(err, c).then((malformed) =>
      answer(malformed ? new AdapterError('ERR_MALFORMED_BODY', 400, 'Malformed JSON in request body') : err, c),
    );
  };
}

/** 404 as application/problem+json, for `app.notFound()`. */
export function notFoundHandler(): NotFoundHandler {
  return (c) =>
    problemResponse(problemForError({ status: 404, message: '' }, ctxOf(c)), false, c.req.method === 'HEAD');
}

/**
 * All-in-one Hono middleware: request id, IP allow / deny lists and the CSRF guard (403, before anything else is
 * decided), X-Response-Time, access log, security headers (+ CSP nonce as
 * `c.get('cspNonce')`), CORS (preflights answered here, Vary merged), health routes, rate limiting (429 + Retry-After +
 * RateLimit headers), body size limit enforced while the body streams in (Hono's `bodyLimit`, 413), and a request
 * timeout (503). Any value a route throws becomes a 500 problem+json. Use it first: `app.use(hardening({...}))`, and
 * set `app.onError(problemHandler())`.
 *
 * @throws {TypeError|RangeError} on invalid options, naming the option.
 */
export function hardening(options: HonoHardeningOptions = {}): MiddlewareHandler<HardeningEnv> {
  const o = resolveOptions(options, 'hono');
  if (options.remoteAddress !== undefined && typeof options.remoteAddress !== 'function')
    throw invalidOption(TypeError, 'hono: remoteAddress must be a function');
  const remoteOf = options.remoteAddress ?? defaultRemote;
  const { policy, cors, rate, logger, health, healthPaths, idHeader, generateId, context, trust } = o;
  const { bodyLimit, timeoutMs, timeoutStatus, ipFilter, csrf } = o;
  const limitBody =
    bodyLimit === undefined
      ? undefined
      : honoBodyLimit({
          maxSize: bodyLimit,
          onError: (c) => problemResponse(problemForError(bodyTooLarge(bodyLimit), ctxOf(c)), mayClose(c)),
        });
  // one timer for every request where timers outlive a request (Node); a timer per request elsewhere (Workers)
  const timeouts = timeoutMs === undefined ? undefined : new DeadlineQueue(timeoutMs);
  let reportedNoAddress = false;

  /** Any thrown value, from our own steps or a route, as a problem response (logged when unexpected). */
  const fail = (err: unknown, c: Context): Response => {
    const p = problemForError(err, ctxOf(c));
    if ((err as { code?: unknown } | null)?.code === 'ERR_NO_CLIENT_ADDRESS') {
      if (!reportedNoAddress) {
        reportedNoAddress = true;
        logger?.error({ code: 'ERR_NO_CLIENT_ADDRESS' }, (err as Error).message);
      }
    } else if (!p.expected)
      logger?.error({ err, requestId: c.get('requestId'), method: c.req.method, path: c.req.path }, 'unhandled error');
    return problemResponse(p, p.status === 413 && mayClose(c), c.req.method === 'HEAD');
  };

  const mw: MiddlewareHandler<HardeningEnv> = async function orgHardening(c, next) {
    const t0 = now();
    const ctx = c as unknown as Context;
    const node = nodeBindings(ctx);
    const raw = node?.incoming.headers;
    const plan = policy.plan(t0);
    // on node-server the plan goes on when the head is written; else (no hook in this process, or another runtime)
    // when the middleware returns, below
    const hooked = node !== undefined && onHead(node.outgoing, new NodeHead(plan, node.incoming));
    let id: string | undefined;
    let ip = '';
    let res: Response | undefined;
    let timedOut = false;
    try {
      if (idHeader !== undefined) {
        id = resolveRequestId(readHeader(ctx, raw, idHeader), generateId!);
        c.set('requestId', id);
        plan.add(idHeader, id);
      }
      ip = clientIp(remoteOf(ctx), readHeader(ctx, raw, 'x-forwarded-for'), trust);
      c.set('clientIp', ip);
      if (plan.nonce !== undefined) c.set('cspNonce', plan.nonce);

      // IP list and CSRF guard: a refused request ends here, before CORS, health and rate limiting
      if (ipFilter !== undefined || csrf !== undefined) {
        const method = c.req.method;
        const refusal =
          (ipFilter !== undefined ? checkIp(ipFilter, ip, 'hono') : undefined) ??
          (csrf !== undefined && !isSafeMethod(method)
            ? checkCrossOrigin(csrf, {
                method,
                header: (n) => readHeader(ctx, raw, n),
                host: readHeader(ctx, raw, 'host') ?? hostOf(c.req.url),
                path: c.req.path,
              })
            : undefined);
        if (refusal !== undefined) {
          logRefusal(logger, refusal, id, method, c.req.path, ip);
          res = fail(refusal, ctx);
        }
      }

      if (res === undefined && cors !== undefined) {
        let r = cors.handle({
          method: c.req.method,
          origin: readHeader(ctx, raw, 'origin'),
          accessControlRequestMethod: readHeader(ctx, raw, 'access-control-request-method'),
          accessControlRequestHeaders: readHeader(ctx, raw, 'access-control-request-headers'),
        });
        if (typeof (r as Promise<CorsResultLike>).then === 'function') r = await r;
        plan.cors(r as CorsResultLike);
        if ((r as CorsResultLike).preflight) res = new Response(null, { status: (r as CorsResultLike).status });
      }

      if (res === undefined && health !== undefined && healthPaths.has(c.req.path)) {
        const probe = health.route(c.req.method, c.req.url, (name) => readHeader(ctx, raw, name.toLowerCase()));
        if (probe !== null) {
          const r = await probe;
          res = new Response(c.req.method === 'HEAD' ? null : r.body, { status: r.httpStatus, headers: r.headers });
        }
      }

      if (res === undefined && rate !== undefined && !(rate.skip?.(ctx) ?? false)) {
        const cost = rate.cost?.(ctx);
        // a memory store decides synchronously: no promise, no microtask
        let d = decide(rate.limiter, rateKey(rate, ctx, ip, 'hono'), cost === undefined ? undefined : { cost });
        if (typeof (d as Promise<DecisionLike>).then === 'function') d = await d;
        plan.addAll(policy.rateHeaders(d as DecisionLike));
        if (!(d as DecisionLike).allowed)
          res = fail({ code: 'ERR_RATE_LIMITED', retryAfterMs: (d as DecisionLike).retryAfterMs }, ctx);
      }
    } catch (e) {
      res = fail(e, ctx);
    }

    if (res !== undefined) c.res = res;
    else {
      // Hono's bodyLimit answers by returning a Response (413) instead of calling next(); only a request that may
      // carry a body goes through it (it needs the Fetch Request's stream)
      const inner =
        limitBody === undefined || !mayHaveBody(ctx, raw, node)
          ? next
          : async () => {
              const out = await limitBody(ctx, next);
              if (out instanceof Response) c.res = out;
            };
      const run = context === undefined || id === undefined ? inner : () => context({ requestId: id }, inner);
      try {
        if (timeoutMs === undefined) await run();
        else timedOut = await race(ctx, run, timeoutMs, timeoutStatus, node !== undefined ? timeouts : undefined);
      } catch (e) {
        // a thrown value that is not an Error: Hono's compose passes it on instead of calling onError
        c.res = undefined as unknown as Response;
        c.res = fail(e, ctx);
      }
      if (timedOut) {
        c.res = undefined as unknown as Response;
        c.res = problemResponse(problemForError(requestTimedOut(timeoutMs!, timeoutStatus), ctxOf(ctx)));
      }
    }

    // c.res is only assigned a new response: Hono's setter copies the old one into it, headers and all
    const route = c.res;
    let out: Response;
    if (hooked) out = route;
    else if (node !== undefined && !node.outgoing.headersSent) {
      // @hono/node-server: the plan goes on the Node response; the route's own headers (in its Response) are written
      // after them and win. Only Vary and the removals need the route's headers.
      writePlanForRequest(node.outgoing, plan, node.incoming);
      out = writeRouteFixups(route, plan);
    } else out = writePlanToFetch(route, plan, unreadBody(ctx, raw) || timedOut);
    if (out !== route) {
      c.res = undefined as unknown as Response;
      c.res = out;
    }

    if (logger !== undefined) logRequest(logger, id, c.req.method, c.req.path, c.res.status, t0, ip, false);
  };
  return o.metrics === undefined ? mw : metered(mw, o.metrics, healthPaths);
}

/** The host of a URL ('' when it does not parse): the Fetch path's Host when the runtime drops the header. */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return '';
  }
}

/** Options of {@link ipFilter}. */
export interface IpFilterSettings {
  /** The refusal's warn line goes here (pass the logger you gave {@link hardening}). */
  logger?: LoggerLike;
}

/**
 * A per-route IP allow / deny list, checked on the client address {@link hardening} found (`c.get('clientIp')`,
 * after `trustProxy`): `app.use('/admin/*', ipFilter({ allow: ['loopback'] }, { logger }))`. A refused address gets
 * 403 problem+json (`ERR_IP_DENIED`) and one warn log line. It runs where you mount it, after `hardening()` (so after
 * its rate limit); the app-wide `ipFilter` option of `hardening()` runs before rate limiting.
 * @throws {TypeError} ERR_INVALID_OPTION on a bad list, naming the entry.
 */
export function ipFilter(options: IpFilterOptions, settings: IpFilterSettings = {}): MiddlewareHandler<HardeningEnv> {
  const filter = compileIpFilter(options ?? ({} as IpFilterOptions), 'hono: ipFilter')!;
  const logger = settings.logger;
  return async function orgIpFilter(c, next) {
    const ctx = c as unknown as Context;
    // without hardening() before it: the runtime's peer address, no proxy trusted
    const ip = (c.get('clientIp') as string | undefined) ?? normalizeIp(defaultRemote(ctx) ?? '');
    let refusal: AdapterError | undefined;
    try {
      refusal = checkIp(filter, ip, 'hono');
    } catch (e) {
      logger?.error({ code: (e as AdapterError).code }, (e as Error).message);
      return problemResponse(problemForError(e, ctxOf(ctx)), false, c.req.method === 'HEAD');
    }
    if (refusal === undefined) {
      await next();
      return;
    }
    logRefusal(logger, refusal, c.get('requestId') || undefined, c.req.method, c.req.path, ip);
    return problemResponse(problemForError(refusal, ctxOf(ctx)), false, c.req.method === 'HEAD');
  };
}

/**
 * Whether the request may carry a body, which Hono's bodyLimit must then count: one announced by Content-Length or
 * Transfer-Encoding (HTTP/1.1 has no other); over HTTP/2 a body needs neither, so on @hono/node-server any HTTP/2
 * request, and on the Fetch path (where the protocol is the runtime's) any request whose Request has a body.
 */
function mayHaveBody(c: Context, raw: RawHeaders | undefined, node: NodeBindings | undefined): boolean {
  if (readHeader(c, raw, 'content-length') !== undefined || readHeader(c, raw, 'transfer-encoding') !== undefined)
    return true;
  if (node !== undefined) return isHttp2(node.incoming);
  return c.req.raw.body !== null;
}

/** Whether the request announced a body that nobody read (the Fetch path's view of an incomplete body). */
function unreadBody(c: Context, raw: RawHeaders | undefined): boolean {
  const len = readHeader(c, raw, 'content-length');
  if ((len === undefined || len === '0') && readHeader(c, raw, 'transfer-encoding') === undefined) return false;
  return !c.req.raw.bodyUsed;
}

/**
 * Runs the rest of the request against its deadline; resolves true when the deadline came first (the handler goes on
 * but its answer is discarded). With a queue (Node) the request is one of its entries; without one (Workers, where a
 * timer set inside one request dies with it) the request sets and clears its own timer.
 */
async function race(
  c: Context,
  run: () => Promise<void>,
  ms: number,
  status: 503 | 504,
  queue: DeadlineQueue | undefined,
): Promise<boolean> {
  const st = new TimeoutState(ms, status);
  c.set(TIMEOUT_KEY as 'timedOut', st as never);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let first: boolean;
  try {
    first = await new Promise<boolean>((resolve, reject) => {
      st.settle = resolve;
      if (queue !== undefined) queue.add(st);
      else timer = setTimeout(() => st.onDeadline(), ms);
      run().then(() => resolve(false), reject);
    });
  } finally {
    if (queue !== undefined) queue.cancel(st);
    else clearTimeout(timer);
  }
  if (first) {
    st.timedOut = true;
    st.ac?.abort(requestTimedOut(ms, status));
    c.set('timedOut', true);
  }
  return first;
}
