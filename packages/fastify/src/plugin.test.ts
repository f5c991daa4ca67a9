import { cors, securityHeaders } from '@org/headers';
import fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { hardening } from './index.js';

const apps: Array<{ close(): Promise<unknown> }> = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

function app() {
  const a = fastify({ logger: false });
  apps.push(a);
  return a;
}

describe('@org/fastify plugin', () => {
  it('rejects bad options at registration, naming the option', async () => {
    await expect(app().register(hardening, { bodyLimit: '2 lightyears' }).ready()).rejects.toThrow(
      /fastify: bodyLimit must be a byte count/,
    );
    await expect(
      app()
        .register(hardening, { logger: { info: 1 } as never })
        .ready(),
    ).rejects.toThrow(/fastify: logger must have a info\(\) method/);
  });

  it('applies bodyLimit as the native per-route limit, keeping a route own bodyLimit', async () => {
    const a = app();
    await a.register(hardening, { bodyLimit: 1024 });
    a.post('/default', async (req) => ({ n: JSON.stringify(req.body).length }));
    a.post('/tiny', { bodyLimit: 16 }, async () => ({ ok: true }));
    const payload = { s: 'x'.repeat(100) };
    expect((await a.inject({ method: 'POST', url: '/default', payload })).statusCode).toBe(200);
    const tiny = await a.inject({ method: 'POST', url: '/tiny', payload });
    expect(tiny.statusCode).toBe(413);
    expect(tiny.headers['content-type']).toBe('application/problem+json');
    expect(tiny.headers.connection).toBe('close');
    const big = await a.inject({ method: 'POST', url: '/default', payload: { s: 'x'.repeat(2000) } });
    expect(big.statusCode).toBe(413);
  });

  it('exposes reply.cspNonce and request.requestId; security headers set by a route win', async () => {
    const a = app();
    await a.register(hardening, {
      headers: securityHeaders({ preset: 'helmet', contentSecurityPolicy: { nonce: true } }),
    });
    a.get('/', async (req, reply) => {
      reply.header('x-frame-options', 'DENY');
      return { nonce: reply.cspNonce, id: req.requestId };
    });
    const r = await a.inject('/');
    const body = r.json();
    expect(r.headers['content-security-policy']).toContain(`'nonce-${body.nonce}'`);
    expect(r.headers['x-request-id']).toBe(body.id);
    expect(r.headers['x-frame-options']).toBe('DENY');
  });

  it('answers CORS preflights from an async origin check and merges Vary with the route', async () => {
    const a = app();
    await a.register(hardening, { cors: cors({ origin: async (o: string) => o === 'https://ok.example' }) });
    a.get('/', async (_req, reply) => {
      reply.header('vary', 'Accept');
      return {};
    });
    const pre = await a.inject({
      method: 'OPTIONS',
      url: '/',
      headers: { origin: 'https://ok.example', 'access-control-request-method': 'GET' },
    });
    expect(pre.statusCode).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('https://ok.example');
    const r = await a.inject({ url: '/', headers: { origin: 'https://ok.example' } });
    expect(String(r.headers.vary).toLowerCase().split(', ').sort()).toEqual(['accept', 'origin']);
  });

  it('can leave the error and not-found handlers to the application', async () => {
    const a = app();
    await a.register(hardening, { errorHandler: false, notFound: false });
    a.get('/boom', async () => {
      throw new Error('x');
    });
    expect((await a.inject('/boom')).headers['content-type']).toContain('application/json');
    expect((await a.inject('/missing')).headers['content-type']).toContain('application/json');
  });

  it('gives request.timeoutSignal, aborted when the timeout answers 503', async () => {
    const a = app();
    await a.register(hardening, { timeoutMs: 50 });
    let seen: AbortSignal | null = null;
    a.get('/slow', async (req) => {
      seen = req.timeoutSignal;
      await new Promise((r) => setTimeout(r, 300));
      return { late: true };
    });
    const r = await a.inject('/slow');
    expect(r.statusCode).toBe(503);
    expect((seen as AbortSignal | null)?.aborted).toBe(true);
  });
});
