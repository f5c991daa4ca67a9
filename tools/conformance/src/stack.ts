// The real core-package instances the conformance apps are hardened with (the adapters only get them handed over).
// No `node:` import: the same stack runs on Node, Bun, Deno and workerd.
import { circuitBreaker } from '@org/breaker';
import { cors, securityHeaders } from '@org/headers';
import { createHealth, type Health } from '@org/health';
import { consoleSink, createLogger, type Logger } from '@org/logger';
import { ipKey, memoryStore, type RateLimiter, rateLimiter } from '@org/ratelimit';

export const ALLOWED_ORIGIN = 'https://app.example';
export const RATE_LIMIT = 5;
export const TIMEOUT_MS = 300;
export const BODY_LIMIT = 1024 * 1024;
/** How long after the timeout answer a /late route writes its own answer. */
export const LATE_MS = TIMEOUT_MS + 300;

/** The options every adapter accepts, built from real instances (the key/skip callbacks are not used here). */
export interface StackOptions {
  headers: ReturnType<typeof securityHeaders>;
  cors: ReturnType<typeof cors>;
  rateLimit: RateLimiter;
  logger: Logger;
  health: Health;
  bodyLimit: number;
  timeoutMs: number;
  trustProxy: 'loopback';
}

/** What the routes need besides the stack. */
export interface AppDeps {
  /** Throws the error a real open circuit throws. */
  callOpenCircuit: () => Promise<unknown>;
  /** How long /slow waits (longer than the timeout). */
  slowMs: number;
  /** How long /work takes (shorter than the timeout, used by the shutdown test). */
  workMs: number;
  /** Flips the critical readiness check (POST /__control/dependency/up|down). */
  setDependencyUp(up: boolean): void;
  /** Forgets the rate-limit state of a client address, keyed as @org/ratelimit's `ipKey` keys it. */
  resetClient(ip: string): Promise<void>;
}

export interface Stack {
  options: StackOptions;
  deps: AppDeps;
}

/** Builds a fresh stack (own limiter state) whose log lines go to the console, one JSON line each. */
export function buildStack(over: { timeoutMs?: number; workMs?: number } = {}): Stack {
  let dependencyUp = true;
  const health = createHealth({ service: { id: 'conformance', version: '1.0.0' }, cacheMs: 0 });
  health.check({ name: 'dependency', probes: ['readiness'], critical: true, run: () => dependencyUp });
  // a real circuit, opened by one real failure: what an open circuit throws, with its real retryAfterMs
  const breaker = circuitBreaker({ name: 'upstream', consecutiveFailures: 1, openMs: 30_000 });
  const tripped = breaker.execute(async () => {
    throw new Error('upstream down');
  });
  tripped.catch(() => {});
  const limiter = rateLimiter({ name: 'api', limit: RATE_LIMIT, windowMs: 60_000, store: memoryStore() });
  return {
    options: {
      headers: securityHeaders({ preset: 'helmet', contentSecurityPolicy: { nonce: true } }),
      cors: cors({
        origin: ALLOWED_ORIGIN,
        methods: ['GET', 'POST', 'PUT'],
        allowedHeaders: ['content-type', 'x-request-id'],
        maxAgeSec: 600,
      }),
      rateLimit: limiter,
      logger: createLogger({ sink: consoleSink(), level: 'info' }),
      health,
      bodyLimit: BODY_LIMIT,
      timeoutMs: over.timeoutMs ?? TIMEOUT_MS,
      trustProxy: 'loopback',
    },
    deps: {
      callOpenCircuit: async () => {
        await tripped.catch(() => {});
        return breaker.execute(async () => 'never');
      },
      slowMs: 5_000,
      workMs: over.workMs ?? 200,
      setDependencyUp: (up) => {
        dependencyUp = up;
      },
      resetClient: (ip) => limiter.reset(ipKey(ip)),
    },
  };
}
