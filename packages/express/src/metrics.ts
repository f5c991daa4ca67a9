// Request metrics (the `metrics` option): a wrapper put around the middleware at setup, so an app without metrics
// runs the middleware unchanged.

import { now } from '@org/adapter-kit/clock';
import { type HttpMetricsLike, recordEnd } from '@org/adapter-kit/metrics';
import type { Request, RequestHandler, Response } from 'express';

/**
 * The route template of a request once it is done: the mount path and the matched route's path (`/users/:id`), a
 * health path when the middleware answered one, or undefined (the unmatched label): never the raw path.
 */
function routeOf(req: Request, healthPaths: ReadonlySet<string>): string | undefined {
  const r = (req as { route?: { path?: unknown } }).route;
  if (r !== undefined && r !== null) {
    const p = r.path;
    return (req.baseUrl ?? '') + (typeof p === 'string' ? p : String(p));
  }
  return healthPaths.size > 0 && healthPaths.has(req.path) ? req.path : undefined;
}

/** `inner`, timed: in-flight while it runs, one duration per response (on 'close': finished or abandoned). */
export function metered(inner: RequestHandler, m: HttpMetricsLike, healthPaths: ReadonlySet<string>): RequestHandler {
  return function orgHardeningMetered(req: Request, res: Response, next) {
    const t0 = now();
    const method = req.method;
    m.requestStarted(method);
    res.once('close', () =>
      recordEnd(m, method, routeOf(req, healthPaths), res.statusCode, t0, res.locals.timedOut === true),
    );
    inner(req, res, next);
  };
}
