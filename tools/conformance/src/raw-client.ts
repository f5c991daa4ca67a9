// An HTTP/1.1 client on a bare TCP socket, for what undici hides: a body sent slowly or without end, a server that
// answers before the body is in and then closes (undici may report EPIPE instead of the answer), whether the server
// closed the connection at all.
import { connect } from 'node:net';

export interface RawRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  /**
   * The body: `length` bytes in `chunk`-sized pieces (with Content-Length unless `chunked`), sent as fast as the
   * socket takes them, or one byte every `trickleMs`; `delayMs` after the head (as a client that waits for an early
   * answer before a large upload; one that does not may see EPIPE instead of the answer, as Node's client does).
   */
  body?: { length: number; chunk?: number; chunked?: boolean; trickleMs?: number; delayMs?: number };
  /** Give up after this long (ms) and report the connection as held. Default 8000. */
  timeoutMs?: number;
}

export interface RawResponse {
  /** 0 when no complete head came back. */
  status: number;
  /** Lower-case names; repeated headers joined with ', '. */
  headers: Record<string, string>;
  body: string;
  /** Bytes of body the client got to write before the connection closed. */
  written: number;
  /** False when the server closed the connection; true when it still held it at the timeout. */
  held: boolean;
  /** ms from the end of the response head to the close (-1 without a head or a close). */
  closedAfterMs: number;
}

/** Sends one request on a fresh connection and waits for the server to close it (or `timeoutMs`). */
export function rawRequest(base: string, r: RawRequest): Promise<RawResponse> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve) => {
    const s = connect(Number(port), hostname);
    let raw = Buffer.alloc(0);
    let written = 0;
    let closed = false;
    let headAt = 0;
    let trickle: ReturnType<typeof setInterval> | undefined;
    const finish = (held: boolean): void => {
      clearTimeout(giveUp);
      clearInterval(trickle);
      closed = true;
      s.destroy();
      const text = raw.toString('latin1');
      const end = text.indexOf('\r\n\r\n');
      const headers: Record<string, string> = {};
      let status = 0;
      if (end >= 0) {
        const [first, ...lines] = text.slice(0, end).split('\r\n');
        status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(first ?? '')?.[1] ?? 0);
        for (const l of lines) {
          const i = l.indexOf(':');
          const k = l.slice(0, i).trim().toLowerCase();
          const v = l.slice(i + 1).trim();
          headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
        }
      }
      resolve({
        status,
        headers,
        body: end >= 0 ? raw.subarray(end + 4).toString('utf8') : '',
        written,
        held,
        closedAfterMs: held || headAt === 0 ? -1 : Date.now() - headAt,
      });
    };
    const giveUp = setTimeout(() => finish(true), r.timeoutMs ?? 8_000);
    s.on('data', (d: Buffer) => {
      raw = Buffer.concat([raw, d]);
      if (headAt === 0 && raw.includes('\r\n\r\n')) headAt = Date.now();
    });
    s.on('error', () => {});
    s.on('close', () => {
      if (!closed) finish(false);
    });
    const b = r.body;
    const head: Record<string, string> = { host: `${hostname}:${port}`, ...r.headers };
    if (b !== undefined) {
      if (b.chunked) head['transfer-encoding'] = 'chunked';
      else head['content-length'] = String(b.length);
    }
    s.write(
      `${r.method} ${r.path} HTTP/1.1\r\n${Object.entries(head)
        .map(([k, v]) => `${k}: ${v}\r\n`)
        .join('')}\r\n`,
    );
    if (b === undefined) return;
    if (b.trickleMs !== undefined) {
      trickle = setInterval(() => {
        if (closed || written >= b.length) return;
        written++;
        s.write(b.chunked ? '1\r\nx\r\n' : 'x');
      }, b.trickleMs);
      return;
    }
    const size = b.chunk ?? 64 * 1024;
    const payload = Buffer.alloc(size, 0x61);
    const framed = b.chunked
      ? Buffer.concat([Buffer.from(`${size.toString(16)}\r\n`), payload, Buffer.from('\r\n')])
      : payload;
    // one chunk per turn of the event loop, so an early answer is read as soon as it arrives (as a browser reads while
    // it uploads): a client that writes without reading may see EPIPE or a reset before it gets to the answer
    const pump = (): void => {
      if (closed || written >= b.length) return;
      written += size;
      const last = written >= b.length;
      const more = s.write(framed);
      if (last && b.chunked) s.write('0\r\n\r\n');
      if (last) return;
      if (more) setImmediate(pump);
      else s.once('drain', pump);
    };
    if (b.delayMs === undefined) pump();
    else setTimeout(pump, b.delayMs);
  });
}
