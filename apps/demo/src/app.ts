// The demo service: every @org package wired into one small Fastify app.
import { join } from 'node:path';
import { breakerRegistry, isCircuitOpenError } from '@org/breaker';
import { createCipher, createKeyring, type Keyring, type KeyStore, postgresKeyStore, redisKeyStore } from '@org/crypto';
import { fileKeyStore, secureStorage } from '@org/crypto/node';
import { hardening, validate } from '@org/fastify';
import { cors, crossOriginProtection, securityHeaders } from '@org/headers';
import { createHealth, pingCheck } from '@org/health';
import { eventLoopDelayCheck, httpCheck, memoryCheck } from '@org/health/node';
import { createLogger, type Logger, withContext } from '@org/logger';
import { fdSink } from '@org/logger/node';
import { createMetrics } from '@org/metrics';
import { memoryStore, type RateLimiter, rateLimiter, redisStore } from '@org/ratelimit';
import { retryPolicy } from '@org/retry';
import Fastify, { type FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import pg from 'pg';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { Agent, request } from 'undici';
import { z } from 'zod';
import { dashboardRecorder } from './dashboard/recorder.js';
import { DASHBOARD_STATE_PATH, registerDashboard } from './dashboard/routes.js';
import { type FlakyUpstream, startFlakyUpstream, type UpstreamMode } from './upstream.js';

/** Everything the demo can be configured with (see `configFromEnv`). */
export interface DemoConfig {
  /** Port to listen on; 0 picks a free one. */
  port: number;
  /** Address to listen on. */
  host: string;
  /** Where the encrypted notes and the key file live. */
  dataDir: string;
  /**
   * Key-encryption key (base64, 32 bytes) of the keyring; without it the key file is stored in the clear. Required when
   * the keyring is shared (`databaseUrl` or `redisUrl`).
   */
  kek?: string | undefined;
  /** PostgreSQL for a keyring shared by every instance (`postgresKeyStore`); takes precedence over `redisUrl`. */
  databaseUrl?: string | undefined;
  /** Name of the shared keyring: its row in PostgreSQL, or the Redis key `<name>:keyring`. */
  keyringName: string;
  /** Rotate the primary note key after this long. */
  keyRotateMs: number;
  /** Redis for the rate limiter, a readiness check and (without `databaseUrl`) the shared keyring; memory when unset. */
  redisUrl?: string | undefined;
  /** Key prefix of the rate-limit state in Redis. */
  redisPrefix: string;
  /** Requests per window and client IP. */
  rateLimit: number;
  /** Rate-limit window. */
  rateWindowMs: number;
  /** How long the upstream circuit stays open. */
  breakerOpenMs: number;
  /** The flaky upstream alternates up/down on its own with this period; 0 = stays in the mode it is set to. */
  upstreamCycleMs: number;
  /** Origins allowed by CORS; also the only other sites whose unsafe requests the CSRF guard lets through. */
  corsOrigins: string[];
  /** Proxies allowed to set X-Forwarded-For (`trustProxy`: addresses, CIDRs, `loopback`, ...); none when empty. */
  trustProxy: string[];
  /** Log level. */
  logLevel: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';
}

/** Reads the configuration from environment variables, with embedded defaults. */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): DemoConfig {
  const int = (name: string, def: number, min: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return def;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new RangeError(`demo: ${name} must be an integer >= ${min}, got ${raw}`);
    return n;
  };
  const level = env.LOG_LEVEL ?? 'info';
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal'].includes(level))
    throw new RangeError(`demo: LOG_LEVEL must be one of trace, debug, info, warn, error, fatal, got ${level}`);
  return {
    port: int('PORT', 3000, 0),
    host: env.HOST || '127.0.0.1',
    dataDir: env.DATA_DIR || join(import.meta.dirname, '..', '.data'),
    kek: env.APP_KEK || undefined,
    databaseUrl: env.DATABASE_URL || undefined,
    keyringName: env.KEYRING_NAME || 'demo',
    keyRotateMs: int('KEY_ROTATE_MS', 600_000, 1),
    redisUrl: env.REDIS_URL || undefined,
    redisPrefix: env.RATE_LIMIT_PREFIX || 'demo:rl:',
    rateLimit: int('RATE_LIMIT', 100, 1),
    rateWindowMs: int('RATE_WINDOW_MS', 60_000, 1),
    breakerOpenMs: int('BREAKER_OPEN_MS', 5_000, 1),
    upstreamCycleMs: int('UPSTREAM_CYCLE_MS', 20_000, 0),
    corsOrigins: (env.CORS_ORIGINS || 'http://localhost:5173')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    trustProxy: (env.TRUST_PROXY || '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    logLevel: level as DemoConfig['logLevel'],
  };
}

/** A running demo. */
export interface Demo {
  app: FastifyInstance;
  /** Base URL of the demo. */
  url: string;
  /** The demo's own flaky upstream. */
  upstream: FlakyUpstream;
  health: ReturnType<typeof createHealth>;
  logger: Logger;
  /** Stops the upstream cycle, the server, the upstream, Redis; idempotent. */
  close(): Promise<void>;
}

const MODES: readonly UpstreamMode[] = ['up', 'down', 'flaky', 'slow'];
const NOTE_ID = /^[A-Za-z0-9_-]{1,64}$/;

const withSignal = (signal: AbortSignal | null): { signal?: AbortSignal } => (signal ? { signal } : {});

function httpError(statusCode: number, message: string): Error {
  return Object.assign(new Error(message), { statusCode });
}

/** Builds and starts the demo (server listening, upstream running). */
export async function buildDemo(config: DemoConfig): Promise<Demo> {
  const logger = createLogger({ name: 'demo', level: config.logLevel, sink: fdSink() });
  const upstream = await startFlakyUpstream({ mode: 'up' });
  const agent = new Agent({ keepAliveTimeout: 10_000, connections: 16 });
  const redis = config.redisUrl
    ? new Redis(config.redisUrl, {
        enableOfflineQueue: false,
        maxRetriesPerRequest: 1,
        connectTimeout: 2_000,
        lazyConnect: true,
      })
    : undefined;
  redis?.on('error', (err) => logger.warn({ err: err.message }, 'redis error'));
  // Connected before the keyring loads from it (the client queues nothing while offline).
  if (redis && !config.databaseUrl) await redis.connect();
  else redis?.connect().catch(() => undefined);
  const pool = config.databaseUrl
    ? new pg.Pool({ connectionString: config.databaseUrl, max: 2, connectionTimeoutMillis: 2_000 })
    : undefined;
  pool?.on('error', (err) => logger.warn({ err: err.message }, 'postgres error'));

  // --- the upstream cycle: up for cycleMs, down for cycleMs / 2, until someone sets a mode by hand
  let cycle: NodeJS.Timeout | undefined;
  const stopCycle = () => {
    if (cycle) clearTimeout(cycle);
    cycle = undefined;
  };
  if (config.upstreamCycleMs > 0) {
    const period = config.upstreamCycleMs;
    const flip = () => {
      upstream.mode = upstream.mode === 'down' ? 'up' : 'down';
      logger.info({ mode: upstream.mode }, 'upstream cycled');
      cycle = setTimeout(flip, upstream.mode === 'down' ? period / 2 : period);
      cycle.unref();
    };
    cycle = setTimeout(flip, period);
    cycle.unref();
  }

  // --- notes encrypted at rest; the rotating keyring in a file, or shared by every instance (PostgreSQL or Redis)
  if ((pool || redis) && !config.kek)
    throw new TypeError(
      'demo: APP_KEK (32 bytes, base64) is required to share the keyring through DATABASE_URL or REDIS_URL',
    );
  const keyStore: KeyStore = pool
    ? postgresKeyStore({ query: (text, params) => pool.query(text, params), kek: config.kek, name: config.keyringName })
    : redis
      ? redisKeyStore({
          send: (args) => redis.call(args[0]!, ...args.slice(1)),
          kek: config.kek,
          key: `${config.keyringName}:keyring`,
        })
      : fileKeyStore(join(config.dataDir, 'keys.json'), config.kek ? { kek: config.kek } : {});
  const keyring: Keyring = await createKeyring({ store: keyStore, rotateAfterMs: config.keyRotateMs });
  keyring.on('rotate', (e) => logger.info({ ...e }, 'note key rotated'));
  if (!config.kek) logger.warn({ dataDir: config.dataDir }, 'APP_KEK is not set: the key file is stored in the clear');
  const cipher = createCipher({ keyring });
  const notes = secureStorage({ dir: join(config.dataDir, 'notes'), cipher });

  // --- metrics: @org/metrics on a prom-client registry (request metrics come from the adapter's `metrics` option)
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = createMetrics({ registry });

  // --- the upstream call: retry around a circuit breaker
  // one registry holds the service's breakers (one today): shared defaults, per-name options, one subscription, one
  // readiness check (open → warn, isolated → fail) and one metrics source for all of them
  const breakers = breakerRegistry({
    defaults: { timeoutMs: 1_500 },
    breakers: { upstream: { consecutiveFailures: 3, openMs: config.breakerOpenMs } },
  });
  const breaker = breakers.get('upstream');
  breakers.on('stateChange', (e) =>
    logger.warn({ breaker: e.name, from: e.from, to: e.to, reason: e.reason }, 'circuit'),
  );
  metrics.observeBreakers(breakers);
  const upstreamPolicy = retryPolicy({
    attempts: 3,
    backoff: { type: 'exponential', initialMs: 50, maxMs: 400, jitter: 'full' },
    maxElapsedMs: 4_000,
    // an open circuit answers at once (503 + Retry-After) instead of waiting for it here
    retryOn: (o) => 'error' in o && !isCircuitOpenError(o.error),
    onRetry: ({ attempt, delayMs }) => logger.debug({ attempt, delayMs }, 'upstream retry'),
  });
  // the dashboard's record of the breaker's transitions, each call's attempts and the key rotations
  const recorder = dashboardRecorder({ breaker, keyring });
  const fetchQuote = (signal?: AbortSignal): Promise<unknown> =>
    recorder.trackCall((attempt) =>
      upstreamPolicy.execute(
        ({ attempt: n, signal: attemptSignal }) =>
          attempt(n, () =>
            breaker.execute(async (s) => {
              const res = await request(`${upstream.url}/quote`, { dispatcher: agent, signal: s ?? null });
              if (res.statusCode !== 200) {
                await res.body.dump();
                throw httpError(502, `upstream answered ${res.statusCode}`);
              }
              return res.body.json();
            }, attemptSignal),
          ),
        signal,
      ),
    );

  // --- rate limiting
  const limiter: RateLimiter = rateLimiter({
    name: 'api',
    limit: config.rateLimit,
    windowMs: config.rateWindowMs,
    store: redis
      ? redisStore({ send: (args) => redis.call(args[0] as string, ...args.slice(1)), prefix: config.redisPrefix })
      : memoryStore(),
    onStoreError: 'allow',
    timeoutMs: 200,
  });
  limiter.on('storeError', (e) => logger.warn({ err: String(e.error), mode: e.mode }, 'rate-limit store error'));
  metrics.observeLimiter(limiter);

  // --- health
  const health = createHealth({ service: { id: 'org-demo', version: '0.0.0' }, timeoutMs: 1_000 });
  health.check(
    httpCheck({ name: 'upstream:responseTime', url: `${upstream.url}/quote`, critical: false, dispatcher: agent }),
  );
  health.check(breakers.healthCheck());
  health.check(eventLoopDelayCheck());
  health.check(memoryCheck());
  if (redis)
    health.check(pingCheck({ name: 'redis:responseTime', ping: () => redis.ping(), expect: (r) => r === 'PONG' }));
  metrics.observeHealth(health);

  // --- the app
  const app = Fastify({ logger: false });
  await app.register(hardening, {
    headers: securityHeaders({ preset: 'helmet', contentSecurityPolicy: { nonce: true } }),
    cors: cors({
      origin: config.corsOrigins,
      methods: ['GET', 'POST'],
      allowedHeaders: ['content-type', 'x-request-id'],
    }),
    rateLimit: {
      limiter,
      skip: (req) => req.url === '/metrics' || req.url.startsWith('/admin/') || req.url === DASHBOARD_STATE_PATH,
    },
    logger,
    context: withContext,
    health,
    bodyLimit: '256kb',
    timeoutMs: 10_000,
    // unsafe cross-site requests (a page elsewhere posting to /admin/upstream or /notes) get 403 ERR_CROSS_ORIGIN_REQUEST
    csrf: crossOriginProtection({ trustedOrigins: config.corsOrigins }),
    trustProxy: config.trustProxy.length > 0 ? config.trustProxy : false,
    metrics,
  });

  // the home page is a live dashboard (src/dashboard)
  registerDashboard(app, { breaker, keyring, rotateAfterMs: config.keyRotateMs, limiter, health, upstream, recorder });

  // Standard Schema validation (@org/fastify's validate, zod here): 400 problem+json listing the issues otherwise
  const NewNote = z.strictObject({ title: z.string().min(1).max(200), body: z.string().max(100_000) });
  app.post('/notes', { preHandler: validate({ body: NewNote }) }, async (req, reply) => {
    const { title, body } = req.body;
    const id = await notes.put(title, body, {}, withSignal(req.timeoutSignal));
    const info = await notes.info(id);
    return reply.code(201).header('location', `/notes/${id}`).send({ id, title, createdAt: info.createdAt });
  });

  app.get('/notes', async (req) => {
    const { files, unreadable } = await notes.list(withSignal(req.timeoutSignal));
    files.sort((a, b) => a.createdAt - b.createdAt);
    // One damaged note file must not hide the others: list what reads, name what does not (details stay in the log).
    for (const u of unreadable) logger.warn({ id: u.id, err: u.error.message }, 'unreadable note');
    return {
      notes: files.map((n) => ({ id: n.id, title: n.name, size: n.size, createdAt: n.createdAt })),
      unreadable: unreadable.map((u) => ({ id: u.id, error: String((u.error as { code?: unknown }).code ?? 'ERROR') })),
    };
  });

  app.get<{ Params: { id: string } }>('/notes/:id', async (req) => {
    const { id } = req.params;
    if (!NOTE_ID.test(id)) throw httpError(404, 'no such note');
    try {
      const n = await notes.get(id, withSignal(req.timeoutSignal));
      return { id: n.id, title: n.name, body: new TextDecoder().decode(n.data), createdAt: n.createdAt };
    } catch (e) {
      if ((e as { code?: unknown }).code === 'ERR_STORAGE_NOT_FOUND') throw httpError(404, 'no such note');
      throw e;
    }
  });

  app.get('/quote', async (req) => ({
    quote: await fetchQuote(req.timeoutSignal ?? undefined),
    breaker: breaker.state,
  }));

  app.get('/metrics', async (_req, reply) => reply.type(registry.contentType).send(await registry.metrics()));

  // admin routes answer clients on this machine only (by the trusted client address): others get 403 ERR_IP_DENIED
  const adminOnly = { config: { ipFilter: { allow: ['loopback'] } } };
  app.post<{ Querystring: { mode?: string } }>('/admin/upstream', adminOnly, async (req) => {
    const mode = req.query.mode as UpstreamMode;
    if (!MODES.includes(mode))
      throw httpError(400, `mode must be one of ${MODES.join(', ')}, got ${String(req.query.mode)}`);
    stopCycle();
    upstream.mode = mode;
    logger.info({ mode }, 'upstream mode set by hand (cycling stopped)');
    return { mode, breaker: breaker.state };
  });
  app.post('/admin/rotate-key', adminOnly, async () => {
    const previous = keyring.primaryId;
    const key = await keyring.rotate();
    return { previous, primary: key.id };
  });

  await app.listen({ port: config.port, host: config.host });
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      stopCycle();
      recorder.close();
      await app.close();
      await upstream.close();
      await agent.close();
      if (redis) await redis.quit().catch(() => redis.disconnect());
      await pool?.end().catch(() => undefined);
      await logger.flush();
    })();
    return closing;
  };
  return { app, url, upstream, health, logger, close };
}
