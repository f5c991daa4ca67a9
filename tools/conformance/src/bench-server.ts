// One server process for bench:http: `tsx src/bench-server.ts <framework> <bare|ours|rival|floor>`; prints its port.
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
import { cors, securityHeaders } from '@org/headers';
import * as orgHono from '@org/hono';
import { createLogger } from '@org/logger';
import { fdSink } from '@org/logger/node';
import { createMetrics } from '@org/metrics';
import { memoryStore, rateLimiter } from '@org/ratelimit';
import express from 'express';
import fastify from 'fastify';
import { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import { Registry } from 'prom-client';

const [framework, variant] = process.argv.slice(2) as [string, string];

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
    // BENCH_METRICS=prom|otel: the metrics option, on a prom-client Registry or an OpenTelemetry Meter (read hourly
    // into the SDK's in-memory exporter: the instruments aggregate as under any reader)
    ...(process.env.BENCH_METRICS === 'prom'
      ? { metrics: createMetrics({ registry: new Registry() }) }
      : process.env.BENCH_METRICS === 'otel'
        ? { metrics: createMetrics({ meter: otelMeter() }) }
        : {}),
  };
};

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

/** pino.destination to /dev/null, from the pino that Fastify itself depends on. */
async function pinoDevNull(): Promise<{ write(s: string): void }> {
  const { createRequire } = await import('node:module');
  const pino = createRequire(createRequire(import.meta.url).resolve('fastify'))('pino') as {
    destination(o: { dest: string; minLength: number; sync: boolean }): { write(s: string): void };
  };
  return pino.destination({ dest: '/dev/null', minLength: 4096, sync: false });
}

async function main(): Promise<number> {
  if (framework === 'express') {
    const app = express();
    if (variant === 'ours') {
      const h = orgExpress.hardening(ours());
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
        app.use(helmet());
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
    // BENCH_RIVAL_LOG=1 (with `rival`): Fastify's own request logging, pino (the one Fastify depends on) to /dev/null
    // through pino.destination with minLength 4096, as our log goes through fdSink. Fastify writes two lines a request
    // ("incoming request", "request completed"), as its users get by default.
    const rivalLog = variant === 'rival' && process.env.BENCH_RIVAL_LOG === '1';
    const app = rivalLog ? fastify({ logger: { stream: await pinoDevNull() } }) : fastify({ logger: false });
    // BENCH_FASTIFY_DIST=<path of another build of @org/fastify's dist/index.js>: A/B of two code versions in one run
    const plugin = process.env.BENCH_FASTIFY_DIST
      ? ((await import(process.env.BENCH_FASTIFY_DIST)) as typeof orgFastify)
      : orgFastify;
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
      await app.register((await import('@fastify/rate-limit')).default, { max: LIMIT, timeWindow: 60_000 });
    }
    app.get('/', async () => ({ hello: 'world' }));
    await app.listen({ port: 0, host: '127.0.0.1' });
    return (app.server.address() as AddressInfo).port;
  }
  const app = new Hono();
  if (variant === 'ours') app.use(orgHono.hardening(ours()));
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
