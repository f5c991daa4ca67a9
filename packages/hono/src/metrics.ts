// Request metrics (the `metrics` option): a wrapper put around the middleware at setup, so an app without metrics
// runs the middleware unchanged.

import { now } from '@org/adapter-kit/clock';
import { type HttpMetricsLike, recordEnd } from '@org/adapter-kit/metrics';
import type { Context, MiddlewareHandler } from 'hono';

interface RouteLike {
  path: string;
  method: string;
}

/**
 * The route template of a finished request, never its raw path. When the request went down the chain: the path of the
 * handler that answered it (`/users/:id`), unless that is a middleware (`app.use`) and the answer a 404 (no route).
 * When the middleware answered first (429, preflight, health): the first route registered for a method that matches.
 */
function routeOf(c: Context, wentOn: boolean, healthPaths: ReadonlySet<string>): string | undefined {
  // `matchedRoutes` and `routeIndex` are HonoRequest's public API since Hono 4 (`hono/route` wraps the same data)
  const req = c.req as unknown as { matchedRoutes: readonly RouteLike[]; routeIndex: number };
  const routes = req.matchedRoutes;
  if (wentOn) {
    const r = routes[req.routeIndex];
    return r !== undefined && (r.method !== 'ALL' || c.res.status !== 404) ? r.path : undefined;
  }
  if (healthPaths.size > 0 && healthPaths.has(c.req.path)) return c.req.path;
  for (const r of routes) if (r.method !== 'ALL') return r.path;
  return undefined;
}

/**
 * `inner`, timed: in-flight until the response is returned, then one duration. On the Fetch API the time ends when the
 * Response is handed over, before a streamed body is sent.
 */
export function metered<E extends object>(
  inner: MiddlewareHandler<E & { Variables: { timedOut: boolean } }>,
  m: HttpMetricsLike,
  healthPaths: ReadonlySet<string>,
): MiddlewareHandler<E & { Variables: { timedOut: boolean } }> {
  return async function orgHardeningMetered(c, next) {
    const t0 = now();
    const method = c.req.method;
    m.requestStarted(method);
    let wentOn = false;
    let status = 500;
    try {
      await inner(c, () => {
        wentOn = true;
        return next();
      });
      status = c.res.status;
    } finally {
      recordEnd(
        m,
        method,
        routeOf(c as unknown as Context, wentOn, healthPaths),
        status,
        t0,
        c.get('timedOut') === true,
      );
    }
  };
}
