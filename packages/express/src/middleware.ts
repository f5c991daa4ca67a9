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
  insertIntoHead,
  ipKey,
  mergeVary,
  nodeHeaderStore,
  now,
  PROBLEM_JSON,
  type ProblemResponse,
  peerAddress,
  problemForError,
  randomNonce,
  rateLimitHeaderPairs,
  rendersHead,
  requestTimedOut,
  resolveRequestId,
} from '@org/adapter-kit/common';
import {
  type CommonOptions,
  type CorsResultLike,
  decide,
  type LoggerLike,
  logRequest,
  resolveOptions,
} from '@org/adapter-kit/contracts';
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';

/** Options of {@link hardening}. Every concern is optional: leave an instance out and that concern is off. */
export interface ExpressHardeningOptions extends CommonOptions<Request> {}

/** Options of {@link errorHandler}. */
export interface ErrorHandlerOptions {
  /** Unexpected errors (those answered with a bare 500) are logged here with their stack. */
  logger?: LoggerLike;
}

/** The middleware returned by {@link hardening}, carrying the matching error handler. */
export interface HardeningMiddleware extends RequestHandler {
  /** RFC 9457 error handler using the same logger; mount it after your routes. */
  readonly errorHandler: ErrorRequestHandler;
  /** 404 as application/problem+json; mount it after your routes, before `errorHandler`. */
  readonly notFound: RequestHandler;
}

/**
 * Values the middleware puts on `res.locals` (Express's usual place for per-request data).
 * Read them as `res.locals.requestId`, `res.locals.cspNonce`, ...
 */
export interface HardeningLocals {
  /** The accepted incoming X-Request-Id or a generated UUIDv4. */
  requestId?: string;
  /** The CSP nonce of this response when the headers policy uses nonces: `<script nonce="${res.locals.cspNonce}">`. */
  cspNonce?: string;
  /** The client address after trusted-proxy handling. */
  clientIp?: string;
  /** Aborted when the request times out or the client goes away: pass it to your I/O (created on first read). */
  signal?: AbortSignal;
  /** True once the timeout answered 503; anything the handler still does is discarded. */
  timedOut?: boolean;
}

/** Writes a problem response (application/problem+json); `close` adds Connection: close. */
export function sendProblem(res: Response, p: ProblemResponse, close = false): void {
  const body = JSON.stringify(p.body);
  res.statusCode = p.status;
  res.setHeader('content-type', PROBLEM_JSON);
  res.setHeader('cache-control', 'no-store');
  for (const k of Object.keys(p.headers)) res.setHeader(k, p.headers[k]!);
  if (close) res.setHeader('connection', 'close');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(res.req?.method === 'HEAD' ? undefined : body);
}

const pathOf = (req: Request): string => {
  const u = req.originalUrl ?? req.url ?? '/';
  const q = u.indexOf('?');
  return q < 0 ? u : u.slice(0, q);
};

/**
 * RFC 9457 error handler. Maps open circuits (`ERR_CIRCUIT_OPEN`) to 503 + Retry-After, rate-limit errors to 429,
 * oversize bodies (ours, body-parser's `entity.too.large`) to 413, timeouts to 503, 4xx errors carrying a status to
 * that status, and everything else to a bare 500 whose message and stack stay in the log.
 */
export function errorHandler(options: ErrorHandlerOptions = {}): ErrorRequestHandler {
  const logger = options.logger;
  if (logger !== undefined && (typeof logger !== 'object' || logger === null || typeof logger.error !== 'function'))
    throw new TypeError('express: errorHandler logger must have an error() method');
  return function orgErrorHandler(err: unknown, req: Request, res: Response, next: NextFunction): void {
    const locals = res.locals as HardeningLocals;
    if (res.headersSent) {
      if (locals.timedOut) return; // the handler finished after our 503: nothing to say
      next(err);
      return;
    }
    const p = problemForError(err, { requestId: locals.requestId, instance: pathOf(req) });
    if (!p.expected)
      logger?.error({ err, requestId: locals.requestId, method: req.method, path: pathOf(req) }, 'unhandled error');
    sendProblem(res, p, p.status === 413);
  };
}

