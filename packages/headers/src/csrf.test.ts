// The tables marked "Go:" are ported from Go's own tests of http.CrossOriginProtection:
//   https://github.com/golang/go/blob/a4afd6ab3fd3e69fc38e5642441bb83f26c32015/src/net/http/csrf_test.go
// (the table as of Go 1.25.1, which fixed go.dev/issue/75054 / CVE-2025-47910: bypass patterns match only requests
// the mux would serve as sent, not ones it would redirect; Go 1.25.0's table expected "/bypass" and
// "/foo/../bypass/bar" to pass.) The implementation they check is
//   https://github.com/golang/go/blob/2a37bc77dbe239bee72319a6659a47d67f594219/src/net/http/csrf.go
// Names, inputs and expected statuses are Go's; `status` 200 = allowed, 403 = refused.
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CrossOriginProtection, type CrossOriginRequest, crossOriginProtection } from './index.js';

const OK = 200;
const FORBIDDEN = 403;

/** Go's httptestNewRequest(method, "https://example.com" + path) plus the headers a case sets. */
function request(method: string, path: string, headers: Record<string, string>): CrossOriginRequest {
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { method, host: 'example.com', path, header: (n) => lower[n] };
}

function statusOf(guard: CrossOriginProtection, req: CrossOriginRequest): number {
  const d = guard.check(req);
  return d.allowed ? OK : d.status;
}

const withHeaders = (secFetchSite: string, origin: string): Record<string, string> => {
  const h: Record<string, string> = {};
  if (secFetchSite !== '') h['Sec-Fetch-Site'] = secFetchSite;
  if (origin !== '') h.Origin = origin;
  return h;
};

describe('Go: TestCrossOriginProtectionSecFetchSite', () => {
  const protection = crossOriginProtection();
  // name, method, secFetchSite, origin, expectedStatus
  const tests: Array<[string, string, string, string, number]> = [
    ['same-origin allowed', 'POST', 'same-origin', '', OK],
    ['none allowed', 'POST', 'none', '', OK],
    ['cross-site blocked', 'POST', 'cross-site', '', FORBIDDEN],
    ['same-site blocked', 'POST', 'same-site', '', FORBIDDEN],

    ['no header with no origin', 'POST', '', '', OK],
    ['no header with matching origin', 'POST', '', 'https://example.com', OK],
    ['no header with mismatched origin', 'POST', '', 'https://attacker.example', FORBIDDEN],
    ['no header with null origin', 'POST', '', 'null', FORBIDDEN],

    ['GET allowed', 'GET', 'cross-site', '', OK],
    ['HEAD allowed', 'HEAD', 'cross-site', '', OK],
    ['OPTIONS allowed', 'OPTIONS', 'cross-site', '', OK],
    ['PUT blocked', 'PUT', 'cross-site', '', FORBIDDEN],
  ];
  it.each(tests)('%s', (_name, method, secFetchSite, origin, expected) => {
    expect(statusOf(protection, request(method, '/', withHeaders(secFetchSite, origin)))).toBe(expected);
  });
});

describe('Go: TestCrossOriginProtectionTrustedOriginBypass', () => {
  const protection = crossOriginProtection({ trustedOrigins: ['https://trusted.example'] });
  // name, origin, secFetchSite, expectedStatus
  const tests: Array<[string, string, string, number]> = [
    ['trusted origin without sec-fetch-site', 'https://trusted.example', '', OK],
    ['trusted origin with cross-site', 'https://trusted.example', 'cross-site', OK],
    ['untrusted origin without sec-fetch-site', 'https://attacker.example', '', FORBIDDEN],
    ['untrusted origin with cross-site', 'https://attacker.example', 'cross-site', FORBIDDEN],
  ];
  it.each(tests)('%s', (_name, origin, secFetchSite, expected) => {
    expect(statusOf(protection, request('POST', '/', withHeaders(secFetchSite, origin)))).toBe(expected);
  });
});

