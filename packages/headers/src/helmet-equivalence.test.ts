import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import helmet, { type HelmetOptions } from 'helmet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateNonce, type SecurityHeadersOptions, securityHeaders } from './index.js';

// Each case: helmet 8 options and our equivalent. Both run on a real node:http server; the raw response headers
// (names, values and order) must be identical.
const NONCE = generateNonce();
const nonceFn = (_req: unknown, res: unknown) => `'nonce-${(res as { nonce: string }).nonce}'`;
const cases: Array<{ name: string; helmet: HelmetOptions; ours: SecurityHeadersOptions; nonce?: boolean }> = [
  { name: 'defaults', helmet: {}, ours: {} },
  { name: 'explicit helmet preset', helmet: {}, ours: { preset: 'helmet' } },
  {
    name: 'CSP directive override',
    helmet: { contentSecurityPolicy: { directives: { 'script-src': ["'self'", 'https://cdn.example.com'] } } },
    ours: { contentSecurityPolicy: { directives: { 'script-src': ["'self'", 'https://cdn.example.com'] } } },
  },
  {
    name: 'CSP without defaults',
    helmet: {
      contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], imgSrc: ["'self'"] } },
    },
    ours: {
      contentSecurityPolicy: { useDefaults: false, directives: { 'default-src': ["'none'"], 'img-src': ["'self'"] } },
    },
  },
  {
    name: 'CSP directive removed',
    helmet: { contentSecurityPolicy: { directives: { upgradeInsecureRequests: null, formAction: null } } },
    ours: { contentSecurityPolicy: { directives: { 'upgrade-insecure-requests': null, 'form-action': false } } },
  },
  {
    name: 'COEP on, XFO deny, HSTS preload, referrer list',
    helmet: {
      crossOriginEmbedderPolicy: true,
      xFrameOptions: { action: 'deny' },
      strictTransportSecurity: { maxAge: 63072000, preload: true },
      referrerPolicy: { policy: ['origin', 'unsafe-url'] },
    },
    ours: {
      crossOriginEmbedderPolicy: true,
      xFrameOptions: 'DENY',
      strictTransportSecurity: { maxAgeSec: 63072000, preload: true },
      referrerPolicy: ['origin', 'unsafe-url'],
    },
  },
  {
    name: 'headers switched off, DNS prefetch allowed',
    helmet: {
      contentSecurityPolicy: false,
      xXssProtection: false,
      xDnsPrefetchControl: { allow: true },
      originAgentCluster: false,
      strictTransportSecurity: { includeSubDomains: false },
    },
    ours: {
      contentSecurityPolicy: false,
      xXssProtection: false,
      xDnsPrefetchControl: 'on',
      originAgentCluster: false,
      strictTransportSecurity: { includeSubDomains: false },
    },
  },
  {
    name: 'report-only CSP',
    helmet: { contentSecurityPolicy: { reportOnly: true } },
    ours: { contentSecurityPolicy: false, contentSecurityPolicyReportOnly: true },
  },
  {
    name: 'per-request nonce',
    helmet: {
      contentSecurityPolicy: {
        directives: {
          scriptSrc: ["'self'", nonceFn],
          styleSrc: ["'self'", 'https:', "'unsafe-inline'", nonceFn],
        },
      },
    },
    ours: { contentSecurityPolicy: { nonce: ['script-src', 'style-src'] } },
    nonce: true,
  },
];

type Pairs = Array<[string, string]>;
const IGNORED = new Set(['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding']);

let server: http.Server;
let base = '';
beforeAll(async () => {
  server = http.createServer((req, res) => {
    const [, kind, idx] = (req.url ?? '').split('/');
    const c = cases[Number(idx)]!;
    // Frameworks set these before middleware runs; both must strip X-Powered-By.
    res.setHeader('X-Powered-By', 'Express');
    const end = (err?: unknown) => {
      if (err) {
        res.statusCode = 500;
        res.end(String(err));
      } else res.end('ok');
    };
    if (kind === 'helmet') {
      (res as unknown as { nonce: string }).nonce = NONCE;
      helmet(c.helmet)(req, res, end);
    } else if (kind === 'apply') {
      // apply(): on a real ServerResponse this takes the direct header-store path.
      securityHeaders(c.ours).apply(res, c.nonce ? NONCE : undefined);
      end();
    } else {
      const policy = securityHeaders(c.ours);
      if (c.nonce) policy.apply(res, NONCE);
      else {
        for (const [n, v] of policy.entries) res.setHeader(n, v);
        for (const n of policy.remove) res.removeHeader(n);
      }
      end();
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

function get(path: string): Promise<{ status: number; headers: Pairs }> {
  return new Promise((resolve, reject) => {
    http
      .get(`${base}${path}`, { agent: false }, (res) => {
        const raw = res.rawHeaders;
        const headers: Pairs = [];
        for (let i = 0; i < raw.length; i += 2) {
          if (!IGNORED.has(raw[i]!.toLowerCase())) headers.push([raw[i]!, raw[i + 1]!]);
        }
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers }));
      })
      .on('error', reject);
  });
}

describe('helmet preset ≡ helmet 8 (real node:http responses)', () => {
  it.each(cases.map((c, i) => [c.name, i] as const))('%s', async (_name, i) => {
    const [theirs, ours, applied] = await Promise.all([get(`/helmet/${i}`), get(`/ours/${i}`), get(`/apply/${i}`)]);
    expect(theirs.status).toBe(200);
    expect(ours.status).toBe(200);
    expect(applied.status).toBe(200);
    expect(theirs.headers.length).toBeGreaterThan(3);
    expect(ours.headers).toEqual(theirs.headers);
    expect(applied.headers).toEqual(theirs.headers);
    expect(ours.headers.some(([n]) => n.toLowerCase() === 'x-powered-by')).toBe(false);
  });

  it('the nonce case really carries the nonce in script-src and style-src', async () => {
    const { headers } = await get(`/ours/${cases.findIndex((c) => c.nonce)}`);
    const csp = headers.find(([n]) => n === 'Content-Security-Policy')![1];
    expect(csp).toContain(`script-src 'self' 'nonce-${NONCE}';`);
    expect(csp).toContain(`style-src 'self' https: 'unsafe-inline' 'nonce-${NONCE}';`);
  });
});
