// The HTTP scenarios, written once and run against every framework (see conformance.test.ts).
import { Readable } from 'node:stream';
import { type Dispatcher, request } from 'undici';
import { expect } from 'vitest';
import { type Framework, OWN_CSP, SECRET_MESSAGE } from './apps.js';
import { ALLOWED_ORIGIN, BODY_LIMIT, RATE_LIMIT, type Stack, TIMEOUT_MS } from './stack.js';

export interface Ctx {
  framework: Framework;
  url: string;
  stack: Stack;
  /** A request from a fresh client address (via X-Forwarded-For from the trusted loopback proxy) unless given. */
  req(path: string, opts?: ReqOpts): Promise<Res>;
}

export interface ReqOpts {
  method?: Dispatcher.HttpMethod;
  headers?: Record<string, string>;
  body?: Dispatcher.DispatchOptions['body'];
  /** Client address sent in X-Forwarded-For; `null` sends none. Default: a fresh one. */
  clientIp?: string | null;
}

export interface Res {
  status: number;
  headers: Record<string, string>;
  text: string;
  json<T = any>(): T;
}

let nextIp = 1;
/** A fresh documentation-range client address per request so rate limits do not leak between scenarios. */
export const freshIp = (): string => {
  const n = nextIp++;
  return `198.51.${(n >> 8) & 255}.${n & 255}`;
};

export async function send(base: string, path: string, o: ReqOpts = {}): Promise<Res> {
  const headers: Record<string, string> = { ...o.headers };
  const ip = o.clientIp === undefined ? freshIp() : o.clientIp;
  if (ip !== null) headers['x-forwarded-for'] = ip;
  const r = await request(`${base}${path}`, { method: o.method ?? 'GET', headers, body: o.body ?? null });
  const text = await r.body.text();
  const flat: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.headers)) if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : v;
  return { status: r.statusCode, headers: flat, text, json: () => JSON.parse(text) };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Asserts an RFC 9457 body: media type, members, and nothing internal. */
function expectProblem(r: Res, status: number, title: string, path: string): Record<string, unknown> {
  expect(r.status).toBe(status);
  expect(r.headers['content-type']).toBe('application/problem+json');
  const body = r.json();
  expect(body).toMatchObject({ type: 'about:blank', title, status, instance: path });
  expect(body.requestId).toBe(r.headers['x-request-id']);
  expect(r.text).not.toContain('stack');
  expect(r.text).not.toContain('    at ');
  return body;
}

const varyTokens = (v: string | undefined): string[] => (v ?? '').split(',').map((t) => t.trim().toLowerCase());

export interface Scenario {
  name: string;
  run(t: Ctx): Promise<void>;
}

