// The guarded head hook (Express's only way to write its headers when the head goes out): the self-test passes on this
// Node (the conformance suite runs it on Node 20, 22 and 24), the hook runs once, before the head, however the head
// is written, and late writes after a timeout answer are discarded without throwing. The lingering close, on real
// loopback connections: a server answers 413 with Connection: close before reading an upload, and the client goes on
// sending after the answer, as an uploading client does.
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  discardLateWrites,
  headHookProblem,
  LINGER_BYTES,
  LINGER_MS,
  lingerOnClose,
  onHead,
} from './node-head-hook.js';

// A framework prototype between each response and ServerResponse.prototype, set per request as Express does
// (`express.response` under each app's `app.response`).
const frameworkResponse = Object.create(http.ServerResponse.prototype) as object;
const appResponse = Object.create(frameworkResponse) as object;

describe.each([
  ['a plain Node response', false],
  ['a response with a framework prototype (shared hook)', true],
] as const)('node head hook, %s', (_name, framework) => {
  let server: http.Server;
  let base: string;
  const calls: Record<string, number> = {};
  const ownWriteHead: Record<string, boolean> = {};
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      if (framework) Object.setPrototypeOf(res, appResponse);
      const how = req.url!.slice(1);
      calls[how] = 0;
      if (how === 'unhooked') {
        res.end('x');
        return;
      }
      onHead(
        res,
        {
          onHead(r) {
            calls[how]!++;
            expect(r.headersSent).toBe(false);
            res.setHeader('x-hooked', how);
            // what the listener sees of headers passed to writeHead itself
            res.setHeader('x-seen', String(res.getHeader('x-passed') ?? 'none'));
            if (res.hasHeader('x-drop')) res.removeHeader('x-drop');
          },
        },
        framework,
      );
      ownWriteHead[how] = Object.hasOwn(res, 'writeHead');
      if (how === 'passed' || how === 'passed-array') res.setHeader('x-passed', 'before');
      if (how === 'end') res.end('x');
      else if (how === 'write') {
        res.write('a');
        res.end('b');
      } else if (how === 'object') res.writeHead(201, { 'content-type': 'text/plain' }).end('x');
      else if (how === 'array') res.writeHead(202, ['content-type', 'text/plain']).end('x');
      else if (how === 'passed') res.writeHead(203, 'Passed', { 'X-Passed': 'arg', 'x-drop': '1' }).end('x');
      else if (how === 'passed-array')
        res.writeHead(203, ['x-passed', 'a1', 'x-passed', 'a2', 'x-drop', '1', 'content-type', 'text/plain']).end('x');
      else if (how === 'flush') {
        res.flushHeaders();
        res.end('x');
      } else if (how === 'late') {
        res.end('first');
        discardLateWrites(res);
        // what a handler that answers after the timeout does: none of it may throw or reach the wire
        res.setHeader('x-late', '1');
        res.writeHead(200);
        res.write('late');
        res.end('late', () => {
          calls.lateCallback = 1;
        });
      }
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('passes its self-test on this Node', () => {
    expect(headHookProblem()).toBeNull();
  });

  it(framework ? 'adds no property to the response' : 'wraps the response itself', async () => {
    const r = await request(`${base}/end`);
    await r.body.text();
    expect(ownWriteHead.end).toBe(!framework);
    if (framework) expect(Object.hasOwn(frameworkResponse, 'writeHead')).toBe(true);
  });

  it('leaves a response nobody hooked alone', async () => {
    const r = await request(`${base}/unhooked`);
    expect(await r.body.text()).toBe('x');
    expect(r.headers['x-hooked']).toBeUndefined();
  });

  it.each(['end', 'write', 'object', 'array', 'flush'])('runs once, before a head written by %s', async (how) => {
    const r = await request(`${base}/${how}`);
    await r.body.text();
    expect(r.headers['x-hooked']).toBe(how);
    expect(calls[how]).toBe(1);
  });

  it('puts headers passed to writeHead on the response before the listener runs, winning over earlier ones', async () => {
    const r = await request(`${base}/passed`);
    await r.body.text();
    expect(r.statusCode).toBe(203);
    expect(r.headers['x-passed']).toBe('arg');
    expect(r.headers['x-seen']).toBe('arg');
    // the listener's removal holds for a header the route passed to writeHead
    expect(r.headers['x-drop']).toBeUndefined();
    const a = await request(`${base}/passed-array`);
    await a.body.text();
    expect(a.statusCode).toBe(203);
    // a flat array keeps its duplicates, as Node's writeHead does
    expect(a.headers['x-passed']).toEqual(['a1', 'a2']);
    expect(a.headers['x-seen']).toBe('a1,a2');
    expect(a.headers['x-drop']).toBeUndefined();
    expect(a.headers['content-type']).toBe('text/plain');
  });

  it('discards writes to an answered response, running their callbacks', async () => {
    const r = await request(`${base}/late`);
    expect(await r.body.text()).toBe('first');
    expect(r.headers['x-late']).toBeUndefined();
    await new Promise((res) => setTimeout(res, 20));
    expect(calls.lateCallback).toBe(1);
  });
});

