// Unit tests of the helpers shared by the three adapters.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger } from '@org/logger';
import { memoryStore, rateLimiter, rateLimiters, rateLimitHeaders, redisStore } from '@org/ratelimit';
import Redis from 'ioredis';
import { describe, expect, it } from 'vitest';
import {
  clientIp,
  compileTrust,
  type DeadlineEntry,
  DeadlineQueue,
  formatResponseTime,
  HeadLines,
  headLineOk,
  insertIntoHead,
  ipKey,
  mergeVary,
  nodeHeaderStore,
  parseBytes,
  parseIp,
  parseMs,
  peerAddress,
  problemForError,
  randomId,
  randomNonce,
  rateLimitHeaderPairs,
  rateLimitHeadLines,
  rendersHead,
  resolveRequestId,
  writeHeadWithLines,
} from './common.js';
import { decide, type LoggerLike, logRequest } from './contracts.js';

describe('parseIp / compileTrust', () => {
  it('parses IPv4, IPv6 (compressed, zone, mapped) and rejects junk', () => {
    expect([...parseIp('10.1.2.3')!]).toEqual([10, 1, 2, 3]);
    expect(parseIp('::1')![15]).toBe(1);
    expect(parseIp('fe80::1%eth0')![0]).toBe(0xfe);
    expect([...parseIp('::ffff:1.2.3.4')!.subarray(10)]).toEqual([255, 255, 1, 2, 3, 4]);
    for (const bad of ['1.2.3', '256.1.1.1', '1::2::3', 'abc', '', '1.2.3.4.5', '12345::'])
      expect(parseIp(bad)).toBeUndefined();
  });

  it('matches CIDRs and named ranges, including IPv4-mapped IPv6 peers', () => {
    const t = compileTrust(['loopback', '10.0.0.0/8', '2001:db8::/32']);
    expect(t('127.0.0.1', 0)).toBe(true);
    expect(t('::ffff:127.0.0.1', 0)).toBe(true);
    expect(t('10.200.0.1', 0)).toBe(true);
    expect(t('11.0.0.1', 0)).toBe(false);
    expect(t('2001:db8:1::5', 0)).toBe(true);
    expect(t('2001:db9::5', 0)).toBe(false);
    expect(compileTrust('uniquelocal')('192.168.1.1', 0)).toBe(true);
    expect(compileTrust(2)('9.9.9.9', 1)).toBe(true);
    expect(compileTrust(2)('9.9.9.9', 2)).toBe(false);
  });

  it('rejects bad trust settings naming the option and the value', () => {
    expect(() => compileTrust(['10.0.0.0/33'], 'express: trustProxy')).toThrow(
      /express: trustProxy: "10.0.0.0\/33" is not/,
    );
    expect(() => compileTrust(-1)).toThrow(/trustProxy must be an integer >= 0/);
    expect(() => compileTrust(['nope'])).toThrow(TypeError);
  });
});

describe('clientIp', () => {
  const loop = compileTrust('loopback');
  it('walks X-Forwarded-For right to left through trusted hops only', () => {
    expect(clientIp('127.0.0.1', '203.0.113.9', loop)).toBe('203.0.113.9');
    expect(clientIp('127.0.0.1', '6.6.6.6, 203.0.113.9', loop)).toBe('203.0.113.9');
    expect(clientIp('127.0.0.1', '6.6.6.6, 203.0.113.9, 127.0.0.1', loop)).toBe('203.0.113.9');
    expect(clientIp('198.51.100.1', '203.0.113.9', loop)).toBe('198.51.100.1');
    expect(clientIp('::ffff:127.0.0.1', undefined, loop)).toBe('127.0.0.1');
    expect(clientIp('127.0.0.1', 'not-an-ip', loop)).toBe('127.0.0.1');
    expect(clientIp('127.0.0.1', ['1.1.1.1', '2.2.2.2'], compileTrust(true))).toBe('1.1.1.1');
    expect(clientIp('127.0.0.1', '1.1.1.1', compileTrust(false))).toBe('127.0.0.1');
  });
});

