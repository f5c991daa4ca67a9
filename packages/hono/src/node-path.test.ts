// The @hono/node-server path: the plan goes on the Node response through its public setHeader, the route's Response
// headers are applied by Node after them and win. A real server on loopback, raw response headers read with undici.
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { cors, securityHeaders } from '@org/headers';
import { memoryStore, rateLimiter } from '@org/ratelimit';
import { Hono } from 'hono';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HardeningEnv, hardening } from './index.js';

let base = '';
let close: () => Promise<void>;

beforeAll(async () => {
  const app = new Hono<HardeningEnv>();
  for (const [prefix, nonce, wrap] of [
    ['/static', false, false],
    ['/nonce', true, false],
    ['/wrapped', false, 'writeHead'],
    ['/flat', false, 'setHeader'],
  ] as const) {
    const sub = new Hono<HardeningEnv>();
    // '/wrapped' and '/flat': another middleware wrapped the Node response's writeHead (and setHeader): the plan goes
    // through them like any other header.
    if (wrap)
      sub.use(async (c, next) => {
        const out = (c.env as { outgoing: Record<string, (...a: unknown[]) => unknown> }).outgoing;
        for (const m of wrap === 'setHeader' ? ['writeHead', 'setHeader'] : ['writeHead']) {
          const orig = out[m]!;
          out[m] = function (this: unknown, ...a: unknown[]) {
            return orig.apply(this, a);
          };
        }
        await next();
      });
    sub.use(
      hardening({
        // '/nonce' also uses a custom id generator
        ...(nonce ? { requestId: { generate: () => 'custom-id-1' } } : {}),
        headers: securityHeaders({ preset: 'helmet', contentSecurityPolicy: { nonce } }),
        cors: cors({ origin: 'https://app.example' }),
        rateLimit: rateLimiter({ name: 'api', limit: 100, windowMs: 60_000, store: memoryStore() }),
      }),
    );
    sub.get('/plain', (c) => c.json({ nonce: c.get('cspNonce') ?? null }));
    sub.get('/own', (c) => {
      // a route's own security header and Vary; headers the middleware owns or removes
      c.header('Content-Security-Policy', "default-src 'none'");
      c.header('Vary', 'Accept');
      c.header('X-Powered-By', 'leaky');
      c.header('RateLimit', 'from-route');
      // set on the Node response itself (its header store), not in Hono's record
      const out = (c.env as { outgoing: { setHeader(n: string, v: string): void } }).outgoing;
      out.setHeader('X-Request-Id', 'from-route');
      out.setHeader('RateLimit-Policy', 'from-route');
      c.header('X-Response-Time', '999ms');
      c.header('X-Custom', 'kept');
      return c.text('own');
    });
    app.route(prefix, sub);
  }
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  if (!server.listening) await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  close = () => new Promise((r) => server.close(() => r()));
});
afterAll(() => close());

describe('request ids on @hono/node-server', () => {
  for (const [prefix, want] of [
    ['/static', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/],
    ['/nonce', /^custom-id-1$/],
    ['/wrapped', /^[0-9a-f-]{36}$/],
    ['/flat', /^[0-9a-f-]{36}$/],
  ] as const) {
    it(`${prefix}: an id is generated once when none (or an invalid one) comes in`, async () => {
      const r = await request(`${base}${prefix}/plain`, { headers: { 'x-request-id': 'bad id\twith tab' } });
      await r.body.text();
      const got = [r.headers['x-request-id'] ?? []].flat();
      expect(got).toHaveLength(1);
      expect(got[0]).toMatch(want);
    });
  }
});

/** Raw header lines of a response, names lower-cased, in wire order. */
async function raw(path: string): Promise<{ status: number; names: string[]; get: (n: string) => string[] }> {
  const r = await request(`${base}${path}`, { headers: { origin: 'https://app.example', 'x-request-id': 'req-1' } });
  await r.body.text();
  const h = r.headers as Record<string, string | string[]>;
  const names = Object.keys(h);
  return { status: r.statusCode, names, get: (n) => [h[n] ?? []].flat() };
}

describe('@org/hono on @hono/node-server', () => {
  for (const prefix of ['/static', '/nonce', '/wrapped', '/flat']) {
    it(`${prefix}: sends every header once, with the policy, CORS, RateLimit, id and timing`, async () => {
      const r = await raw(`${prefix}/plain`);
      expect(r.status).toBe(200);
      const policy = securityHeaders({ preset: 'helmet' });
      for (const [name, value] of policy.entries) {
        const got = r.get(name.toLowerCase());
        expect(got, name).toHaveLength(1);
        if (name.toLowerCase() !== 'content-security-policy') expect(got[0], name).toBe(value);
      }
      if (prefix === '/nonce') expect(r.get('content-security-policy')[0]).toMatch(/'nonce-[A-Za-z0-9+/]{22}=*'/);
      expect(r.get('access-control-allow-origin')).toEqual(['https://app.example']);
      expect(r.get('vary')).toEqual(['Origin']);
      expect(r.get('ratelimit')[0]).toMatch(/^"api";r=98;t=\d+$/);
      expect(r.get('ratelimit-policy')).toEqual(['"api";q=100;w=60']);
      expect(r.get('x-request-id')).toEqual(['req-1']);
      expect(r.get('x-response-time')[0]).toMatch(/^\d+\.\d{3}ms$/);
      expect(r.get('content-type')[0]).toMatch(/^application\/json/);
      expect(r.get('x-powered-by')).toEqual([]);
    });

    it(`${prefix}: every header the route set wins (on its Response or on the Node response), Vary is merged, removals hold`, async () => {
      const r = await raw(`${prefix}/own`);
      expect(r.status).toBe(200);
      expect(r.get('content-security-policy')).toEqual(["default-src 'none'"]);
      expect(r.get('vary')).toEqual(['Accept, Origin']);
      expect(r.get('x-powered-by')).toEqual([]);
      expect(r.get('x-request-id')).toEqual(['from-route']);
      expect(r.get('x-response-time')).toEqual(['999ms']);
      expect(r.get('ratelimit')).toEqual(['from-route']);
      expect(r.get('ratelimit-policy')).toEqual(['from-route']);
      expect(r.get('x-frame-options')).toEqual(['SAMEORIGIN']);
      expect(r.get('x-custom')).toEqual(['kept']);
      expect(r.get('content-type')[0]).toMatch(/^text\/plain/);
    });
  }
});