/** 404 Not Found as application/problem+json. */
export function notFound(): RequestHandler {
  return function orgNotFound(req: Request, res: Response): void {
    const locals = res.locals as HardeningLocals;
    sendProblem(
      res,
      problemForError({ status: 404, message: '' }, { requestId: locals.requestId, instance: pathOf(req) }),
    );
  };
}

/**
 * All-in-one Express middleware: request id, X-Response-Time, access log, security headers (+ CSP nonce on
 * `res.locals.cspNonce`), CORS (preflights answered here, Vary merged), health routes, rate limiting (429 +
 * Retry-After + RateLimit headers), body size limit enforced while the body streams in (413), and a request timeout
 * (503). Mount it first; mount `.notFound` and `.errorHandler` after your routes.
 *
 * @example
 * const h = hardening({ headers: securityHeaders({ preset: 'api' }), cors: cors({ origin: 'https://app.example' }),
 *   rateLimit: rateLimiter({ limit: 100, windowMs: 60_000 }), logger: createLogger(), health });
 * app.use(h); app.get('/', handler); app.use(h.notFound); app.use(h.errorHandler);
 * @throws {TypeError|RangeError} on invalid options, naming the option.
 */
export function hardening(options: ExpressHardeningOptions = {}): HardeningMiddleware {
  const o = resolveOptions(options, 'express');
  const trust = compileTrust(options.trustProxy, 'express: trustProxy');
  const { headers, useNonce, cors, rate, hasRate, logger, health, healthPaths, idHeader, generateId, context } = o;
  const { responseTime, bodyLimit, timeoutMs } = o;
  const staticHeaders = headers?.entries ?? [];
  const removeHeaders = headers?.remove ?? [];
  const onErr = errorHandler(logger ? { logger } : {});

  const staticLines = new HeadLines(staticHeaders);
  const mw: Shared = {
    responseTime,
    logger,
    timeouts: timeoutMs === undefined ? undefined : new DeadlineQueue(timeoutMs),
    onTimeout(st: ReqState): void {
      const { req, res } = st;
      if (res.headersSent || res.writableEnded || res.destroyed) return;
      const err = requestTimedOut(timeoutMs!);
      (res.locals as HardeningLocals).timedOut = true;
      st.ac?.abort(err);
      onErr(err, req, res, st.next);
    },
  };
  const needHead = headers !== undefined || responseTime || cors !== undefined || timeoutMs !== undefined;

  const handler = function orgHardening(req: Request, res: Response, next: NextFunction): void {
    const t0 = now();
    const locals = res.locals as HardeningLocals;
    // each read of a property of Express's req/res is a megamorphic lookup (their prototypes are swapped per request):
    // the header record is read once
    const reqHeaders = req.headers;
    let id: string | undefined;
    // headers written straight into Node's header store when res is a genuine Node response (validated names/values)
    const store = nodeHeaderStore(res);
    if (idHeader !== undefined) {
      id = resolveRequestId(reqHeaders[idHeader], generateId!);
      locals.requestId = id;
      if (store !== undefined) store[idHeader] = [idHeader, id];
      else res.setHeader(idHeader, id);
    }
    const ip = clientIp(peerAddress(req.socket), reqHeaders['x-forwarded-for'], trust);
    locals.clientIp = ip;
    // One state object per request: the timeout queue's node, found by writeHead and the 'close' listener. Not a
    // field on `res`: Express swaps the response's prototype on every request, and a property added to such an object
    // (an own `writeHead` too) costs ~16,000 instructions (callgrind). So writeHead is patched once on the app's
    // response prototype, and finds this state in a WeakMap; elsewhere (a response that is not an Express app's, or a
    // second instance on the same request) a per-response closure does it.
    const st = new ReqState(req, res, next, t0, id, ip, mw);
    if (needHead) {
      if (!viaPrototype(req, res, st)) {
        st.writeHead = res.writeHead as (...a: unknown[]) => unknown;
        res.writeHead = function writeHead(a: unknown, b?: unknown, c?: unknown) {
          return patchedWriteHead(st, a, b, c);
        } as Response['writeHead'];
      }
    }
    if (logger !== undefined || timeoutMs !== undefined) res.on('close', () => onResClose(st));

    // security headers: added when the head is written (see the writeHead patch); a header the route set wins
    if (headers !== undefined) {
      if (useNonce) {
        const nonce = randomNonce();
        locals.cspNonce = nonce;
        st.secure = new HeadLines(headers.forRequest!({ nonce }));
      } else st.secure = staticLines;
      for (let i = 0; i < removeHeaders.length; i++) res.removeHeader(removeHeaders[i]!);
    }

    // body size limit: count a chunked body from the first byte the socket delivers (installed before any await)
    if (bodyLimit !== undefined) {
      const cl = reqHeaders['content-length'];
      if (cl === undefined && reqHeaders['transfer-encoding'] !== undefined)
        limitStream(req, res, bodyLimit, onErr, next);
    }

    // CORS (preflights are answered here)
    if (cors !== undefined) {
      const h = reqHeaders;
      const r = cors.handle({
        method: req.method,
        origin: h.origin,
        accessControlRequestMethod: h['access-control-request-method'] as string | undefined,
        accessControlRequestHeaders: h['access-control-request-headers'] as string | undefined,
      });
      if (typeof (r as Promise<CorsResultLike>).then === 'function') {
        (r as Promise<CorsResultLike>).then((v) => {
          if (v.vary.length > 0) st.vary = v.vary;
          if (applyCors(res, v)) afterCors();
        }, next);
        return;
      }
      if ((r as CorsResultLike).vary.length > 0) st.vary = (r as CorsResultLike).vary;
      if (!applyCors(res, r as CorsResultLike)) return;
    }
    afterCors();

    function afterCors(): void {
      // health routes
      if (health !== undefined && healthPaths.has(req.path)) {
        const probe = health.route(req.method, req.url, (n) => req.get(n));
        if (probe !== null) {
          probe.then((r) => {
            res.statusCode = r.httpStatus;
            for (const k of Object.keys(r.headers)) res.setHeader(k, r.headers[k]!);
            res.setHeader('content-length', Buffer.byteLength(r.body));
            res.end(req.method === 'HEAD' ? undefined : r.body);
          }, next);
          return;
        }
      }

      // a declared oversize body is refused before a byte of it is read
      if (bodyLimit !== undefined) {
        const cl = reqHeaders['content-length'];
        if (cl !== undefined && Number(cl) > bodyLimit) {
          onErr(bodyTooLarge(bodyLimit), req, res, next);
          return;
        }
      }

      // request timeout
      if (timeoutMs !== undefined) {
        (locals as { [kLocalsState]?: ReqState })[kLocalsState] = st;
        Object.defineProperty(locals, 'signal', SIGNAL);
        mw.timeouts!.add(st);
      }

      // rate limiting
      if (hasRate && !(rate.skip?.(req) ?? false)) {
        const key = rate.key ? rate.key(req, ip) : ipKey(ip, rate.ipv6Prefix);
        const cost = rate.cost?.(req);
        let p: ReturnType<typeof decide>;
        try {
          p = decide(rate.limiter, key, cost === undefined ? undefined : { cost });
        } catch (e) {
          next(e);
          return;
        }
        const onDecision = (d: DecisionLike): void => {
          if (res.headersSent) return;
          if (rate.formatHeaders) {
            const pairs = headerPairs(rate.formatHeaders(d));
            for (let i = 0; i < pairs.length; i++) res.setHeader(pairs[i]![0], pairs[i]![1]);
          } else {
            // our own lower-case names and numeric values: safe to write without setHeader's validation
            const pairs = rateLimitHeaderPairs(d, rate.headers);
            // the store found above (Node keeps one object per response); each lookup on Express's res is costly
            const h = store ?? nodeHeaderStore(res);
            for (let i = 0; i < pairs.length; i++) {
              if (h !== undefined) h[pairs[i]![0]] = pairs[i]!;
              else res.setHeader(pairs[i]![0], pairs[i]![1]);
            }
          }
          if (d.allowed) proceed();
          else onErr({ code: 'ERR_RATE_LIMITED', retryAfterMs: d.retryAfterMs }, req, res, next);
        };
        // a memory store decides synchronously: no promise, no microtask
        if (typeof (p as Promise<DecisionLike>).then === 'function')
          (p as Promise<DecisionLike>).then(onDecision, next);
        else onDecision(p as DecisionLike);
        return;
      }
      proceed();
    }

    function proceed(): void {
      if (context !== undefined && id !== undefined) context({ requestId: id }, next);
      else next();
    }
  } as HardeningMiddleware;
  Object.defineProperty(handler, 'errorHandler', { value: onErr, enumerable: true });
  Object.defineProperty(handler, 'notFound', { value: notFound(), enumerable: true });
  return handler;
}