describe('peerAddress', () => {
  it("reads a real socket's peer once per connection, and never keeps a missing one", async () => {
    const seen: Array<string | undefined> = [];
    const server = http.createServer((req, res) => {
      seen.push(peerAddress(req.socket), peerAddress(req.socket));
      // the kept value is the one Node reports
      seen.push(req.socket.remoteAddress);
      res.end();
    });
    server.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as AddressInfo).port;
    const agent = new http.Agent({ keepAlive: true });
    for (let i = 0; i < 2; i++)
      await new Promise<void>((done) =>
        http.get({ port, host: '127.0.0.1', agent }, (r) => r.resume().on('end', done)),
      );
    agent.destroy();
    await new Promise((r) => server.close(r));
    expect(seen).toEqual(Array(6).fill('127.0.0.1'));

    let reads = 0;
    let addr: string | undefined;
    const sock = {
      get remoteAddress() {
        reads++;
        return addr;
      },
    };
    expect(peerAddress(sock)).toBeUndefined(); // a closed socket reports none: not kept
    addr = '192.0.2.7';
    expect(peerAddress(sock)).toBe('192.0.2.7');
    addr = '192.0.2.8';
    expect(peerAddress(sock)).toBe('192.0.2.7'); // the connection's peer, read once
    expect(reads).toBe(2);
    expect(peerAddress(undefined)).toBeUndefined();
    expect(peerAddress(null)).toBeUndefined();
  });
});

describe('ipKey', () => {
  it('keeps IPv4, groups IPv6 by prefix and unmaps IPv4-mapped addresses', () => {
    expect(ipKey('1.2.3.4', 56)).toBe('1.2.3.4');
    expect(ipKey('2001:db8:aaaa:bbcc:1::1', 56)).toBe('2001:db8:aaaa:bb00:0:0:0:0/56');
    expect(ipKey('2001:db8:aaaa:bbff:2::2', 56)).toBe(ipKey('2001:db8:aaaa:bb00::9', 56));
    expect(ipKey('::ffff:5.6.7.8', 56)).toBe('5.6.7.8');
  });
});

describe('request id, nonce, sizes', () => {
  it('accepts valid ids and replaces the rest', () => {
    const gen = () => 'fresh';
    expect(resolveRequestId('a-b_c.d:e@f+g/h=', gen)).toBe('a-b_c.d:e@f+g/h=');
    for (const bad of [undefined, '', 'a b', 'x'.repeat(129), 'a\r\nb', ['a']])
      expect(resolveRequestId(bad, gen)).toBe('fresh');
  });
  it('makes UUIDv4 request ids: RFC 9562 layout, all distinct across several pool refills, every hex digit used', () => {
    const n = 5000; // 20 text refills (256 ids each) and 2 random-pool refills (4096 ids each)
    const seen = new Set<string>();
    const digits = new Map<string, number>();
    for (let i = 0; i < n; i++) {
      const id = randomId();
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      seen.add(id);
      // the 30 hex digits that are all random (not version, not variant): each of the 16 values shows up evenly
      for (const c of id.replace(/-/g, '').slice(0, 12) +
        id.replace(/-/g, '').slice(13, 16) +
        id.replace(/-/g, '').slice(17))
        digits.set(c, (digits.get(c) ?? 0) + 1);
    }
    expect(seen.size).toBe(n);
    expect(resolveRequestId(undefined, randomId)).toMatch(/^[0-9a-f-]{36}$/);
    // 5000 x 30 digits: 9375 expected per value; a broken byte-to-hex map or a stuck pool would be far off
    expect(digits.size).toBe(16);
    for (const count of digits.values()) expect(Math.abs(count - 9375)).toBeLessThan(600);
  });
  it('makes 128-bit base64 nonces that differ, sharing the random pool with ids without reusing a byte', () => {
    const a = randomNonce();
    expect(a).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(randomNonce()).not.toBe(a);
    // 6000 nonces and 6000 ids (3 refills of the 64 KiB pool): every 16-byte draw distinct, bytes evenly spread
    const nonces = new Set<string>();
    const ids = new Set<string>();
    const counts = new Array<number>(256).fill(0);
    for (let i = 0; i < 6000; i++) {
      const n = randomNonce();
      nonces.add(n);
      for (const byte of Buffer.from(n, 'base64')) counts[byte]!++;
      ids.add(randomId().replace(/-/g, ''));
    }
    expect(nonces.size).toBe(6000);
    expect(ids.size).toBe(6000);
    // 96000 bytes: 375 expected per value; a stuck or reused pool would be far off
    for (const c of counts) expect(Math.abs(c - 375)).toBeLessThan(120);
  });
  it('parses byte sizes and durations, naming the option on errors', () => {
    expect(parseBytes('1mb', 'x')).toBe(1048576);
    expect(parseBytes('512 KiB', 'x')).toBe(524288);
    expect(parseBytes(10, 'x')).toBe(10);
    expect(() => parseBytes('1 parsec', 'hono: bodyLimit')).toThrow(/hono: bodyLimit must be a byte count/);
    expect(() => parseBytes(-1, 'x')).toThrow(RangeError);
    expect(() => parseMs(0, 'express: timeoutMs')).toThrow(
      /express: timeoutMs must be a number of milliseconds in \(0, 2\^31-1\], got 0/,
    );
  });
});

