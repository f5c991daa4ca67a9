// @org/express on a real Express server on loopback: headers, request id, health route, problem+json, rate limit.
import { once } from 'node:events';

const ok = (cond, what) => {
  if (!cond) throw new Error(`express smoke: ${what}`);
};

export default async function smoke(m) {
  const express = m.express.default ?? m.express;
  const { hardening } = m['@org/express'];
  const { securityHeaders } = m['@org/headers'];
  const { rateLimiter } = m['@org/ratelimit'];
  const { createHealth } = m['@org/health'];
  const h = hardening({
    headers: securityHeaders(),
    rateLimit: rateLimiter({ limit: 5, windowMs: 60_000 }),
    health: createHealth({ service: { id: 'smoke', version: '1' } }),
    timeoutMs: 5_000,
  });
  const app = express();
  app.use(h);
  app.get('/', (_req, res) => {
    res.send('hello');
  });
  app.get('/boom', () => {
    throw new Error('secret detail');
  });
  app.use(h.notFound);
  app.use(h.errorHandler);
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${server.address().port}`;
  try {
    const a = await fetch(`${base}/`);
    ok(a.status === 200 && (await a.text()) === 'hello', `GET / → ${a.status}`);
    ok(a.headers.get('x-content-type-options') === 'nosniff', 'security headers');
    ok(/^[\w-]{8,}$/.test(a.headers.get('x-request-id') ?? ''), 'request id');
    const live = await fetch(`${base}/livez`);
    ok(live.status === 200 && live.headers.get('content-type')?.startsWith('application/health+json'), 'livez');
    const boom = await fetch(`${base}/boom`);
    const body = await boom.text();
    ok(boom.status === 500 && boom.headers.get('content-type')?.startsWith('application/problem+json'), 'problem');
    ok(!body.includes('secret detail'), `the 500 leaks the error message: ${body}`);
    let denied;
    for (let i = 0; i < 10 && !denied; i++) {
      const r = await fetch(`${base}/`);
      await r.arrayBuffer();
      if (r.status === 429) denied = r;
    }
    ok(denied && Number(denied.headers.get('retry-after')) > 0, '429 with Retry-After within 10 requests');
    return 'headers, request id, livez, problem+json without leak, 429';
  } finally {
    server.closeAllConnections?.();
    server.close();
  }
}
