// The Fetch path (no @hono/node-server): what runs on Bun, Deno, workers. The Node path is covered by the
// conformance suite (tools/conformance).
import { cors, securityHeaders } from '@org/headers';
import { memoryStore, rateLimiter } from '@org/ratelimit';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { describe, expect, it } from 'vitest';
import { type HardeningEnv, hardening, notFoundHandler, problemHandler, timeoutSignal } from './index.js';

let lastSignal: AbortSignal | undefined;

function build(remote = '192.0.2.10') {
  const app = new Hono<HardeningEnv>();
  app.use(
    hardening({
      headers: securityHeaders({ preset: 'helmet', contentSecurityPolicy: { nonce: true } }),
      cors: cors({ origin: 'https://app.example' }),
      rateLimit: rateLimiter({ name: 'api', limit: 2, windowMs: 60_000, store: memoryStore() }),
      timeoutMs: 100,
      bodyLimit: 1024,
      remoteAddress: () => remote,
    }),
  );
  app.onError(problemHandler());
  app.notFound(notFoundHandler());
  app.get('/', (c) => {
    c.header('vary', 'Accept');
    return c.json({ nonce: c.get('cspNonce'), id: c.get('requestId'), ip: c.get('clientIp') });
  });
  app.get('/slow', async (c) => {
    const signal = timeoutSignal(c)!;
    lastSignal = signal;
    await new Promise((r) => setTimeout(r, 1000).unref());
    return c.json({ aborted: signal.aborted });
  });
  app.post('/echo', async (c) => c.json({ n: (await c.req.text()).length }));
  app.get('/deny', () => {
    throw new HTTPException(401, { message: 'token expired' });
  });
  return app;
}

describe('@org/hono on the Fetch path', () => {
  it('rejects bad options naming the option', () => {
    expect(() => hardening({ timeoutMs: Number.NaN })).toThrow(/hono: timeoutMs must be a number of milliseconds/);
    expect(() => hardening({ remoteAddress: 'x' as never })).toThrow(/hono: remoteAddress must be a function/);
  });

  it('sets headers, nonce, request id, Vary and RateLimit on the response', async () => {
    const app = build();
    const r = await app.request('/', { headers: { origin: 'https://app.example', 'x-request-id': 'abc123' } });
    const body = (await r.json()) as { nonce: string; id: string; ip: string };
    expect(r.status).toBe(200);
    expect(body.id).toBe('abc123');
    expect(body.ip).toBe('192.0.2.10');
    expect(r.headers.get('x-request-id')).toBe('abc123');
    expect(r.headers.get('content-security-policy')).toContain(`'nonce-${body.nonce}'`);
    expect(r.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(r.headers.get('vary')).toBe('Accept, Origin');
    expect(r.headers.get('ratelimit')).toMatch(/^"api";r=1;t=\d+$/);
    expect(r.headers.get('x-response-time')).toMatch(/ms$/);
  });

  it('answers 429 problem+json after the limit', async () => {
    const app = build('192.0.2.11');
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await app.request('/')).status);
    expect(codes).toEqual([200, 200, 429]);
    const r = await app.request('/');
    expect(r.headers.get('content-type')).toBe('application/problem+json');
    expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });

  it('times out with 503 and aborts timeoutSignal(c)', async () => {
    const r = await build('192.0.2.12').request('/slow');
    expect(r.status).toBe(503);
    expect(((await r.json()) as { title: string }).title).toBe('Service Unavailable');
    expect(lastSignal?.aborted).toBe(true);
  });

  it('refuses an oversize body with 413 and keeps HTTPException details', async () => {
    const app = build('192.0.2.13');
    const big = await app.request('/echo', {
      method: 'POST',
      body: 'x'.repeat(5000),
      headers: { 'content-length': '5000' },
    });
    expect(big.status).toBe(413);
    expect(big.headers.get('content-type')).toBe('application/problem+json');
    const ok = await app.request('/echo', {
      method: 'POST',
      body: 'x'.repeat(10),
      headers: { 'content-length': '10' },
    });
    expect(await ok.json()).toEqual({ n: 10 });
    const deny = await build('192.0.2.14').request('/deny');
    expect(deny.status).toBe(401);
    expect(await deny.json()).toMatchObject({ status: 401, detail: 'token expired' });
  });
});
