// apply() on a genuine Node ServerResponse writes Node's header store directly. These tests hold it to "exactly what
// setHeader/removeHeader would have done": same store, same raw response bytes, same behaviour of every header method
// afterwards, and the setHeader path whenever setHeader is not Node's own.
import { once } from 'node:events';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateNonce, type SecurityHeaders, type SecurityHeadersOptions, securityHeaders } from './index.js';
import { nodeAccepts, outHeadersOf, REMOVE_SIDE_EFFECTS } from './internal/node-out-headers.js';
import { checkHeaderName, checkHeaderValue } from './internal/util.js';

const fresh = () => new http.ServerResponse(new http.IncomingMessage(new net.Socket()));
// What apply() asks before writing the store directly: the store (null = none yet), or undefined = use setHeader.
const storeFor = (t: { setHeader: unknown }) => outHeadersOf(t, t.setHeader);
const NONCE = generateNonce();

// The reference: what an adapter would write by hand with Node's own methods.
function viaSetHeader(policy: SecurityHeaders, res: http.OutgoingMessage, nonce?: string): void {
  for (const [n, v] of policy.forRequest({ nonce })) res.setHeader(n, v);
  for (const n of policy.remove) res.removeHeader(n);
}

// Headers a framework or an earlier middleware may already have set (some overwritten or removed by policies).
function prefill(res: http.OutgoingMessage): void {
  res.setHeader('Content-Type', 'text/plain; charset=utf-8');
  res.setHeader('X-Powered-By', 'Express');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Server', 'node');
  res.setHeader('Set-Cookie', ['a=1', 'b=2']);
}

function storeOf(res: object): Record<string, [string, unknown]> | null {
  const sym = Object.getOwnPropertySymbols(res).find((s) => s.description === 'kOutHeaders')!;
  return (res as Record<symbol, Record<string, [string, unknown]> | null>)[sym]!;
}

// Everything setHeader/removeHeader can touch, in order.
function state(res: http.OutgoingMessage) {
  const store = storeOf(res);
  const r = res as unknown as Record<string, unknown>;
  return {
    store: store === null ? null : Object.entries(store),
    nullProto: store === null ? null : Object.getPrototypeOf(store) === null,
    names: res.getHeaderNames(),
    raw: (res as unknown as { getRawHeaderNames(): string[] }).getRawHeaderNames(),
    headers: { ...res.getHeaders() },
    flags: [r.sendDate, r._removedConnection, r._removedContLen, r._removedTE, r._header],
    ownKeys: Reflect.ownKeys(res).map(String),
  };
}

const POLICIES: Array<{ name: string; options: SecurityHeadersOptions; nonce?: boolean }> = [
  { name: 'default (helmet preset)', options: {} },
  { name: 'owasp (4 removals)', options: { preset: 'owasp' } },
  { name: 'api', options: { preset: 'api' } },
  { name: 'nonce in CSP', options: { preset: 'owasp', contentSecurityPolicy: { nonce: true } }, nonce: true },
  {
    name: 'nonce in CSP and CSP-Report-Only',
    options: {
      contentSecurityPolicy: { nonce: true },
      contentSecurityPolicyReportOnly: { nonce: true, directives: { 'script-src': ["'strict-dynamic'"] } },
    },
    nonce: true,
  },
  {
    name: 'extra headers, removals with side effects in removeHeader',
    options: {
      preset: 'api',
      headers: { 'X-Custom': 'a b', 'x-lower': '1' },
      remove: ['Server', 'Date', 'X-Powered-By', 'Connection', 'Content-Length', 'Transfer-Encoding'],
    },
  },
  {
    name: 'no header at all, only removals',
    options: {
      preset: 'api',
      contentSecurityPolicy: false,
      crossOriginResourcePolicy: false,
      referrerPolicy: false,
      strictTransportSecurity: false,
      xContentTypeOptions: false,
      xFrameOptions: false,
      cacheControl: false,
    },
  },
];

