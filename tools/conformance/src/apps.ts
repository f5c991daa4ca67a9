// One tiny app per framework, the same routes everywhere, served on a real loopback socket.
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import * as orgExpress from '@org/express';
import * as orgFastify from '@org/fastify';
import * as orgHono from '@org/hono';
import express from 'express';
import fastify from 'fastify';
import { Hono } from 'hono';

export const FRAMEWORKS = ['express', 'fastify', 'hono'] as const;

/** The Content-Security-Policy the /own route sets itself (it wins over the policy's). */
export const OWN_CSP = "default-src 'none'";
export type Framework = (typeof FRAMEWORKS)[number];

/** The options every adapter accepts (same shape everywhere; the key/skip callbacks are not used here). */
export type StackOptions = Omit<orgExpress.CommonOptions<never>, 'rateLimit'> & {
  rateLimit?: orgExpress.RateLimiterLike;
};

/** What the routes need from the outside world. */
export interface AppDeps {
  /** Throws the error a real open circuit throws. */
  callOpenCircuit: () => Promise<unknown>;
  /** How long /slow waits (longer than the timeout). */
  slowMs: number;
  /** How long /work takes (shorter than the timeout, used by the shutdown test). */
  workMs: number;
}

export interface RunningApp {
  framework: Framework;
  url: string;
  server: Server;
  close(): Promise<void>;
}

const wait = (ms: number, signal?: AbortSignal | null): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

class HttpError extends Error {
  status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

const SECRET = 'secret-db-password at /srv/app/db.ts:42';
export const SECRET_MESSAGE: string = SECRET;

function expressApp(stack: StackOptions, deps: AppDeps): express.Express {
  const app = express();
  const h = orgExpress.hardening(stack);
  app.use(h);
  app.get('/hello', (_req, res) => {
    res.json({ hello: 'world' });
  });
  app.get('/vary', (_req, res) => {
    res.setHeader('vary', 'Accept-Encoding');
    res.json({ ok: true });
  });
  app.get('/own', (_req, res) => {
    res.setHeader('content-security-policy', OWN_CSP);
    res.json({ ok: true });
  });
  app.get('/id', (_req, res) => {
    res.json({ requestId: res.locals.requestId });
  });
  app.get('/nonce', (_req, res) => {
    res.json({ nonce: res.locals.cspNonce });
  });
  app.get('/ip', (_req, res) => {
    res.json({ ip: res.locals.clientIp });
  });
  app.post('/echo', async (req, res) => {
    let bytes = 0;
    for await (const chunk of req) bytes += (chunk as Buffer).length;
    res.json({ bytes });
  });
  app.get('/slow', async (_req, res) => {
    await wait(deps.slowMs, res.locals.signal);
    if (!res.headersSent) res.json({ late: true });
  });
  app.get('/work', async (_req, res) => {
    await wait(deps.workMs);
    res.json({ done: true });
  });
  app.get('/boom', () => {
    throw new Error(SECRET);
  });
  app.get('/circuit', async () => {
    await deps.callOpenCircuit();
  });
  app.get('/conflict', () => {
    throw new HttpError(409, 'note 7 was changed by someone else');
  });
  app.use(h.notFound);
  app.use(h.errorHandler);
  return app;
}

async function fastifyApp(stack: StackOptions, deps: AppDeps) {
  const app = fastify({ logger: false });
  app.addContentTypeParser('application/octet-stream', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
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
  app.get('/id', async (req) => ({ requestId: req.requestId }));
  app.get('/nonce', async (_req, reply) => ({ nonce: reply.cspNonce }));
  app.get('/ip', async (req) => ({ ip: req.clientIp }));
  app.post('/echo', async (req) => ({ bytes: (req.body as Buffer | undefined)?.length ?? 0 }));
  app.get('/slow', async (req) => {
    await wait(deps.slowMs, req.timeoutSignal);
    return { late: true };
  });
  app.get('/work', async () => {
    await wait(deps.workMs);
    return { done: true };
  });
  app.get('/boom', async () => {
    throw new Error(SECRET);
  });
  app.get('/circuit', async () => deps.callOpenCircuit());
  app.get('/conflict', async () => {
    throw new HttpError(409, 'note 7 was changed by someone else');
  });
  return app;
}

function honoApp(stack: StackOptions, deps: AppDeps): Hono<orgHono.HardeningEnv> {
  const app = new Hono<orgHono.HardeningEnv>();
  app.use(orgHono.hardening(stack));
  app.onError(orgHono.problemHandler(stack.logger ? { logger: stack.logger } : {}));
  app.notFound(orgHono.notFoundHandler());
  app.get('/hello', (c) => c.json({ hello: 'world' }));
  app.get('/vary', (c) => {
    c.header('vary', 'Accept-Encoding');
    return c.json({ ok: true });
  });
  app.get('/own', (c) => {
    c.header('content-security-policy', OWN_CSP);
    return c.json({ ok: true });
  });
  app.get('/id', (c) => c.json({ requestId: c.get('requestId') }));
  app.get('/nonce', (c) => c.json({ nonce: c.get('cspNonce') }));
  app.get('/ip', (c) => c.json({ ip: c.get('clientIp') }));
  app.post('/echo', async (c) => c.json({ bytes: (await c.req.arrayBuffer()).byteLength }));
  app.get('/slow', async (c) => {
    await wait(deps.slowMs, orgHono.timeoutSignal(c));
    return c.json({ late: true });
  });
  app.get('/work', async (c) => {
    await wait(deps.workMs);
    return c.json({ done: true });
  });
  app.get('/boom', () => {
    throw new Error(SECRET);
  });
  app.get('/circuit', async (c) => c.json(await deps.callOpenCircuit()));
  app.get('/conflict', () => {
    throw new HttpError(409, 'note 7 was changed by someone else');
  });
  return app;
}

/** Starts the app of `framework` on 127.0.0.1 with an ephemeral port. */
export async function startApp(framework: Framework, stack: StackOptions, deps: AppDeps): Promise<RunningApp> {
  let server: Server;
  if (framework === 'express') {
    server = expressApp(stack, deps).listen(0, '127.0.0.1');
    await once(server, 'listening');
  } else if (framework === 'fastify') {
    const app = await fastifyApp(stack, deps);
    await app.listen({ port: 0, host: '127.0.0.1' });
    server = app.server;
  } else {
    const app = honoApp(stack, deps);
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }) as Server;
    if (!server.listening) await once(server, 'listening');
  }
  const { port } = server.address() as AddressInfo;
  return {
    framework,
    url: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
