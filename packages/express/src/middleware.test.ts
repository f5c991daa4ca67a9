import { once } from 'node:events';
import http, { type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { cors, securityHeaders } from '@org/headers';
import { memoryStore, rateLimiter } from '@org/ratelimit';
import express from 'express';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hardening } from './index.js';

describe('hardening() options', () => {
  it('rejects bad options naming the option', () => {
    expect(() => hardening({ bodyLimit: 'lots' })).toThrow(/express: bodyLimit must be a byte count/);
    expect(() => hardening({ timeoutMs: -5 })).toThrow(/express: timeoutMs must be a number of milliseconds/);
    expect(() => hardening({ cors: {} as never })).toThrow(/express: cors must have a handle\(\) method/);
    expect(() => hardening({ rateLimit: { limiter: {} } as never })).toThrow(
      /express: rateLimit.limiter must have a consume\(\) method/,
    );
    expect(() => hardening({ trustProxy: ['10.0.0.0/99'] })).toThrow(/express: trustProxy/);
    expect(() => hardening({ requestId: { header: 'bad header' } })).toThrow(
      /express: requestId.header must be a header name/,
    );
    expect(() => hardening({ headers: { entries: 'x' } as never })).toThrow(
      /express: headers must be built with securityHeaders\(\)/,
    );
  });
});

describe('express specifics on a real server', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    const app = express();
    const h = hardening({
      headers: securityHeaders({ preset: 'api' }),
      // an async origin check: the middleware waits for it
      cors: cors({ origin: async (o: string) => o.endsWith('.example') }),
      rateLimit: {
        limiter: rateLimiter({ name: 'ua', limit: 2, windowMs: 60_000, store: memoryStore() }),
        key: (req) => String(req.headers['x-user']),
      },
      bodyLimit: '64kb',
      timeoutMs: 5_000,
    });
    app.use(h);
    app.use(express.json({ limit: '100kb' }));
    app.post('/json', (req, res) => {
      res.vary('Accept-Language').json({ keys: Object.keys(req.body ?? {}) });
    });
    app.get('/signal', (_req, res) => {
      res.json({ aborted: res.locals.signal?.aborted ?? null });
    });
    app.use(h.notFound);
    app.use(h.errorHandler);
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('answers async-origin CORS and keeps Vary next to the route own Vary', async () => {
    const r = await request(`${base}/json`, {
      method: 'POST',
      headers: { origin: 'https://a.example', 'content-type': 'application/json', 'x-user': 'u1' },
      body: '{"a":1}',
    });
    expect(r.statusCode).toBe(200);
    expect(await r.body.json()).toEqual({ keys: ['a'] });
    expect(r.headers['access-control-allow-origin']).toBe('https://a.example');
    const vary = String(r.headers.vary).toLowerCase();
    expect(vary).toContain('origin');
    expect(vary).toContain('accept-language');
  });

  it('uses the custom rate-limit key', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await request(`${base}/signal`, { headers: { 'x-user': 'u2' } });
      await r.body.text();
      codes.push(r.statusCode);
    }
    expect(codes).toEqual([200, 200, 429]);
    const other = await request(`${base}/signal`, { headers: { 'x-user': 'u3' } });
    expect(await other.body.json()).toEqual({ aborted: false });
  });

  it('refuses a chunked body over the limit while it streams (our limit is below the parser limit)', async () => {
    async function* body() {
      yield '{"a":"';
      for (let i = 0; i < 100; i++) yield 'x'.repeat(1024);
      yield '"}';
    }
    const r = await request(`${base}/json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user': 'u4' },
      body: Readable.from(body()),
    });
    expect(r.statusCode).toBe(413);
    expect(r.headers['content-type']).toBe('application/problem+json');
    await r.body.text();
  });

  it('maps body-parser errors to problem+json (invalid JSON → 400 with its detail)', async () => {
    const r = await request(`${base}/json`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user': 'u5' },
      body: '{nope',
    });
    expect(r.statusCode).toBe(400);
    expect(r.headers['content-type']).toBe('application/problem+json');
    expect((await r.body.json()) as object).toMatchObject({ status: 400, title: 'Bad Request' });
  });
});

describe('the plan on every head', () => {
  // '/wrapped': another middleware wrapped writeHead before ours (as on-headers does); the plan still goes on the head.
  let server: Server;
  let base: string;
  beforeAll(async () => {
    const app = express();
    app.use('/wrapped', (_req, res, next) => {
      const orig = res.writeHead;
      res.writeHead = function (this: typeof res, ...a: Parameters<typeof orig>) {
        return orig.apply(this, a);
      } as typeof orig;
      next();
    });
    app.use(
      hardening({ headers: securityHeaders({ preset: 'helmet' }), cors: cors({ origin: 'https://app.example' }) }),
    );
    for (const prefix of ['', '/wrapped']) {
      app.get(`${prefix}/plain`, (_req, res) => {
        res.json({ ok: true });
      });
      app.get(`${prefix}/own`, (_req, res) => {
        res.setHeader('X-Frame-Options', 'DENY');
        res.setHeader('Vary', 'Accept');
        res.json({ ok: true });
      });
      app.get(`${prefix}/explicit`, (_req, res) => {
        res.writeHead(201, { 'content-type': 'text/plain', 'x-frame-options': 'DENY' });
        res.end('made');
      });
    }
    server = app.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const get = async (path: string) => {
    const r = await request(`${base}${path}`, { headers: { origin: 'https://app.example' } });
    await r.body.text();
    const h = r.headers as Record<string, string | string[] | undefined>;
    return { status: r.statusCode, all: (n: string) => [h[n] ?? []].flat() };
  };

  for (const prefix of ['', '/wrapped']) {
    it(`${prefix || '/'}: every policy header once; the route's own header wins; Vary merged`, async () => {
      const policy = securityHeaders({ preset: 'helmet' });
      const plain = await get(`${prefix}/plain`);
      for (const [name, value] of policy.entries) expect(plain.all(name.toLowerCase()), name).toEqual([value]);
      expect(plain.all('vary')).toEqual(['Origin']);
      expect(plain.all('x-response-time')).toHaveLength(1);
      const own = await get(`${prefix}/own`);
      expect(own.all('x-frame-options')).toEqual(['DENY']);
      expect(own.all('content-security-policy')).toHaveLength(1);
      expect(own.all('vary')).toEqual(['Accept, Origin']);
      const explicit = await get(`${prefix}/explicit`);
      expect(explicit.status).toBe(201);
      expect(explicit.all('x-frame-options')).toEqual(['DENY']);
      expect(explicit.all('strict-transport-security')).toHaveLength(1);
    });
  }
});

