import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appendVary, type CorsOptions, type CorsRequest, type CorsResult, cors } from './index.js';

const APP = 'https://app.example.com';
const EVIL = 'https://evil.example.net';
const get = (origin?: string): CorsRequest => ({ method: 'GET', origin });
const pre = (origin: string | undefined, method = 'PUT', headers?: string): CorsRequest => ({
  method: 'OPTIONS',
  origin,
  accessControlRequestMethod: method,
  accessControlRequestHeaders: headers,
});

interface Expect {
  preflight: boolean;
  allowed: boolean;
  status: number;
  headers: Record<string, string>;
  vary: string[];
}
const PF_VARY = ['Origin', 'Access-Control-Request-Method', 'Access-Control-Request-Headers'];
const reject = (preflight = false): Expect => ({
  preflight,
  allowed: false,
  status: preflight ? 403 : 0,
  headers: {},
  vary: preflight ? PF_VARY : ['Origin'],
});

const table: Array<[string, CorsOptions, CorsRequest, Expect]> = [
  // --- Vary: Origin whenever the answer depends on the origin ---
  [
    'exact origin, allowed',
    { origin: APP },
    get(APP),
    { preflight: false, allowed: true, status: 0, headers: { 'Access-Control-Allow-Origin': APP }, vary: ['Origin'] },
  ],
  ['exact origin, other origin rejected but still Vary: Origin', { origin: APP }, get(EVIL), reject()],
  [
    'exact origin, no Origin header: not CORS, still Vary: Origin',
    { origin: APP },
    get(undefined),
    { preflight: false, allowed: true, status: 0, headers: {}, vary: ['Origin'] },
  ],
  [
    "'*': no Vary, ACAO *",
    { origin: '*' },
    get(EVIL),
    { preflight: false, allowed: true, status: 0, headers: { 'Access-Control-Allow-Origin': '*' }, vary: [] },
  ],
  [
    "'*' without Origin: nothing to add",
    { origin: '*' },
    get(undefined),
    { preflight: false, allowed: true, status: 0, headers: {}, vary: [] },
  ],
  [
    'reflect-all (true) reflects with Vary',
    { origin: true },
    get(EVIL),
    { preflight: false, allowed: true, status: 0, headers: { 'Access-Control-Allow-Origin': EVIL }, vary: ['Origin'] },
  ],
  ['reflect-all never reflects "null"', { origin: true }, get('null'), reject()],
  ['reflect-all never reflects a malformed origin', { origin: true }, get('https://a.test/path"x'), reject()],
  // --- lists, patterns, RegExps ---
  [
    'list: second entry',
    { origin: ['https://a.example.com', APP] },
    get(APP),
    { preflight: false, allowed: true, status: 0, headers: { 'Access-Control-Allow-Origin': APP }, vary: ['Origin'] },
  ],
  ['list: origin with trailing slash is not the origin', { origin: [APP] }, get(`${APP}/`), reject()],
  ['list: other port rejected', { origin: [APP] }, get(`${APP}:8443`), reject()],
  ['list: http vs https rejected', { origin: [APP] }, get('http://app.example.com'), reject()],
  [
    'pattern: subdomain allowed',
    { origin: 'https://*.example.com' },
    get('https://a.b.example.com'),
    {
      preflight: false,
      allowed: true,
      status: 0,
      headers: { 'Access-Control-Allow-Origin': 'https://a.b.example.com' },
      vary: ['Origin'],
    },
  ],
  ['pattern: apex not covered', { origin: 'https://*.example.com' }, get('https://example.com'), reject()],
  [
    'pattern: look-alike suffix rejected',
    { origin: 'https://*.example.com' },
    get('https://evilexample.com'),
    reject(),
  ],
  [
    'pattern: anchored at the end',
    { origin: 'https://*.example.com' },
    get('https://a.example.com.evil.net'),
    reject(),
  ],
  ['pattern: no port sneaks in', { origin: 'https://*.example.com' }, get('https://a.example.com:444'), reject()],
  ['pattern: scheme is part of it', { origin: 'https://*.example.com' }, get('http://a.example.com'), reject()],
  ['pattern: user info rejected', { origin: 'https://*.example.com' }, get('https://x@a.example.com'), reject()],
  ['pattern: empty label rejected', { origin: 'https://*.example.com' }, get('https://a..example.com'), reject()],
  [
    'RegExp, anchored',
    { origin: /^https:\/\/(?:foo|bar)\.example\.com$/ },
    get('https://bar.example.com'),
    {
      preflight: false,
      allowed: true,
      status: 0,
      headers: { 'Access-Control-Allow-Origin': 'https://bar.example.com' },
      vary: ['Origin'],
    },
  ],
  ['RegExp, not matching', { origin: /^https:\/\/foo\.example\.com$/ }, get('https://baz.example.com'), reject()],
  // --- credentials ---
  [
    'credentials: ACAC true + exposed headers on actual requests',
    { origin: [APP], credentials: true, exposedHeaders: ['X-Request-Id', 'RateLimit'] },
    get(APP),
    {
      preflight: false,
      allowed: true,
      status: 0,
      headers: {
        'Access-Control-Allow-Origin': APP,
        'Access-Control-Allow-Credentials': 'true',
        'Access-Control-Expose-Headers': 'X-Request-Id, RateLimit',
      },
      vary: ['Origin'],
    },
  ],
  ['credentials: rejected origin gets no ACAC', { origin: [APP], credentials: true }, get(EVIL), reject()],
  // --- preflights ---
  [
    'preflight: allowed, 204, Content-Length 0, echoes requested headers',
    { origin: APP, credentials: true, maxAgeSec: 300 },
    pre(APP, 'PUT', 'Content-Type, X-Trace'),
    {
      preflight: true,
      allowed: true,
      status: 204,
      headers: {
        'Access-Control-Allow-Origin': APP,
        'Access-Control-Allow-Credentials': 'true',
        'Access-Control-Allow-Methods': 'GET, HEAD, PUT, PATCH, POST, DELETE',
        'Access-Control-Allow-Headers': 'Content-Type, X-Trace',
        'Access-Control-Max-Age': '300',
        'Content-Length': '0',
      },
      vary: PF_VARY,
    },
  ],
  [
    'preflight: fixed allowedHeaders answered as configured',
    { origin: APP, allowedHeaders: ['Content-Type', 'Authorization'], methods: ['GET', 'POST'] },
    pre(APP, 'POST', 'content-type,authorization'),
    {
      preflight: true,
      allowed: true,
      status: 204,
      headers: {
        'Access-Control-Allow-Origin': APP,
        'Access-Control-Allow-Methods': 'GET, POST',
        'Access-Control-Allow-Headers': 'Content-Type, Authorization',
        'Access-Control-Max-Age': '600',
        'Content-Length': '0',
      },
      vary: PF_VARY,
    },
  ],
  [
    'preflight: header outside allowedHeaders refused',
    { origin: APP, allowedHeaders: ['Content-Type'] },
    pre(APP, 'POST', 'Content-Type, X-Evil'),
    reject(true),
  ],
  ['preflight: method not allowed refused', { origin: APP, methods: ['GET'] }, pre(APP, 'DELETE'), reject(true)],
  ['preflight: origin not allowed refused with Vary', { origin: APP }, pre(EVIL), reject(true)],
  [
    'preflight: malformed requested headers refused',
    { origin: APP },
    pre(APP, 'PUT', 'X-A\r\nSet-Cookie: a=b'),
    reject(true),
  ],
  [
    "preflight with '*': ACAO *, Vary only on the request headers",
    { origin: '*', allowedHeaders: '*', methods: '*' },
    pre(EVIL, 'PATCH', 'X-Anything'),
    {
      preflight: true,
      allowed: true,
      status: 204,
      headers: {
        'Access-Control-Allow-Origin': '*',
        'Access-Control-Allow-Methods': '*',
        'Access-Control-Allow-Headers': '*',
        'Access-Control-Max-Age': '600',
        'Content-Length': '0',
      },
      vary: [],
    },
  ],
  // --- strict preflight detection ---
  [
    'OPTIONS without Access-Control-Request-Method is not a preflight',
    { origin: APP },
    { method: 'OPTIONS', origin: APP },
    { preflight: false, allowed: true, status: 0, headers: { 'Access-Control-Allow-Origin': APP }, vary: ['Origin'] },
  ],
  [
    'OPTIONS + ACRM without Origin is not a preflight',
    { origin: APP },
    { method: 'OPTIONS', accessControlRequestMethod: 'PUT' },
    { preflight: false, allowed: true, status: 0, headers: {}, vary: ['Origin'] },
  ],
  [
    'GET with ACRM is not a preflight',
    { origin: APP },
    { method: 'GET', origin: APP, accessControlRequestMethod: 'PUT' },
    { preflight: false, allowed: true, status: 0, headers: { 'Access-Control-Allow-Origin': APP }, vary: ['Origin'] },
  ],
];