/** Applies a CORS decision; answers a preflight and returns false, else returns true (continue). */
function applyCors(res: Response, r: CorsResultLike): boolean {
  // Vary is merged when the head is written (see the writeHead patch), after the route had its say
  const hs = r.headers;
  for (let i = 0; i < hs.length; i++) res.setHeader(hs[i]![0], hs[i]![1]);
  if (!r.preflight) return true;
  res.statusCode = r.status;
  res.setHeader('content-length', '0');
  res.end();
  return false;
}

/** What the shared writeHead and 'close' listener need from the middleware instance. */
interface Shared {
  responseTime: boolean;
  logger: LoggerLike | undefined;
  timeouts: DeadlineQueue | undefined;
  onTimeout(st: ReqState): void;
}

/** Per-request state, also the node of the timeout queue. */
class ReqState extends DeadlineNode {
  vary: readonly string[] | undefined = undefined;
  /** Security headers of this response, rendered once (per request with CSP nonces). */
  secure: HeadLines | undefined = undefined;
  ac: AbortController | undefined = undefined;
  writeHead: ((...a: unknown[]) => unknown) | undefined = undefined;
  constructor(
    readonly req: Request,
    readonly res: Response,
    readonly next: NextFunction,
    readonly t0: number,
    readonly id: string | undefined,
    readonly ip: string,
    readonly mw: Shared,
  ) {
    super();
  }
  onDeadline(): void {
    this.mw.onTimeout(this);
  }
}

