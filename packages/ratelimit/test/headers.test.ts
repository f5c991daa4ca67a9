import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseList } from 'structured-headers';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ipKey,
  memoryStore,
  RATE_LIMIT_HEADER_NAMES,
  type RateLimitDecision,
  rateLimiter,
  rateLimiters,
  rateLimitHeaders,
  redisStore,
  windowHeaderSuffix,
} from '../src/index.js';

const servers: Server[] = [];
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
    await once(s, 'close');
  }
});

describe('draft-11 RateLimit headers', () => {
  it('is the default format: one list item per policy, qu only for a unit other than requests', async () => {
    const group = rateLimiters([
      { name: 'burst', limit: 10, windowMs: 1_000 },
      { name: 'bytes', limit: 65_535, windowMs: 10_000, quotaUnit: 'content-bytes' },
    ]);
    const d = await group.consume('k', { cost: 3 });
    const h = rateLimitHeaders(d);
    expect(h).toEqual({
      'RateLimit-Policy': '"burst";q=10;w=1, "bytes";q=65535;qu="content-bytes";w=10',
      RateLimit: `"burst";r=7;t=${Math.ceil(d.policies![0]!.resetMs / 1000)}, "bytes";r=65532;t=${Math.ceil(d.policies![1]!.resetMs / 1000)}`,
    });
    expect(rateLimitHeaders(d, { format: 'draft-10' })).toEqual(h);
    // What a structured-field parser (RFC 9651) reads back.
    const [[name, params]] = [parseList(h['RateLimit-Policy']!)[1]!];
    expect(name).toBe('bytes');
    expect(Object.fromEntries(params)).toEqual({ q: 65535, qu: 'content-bytes', w: 10 });
    expect(Object.fromEntries(parseList(h.RateLimit!)[0]![1])).toEqual({ r: 7, t: 1 });
  });

  it('every header name comes from RATE_LIMIT_HEADER_NAMES', async () => {
    const l = rateLimiters([
      { name: 'minute', limit: 1, windowMs: 60_000 },
      { name: 'hour', limit: 5, windowMs: 3_600_000 },
    ]);
    await l.consume('k');
    const denied = await l.consume('k');
    const names = new Set(Object.values(RATE_LIMIT_HEADER_NAMES));
    for (const format of ['draft-11', 'draft-10', 'draft-7', 'draft-6', 'legacy', 'legacy-window'] as const) {
      for (const k of Object.keys(rateLimitHeaders(denied, { format }))) {
        const base = k.replace(/-(Minute|Hour)$/, '');
        expect(names.has(base), `${format}: ${k}`).toBe(true);
      }
    }
  });

  it('refuses a quota unit that is not a registry-style name', () => {
    for (const quotaUnit of ['', 'Bytes', 'content bytes', '"x"', 'é']) {
      expect(() => rateLimiter({ limit: 1, windowMs: 1000, quotaUnit })).toThrow(/rateLimiter: quotaUnit must be/);
    }
    expect(rateLimiter({ limit: 1, windowMs: 1000, quotaUnit: 'concurrent-requests' }).policies[0]!.quotaUnit).toBe(
      'concurrent-requests',
    );
  });
});

