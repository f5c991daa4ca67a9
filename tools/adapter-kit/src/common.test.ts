// Unit tests of the helpers shared by the three adapters.
import { rateLimitHeaders } from '@org/ratelimit';
import { describe, expect, it } from 'vitest';
import {
  clientIp,
  compileTrust,
  ipKey,
  mergeVary,
  parseBytes,
  parseIp,
  parseMs,
  problemForError,
  randomNonce,
  rateLimitHeaderPairs,
  resolveRequestId,
} from './common.js';

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
  it('makes 128-bit base64 nonces that differ', () => {
    const a = randomNonce();
    expect(a).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(randomNonce()).not.toBe(a);
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
