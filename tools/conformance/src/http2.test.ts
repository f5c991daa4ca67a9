// The adapters over HTTP/2 (h2c, node:http2's compatibility API): Fastify's `http2: true` and @hono/node-server's
// `createServer: http2.createServer`, on Node 20, 22 and 24, each server in its own process, driven by node:http2's
// client over a real loopback connection. Express does not run on node:http2 (its request and response extend
// node:http's), so it has no HTTP/2 target.
import { type ClientHttp2Session, connect, constants, type IncomingHttpHeaders } from 'node:http2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer, type Target, targetName } from './harness.js';
import { BODY_LIMIT } from './stack.js';

const targets: Target[] = (['node20', 'node22', 'node24'] as const).flatMap((runtime) =>
  (['fastify', 'hono-node'] as const).map((app) => ({ app, runtime })),
);

interface H2Res {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  /** The stream's RST_STREAM code (0: NO_ERROR). */
  rstCode: number | undefined;
}

interface H2Req {
  method?: string;
  headers?: Record<string, string>;
  /** Sent at once; the stream's end follows unless `trickle`. */
  body?: string;
  /** After `body`, one byte every 100 ms until the stream closes (a body that never finishes). */
  trickle?: boolean;
}

/** One request on `session`; resolves when the stream has closed (answer read, or reset). */
function h2(session: ClientHttp2Session, path: string, o: H2Req = {}): Promise<H2Res> {
  return new Promise((resolve, reject) => {
    const stream = session.request(
      { ':method': o.method ?? 'GET', ':path': path, ...o.headers },
      { endStream: o.body === undefined },
    );
    let status = 0;
    let headers: IncomingHttpHeaders = {};
    let body = '';
    let drip: ReturnType<typeof setInterval> | undefined;
    stream.setEncoding('utf8');
    stream.on('response', (h) => {
      headers = h;
      status = Number(h[':status']);
    });
    stream.on('data', (d: string) => {
      body += d;
    });
    // a write racing the server's reset fails: that is the reset the scenario waits for, not an error of the test
    stream.on('error', () => {});
    stream.on('close', () => {
      clearInterval(drip);
      if (status === 0) reject(new Error(`${path}: the stream closed without an answer (rstCode ${stream.rstCode})`));
      else resolve({ status, headers, body, rstCode: stream.rstCode });
    });
    if (o.body !== undefined) {
      stream.write(o.body);
      if (o.trickle)
        drip = setInterval(() => {
          if (stream.writable) stream.write('x');
        }, 100);
      else stream.end();
    }
  });
}

/** A client address of its own per scenario (the stack trusts X-Forwarded-For from loopback): its own rate bucket. */
let next = 1;
const fresh = (): Record<string, string> => ({ 'x-forwarded-for': `198.51.100.${next++}` });

describe.each(targets.map((t) => [targetName(t), t] as const))('%s over HTTP/2', (_name, target) => {
  let server: RunningServer;
  let session: ClientHttp2Session;
  beforeAll(async () => {
    server = await startServer(target, ['--h2']);
    session = connect(server.url);
    await new Promise<void>((resolve, reject) => {
      session.once('connect', () => resolve());
      session.once('error', reject);
    });
  }, 60_000);
  afterAll(async () => {
    session?.close();
    await server?.stop();
  });

  /** What the server printed besides its log lines: Node's warnings land here. */
  const quiet = () => expect(server.output().replace(/^READY .*\n/m, ''), 'the server printed').toBe('');

  it('every header of the plan, and no connection-specific header (HTTP/2 forbids them)', async () => {
    const r = await h2(session, '/hello', { headers: fresh() });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ hello: 'world' });
    for (const name of ['content-security-policy', 'x-content-type-options', 'x-request-id', 'ratelimit', 'vary'])
      expect(r.headers[name], name).toBeDefined();
    expect(r.headers.connection).toBeUndefined();
    quiet();
  });

  it('an answer before the body has arrived (the timeout while the body trickles): 503 whole, the stream reset with NO_ERROR, the session serves the next request, nothing printed', async () => {
    const headers = { ...fresh(), 'content-type': 'application/json', 'content-length': '100000' };
    const r = await h2(session, '/never', { method: 'POST', headers, body: '{"a":', trickle: true });
    expect(r.status).toBe(503);
    expect(r.headers['content-type']).toBe('application/problem+json');
    expect(JSON.parse(r.body)).toMatchObject({ status: 503 });
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers.connection).toBeUndefined();
    // the client may still be sending when the answer ends: HTTP/2 stops the upload by resetting the stream (RFC 9113
    // 8.1), not by closing the connection the other streams share
    expect(r.rstCode).toBe(constants.NGHTTP2_NO_ERROR);
    expect(session.closed || session.destroyed).toBe(false);
    expect((await h2(session, '/hello', { headers: fresh() })).status).toBe(200);
    quiet();
  });

  it('a declared body over the limit: 413 problem+json whole, the session serves the next request, nothing printed', async () => {
    const headers = {
      ...fresh(),
      'content-type': 'application/octet-stream',
      'content-length': String(BODY_LIMIT + 1),
    };
    const r = await h2(session, '/echo', { method: 'POST', headers, body: 'x'.repeat(1000), trickle: true });
    expect(r.status).toBe(413);
    expect(r.headers['content-type']).toBe('application/problem+json');
    expect(r.headers.connection).toBeUndefined();
    expect(session.closed || session.destroyed).toBe(false);
    expect((await h2(session, '/hello', { headers: fresh() })).status).toBe(200);
    quiet();
  });

  it('many streams trickling bodies at once are all answered and closed; the server stays up', async () => {
    const headers = { 'content-type': 'application/json', 'content-length': '100000' };
    const all = await Promise.all(
      Array.from({ length: 20 }, () =>
        h2(session, '/never', { method: 'POST', headers: { ...headers, ...fresh() }, body: '{', trickle: true }),
      ),
    );
    expect(all.map((r) => r.status)).toEqual(all.map(() => 503));
    expect(server.exited()).toBeUndefined();
    expect((await h2(session, '/hello', { headers: fresh() })).status).toBe(200);
    quiet();
  });
});
