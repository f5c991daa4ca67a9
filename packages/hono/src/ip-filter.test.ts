// ipFilter() through the Fetch path (`app.request()` with a Deno-shaped env carrying the peer address, as the
// conformance suite's hono-fetch target runs it on Node).
import { createLogger, memorySink } from '@org/logger';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { type HardeningEnv, hardening, ipFilter } from './index.js';

const from = (app: Hono<HardeningEnv>, path: string, peer: string | undefined, headers: Record<string, string> = {}) =>
  app.request(path, { method: 'POST', headers }, peer === undefined ? {} : { remoteAddr: { hostname: peer } });

describe('@org/hono ipFilter', () => {
  it('guards the paths it is mounted on, on the address hardening() found behind trusted proxies', async () => {
    const sink = memorySink();
    const logger = createLogger({ sink });
    const app = new Hono<HardeningEnv>();
    app.use(hardening({ logger, trustProxy: 'loopback' }));
    app.use('/admin/*', ipFilter({ allow: ['loopback', '2001:db8:ad::/48'] }, { logger }));
    app.post('/admin/op', (c) => c.json({ admin: true }));
    app.post('/open', (c) => c.json({ open: true }));
    expect((await from(app, '/admin/op', '127.0.0.1')).status).toBe(200);
    expect((await from(app, '/admin/op', '::1', { 'x-forwarded-for': '2001:db8:ad::9' })).status).toBe(200);
    const out = await from(app, '/admin/op', '127.0.0.1', { 'x-forwarded-for': '198.51.100.4' });
    expect(out.status).toBe(403);
    expect(out.headers.get('content-type')).toBe('application/problem+json');
    expect(await out.json()).toMatchObject({ code: 'ERR_IP_DENIED', instance: '/admin/op' });
    // a peer that is not a trusted proxy cannot name another client
    expect((await from(app, '/admin/op', '198.51.100.4', { 'x-forwarded-for': '127.0.0.1' })).status).toBe(403);
    expect((await from(app, '/open', '198.51.100.4')).status).toBe(200);
    expect(sink.records().filter((r) => r.msg === 'request refused')).toHaveLength(2);
  });

  it('without hardening() it reads the runtime peer; with no address at all it answers 500, never letting everyone through', async () => {
    const app = new Hono();
    app.use('*', ipFilter({ deny: ['192.0.2.0/24'] }));
    app.post('/x', (c) => c.json({ ok: true }));
    expect((await from(app as never, '/x', '192.0.2.9')).status).toBe(403);
    expect((await from(app as never, '/x', '::ffff:192.0.2.9')).status).toBe(403);
    expect((await from(app as never, '/x', '198.51.100.9')).status).toBe(200);
    const none = await from(app as never, '/x', undefined);
    expect(none.status).toBe(500);
    expect(await none.json()).toMatchObject({ code: 'ERR_INTERNAL' });
  });

  it('a bad list throws ERR_INVALID_OPTION when the middleware is made, naming the entry', () => {
    expect(() => ipFilter({ deny: ['192.0.2.0/24', 'fe80::1%eth0'] })).toThrow(
      expect.objectContaining({
        code: 'ERR_INVALID_OPTION',
        message: expect.stringMatching(/^hono: ipFilter\.deny\[1\]: "fe80::1%eth0" has a zone id/),
      }),
    );
  });
});