/** States of requests whose writeHead is the app prototype's patch (see viaPrototype); taken when the head is written. */
const headStates = new WeakMap<object, ReqState>();
const kProtoPatched = Symbol('@org/express.writeHead');

/**
 * Routes this request's head through a writeHead patched once on its Express app's response prototype
 * (`req.app.response`, never Node's `ServerResponse.prototype`): the state goes into a WeakMap keyed by the response.
 * Returns false (the caller patches the response itself) when the response's prototype is not its app's, or when
 * another instance already holds this response.
 */
function viaPrototype(req: Request, res: Response, st: ReqState): boolean {
  const proto = Object.getPrototypeOf(res) as Record<PropertyKey, unknown> | null;
  if (proto === null) return false;
  if (proto[kProtoPatched] !== proto) {
    if (proto !== (req.app as { response?: unknown } | undefined)?.response) return false;
    const orig = proto.writeHead as (...a: unknown[]) => unknown;
    if (typeof orig !== 'function') return false;
    Object.defineProperty(proto, 'writeHead', {
      configurable: true,
      enumerable: false,
      writable: true,
      value: function writeHead(this: Response, a: unknown, b?: unknown, c?: unknown): unknown {
        const own = headStates.get(this);
        if (own === undefined) return orig.call(this, a, b, c);
        // taken once: an app mounted in another app (its prototype chained to the parent's) may run two patches
        headStates.delete(this);
        own.writeHead = orig;
        return patchedWriteHead(own, a, b, c);
      },
    });
    // the marker is the prototype itself: an app's response prototype inherits its parent app's marker, which then
    // does not match
    Object.defineProperty(proto, kProtoPatched, { configurable: true, enumerable: false, value: proto });
  }
  if (headStates.has(res)) return false;
  headStates.set(res, st);
  return true;
}

/**
 * The writeHead shared by every patched response: security headers, X-Response-Time, the CORS Vary merge, and the
 * timeout stop. On a Node HTTP/1 response (when nothing else wrapped writeHead before us) our lines are added to the
 * head Node has just rendered, so Node validates and renders only the route's headers; elsewhere they go through
 * setHeader first.
 */
