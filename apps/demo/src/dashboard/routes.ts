// The live dashboard: the home page (HTML with one nonce'd script and style, no inline handler, nothing external) and
// the read-only JSON it polls. Ids, states and counts only: no key material, no client data.
import type { CircuitBreaker } from '@org/breaker';
import type { Keyring } from '@org/crypto';
import type { Health } from '@org/health';
import { type RateLimiter, rateLimitHeaders } from '@org/ratelimit';
import type { FastifyInstance } from 'fastify';
import type { FlakyUpstream } from '../upstream.js';
import { dashboardPage } from './page.js';
import type { DashboardRecorder } from './recorder.js';

/** What the dashboard reads. */
export interface DashboardDeps {
  breaker: CircuitBreaker;
  keyring: Keyring;
  /** Key age after which the keyring rotates its primary (the demo's `keyRotateMs`). */
  rotateAfterMs: number;
  limiter: RateLimiter;
  health: Health;
  upstream: FlakyUpstream;
  recorder: DashboardRecorder;
}

/** Path of the state the page polls; the demo does not rate-limit it (the page polls it every second). */
export const DASHBOARD_STATE_PATH = '/dashboard/state';
/** A cheap rate-limited route: the page's "burst" button sends its requests here. */
export const DASHBOARD_PING_PATH = '/dashboard/ping';

/** The JSON of {@link DASHBOARD_STATE_PATH}. */
export interface DashboardState {
  now: number;
  upstream: { mode: string };
  breaker: {
    name: string;
    state: string;
    consecutiveFailures: number;
    failureRate: number;
    /** ms until the open circuit admits a trial call; null when isolated. */
    retryAfterMs: number | null;
    totals: { successes: number; failures: number; rejections: number };
    transitions: DashboardRecorder['transitions'];
  };
  calls: DashboardRecorder['calls'];
  /** The caller's own quota, peeked (not consumed), and the headers a response would carry now. */
  rateLimit: { limit: number; remaining: number; resetMs: number; windowMs: number; headers: Record<string, string> };
  readiness: {
    status: string;
    httpStatus: number;
    checks: Array<{ name: string; status: string; observed?: string; output?: string }>;
  };
  keyring: {
    primaryId: string | null;
    rotateAfterMs: number;
    /** When the primary will be rotated for its age (ms since the epoch), when known. */
    nextRotationAt: number | null;
    keys: Array<{ id: string; state: string; createdAt: number; activatedAt: number | null }>;
    rotations: DashboardRecorder['rotations'];
  };
}

const finite = (n: number): number | null => (Number.isFinite(n) ? n : null);

/** Adds `GET /`, `GET /dashboard/state` and `GET /dashboard/ping` to the app. */
export function registerDashboard(app: FastifyInstance, deps: DashboardDeps): void {
  const { breaker, keyring, limiter, health, upstream, recorder } = deps;

  app.get('/', async (_req, reply) =>
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-store').send(dashboardPage(reply.cspNonce)),
  );

  app.get(DASHBOARD_PING_PATH, async () => ({ ok: true }));

  app.get(DASHBOARD_STATE_PATH, async (req, reply): Promise<DashboardState> => {
    const [decision, ready] = await Promise.all([
      limiter.peek(limiter.ipKey(req.clientIp)),
      health.readiness({ verbose: true }),
    ]);
    const stats = breaker.stats();
    const keys = keyring.list();
    const primary = keys.find((k) => k.id === keyring.primaryId);
    const since = primary?.activatedAt ?? primary?.createdAt;
    reply.header('cache-control', 'no-store');
    return {
      now: Date.now(),
      upstream: { mode: upstream.mode },
      breaker: {
        name: breaker.name,
        state: stats.state,
        consecutiveFailures: stats.consecutiveFailures,
        failureRate: stats.failureRate,
        retryAfterMs: finite(stats.retryAfterMs),
        totals: { successes: stats.totalSuccesses, failures: stats.totalFailures, rejections: stats.totalRejections },
        transitions: recorder.transitions,
      },
      calls: recorder.calls,
      rateLimit: {
        limit: decision.limit,
        remaining: decision.remaining,
        resetMs: decision.resetMs,
        windowMs: decision.windowMs,
        headers: { ...rateLimitHeaders(decision) },
      },
      readiness: {
        status: ready.status,
        httpStatus: ready.httpStatus,
        checks: Object.entries(ready.json.checks ?? {}).flatMap(([name, results]) =>
          results.map((r) => {
            const c: DashboardState['readiness']['checks'][number] = { name, status: r.status };
            if (r.observedValue !== undefined)
              c.observed = `${typeof r.observedValue === 'number' ? Math.round(r.observedValue * 100) / 100 : String(r.observedValue)}${r.observedUnit ? ` ${r.observedUnit}` : ''}`;
            if (r.output !== undefined) c.output = r.output;
            return c;
          }),
        ),
      },
      keyring: {
        primaryId: keyring.primaryId,
        rotateAfterMs: deps.rotateAfterMs,
        nextRotationAt: since === undefined ? null : finite(since + deps.rotateAfterMs),
        keys: keys.map((k) => ({
          id: k.id,
          state: k.state,
          createdAt: k.createdAt,
          activatedAt: k.activatedAt ?? null,
        })),
        rotations: recorder.rotations,
      },
    };
  });
}