describe('problemForError', () => {
  const ctx = { requestId: 'rid', instance: '/x' };
  it('never leaks an unexpected error', () => {
    const p = problemForError(new Error('password=hunter2'), ctx);
    expect(p).toMatchObject({ status: 500, expected: false });
    expect(JSON.stringify(p)).not.toContain('hunter2');
    expect(p.body).toEqual({
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      instance: '/x',
      requestId: 'rid',
    });
    expect(problemForError('a string', ctx).status).toBe(500);
    expect(problemForError(null, ctx).status).toBe(500);
    const five = problemForError(Object.assign(new Error('db at 10.0.0.5 down'), { status: 502 }), ctx);
    expect(five.status).toBe(502);
    expect(JSON.stringify(five.body)).not.toContain('10.0.0.5');
  });
  it('maps open circuits to 503 + Retry-After (rounded up, at least 1 s; none while isolated)', () => {
    expect(problemForError({ code: 'ERR_CIRCUIT_OPEN', retryAfterMs: 1500 }, ctx).headers).toEqual({
      'retry-after': '2',
    });
    expect(problemForError({ code: 'ERR_CIRCUIT_OPEN', retryAfterMs: 0 }, ctx).headers).toEqual({ 'retry-after': '1' });
    expect(problemForError({ code: 'ERR_CIRCUIT_OPEN', retryAfterMs: Number.POSITIVE_INFINITY }, ctx).headers).toEqual(
      {},
    );
    expect(problemForError({ code: 'ERR_CIRCUIT_OPEN' }, ctx).status).toBe(503);
  });
  it('maps oversize, rate limits, timeouts and client errors', () => {
    expect(problemForError({ type: 'entity.too.large', status: 413 }, ctx).status).toBe(413);
    expect(problemForError({ code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }, ctx).status).toBe(413);
    expect(problemForError({ code: 'ERR_RATE_LIMITED', retryAfterMs: 100 }, ctx)).toMatchObject({
      status: 429,
      headers: { 'retry-after': '1' },
    });
    expect(problemForError({ code: 'ERR_REQUEST_TIMEOUT' }, ctx).status).toBe(503);
    expect(problemForError({ code: 'ERR_CIRCUIT_TIMEOUT' }, ctx).status).toBe(504);
    expect(problemForError({ status: 422, message: 'name is required' }, ctx).body.detail).toBe('name is required');
    expect(problemForError({ status: 400, message: 'internal', expose: false }, ctx).body.detail).toBeUndefined();
  });
});

describe('rateLimitHeaderPairs', () => {
  it('produces the same headers as @org/ratelimit rateLimitHeaders for every format', () => {
    const decisions = [
      {
        allowed: true,
        limit: 10,
        remaining: 7,
        resetMs: 4200,
        retryAfterMs: 0,
        name: 'api',
        windowMs: 60_000,
        source: 'store' as const,
      },
      {
        allowed: false,
        limit: 10,
        remaining: 0,
        resetMs: 9000,
        retryAfterMs: 1200,
        name: 'api',
        windowMs: 60_000,
        source: 'store' as const,
      },
    ];
    for (const d of decisions) {
      for (const format of ['draft-10', 'draft-7', 'draft-6'] as const) {
        const theirs = Object.fromEntries(
          Object.entries(rateLimitHeaders(d, { format })).map(([k, v]) => [k.toLowerCase(), v]),
        );
        expect(Object.fromEntries(rateLimitHeaderPairs(d, format)), format).toEqual(theirs);
      }
    }
    expect(rateLimitHeaderPairs(decisions[1]!, 'none')).toEqual([['retry-after', '2']]);
  });

  it('stays exact when policies alternate (the cached policy strings follow the decision) and for groups', async () => {
    const a = rateLimiter({ name: 'a', limit: 5, windowMs: 10_000, store: memoryStore() });
    const b = rateLimiter({ name: 'b', limit: 7, windowMs: 2_000, store: memoryStore() });
    const group = rateLimiters([
      { name: 'burst', limit: 3, windowMs: 1_000 },
      { name: 'hour', limit: 100, windowMs: 3_600_000 },
    ]);
    for (let i = 0; i < 4; i++) {
      for (const d of [await a.consume('k'), await b.consume('k'), await group.consume('k'), await a.consume('j')]) {
        const theirs = Object.fromEntries(
          Object.entries(rateLimitHeaders(d, { format: 'draft-10' })).map(([k, v]) => [k.toLowerCase(), v]),
        );
        expect(Object.fromEntries(rateLimitHeaderPairs(d, 'draft-10'))).toEqual(theirs);
      }
    }
  });
});