const shape = (r: CorsResult) => ({
  preflight: r.preflight,
  allowed: r.allowed,
  status: r.status,
  headers: Object.fromEntries(r.headers),
  vary: [...r.vary],
});

describe('cors().handle (table)', () => {
  it.each(table)('%s', (_name, opts, req, want) => {
    const r = cors(opts).handle(req) as CorsResult;
    expect(shape(r)).toEqual(want);
    expect(Object.isFrozen(r)).toBe(true);
    expect(Object.isFrozen(r.headers)).toBe(true);
  });
});

describe('cors credentials rules (construction)', () => {
  it.each<[string, CorsOptions, RegExp]>([
    ["origin '*'", { origin: '*', credentials: true }, /credentials cannot be combined with origin '\*'/],
    ['reflect-all', { origin: true, credentials: true }, /credentials cannot be combined with a reflect-all origin/],
    ["'*' inside a list", { origin: [APP, '*'], credentials: true }, /credentials cannot be combined with origin '\*'/],
    ['catch-all RegExp', { origin: /^.*$/, credentials: true }, /it admits null/],
    ['catch-all RegExp in a list', { origin: [APP, /^https?:\/\/.+$/], credentials: true }, /a host unrelated/],
    ["allowedHeaders '*'", { origin: APP, credentials: true, allowedHeaders: '*' }, /allowedHeaders '\*'/],
    ["exposedHeaders '*'", { origin: APP, credentials: true, exposedHeaders: '*' }, /exposedHeaders '\*'/],
    ["methods '*'", { origin: APP, credentials: true, methods: '*' }, /methods '\*'/],
  ])('throws for credentials with %s', (_n, opts, msg) => {
    expect(() => cors(opts)).toThrow(msg);
  });

  it('allows credentials with lists, patterns, anchored narrow RegExps and functions', () => {
    expect(() => cors({ origin: [APP, 'https://*.example.com'], credentials: true })).not.toThrow();
    expect(() => cors({ origin: /^https:\/\/[a-z]+\.example\.com$/, credentials: true })).not.toThrow();
    expect(() => cors({ origin: (o) => o === APP, credentials: true })).not.toThrow();
  });

  it.each<[string, CorsOptions, RegExp]>([
    ['unanchored RegExp', { origin: /example\.com/ }, /must be anchored with \^ and \$/],
    ['global RegExp', { origin: /^https:\/\/a\.com$/g }, /must not use the g or y flag/],
    ['origin with a path', { origin: 'https://a.example.com/' }, /is not an origin/],
    ['uppercase origin', { origin: 'https://App.example.com' }, /is not an origin/],
    ['"null" origin', { origin: ['null'] }, /origin "null" is not allowed/],
    ['pattern too broad', { origin: 'https://*.com' }, /too broad/],
    ['pattern with a star elsewhere', { origin: 'https://a.*.example.com' }, /must look like/],
    ['empty list', { origin: [] }, /origin list is empty/],
    ['negative maxAgeSec', { origin: APP, maxAgeSec: -1 }, /maxAgeSec must be an integer >= 0, got -1/],
    ['bad method token', { origin: APP, methods: ['GET POST'] }, /methods has an invalid entry "GET POST"/],
    ['unknown option', { origin: APP, maxAge: 5 } as CorsOptions, /unknown option "maxAge"/],
  ])('rejects %s', (_n, opts, msg) => {
    expect(() => cors(opts)).toThrow(msg);
  });
});

