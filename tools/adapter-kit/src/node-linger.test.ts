// The lingering close on real loopback connections: a server answers 413 with Connection: close before reading an
// upload; the client goes on sending after the answer, as an uploading client does.
import { once } from 'node:events';
import http from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LINGER_BYTES, lingerOnClose } from './node-linger.js';

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

  it('leaves alone a socket that is not Node’s', () => {
    expect(lingerOnClose(undefined)).toBe(false);
    expect(lingerOnClose(null)).toBe(false);
  });
});
