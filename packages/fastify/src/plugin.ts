import {
  clientIp,
  compileTrust,
  formatResponseTime,
  headerPairs,
  ipKey,
  mergeVary,
  PROBLEM_JSON,
  type ProblemResponse,
  problemForError,
  randomNonce,
  rateLimitHeaderPairs,
  requestTimedOut,
  resolveRequestId,
} from '@org/adapter-kit/common';
import {
  type CommonOptions,
  type CorsResultLike,
  type HeaderList,
  type LoggerLike,
  resolveOptions,
} from '@org/adapter-kit/contracts';
import type {
  FastifyError,
  FastifyInstance,
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  onRequestHookHandler,
} from 'fastify';
import fp from 'fastify-plugin';

/**
 * Options of the {@link hardening} plugin. Every concern is optional: leave an instance out and that concern is off.
 * `bodyLimit` is applied as Fastify's native per-route `bodyLimit` to routes registered after the plugin (routes that
 * set their own keep it).
 */
export interface FastifyHardeningOptions extends CommonOptions<FastifyRequest> {
  /** Answer unknown routes with a 404 problem+json (`setNotFoundHandler`). Default true. */
  notFound?: boolean;
  /** Install the RFC 9457 error handler (`setErrorHandler`). Default true. */
  errorHandler?: boolean;
}