export const scenarios: Scenario[] = [
  {
    name: 'security headers: exactly the compiled list on every response, CSP nonce per response, X-Powered-By gone',
    async run(t) {
      const a = await t.req('/nonce');
      const b = await t.req('/nonce');
      expect(a.status).toBe(200);
      const nonceA = a.json().nonce as string;
      const nonceB = b.json().nonce as string;
      expect(nonceA).toMatch(/^[A-Za-z0-9+/]{22}==$/);
      expect(nonceA).not.toBe(nonceB);
      const expected = t.stack.options.headers!.forRequest!({ nonce: nonceA });
      expect(expected.length).toBeGreaterThan(5);
      for (const [name, value] of expected) expect(a.headers[name.toLowerCase()], name).toBe(value);
      expect(a.headers['content-security-policy']).toContain(`'nonce-${nonceA}'`);
      expect(b.headers['content-security-policy']).toContain(`'nonce-${nonceB}'`);
      expect(a.headers['x-powered-by']).toBeUndefined();
      // also on error responses
      const e = await t.req('/boom');
      for (const [name] of expected) expect(e.headers[name.toLowerCase()], name).toBeDefined();
    },
  },
  {
    name: "security headers: a route's own value wins and every header is sent once",
    async run(t) {
      const r = await t.req('/own');
      expect(r.status).toBe(200);
      // send() joins repeated headers with ', ': an exact value means the header came once
      expect(r.headers['content-security-policy']).toBe(OWN_CSP);
      const expected = t.stack.options.headers!.forRequest!({ nonce: 'AAAAAAAAAAAAAAAAAAAAAA==' });
      for (const [name, value] of expected)
        if (name.toLowerCase() !== 'content-security-policy') expect(r.headers[name.toLowerCase()], name).toBe(value);
      expect(r.headers['x-request-id']).toMatch(UUID);
      expect(r.headers['x-response-time']).toMatch(/^\d+\.\d{3}ms$/);
      expect(r.headers['ratelimit-policy']).toBe(`"api";q=${RATE_LIMIT};w=60`);
    },
  },
  {
    name: 'request id: a valid incoming X-Request-Id is kept, an invalid one replaced, a missing one generated',
    async run(t) {
      const kept = await t.req('/id', { headers: { 'x-request-id': 'abc-123.DEF_456' } });
      expect(kept.headers['x-request-id']).toBe('abc-123.DEF_456');
      expect(kept.json().requestId).toBe('abc-123.DEF_456');
      const fresh = await t.req('/id');
      expect(fresh.headers['x-request-id']).toMatch(UUID);
      expect(fresh.json().requestId).toBe(fresh.headers['x-request-id']);
      for (const bad of ['has space', 'x'.repeat(129), 'semi;colon', '<script>']) {
        const r = await t.req('/id', { headers: { 'x-request-id': bad } });
        expect(r.headers['x-request-id']).toMatch(UUID);
      }
    },
  },
  {
    name: 'X-Response-Time on success and error responses',
    async run(t) {
      for (const path of ['/hello', '/boom', '/nope']) {
        const r = await t.req(path);
        expect(r.headers['x-response-time'], path).toMatch(/^\d+\.\d{3}ms$/);
      }
    },
  },
  {
    name: 'one structured log line per request with status, duration and id',
    async run(t) {
      const id = `log-${t.framework}-${Date.now()}`;
      await t.req('/hello', { headers: { 'x-request-id': id } });
      await t.req('/boom', { headers: { 'x-request-id': `${id}-boom` } });
      await new Promise((r) => setTimeout(r, 20));
      const recs = t.stack.logs.records();
      const mine = recs.filter((l) => l.requestId === id);
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({
        msg: 'request completed',
        method: 'GET',
        path: '/hello',
        status: 200,
        level: 30,
      });
      expect(typeof mine[0]!.durationMs).toBe('number');
      const boom = recs.filter((l) => l.requestId === `${id}-boom`);
      // the access line at error level, plus the error line with the stack (server side only)
      expect(boom.find((l) => l.msg === 'request completed')).toMatchObject({ status: 500, level: 50 });
      const errLine = boom.find((l) => l.msg === 'unhandled error');
      expect(JSON.stringify(errLine)).toContain(SECRET_MESSAGE);
    },
  },
  {
    name: 'CORS: preflight answered 204 with the allowed methods, Vary, no route reached',
    async run(t) {
      const r = await t.req('/hello', {
        method: 'OPTIONS',
        headers: {
          origin: ALLOWED_ORIGIN,
          'access-control-request-method': 'PUT',
          'access-control-request-headers': 'content-type',
        },
      });
      expect(r.status).toBe(204);
      expect(r.text).toBe('');
      expect(r.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
      expect(r.headers['access-control-allow-methods']).toContain('PUT');
      expect(r.headers['access-control-allow-headers']?.toLowerCase()).toContain('content-type');
      expect(r.headers['access-control-max-age']).toBe('600');
      expect(varyTokens(r.headers.vary)).toContain('origin');
    },
  },
  {
    name: 'CORS: refused preflight gets no Allow-Origin; simple requests get Allow-Origin and Vary merged with the route',
    async run(t) {
      const bad = await t.req('/hello', {
        method: 'OPTIONS',
        headers: { origin: 'https://evil.example', 'access-control-request-method': 'PUT' },
      });
      expect(bad.status).toBe(403);
      expect(bad.headers['access-control-allow-origin']).toBeUndefined();
      expect(varyTokens(bad.headers.vary)).toContain('origin');
      const ok = await t.req('/hello', { headers: { origin: ALLOWED_ORIGIN } });
      expect(ok.status).toBe(200);
      expect(ok.headers['access-control-allow-origin']).toBe(ALLOWED_ORIGIN);
      expect(varyTokens(ok.headers.vary)).toContain('origin');
      const other = await t.req('/hello', { headers: { origin: 'https://evil.example' } });
      expect(other.status).toBe(200);
      expect(other.headers['access-control-allow-origin']).toBeUndefined();
      const merged = await t.req('/vary', { headers: { origin: ALLOWED_ORIGIN } });
      const tokens = varyTokens(merged.headers.vary);
      expect(tokens).toContain('origin');
      expect(tokens).toContain('accept-encoding');
      expect(tokens.filter((x) => x === 'origin')).toHaveLength(1);
    },
  },
  {
    name: 'rate limit: RateLimit headers, then 429 problem+json with Retry-After after the limit',
    async run(t) {
      const ip = freshIp();
      for (let i = 0; i < RATE_LIMIT; i++) {
        const r = await t.req('/hello', { clientIp: ip });
        expect(r.status).toBe(200);
        expect(r.headers['ratelimit-policy']).toBe(`"api";q=${RATE_LIMIT};w=60`);
        expect(r.headers.ratelimit).toMatch(new RegExp(`^"api";r=${RATE_LIMIT - 1 - i};t=\\d+$`));
      }
      const denied = await t.req('/hello', { clientIp: ip });
      expectProblem(denied, 429, 'Too Many Requests', '/hello');
      expect(Number(denied.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      expect(denied.headers.ratelimit).toMatch(/^"api";r=0;t=\d+$/);
      // another client is not affected
      expect((await t.req('/hello')).status).toBe(200);
      // health probes are never rate limited
      expect((await t.req('/livez', { clientIp: ip })).status).toBe(200);
    },
  },
  {
    name: 'rate limit key: client IP through trusted proxies only (X-Forwarded-For from loopback, not from the client)',
    async run(t) {
      expect((await t.req('/ip', { clientIp: '203.0.113.7' })).json().ip).toBe('203.0.113.7');
      // only the loopback hop is trusted: a client-supplied left-most entry is ignored
      expect((await t.req('/ip', { clientIp: '1.2.3.4, 203.0.113.8' })).json().ip).toBe('203.0.113.8');
      expect((await t.req('/ip', { clientIp: null })).json().ip).toBe('127.0.0.1');
      expect((await t.req('/ip', { clientIp: 'garbage' })).json().ip).toBe('127.0.0.1');
    },
  },
  {
    name: 'health routes: codes and application/health+json; readiness follows the critical check, liveness does not',
    async run(t) {
      for (const path of ['/livez', '/readyz', '/startupz', '/health']) {
        const r = await t.req(path);
        expect(r.status, path).toBe(200);
        expect(r.headers['content-type'], path).toBe('application/health+json');
        expect(r.headers['cache-control'], path).toBe('no-store');
        expect(r.json().status).toBe('pass');
      }
      t.stack.setDependencyUp(false);
      try {
        const ready = await t.req('/readyz');
        expect(ready.status).toBe(503);
        expect(ready.headers['content-type']).toBe('application/health+json');
        expect(ready.json().status).toBe('fail');
        expect((await t.req('/livez')).status).toBe(200);
        const verbose = await t.req('/health?verbose=1');
        expect(verbose.status).toBe(503);
        expect(JSON.stringify(verbose.json().checks)).toContain('dependency');
      } finally {
        t.stack.setDependencyUp(true);
      }
      const head = await t.req('/livez', { method: 'HEAD' });
      expect(head.status).toBe(200);
      expect(head.text).toBe('');
    },
  },
  {
    name: 'body limit: 10 MiB with Content-Length against 1 MiB → 413 problem+json, connection closed',
    async run(t) {
      const r = await t.req('/echo', {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: Buffer.alloc(10 * 1024 * 1024, 1),
      });
      expectProblem(r, 413, 'Content Too Large', '/echo');
      expect(r.headers.connection).toBe('close');
    },
  },
  {
    name: 'body limit: 10 MiB streamed without Content-Length → 413 while streaming; under the limit passes',
    async run(t) {
      let produced = 0;
      const chunk = Buffer.alloc(64 * 1024, 2);
      const body = Readable.from(
        (function* () {
          for (let i = 0; i < 160; i++) {
            produced += chunk.length;
            yield chunk;
          }
        })(),
      );
      const r = await t.req('/echo', { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body });
      expectProblem(r, 413, 'Content Too Large', '/echo');
      const small = await t.req('/echo', {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: Buffer.alloc(BODY_LIMIT - 1024, 3),
      });
      expect(small.status).toBe(200);
      expect(small.json().bytes).toBe(BODY_LIMIT - 1024);
      expect(produced).toBeGreaterThan(0);
    },
  },
  {
    name: 'timeout: a handler slower than timeoutMs gets 503 problem+json, settles near the timeout',
    async run(t) {
      const t0 = Date.now();
      const r = await t.req('/slow');
      expectProblem(r, 503, 'Service Unavailable', '/slow');
      expect(Date.now() - t0).toBeLessThan(TIMEOUT_MS + 3000); // does not hang until the handler's 5 s
    },
  },
  {
    name: 'errors: unexpected → bare 500 (no message, no stack); open circuit → 503 + Retry-After; 4xx keeps its detail; 404',
    async run(t) {
      const boom = await t.req('/boom');
      const body = expectProblem(boom, 500, 'Internal Server Error', '/boom');
      expect(Object.keys(body).sort()).toEqual(['instance', 'requestId', 'status', 'title', 'type']);
      expect(boom.text).not.toContain('secret');
      const open = await t.req('/circuit');
      expectProblem(open, 503, 'Service Unavailable', '/circuit');
      const retryAfter = Number(open.headers['retry-after']);
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(30);
      const conflict = await t.req('/conflict');
      expect(expectProblem(conflict, 409, 'Conflict', '/conflict').detail).toBe('note 7 was changed by someone else');
      expectProblem(await t.req('/nope?token=x'), 404, 'Not Found', '/nope');
    },
  },
];
