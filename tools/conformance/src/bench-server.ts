// One server process for bench:http: `tsx src/bench-server.ts <framework> <bare|ours|rival|floor>`; prints its port.
//
// `rival` is the same feature set as `ours` assembled from each framework's usual packages, so the two do comparable
// work: security headers, CORS, rate limiting, request id, X-Response-Time and one request log line of the same
// fields to the same sink (pino to /dev/null through pino.destination with minLength 4096, as ours goes through
// fdSink with minLength 4096); Hono's also has hono/timeout. BENCH_RIVAL=min gives the older, smaller rival (security
// headers and rate limiting only, no log line, no request id, no X-Response-Time, no CORS) for comparison with earlier
// figures.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import * as orgExpress from '@org/express';
import * as orgFastify from '@org/fastify';
import { cors, crossOriginProtection, securityHeaders } from '@org/headers';
import * as orgHono from '@org/hono';
import { createLogger } from '@org/logger';
import { fdSink } from '@org/logger/node';
import { createMetrics } from '@org/metrics';
import { memoryStore, rateLimiter } from '@org/ratelimit';
import express from 'express';
import fastify, { LogController } from 'fastify';
import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import pino from 'pino';
import { Registry } from 'prom-client';

const [framework, variant] = process.argv.slice(2) as [string, string];

/**
 * BENCH_DIST=<path of another build of the adapter's dist/index.js> (or BENCH_DIST_EXPRESS / _FASTIFY / _HONO, for one
 * framework only; BENCH_FASTIFY_DIST is the older name of BENCH_DIST_FASTIFY): `ours` runs that build instead of the
 * workspace's, for an A/B of two code versions in one bench:http run, e.g.
 * ONLY=express EXTRA='before:BENCH_DIST=/work/main/packages/express/.tmp/before/index.js' (the copy inside the package,
 * so its imports resolve).
 */
async function adapter<T>(own: T): Promise<T> {
  const env = process.env;
  const dist =
    env[`BENCH_DIST_${framework.toUpperCase()}`] ??
    (framework === 'fastify' ? env.BENCH_FASTIFY_DIST : undefined) ??
    env.BENCH_DIST;
  return dist ? ((await import(dist)) as T) : own;
}

const otelMeter = () =>
  new MeterProvider({
    readers: [
      new PeriodicExportingMetricReader({
        exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
        exportIntervalMillis: 3_600_000,
      }),
    ],
  }).getMeter('bench');
const LIMIT = 1_000_000_000; // never reached: every request is counted, none is refused

// The request log goes to /dev/null through fdSink with minLength 4096 (one write per 4 KiB of lines, or after
// flushIntervalMs 100, and on exit: the setting a busy service uses). BENCH_SINK=noop|sync4k|async for comparisons.
const benchSink = () =>
  process.env.BENCH_SINK === 'noop'
    ? { write: (_line: string) => {} }
    : process.env.BENCH_SINK === 'sync4k'
      ? fdSink({ dest: '/dev/null', sync: true, minLength: 4096 })
      : process.env.BENCH_SINK === 'async'
        ? fdSink({ dest: '/dev/null' })
        : fdSink({ dest: '/dev/null', minLength: 4096 });

// our full stack: headers + CORS + rate limit (memory) + request log + request id (+ response time, body limit, timeout)
const ours = () => {
  // BENCH_DROP=a,b (or a+b, which fits in bench:http's EXTRA) leaves parts out (headers, cors, rate, log, id, time,
  // body, timeout): for finding costs
  const drop = new Set((process.env.BENCH_DROP ?? '').split(/[,+]/));
  const add = new Set((process.env.BENCH_ADD ?? '').split(/[,+]/));
  return {
    ...(drop.has('headers') ? {} : { headers: securityHeaders({ preset: 'helmet' }) }),
    ...(drop.has('cors') ? {} : { cors: cors({ origin: 'https://app.example' }) }),
    ...(drop.has('rate')
      ? {}
      : { rateLimit: rateLimiter({ name: 'api', limit: LIMIT, windowMs: 60_000, store: memoryStore() }) }),
    // BENCH_LOG_LEVEL=warn keeps the request log's work in the adapter but makes the logger's info() a no-op
    ...(drop.has('log')
      ? {}
      : { logger: createLogger({ sink: benchSink(), level: (process.env.BENCH_LOG_LEVEL ?? 'info') as 'info' }) }),
    ...(drop.has('id') ? { requestId: false as const } : {}),
    ...(drop.has('time') ? { responseTime: false } : {}),
    ...(drop.has('body') ? { bodyLimit: false as const } : {}),
    ...(drop.has('timeout') ? { timeoutMs: false as const } : {}),
    // BENCH_ADD=ipfilter+csrf adds options the full stack leaves off: for what they cost when configured
    ...(add.has('ipfilter') ? { ipFilter: { deny: BENCH_DENY } } : {}),
    ...(add.has('csrf') ? { csrf: crossOriginProtection({ trustedOrigins: ['https://app.example'] }) } : {}),
    // BENCH_METRICS=prom|otel: the metrics option, on a prom-client Registry or an OpenTelemetry Meter (read hourly
    // into the SDK's in-memory exporter: the instruments aggregate as under any reader)
    ...(process.env.BENCH_METRICS === 'prom'
      ? { metrics: createMetrics({ registry: new Registry() }) }
      : process.env.BENCH_METRICS === 'otel'
        ? { metrics: createMetrics({ meter: otelMeter() }) }
        : {}),
  };
};