declare module 'fastify' {
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

/** Sends a problem response through Fastify (hooks run); `close` adds Connection: close. */
export function sendProblem(reply: FastifyReply, p: ProblemResponse, close = false): FastifyReply {
  reply.code(p.status).header('content-type', PROBLEM_JSON).header('cache-control', 'no-store');
  for (const k of Object.keys(p.headers)) reply.header(k, p.headers[k]!);
  if (close) reply.header('connection', 'close');
  // a Buffer keeps the media type exact (Fastify appends '; charset=utf-8' to string payloads)
  return reply.send(Buffer.from(JSON.stringify(p.body)));
}

/** Per-request state (a decorated symbol field, so request objects keep one shape). */
interface State {
  timer: ReturnType<typeof setTimeout> | undefined;
  ac: AbortController | undefined;
  vary: readonly string[] | undefined;
  /** Security headers of this response (lower-case names); a value the route set itself wins. */
  secure: HeaderList | undefined;
  /** RateLimit headers of this response. */
  rate: HeaderList | undefined;
}
const kState = Symbol('@org/fastify.state');

const pathOf = (url: string): string => {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
};

const problemCtx = (request: FastifyRequest) => ({
  requestId: request.requestId || undefined,
  instance: pathOf(request.url),
});

/** Applies a CORS decision; answers a preflight and returns false, else returns true (continue). */
function applyCors(reply: FastifyReply, r: CorsResultLike): boolean {
  // Vary is merged when the head is written (patchHead), after the route had its say
  const hs = r.headers;
  for (let i = 0; i < hs.length; i++) reply.header(hs[i]![0], hs[i]![1]);
  if (!r.preflight) return true;
  reply.code(r.status).header('content-length', '0').send();
  return false;
}

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

const plugin: FastifyPluginAsync<FastifyHardeningOptions> = async (app: FastifyInstance, options) => {
  const o = resolveOptions(options, 'fastify');
  const trust = compileTrust(options.trustProxy, 'fastify: trustProxy');
  const { headers, useNonce, cors, rate, hasRate, logger, health, healthPaths, idHeader, generateId } = o;
  const context = o.context;
  const { responseTime, bodyLimit, timeoutMs } = o;
  const lower = (l: HeaderList): HeaderList => l.map(([k, v]) => [k.toLowerCase(), v] as const);
  const staticHeaders = lower(headers?.entries ?? []);
  const removeHeaders = headers?.remove ?? [];

  app.decorateRequest('requestId', '');
  app.decorateRequest('clientIp', '');
  app.decorateRequest('timedOut', false);
  app.decorateRequest(kState, null);
  app.decorateRequest('timeoutSignal', {
    getter(this: FastifyRequest): AbortSignal | null {
      const st = (this as unknown as Record<symbol, State | null>)[kState];
      if (st === null || st === undefined || timeoutMs === undefined) return null;
      if (st.ac === undefined) {
        st.ac = new AbortController();
        if (this.timedOut) st.ac.abort(requestTimedOut(timeoutMs));
      }
      return st.ac.signal;
    },
  });
  app.decorateReply('cspNonce', '');

  if (bodyLimit !== undefined) {
    app.addHook('onRoute', (route) => {
      if (route.bodyLimit === undefined) route.bodyLimit = bodyLimit;
    });
  }

  // Work done when the head is written (response time, CORS Vary re-merge, removals, timer stop) patches this
  // reply's raw writeHead instead of adding an onSend hook: one closure instead of a hook run per request.
  const needHead =
    headers !== undefined ||
    hasRate ||
    responseTime ||
    removeHeaders.length > 0 ||
    cors !== undefined ||
    timeoutMs !== undefined;
  const removeLower = removeHeaders.map((n) => n.toLowerCase());
  const patchHead = (reply: FastifyReply, st: State): void => {
    const raw = reply.raw;
    const writeHead = raw.writeHead;
    raw.writeHead = function (this: typeof raw, ...args: unknown[]) {
      if (st.timer !== undefined) {
        clearTimeout(st.timer);
        st.timer = undefined;
      }
      if (!this.headersSent) {
        // Fastify passes its header object: writing into it keeps Node on its fast path (no setHeader round trip)
        const obj = (typeof args[1] === 'object' ? args[1] : typeof args[2] === 'object' ? args[2] : undefined) as
          | Record<string, unknown>
          | undefined;
        const set =
          obj !== null && obj !== undefined && !Array.isArray(obj)
            ? (k: string, v: string, keep: boolean) => {
                if (!keep || obj[k] === undefined) obj[k] = v;
              }
            : (k: string, v: string, keep: boolean) => {
                if (!keep || this.getHeader(k) === undefined) this.setHeader(k, v);
              };
        const get = (k: string): string | undefined => {
          const v = obj?.[k] ?? this.getHeader(k);
          return v === undefined ? undefined : String(v);
        };
        const sec = st.secure;
        if (sec !== undefined) for (let i = 0; i < sec.length; i++) set(sec[i]![0], sec[i]![1], true);
        const rl = st.rate;
        if (rl !== undefined) for (let i = 0; i < rl.length; i++) set(rl[i]![0], rl[i]![1], false);
        if (responseTime) set('x-response-time', formatResponseTime(reply.elapsedTime), false);
        if (st.vary !== undefined) set('vary', mergeVary(get('vary'), st.vary), false);
        for (let i = 0; i < removeLower.length; i++) {
          const name = removeLower[i]!;
          if (obj) delete obj[name];
          this.removeHeader(name);
        }
      }
      return (writeHead as (...a: unknown[]) => typeof raw).apply(this, args);
    } as typeof raw.writeHead;
  };
  const startTimeout = (request: FastifyRequest, reply: FastifyReply, st: State, ms: number): void => {
    const timer = setTimeout(() => {
      st.timer = undefined;
      if (reply.sent || reply.raw.headersSent || request.raw.destroyed) return;
      const err = requestTimedOut(ms);
      request.timedOut = true;
      st.ac?.abort(err);
      sendProblem(reply, problemForError(err, problemCtx(request)));
    }, ms);
    timer.unref?.();
    st.timer = timer;
  };

  const onRequest: onRequestHookHandler = function orgOnRequest(request, reply, done) {
    let st: State | undefined;
    if (needHead) {
      st = { timer: undefined, ac: undefined, vary: undefined, secure: undefined, rate: undefined };
      (request as unknown as Record<symbol, State>)[kState] = st;
      patchHead(reply, st);
    }
    if (idHeader !== undefined) {
      const id = resolveRequestId(request.headers[idHeader], generateId!);
      request.requestId = id;
      reply.header(idHeader, id);
    }
    const ip = clientIp(request.raw.socket.remoteAddress, request.headers['x-forwarded-for'], trust);
    request.clientIp = ip;

    if (headers !== undefined) {
      let list = staticHeaders;
      if (useNonce) {
        const nonce = randomNonce();
        reply.cspNonce = nonce;
        list = lower(headers.forRequest!({ nonce }));
      }
      st!.secure = list;
    }

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
          if (v.vary.length > 0) st!.vary = v.vary;
          if (applyCors(reply, v)) afterCors(); // else: answered here, the chain stops
        }, done);
        return;
      }
      if ((r as CorsResultLike).vary.length > 0) st!.vary = (r as CorsResultLike).vary;
      if (!applyCors(reply, r as CorsResultLike)) return; // preflight answered here, the chain stops
    }
    afterCors();

    function afterCors(): void {
      if (timeoutMs !== undefined) startTimeout(request, reply, st!, timeoutMs);
      if (hasRate && !healthPaths.has(request.routeOptions.url ?? '') && !(rate.skip?.(request) ?? false)) {
        const key = rate.key ? rate.key(request, ip) : ipKey(ip, rate.ipv6Prefix);
        const cost = rate.cost?.(request);
        let p: ReturnType<typeof rate.limiter.consume>;
        try {
          p = rate.limiter.consume(key, cost === undefined ? undefined : { cost });
        } catch (e) {
          done(e as Error);
          return;
        }
        Promise.resolve(p).then((d) => {
          const pairs = rate.formatHeaders ? headerPairs(rate.formatHeaders(d)) : rateLimitHeaderPairs(d, rate.headers);
          st!.rate = rate.formatHeaders ? lower(pairs) : pairs;
          if (d.allowed) proceed();
          else {
            sendProblem(
              reply,
              problemForError({ code: 'ERR_RATE_LIMITED', retryAfterMs: d.retryAfterMs }, problemCtx(request)),
            ); // answered here, the chain stops
          }
        }, done);
        return;
      }
      proceed();
    }

    function proceed(): void {
      if (context !== undefined && request.requestId !== '') context({ requestId: request.requestId }, done);
      else done();
    }
  };
  app.addHook('onRequest', onRequest);

  if (logger !== undefined) {
    app.addHook('onResponse', (request, reply, done) => {
      const status = reply.statusCode;
      const fields = {
        requestId: request.requestId || undefined,
        method: request.method,
        path: pathOf(request.url),
        status,
        durationMs: Math.round(reply.elapsedTime * 1000) / 1000,
        ip: request.clientIp,
      };
      if (status >= 500) logger.error(fields, 'request completed');
      else if (status >= 400) logger.warn(fields, 'request completed');
      else logger.info(fields, 'request completed');
      done();
    });
  }

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

/**
 * The all-in-one Fastify plugin (wrapped with fastify-plugin, so its hooks, decorators, error and not-found handlers
 * apply to the scope you register it in). Register it before your routes.
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