describe('rateLimitHeadLines', () => {
  it('renders exactly the draft-10 pairs as head lines for an allowed one-policy decision, as policies alternate', async () => {
    const a = rateLimiter({ name: 'a', limit: 5, windowMs: 10_000, store: memoryStore() });
    const b = rateLimiter({ name: 'b-2', limit: 7, windowMs: 2_000, store: memoryStore() });
    for (let i = 0; i < 3; i++) {
      for (const d of [await a.consume('k'), await b.consume('k'), await a.consume('j')]) {
        const pairs = rateLimitHeaderPairs(d, 'draft-10');
        expect(rateLimitHeadLines(d, 'draft-10')).toBe(pairs.map(([k, v]) => `${k}: ${v}\r\n`).join(''));
      }
    }
  });

  it('declines what it does not render: denied decisions, other formats, groups, names unsafe in a header', async () => {
    const a = rateLimiter({ name: 'a', limit: 1, windowMs: 10_000, store: memoryStore() });
    const ok = await a.consume('k');
    const denied = await a.consume('k');
    expect(rateLimitHeadLines(ok, 'draft-10')).toBeDefined();
    expect(rateLimitHeadLines(denied, 'draft-10')).toBeUndefined();
    for (const f of ['draft-7', 'draft-6', 'legacy', 'none'] as const)
      expect(rateLimitHeadLines(ok, f)).toBeUndefined();
    const group = rateLimiters([
      { name: 'burst', limit: 3, windowMs: 1_000 },
      { name: 'hour', limit: 100, windowMs: 3_600_000 },
    ]);
    expect(rateLimitHeadLines(await group.consume('k'), 'draft-10')).toBeUndefined();
    expect(rateLimitHeadLines({ ...ok, name: 'bad\nname' }, 'draft-10')).toBeUndefined();
    expect(rateLimitHeadLines(ok, 'draft-10')).toMatch(
      /^ratelimit-policy: "a";q=1;w=10\r\nratelimit: "a";r=0;t=\d+\r\n$/,
    );
  });
});

describe('decide', () => {
  it('answers synchronously from a memory store, with the same decisions as consume()', async () => {
    const l = rateLimiter({ limit: 2, windowMs: 60_000, store: memoryStore() });
    const d1 = decide(l, 'k', undefined);
    expect(typeof (d1 as { then?: unknown }).then).toBe('undefined');
    expect((d1 as { remaining: number }).remaining).toBe(1);
    expect(await l.consume('k')).toMatchObject({ allowed: true, remaining: 0 });
    expect(decide(l, 'k', { cost: 1 })).toMatchObject({ allowed: false, remaining: 0 });
  });

  it('uses consume() for good on a store that is not synchronous (a real Redis store)', async () => {
    const redis = new Redis({ host: '127.0.0.1', port: 6379, lazyConnect: true });
    await redis.connect();
    try {
      const l = rateLimiter({
        name: `kit-decide-${process.pid}-${Date.now()}`,
        limit: 3,
        windowMs: 60_000,
        store: redisStore({ send: (args) => redis.call(args[0]!, ...args.slice(1)) as Promise<unknown> }),
      });
      const calls = { sync: 0 };
      const spied = {
        consume: l.consume.bind(l),
        consumeSync: (k: string, o?: { cost?: number }) => {
          calls.sync++;
          return l.consumeSync(k, o);
        },
      };
      const p1 = decide(spied, 'k', undefined);
      expect(typeof (p1 as Promise<unknown>).then).toBe('function');
      expect(await p1).toMatchObject({ allowed: true, remaining: 2 });
      expect(await decide(spied, 'k', undefined)).toMatchObject({ allowed: true, remaining: 1 });
      expect(calls.sync).toBe(1); // ERR_SYNC_STORE once, then remembered
    } finally {
      redis.disconnect();
    }
  });
});

