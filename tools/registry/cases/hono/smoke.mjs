// @org/hono through Hono's Fetch API on any runtime (the worker serves it from workerd itself): headers, request id,
// health route, problem+json without leaks, rate limit.
const ok = (cond, what) => {
  if (!cond) throw new Error(`hono smoke: ${what}`);
};

export default async function smoke(m) {
  const { Hono } = m.hono;
  const { hardening, problemHandler, notFoundHandler } = m['@org/hono'];
  const { securityHeaders } = m['@org/headers'];
  const { rateLimiter } = m['@org/ratelimit'];
  const { createHealth } = m['@org/health'];
  const app = new Hono();
  app.use(
    hardening({
      headers: securityHeaders(),
      rateLimit: rateLimiter({ limit: 5, windowMs: 60_000 }),
      health: createHealth({ service: { id: 'smoke', version: '1' } }),
      timeoutMs: 5_000,
      remoteAddress: () => '203.0.113.7',
    }),
  );
  app.onError(problemHandler());
  app.notFound(notFoundHandler());
  app.get('/', (c) => c.text('hello'));
  app.get('/boom', () => {
    throw new Error('secret detail');
  });
  const a = await app.request('/');
  ok(a.status === 200 && (await a.text()) === 'hello', `GET / → ${a.status}`);
  ok(a.headers.get('x-content-type-options') === 'nosniff', 'security headers');
  ok(/^[\w-]{8,}$/.test(a.headers.get('x-request-id') ?? ''), 'request id');
  const live = await app.request('/livez');
  ok(live.status === 200 && live.headers.get('content-type')?.startsWith('application/health+json'), 'livez');
  const boom = await app.request('/boom');
  const body = await boom.text();
  ok(boom.status === 500 && boom.headers.get('content-type')?.startsWith('application/problem+json'), 'problem');
  ok(!body.includes('secret detail'), `the 500 leaks the error message: ${body}`);
  let denied;
  for (let i = 0; i < 10 && !denied; i++) {
    const r = await app.request('/');
    await r.arrayBuffer();
    if (r.status === 429) denied = r;
  }
  ok(denied && Number(denied.headers.get('retry-after')) > 0, '429 with Retry-After within 10 requests');
  return 'headers, request id, livez, problem+json without leak, 429';
}
