// Request metrics (the `metrics` option): one onRequest hook added at registration, before the plugin's own, so a
// request the plugin answers itself (429, preflight) is counted too; an app without metrics has no such hook.

import { now } from '@org/adapter-kit/clock';
import { type HttpMetricsLike, recordEnd } from '@org/adapter-kit/metrics';
import type { FastifyInstance, onRequestHookHandler } from 'fastify';

/**
 * Times every request: in-flight until its response closes (finished or abandoned), then one duration under the
 * route's template (`request.routeOptions.url`, e.g. `/users/:id`; the unmatched label for the not-found handler).
 */
export function installMetrics(app: FastifyInstance, m: HttpMetricsLike): void {
  const onRequest: onRequestHookHandler = function orgMetrics(request, reply, done) {
    const t0 = now();
    const method = request.method;
    m.requestStarted(method);
    reply.raw.once('close', () =>
      recordEnd(m, method, request.routeOptions.url, reply.statusCode, t0, request.timedOut === true),
    );
    done();
  };
  app.addHook('onRequest', onRequest);
}