function patchedWriteHead(st: ReqState, a: unknown, b?: unknown, c?: unknown): unknown {
  const res = st.res;
  if (st.dlAt !== 0) st.mw.timeouts!.cancel(st);
  if (res.headersSent) return st.writeHead!.call(res, a, b, c);
  const given = typeof b === 'object' && b !== null ? b : typeof c === 'object' && c !== null ? c : undefined;
  if (given === undefined && rendersHead(res, st.writeHead)) {
    const store = existingHeaderStore(res);
    let text = '';
    const sec = st.secure;
    if (sec !== undefined) {
      text = sec.clashes(store) ? sec.without(store) : sec.text;
      for (let i = 0; i < sec.rest.length; i++)
        if (store?.[sec.rest[i]![0]] === undefined) res.setHeader(sec.rest[i]![0], sec.rest[i]![1]);
    }
    if (st.mw.responseTime) {
      if (store?.['x-response-time'] !== undefined) res.removeHeader('x-response-time');
      text += `x-response-time: ${formatResponseTime(now() - st.t0)}\r\n`;
    }
    if (st.vary !== undefined) {
      const cur = store?.vary?.[1] as string | undefined;
      const v = mergeVary(cur, st.vary);
      if (cur === undefined && headLineOk('vary', v)) text += `vary: ${v}\r\n`;
      else res.setHeader('vary', v);
    }
    // not writeHeadWithLines: it adds a property to the response, and a property added to Express's response (its
    // prototype swapped per request) costs far more than the search and split of insertIntoHead (callgrind: ~18,000
    // instructions against ~2,000)
    const out = st.writeHead!.call(res, a, b, c);
    if (text !== '') insertIntoHead(res, text);
    return out;
  }
  // a writeHead(status, headers) call, or not a plain Node response: through setHeader, before Node renders the head
  const all = st.secure?.all ?? [];
  for (let i = 0; i < all.length; i++) if (!res.hasHeader(all[i]![0])) res.setHeader(all[i]![0], all[i]![1]);
  if (st.mw.responseTime) {
    const v = formatResponseTime(now() - st.t0);
    const store = nodeHeaderStore(res);
    if (store !== undefined) store['x-response-time'] = ['x-response-time', v];
    else res.setHeader('x-response-time', v);
  }
  if (st.vary !== undefined) res.setHeader('vary', mergeVary(res.getHeader('vary') as string | undefined, st.vary));
  return st.writeHead!.call(res, a, b, c);
}

/** The shared 'close' listener: one structured log line per request, timeout stop, abort of the request's signal. */
function onResClose(st: ReqState): void {
  const res = st.res;
  if (st.dlAt !== 0) st.mw.timeouts!.cancel(st);
  if (st.ac !== undefined && !res.writableFinished && !st.ac.signal.aborted)
    st.ac.abort(new Error('client closed the connection'));
  const logger = st.mw.logger;
  if (logger === undefined) return;
  logRequest(logger, st.id, st.req.method, pathOf(st.req), res.statusCode, st.t0, st.ip, !res.writableFinished);
}

/**
 * `res.locals.signal`: created on first read; aborted on timeout (503) and when the client goes away. One shared
 * accessor; the request's state is found through `res` (Express gives every response its own locals object).
 */
const kLocalsState = Symbol('@org/express.locals');
const SIGNAL: PropertyDescriptor = {
  configurable: true,
  enumerable: false,
  get(this: HardeningLocals & { [kLocalsState]?: ReqState }): AbortSignal | undefined {
    const st = this[kLocalsState];
    if (st === undefined) return undefined;
    if (st.ac === undefined) {
      st.ac = new AbortController();
      if (this.timedOut) st.ac.abort(requestTimedOut(st.mw.timeouts!.ms));
      else if (st.res.destroyed && !st.res.writableFinished) st.ac.abort(new Error('client closed the connection'));
    }
    return st.ac.signal;
  },
};

/**
 * Counts the bytes of a body without Content-Length as the socket delivers them (before anyone reads them), and
 * answers 413 + Connection: close as soon as the limit is crossed; the rest of the body is never buffered.
 */
function limitStream(req: Request, res: Response, limit: number, onErr: ErrorRequestHandler, next: NextFunction): void {
  let seen = 0;
  const push = req.push;
  req.push = function (this: Request, chunk: unknown, encoding?: BufferEncoding): boolean {
    if (chunk !== null && chunk !== undefined) {
      seen += (chunk as Uint8Array).length;
      if (seen > limit) {
        req.push = () => false;
        req.pause();
        if (!res.headersSent) onErr(bodyTooLarge(limit), req, res, next);
        else res.destroy();
        return false;
      }
    }
    return push.call(this, chunk, encoding);
  };
}