describe('DeadlineQueue', () => {
  const entry = (fired: string[], name: string): DeadlineEntry & { name: string } => ({
    name,
    dlAt: 0,
    dlPrev: null,
    dlNext: null,
    onDeadline() {
      fired.push(name);
    },
  });

  it('fires entries in order once their time has passed, never cancelled ones, and disarms when empty', async () => {
    const q = new DeadlineQueue(200);
    const fired: string[] = [];
    const [a, b, c, d] = ['a', 'b', 'c', 'd'].map((n) => entry(fired, n)) as [
      ReturnType<typeof entry>,
      ReturnType<typeof entry>,
      ReturnType<typeof entry>,
      ReturnType<typeof entry>,
    ];
    const t0 = performance.now();
    q.add(a);
    q.add(b);
    q.add(c);
    q.cancel(b);
    q.cancel(b); // twice is harmless
    expect(q.size).toBe(2);
    await new Promise((r) => setTimeout(r, 100));
    q.add(d); // due at about t0 + 300
    expect(fired).toEqual([]);
    await new Promise((r) => setTimeout(r, 150));
    // timers never fire early; a late wake-up (loaded machine) may also have seen d fire: check by time
    if (performance.now() - t0 < 295) expect(fired).toEqual(['a', 'c']);
    await new Promise((r) => setTimeout(r, 120));
    expect(fired).toEqual(['a', 'c', 'd']);
    expect(q.size).toBe(0);
    await new Promise((r) => setTimeout(r, 20));
    expect(q.armed).toBe(false);
  });

  it('a throwing callback does not strand the entries behind it', async () => {
    const q = new DeadlineQueue(5);
    const fired: string[] = [];
    const bad = {
      ...entry(fired, 'bad'),
      onDeadline: () => {
        throw new Error('boom');
      },
    };
    const errors: unknown[] = [];
    const onErr = (e: unknown) => errors.push(e);
    process.on('uncaughtException', onErr);
    try {
      q.add(bad);
      q.add(entry(fired, 'after'));
      await new Promise((r) => setTimeout(r, 30));
      expect(fired).toEqual(['after']);
      expect(errors.map((e) => (e as Error).message)).toEqual(['boom']);
    } finally {
      process.off('uncaughtException', onErr);
    }
  });

  it('an entry re-added moves to the end with a fresh deadline', async () => {
    const q = new DeadlineQueue(25);
    const fired: string[] = [];
    const a = entry(fired, 'a');
    q.add(a);
    await new Promise((r) => setTimeout(r, 15));
    q.add(a);
    await new Promise((r) => setTimeout(r, 15));
    expect(fired).toEqual([]);
    await new Promise((r) => setTimeout(r, 25));
    expect(fired).toEqual(['a']);
  });
});

