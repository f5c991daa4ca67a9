import { createHash } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  clearSiteData,
  cspHash,
  generateNonce,
  isHeadersError,
  isValidNonce,
  PERMISSIONS_DENY_ALL,
  type SecurityHeadersOptions,
  securityHeaders,
} from './index.js';

const obj = (e: readonly (readonly [string, string])[]) => Object.fromEntries(e);

describe('presets', () => {
  it('owasp: the OWASP Secure Headers Project set', () => {
    const h = securityHeaders({ preset: 'owasp' });
    expect(obj(h.entries)).toEqual({
      'Content-Security-Policy':
        "default-src 'self';form-action 'self';base-uri 'self';object-src 'none';frame-ancestors 'none';upgrade-insecure-requests",
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Resource-Policy': 'same-origin',
      'Referrer-Policy': 'no-referrer',
      'Strict-Transport-Security': 'max-age=63072000; includeSubDomains',
      'X-Content-Type-Options': 'nosniff',
      'X-Frame-Options': 'DENY',
      'X-Permitted-Cross-Domain-Policies': 'none',
      'X-DNS-Prefetch-Control': 'off',
      'Permissions-Policy': expect.stringMatching(
        /^accelerometer=\(\), autoplay=\(\), camera=\(\), .*sync-xhr=\(self\)/,
      ),
      'Cache-Control': 'no-store, max-age=0',
    });
    expect(h.get('x-xss-protection')).toBeUndefined();
    expect(h.remove).toEqual(['X-Powered-By', 'Server', 'X-AspNet-Version', 'X-AspNetMvc-Version']);
    expect(h.get('permissions-policy')!.split(', ')).toHaveLength(Object.keys(PERMISSIONS_DENY_ALL).length);
  });

  it('owasp: X-XSS-Protection is only ever 0 when asked for', () => {
    expect(securityHeaders({ preset: 'owasp', xXssProtection: true }).get('X-XSS-Protection')).toBe('0');
  });

  it('api: default-src none, frame-ancestors none, no-store', () => {
    const h = securityHeaders({ preset: 'api' });
    expect(h.get('Content-Security-Policy')).toBe("default-src 'none';frame-ancestors 'none'");
    expect(h.get('Cache-Control')).toBe('no-store');
    expect(h.get('X-Content-Type-Options')).toBe('nosniff');
    expect(h.get('Permissions-Policy')).toBeUndefined();
  });

  it('entries are frozen, pairs too, and nonce-free policies return entries itself from forRequest', () => {
    const h = securityHeaders();
    expect(Object.isFrozen(h.entries)).toBe(true);
    expect(h.entries.every((e) => Object.isFrozen(e))).toBe(true);
    expect(Object.isFrozen(h.remove)).toBe(true);
    expect(h.nonce).toBe(false);
    expect(h.forRequest()).toBe(h.entries);
    expect(h.forRequest({ nonce: generateNonce() })).toBe(h.entries);
  });

  it('true switches on a header the preset leaves off, with the package default', () => {
    const h = securityHeaders({ preset: 'api', crossOriginEmbedderPolicy: true, permissionsPolicy: true });
    expect(h.get('Cross-Origin-Embedder-Policy')).toBe('require-corp');
    expect(h.get('Permissions-Policy')).toContain('camera=()');
  });
});