/** A deny list of 16 ranges (IPv4 and IPv6) none of which holds the load generator's 127.0.0.1. */
const BENCH_DENY = Array.from({ length: 8 }, (_, i) => [`10.${i}.0.0/16`, `2001:db8:${i}::/48`]).flat();

/**
 * The `floor` variant's headers: the same response headers as our full stack sends on GET /, as constants (lower-case
 * names). Each framework's floor adds them the cheapest public way it has, with no logic and no log line: what the
 * headers alone cost.
 */
const floorHeaders = (): Record<string, string> => ({
  ...Object.fromEntries(securityHeaders({ preset: 'helmet' }).entries.map(([k, v]) => [k.toLowerCase(), v])),
  'ratelimit-policy': `"api";q=${LIMIT};w=60`,
  ratelimit: `"api";r=${LIMIT - 1};t=1`,
  'x-request-id': '9e5754c0-4db7-4ebb-b8fe-37e57a916b0b',
  'x-response-time': '0.123ms',
  vary: 'Origin',
});

const rivalMin = process.env.BENCH_RIVAL === 'min';
const CORS_ORIGIN = 'https://app.example';
const TIMEOUT_MS = 30_000; // ours' default

/**
 * The rivals' log sink: pino.destination to /dev/null, minLength 4096 (ours: fdSink, minLength 4096).
 * BENCH_RIVAL_SINK=<file> writes the lines there instead, to see them.
 */
const pinoDevNull = () =>
  pino.destination({ dest: process.env.BENCH_RIVAL_SINK ?? '/dev/null', minLength: 4096, sync: false });

/** The rivals' request id: the incoming X-Request-Id, else a random UUID (what their documentation shows). */
const rivalId = (incoming: string | string[] | undefined): string =>
  typeof incoming === 'string' && incoming !== '' ? incoming : randomUUID();

/** X-Response-Time as ours writes it (ms, three decimals). */
const msHeader = (ms: number): string => `${ms.toFixed(3)}ms`;