describe('nodeHeaderStore', () => {
  it('writes into a real response exactly what setHeader would, and the client receives it', async () => {
    let probe: Record<string, unknown> = {};
    const server = http.createServer((_req, res) => {
      res.setHeader('X-Before', '1');
      const h = nodeHeaderStore(res)!;
      h['x-request-id'] = ['x-request-id', 'abc'];
      h['content-security-policy'] = ['Content-Security-Policy', "default-src 'none'"];
      probe = {
        get: res.getHeader('x-request-id'),
        has: res.hasHeader('Content-Security-Policy'),
        names: res.getHeaderNames(),
      };
      res.setHeader('x-request-id', 'route-wins');
      res.end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      expect(res.headers.get('x-request-id')).toBe('route-wins');
      expect(res.headers.get('content-security-policy')).toBe("default-src 'none'");
      expect(res.headers.get('x-before')).toBe('1');
      expect(probe).toEqual({ get: 'abc', has: true, names: ['x-before', 'x-request-id', 'content-security-policy'] });
    } finally {
      server.close();
    }
  });

  it('declines a patched setHeader, a sent head and anything that is not a Node response', () => {
    const req = new http.IncomingMessage(null as never);
    const res = new http.ServerResponse(req);
    expect(nodeHeaderStore(res)).toBeDefined();
    const patched = new http.ServerResponse(req);
    patched.setHeader = function (this: http.ServerResponse, n: string, v: number | string | readonly string[]) {
      return http.ServerResponse.prototype.setHeader.call(this, n, v);
    };
    expect(nodeHeaderStore(patched)).toBeUndefined();
    expect(nodeHeaderStore(res)).toBeDefined(); // the genuine one again
    class Sub extends http.ServerResponse {
      override setHeader(n: string, v: number | string | readonly string[]): this {
        return super.setHeader(n, v);
      }
    }
    expect(nodeHeaderStore(new Sub(req))).toBeUndefined();
    const fake = { headersSent: false, setHeader: () => undefined };
    expect(nodeHeaderStore(fake)).toBeUndefined();
    const sent = new http.ServerResponse(req);
    Object.defineProperty(sent, 'headersSent', { value: true });
    expect(nodeHeaderStore(sent)).toBeUndefined();
  });
});

describe('head lines rendered once (HeadLines, rendersHead, insertIntoHead)', () => {
  it('renders valid pairs once and leaves invalid or framing ones (and duplicates) to the runtime', () => {
    const l = new HeadLines([
      ['X-Frame-Options', 'DENY'],
      ['Content-Security-Policy', "default-src 'self'"],
      ['Bad Name', 'x'],
      ['X-Bad-Value', 'a\r\nb'],
      ['Connection', 'close'],
      ['x-frame-options', 'SAMEORIGIN'],
    ]);
    expect(l.text).toBe("x-frame-options: DENY\r\ncontent-security-policy: default-src 'self'\r\n");
    expect(l.pairs).toEqual([
      ['x-frame-options', 'DENY'],
      ['content-security-policy', "default-src 'self'"],
    ]);
    expect(l.all).toEqual([...l.pairs, ...l.rest]);
    expect(l.rest).toEqual([
      ['bad name', 'x'],
      ['x-bad-value', 'a\r\nb'],
      ['connection', 'close'],
      ['x-frame-options', 'SAMEORIGIN'],
    ]);
    expect(l.clashes({ 'content-type': 'x' })).toBe(false);
    expect(l.clashes({ 'x-frame-options': 'SAMEORIGIN' })).toBe(true);
    expect(l.clashes({ 'x-frame-options': undefined })).toBe(false);
    expect(l.without({ 'x-frame-options': 'SAMEORIGIN' })).toBe("content-security-policy: default-src 'self'\r\n");
    // two records (the route's and Node's store): a name in either is taken
    expect(l.clashes({ 'content-type': 'x' }, { 'content-security-policy': ['Content-Security-Policy', 'x'] })).toBe(
      true,
    );
    expect(l.clashes(null, undefined)).toBe(false);
    expect(l.without({ 'x-frame-options': 'DENY' }, { 'content-security-policy': ['x', 'y'] })).toBe('');
    expect(l.without(null, { 'x-frame-options': ['X-Frame-Options', 'DENY'] })).toBe(
      "content-security-policy: default-src 'self'\r\n",
    );
    // the names left to the runtime count as ours too
    expect(l.clashes({ connection: 'keep-alive' })).toBe(true);
    expect(headLineOk('x-ok', 'v\u00e9')).toBe(true);
    expect(headLineOk('x-ok', 'v\u0100')).toBe(false);
    expect(headLineOk('content-length', '1')).toBe(false);
    expect(headLineOk('Content-Length', '1')).toBe(false);
  });

  it('headLineOk accepts exactly what Node accepts in a name and a value, minus the framing names', () => {
    const nodeOk = (name: string, value: string): boolean => {
      try {
        http.validateHeaderName(name);
        http.validateHeaderValue(name, value);
        return true;
      } catch {
        return false;
      }
    };
    const framing = new Set(['connection', 'content-length', 'transfer-encoding', 'date', 'expect', 'trailer']);
    // every char from NUL to U+02FF, alone and inside otherwise valid text, in a name and in a value
    for (let c = 0; c < 0x300; c++) {
      const ch = String.fromCharCode(c);
      for (const name of [ch, `x-${ch}`, `${ch}-x`])
        expect([name, headLineOk(name, 'v')]).toEqual([name, nodeOk(name, 'v')]);
      for (const value of [ch, `a${ch}b`, `${ch}${ch}`])
        expect([c, headLineOk('x-v', value)]).toEqual([c, nodeOk('x-v', value)]);
    }
    for (const name of ['', 'X-Upper', 'CONNECTION', 'Keep-Alive', 'date', 'x\u00e9'])
      expect([name, headLineOk(name, 'v')]).toEqual([
        name,
        nodeOk(name, 'v') && !framing.has(name.toLowerCase()) && name.toLowerCase() !== 'keep-alive',
      ]);
    expect(headLineOk('x-empty', '')).toBe(true);
  });

  it('adds lines to the head Node renders on a real response; the client receives them once, with the body', async () => {
    let renders: boolean[] = [];
    let inserted: boolean[] = [];
    const server = http.createServer((_req, res) => {
      const wh = res.writeHead;
      renders = [rendersHead(res, wh), rendersHead(res, () => undefined)];
      res.setHeader('content-type', 'text/plain');
      wh.call(res, 200);
      inserted = [insertIntoHead(res, 'x-added: 1\r\nx-other: two\r\n')];
      res.end('body');
      inserted.push(insertIntoHead(res, 'x-late: 1\r\n')); // sent: refused
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      expect(res.headers.get('x-added')).toBe('1');
      expect(res.headers.get('x-other')).toBe('two');
      expect(res.headers.get('x-late')).toBeNull();
      expect(res.headers.get('content-type')).toBe('text/plain');
      expect(await res.text()).toBe('body');
      expect(renders).toEqual([true, false]);
      expect(inserted).toEqual([true, false]);
    } finally {
      server.close();
    }
  });

  it('writeHeadWithLines renders the lines in the head Node builds, once, and leaves no lines for another response', async () => {
    const heads: string[] = [];
    const server = http.createServer((req, res) => {
      const wh = res.writeHead as (...a: unknown[]) => unknown;
      res.setHeader('content-type', 'text/plain');
      if (req.url === '/throws') {
        // the route's own header is invalid: Node throws before rendering, and the lines are not kept for later
        expect(() => writeHeadWithLines(res, wh, 'x-lost: 1\r\n', 200, { 'x-bad': 'a\nb' })).toThrow(
          /Invalid character/,
        );
        res.removeHeader('x-bad');
        wh.call(res, 500);
      } else if (req.url === '/empty') writeHeadWithLines(res, wh, '', 204);
      else writeHeadWithLines(res, wh, 'x-added: 1\r\nx-other: two\r\n', 200, 'Fine', { 'x-route': 'r' });
      heads.push(String((res as unknown as { _header: string })._header));
      res.end(req.url === '/empty' ? undefined : 'body');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const res = await fetch(`${base}/`);
      expect(res.status).toBe(200);
      expect(res.statusText).toBe('Fine');
      expect(res.headers.get('x-added')).toBe('1');
      expect(res.headers.get('x-other')).toBe('two');
      expect(res.headers.get('x-route')).toBe('r');
      expect(res.headers.get('content-type')).toBe('text/plain');
      expect(await res.text()).toBe('body');
      expect(heads[0]!.match(/x-added/g)).toHaveLength(1);
      expect(heads[0]!.startsWith('HTTP/1.1 200 Fine\r\nx-added: 1\r\nx-other: two\r\n')).toBe(true);
      expect(heads[0]!.endsWith('\r\n\r\n')).toBe(true);
      const bad = await fetch(`${base}/throws`);
      expect(bad.status).toBe(500);
      expect(bad.headers.get('x-lost')).toBeNull();
      await bad.text();
      const empty = await fetch(`${base}/empty`);
      expect(empty.status).toBe(204);
      // later responses get only their own lines
      const again = await fetch(`${base}/`);
      expect(again.headers.get('x-lost')).toBeNull();
      expect(again.headers.get('x-added')).toBe('1');
      await again.text();
    } finally {
      server.close();
    }
  });

  it('writeHeadWithLines adds the lines after the head when the response renders through another _storeHeader', () => {
    const req = new http.IncomingMessage(null as never);
    const res = new http.ServerResponse(req);
    const node = (res as unknown as { _storeHeader: (...a: unknown[]) => unknown })._storeHeader;
    const seen: string[] = [];
    (res as unknown as { _storeHeader: unknown })._storeHeader = function (this: unknown, line: string, h: unknown) {
      seen.push(line);
      return node.call(this, line, h);
    };
    writeHeadWithLines(res, res.writeHead as (...a: unknown[]) => unknown, 'x-late: 1\r\n', 200);
    expect(seen).toEqual(['HTTP/1.1 200 OK\r\n']);
    const head = String((res as unknown as { _header: string })._header);
    expect(head.endsWith('x-late: 1\r\n\r\n')).toBe(true);
  });

  it('declines test doubles, subclasses that override writeHead, and a head not yet rendered', () => {
    const req = new http.IncomingMessage(null as never);
    const res = new http.ServerResponse(req);
    expect(rendersHead(res, res.writeHead)).toBe(true);
    expect(insertIntoHead(res, 'x: 1\r\n')).toBe(false); // nothing rendered yet
    class Sub extends http.ServerResponse {}
    // a subclass that wraps writeHead on its prototype (as light-my-request's Response does)
    (Sub.prototype as { writeHead: unknown }).writeHead = function (this: http.ServerResponse, ...a: unknown[]) {
      return (http.ServerResponse.prototype.writeHead as (...x: unknown[]) => unknown).apply(this, a);
    };
    const sub = new Sub(req);
    expect(rendersHead(sub, sub.writeHead)).toBe(false);
    expect(rendersHead({ headersSent: false, setHeader: () => undefined }, () => undefined)).toBe(false);
    expect(rendersHead(res, res.writeHead)).toBe(true); // the cache follows the prototype
    const noHead = new http.ServerResponse(req);
    (noHead as unknown as { _header: unknown })._header = undefined; // a runtime that does not keep Node's `_header`
    expect(rendersHead(noHead, noHead.writeHead)).toBe(false);
  });
});

describe('formatResponseTime', () => {
  it('three decimals, as toFixed(3) prints them, and toFixed for values out of range', () => {
    for (const ms of [0, 0.0004, 0.0006, 0.5, 1.25, 12.3456, 999.9999, 123456.789]) {
      expect(formatResponseTime(ms)).toBe(`${(Math.round(ms * 1000) / 1000).toFixed(3)}ms`);
    }
    expect(formatResponseTime(-1)).toBe('-1.000ms');
    expect(formatResponseTime(Number.NaN)).toBe('NaNms');
  });
});

describe('mergeVary', () => {
  it('merges without duplicates, case-insensitively, and lets * absorb everything', () => {
    expect(mergeVary(undefined, ['Origin'])).toBe('Origin');
    expect(mergeVary('Accept-Encoding', ['Origin'])).toBe('Accept-Encoding, Origin');
    expect(mergeVary('origin, Accept', ['Origin', 'Access-Control-Request-Method'])).toBe(
      'origin, Accept, Access-Control-Request-Method',
    );
    expect(mergeVary('*', ['Origin'])).toBe('*');
    expect(mergeVary('Accept', '*')).toBe('*');
  });
});

describe('logRequest', () => {
  it("writes the same line through @org/logger's prepared record as through (fields, msg) calls", () => {
    const lines: string[] = [];
    const log = createLogger({ base: { pid: 1 }, clock: () => 1_764_000_000_000, sink: (l) => lines.push(l) });
    // the same logger without prepare(), as a pino-style logger is called
    const withoutPrepare = (l: LoggerLike): LoggerLike => ({
      info: (f, m) => l.info(f, m),
      warn: (f, m) => l.warn(f, m),
      error: (f, m) => l.error(f, m),
    });
    const child = log.child({ svc: 'api' });
    const cases: Array<[string | undefined, number, string, boolean]> = [
      ['9e5754c0-4db7-4ebb-b8fe-37e57a916b0b', 200, '127.0.0.1', false],
      [undefined, 404, '::1', true],
      ['id "quoted"', 500, '10.0.0.1', false],
    ];
    for (const logger of [log, child]) {
      for (const [id, status, ip, aborted] of cases) {
        lines.length = 0;
        // t0 = -Infinity: durationMs is Infinity on both paths, whatever the clock reads between the two calls
        logRequest(logger, id, 'GET', '/a', status, Number.NEGATIVE_INFINITY, ip, aborted);
        logRequest(withoutPrepare(logger), id, 'GET', '/a', status, Number.NEGATIVE_INFINITY, ip, aborted);
        expect(lines).toHaveLength(2);
        expect(lines[0]).toBe(lines[1]);
        const rec = JSON.parse(lines[0]!);
        expect(rec).toMatchObject({ method: 'GET', path: '/a', status, ip, msg: 'request completed' });
        expect(rec.level).toBe(status >= 500 ? 50 : status >= 400 ? 40 : 30);
        expect(rec.requestId).toBe(id);
        expect(rec.aborted).toBe(aborted ? true : undefined);
      }
    }
  });
});
