// Per-route IP lists (`config: { ipFilter }`) on a real server over loopback: the peer is 127.0.0.1, and
// X-Forwarded-For from it is trusted (`trustProxy: 'loopback'`), so each request names its client address.
import { createLogger, memorySink } from '@org/logger';
import fastify from 'fastify';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { hardening } from './index.js';

const apps: Array<{ close(): Promise<unknown> }> = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.close()));
});

describe('@org/fastify ipFilter', () => {
  it("a route's list is checked on the trusted client address, after the app's; other routes are not on it", async () => {
    const sink = memorySink();
    const a = fastify({ logger: false });
    apps.push(a);
    await a.register(hardening, {
      trustProxy: 'loopback',
      logger: createLogger({ sink }),
      ipFilter: { deny: ['203.0.113.66'] },
    });
    a.post('/admin', { config: { ipFilter: { allow: ['203.0.113.0/24'] } } }, async () => ({ admin: true }));
    a.get('/open', async () => ({ open: true }));
    const url = await a.listen({ port: 0, host: '127.0.0.1' });
    const call = async (method: 'GET' | 'POST', path: string, ip: string) => {
      const r = await request(`${url}${path}`, { method, headers: { 'x-forwarded-for': ip } });
      return { status: r.statusCode, body: (await r.body.json()) as Record<string, unknown> };
    };
    expect((await call('POST', '/admin', '203.0.113.5')).body).toEqual({ admin: true });
    expect((await call('POST', '/admin', '::ffff:203.0.113.5')).status).toBe(200);
    const out = await call('POST', '/admin', '198.51.100.1');
    expect(out).toMatchObject({ status: 403, body: { code: 'ERR_IP_DENIED', instance: '/admin' } });
    expect((await call('POST', '/admin', '203.0.113.66')).body.code).toBe('ERR_IP_DENIED');
    expect((await call('GET', '/open', '198.51.100.1')).status).toBe(200);
    expect(sink.records().filter((r) => r.msg === 'request refused')).toEqual([
      expect.objectContaining({ code: 'ERR_IP_DENIED', ip: '198.51.100.1', path: '/admin', level: 40 }),
      expect.objectContaining({ code: 'ERR_IP_DENIED', ip: '203.0.113.66', path: '/admin', level: 40 }),
    ]);
  });

  it("a bad route list fails the route's registration, naming the route and the entry", async () => {
    const a = fastify({ logger: false });
    apps.push(a);
    await a.register(hardening, {});
    expect(() => a.post('/admin', { config: { ipFilter: { allow: ['10.0.0.1/8'] } } }, async () => ({}))).toThrow(
      expect.objectContaining({
        code: 'ERR_INVALID_OPTION',
        message: expect.stringMatching(
          /^fastify: route POST \/admin config\.ipFilter\.allow\[0\]: "10\.0\.0\.1\/8" has bits set after its \/8 prefix \(did you mean 10\.0\.0\.0\/8\?/,
        ),
      }),
    );
  });
});
