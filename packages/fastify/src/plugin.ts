import { declaredTooLarge, lengthUndeclared } from '@org/adapter-kit/body-limit';
import { clientIp, peerAddress } from '@org/adapter-kit/client-ip';
import { now } from '@org/adapter-kit/clock';
import type { CorsResultLike, DecisionLike, LoggerLike } from '@org/adapter-kit/contracts';
import { DeadlineNode, DeadlineQueue } from '@org/adapter-kit/deadlines';
import { type AdapterError, bodyTooLarge, requestTimedOut } from '@org/adapter-kit/errors';
import {
  type CrossOriginGuardLike,
  checkCrossOrigin,
  checkIp,
  isSafeMethod,
  logRefusal,
} from '@org/adapter-kit/guards';
import type { HeaderPlan, PlanPolicy } from '@org/adapter-kit/header-plan';
import { resolveRequestId } from '@org/adapter-kit/ids';
import { compileIpFilter, type IpFilter, type IpFilterOptions } from '@org/adapter-kit/ip-filter';
import { limitedBody } from '@org/adapter-kit/node-body-limit';
import { mayCloseConnection, type NodeHeaderTarget, writePlanForRequest } from '@org/adapter-kit/node-writer';
import { type CommonOptions, resolveOptions } from '@org/adapter-kit/options';
import { PROBLEM_JSON, type ProblemResponse, problemForError } from '@org/adapter-kit/problems';
import { decide, type ResolvedRate, rateKey } from '@org/adapter-kit/rate-limit';
import { logRequest } from '@org/adapter-kit/request-log';
import type {
  FastifyError,
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  onRequestHookHandler,
  onSendHookHandler,
  preParsingHookHandler,
} from 'fastify';
import fp from 'fastify-plugin';
import { installMetrics } from './metrics.js';

/**
 * Options of the {@link hardening} plugin. Every concern is optional: leave an instance out and that concern is off.
 * `bodyLimit` applies to routes registered after the plugin: as Fastify's native per-route `bodyLimit` (routes that
 * set their own keep it), and to bodies read through stream content-type parsers too.
 */
export interface FastifyHardeningOptions extends CommonOptions<FastifyRequest> {
  /** Answer unknown routes with a 404 problem+json (`setNotFoundHandler`). Default true. */
  notFound?: boolean;
  /** Install the RFC 9457 error handler (`setErrorHandler`). Default true. */
  errorHandler?: boolean;
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * A per-route IP allow / deny list (@org/fastify), checked on `request.clientIp` before rate limiting, after the
     * app-wide `ipFilter`: `app.post('/admin/x', { config: { ipFilter: { allow: ['loopback'] } } }, handler)`.
     */
    ipFilter?: IpFilterOptions;
  }
  interface FastifyRequest {
    /** The accepted incoming X-Request-Id or a generated UUIDv4 (set by @org/fastify). */
    requestId: string;
    /** The client address after trusted-proxy handling (set by @org/fastify). */
    clientIp: string;
    /** Aborted when the request times out (set by @org/fastify when `timeoutMs` is on). */
    timeoutSignal: AbortSignal | null;
    /** True once the timeout answered 503 (set by @org/fastify). */
    timedOut: boolean;
  }
  interface FastifyReply {
    /** CSP nonce of this response when the headers policy uses nonces (set by @org/fastify). */
    cspNonce: string;
  }
}

/** Sends a problem response through Fastify (hooks run); `close` adds Connection: close (not over HTTP/2). */
export function sendProblem(reply: FastifyReply, p: ProblemResponse, close = false): FastifyReply {
  reply.code(p.status).header('content-type', PROBLEM_JSON).header('cache-control', 'no-store');
  for (const k of Object.keys(p.headers)) reply.header(k, p.headers[k]!);
  if (close && mayCloseConnection(reply.request.raw)) reply.header('connection', 'close');
  // a Buffer keeps the media type exact (Fastify appends '; charset=utf-8' to string payloads)
  return reply.send(Buffer.from(JSON.stringify(p.body)));
}