describe('Go: TestCrossOriginProtectionPatternBypass', () => {
  const protection = crossOriginProtection({
    exemptPaths: [
      '/bypass/',
      '/only/{foo}',
      '/no-trailing',
      '/yes-trailing/',
      'PUT /put-only/',
      'GET /get-only/',
      'POST /post-only/',
    ],
  });
  // name, path, secFetchSite, expectedStatus (every request: POST, Origin https://attacker.example)
  const tests: Array<[string, string, string, number]> = [
    ['bypass path without sec-fetch-site', '/bypass/', '', OK],
    ['bypass path with cross-site', '/bypass/', 'cross-site', OK],
    ['non-bypass path without sec-fetch-site', '/api/', '', FORBIDDEN],
    ['non-bypass path with cross-site', '/api/', 'cross-site', FORBIDDEN],

    ['redirect to bypass path without ..', '/foo/../bypass/bar', '', FORBIDDEN],
    ['redirect to bypass path with trailing slash', '/bypass', '', FORBIDDEN],
    ['redirect to non-bypass path with ..', '/foo/../api/bar', '', FORBIDDEN],
    ['redirect to non-bypass path with trailing slash', '/api', '', FORBIDDEN],

    ['wildcard bypass', '/only/123', '', OK],
    ['non-wildcard', '/only/123/foo', '', FORBIDDEN],

    // https://go.dev/issue/75054
    ['no trailing slash exact match', '/no-trailing', '', OK],
    ['no trailing slash with slash', '/no-trailing/', '', FORBIDDEN],
    ['yes trailing slash exact match', '/yes-trailing/', '', OK],
    ['yes trailing slash without slash', '/yes-trailing', '', FORBIDDEN],

    ['method-specific hit', '/post-only/', '', OK],
    ['method-specific miss (PUT)', '/put-only/', '', FORBIDDEN],
    ['method-specific miss (GET)', '/get-only/', '', FORBIDDEN],
  ];
  it.each(tests)('%s', (_name, path, secFetchSite, expected) => {
    const req = request('POST', path, withHeaders(secFetchSite, 'https://attacker.example'));
    expect(statusOf(protection, req)).toBe(expected);
  });
});

describe('Go: TestCrossOriginProtectionSetDenyHandler (the decision part; responding is the adapter’s job)', () => {
  it('refuses a cross-site POST with 403 and a detail, and allows GET', () => {
    const protection = crossOriginProtection();
    expect(protection.check(request('POST', '/', { 'Sec-Fetch-Site': 'cross-site' }))).toEqual({
      allowed: false,
      status: 403,
      reason: 'sec-fetch-site',
      detail: 'cross-origin request detected from Sec-Fetch-Site header',
    });
    expect(protection.check(request('GET', '/', {}))).toEqual({ allowed: true });
  });
});

describe('Go: TestCrossOriginProtectionAddTrustedOriginErrors (errors are thrown at construction)', () => {
  // name, origin, wantErr
  const tests: Array<[string, string, boolean]> = [
    ['valid origin', 'https://example.com', false],
    ['valid origin with port', 'https://example.com:8080', false],
    ['http origin', 'http://example.com', false],
    ['missing scheme', 'example.com', true],
    ['missing host', 'https://', true],
    ['trailing slash', 'https://example.com/', true],
    ['with path', 'https://example.com/path', true],
    ['with query', 'https://example.com?query=value', true],
    ['with fragment', 'https://example.com#fragment', true],
    ['invalid url', 'https://ex ample.com', true],
    ['empty string', '', true],
    ['null', 'null', true],
  ];
  it.each(tests)('%s', (_name, origin, wantErr) => {
    const build = (): unknown => crossOriginProtection({ trustedOrigins: [origin] });
    if (wantErr) expect(build).toThrow(/trustedOrigins entry .* must be an origin "scheme:\/\/host\[:port\]"/);
    else expect(build).not.toThrow();
  });
});

// Go's TestCrossOriginProtectionAddingBypassesConcurrently has no counterpart: a guard is immutable (build a new one
// to change its options), so there is nothing to race.

describe('Go: TestCrossOriginProtectionServer (a real node:http server on loopback)', () => {
  const protection = crossOriginProtection({
    trustedOrigins: ['https://trusted.example'],
    exemptPaths: ['/bypass/'],
  });
  let server: http.Server;
  let url: string;
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const d = protection.check({
        method: req.method ?? 'GET',
        header: (n) => req.headers[n],
        path: req.url,
      });
      if (!d.allowed) res.writeHead(d.status, { 'content-type': 'text/plain' }).end(d.detail);
      else res.writeHead(200).end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const send = (method: string, target: string, headers: Record<string, string>): Promise<[number, string]> =>
    new Promise((resolve, reject) => {
      const req = http.request(target, { method, headers, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve([res.statusCode ?? 0, body]));
      });
      req.on('error', reject);
      req.setTimeout(5000, () => req.destroy(new Error('request timed out')));
      req.end();
    });

  // name, method, url, origin, secFetchSite, expectedStatus
  const tests = (): Array<[string, string, string, string, string, number]> => [
    ['cross-site', 'POST', url, 'https://attacker.example', 'cross-site', FORBIDDEN],
    ['same-origin', 'POST', url, '', 'same-origin', OK],
    ['origin matches host', 'POST', url, url, '', OK],
    ['trusted origin', 'POST', url, 'https://trusted.example', '', OK],
    ['untrusted origin', 'POST', url, 'https://attacker.example', '', FORBIDDEN],
    ['bypass path', 'POST', `${url}/bypass/`, 'https://attacker.example', '', OK],
  ];
  it('answers each case of Go’s server table with the expected status', async () => {
    const got: Array<[string, number]> = [];
    for (const [name, method, target, origin, secFetchSite, expected] of tests()) {
      const [status, body] = await send(method, target, withHeaders(secFetchSite, origin));
      got.push([name, status]);
      if (expected === FORBIDDEN) expect(body).toMatch(/cross-origin request detected/);
    }
    expect(got).toEqual(tests().map(([name, , , , , expected]) => [name, expected]));
  });
});