describe('CSP', () => {
  it('supports hashes, strict-dynamic and report-only alongside the enforced policy', async () => {
    const hash = await cspHash('console.log(1)');
    const h = securityHeaders({
      preset: 'api',
      reportingEndpoints: { csp: 'https://reports.example.com/csp' },
      contentSecurityPolicy: { directives: { 'report-to': 'csp' } },
      contentSecurityPolicyReportOnly: {
        useDefaults: false,
        directives: { 'script-src': ["'strict-dynamic'", hash, 'https:'], 'report-to': 'csp' },
      },
    });
    expect(h.get('Content-Security-Policy')).toBe("default-src 'none';frame-ancestors 'none';report-to csp");
    expect(h.get('Content-Security-Policy-Report-Only')).toBe(
      `script-src 'strict-dynamic' ${hash} https:;report-to csp`,
    );
    expect(h.get('Reporting-Endpoints')).toBe('csp="https://reports.example.com/csp"');
  });

  it('cspHash equals the base64 SHA digest of the text', async () => {
    const text = 'alert("hi")\n';
    expect(await cspHash(text)).toBe(`'sha256-${createHash('sha256').update(text).digest('base64')}'`);
    expect(await cspHash(text, 'sha384')).toBe(`'sha384-${createHash('sha384').update(text).digest('base64')}'`);
  });

  it('nonces: entries leave the CSP out, forRequest puts a fresh nonce in each directive', () => {
    const h = securityHeaders({ preset: 'helmet', contentSecurityPolicy: { nonce: ['script-src'] } });
    expect(h.nonce).toBe(true);
    expect(h.entries.some(([n]) => n === 'Content-Security-Policy')).toBe(false);
    expect(h.get('Content-Security-Policy')).toContain("script-src 'self' 'nonce-{nonce}'");
    const a = generateNonce();
    const b = generateNonce();
    const la = h.forRequest({ nonce: a });
    const lb = h.forRequest({ nonce: b });
    expect(la).toHaveLength(h.entries.length + 1);
    expect(la[0]).toEqual(['Content-Security-Policy', expect.stringContaining(`script-src 'self' 'nonce-${a}';`)]);
    expect(lb[0]![1]).toContain(`'nonce-${b}'`);
    expect(lb[0]![1]).not.toContain(a);
    expect(la.slice(1)).toEqual([...h.entries]);
  });

  it('nonce: true on a preset without script-src derives it from default-src', () => {
    const owasp = securityHeaders({ preset: 'owasp', contentSecurityPolicy: { nonce: true } });
    expect(owasp.get('Content-Security-Policy')).toMatch(/;script-src 'self' 'nonce-\{nonce\}'$/);
    const api = securityHeaders({ preset: 'api', contentSecurityPolicy: { nonce: true } });
    expect(api.get('Content-Security-Policy')).toBe(
      "default-src 'none';frame-ancestors 'none';script-src 'nonce-{nonce}'",
    );
  });

  it('forRequest refuses missing, short or injected nonces with a branded error', () => {
    const h = securityHeaders({ contentSecurityPolicy: { nonce: true } });
    for (const bad of [undefined, 'short', "AAAAAAAAAAAAAAAAAAAAAAAA'; script-src *", 'A'.repeat(21)]) {
      try {
        h.forRequest({ nonce: bad });
        expect.unreachable();
      } catch (e) {
        expect(isHeadersError(e)).toBe(true);
        expect((e as { code: string }).code).toBe('ERR_INVALID_NONCE');
      }
    }
  });

  it('generateNonce: 128 bits, base64url, unique', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 9000; i++) {
      // 9000 nonces: past two refills of the 4096-nonce pool
      const n = generateNonce();
      expect(n).toMatch(/^[A-Za-z0-9_-]{22}$/);
      expect(isValidNonce(n)).toBe(true);
      expect(Buffer.from(n, 'base64url')).toHaveLength(16);
      expect(Buffer.from(n, 'base64url').toString('base64url')).toBe(n);
      seen.add(n);
    }
    expect(seen.size).toBe(9000);
  });
});

