import { cors, securityHeaders } from '@org/headers';
import { createLogger, memorySink } from '@org/logger';
import fastify from 'fastify';
import { request } from 'undici';
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

  it('keeps request.requestId, clientIp and timedOut as read-write fields, also when set before its hook ran', async () => {
    const a = app();
    const seen: unknown[] = [];
    // an app hook that runs before the plugin's: its values are read back until the plugin sets its own
    a.addHook('onRequest', async (req) => {
      req.requestId = 'early-id';
      req.clientIp = '203.0.113.9';
      seen.push([req.requestId, req.clientIp, req.timedOut]);
    });
    await a.register(hardening, { trustProxy: true, timeoutMs: 200 });
    a.get('/', async (req) => {
      seen.push([req.requestId, req.clientIp, req.timedOut]);
      req.requestId = 'route-id';
      req.clientIp = 'replaced';
      return { id: req.requestId, ip: req.clientIp };
    });
    a.get('/slow', async (req) => {
      await new Promise((r) => setTimeout(r, 400));
      seen.push(['slow', req.timedOut]);
      return 'late';
    });
    const r = await a.inject({
      url: '/',
      headers: { 'x-request-id': 'incoming-1', 'x-forwarded-for': '198.51.100.7' },
    });
    expect(r.json()).toEqual({ id: 'route-id', ip: 'replaced' });
    expect(r.headers['x-request-id']).toBe('incoming-1');
    expect((await a.inject('/slow')).statusCode).toBe(503);
    await new Promise((res) => setTimeout(res, 300));
    expect(seen).toEqual([
      ['early-id', '203.0.113.9', false],
      ['incoming-1', '198.51.100.7', false],
      ['early-id', '203.0.113.9', false],
      ['slow', true],
    ]);
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

  it('sends the request id once on a real server: incoming, generated, custom, or the route own value', async () => {
    for (const generate of [undefined, () => 'custom-7']) {
      const a = app();
      await a.register(hardening, {
        headers: securityHeaders({ preset: 'api' }),
        ...(generate ? { requestId: { generate } } : {}),
      });
      a.get('/', async (req) => ({ id: req.requestId }));
      a.get('/own', async (_req, reply) => {
        reply.header('x-request-id', 'from-route');
        return {};
      });
      const base = await a.listen({ port: 0, host: '127.0.0.1' });
      const ids = async (path: string, headers: Record<string, string> = {}) => {
        const r = await request(`${base}${path}`, { headers });
        const body = await r.body.text();
        return { got: [r.headers['x-request-id'] ?? []].flat(), body };
      };
      const incoming = await ids('/', { 'x-request-id': 'req-42' });
      expect(incoming.got).toEqual(['req-42']);
      const made = await ids('/', { 'x-request-id': 'bad id\twith tab' });
      expect(made.got).toHaveLength(1);
      expect(made.got[0]).toMatch(
        generate ? /^custom-7$/ : /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
      expect(JSON.parse(made.body).id).toBe(made.got[0]);
      expect((await ids('/own', { 'x-request-id': 'req-43' })).got).toEqual(['from-route']);
      // inject() (no rendered head): the same rules through the header object
      const inj = await a.inject({ url: '/', headers: { 'x-request-id': 'req-44' } });
      expect(inj.headers['x-request-id']).toBe('req-44');
      expect((await a.inject({ url: '/own' })).headers['x-request-id']).toBe('from-route');
    }
  });

  it('times X-Response-Time and the log line itself, with or without a logger (Fastify keeps no start time then)', async () => {
    for (const withLogger of [false, true]) {
      const logs = memorySink();
      const a = app();
      await a.register(hardening, withLogger ? { logger: createLogger({ sink: logs }) } : {});
      a.get('/wait', async () => {
        await new Promise((r) => setTimeout(r, 40));
        return { ok: true };
      });
      const base = await a.listen({ port: 0, host: '127.0.0.1' });
      const r = await request(`${base}/wait`);
      await r.body.text();
      // a lower bound only: the handler waited 40 ms (timers never fire early by more than a rounding)
      expect(Number.parseFloat(String(r.headers['x-response-time']))).toBeGreaterThanOrEqual(35);
      if (withLogger) {
        await until(() => logs.records().length > 0);
        const [rec] = logs.records();
        expect(rec).toMatchObject({ msg: 'request completed', status: 200, path: '/wait', ip: '127.0.0.1' });
        expect(rec!.durationMs as number).toBeGreaterThanOrEqual(35);
        expect(rec!.aborted).toBeUndefined();
      }
    }
  });

  it('writes the log line with nothing else of ours on (no head patch, state for the line only)', async () => {
    const logs = memorySink();
    const a = app();
    await a.register(hardening, {
      logger: createLogger({ sink: logs }),
      responseTime: false,
      requestId: false,
      timeoutMs: false,
    });
    a.get('/only-log', async () => ({ ok: true }));
    const base = await a.listen({ port: 0, host: '127.0.0.1' });
    const r = await request(`${base}/only-log`);
    await r.body.text();
    expect(r.headers['x-response-time']).toBeUndefined();
    expect(r.headers['x-request-id']).toBeUndefined();
    await until(() => logs.records().length > 0);
    expect(logs.records()).toHaveLength(1);
    expect(logs.records()[0]).toMatchObject({
      msg: 'request completed',
      status: 200,
      path: '/only-log',
      ip: '127.0.0.1',
    });
    expect(typeof logs.records()[0]!.durationMs).toBe('number');
  });

  it('logs a request whose client went away before the response, marked aborted', async () => {
    const logs = memorySink();
    const a = app();
    await a.register(hardening, { logger: createLogger({ sink: logs }) });
    let reached!: () => void;
    const inRoute = new Promise<void>((r) => {
      reached = r;
    });
    a.get('/hang', async () => {
      reached();
      await new Promise((r) => setTimeout(r, 300));
      return { late: true };
    });
    const base = await a.listen({ port: 0, host: '127.0.0.1' });
    const ac = new AbortController();
    const pending = request(`${base}/hang`, { headers: { 'x-request-id': 'gone-1' }, signal: ac.signal });
    await inRoute;
    ac.abort();
    await expect(pending).rejects.toThrow();
    await until(() => logs.records().length > 0);
    expect(logs.records()).toHaveLength(1);
    expect(logs.records()[0]).toMatchObject({ requestId: 'gone-1', path: '/hang', aborted: true });
  });
});

/** Polls `ok` every 5 ms, for up to 2 s. */
async function until(ok: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !ok(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(ok()).toBe(true);
}