describe('crossOriginProtection: beyond Go’s table', () => {
  const guard = crossOriginProtection({
    exemptPaths: ['/hooks/{provider}/{$}', 'POST /files/{path...}', '/a%20b', 'DELETE  /spaced'],
  });
  const post = (path: string, headers: Record<string, string> = { Origin: 'https://attacker.example' }) =>
    statusOf(guard, request('POST', path, headers));

  it('matches {$}, {name...}, percent-encoded segments and ignores the query', () => {
    expect(post('/hooks/github/')).toBe(OK);
    expect(post('/hooks/github')).toBe(FORBIDDEN);
    expect(post('/hooks/github/x')).toBe(FORBIDDEN);
    expect(post('/hooks//')).toBe(FORBIDDEN); // empty segment: not clean
    expect(post('/files/a/b.txt')).toBe(OK);
    expect(post('/files/')).toBe(OK);
    expect(post('/files')).toBe(FORBIDDEN);
    expect(post('/a%20b')).toBe(OK);
    expect(post('/a b')).toBe(OK); // a raw space decodes to the same segment
    expect(post('/files/x?redirect=/elsewhere')).toBe(OK);
    expect(statusOf(guard, request('DELETE', '/spaced', { Origin: 'https://attacker.example' }))).toBe(OK);
  });

  it('never exempts a path that needs cleaning, also when the dots or slashes are percent-encoded', () => {
    expect(post('/files/../admin')).toBe(FORBIDDEN);
    expect(post('/files/%2e%2e/admin')).toBe(FORBIDDEN);
    expect(post('/files/a%2F..%2F..%2Fadmin')).toBe(FORBIDDEN);
    expect(post('/files/./a')).toBe(FORBIDDEN);
    expect(post('//files/a')).toBe(FORBIDDEN);
    expect(post('/files/%zz')).toBe(FORBIDDEN); // bad percent-encoding
  });

  it('reads an absolute-form request target', () => {
    expect(post('http://example.com/files/a')).toBe(OK);
    expect(post('http://example.com/other')).toBe(FORBIDDEN);
    expect(post('*')).toBe(FORBIDDEN);
  });

  it('compares methods case-sensitively: a lower-case "post" is not a safe method and is checked', () => {
    expect(statusOf(guard, request('post', '/', { 'Sec-Fetch-Site': 'cross-site' }))).toBe(FORBIDDEN);
    expect(statusOf(guard, request('get', '/', { 'Sec-Fetch-Site': 'cross-site' }))).toBe(FORBIDDEN);
  });

  it('refuses an unknown Sec-Fetch-Site value, and an Origin on a request without any host', () => {
    expect(post('/', { 'Sec-Fetch-Site': 'Same-Origin' })).toBe(FORBIDDEN);
    const noHost: CrossOriginRequest = { method: 'POST', header: (n) => (n === 'origin' ? 'null' : undefined) };
    expect(guard.check(noHost).allowed).toBe(false);
  });

  it('reads the host from the Host header by default, compares it with the Origin host (userinfo dropped)', () => {
    const req = (origin: string, host: string): CrossOriginRequest => ({
      method: 'POST',
      header: (n) => (n === 'origin' ? origin : n === 'host' ? host : undefined),
    });
    expect(guard.check(req('https://example.com:8443', 'example.com:8443')).allowed).toBe(true);
    expect(guard.check(req('https://example.com', 'example.com:8443')).allowed).toBe(false);
    expect(guard.check(req('https://user@example.com', 'example.com')).allowed).toBe(true);
    expect(guard.check(req('https://example.com.attacker.example', 'example.com')).allowed).toBe(false);
  });

  it('takes header values as Node gives them (arrays, null) without throwing', () => {
    const arr: CrossOriginRequest = {
      method: 'POST',
      host: 'example.com',
      header: (n) => (n === 'sec-fetch-site' ? ['cross-site', 'same-origin'] : null),
    };
    expect(guard.check(arr).allowed).toBe(false);
    const nothing: CrossOriginRequest = { method: 'POST', header: () => null };
    expect(guard.check(nothing).allowed).toBe(true);
  });

  it('shares one frozen decision object per outcome', () => {
    const a = guard.check(request('POST', '/', { 'Sec-Fetch-Site': 'cross-site' }));
    const b = guard.check(request('PUT', '/x', { 'Sec-Fetch-Site': 'same-site' }));
    expect(a).toBe(b);
    expect(Object.isFrozen(a)).toBe(true);
    expect(guard.check(request('GET', '/', {}))).toBe(guard.check(request('POST', '/', {})));
  });

  it('judges Fetch API Requests (host from the Host header or the URL)', () => {
    const g = crossOriginProtection({ exemptPaths: ['/hooks/'] });
    const r = (init: RequestInit & { url?: string }) => new Request(init.url ?? 'http://example.com/x', init);
    expect(g.checkRequest(r({ method: 'POST', headers: { 'sec-fetch-site': 'cross-site' } })).allowed).toBe(false);
    expect(g.checkRequest(r({ method: 'POST', headers: { origin: 'http://example.com' } })).allowed).toBe(true);
    expect(g.checkRequest(r({ method: 'POST', headers: { origin: 'http://evil.example' } })).allowed).toBe(false);
    expect(
      g.checkRequest(
        r({ url: 'http://example.com/hooks/a', method: 'POST', headers: { origin: 'http://evil.example' } }),
      ).allowed,
    ).toBe(true);
    expect(g.checkRequest(r({ method: 'GET', headers: { 'sec-fetch-site': 'cross-site' } })).allowed).toBe(true);
  });

  it('rejects bad options, naming them', () => {
    expect(() => crossOriginProtection({ exemptPaths: ['bypass/'] })).toThrow(/must be "\[METHOD \]\/path"/);
    expect(() => crossOriginProtection({ exemptPaths: ['example.com/x'] })).toThrow(/host patterns are not supported/);
    expect(() => crossOriginProtection({ exemptPaths: ['/a/{x...}/b'] })).toThrow(/must be the last segment/);
    expect(() => crossOriginProtection({ exemptPaths: ['/a/{x}/{x}'] })).toThrow(/repeats the wildcard/);
    expect(() => crossOriginProtection({ exemptPaths: ['/a/x{y}'] })).toThrow(/whole segment/);
    expect(() => crossOriginProtection({ exemptPaths: ['/a/{$}/b'] })).toThrow(/\{\$\} is only allowed/);
    expect(() => crossOriginProtection({ exemptPaths: ['/a/../b'] })).toThrow(/not a clean path/);
    expect(() => crossOriginProtection({ exemptPaths: ['/a?x=1'] })).toThrow(/without query/);
    expect(() => crossOriginProtection({ exemptPaths: [''] })).toThrow(/non-empty string/);
    expect(() => crossOriginProtection({ exemptPaths: 'x' as never })).toThrow(/exemptPaths must be an array/);
    expect(() => crossOriginProtection({ trustedOrigins: 'x' as never })).toThrow(/trustedOrigins must be an array/);
    expect(() => crossOriginProtection({ trustOrigins: [] } as never)).toThrow(/unknown option "trustOrigins"/);
    expect(crossOriginProtection({ trustedOrigins: ['HTTPS://App.Example.com'] }).trustedOrigins).toEqual([
      'https://app.example.com',
    ]);
  });

  it('property: any header values never throw, and an unexempted cross-site unsafe request is always refused', () => {
    const g = crossOriginProtection({ trustedOrigins: ['https://trusted.example'], exemptPaths: ['POST /hooks/'] });
    fc.assert(
      fc.property(
        fc.constantFrom('POST', 'PUT', 'PATCH', 'DELETE', 'post', 'FOO'),
        fc.option(fc.string(), { nil: undefined }),
        fc.option(fc.string(), { nil: undefined }),
        fc.option(fc.string(), { nil: undefined }),
        fc.string(),
        (method, site, origin, host, path) => {
          const d = g.check({
            method,
            host,
            path,
            header: (n) => (n === 'sec-fetch-site' ? site : n === 'origin' ? origin : undefined),
          });
          if (site === 'cross-site' && origin !== 'https://trusted.example' && !path.startsWith('/hooks/'))
            return d.allowed === false;
          return typeof d.allowed === 'boolean';
        },
      ),
      { numRuns: 2000 },
    );
  });
});