describe('node head hook, shared form overridden above', () => {
  /** Serves one request with `handler` on a fresh server; the response's headers. */
  const serveOnce = async (handler: http.RequestListener): Promise<Record<string, unknown>> => {
    const server = http.createServer(handler);
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const r = await request(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      await r.body.text();
      return r.headers;
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  };
  const hooked = { onHead: (r: unknown) => (r as http.ServerResponse).setHeader('x-hooked', '1') };

  it('hooks the response itself when the caller does not ask for the shared form', async () => {
    const fw = Object.create(http.ServerResponse.prototype) as object;
    const headers = await serveOnce((_req, res) => {
      Object.setPrototypeOf(res, fw);
      onHead(res, hooked);
      res.setHeader('x-own', String(Object.hasOwn(res, 'writeHead')));
      res.end('x');
    });
    expect(headers['x-hooked']).toBe('1');
    expect(headers['x-own']).toBe('true');
    expect(Object.hasOwn(fw, 'writeHead')).toBe(false);
  });

  it('hooks the response itself when a prototype above the shared one has its own writeHead', async () => {
    const fw = Object.create(http.ServerResponse.prototype) as object;
    // an app prototype whose writeHead does not call the one it inherits
    const app = Object.create(fw) as { writeHead: (this: http.ServerResponse, s: number) => unknown };
    app.writeHead = function (this: http.ServerResponse, s: number) {
      return http.ServerResponse.prototype.writeHead.call(this, s);
    };
    const headers = await serveOnce((_req, res) => {
      Object.setPrototypeOf(res, app);
      onHead(res, hooked, true);
      res.end('x');
    });
    expect(headers['x-hooked']).toBe('1');
  });
});

describe('lingering close', () => {
  let server: http.Server;
  let port: number;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      // answer before reading the body, as the body limit does
      res.setHeader('connection', 'close');
      res.statusCode = 413;
      lingerOnClose(req.socket);
      res.end('too large');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  /**
   * Sends the head of an 8 MiB upload; resolves with the socket and what came back once the server's FIN is in. The
   * client keeps its own side open after that FIN (allowHalfOpen), as one still uploading does.
   */
  const upload = async (): Promise<{ s: Socket; answer: string; errors: string[] }> => {
    const s = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const errors: string[] = [];
    s.on('error', (e: NodeJS.ErrnoException) => errors.push(e.code ?? e.message));
    let answer = '';
    s.on('data', (d: Buffer) => {
      answer += d.toString('latin1');
    });
    s.write(`POST /up HTTP/1.1\r\nhost: x\r\ncontent-length: ${8 * 1024 * 1024}\r\n\r\n`);
    s.write(Buffer.alloc(64 * 1024, 0x61));
    await once(s, 'end'); // the server's FIN, after the answer
    return { s, answer, errors };
  };

  it('keeps reading after the answer, so a client still sending gets no reset, then closes when the client ends', async () => {
    for (let round = 0; round < 5; round++) {
      const { s, answer, errors } = await upload();
      expect(answer).toMatch(/^HTTP\/1\.1 413 /);
      expect(answer).toMatch(/\r\n\r\ntoo large$/);
      // the rest of the upload, after the answer: taken and dropped, no reset
      for (let i = 0; i < 16; i++) s.write(Buffer.alloc(64 * 1024, 0x62));
      s.end();
      await once(s, 'close');
      expect(errors).toEqual([]);
    }
  });

  it('cuts off a client that never stops sending', async () => {
    const { s, answer } = await upload();
    expect(answer).toMatch(/^HTTP\/1\.1 413 /);
    let written = 0;
    const chunk = Buffer.alloc(256 * 1024, 0x63);
    const pump = (): void => {
      while (!s.destroyed && s.write(chunk)) written += chunk.length;
      if (!s.destroyed) s.once('drain', pump);
    };
    const closed = new Promise((r) => s.once('close', r));
    pump();
    await closed; // the server cut it off: a reset, so the client's write fails (EPIPE / ECONNRESET)
    // what the server took after the answer, plus what the two kernels buffer
    expect(written).toBeLessThan(LINGER_BYTES + 32 * 1024 * 1024);
  });

  it(
    'closes on a client that goes quiet after the answer without ending its side (LINGER_MS)',
    async () => {
      const { s, answer } = await upload();
      expect(answer).toMatch(/^HTTP\/1\.1 413 /);
      // nothing more is sent and the client never ends its side: only the linger's timer can close the server's
      // socket (the client, half open, is not told). The bound is generous: this asserts that it closes, not how fast.
      const connections = () => new Promise<number>((r, j) => server.getConnections((e, n) => (e ? j(e) : r(n))));
      const until = Date.now() + LINGER_MS + 10_000;
      while ((await connections()) > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
      const left = await connections();
      s.destroy();
      expect(left, 'connections the server still holds').toBe(0);
    },
    LINGER_MS + 15_000,
  );

  it('the adapters’ READMEs state the bounds this module uses', () => {
    const mib = `${LINGER_BYTES / (1024 * 1024)} MiB`;
    const seconds = `${LINGER_MS / 1000} s`;
    for (const pkg of ['express', 'fastify', 'hono']) {
      const readme = readFileSync(new URL(`../../../packages/${pkg}/README.md`, import.meta.url), 'utf8').replace(
        /\s+/g,
        ' ',
      );
      expect(readme, pkg).toContain(`${mib} more have arrived or ${seconds} have passed`);
    }
  });

  it('leaves alone a socket that is not Node’s', () => {
    expect(lingerOnClose(undefined)).toBe(false);
    expect(lingerOnClose(null)).toBe(false);
  });
});