describe('cors: function origins and caching', () => {
  it('async origin function: handle returns a promise; rejection still varies on Origin', async () => {
    const seen: string[] = [];
    const c = cors({
      origin: async (o: string) => {
        seen.push(o);
        return o.endsWith('.trusted.test');
      },
      credentials: true,
    });
    expect(c.isAsync).toBe(true);
    seen.length = 0; // the credentials probe's calls, made when the policy was built
    const ok = await c.handle(get('https://x.trusted.test'));
    expect(shape(ok).headers).toEqual({
      'Access-Control-Allow-Origin': 'https://x.trusted.test',
      'Access-Control-Allow-Credentials': 'true',
    });
    const no = await c.handle(get(EVIL));
    expect(shape(no)).toEqual(reject());
    const pf = await c.handle(pre('https://x.trusted.test', 'POST'));
    expect(pf.status).toBe(204);
    expect(seen).toEqual(['https://x.trusted.test', EVIL, 'https://x.trusted.test']);
  });

  it('sync origin function answers synchronously; non-boolean answers are a TypeError', () => {
    const c = cors({ origin: (o: string) => o === APP });
    const r = c.handle(get(APP));
    expect(r).not.toBeInstanceOf(Promise);
    expect(r.allowed).toBe(true);
    const bad = cors({ origin: (() => 'yes') as unknown as (o: string) => boolean });
    expect(() => bad.handle(get(APP))).toThrow(/must return a boolean/);
  });

  it('returns the same frozen result object for repeated static answers (no per-request allocation)', () => {
    const c = cors({ origin: [APP, 'https://*.example.org'], allowedHeaders: ['content-type'] });
    expect(c.handle(get(APP))).toBe(c.handle(get(APP)));
    expect(c.handle(get(EVIL))).toBe(c.handle(get('https://other.test')));
    expect(c.handle(pre(APP))).toBe(c.handle(pre(APP)));
    expect(c.handle(get('https://a.example.org'))).toBe(c.handle(get('https://a.example.org')));
  });

  it('bounds the dynamic-origin cache (reflect-all under a flood of origins stays correct)', () => {
    const c = cors({ origin: true });
    for (let i = 0; i < 3000; i++) {
      const o = `https://h${i}.flood.test`;
      expect(c.handle(get(o)).headers[0]).toEqual(['Access-Control-Allow-Origin', o]);
    }
    expect(c.handle(get('https://h0.flood.test')).headers[0]![1]).toBe('https://h0.flood.test');
  });

  it('pattern matching agrees with a reference definition (property)', () => {
    const c = cors({ origin: 'https://*.example.com' });
    const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,8}[a-z0-9])?$/);
    fc.assert(
      fc.property(fc.array(label, { minLength: 1, maxLength: 3 }), (labels) => {
        const o = `https://${labels.join('.')}.example.com`;
        return c.handle(get(o)).allowed === true;
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 40 }), (junk) => {
        const o = `https://${junk}`;
        const ref = /^https:\/\/[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.example\.com$/;
        return c.handle(get(o)).allowed === ref.test(o);
      }),
      { numRuns: 500 },
    );
  });
});

