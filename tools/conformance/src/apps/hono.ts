// The Hono conformance app. No `node:` import: the same app runs on @hono/node-server and through the Fetch path on
// Node, Bun, Deno and workerd.
import * as orgHono from '@org/hono';
import { type Context, Hono } from 'hono';
import type { AppDeps, StackOptions } from '../stack.js';
import { LATE_MS } from '../stack.js';
import { HttpError, never, OWN_CSP, ROUTE_HEADERS, SECRET_MESSAGE, THROWN, wait } from './shared.js';
import { ASYNC_BODY, LIBRARIES, THROWING, VALIDATORS } from './validation.js';

export interface HonoAppOptions {
  /** The client address, where the runtime gives none the default reader knows. */
  remoteAddress?: (c: Context) => string | undefined;
}

export function honoApp(stack: StackOptions, deps: AppDeps, opts: HonoAppOptions = {}): Hono<orgHono.HardeningEnv> {
  const app = new Hono<orgHono.HardeningEnv>();
  app.use(orgHono.hardening(opts.remoteAddress ? { ...stack, remoteAddress: opts.remoteAddress } : stack));
  app.onError(orgHono.problemHandler({ logger: stack.logger }));
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
  app.get('/precedence', (c) => {
    for (const [k, v] of Object.entries(ROUTE_HEADERS)) c.header(k, v);
    return c.json({ ok: true });
  });
  // the route's headers in its Response's init (node-server passes them to writeHead)
  app.get('/precedence-passed', (c) => c.json({ ok: true }, 200, { ...ROUTE_HEADERS }));
  app.get('/id', (c) => c.json({ requestId: c.get('requestId') }));
  app.get('/nonce', (c) => c.json({ nonce: c.get('cspNonce') }));
  app.get('/ip', (c) => c.json({ ip: c.get('clientIp') }));
  app.post('/echo', async (c) => {
    let bytes = 0;
    const body = c.req.raw.body;
    if (body !== null) for await (const chunk of body) bytes += chunk.length;
    return c.json({ bytes });
  });
  app.post('/ignore', (c) => c.json({ ignored: true }));
  app.post('/json', async (c) => c.json({ keys: Object.keys(((await c.req.json()) as object | null) ?? {}) }));
  for (const lib of LIBRARIES)
    app.post(`/valid/${lib}/:id`, orgHono.validate(VALIDATORS[lib]), (c) =>
      c.json({ params: c.req.valid('param'), query: c.req.valid('query'), body: c.req.valid('json') }),
    );
  app.post('/valid-async', orgHono.validate({ body: ASYNC_BODY }), (c) => c.json({ body: c.req.valid('json') }));
  app.post('/valid-throws', orgHono.validate({ body: THROWING }), (c) => c.json({ reached: true }));
  app.all('/never', never);
  app.get('/slow', async (c) => {
    await wait(deps.slowMs, orgHono.timeoutSignal(c));
    return c.json({ late: true });
  });
  app.get('/work', async (c) => {
    await wait(deps.workMs);
    return c.json({ done: true });
  });
  app.get('/late/:kind', async (c) => {
    await wait(LATE_MS);
    return c.json({ late: true });
  });
  app.get('/late-async', async (c) => {
    await wait(LATE_MS);
    return c.json({ late: true });
  });
  app.get('/boom', () => {
    throw new Error(SECRET_MESSAGE);
  });
  app.get('/throw/:what', (c) => {
    throw THROWN[c.req.param('what')]!();
  });
  app.get('/circuit', async (c) => c.json(await deps.callOpenCircuit()));
  app.get('/conflict', () => {
    throw new HttpError(409, 'note 7 was changed by someone else');
  });
  app.get('/write/:how', (c) => {
    const how = c.req.param('how');
    if (how === 'head-object') return new Response(how, { headers: { 'content-type': 'text/plain' } });
    if (how === 'stream')
      return c.body(
        new ReadableStream<Uint8Array>({
          start(ctl) {
            ctl.enqueue(new TextEncoder().encode('str'));
            setTimeout(() => {
              ctl.enqueue(new TextEncoder().encode('eam'));
              ctl.close();
            }, 5);
          },
        }),
      );
    // headers that cannot be changed (as a Response from fetch() has)
    if (how === 'immutable') return Response.redirect(new URL('/hello', c.req.url).href, 302);
    return c.json({ how });
  });
  app.post('/__control/dependency/:state', (c) => {
    deps.setDependencyUp(c.req.param('state') === 'up');
    return c.json({ ok: true });
  });
  app.post('/__control/reset', async (c) => {
    await deps.resetClient(c.req.query('ip') ?? '');
    return c.json({ ok: true });
  });
  return app;
}

/** How heads are written on this framework, for the "every header on every head" scenario. */
export const HONO_WRITES = ['json', 'head-object', 'stream', 'immutable'] as const;
