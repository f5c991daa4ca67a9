import { declaredTooLarge } from '@org/adapter-kit/body-limit';
import { clientIp, normalizeIp, peerAddress } from '@org/adapter-kit/client-ip';
import { now } from '@org/adapter-kit/clock';
import type { CorsResultLike, DecisionLike, LoggerLike } from '@org/adapter-kit/contracts';
import { DeadlineNode, DeadlineQueue } from '@org/adapter-kit/deadlines';
import { type AdapterError, bodyTooLarge, invalidOption, requestTimedOut } from '@org/adapter-kit/errors';
import { checkCrossOrigin, checkIp, isSafeMethod, logRefusal } from '@org/adapter-kit/guards';
import type { HeaderPlan, PlanPolicy } from '@org/adapter-kit/header-plan';
import { resolveRequestId } from '@org/adapter-kit/ids';
import { compileIpFilter, type IpFilterOptions } from '@org/adapter-kit/ip-filter';
import { watchBody } from '@org/adapter-kit/node-body-limit';
import { discardLateWrites, headHookProblem, onHead } from '@org/adapter-kit/node-head-hook';
import { writePlanForRequest } from '@org/adapter-kit/node-writer';
import { type CommonOptions, resolveOptions } from '@org/adapter-kit/options';
import { PROBLEM_JSON, type ProblemResponse, problemForError } from '@org/adapter-kit/problems';
import { decide, rateKey } from '@org/adapter-kit/rate-limit';
import { logRequest } from '@org/adapter-kit/request-log';
import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import { metered } from './metrics.js';

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
  /**
   * A per-route IP allow / deny list, checked on the same client address (`res.locals.clientIp`, after `trustProxy`):
   * `app.post('/admin/x', h.ipFilter({ allow: ['loopback'] }), handler)`. A refused address gets 403 problem+json
   * (`ERR_IP_DENIED`) and one warn log line. It runs where you mount it, after this middleware (so after its rate
   * limit); the app-wide `ipFilter` option runs before rate limiting.
   * @throws {TypeError} ERR_INVALID_OPTION on a bad list, naming the entry.
   */
  ipFilter(options: IpFilterOptions): RequestHandler;
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
  /** True once the timeout answered 503; anything the handler still writes is discarded. */
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
 * oversize bodies (ours, body-parser's `entity.too.large`) to 413, malformed bodies (body-parser) to 400, timeouts to
 * 503, 4xx errors carrying a status to that status, and everything else (any thrown value) to a bare 500 whose message
 * and stack stay in the log.
 */
export function errorHandler(options: ErrorHandlerOptions = {}): ErrorRequestHandler {
  const logger = options.logger;
  if (logger !== undefined && (typeof logger !== 'object' || logger === null || typeof logger.error !== 'function'))
    throw invalidOption(TypeError, 'express: errorHandler logger must have an error() method');
  return function orgErrorHandler(err: unknown, req: Request, res: Response, next: NextFunction): void {
    const locals = res.locals as HardeningLocals;
    if (res.headersSent) {
      if (locals.timedOut) return; // the handler failed after our 503: nothing to say
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

/** What the per-request state needs from the middleware instance. */
interface Shared {
  policy: PlanPolicy;
  logger: LoggerLike | undefined;
  timeouts: DeadlineQueue | undefined;
  timeoutStatus: 503 | 504;
  onError: ErrorRequestHandler;
}

/** Per-request state, also the node of the timeout queue. */
class ReqState extends DeadlineNode {
  ac: AbortController | undefined = undefined;
  timedOut = false;
  id: string | undefined = undefined;
  ip = '';
  constructor(
    readonly req: Request,
    readonly res: Response,
    readonly next: NextFunction,
    readonly t0: number,
    readonly plan: HeaderPlan,
    readonly sh: Shared,
  ) {
    super();
  }

  /** The head is about to be written (the head hook): the plan goes on it (header-plan.ts), the deadline stops. */
  onHead(): void {
    if (this.dlAt !== 0) this.sh.timeouts!.cancel(this);
    writePlanForRequest(this.res, this.plan, this.req);
  }

  /** No answer in time: 503, the signal aborts, and whatever the handler still writes is discarded. */
  onDeadline(): void {
    const res = this.res;
    if (res.headersSent || res.writableEnded || res.destroyed) return;
    const err = requestTimedOut(this.sh.timeouts!.ms, this.sh.timeoutStatus);
    this.timedOut = true;
    (res.locals as HardeningLocals).timedOut = true;
    this.ac?.abort(err);
    this.sh.onError(err, this.req, res, this.next);
    discardLateWrites(res);
  }

  /** The body passed the limit while being read: 413, or the connection ends if the answer has begun. */
  onBodyOverLimit(limit: number): void {
    this.req.pause();
    this.req.unpipe();
    if (this.res.headersSent) this.res.destroy();
    else this.sh.onError(bodyTooLarge(limit), this.req, this.res, this.next);
  }

  /** The response is done or the client left: the log line, the deadline stops, the signal aborts if unfinished. */
  onClose(): void {
    const res = this.res;
    if (this.dlAt !== 0) this.sh.timeouts!.cancel(this);
    if (this.ac !== undefined && !res.writableFinished && !this.ac.signal.aborted)
      this.ac.abort(new Error('client closed the connection'));
    const logger = this.sh.logger;
    if (logger !== undefined)
      logRequest(
        logger,
        this.id,
        this.req.method,
        pathOf(this.req),
        res.statusCode,
        this.t0,
        this.ip,
        !res.writableFinished,
      );
  }
}

/** The request's state, on its `res.locals` (Express gives every response its own locals object). */
const kState = Symbol('@org/express.state');
type LocalsWithState = HardeningLocals & { [kState]?: ReqState };
const stateOf = (res: Response): ReqState | undefined => (res.locals as LocalsWithState)[kState];

/** The one 'close' listener of every response (no closure per request). */
function onResClose(this: Response): void {
  stateOf(this)?.onClose();
}

/** `res.locals.signal`: created on first read; aborted on timeout (503) and when the client goes away. */
const SIGNAL: PropertyDescriptor = {
  configurable: true,
  enumerable: false,
  get(this: LocalsWithState): AbortSignal | undefined {
    const st = this[kState];
    if (st === undefined) return undefined;
    if (st.ac === undefined) {
      st.ac = new AbortController();
      if (st.timedOut) st.ac.abort(requestTimedOut(st.sh.timeouts!.ms, st.sh.timeoutStatus));
      else if (st.res.destroyed && !st.res.writableFinished) st.ac.abort(new Error('client closed the connection'));
    }
    return st.ac.signal;
  },
};

/**
 * All-in-one Express middleware: request id, IP allow / deny lists and the CSRF guard (403, before anything else is
 * decided), X-Response-Time, access log, security headers (+ CSP nonce on
 * `res.locals.cspNonce`), CORS (preflights answered here, Vary merged), health routes, rate limiting (429 +
 * Retry-After + RateLimit headers), body size limit enforced while the body is read (413), and a request timeout
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
  const { policy, cors, rate, logger, health, healthPaths, idHeader, generateId, context, trust } = o;
  const { bodyLimit, timeoutMs, timeoutStatus, ipFilter, csrf } = o;
  const onError = errorHandler(logger ? { logger } : {});
  /** The IP list, then the CSRF guard: the refusal to answer with, or undefined. Only called when one is set. */
  const refusalOf = (req: Request, ip: string): AdapterError | undefined =>
    (ipFilter !== undefined ? checkIp(ipFilter, ip, 'express') : undefined) ??
    (csrf !== undefined && !isSafeMethod(req.method)
      ? checkCrossOrigin(csrf, {
          method: req.method,
          header: (n) => req.headers[n],
          host: req.headers.host,
          path: req.originalUrl ?? req.url,
        })
      : undefined);
  const sh: Shared = {
    policy,
    logger,
    timeouts: timeoutMs === undefined ? undefined : new DeadlineQueue(timeoutMs),
    timeoutStatus,
    onError,
  };
  // Without the head hook (its self-test failed in this process) the plan is written before the route runs.
  let warnedNoHook = false;

  const handler = function orgHardening(req: Request, res: Response, next: NextFunction): void {
    const t0 = now();
    const locals = res.locals as HardeningLocals;
    const reqHeaders = req.headers;
    const plan = policy.plan(t0);
    const st = new ReqState(req, res, next, t0, plan, sh);
    (locals as LocalsWithState)[kState] = st;
    if (plan.nonce !== undefined) locals.cspNonce = plan.nonce;
    const ip = clientIp(peerAddress(req.socket), reqHeaders['x-forwarded-for'], trust);
    st.ip = ip;
    locals.clientIp = ip;
    // shared: Express sets each response's prototype, so the hook goes on express.response once (node-head-hook.ts)
    const hooked = onHead(res, st, true);
    if (!hooked && !warnedNoHook) {
      warnedNoHook = true;
      logger?.warn({ reason: headHookProblem() }, 'express: headers are written before the route runs');
    }
    // without the hook, the plan as it stands goes on the response before anything answers or the route runs
    const writeNow = (): void => {
      if (!hooked && !res.headersSent) writePlanForRequest(res, plan, req);
    };
    if (logger !== undefined || timeoutMs !== undefined) res.on('close', onResClose);
    if (idHeader !== undefined) {
      let id: string;
      try {
        id = resolveRequestId(reqHeaders[idHeader], generateId!);
      } catch (e) {
        writeNow();
        next(e);
        return;
      }
      st.id = id;
      locals.requestId = id;
      plan.add(idHeader, id);
    }

    // IP list and CSRF guard: a refused request ends here, before CORS, health and rate limiting
    if (ipFilter !== undefined || csrf !== undefined) {
      let refusal: AdapterError | undefined;
      try {
        refusal = refusalOf(req, ip);
      } catch (e) {
        writeNow();
        next(e);
        return;
      }
      if (refusal !== undefined) {
        logRefusal(logger, refusal, st.id, req.method, pathOf(req), ip);
        writeNow();
        onError(refusal, req, res, next);
        return;
      }
    }

    // body size limit: a body without Content-Length is counted as it is read, by whoever reads it
    if (bodyLimit !== undefined && reqHeaders['content-length'] === undefined && reqHeaders['transfer-encoding'])
      watchBody(req, bodyLimit, () => st.onBodyOverLimit(bodyLimit));

    // CORS (preflights are answered here)
    if (cors !== undefined) {
      const r = cors.handle({
        method: req.method,
        origin: reqHeaders.origin,
        accessControlRequestMethod: reqHeaders['access-control-request-method'] as string | undefined,
        accessControlRequestHeaders: reqHeaders['access-control-request-headers'] as string | undefined,
      });
      if (typeof (r as Promise<CorsResultLike>).then === 'function') {
        (r as Promise<CorsResultLike>).then(
          (v) => {
            if (applyCors(res, plan, v, writeNow)) afterCors();
          },
          (e) => {
            writeNow();
            next(e);
          },
        );
        return;
      }
      if (!applyCors(res, plan, r as CorsResultLike, writeNow)) return;
    }
    afterCors();

    function afterCors(): void {
      // health routes
      if (health !== undefined && healthPaths.has(req.path)) {
        const probe = health.route(req.method, req.url, (n) => req.get(n));
        if (probe !== null) {
          writeNow();
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
      if (bodyLimit !== undefined && declaredTooLarge(reqHeaders['content-length'], bodyLimit)) {
        writeNow();
        onError(bodyTooLarge(bodyLimit), req, res, next);
        return;
      }

      // request timeout
      if (sh.timeouts !== undefined) {
        Object.defineProperty(locals, 'signal', SIGNAL);
        sh.timeouts.add(st);
      }

      // rate limiting
      if (rate !== undefined && !(rate.skip?.(req) ?? false)) {
        let p: DecisionLike | Promise<DecisionLike>;
        try {
          const cost = rate.cost?.(req);
          p = decide(rate.limiter, rateKey(rate, req, ip, 'express'), cost === undefined ? undefined : { cost });
        } catch (e) {
          writeNow();
          next(e);
          return;
        }
        // a memory store decides synchronously: no promise, no microtask
        if (typeof (p as Promise<DecisionLike>).then === 'function')
          (p as Promise<DecisionLike>).then(onDecision, (e) => {
            writeNow();
            next(e);
          });
        else onDecision(p as DecisionLike);
        return;
      }
      proceed();
    }

    function onDecision(d: DecisionLike): void {
      if (res.headersSent) return;
      plan.addAll(policy.rateHeaders(d));
      if (d.allowed) {
        proceed();
        return;
      }
      writeNow();
      onError({ code: 'ERR_RATE_LIMITED', retryAfterMs: d.retryAfterMs }, req, res, next);
    }

    function proceed(): void {
      writeNow();
      const id = st.id;
      if (context !== undefined && id !== undefined) context({ requestId: id }, next);
      else next();
    }
  } as HardeningMiddleware;
  const out = (o.metrics === undefined ? handler : metered(handler, o.metrics, healthPaths)) as HardeningMiddleware;
  Object.defineProperty(out, 'errorHandler', { value: onError, enumerable: true });
  Object.defineProperty(out, 'notFound', { value: notFound(), enumerable: true });
  Object.defineProperty(out, 'ipFilter', {
    enumerable: true,
    value(options: IpFilterOptions): RequestHandler {
      const filter = compileIpFilter(options ?? ({} as IpFilterOptions), 'express: ipFilter')!;
      return function orgIpFilter(req: Request, res: Response, next: NextFunction): void {
        const locals = res.locals as HardeningLocals;
        // mounted without the middleware before it: the socket peer, no proxy trusted
        const ip = locals.clientIp ?? normalizeIp(peerAddress(req.socket) ?? '');
        let refusal: AdapterError | undefined;
        try {
          refusal = checkIp(filter, ip, 'express');
        } catch (e) {
          next(e);
          return;
        }
        if (refusal === undefined) {
          next();
          return;
        }
        logRefusal(logger, refusal, locals.requestId, req.method, pathOf(req), ip);
        onError(refusal, req, res, next);
      };
    },
  });
  return out;
}

/** Takes a CORS decision into the plan; answers a preflight and returns false, else returns true (continue). */
function applyCors(res: Response, plan: HeaderPlan, r: CorsResultLike, writeNow: () => void): boolean {
  plan.cors(r);
  if (!r.preflight) return true;
  writeNow();
  res.statusCode = r.status;
  res.setHeader('content-length', '0');
  res.end();
  return false;
}