describe('apps, sub-apps and responses that are not an app response', () => {
  const nodeWriteHead = http.ServerResponse.prototype.writeHead;
  const policy = securityHeaders({ preset: 'helmet' });
  const servers: Server[] = [];
  afterAll(() => Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r())))));
  const listen = async (handler: http.RequestListener) => {
    const server = http.createServer(handler).listen(0, '127.0.0.1');
    servers.push(server);
    await once(server, 'listening');
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  };
  const get = async (url: string) => {
    const r = await request(url);
    await r.body.text();
    const h = r.headers as Record<string, string | string[] | undefined>;
    return (n: string) => [h[n] ?? []].flat();
  };

  it('serves apps, mounted sub-apps (with and without their own instance) and early routes, each head once', async () => {
    const app = express();
    app.get('/early', (_req, res) => {
      res.json({ early: true });
    });
    app.use(hardening({ headers: policy }));
    const sub = express();
    sub.get('/x', (_req, res) => {
      res.json({ sub: true });
    });
    const own = express();
    own.use(hardening({ headers: policy, responseTime: false }));
    own.get('/y', (_req, res) => {
      res.json({ own: true });
    });
    app.use('/sub', sub);
    app.use('/own', own);
    const ownWriteHead: boolean[] = [];
    app.get('/top', (_req, res) => {
      ownWriteHead.push(Object.hasOwn(res, 'writeHead'));
      res.json({ top: true });
    });
    const base = await listen(app);
    for (let round = 0; round < 3; round++) {
      for (const path of ['/top', '/sub/x', '/own/y']) {
        const all = await get(`${base}${path}`);
        for (const [name, value] of policy.entries) expect(all(name.toLowerCase()), `${path} ${name}`).toEqual([value]);
        expect(all('x-response-time'), path).toHaveLength(1);
      }
      // mounted before the middleware: nothing of ours (as documented: mount it first)
      const early = await get(`${base}/early`);
      expect(early('x-frame-options')).toEqual([]);
      expect(early('x-response-time')).toEqual([]);
    }
    // Node's prototype is untouched; the head hook is Express's documented extension point (express.response, shared by
    // every app), inert for a response no middleware registered (/early above), and no response gets an own writeHead
    expect(http.ServerResponse.prototype.writeHead).toBe(nodeWriteHead);
    expect(Object.hasOwn(express.response, 'writeHead')).toBe(true);
    expect(Object.hasOwn(app.response, 'writeHead')).toBe(false);
    expect(Object.hasOwn(own.response, 'writeHead')).toBe(false);
    expect(ownWriteHead).toEqual([false, false, false]);
  });

  it('serves a response that is not an Express app response (a host giving only res.locals)', async () => {
    const h = hardening({ headers: policy });
    const base = await listen((req, res) => {
      (res as unknown as { locals: object }).locals = {};
      h(req as never, res as never, () => {
        res.setHeader('content-type', 'application/json');
        res.end('{}');
      });
    });
    for (let i = 0; i < 2; i++) {
      const all = await get(`${base}/`);
      for (const [name, value] of policy.entries) expect(all(name.toLowerCase()), name).toEqual([value]);
    }
    expect(http.ServerResponse.prototype.writeHead).toBe(nodeWriteHead);
  });
});
