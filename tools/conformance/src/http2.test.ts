// The adapters over HTTP/2: Fastify's `http2: true` and @hono/node-server's `createServer: http2.createServer` (h2c,
// node:http2's compatibility API) on Node 20, 22 and 24, and Hono's Fetch path on Deno.serve (HTTP/2 over TLS, by
// ALPN, with a throwaway self-signed certificate made by openssl); each server in its own process, driven by
// node:http2's client over a real loopback connection. Express does not run on node:http2 (its request and response
// extend node:http's), so it has no HTTP/2 target.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { type ClientHttp2Session, connect, constants, type IncomingHttpHeaders } from 'node:http2';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer, type Target, targetName } from './harness.js';
import { expectPlan, expectProblem, freshIp, type Res } from './scenarios.js';
import { BODY_LIMIT, LATE_MS } from './stack.js';

const targets: Target[] = [
  ...(['node20', 'node22', 'node24'] as const).flatMap((runtime) =>
    (['fastify', 'hono-node'] as const).map((app) => ({ app, runtime })),
  ),
  { app: 'hono-fetch', runtime: 'deno' },
];

/** A self-signed certificate for 127.0.0.1 (PEM), made for this run and deleted at once. */
function throwawayCertificate(): { cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'h2-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    return { cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An answer, as the HTTP/1 scenarios see one (`Res`, so their checks apply), and what became of the stream. */
interface H2Res extends Res {
  /** The stream's RST_STREAM code (0: NO_ERROR). */
  rstCode: number | undefined;
  /** Request body bytes written. */
  sent: number;
}

interface H2Req {
  method?: string;
  headers?: Record<string, string>;
  /** Sent at once; the stream's end follows unless `trickle`. */
  body?: string;
  /** After `body`, one byte every 100 ms until the stream closes (a body that never finishes). */
  trickle?: boolean;
  /** After `body`, up to this many more bytes as fast as the stream takes them, then the end. */
  stream?: number;
}

/**
 * One request on `session`; resolves when the stream has closed, or once the answer has been read and the server has
 * reset the stream (`closed`; Node's client keeps a stream whose writes are blocked open after an RST_STREAM NO_ERROR
 * until it is destroyed: the helper then destroys it). A stream the server holds open never resolves.
 */
function h2(session: ClientHttp2Session, path: string, o: H2Req = {}): Promise<H2Res> {
  return new Promise((resolve, reject) => {
    const stream = session.request(
      { ':method': o.method ?? 'GET', ':path': path, ...o.headers },
      { endStream: o.body === undefined },
    );
    let status = 0;
    let headers: Record<string, string> = {};
    let text = '';
    let drip: ReturnType<typeof setInterval> | undefined;
    let settled = false;
    const settle = (): void => {
      settled = true;
      clearInterval(drip);
      resolve({ status, headers, text, json: () => JSON.parse(text), rstCode: stream.rstCode, sent });
    };
    stream.setEncoding('utf8');
    stream.on('response', (h) => {
      headers = plainHeaders(h);
      status = Number(h[':status']);
    });
    stream.on('data', (d: string) => {
      text += d;
    });
    // a write racing the server's reset fails: that is the reset the scenario waits for, not an error of the test
    stream.on('error', () => {});
    stream.on('end', () => {
      const seen = setInterval(() => {
        // `closed`: the peer reset the stream, or ended both sides (rstCode reads 0 before anything happened)
        if (!stream.closed || settled) return;
        clearInterval(seen);
        settle();
        stream.destroy();
      }, 10);
      stream.once('close', () => clearInterval(seen));
    });
    stream.on('close', () => {
      clearInterval(drip);
      if (settled) return;
      if (status === 0) reject(new Error(`${path}: the stream closed without an answer (rstCode ${stream.rstCode})`));
      else settle();
    });
    let sent = 0;
    if (o.body !== undefined) {
      stream.write(o.body);
      sent += o.body.length;
      if (o.trickle)
        drip = setInterval(() => {
          if (stream.writable) {
            stream.write('x');
            sent++;
          }
        }, 100);
      else if (o.stream !== undefined) {
        const chunk = Buffer.alloc(64 * 1024, 120);
        let left = o.stream;
        const pump = (): void => {
          while (left > 0 && stream.writable) {
            left -= chunk.length;
            sent += chunk.length;
            if (!stream.write(chunk)) {
              stream.once('drain', pump);
              return;
            }
          }
          if (stream.writable) stream.end();
        };
        pump();
      } else stream.end();
    }
  });
}

/** The response headers without HTTP/2's pseudo-headers, repeated ones joined as node:http joins them. */
function plainHeaders(h: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (!k.startsWith(':') && v !== undefined) out[k] = String(v);
  return out;
}

/** A client address of its own per request (the stack trusts X-Forwarded-For from loopback): its own rate bucket. */
const fresh = (): Record<string, string> => ({ 'x-forwarded-for': freshIp() });

describe.each(targets.map((t) => [targetName(t), t] as const))('%s over HTTP/2', (_name, target) => {
  let server: RunningServer;
  let session: ClientHttp2Session;
  beforeAll(async () => {
    // Deno.serve speaks HTTP/2 only over TLS (serve.ts reads the certificate from H2_CERT / H2_KEY)
    const tls = target.runtime === 'deno' ? throwawayCertificate() : undefined;
    if (tls !== undefined) Object.assign(process.env, { H2_CERT: tls.cert, H2_KEY: tls.key });
    server = await startServer(target, ['--h2']);
    session = tls === undefined ? connect(server.url) : connect(`https://127.0.0.1:${server.port}`, { ca: tls.cert });
    await new Promise<void>((resolve, reject) => {
      session.once('connect', () => resolve());
      session.once('error', reject);
    });
  }, 60_000);
  afterAll(async () => {
    delete process.env.H2_CERT;
    delete process.env.H2_KEY;
    session?.close();
    await server?.stop();
  });

  /** What the server printed besides its log lines: Node's warnings land here. */
  const quiet = () => expect(server.output().replace(/^READY .*\n/m, ''), 'the server printed').toBe('');

  it('every header of the plan, and no connection-specific header (HTTP/2 forbids them)', async () => {
    expect(session.alpnProtocol).toBe(target.runtime === 'deno' ? 'h2' : 'h2c');
    const r = await h2(session, '/hello', { headers: fresh() });
    expect(r.status).toBe(200);
    expect(r.json()).toEqual({ hello: 'world' });
    expectPlan(r, '/hello');
    expect(r.headers.vary, 'vary').toBeDefined();
    expect(r.headers.connection).toBeUndefined();
    quiet();
  });

  it('an answer before the body has arrived (the timeout while the body trickles): 503 whole, the stream reset with NO_ERROR, the session serves the next request, nothing printed', async () => {
    const headers = { ...fresh(), 'content-type': 'application/json', 'content-length': '100000' };
    const r = await h2(session, '/never', { method: 'POST', headers, body: '{"a":', trickle: true });
    expectProblem(r, 503, 'Service Unavailable', '/never');
    expectPlan(r, 'the timeout answer');
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
    expectProblem(r, 413, 'Content Too Large', '/echo');
    expect(r.headers.connection).toBeUndefined();
    expect(session.closed || session.destroyed).toBe(false);
    expect((await h2(session, '/hello', { headers: fresh() })).status).toBe(200);
    quiet();
  });

  it('a body without Content-Length over the limit (HTTP/2 needs none): 413, the upload stopped, the session goes on', async () => {
    const r = await h2(session, '/echo', {
      method: 'POST',
      headers: { ...fresh(), 'content-type': 'application/octet-stream' },
      body: 'x'.repeat(BODY_LIMIT + 1),
      stream: 3 * BODY_LIMIT,
    });
    expectProblem(r, 413, 'Content Too Large', '/echo');
    expect(r.sent, 'the server stopped taking the body').toBeLessThan(3 * BODY_LIMIT + BODY_LIMIT + 1);
    expect(session.closed || session.destroyed).toBe(false);
    expect((await h2(session, '/hello', { headers: fresh() })).status).toBe(200);
    quiet();
  });

  it('a handler that answers after the timeout answered is discarded, and the process lives on', async () => {
    const paths = ['/late/json', '/late-async'];
    const answers = await Promise.all(paths.map((p) => h2(session, p, { headers: fresh() })));
    for (const [i, r] of answers.entries()) expectProblem(r, 503, 'Service Unavailable', paths[i]!);
    // the late answers come LATE_MS after the request started; give them time to land
    await new Promise((r) => setTimeout(r, LATE_MS + 400));
    expect(server.exited(), 'the server process must not die').toBeUndefined();
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