describe('apply() on a real http.ServerResponse: the direct store write', () => {
  it('is taken on a plain ServerResponse and on an Express-style response (prototype chain extended)', () => {
    expect(storeFor(fresh())).toBeNull();
    const res = fresh();
    res.setHeader('X-A', '1');
    expect(storeFor(res)).toBe(storeOf(res));
    // Express sets each response's prototype to app.response, which inherits from http.ServerResponse.prototype.
    const appResponse = Object.create(http.ServerResponse.prototype, { send: { value() {} } });
    const express = fresh();
    Object.setPrototypeOf(express, appResponse);
    expect(storeFor(express)).toBeNull();
  });

  it('apply() itself takes it: one _header read per call instead of one per setHeader/removeHeader call', () => {
    // Node's setHeader and removeHeader each check `this._header`; count the reads on an instance accessor.
    const counted = () => {
      const res = fresh();
      let reads = 0;
      let value: unknown = null;
      Object.defineProperty(res, '_header', {
        configurable: true,
        get: () => {
          reads++;
          return value;
        },
        set: (v: unknown) => {
          value = v;
        },
      });
      return { res, reads: () => reads };
    };
    const policy = securityHeaders(); // 12 headers + 1 removal
    const fast = counted();
    policy.apply(fast.res);
    expect(fast.reads()).toBe(1);
    const slow = counted();
    viaSetHeader(policy, slow.res);
    expect(slow.reads()).toBe(13);
    expect(fast.res.getHeaders()).toEqual(slow.res.getHeaders());
  });

  it('the no-header policy really sets nothing (the store must stay null)', () => {
    const p = POLICIES.find((x) => x.name.startsWith('no header'))!;
    expect(securityHeaders(p.options).entries).toEqual([]);
  });

  it.each(POLICIES.map((p) => [p.name, p] as const))('leaves the same state as setHeader: %s', (_n, p) => {
    const policy = securityHeaders(p.options);
    const nonce = p.nonce ? NONCE : undefined;
    for (const pre of [false, true]) {
      const fast = fresh();
      const slow = fresh();
      if (pre) {
        prefill(fast);
        prefill(slow);
      }
      policy.apply(fast, nonce);
      viaSetHeader(policy, slow, nonce);
      expect(state(fast)).toEqual(state(slow));
      // Twice in a row (a middleware applied twice, a reused response): still identical.
      policy.apply(fast, nonce);
      viaSetHeader(policy, slow, nonce);
      expect(state(fast)).toEqual(state(slow));
    }
  });

  it('same state for random extra headers and random headers set before (property)', () => {
    const name = fc.stringMatching(/^[A-Za-z][A-Za-z0-9_-]{0,10}$/);
    const value = fc.stringMatching(/^[\x21-\x7e](?:[\x20-\x7e]{0,12}[\x21-\x7e])?$/);
    fc.assert(
      fc.property(
        fc.dictionary(name, value, { maxKeys: 5 }),
        fc.array(fc.tuple(name, value), { maxLength: 5 }),
        (extra, before) => {
          let policy: SecurityHeaders;
          try {
            policy = securityHeaders({ preset: 'owasp', headers: extra });
          } catch {
            return; // an extra header duplicating one the policy sets: refused at build time
          }
          const fast = fresh();
          const slow = fresh();
          for (const [n, v] of before) {
            fast.setHeader(n, v);
            slow.setHeader(n, v);
          }
          policy.apply(fast);
          viaSetHeader(policy, slow);
          expect(state(fast)).toEqual(state(slow));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('getHeader, hasHeader, getHeaderNames, appendHeader, setHeader and removeHeader behave as after setHeader', () => {
    const policy = securityHeaders({ preset: 'owasp' });
    const fast = fresh();
    const slow = fresh();
    policy.apply(fast);
    viaSetHeader(policy, slow);
    for (const n of ['x-frame-options', 'Content-Security-Policy', 'server', 'X-Powered-By', 'nope']) {
      expect(fast.getHeader(n)).toEqual(slow.getHeader(n));
      expect(fast.hasHeader(n)).toBe(slow.hasHeader(n));
    }
    expect(fast.getHeaderNames()).toEqual(slow.getHeaderNames());
    expect(fast.getHeader('x-frame-options')).toBe('DENY');
    // appendHeader turns the stored pair's value into an array: the pair must be this response's own.
    for (const r of [fast, slow]) {
      r.appendHeader('Cache-Control', 'private');
      r.appendHeader('Vary', 'Origin');
    }
    expect(fast.getHeader('cache-control')).toEqual(['no-store', 'private']);
    expect(state(fast)).toEqual(state(slow));
    const next = fresh();
    policy.apply(next);
    expect(next.getHeader('cache-control')).toBe('no-store');
    // Applying again restores the policy's value, on both.
    policy.apply(fast);
    viaSetHeader(policy, slow);
    expect(fast.getHeader('cache-control')).toBe('no-store');
    expect(state(fast)).toEqual(state(slow));
    // A route's later setHeader overrides; removeHeader removes.
    for (const r of [fast, slow]) {
      r.setHeader('X-Frame-Options', 'SAMEORIGIN');
      r.removeHeader('Permissions-Policy');
    }
    expect(fast.getHeader('x-frame-options')).toBe('SAMEORIGIN');
    expect(fast.hasHeader('permissions-policy')).toBe(false);
    expect(state(fast)).toEqual(state(slow));
  });

  it('throws Node’s own ERR_HTTP_HEADERS_SENT once the head is written, leaving the headers alone', () => {
    const policy = securityHeaders();
    const res = fresh();
    res.writeHead(200);
    const before = state(res);
    let ours: unknown;
    let node: unknown;
    try {
      policy.apply(res);
    } catch (e) {
      ours = e;
    }
    try {
      res.setHeader('X-A', '1');
    } catch (e) {
      node = e;
    }
    expect((ours as { code?: string }).code).toBe('ERR_HTTP_HEADERS_SENT');
    expect(String(ours)).toBe(String(node));
    expect(state(res)).toEqual(before);
  });

  it('nonce policies still refuse a missing or bad nonce before writing anything', () => {
    const policy = securityHeaders({ contentSecurityPolicy: { nonce: true } });
    const res = fresh();
    expect(() => policy.apply(res)).toThrow(/forRequest needs a nonce/);
    expect(() => policy.apply(res, `${NONCE}\r\nX-Injected: 1`)).toThrow(/forRequest needs a nonce/);
    expect(storeOf(res)).toBeNull();
    policy.apply(res, NONCE);
    expect(res.getHeader('content-security-policy')).toContain(`'nonce-${NONCE}'`);
  });
});

describe('apply() keeps calling setHeader when it is not Node’s own', () => {
  type Call = [string, ...unknown[]];
  const policy = securityHeaders();
  const expected: Call[] = [...policy.entries.map(([n, v]): Call => ['set', n, v]), ['remove', 'X-Powered-By']];

  it('setHeader / removeHeader overridden on the instance', () => {
    const calls: Call[] = [];
    const res = fresh();
    const proto = http.ServerResponse.prototype;
    res.setHeader = function (this: http.ServerResponse, n: string, v: http.OutgoingHttpHeader) {
      calls.push(['set', n, v]);
      return proto.setHeader.call(this, n, v);
    };
    policy.apply(res);
    expect(storeFor(res)).toBeUndefined();
    const res2 = fresh();
    res2.removeHeader = function (this: http.ServerResponse, n: string) {
      calls.push(['remove', n]);
      proto.removeHeader.call(this, n);
    };
    policy.apply(res2);
    expect(calls).toEqual(expected);
    expect(res.getHeaders()).toEqual(res2.getHeaders());
    // The genuine path is still used for everyone else.
    expect(storeFor(fresh())).toBeNull();
  });

  it('setHeader overridden on a subclass, including as the server’s ServerResponse class', async () => {
    const calls: Call[] = [];
    class Tracked extends http.ServerResponse {
      override setHeader(n: string, v: http.OutgoingHttpHeader): this {
        calls.push(['set', n, v]);
        return super.setHeader(n, v);
      }
      override removeHeader(n: string): void {
        calls.push(['remove', n]);
        super.removeHeader(n);
      }
    }
    const res = new Tracked(new http.IncomingMessage(new net.Socket()));
    policy.apply(res);
    expect(calls).toEqual(expected);
    expect(storeFor(res)).toBeUndefined();

    calls.length = 0;
    const server = http.createServer({ ServerResponse: Tracked }, (_req, r) => {
      policy.apply(r);
      r.end('ok');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const raw = await rawGet((server.address() as AddressInfo).port, '/');
      expect(calls).toEqual(expected);
      expect(raw).toContain('X-Frame-Options: SAMEORIGIN\r\n');
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('setHeader patched on Node’s own prototype (APM-style wrapper), before or after the first apply()', () => {
    const O = http.OutgoingMessage.prototype;
    const original = O.setHeader;
    policy.apply(fresh()); // the genuine pair is now verified and cached
    const calls: Call[] = [];
    O.setHeader = function setHeader(this: http.OutgoingMessage, n: string, v: http.OutgoingHttpHeader) {
      calls.push(['set', n, v]);
      return original.call(this, n, v);
    };
    try {
      const res = fresh();
      policy.apply(res);
      expect(calls).toEqual(expected.slice(0, -1));
      expect(res.getHeader('x-frame-options')).toBe('SAMEORIGIN');
    } finally {
      O.setHeader = original;
    }
    expect(storeFor(fresh())).toBeNull();
  });

  it('a test double with setHeader/removeHeader, and Fetch Headers, are driven through their methods', () => {
    const calls: Call[] = [];
    const double = {
      setHeader: (n: string, v: string) => calls.push(['set', n, v]),
      removeHeader: (n: string) => calls.push(['remove', n]),
    };
    policy.apply(double);
    expect(calls).toEqual(expected);
    expect(storeFor(double)).toBeUndefined();
    const headers = new Headers({ 'X-Powered-By': 'Hono' });
    policy.apply(headers);
    expect([...headers]).toEqual(
      policy.entries.map(([n, v]) => [n.toLowerCase(), v]).sort(([a], [b]) => (a! < b! ? -1 : 1)),
    );
  });
});

describe('the facts about Node the direct write relies on', () => {
  it('names and values the policy lets through are exactly those Node accepts (property)', () => {
    const any = fc.string({
      unit: fc.integer({ min: 0, max: 0x17f }).map((c) => String.fromCharCode(c)),
      maxLength: 6,
    });
    const nodeOk = (n: string, v: string) => {
      try {
        http.validateHeaderName(n);
        http.validateHeaderValue(n, v);
        return true;
      } catch {
        return false;
      }
    };
    const ok = (f: () => unknown) => {
      try {
        f();
        return true;
      } catch {
        return false;
      }
    };
    fc.assert(
      fc.property(any, any, (n, v) => {
        expect(nodeAccepts(n, v)).toBe(nodeOk(n, v));
        if (ok(() => checkHeaderName('t', n))) expect(nodeOk(n, 'x')).toBe(true);
        if (ok(() => checkHeaderValue('t', v))) expect(nodeOk('x', v)).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('removeHeader has side effects for exactly the names the fast path hands back to it', () => {
    const cases = [...String(http.OutgoingMessage.prototype.removeHeader).matchAll(/case '([^']+)'/g)].map((m) => m[1]);
    expect(new Set(cases)).toEqual(REMOVE_SIDE_EFFECTS);
    // And for every name a preset removes, removeHeader only deletes the entry.
    const names = new Set([...securityHeaders({ preset: 'owasp' }).remove, ...securityHeaders().remove]);
    for (const n of names) {
      const a = fresh();
      const b = fresh();
      a.setHeader(n, 'x');
      b.setHeader(n, 'x');
      a.removeHeader(n);
      delete storeOf(b)![n.toLowerCase()];
      expect(state(a)).toEqual(state(b));
    }
  });
});

// A raw HTTP/1.1 exchange over TCP: the response exactly as sent, byte for byte.
function rawGet(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('end', () => resolve(Buffer.concat(chunks).toString('latin1')));
    socket.on('error', reject);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
  });
}

describe('real HTTP responses: apply() and a setHeader loop send the same bytes', () => {
  let server: http.Server;
  let port = 0;
  const errors: unknown[] = [];
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const [, mode, idx] = (req.url ?? '').split('/');
      const p = POLICIES[Number(idx)]!;
      const policy = securityHeaders(p.options);
      const nonce = p.nonce ? NONCE : undefined;
      try {
        prefill(res);
        if (mode === 'fast') policy.apply(res, nonce);
        else viaSetHeader(policy, res, nonce);
        // The route runs after the middleware: overrides one header, appends to others.
        res.setHeader('X-Frame-Options', 'SAMEORIGIN');
        res.appendHeader('Vary', 'Origin');
        res.appendHeader('Cache-Control', 'private');
        res.end('ok');
        // Once sent, apply() throws Node's own error like setHeader does.
        try {
          policy.apply(res, nonce);
          errors.push(new Error('apply() after end() did not throw'));
        } catch (e) {
          if ((e as { code?: string }).code !== 'ERR_HTTP_HEADERS_SENT') errors.push(e);
        }
      } catch (e) {
        errors.push(e);
        res.statusCode = 500;
        res.end();
      }
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const sameDate = (s: string) => s.replace(/\r\nDate: [^\r]*\r\n/, '\r\nDate: (now)\r\n');

  it.each(POLICIES.map((p, i) => [p.name, i] as const))('%s', async (_n, i) => {
    const [fast, slow] = await Promise.all([rawGet(port, `/fast/${i}`), rawGet(port, `/slow/${i}`)]);
    expect(errors).toEqual([]);
    expect(fast.startsWith('HTTP/1.1 200 OK\r\n')).toBe(true);
    expect(fast.split('\r\n').length).toBeGreaterThan(6);
    expect(sameDate(fast)).toBe(sameDate(slow));
  });
});
