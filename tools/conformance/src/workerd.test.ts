// The Hono adapter on workerd (Cloudflare's Workers runtime): timers set inside a request die with it, and the
// runtime gives no client address.
import { fileURLToPath } from 'node:url';
import { startWorkerd, type Workerd } from '@org/runtimes/workerd';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LogRecord } from './harness.js';
import { send, until } from './scenarios.js';
import { RATE_LIMIT, TIMEOUT_MS } from './stack.js';

const entry = fileURLToPath(new URL('./worker.ts', import.meta.url));

describe('hono-fetch on workerd', () => {
  let w: Workerd;
  const logs = (): LogRecord[] =>
    w
      .output()
      .split('\n')
      .map((l) => l.slice(l.indexOf('{')))
      .filter((l) => l.startsWith('{'))
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as LogRecord];
        } catch {
          return [];
        }
      });
  beforeAll(async () => {
    w = await startWorkerd({ entry });
  }, 60_000);
  afterAll(async () => {
    await w?.stop();
  });

  it('defect 7: the timeout fires after fast requests too (no timer outlives the request that set it)', async () => {
    const ip = { 'cf-connecting-ip': '203.0.113.70' };
    for (let round = 0; round < 2; round++) {
      expect((await send(w.url, '/keyed/hello', { clientIp: null, headers: ip })).status).toBe(200);
      const t0 = Date.now();
      const slow = await send(w.url, '/keyed/slow', { clientIp: null, headers: ip, headersTimeout: 8_000 });
      expect(slow.status, `round ${round}: ${slow.text}`).toBe(503);
      expect(slow.headers['content-type']).toBe('application/problem+json');
      expect(Date.now() - t0).toBeLessThan(TIMEOUT_MS + 3_000);
    }
  }, 30_000);

  it('defect 7: with a client address source, each client has its own bucket', async () => {
    for (let i = 0; i < RATE_LIMIT; i++)
      expect(
        (await send(w.url, '/keyed/hello', { clientIp: null, headers: { 'cf-connecting-ip': '203.0.113.71' } })).status,
      ).toBe(200);
    expect(
      (await send(w.url, '/keyed/hello', { clientIp: null, headers: { 'cf-connecting-ip': '203.0.113.71' } })).status,
    ).toBe(429);
    expect(
      (await send(w.url, '/keyed/hello', { clientIp: null, headers: { 'cf-connecting-ip': '203.0.113.72' } })).status,
    ).toBe(200);
  });

  it('defect 7: without one, clients are never pooled into one bucket: 500 problem+json and one error line naming the fix', async () => {
    const codes: number[] = [];
    for (let i = 0; i < RATE_LIMIT + 2; i++) {
      const r = await send(w.url, '/plain/hello', {
        clientIp: null,
        headers: { 'cf-connecting-ip': `203.0.113.${80 + i}` },
      });
      codes.push(r.status);
      if (r.status === 500) expect(r.headers['content-type']).toBe('application/problem+json');
    }
    expect(codes).toEqual(Array(RATE_LIMIT + 2).fill(500));
    expect(await until(() => logs().some((l) => /remoteAddress/.test(String(l.msg))))).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(logs().filter((l) => /remoteAddress/.test(String(l.msg)))).toHaveLength(1);
  });
});
