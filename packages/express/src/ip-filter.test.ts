// h.ipFilter() on a real Express server over loopback (X-Forwarded-For from the loopback peer is trusted).
import type { AddressInfo } from 'node:net';
import { createLogger, memorySink } from '@org/logger';
import express from 'express';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { hardening } from './index.js';

const servers: Array<import('node:http').Server> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

describe('@org/express ipFilter', () => {
  it('app-wide deny list and a route allow list, on the trusted client address; one warn line per refusal', async () => {
    const sink = memorySink();
    const h = hardening({
      trustProxy: 'loopback',
      logger: createLogger({ sink }),
      ipFilter: { deny: ['192.0.2.0/24'] },
    });
    const app = express();
    app.use(h);
    app.post('/admin', h.ipFilter({ allow: ['203.0.113.0/24'] }), (_req, res) => {
      res.json({ admin: true });
    });
    app.get('/open', (_req, res) => {
      res.json({ open: true });
    });
    app.use(h.errorHandler);
    const server = app.listen(0, '127.0.0.1');
    servers.push(server);
    await new Promise((r) => server.once('listening', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const call = async (method: 'GET' | 'POST', path: string, ip: string) => {
      const r = await request(`${url}${path}`, { method, headers: { 'x-forwarded-for': ip } });
      return { status: r.statusCode, body: (await r.body.json()) as Record<string, unknown> };
    };
    expect((await call('POST', '/admin', '203.0.113.5')).body).toEqual({ admin: true });
    expect((await call('POST', '/admin', '198.51.100.1')).body).toMatchObject({ status: 403, code: 'ERR_IP_DENIED' });
    expect((await call('GET', '/open', '198.51.100.1')).status).toBe(200);
    expect((await call('GET', '/open', '192.0.2.1')).body).toMatchObject({ status: 403, code: 'ERR_IP_DENIED' });
    await new Promise((r) => setTimeout(r, 20));
    expect(sink.records().filter((r) => r.msg === 'request refused')).toEqual([
      expect.objectContaining({ code: 'ERR_IP_DENIED', ip: '198.51.100.1', path: '/admin', level: 40 }),
      expect.objectContaining({ code: 'ERR_IP_DENIED', ip: '192.0.2.1', path: '/open', level: 40 }),
    ]);
  });

  it('a bad list throws ERR_INVALID_OPTION at setup, naming the entry', () => {
    expect(() => hardening({}).ipFilter({ allow: ['10.0.0.0/33'] })).toThrow(
      expect.objectContaining({
        code: 'ERR_INVALID_OPTION',
        message: expect.stringMatching(
          /^express: ipFilter\.allow\[0\]: "10\.0\.0\.0\/33" has a prefix length above 32/,
        ),
      }),
    );
  });
});