/** What the per-request state needs from the plugin instance. */
interface Shared {
  policy: PlanPolicy;
  timeouts: DeadlineQueue | undefined;
  timeoutStatus: 503 | 504;
  ipFilter: IpFilter | undefined;
  csrf: CrossOriginGuardLike | undefined;
  /** Whether a route of this scope has its own `config.ipFilter` (read per request only then). */
  routeFilters: boolean;
  rate: ResolvedRate<FastifyRequest> | undefined;
  context: ((fields: Record<string, unknown>, fn: () => void) => void) | undefined;
  logger: LoggerLike | undefined;
  isHealthRoute(request: FastifyRequest): boolean;
}

type HookDone = (err?: Error) => void;
const noDone: HookDone = () => {};

/**
 * Per-request state: the request's header plan, its node in the timeout queue, and the fields behind
 * `request.requestId`, `clientIp` and `timedOut`. It also maps the reply onto the Node writer's four header methods.
 */
class State extends DeadlineNode implements NodeHeaderTarget {
  ac: AbortController | undefined = undefined;
  /** The onRequest hook's callback. */
  done: HookDone = noDone;
  requestId = '';
  clientIp = '';
  timedOut = false;
  constructor(
    readonly request: FastifyRequest,
    readonly reply: FastifyReply,
    readonly sh: Shared,
    readonly plan: HeaderPlan,
    readonly t0: number,
  ) {
    super();
  }

  getHeaderNames(): string[] {
    return Object.keys(this.reply.getHeaders());
  }
  getHeader(name: string): unknown {
    return this.reply.getHeader(name);
  }
  setHeader(name: string, value: string): void {
    this.reply.header(name, value);
  }
  removeHeader(name: string): void {
    this.reply.removeHeader(name);
  }

  /** The head is about to be written (onSend): the plan goes on it, the deadline stops. */
  onHead(): void {
    if (this.dlAt !== 0) this.sh.timeouts!.cancel(this);
    writePlanForRequest(this, this.plan, this.request.raw);
  }

  /** No answer in time: 503 and the signal aborts (Fastify ignores a later reply.send()). */
  onDeadline(): void {
    const { request, reply } = this;
    const raw = reply.raw;
    if (reply.sent || raw.headersSent || raw.writableEnded || raw.destroyed) return;
    const err = requestTimedOut(this.sh.timeouts!.ms, this.sh.timeoutStatus);
    this.timedOut = true;
    this.ac?.abort(err);
    sendProblem(reply, problemForError(err, problemCtx(request)));
  }

  /** The response is done or the client left: the log line, the deadline stops, the signal aborts if unfinished. */
  onClose(): void {
    const raw = this.reply.raw;
    if (this.dlAt !== 0) this.sh.timeouts!.cancel(this);
    if (this.ac !== undefined && !raw.writableFinished && !this.ac.signal.aborted)
      this.ac.abort(new Error('client closed the connection'));
    const logger = this.sh.logger;
    if (logger === undefined) return;
    const { request, reply } = this;
    logRequest(
      logger,
      this.requestId || undefined,
      request.method,
      pathOf(request.url),
      reply.statusCode,
      this.t0,
      this.clientIp,
      !raw.writableFinished,
    );
  }

  /**
   * The IP lists (the app's, then the route's) and the CSRF guard: true when the request was refused (answered here,
   * the chain stops). Only called when one of them is set.
   */
  refused(): boolean {
    const { sh, request } = this;
    let refusal: AdapterError | undefined;
    try {
      if (sh.ipFilter !== undefined) refusal = checkIp(sh.ipFilter, this.clientIp, 'fastify');
      if (refusal === undefined && sh.routeFilters) {
        const own = (request.routeOptions.config as unknown as Record<symbol, IpFilter | undefined> | undefined)?.[
          kRouteFilter
        ];
        if (own !== undefined) refusal = checkIp(own, this.clientIp, 'fastify');
      }
      if (refusal === undefined && sh.csrf !== undefined && !isSafeMethod(request.method)) {
        const h = request.headers;
        refusal = checkCrossOrigin(sh.csrf, {
          method: request.method,
          header: (n) => h[n],
          host: h.host,
          path: request.url,
        });
      }
    } catch (e) {
      this.done(e as Error);
      return true;
    }
    if (refusal === undefined) return false;
    logRefusal(sh.logger, refusal, this.requestId || undefined, request.method, pathOf(request.url), this.clientIp);
    sendProblem(this.reply, problemForError(refusal, problemCtx(request)));
    return true;
  }

