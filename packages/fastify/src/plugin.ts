import {
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
  type ContextRunner,
  type CorsResultLike,
  decide,
  type HeaderList,
  type LoggerLike,
  logRequest,
  type Resolved,
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

/**
 * Per-request state: one object per request, also the node of the timeout queue (a decorated symbol field on the
 * request and an own symbol field on the raw response, so both keep one shape). The steps of the onRequest hook after
 * CORS are its methods, so a request allocates no closures for them.
 */
class State extends DeadlineNode {
  ac: AbortController | undefined = undefined;
  vary: readonly string[] | undefined = undefined;
  /** Security headers of this response, rendered once; a value the route set itself wins. */
  secure: HeadLines | undefined = undefined;
  /** The rate-limit decision of this request (its headers are made when the head is written). */
  decision: DecisionLike | undefined = undefined;
  /** The raw response's writeHead before it was patched. */
  writeHead: ((...a: unknown[]) => unknown) | undefined = undefined;
  /**
   * The request id, when it is sent as a ready head line (ours or an accepted incoming one); else ''. Kept apart from
   * `requestId`, which the app may overwrite (`request.requestId = …`) with text no one has checked for a head line.
   */
  id = '';
  /** The onRequest hook's callback. */
  done: HookDone = noDone;
  /** now() when the onRequest hook started (X-Response-Time and the log line's durationMs). */
  t0 = 0;
  /** `request.requestId`, `request.clientIp` (after trusted-proxy handling) and `request.timedOut` (see stateAccessors). */
  requestId = '';
  clientIp = '';
  timedOut = false;
  constructor(
    readonly request: FastifyRequest,
    readonly reply: FastifyReply,
    readonly plugin: PluginShared,
  ) {
    super();
  }
  onDeadline(): void {
    this.plugin.onTimeout(this);
  }

  /** RateLimit headers of this response as pairs (lower-case names); none without a decision. */
  ratePairs(): HeaderList {
    const d = this.decision;
    if (d === undefined) return NO_PAIRS;
    const rate = this.plugin.rate!;
    return rate.formatHeaders ? lowerPairs(headerPairs(rate.formatHeaders(d))) : rateLimitHeaderPairs(d, rate.headers);
  }

  /** RateLimit headers as ready head lines when they can be made directly (see rateLimitHeadLines). */
  rateLines(): string | undefined {
    const d = this.decision;
    const rate = this.plugin.rate;
    if (d === undefined || rate === undefined || rate.formatHeaders !== undefined) return undefined;
    return rateLimitHeadLines(d, rate.headers);
  }

  /** After CORS: start the timeout, decide the rate limit, continue. */
  afterCors(): void {
    const sh = this.plugin;
    if (sh.timeouts !== undefined) sh.timeouts.add(this);
    const rate = sh.rate;
    const request = this.request;
    if (rate !== undefined && !sh.isHealthRoute(request) && !(rate.skip?.(request) ?? false)) {
      const key = rate.key ? rate.key(request, this.clientIp) : ipKey(this.clientIp, rate.ipv6Prefix);
      const cost = rate.cost?.(request);
      let p: ReturnType<typeof decide>;
      try {
        p = decide(rate.limiter, key, cost === undefined ? undefined : { cost });
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

  /** Keeps the decision for the head; continues when allowed, else answers 429 (the chain stops). */
  onDecision(d: DecisionLike): void {
    this.decision = d;
    if (d.allowed) this.proceed();
    else
      sendProblem(
        this.reply,
        problemForError({ code: 'ERR_RATE_LIMITED', retryAfterMs: d.retryAfterMs }, problemCtx(this.request)),
      );
  }

  /** Continues the request, in the logger's async context when one is configured. */
  proceed(): void {
    const context = this.plugin.context;
    const id = this.requestId;
    if (context !== undefined && id !== '') context({ requestId: id }, this.done);
    else this.done();
  }
}

type HookDone = (err?: Error) => void;
const NO_PAIRS: HeaderList = [];
const noDone: HookDone = () => {};
const lowerPairs = (l: HeaderList): HeaderList => l.map(([k, v]) => [k.toLowerCase(), v] as const);

/** What the per-request state and the shared writeHead need from the plugin instance. */
interface PluginShared {
  responseTime: boolean;
  /** Lower-case request id header name ('' when ids are off). */
  idName: string;
  removeLower: readonly string[];
  timeouts: DeadlineQueue | undefined;
  /** Rate limiting settings, when on. */
  rate: Resolved<FastifyRequest>['rate'] | undefined;
  context: ContextRunner | undefined;
  /** The request log's logger, when on. */
  logger: LoggerLike | undefined;
  isHealthRoute(request: FastifyRequest): boolean;
  onTimeout(st: State): void;
}

const kState = Symbol('@org/fastify.state');
type RequestWithState = FastifyRequest & { [kState]: State | null };

/** Public fields set before the request's State exists (by an earlier hook of the app's): rare, kept per request. */
const early = new WeakMap<FastifyRequest, Partial<Record<EarlyKey, unknown>>>();
type EarlyKey = 'requestId' | 'clientIp' | 'timedOut';
const stateOf = (request: FastifyRequest): State | null => (request as RequestWithState)[kState];
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
 * `request.requestId`, `request.clientIp` and `request.timedOut` as accessors on Fastify's Request prototype, backed
 * by the request's State. Fastify sets each data decorator on every request in its Request constructor, through one
 * keyed store shared by all decorators: with several names that store is megamorphic (measured with callgrind: about
 * 700 instructions a request for these three). With only the State decorated as data, it stays monomorphic. Each
 * accessor is its own function (not one closure per name), so each reads one named field.
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

const kHead = Symbol('@org/fastify.head');
type RawWithState = FastifyReply['raw'] & { [kHead]: State };

/**
 * The one writeHead shared by every patched response (no closure per request). On a Node HTTP/1 response, the
 * security, RateLimit, X-Response-Time and Vary lines are added to the head Node has just rendered (the security lines
 * were rendered and validated once, when the plugin was registered), so Node validates and renders only the headers
 * the route set. Elsewhere (HTTP/2) they go into the header object Fastify passes. Also applies the removal list and
 * stops the request's timeout.
 */
function patchedWriteHead(this: RawWithState, a: unknown, b?: unknown, c?: unknown): unknown {
  const st = this[kHead];
  const shared = st.plugin;
  if (st.dlAt !== 0) shared.timeouts!.cancel(st);
  if (this.headersSent) return st.writeHead!.call(this, a, b, c);
  const given = typeof b === 'object' && b !== null ? b : typeof c === 'object' && c !== null ? c : undefined;
  const obj = given !== undefined && !Array.isArray(given) ? (given as Record<string, unknown>) : undefined;
  if ((obj === undefined && given !== undefined) || !rendersHead(this, st.writeHead))
    return writeHeadSlow(this, st, obj, a, b, c);
  // Node renders `obj` merged over its own store (a header set on reply.raw): a name in either is the route's
  const store = existingHeaderStore(this);
  let text = '';
  const sec = st.secure;
  if (sec !== undefined) {
    text = sec.clashes(obj, store) ? sec.without(obj, store) : sec.text;
    const rest = sec.rest;
    for (let i = 0; i < rest.length; i++)
      if (!taken(obj, store, rest[i]![0])) setOn(this, obj, rest[i]![0], rest[i]![1]);
  }
  if (st.decision !== undefined) {
    // ours replace values the route set
    const lines = st.rateLines();
    if (lines !== undefined) {
      if (taken(obj, store, 'ratelimit-policy')) drop(this, obj, 'ratelimit-policy');
      if (taken(obj, store, 'ratelimit')) drop(this, obj, 'ratelimit');
      text += lines;
    } else {
      const rl = st.ratePairs();
      for (let i = 0; i < rl.length; i++) {
        const [k, v] = rl[i]!;
        if (taken(obj, store, k)) drop(this, obj, k);
        if (headLineOk(k, v)) text += `${k}: ${v}\r\n`;
        else setOn(this, obj, k, v);
      }
    }
  }
  // the request id: a value the route set wins (as when it was set with reply.header before the route ran)
  if (st.id !== '' && !taken(obj, store, shared.idName)) text += `${shared.idName}: ${st.id}\r\n`;
  if (shared.responseTime) {
    // ours replaces a value the route set
    if (taken(obj, store, 'x-response-time')) drop(this, obj, 'x-response-time');
    text += `x-response-time: ${formatResponseTime(now() - st.t0)}\r\n`;
  }
  if (st.vary !== undefined) {
    const cur = obj?.vary ?? store?.vary?.[1];
    const v = mergeVary(cur === undefined ? undefined : String(cur), st.vary);
    // a Vary that is only our CORS tokens is rendered with our lines; one that holds the route's goes through Node
    if (cur === undefined && headLineOk('vary', v)) text += `vary: ${v}\r\n`;
    else setOn(this, obj, 'vary', v);
  }
  const rm = shared.removeLower;
  for (let i = 0; i < rm.length; i++) {
    if (obj !== undefined && obj[rm[i]!] !== undefined) delete obj[rm[i]!];
    if (store !== null && store[rm[i]!] !== undefined) this.removeHeader(rm[i]!);
  }
  return writeHeadWithLines(this, st.writeHead!, text, a, b, c);
}

/**
 * The raw response's 'close' listener (shared, no closure per request): writes the request's log line, with
 * `aborted: true` when the response did not finish (the client went away first).
 */
function onRawClose(this: RawWithState): void {
  const st = this[kHead];
  // a client gone before any head was written: its deadline leaves the queue now (it would answer nothing)
  if (st.dlAt !== 0) st.plugin.timeouts!.cancel(st);
  const logger = st.plugin.logger!;
  const { request, reply } = st;
  logRequest(
    logger,
    st.requestId || undefined,
    request.method,
    pathOf(request.url),
    reply.statusCode,
    st.t0,
    st.clientIp,
    !this.writableFinished,
  );
}

/** Whether the route set `name` (lower-case) in the header object Fastify passes or on reply.raw. */
const taken = (
  obj: Record<string, unknown> | undefined,
  store: Record<string, unknown> | null,
  name: string,
): boolean => (obj !== undefined && obj[name] !== undefined) || (store !== null && store[name] !== undefined);

/** Removes a header the route set for a name the plugin owns. */
function drop(res: RawWithState, obj: Record<string, unknown> | undefined, name: string): void {
  if (obj !== undefined) delete obj[name];
  res.removeHeader(name);
}

/** Sets a header through Node (validated there): into the object Fastify passes, else on the response. */
function setOn(res: RawWithState, obj: Record<string, unknown> | undefined, name: string, value: string): void {
  if (obj !== undefined) obj[name] = value;
  else res.setHeader(name, value);
}

/**
 * writeHead where no rendered head can be added to (HTTP/2 compatibility response, raw header arrays): the headers go
 * into the header object Fastify passes, or through setHeader.
 */
function writeHeadSlow(
  res: RawWithState,
  st: State,
  obj: Record<string, unknown> | undefined,
  a: unknown,
  b?: unknown,
  c?: unknown,
): unknown {
  const shared = st.plugin;
  if (obj !== undefined) {
    const all = st.secure?.all ?? NO_PAIRS;
    for (let i = 0; i < all.length; i++) if (obj[all[i]![0]] === undefined) obj[all[i]![0]] = all[i]![1];
    const rl = st.ratePairs();
    for (let i = 0; i < rl.length; i++) obj[rl[i]![0]] = rl[i]![1];
    if (st.id !== '' && obj[shared.idName] === undefined && !res.hasHeader(shared.idName)) obj[shared.idName] = st.id;
    if (shared.responseTime) obj['x-response-time'] = formatResponseTime(now() - st.t0);
    if (st.vary !== undefined) {
      const cur = obj.vary ?? res.getHeader('vary');
      obj.vary = mergeVary(cur === undefined ? undefined : String(cur), st.vary);
    }
    const rm = shared.removeLower;
    for (let i = 0; i < rm.length; i++) {
      if (obj[rm[i]!] !== undefined) delete obj[rm[i]!];
      res.removeHeader(rm[i]!);
    }
  } else {
    const all = st.secure?.all ?? NO_PAIRS;
    for (let i = 0; i < all.length; i++) if (!res.hasHeader(all[i]![0])) res.setHeader(all[i]![0], all[i]![1]);
    const rl = st.ratePairs();
    for (let i = 0; i < rl.length; i++) res.setHeader(rl[i]![0], rl[i]![1]);
    if (st.id !== '' && !res.hasHeader(shared.idName)) res.setHeader(shared.idName, st.id);
    if (shared.responseTime) res.setHeader('x-response-time', formatResponseTime(now() - st.t0));
    if (st.vary !== undefined) res.setHeader('vary', mergeVary(res.getHeader('vary') as string | undefined, st.vary));
    for (let i = 0; i < shared.removeLower.length; i++) res.removeHeader(shared.removeLower[i]!);
  }
  return st.writeHead!.call(res, a, b, c);
}

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

/** Applies a CORS decision; answers a preflight and returns false, else returns true (continue). */
function applyCors(reply: FastifyReply, r: CorsResultLike): boolean {
  // Vary is merged when the head is written (patchedWriteHead), after the route had its say
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
  const staticHeaders = new HeadLines(headers?.entries ?? []);
  const removeHeaders = headers?.remove ?? [];

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
        if (st.timedOut) st.ac.abort(requestTimedOut(timeoutMs));
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

  // Work done when the head is written (response time, CORS Vary re-merge, removals, timeout stop) runs in one shared
  // writeHead installed on the raw response, with this request's State on a symbol field: no closure per request, and
  // no onSend hook run per request.
  const needHead =
    headers !== undefined ||
    hasRate ||
    responseTime ||
    removeHeaders.length > 0 ||
    cors !== undefined ||
    timeoutMs !== undefined;
  // work on the raw response (the patched head, the log line's 'close' listener)
  const needState = needHead || logger !== undefined;
  const healthLower = [...healthPaths].map((p) => p.toLowerCase());
  const shared: PluginShared = {
    responseTime,
    idName: idHeader === undefined ? '' : idHeader.toLowerCase(),
    removeLower: removeHeaders.map((n) => n.toLowerCase()),
    timeouts: timeoutMs === undefined ? undefined : new DeadlineQueue(timeoutMs),
    rate: hasRate ? rate : undefined,
    context,
    logger,
    // request.routeOptions builds a fresh object on every read: only read it for a URL that can be a health route
    isHealthRoute: (request) =>
      healthPaths.size > 0 && mayBeHealth(request.url, healthLower) && healthPaths.has(request.routeOptions.url ?? ''),
    onTimeout(st: State): void {
      const { request, reply } = st;
      if (reply.sent || reply.raw.headersSent || request.raw.destroyed) return;
      const err = requestTimedOut(timeoutMs!);
      st.timedOut = true;
      st.ac?.abort(err);
      sendProblem(reply, problemForError(err, problemCtx(request)));
    },
  };
  // A request whose client went away before any head was written leaves the queue in the log line's 'close' listener
  // when logging is on; otherwise it stays queued until its deadline, then leaves without answering (the timeout
  // callback checks request.raw.destroyed), as a timer per request did. No onRequestAbort hook for it: Fastify would
  // add a 'close' listener to every request.

  const onRequest: onRequestHookHandler = function orgOnRequest(request, reply, done) {
    const t0 = now();
    // the State backs request.requestId/clientIp/timedOut (see stateAccessors), so every request has one
    const st = new State(request, reply, shared);
    st.t0 = t0;
    st.done = done;
    (request as RequestWithState)[kState] = st;
    st.clientIp = clientIp(peerAddress(request.raw.socket), request.headers['x-forwarded-for'], trust);
    if (idHeader !== undefined) {
      const id = resolveRequestId(request.headers[idHeader], generateId!);
      st.requestId = id;
      // ours and accepted incoming ids are header-safe: sent as a ready head line when the head is patched below;
      // a custom generator's ids go through reply.header (Node checks them)
      if (!needHead || generateId !== randomId) reply.header(idHeader, id);
      else st.id = id;
    }
    if (!needState) {
      // nothing of ours in the head and no log line: the State only holds the request's fields
      if (context !== undefined && st.requestId !== '') context({ requestId: st.requestId }, done);
      else done();
      return;
    }
    const raw = reply.raw as RawWithState;
    raw[kHead] = st;
    if (needHead) {
      st.writeHead = raw.writeHead as (...a: unknown[]) => unknown;
      raw.writeHead = patchedWriteHead as typeof raw.writeHead;
    }
    // the log line is written when the response closes (finished, or the client went away): one listener of a
    // shared function (Fastify's onResponse hook would add two listeners and a closure per request)
    if (logger !== undefined) raw.on('close', onRawClose);

    if (headers !== undefined) {
      let list = staticHeaders;
      if (useNonce) {
        const nonce = randomNonce();
        reply.cspNonce = nonce;
        list = new HeadLines(headers.forRequest!({ nonce }));
      }
      st.secure = list;
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
          if (v.vary.length > 0) st.vary = v.vary;
          if (applyCors(reply, v)) st.afterCors(); // else: answered here, the chain stops
        }, done);
        return;
      }
      if ((r as CorsResultLike).vary.length > 0) st.vary = (r as CorsResultLike).vary;
      if (!applyCors(reply, r as CorsResultLike)) return; // preflight answered here, the chain stops
    }
    st.afterCors();
  };
  app.addHook('onRequest', onRequest);

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