async function main(): Promise<number> {
  if (framework === 'express') {
    const app = express();
    if (variant === 'ours') {
      const h = (await adapter(orgExpress)).hardening(ours());
      app.use(h);
      app.get('/', (_req, res) => {
        res.json({ hello: 'world' });
      });
      app.use(h.errorHandler);
    } else if (variant === 'floor') {
      // one middleware, a setHeader per header (Express's own res.set() does more per header); X-Powered-By off
      const h = Object.entries(floorHeaders());
      app.disable('x-powered-by');
      app.use((_req, res, next) => {
        for (let i = 0; i < h.length; i++) res.setHeader(h[i]![0], h[i]![1]);
        next();
      });
      app.get('/', (_req, res) => {
        res.json({ hello: 'world' });
      });
    } else {
      if (variant === 'rival') {
        const { default: helmet } = await import('helmet');
        const { rateLimit } = await import('express-rate-limit');
        if (!rivalMin) {
          const { default: responseTime } = await import('response-time');
          const { pinoHttp } = await import('pino-http');
          const { default: corsMw } = await import('cors');
          // first, so it times the whole stack as ours does
          app.use(responseTime({ digits: 3 }));
          app.use(
            pinoHttp({
              logger: pino(pinoDevNull()),
              genReqId(req, res) {
                const id = rivalId(req.headers['x-request-id']);
                res.setHeader('x-request-id', id);
                return id;
              },
              // ours' fields: requestId, method, path, status, durationMs, ip
              serializers: {
                req: (req: { id: unknown; method: string; url: string; remoteAddress: string }) => ({
                  requestId: req.id,
                  method: req.method,
                  path: req.url,
                  ip: req.remoteAddress,
                }),
                res: (res: { statusCode: number }) => ({ status: res.statusCode }),
              },
              customSuccessMessage: () => 'request completed',
            }),
          );
          app.use(helmet());
          app.use(corsMw({ origin: CORS_ORIGIN }));
        } else app.use(helmet());
        app.use(rateLimit({ windowMs: 60_000, limit: LIMIT, standardHeaders: 'draft-8', legacyHeaders: false }));
      }
      app.get('/', (_req, res) => {
        res.json({ hello: 'world' });
      });
    }
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    return (server.address() as AddressInfo).port;
  }
  if (framework === 'fastify') {
    // The rival logs through Fastify's own logger (its pino) to the same sink; Fastify's two default lines a request
    // ("incoming request", "request completed") are off for one line of ours' fields from an onResponse hook.
    // BENCH_RIVAL_LOG=1 keeps Fastify's default two lines instead.
    const rivalLog = variant === 'rival' && !rivalMin;
    const app = rivalLog
      ? fastify({
          logger: { stream: pinoDevNull() },
          logController: new LogController({ disableRequestLogging: process.env.BENCH_RIVAL_LOG !== '1' }),
          requestIdHeader: 'x-request-id',
          genReqId: (req) => rivalId(req.headers['x-request-id']),
        })
      : fastify({ logger: false });
    const plugin = await adapter(orgFastify);
    if (variant === 'ours') await app.register(plugin.hardening, ours());
    if (variant === 'floor') {
      // one onRequest hook putting them in Fastify's own header record
      const h = floorHeaders();
      app.addHook('onRequest', (_req, reply, done) => {
        reply.headers(h);
        done();
      });
    }
    if (variant === 'rival') {
      await app.register((await import('@fastify/helmet')).default);
      if (rivalLog) {
        await app.register((await import('@fastify/cors')).default, { origin: CORS_ORIGIN });
        app.addHook('onSend', (request, reply, payload, done) => {
          reply.header('x-request-id', request.id);
          reply.header('x-response-time', msHeader(reply.elapsedTime));
          done(null, payload);
        });
        if (process.env.BENCH_RIVAL_LOG !== '1')
          app.addHook('onResponse', (request, reply, done) => {
            request.log.info(
              {
                method: request.method,
                path: request.url,
                status: reply.statusCode,
                durationMs: reply.elapsedTime,
                ip: request.ip,
              },
              'request completed',
            );
            done();
          });
      }
      await app.register((await import('@fastify/rate-limit')).default, { max: LIMIT, timeWindow: 60_000 });
    }
    app.get('/', async () => ({ hello: 'world' }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    return (app.server.address() as AddressInfo).port;
  }
  const app = new Hono();
  if (variant === 'ours') app.use((await adapter(orgHono)).hardening(ours()));
  // one middleware setting them on the Node response (@hono/node-server's c.env.outgoing), the cheapest public way
  // measured: putting them in the route's Response makes Hono and node-server build a Fetch Headers object
  if (variant === 'floor') {
    const h = Object.entries(floorHeaders());
    app.use(async (c, next) => {
      const out = (c.env as { outgoing: { setHeader(n: string, v: string): void } }).outgoing;
      for (let i = 0; i < h.length; i++) out.setHeader(h[i]![0], h[i]![1]);
      await next();
    });
  }
  if (variant === 'rival' && !rivalMin) {
    const { requestId } = await import('hono/request-id');
    const { cors: honoCors } = await import('hono/cors');
    const { timeout } = await import('hono/timeout');
    const { rateLimiter: honoRateLimiter } = await import('hono-rate-limiter');
    const { getConnInfo } = await import('@hono/node-server/conninfo');
    const log = pino(pinoDevNull());
    // first, so it times the whole stack as ours does; one line of ours' fields
    app.use(async (c, next) => {
      const t0 = performance.now();
      await next();
      const ms = performance.now() - t0;
      c.res.headers.set('x-response-time', msHeader(ms));
      log.info(
        {
          requestId: c.get('requestId'),
          method: c.req.method,
          path: c.req.path,
          status: c.res.status,
          durationMs: ms,
          ip: getConnInfo(c).remote.address,
        },
        'request completed',
      );
    });
    app.use(requestId({ generator: () => randomUUID() }));
    app.use(timeout(TIMEOUT_MS));
    app.use(honoCors({ origin: CORS_ORIGIN }));
    app.use(
      honoRateLimiter({
        windowMs: 60_000,
        limit: LIMIT,
        standardHeaders: 'draft-7',
        keyGenerator: (c) => getConnInfo(c).remote.address ?? '',
      }),
    );
  }
  // Hono's defaults are helmet's set minus CSP: give it helmet's default CSP too, so both sides send the same
  // security headers (the comparison is of the middleware, not of the payload).
  if (variant === 'rival')
    app.use(
      secureHeaders({
        contentSecurityPolicy: {
          defaultSrc: ["'self'"],
          baseUri: ["'self'"],
          fontSrc: ["'self'", 'https:', 'data:'],
          formAction: ["'self'"],
          frameAncestors: ["'self'"],
          imgSrc: ["'self'", 'data:'],
          objectSrc: ["'none'"],
          scriptSrc: ["'self'"],
          scriptSrcAttr: ["'none'"],
          styleSrc: ["'self'", 'https:', "'unsafe-inline'"],
          upgradeInsecureRequests: [],
        },
      }),
    );
  app.get('/', (c) => c.json({ hello: 'world' }));
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  if (!server.listening) await new Promise((r) => server.once('listening', r));
  return (server.address() as AddressInfo).port;
}

main().then(
  (port) => process.stdout.write(`PORT ${port}\n`),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);

// exit cleanly on SIGINT/SIGTERM (lets `node --cpu-prof` write its profile)
for (const s of ['SIGINT', 'SIGTERM'] as const) process.on(s, () => process.exit(0));
