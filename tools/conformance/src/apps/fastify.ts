// The Fastify conformance app.
import { Readable } from 'node:stream';
import * as orgFastify from '@org/fastify';
import fastify, { type FastifyInstance } from 'fastify';
import type { AppDeps, StackOptions } from '../stack.js';
import { LATE_MS } from '../stack.js';
import { HttpError, never, OWN_CSP, ROUTE_HEADERS, SECRET_MESSAGE, THROWN, wait } from './shared.js';
import { ASYNC_BODY, LIBRARIES, THROWING, VALIDATORS } from './validation.js';

/** `http2`: HTTP/2 without TLS (h2c), Fastify's `http2: true` (the same app, routes and plugin). */
export async function fastifyApp(
  stack: StackOptions,
  deps: AppDeps,
  o: { http2?: boolean } = {},
): Promise<FastifyInstance> {
  // one instance type for both: the routes use only what the HTTP/1 and HTTP/2 requests have in common
  const app = (o.http2
    ? fastify({ logger: false, http2: true })
    : fastify({ logger: false })) as unknown as FastifyInstance;
  // a stream content-type parser: the route gets the raw body stream and reads it itself
  app.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));
  await app.register(orgFastify.hardening, stack);
  app.get('/hello', async () => ({ hello: 'world' }));
  app.get('/vary', async (_req, reply) => {
    reply.header('vary', 'Accept-Encoding');
    return { ok: true };
  });
  app.get('/own', async (_req, reply) => {
    reply.header('content-security-policy', OWN_CSP);
    return { ok: true };
  });
  app.get('/precedence', async (_req, reply) => {
    reply.headers(ROUTE_HEADERS);
    return { ok: true };
  });
  // Fastify has one way to pass headers with a reply (its header record): the same path as /precedence
  app.get('/precedence-passed', async (_req, reply) => {
    reply.code(200).headers(ROUTE_HEADERS);
    return { ok: true };
  });
  app.get('/id', async (req) => ({ requestId: req.requestId }));
  app.get('/nonce', async (_req, reply) => ({ nonce: reply.cspNonce }));
  app.get('/ip', async (req) => ({ ip: req.clientIp }));
  app.post('/echo', async (req) => {
    let bytes = 0;
    for await (const chunk of req.body as Readable) bytes += (chunk as Uint8Array).length;
    return { bytes };
  });
  app.post('/ignore', async () => ({ ignored: true }));
  app.post('/json', async (req) => ({ keys: Object.keys((req.body as object | null) ?? {}) }));
  for (const lib of LIBRARIES)
    app.post(`/valid/${lib}/:id`, { preHandler: orgFastify.validate(VALIDATORS[lib]) }, async (req) => ({
      params: req.params,
      query: req.query,
      body: req.body,
    }));
  app.post('/valid-async', { preHandler: orgFastify.validate({ body: ASYNC_BODY }) }, async (req) => ({
    body: req.body,
  }));
  app.post('/valid-throws', { preHandler: orgFastify.validate({ body: THROWING }) }, async () => ({ reached: true }));
  app.all('/never', never);
  app.get('/slow', async (req) => {
    await wait(deps.slowMs, req.timeoutSignal);
    return { late: true };
  });
  app.get('/work', async () => {
    await wait(deps.workMs);
    return { done: true };
  });
  app.get('/late/:kind', (_req, reply) => {
    setTimeout(() => reply.send({ late: true }), LATE_MS);
  });
  app.get('/late-async', async () => {
    await wait(LATE_MS);
    return { late: true };
  });
  app.get('/boom', async () => {
    throw new Error(SECRET_MESSAGE);
  });
  app.get('/throw/:what', async (req) => {
    throw THROWN[(req.params as { what: string }).what]!();
  });
  app.get('/circuit', async () => deps.callOpenCircuit());
  app.get('/conflict', async () => {
    throw new HttpError(409, 'note 7 was changed by someone else');
  });
  app.get('/write/:how', async (req, reply) => {
    const how = (req.params as { how: string }).how;
    if (how === 'head-object') return reply.headers({ 'content-type': 'text/plain' }).send(how);
    if (how === 'stream') return reply.type('text/plain').send(Readable.from(['str', 'eam']));
    return { how };
  });
  app.post('/__control/dependency/:state', async (req) => {
    deps.setDependencyUp((req.params as { state: string }).state === 'up');
    return { ok: true };
  });
  app.post('/__control/reset', async (req) => {
    await deps.resetClient(String((req.query as { ip?: string }).ip));
    return { ok: true };
  });
  return app;
}

/** How heads are written on this framework, for the "every header on every head" scenario. */
export const FASTIFY_WRITES = ['json', 'head-object', 'stream'] as const;