  /** After CORS: start the timeout, decide the rate limit, continue. */
  afterCors(): void {
    const sh = this.sh;
    if (sh.timeouts !== undefined) sh.timeouts.add(this);
    const rate = sh.rate;
    const request = this.request;
    if (rate !== undefined && !sh.isHealthRoute(request) && !(rate.skip?.(request) ?? false)) {
      let p: DecisionLike | Promise<DecisionLike>;
      try {
        const cost = rate.cost?.(request);
        p = decide(
          rate.limiter,
          rateKey(rate, request, this.clientIp, 'fastify'),
          cost === undefined ? undefined : { cost },
        );
      } catch (e) {
        this.done(e as Error);
        return;
      }
      // a memory store decides synchronously: no promise, no microtask
      if (typeof (p as Promise<DecisionLike>).then === 'function')
        (p as Promise<DecisionLike>).then((d) => this.onDecision(d), this.done);
      else this.onDecision(p as DecisionLike);
      return;
    }
    this.proceed();
  }

  /** Puts the decision's headers in the plan; continues when allowed, else answers 429 (the chain stops). */
  onDecision(d: DecisionLike): void {
    this.plan.addAll(this.sh.policy.rateHeaders(d));
    if (d.allowed) this.proceed();
    else
      sendProblem(
        this.reply,
        problemForError({ code: 'ERR_RATE_LIMITED', retryAfterMs: d.retryAfterMs }, problemCtx(this.request)),
      );
  }

  /** Continues the request, in the logger's async context when one is configured. */
  proceed(): void {
    const context = this.sh.context;
    const id = this.requestId;
    if (context !== undefined && id !== '') context({ requestId: id }, this.done);
    else this.done();
  }
}

const kState = Symbol('@org/fastify.state');
/** A route's compiled `config.ipFilter`, kept on its config (Fastify copies the config's own keys, symbols too). */
const kRouteFilter = Symbol('@org/fastify.ipFilter');
type RequestWithState = FastifyRequest & { [kState]: State | null };
const stateOf = (request: FastifyRequest): State | null => (request as RequestWithState)[kState];

/** Public fields set before the request's State exists (by an earlier hook of the app's): rare, kept per request. */
const early = new WeakMap<FastifyRequest, Partial<Record<EarlyKey, unknown>>>();
type EarlyKey = 'requestId' | 'clientIp' | 'timedOut';
function earlyGet<T>(request: FastifyRequest, key: EarlyKey, initial: T): T {
  const v = early.get(request)?.[key];
  return v === undefined ? initial : (v as T);
}
function earlySet(request: FastifyRequest, key: EarlyKey, v: unknown): void {
  let e = early.get(request);
  if (e === undefined) early.set(request, (e = {}));
  e[key] = v;
}

/**
 * `request.requestId`, `clientIp` and `timedOut` as accessors backed by the request's State: one data decorator (the
 * State) instead of three keeps Fastify's per-request decorator initialisation cheap.
 */
const stateAccessors = {
  requestId: {
    getter(this: FastifyRequest): string {
      const st = stateOf(this);
      return st !== null ? st.requestId : earlyGet(this, 'requestId', '');
    },
    setter(this: FastifyRequest, v: string): void {
      const st = stateOf(this);
      if (st !== null) st.requestId = v;
      else earlySet(this, 'requestId', v);
    },
  },
  clientIp: {
    getter(this: FastifyRequest): string {
      const st = stateOf(this);
      return st !== null ? st.clientIp : earlyGet(this, 'clientIp', '');
    },
    setter(this: FastifyRequest, v: string): void {
      const st = stateOf(this);
      if (st !== null) st.clientIp = v;
      else earlySet(this, 'clientIp', v);
    },
  },
  timedOut: {
    getter(this: FastifyRequest): boolean {
      const st = stateOf(this);
      return st !== null ? st.timedOut : earlyGet(this, 'timedOut', false);
    },
    setter(this: FastifyRequest, v: boolean): void {
      const st = stateOf(this);
      if (st !== null) st.timedOut = v;
      else earlySet(this, 'timedOut', v);
    },
  },
};

/**
 * Whether `url` starts with one of the (lower-case) health paths, ignoring ASCII case: the router can only have matched
 * a health route for such a URL (with case-insensitive routing or a trailing slash too).
 */