describe('appendVary', () => {
  it.each<[string | string[] | number | undefined, string | string[], string]>([
    [undefined, ['Origin'], 'Origin'],
    ['', 'Origin', 'Origin'],
    ['Accept-Encoding', ['Origin'], 'Accept-Encoding, Origin'],
    ['Accept-Encoding, origin', ['Origin'], 'Accept-Encoding, origin'],
    [['Accept-Encoding', 'Cookie'], ['Origin', 'Cookie'], 'Accept-Encoding, Cookie, Origin'],
    ['*', ['Origin'], '*'],
    ['Origin', ['*'], '*'],
    ['Accept', 'Origin, Access-Control-Request-Headers', 'Accept, Origin, Access-Control-Request-Headers'],
    ['Accept', [], 'Accept'],
  ])('appendVary(%j, %j) = %j', (existing, add, want) => {
    expect(appendVary(existing, add)).toBe(want);
  });

  it('returns the same string when nothing is added and rejects non-tokens', () => {
    const v = 'Origin, Accept';
    expect(appendVary(v, ['origin'])).toBe(v);
    expect(() => appendVary('', ['Bad Header'])).toThrow(/not a header name/);
  });
});

describe('cors on a real node:http server', () => {
  const policy = cors({ origin: [APP], credentials: true, allowedHeaders: ['content-type'] });
  let server: http.Server;
  let base = '';
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      res.setHeader('Vary', 'Accept-Encoding'); // set earlier by e.g. compression: must survive
      const r = policy.handle({
        method: req.method ?? 'GET',
        origin: req.headers.origin,
        accessControlRequestMethod: req.headers['access-control-request-method'] as string | undefined,
        accessControlRequestHeaders: req.headers['access-control-request-headers'],
      });
      for (const [n, v] of r.headers) res.setHeader(n, v);
      if (r.vary.length) res.setHeader('Vary', appendVary(res.getHeader('Vary') as string, r.vary));
      if (r.preflight) {
        res.statusCode = r.status;
        res.end();
        return;
      }
      res.end('body');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('answers a preflight with 204, no body, merged Vary', async () => {
    const res = await fetch(base, {
      method: 'OPTIONS',
      headers: {
        origin: APP,
        'access-control-request-method': 'PUT',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(APP);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('vary')).toBe(
      'Accept-Encoding, Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
    );
    expect(await res.text()).toBe('');
  });

  it('rejected origin: no CORS headers, Vary still names Origin', async () => {
    const res = await fetch(base, { headers: { origin: EVIL } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
    expect(res.headers.get('vary')).toBe('Accept-Encoding, Origin');
  });
});
