// The body limit on Node holds whoever reads the body, counted without reading it (watchBody) or by the stream the
// reader gets (limitedBody).
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { declaredTooLarge } from './body-limit.js';
import { limitedBody, watchBody } from './node-body-limit.js';

const LIMIT = 64 * 1024;
const body = (bytes: number) =>
  Readable.from(
    (function* () {
      for (let n = 0; n < bytes; n += 8 * 1024) yield Buffer.alloc(8 * 1024, 1);
    })(),
  );

describe('watchBody', () => {
  let server: http.Server;
  let base: string;
  beforeAll(async () => {
    server = http.createServer(async (req, res) => {
      let over = false;
      watchBody(req, LIMIT, () => {
        over = true;
        res.setHeader('connection', 'close');
        res.statusCode = 413;
        res.end();
      });
      let read = 0;
      try {
        if (req.url === '/data') for await (const c of req.iterator({ destroyOnReturn: false })) read += c.length;
        else if (req.url === '/on-data')
          await new Promise<void>((resolve) => {
            req.on('data', (c: Buffer) => {
              read += c.length;
            });
            req.on('end', resolve);
            req.on('close', resolve);
          });
        else if (req.url === '/pipe') {
          const { Writable } = await import('node:stream');
          await pipeline(
            req,
            new Writable({
              write(c: Buffer, _e, cb) {
                read += c.length;
                cb();
              },
            }),
          );
        }
      } catch {}
      if (!over) res.end(JSON.stringify({ read }));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it.each(['/data', '/on-data', '/pipe'])(
    '%s: the reader gets the whole body under the limit, 413 over it',
    async (path) => {
      const ok = await request(`${base}${path}`, { method: 'POST', body: body(LIMIT - 8 * 1024) });
      expect(await ok.body.json()).toEqual({ read: LIMIT - 8 * 1024 });
      const big = await request(`${base}${path}`, { method: 'POST', body: body(LIMIT * 8) }).catch((e: Error) => e);
      // the answer, or the connection closed under a client still sending (both: the body was not read to its end)
      if (!(big instanceof Error)) expect(big.statusCode).toBe(413);
    },
  );
});

describe('limitedBody', () => {
  it('passes a body under the limit through and fails over it, counting what it saw', async () => {
    const small = limitedBody(body(LIMIT), LIMIT, () => new Error('too large'));
    let n = 0;
    for await (const c of small) n += (c as Buffer).length;
    expect(n).toBe(LIMIT);
    expect((small as unknown as { receivedEncodedLength: number }).receivedEncodedLength).toBe(LIMIT);
    const big = limitedBody(body(LIMIT * 4), LIMIT, () => Object.assign(new Error('too large'), { status: 413 }));
    let got = 0;
    await expect(
      (async () => {
        for await (const c of big) got += (c as Buffer).length;
      })(),
    ).rejects.toMatchObject({ status: 413 });
    expect(got).toBeLessThanOrEqual(LIMIT);
  });

  it('declaredTooLarge reads Content-Length', () => {
    expect(declaredTooLarge('65537', LIMIT)).toBe(true);
    expect(declaredTooLarge('65536', LIMIT)).toBe(false);
    expect(declaredTooLarge(undefined, LIMIT)).toBe(false);
  });
});