function mayBeHealth(url: string, paths: readonly string[]): boolean {
  for (let k = 0; k < paths.length; k++) {
    const p = paths[k]!;
    if (url.length < p.length) continue;
    let i = 0;
    for (; i < p.length; i++) {
      let c = url.charCodeAt(i);
      if (c >= 65 && c <= 90) c += 32;
      if (c !== p.charCodeAt(i)) break;
    }
    if (i === p.length) return true;
  }
  return false;
}

const pathOf = (url: string): string => {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
};

const problemCtx = (request: FastifyRequest) => ({
  requestId: request.requestId || undefined,
  instance: pathOf(request.url),
});

/** Builds the RFC 9457 error handler used by the plugin, for use in an encapsulated context of your own. */
export function problemErrorHandler(
  logger?: LoggerLike,
): (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => FastifyReply | undefined {
  return (error, request, reply) => {
    if (reply.sent || request.timedOut) return undefined;
    const p = problemForError(error, { requestId: request.requestId || undefined, instance: pathOf(request.url) });
    if (!p.expected)
      logger?.error(
        { err: error, requestId: request.requestId, method: request.method, path: pathOf(request.url) },
        'unhandled error',
      );
    return sendProblem(reply, p, p.status === 413);
  };
}

const BODYLESS = new Set(['GET', 'HEAD']);

const plugin: FastifyPluginAsync<FastifyHardeningOptions> = async (app: FastifyInstance, options) => {
  const o = resolveOptions(options, 'fastify');
  const { policy, cors, rate, logger, health, healthPaths, idHeader, generateId, context, trust } = o;
  const { bodyLimit, timeoutMs, timeoutStatus, ipFilter, csrf } = o;

  // the one data decorator (see stateAccessors)
  app.decorateRequest(kState, null);
  app.decorateRequest('requestId', stateAccessors.requestId);
  app.decorateRequest('clientIp', stateAccessors.clientIp);
  app.decorateRequest('timedOut', stateAccessors.timedOut);
  app.decorateRequest('timeoutSignal', {
    getter(this: FastifyRequest): AbortSignal | null {
      const st = stateOf(this);
      if (st === null || timeoutMs === undefined) return null;
      if (st.ac === undefined) {
        st.ac = new AbortController();
        if (st.timedOut) st.ac.abort(requestTimedOut(timeoutMs, timeoutStatus));
      }
      return st.ac.signal;
    },
  });
  app.decorateReply('cspNonce', '');

  if (bodyLimit !== undefined) {
    // Fastify's own per-route bodyLimit covers its parsers; a stream content-type parser hands the raw body to the
    // route, so a body without Content-Length (chunked, or any over HTTP/2) is also counted as it is read (preParsing,
    // routes that take a body)
    const limitBody: preParsingHookHandler = (request, _reply, payload, done) => {
      if (declaredTooLarge(request.headers['content-length'], bodyLimit)) done(bodyTooLarge(bodyLimit));
      else if (!lengthUndeclared(request.raw)) done(null, payload);
      else
        done(
          null,
          limitedBody(payload, bodyLimit, () => bodyTooLarge(bodyLimit)),
        );
    };
    app.addHook('onRoute', (route) => {
      if (route.bodyLimit === undefined) route.bodyLimit = bodyLimit;
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      if (methods.every((m) => BODYLESS.has(m))) return;
      const own = route.preParsing;
      route.preParsing = own === undefined ? [limitBody] : [...(Array.isArray(own) ? own : [own]), limitBody];
    });
  }

  const healthLower = [...healthPaths].map((p) => p.toLowerCase());
  const sh: Shared = {
    policy,
    timeouts: timeoutMs === undefined ? undefined : new DeadlineQueue(timeoutMs),
    timeoutStatus,
    ipFilter,
    csrf,
    routeFilters: false,
    rate,
    context,
    logger,
    // request.routeOptions builds a fresh object on every read: only read it for a URL that can be a health route
    isHealthRoute: (request) =>
      healthPaths.size > 0 && mayBeHealth(request.url, healthLower) && healthPaths.has(request.routeOptions.url ?? ''),
  };

  // per-route IP lists: compiled when the route is added (a bad list fails the route's registration)
  app.addHook('onRoute', (route) => {
    const own = route.config?.ipFilter;
    if (own === undefined) return;
    const where = `fastify: route ${route.method} ${route.url} config.ipFilter`;
    route.config = { ...route.config, [kRouteFilter]: compileIpFilter(own, where) } as NonNullable<typeof route.config>;
    sh.routeFilters = true;
  });

  if (o.metrics !== undefined) installMetrics(app, o.metrics);
  const onRequest: onRequestHookHandler = function orgOnRequest(request, reply, done) {
    const t0 = now();
    const plan = policy.plan(t0);
    const st = new State(request, reply, sh, plan, t0);
    st.done = done;
    (request as RequestWithState)[kState] = st;
    st.clientIp = clientIp(peerAddress(request.raw.socket), request.headers['x-forwarded-for'], trust);
    if (plan.nonce !== undefined) reply.cspNonce = plan.nonce;
    if (logger !== undefined || sh.timeouts !== undefined) reply.raw.on('close', () => st.onClose());
    if (idHeader !== undefined) {
      try {
        st.requestId = resolveRequestId(request.headers[idHeader], generateId!);
      } catch (e) {
        done(e as Error);
        return;
      }
      plan.add(idHeader, st.requestId);
    }
    // IP lists and CSRF guard: a refused request ends here, before CORS, health and rate limiting
    if ((ipFilter !== undefined || csrf !== undefined || sh.routeFilters) && st.refused()) return;
    if (cors !== undefined) {
      const h = request.headers;
      const r = cors.handle({
        method: request.method,
        origin: h.origin,
        accessControlRequestMethod: h['access-control-request-method'] as string | undefined,
        accessControlRequestHeaders: h['access-control-request-headers'] as string | undefined,
      });
      if (typeof (r as Promise<CorsResultLike>).then === 'function') {
        (r as Promise<CorsResultLike>).then((v) => {
          if (applyCors(reply, plan, v)) st.afterCors(); // else: answered here, the chain stops
        }, done);
        return;
      }
      if (!applyCors(reply, plan, r as CorsResultLike)) return; // preflight answered here, the chain stops
    }
    st.afterCors();
  };
  app.addHook('onRequest', onRequest);

  // the head is written right after the onSend hooks: the plan goes on it there
  const onSend: onSendHookHandler = function orgOnSend(request, _reply, payload, done) {
    stateOf(request)?.onHead();
    done(null, payload);
  };
  app.addHook('onSend', onSend);

  if (health !== undefined) {
    const header = (request: FastifyRequest) => (name: string) => {
      const v = request.headers[name.toLowerCase()];
      return Array.isArray(v) ? v.join(', ') : v;
    };
    for (const path of healthPaths) {
      app.get(path, async (request, reply) => {
        const r = await health.route(request.method, request.url, header(request));
        if (r === null) return reply.callNotFound();
        reply.code(r.httpStatus);
        for (const k of Object.keys(r.headers)) reply.header(k, r.headers[k]!);
        return reply.send(Buffer.from(r.body));
      });
    }
  }

  if (options.errorHandler !== false) app.setErrorHandler(problemErrorHandler(logger));
  if (options.notFound !== false) {
    app.setNotFoundHandler((request, reply) => {
      sendProblem(
        reply,
        problemForError(
          { status: 404, message: '' },
          { requestId: request.requestId || undefined, instance: pathOf(request.url) },
        ),
      );
    });
  }
};

/** Takes a CORS decision into the plan; answers a preflight and returns false, else returns true (continue). */
function applyCors(reply: FastifyReply, plan: HeaderPlan, r: CorsResultLike): boolean {
  plan.cors(r);
  if (!r.preflight) return true;
  reply.code(r.status).header('content-length', '0').send();
  return false;
}

/**
 * The all-in-one Fastify plugin (IP allow / deny lists, app-wide and per route, and the CSRF guard before CORS and
 * rate limiting; see the options). Wrapped with fastify-plugin, so its hooks, decorators, error and not-found handlers
 * apply to the scope you register it in. Register it before your routes.
 *
 * @example
 * await app.register(hardening, { headers: securityHeaders({ preset: 'api' }), cors: cors({ origin: 'https://app.example' }),
 *   rateLimit: rateLimiter({ limit: 100, windowMs: 60_000 }), logger: createLogger(), health });
 * @throws {TypeError|RangeError} on invalid options (at registration), naming the option.
 */
export const hardening: FastifyPluginAsync<FastifyHardeningOptions> = fp(plugin, {
  fastify: '5.x',
  name: '@org/fastify',
});