describe('legacy per-window headers', () => {
  it('derives the header names from each policy name', () => {
    expect(windowHeaderSuffix('minute')).toBe('Minute');
    expect(windowHeaderSuffix('per-ip')).toBe('Per-Ip');
    expect(windowHeaderSuffix('api:read')).toBe('Api-Read');
    expect(windowHeaderSuffix('60/min')).toBe('60-Min');
    const one = rateLimiter({ name: 'day', limit: 3, windowMs: 86_400_000 });
    const d: RateLimitDecision = one.consumeSync('k');
    expect(rateLimitHeaders(d, { format: 'legacy-window' })).toEqual({
      'X-RateLimit-Limit-Day': '3',
      'X-RateLimit-Remaining-Day': '2',
    });
  });

  it('a group answered by onStoreError still lists every policy (all per-window headers present)', async () => {
    const down = redisStore({
      send: () => Promise.reject(new Error('ECONNREFUSED')),
    });
    for (const onStoreError of ['allow', 'deny'] as const) {
      const perIp = rateLimiters(
        [
          { name: 'minute', limit: 60, windowMs: 60_000 },
          { name: 'hour', limit: 1_000, windowMs: 3_600_000 },
        ],
        { store: down, onStoreError },
      );
      const d = await perIp.consume('203.0.113.7');
      expect(d.source).toBe('store-error');
      const h = rateLimitHeaders(d, { format: 'legacy-window' });
      expect(h).toMatchObject({
        'X-RateLimit-Limit-Minute': '60',
        'X-RateLimit-Remaining-Minute': onStoreError === 'allow' ? '60' : '0',
        'X-RateLimit-Limit-Hour': '1000',
        'X-RateLimit-Remaining-Hour': onStoreError === 'allow' ? '1000' : '0',
      });
      expect(parseList(rateLimitHeaders(d).RateLimit!).map(([n]) => n)).toEqual(['minute', 'hour']);
    }
  });

  it('refuses a group whose policies would share header names', () => {
    expect(() =>
      rateLimiters([
        { name: 'minute', limit: 1, windowMs: 60_000 },
        { name: 'Minute', limit: 2, windowMs: 60_000 },
      ]),
    ).toThrow(/policies\[0\] \(minute\) and policies\[1\] \(Minute\) would share the header names/);
    expect(() =>
      rateLimiters([
        { name: 'a:b', limit: 1, windowMs: 60_000 },
        { name: 'a-b', limit: 2, windowMs: 60_000 },
      ]),
    ).toThrow(/would share the header names X-RateLimit-\*-A-B/);
    expect(() =>
      rateLimiters([
        { name: 'same', limit: 1, windowMs: 60_000 },
        { name: 'same', limit: 2, windowMs: 60_000 },
      ]),
    ).toThrow(/policy names must be unique, got same twice/);
  });

  it('the README example: 60/minute and 1000/hour per IP over real HTTP', async () => {
    let now = 1_700_000_000_000;
    const store = memoryStore({ clock: () => now });

    // --- as in the README ("Scenario: 60 per minute and 1000 per hour per IP, legacy per-window headers") ---
    const perIp = rateLimiters(
      [
        { name: 'minute', limit: 60, windowMs: 60_000 },
        { name: 'hour', limit: 1_000, windowMs: 3_600_000 },
      ],
      { store },
    );
    const server = createServer(async (req, res) => {
      const d = await perIp.consume(ipKey(req.socket.remoteAddress ?? ''));
      for (const [name, value] of Object.entries(rateLimitHeaders(d, { format: 'legacy-window' })))
        res.setHeader(name, value);
      if (!d.allowed) {
        res.writeHead(429).end();
        return;
      }
      res.end('ok');
    });
    // --- end of the README example ---

    servers.push(server);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const get = async () => {
      const r = await fetch(url);
      await r.arrayBuffer();
      return {
        status: r.status,
        limitMinute: r.headers.get('x-ratelimit-limit-minute'),
        remainingMinute: r.headers.get('x-ratelimit-remaining-minute'),
        limitHour: r.headers.get('x-ratelimit-limit-hour'),
        remainingHour: r.headers.get('x-ratelimit-remaining-hour'),
        retryAfter: r.headers.get('retry-after'),
      };
    };

    for (let i = 1; i <= 60; i++) {
      expect(await get()).toEqual({
        status: 200,
        limitMinute: '60',
        remainingMinute: String(60 - i),
        limitHour: '1000',
        remainingHour: String(1000 - i),
        retryAfter: null,
      });
    }
    // The 61st request in the same minute: refused, nothing charged to either window.
    expect(await get()).toEqual({
      status: 429,
      limitMinute: '60',
      remainingMinute: '0',
      limitHour: '1000',
      remainingHour: '940',
      retryAfter: '1',
    });
    // A minute later the minute window is full again; the hour window has regained 60 s worth (1000/h = 1 per 3.6 s).
    now += 60_000;
    const after = await get();
    expect(after).toMatchObject({ status: 200, remainingMinute: '59', limitHour: '1000' });
    expect(Number(after.remainingHour)).toBe(940 + Math.floor(60 / 3.6) - 1);
  });
});