describe('validation errors name the option and the directive', () => {
  const bad: Array<[string, SecurityHeadersOptions, RegExp]> = [
    [
      'CR/LF in a directive value',
      { contentSecurityPolicy: { directives: { 'img-src': ['https://a.example\r\nSet-Cookie: x=1'] } } },
      /contentSecurityPolicy: directive img-src value must not contain CR, LF or NUL/,
    ],
    [
      'semicolon injection',
      { contentSecurityPolicy: { directives: { 'script-src': ["'self'", "https://x; script-src 'unsafe-eval'"] } } },
      /directive script-src value must not contain ";" or ","/,
    ],
    [
      'comma injection',
      { contentSecurityPolicy: { directives: { 'connect-src': ['https://a.example,https://b.example'] } } },
      /directive connect-src value must not contain ";" or ","/,
    ],
    [
      'unknown directive',
      { contentSecurityPolicy: { directives: { 'scripts-src': ["'self'"] } as never } },
      /contentSecurityPolicy: unknown directive "scripts-src"/,
    ],
    [
      'camelCase directive',
      { contentSecurityPolicy: { directives: { scriptSrc: ["'self'"] } as never } },
      /unknown directive "scriptSrc"; write it as "script-src"/,
    ],
    [
      'unquoted keyword',
      { contentSecurityPolicy: { directives: { 'script-src': ['self'] } } },
      /directive script-src value "self" must be quoted: "'self'"/,
    ],
    [
      'unquoted hash',
      { contentSecurityPolicy: { directives: { 'style-src': ['sha256-abc='] } } },
      /directive style-src value "sha256-abc=" must be quoted/,
    ],
    [
      'unknown quoted keyword',
      { contentSecurityPolicy: { directives: { 'script-src': ["'unsafe-everything'"] } } },
      /directive script-src has an unknown keyword "'unsafe-everything'"/,
    ],
    [
      'fixed nonce',
      { contentSecurityPolicy: { directives: { 'script-src': ["'nonce-abc'"] } } },
      /directive script-src has a fixed nonce/,
    ],
    [
      'strict-dynamic outside scripts',
      { contentSecurityPolicy: { directives: { 'img-src': ["'strict-dynamic'"] } } },
      /directive img-src cannot use 'strict-dynamic'/,
    ],
    [
      "'none' mixed with sources",
      { contentSecurityPolicy: { directives: { 'object-src': ["'none'", "'self'"] } } },
      /directive object-src combines "'none'" with other sources/,
    ],
    [
      'whitespace inside one value',
      { contentSecurityPolicy: { directives: { 'img-src': ["'self' data:"] } } },
      /directive img-src value must not contain whitespace/,
    ],
    [
      'missing default-src',
      { contentSecurityPolicy: { useDefaults: false, directives: { 'img-src': ["'self'"] } } },
      /directive default-src is required/,
    ],
    [
      'report-to an undeclared group',
      { reportingEndpoints: { a: '/r' }, contentSecurityPolicy: { directives: { 'report-to': 'b' } } },
      /directive report-to names group "b", which reportingEndpoints does not declare/,
    ],
    [
      'nonce on a missing directive without default-src',
      { contentSecurityPolicyReportOnly: { useDefaults: false, directives: { 'img-src': ["'self'"] }, nonce: true } },
      /contentSecurityPolicyReportOnly: nonce needs directive script-src \(or default-src/,
    ],
    [
      'nonce on a non-source directive',
      { contentSecurityPolicy: { nonce: ['sandbox' as never] } },
      /nonce cannot apply to directive "sandbox"/,
    ],
    [
      'nonce on a none directive',
      { contentSecurityPolicy: { nonce: ['script-src'], directives: { 'script-src': ["'none'"] } } },
      /directive script-src is 'none'; it cannot take a nonce/,
    ],
    [
      'bad sandbox flag',
      { contentSecurityPolicy: { directives: { sandbox: ['allow-everything' as never] } } },
      /directive sandbox has an unknown flag "allow-everything"/,
    ],
    [
      'report-only injection',
      { contentSecurityPolicyReportOnly: { directives: { 'frame-src': ['a;b'] } } },
      /contentSecurityPolicyReportOnly: directive frame-src value must not contain ";"/,
    ],
    ['unknown preset', { preset: 'strict' as never }, /preset must be one of helmet, owasp, api, got "strict"/],
    ['unknown option', { xFrame: 'DENY' } as never, /unknown option "xFrame"/],
    ['bad COOP', { crossOriginOpenerPolicy: 'open' as never }, /crossOriginOpenerPolicy must be one of/],
    ['bad XFO', { xFrameOptions: 'ALLOW-FROM https://a' as never }, /xFrameOptions must be one of DENY, SAMEORIGIN/],
    [
      'bad referrer token',
      { referrerPolicy: ['origin', 'nope' as never] },
      /referrerPolicy has an unknown token "nope"/,
    ],
    [
      'HSTS negative max-age',
      { strictTransportSecurity: { maxAgeSec: -5 } },
      /strictTransportSecurity.maxAgeSec must be an integer >= 0, got -5/,
    ],
    [
      'HSTS preload without subdomains',
      { strictTransportSecurity: { preload: true, includeSubDomains: false } },
      /preload needs includeSubDomains/,
    ],
    [
      'HSTS typo',
      { strictTransportSecurity: { maxAge: 5 } as never },
      /strictTransportSecurity.maxAge is not an option/,
    ],
    [
      'Permissions-Policy bad origin',
      { permissionsPolicy: { camera: ['https://a.example/path'] } },
      /permissionsPolicy: feature camera has an invalid allowlist entry/,
    ],
    [
      'Permissions-Policy bad feature',
      { permissionsPolicy: { 'Camera;x': [] } },
      /feature "Camera;x" is not a valid feature name/,
    ],
    [
      'Reporting-Endpoints quote injection',
      { reportingEndpoints: { csp: 'https://a.example/"x' } },
      /reportingEndpoints: endpoint csp must be an https URL/,
    ],
    ['CR/LF in Cache-Control', { cacheControl: 'no-store\r\nX-Evil: 1' }, /cacheControl: must not contain CR, LF/],
    ['CR/LF in a custom header', { headers: { 'X-A': 'a\nb' } }, /headers.X-A: must not contain CR, LF/],
    ['custom header name', { headers: { 'X A': 'a' } }, /header name must be an HTTP token, got "X A"/],
    ['custom header duplicates one', { headers: { 'x-frame-options': 'DENY' } }, /duplicates a header/],
    [
      'remove a header it sets',
      { remove: ['X-Frame-Options'] },
      /remove lists X-Frame-Options, which the policy also sets/,
    ],
  ];
  it.each(bad)('%s', (_name, opts, msg) => {
    expect(() => securityHeaders(opts)).toThrow(msg);
  });

  it('every value with CR, LF, ";" or "," in any source directive is rejected (property)', () => {
    const directive = fc.constantFrom('default-src', 'script-src', 'img-src', 'connect-src', 'frame-ancestors');
    const evil = fc
      .tuple(fc.string({ maxLength: 8 }), fc.constantFrom('\r', '\n', ';', ',', '\r\n'), fc.string({ maxLength: 8 }))
      .map(([a, c, b]) => `https://a${a}${c}${b}`);
    fc.assert(
      fc.property(directive, evil, (d, v) => {
        try {
          securityHeaders({ contentSecurityPolicy: { directives: { [d]: [v] } } });
          return false;
        } catch (e) {
          return e instanceof TypeError && e.message.includes(`directive ${d}`);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('extend', () => {
  it('compiles a per-route policy merged over the base, leaving the base unchanged', () => {
    const base = securityHeaders({ preset: 'owasp', contentSecurityPolicy: { directives: { 'img-src': ["'self'"] } } });
    const embed = base.extend({
      contentSecurityPolicy: { directives: { 'frame-ancestors': ['https://partner.example'] } },
      xFrameOptions: false,
      permissionsPolicy: { fullscreen: ['self'] },
    });
    expect(embed.get('Content-Security-Policy')).toBe(
      "default-src 'self';form-action 'self';base-uri 'self';object-src 'none';frame-ancestors https://partner.example;upgrade-insecure-requests;img-src 'self'",
    );
    expect(embed.get('X-Frame-Options')).toBeUndefined();
    expect(embed.get('Permissions-Policy')).toContain('fullscreen=(self)');
    expect(embed.get('Permissions-Policy')).toContain('camera=()');
    expect(base.get('X-Frame-Options')).toBe('DENY');
    expect(base.get('Content-Security-Policy')).toContain("frame-ancestors 'none'");
    expect(() => base.extend({ contentSecurityPolicy: { directives: { 'img-src': ['x;y'] } } })).toThrow(
      /directive img-src/,
    );
  });
});

describe('apply and clearSiteData', () => {
  it('apply() sets every header and strips the remove list on a real ServerResponse', () => {
    const res = new http.ServerResponse(new http.IncomingMessage(new net.Socket()));
    res.setHeader('X-Powered-By', 'Express');
    res.setHeader('Server', 'nginx');
    const h = securityHeaders({ preset: 'owasp', contentSecurityPolicy: { nonce: true } });
    const nonce = generateNonce();
    h.apply(res, nonce);
    expect(res.getHeader('x-powered-by')).toBeUndefined();
    expect(res.getHeader('server')).toBeUndefined();
    expect(res.getHeader('content-security-policy')).toContain(`'nonce-${nonce}'`);
    expect(res.getHeaderNames()).toHaveLength(h.entries.length + 1);
    expect(() => h.apply(res)).toThrow(/forRequest needs a nonce/);
  });

  it('apply() works on Fetch Headers too (Hono, workers), and on a static policy without a nonce', () => {
    const headers = new Headers({ 'x-powered-by': 'Hono', server: 'bun' });
    securityHeaders({ preset: 'api' }).apply(headers);
    expect(headers.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none'");
    expect(headers.get('x-powered-by')).toBeNull();
    expect(headers.get('server')).toBeNull();
    const nonce = generateNonce();
    const h2 = new Headers();
    securityHeaders({ preset: 'api', contentSecurityPolicy: { nonce: true } }).apply(h2, nonce);
    expect(h2.get('content-security-policy')).toBe(
      `default-src 'none';frame-ancestors 'none';script-src 'nonce-${nonce}'`,
    );
    expect(() => securityHeaders().apply({} as never)).toThrow(/apply\(\) needs a target/);
  });

  it('clearSiteData builds the logout header once', () => {
    expect(clearSiteData()).toEqual(['Clear-Site-Data', '"cache", "cookies", "storage"']);
    expect(clearSiteData(['*'])).toEqual(['Clear-Site-Data', '"*"']);
    expect(Object.isFrozen(clearSiteData())).toBe(true);
    expect(() => clearSiteData(['cookies', 'everything' as never])).toThrow(/clearSiteData: unknown type "everything"/);
    expect(() => clearSiteData([])).toThrow(/non-empty/);
  });
});
