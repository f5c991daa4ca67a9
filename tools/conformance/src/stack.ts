// The real core-package instances the conformance apps are hardened with (the adapters only get them handed over).
import { circuitBreaker } from '@org/breaker';
import { cors, securityHeaders } from '@org/headers';
import { createHealth } from '@org/health';
import { createLogger, type MemorySink, memorySink } from '@org/logger';
import { memoryStore, rateLimiter } from '@org/ratelimit';
import type { AppDeps, StackOptions } from './apps.js';

export const ALLOWED_ORIGIN = 'https://app.example';
export const RATE_LIMIT = 5;
export const TIMEOUT_MS = 300;
export const BODY_LIMIT = 1024 * 1024;

export interface Stack {
  options: StackOptions;
  deps: AppDeps;
  logs: MemorySink;
  /** Flips the critical readiness check. */
  setDependencyUp(up: boolean): void;
}

/** Builds a fresh stack (own limiter state, own logs) for one app. */
export function buildStack(over: { timeoutMs?: number; workMs?: number } = {}): Stack {
  const logs = memorySink();
  let dependencyUp = true;
  const health = createHealth({ service: { id: 'conformance', version: '1.0.0' }, cacheMs: 0 });
  health.check({ name: 'dependency', probes: ['readiness'], critical: true, run: () => dependencyUp });
  // a real circuit, opened by one real failure: what an open circuit throws, with its real retryAfterMs
  const breaker = circuitBreaker({ name: 'upstream', consecutiveFailures: 1, openMs: 30_000 });
  const tripped = breaker.execute(async () => {
    throw new Error('upstream down');
  });
  tripped.catch(() => {});
  return {
    logs,
    setDependencyUp: (up) => {
      dependencyUp = up;
    },
    options: {
      headers: securityHeaders({
        preset: 'helmet',
        contentSecurityPolicy: { nonce: true },
      }),
      cors: cors({
        origin: ALLOWED_ORIGIN,
        methods: ['GET', 'POST', 'PUT'],
        allowedHeaders: ['content-type', 'x-request-id'],
        maxAgeSec: 600,
      }),
      rateLimit: rateLimiter({ name: 'api', limit: RATE_LIMIT, windowMs: 60_000, store: memoryStore() }),
      logger: createLogger({ sink: logs, level: 'info' }),
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
    },
  };
}
