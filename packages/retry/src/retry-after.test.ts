import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRetryAfter, retry } from './index.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');

describe('parseRetryAfter', () => {
  it('reads delta-seconds', () => {
    expect(parseRetryAfter('120', NOW)).toBe(120_000);
    expect(parseRetryAfter(' 0 ', NOW)).toBe(0);
    expect(parseRetryAfter('1.5', NOW)).toBe(1_500);
    expect(parseRetryAfter(3, NOW)).toBe(3_000);
  });

  it('reads HTTP dates (IMF-fixdate, RFC 850, asctime) relative to now; a past date gives 0', () => {
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', NOW)).toBe(30_000);
    expect(parseRetryAfter('Thursday, 01-Jan-26 00:01:00 GMT', NOW)).toBe(60_000);
    expect(parseRetryAfter('Thu Jan  1 00:00:05 2026', NOW - new Date(NOW).getTimezoneOffset() * 60_000)).toBe(5_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 23:00:00 GMT', NOW)).toBe(0);
  });

  it('returns undefined for absent or unparseable values', () => {
    for (const v of [
      undefined,
      null,
      '',
      '   ',
      'soon',
      '-5',
      '1e3',
      Number.NaN,
      -1,
      Number.POSITIVE_INFINITY,
      true,
      {},
    ]) {
      expect(parseRetryAfter(v, NOW)).toBeUndefined();
    }
  });

  it('clamps huge values to 2^31-1', () => {
    expect(parseRetryAfter('99999999999', NOW)).toBe(2 ** 31 - 1);
    expect(parseRetryAfter('Fri, 01 Jan 2100 00:00:00 GMT', NOW)).toBe(2 ** 31 - 1);
  });

  it('reads headers: WHATWG Headers, plain records (any case), arrays; retry-after-ms wins', () => {
    expect(parseRetryAfter(new Headers({ 'Retry-After': '7' }), NOW)).toBe(7_000);
    expect(parseRetryAfter(new Headers({ 'Retry-After': '7', 'Retry-After-Ms': '250' }), NOW)).toBe(250);
    expect(parseRetryAfter({ 'retry-after': '2' }, NOW)).toBe(2_000);
    expect(parseRetryAfter({ 'Retry-After': ['4', '9'] }, NOW)).toBe(4_000);
    expect(parseRetryAfter({ 'RETRY-AFTER-MS': '12.5' }, NOW)).toBe(12.5);
    expect(parseRetryAfter({ 'retry-after-ms': 'junk', 'retry-after': '1' }, NOW)).toBe(1_000);
    expect(parseRetryAfter(new Map([['retry-after', '3']]), NOW)).toBe(3_000);
    expect(parseRetryAfter({ 'content-type': 'text/plain' }, NOW)).toBeUndefined();
  });

  it('reads a Response', () => {
    const res = new Response(null, { status: 503, headers: { 'retry-after': '5' } });
    expect(parseRetryAfter(res, NOW)).toBe(5_000);
  });

  it('never throws on hostile input', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('trap');
        },
        ownKeys() {
          throw new Error('trap');
        },
      },
    );
    expect(parseRetryAfter(hostile, NOW)).toBeUndefined();
    expect(parseRetryAfter({ headers: hostile }, NOW)).toBeUndefined();
  });
});

describe('retry against a real HTTP server that sends Retry-After', () => {
  let server: Server;
  let url = '';
  const hits: number[] = [];
  beforeAll(async () => {
    server = createServer((_req, res) => {
      hits.push(performance.now());
      const n = hits.length;
      if (n === 1) res.writeHead(503, { 'Retry-After': '0' }).end('down');
      else if (n === 2) res.writeHead(429, { 'Retry-After-Ms': '120', 'Retry-After': '30' }).end('slow down');
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('waits as the server says (retry-after-ms over retry-after) instead of the backoff', async () => {
    const delays: number[] = [];
    const res = await retry(({ signal }) => fetch(url, { signal }), {
      attempts: 5,
      backoff: { type: 'constant', initialMs: 30, jitter: 'none' },
      retryOn: (o) => 'error' in o || o.result.status === 429 || o.result.status >= 500,
      onRetry: (e) => delays.push(e.delayMs),
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok');
    expect(delays).toEqual([30, 120]); // Retry-After: 0 leaves the backoff in charge
    expect(hits).toHaveLength(3);
    expect(hits[2]! - hits[1]!).toBeGreaterThanOrEqual(100); // the real sleep happened (timers may fire ~1 ms early)
  });
});
