import { describe, expect, it } from 'vitest';
import { formatResponseTime } from './clock.js';
import { mergeVary, PlanPolicy } from './header-plan.js';

describe('formatResponseTime', () => {
  it('three decimals, as toFixed(3) prints them, and toFixed for values out of range', () => {
    for (const ms of [0, 0.0004, 0.0006, 0.5, 1.25, 12.3456, 999.9999, 123456.789]) {
      expect(formatResponseTime(ms)).toBe(`${(Math.round(ms * 1000) / 1000).toFixed(3)}ms`);
    }
    expect(formatResponseTime(-1)).toBe('-1.000ms');
    expect(formatResponseTime(Number.NaN)).toBe('NaNms');
  });
});

describe('mergeVary', () => {
  it('merges without duplicates, case-insensitively, and lets * absorb everything', () => {
    expect(mergeVary(undefined, ['Origin'])).toBe('Origin');
    expect(mergeVary('Accept-Encoding', ['Origin'])).toBe('Accept-Encoding, Origin');
    expect(mergeVary('origin, Accept', ['Origin', 'Access-Control-Request-Method'])).toBe(
      'origin, Accept, Access-Control-Request-Method',
    );
    expect(mergeVary('*', ['Origin'])).toBe('*');
    expect(mergeVary('Accept', '*')).toBe('*');
  });
});

describe('PlanPolicy / HeaderPlan', () => {
  const decision = {
    allowed: false,
    limit: 5,
    remaining: 0,
    resetMs: 9000,
    retryAfterMs: 1200,
    name: 'api',
    windowMs: 60_000,
  };
  const security = {
    entries: [['X-Frame-Options', 'SAMEORIGIN']] as const,
    forRequest: ({ nonce }: { nonce: string }) =>
      [
        ['Content-Security-Policy', `script-src 'nonce-${nonce}'`],
        ['X-Frame-Options', 'SAMEORIGIN'],
      ] as const,
    remove: ['X-Powered-By'],
    nonce: true,
  };

  it('gives each plan its own CSP nonce, the policy names and removals (lower-case), and X-Response-Time when on', () => {
    const policy = new PlanPolicy({
      headers: security,
      useNonce: true,
      responseTime: true,
      rateFormat: 'draft-10',
      formatHeaders: undefined,
    });
    const a = policy.plan(0);
    const b = policy.plan(0);
    expect(a.nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(a.nonce).not.toBe(b.nonce);
    expect(a.security[0]).toEqual(['content-security-policy', `script-src 'nonce-${a.nonce}'`]);
    expect(a.remove).toEqual(['x-powered-by']);
    expect(a.responseTime()).toMatch(/^\d+\.\d{3}ms$/);
    const offPolicy = new PlanPolicy({
      headers: security,
      useNonce: false,
      responseTime: false,
      rateFormat: 'draft-10',
      formatHeaders: undefined,
    });
    const off = offPolicy.plan(0);
    expect(off.nonce).toBeUndefined();
    expect(off.security).toEqual([['x-frame-options', 'SAMEORIGIN']]);
    // lower-cased once per policy: every plan shares the list
    expect(offPolicy.plan(1).security).toBe(off.security);
    expect(off.responseTime()).toBeUndefined();
  });

  it('takes CORS headers and Vary tokens, and RateLimit headers with Retry-After on a denial, also from a custom format', () => {
    const policy = new PlanPolicy({
      headers: undefined,
      useNonce: false,
      responseTime: false,
      rateFormat: 'draft-10',
      formatHeaders: undefined,
    });
    const p = policy.plan(0);
    p.cors({
      preflight: false,
      allowed: true,
      status: 0,
      headers: [['Access-Control-Allow-Origin', 'https://a.example']],
      vary: ['Origin'],
    });
    p.addAll(policy.rateHeaders(decision));
    expect(p.own).toEqual([
      ['Access-Control-Allow-Origin', 'https://a.example'],
      ['ratelimit-policy', '"api";q=5;w=60'],
      ['ratelimit', '"api";r=0;t=9'],
      ['retry-after', '2'],
    ]);
    expect(p.vary).toEqual(['Origin']);
    const custom = new PlanPolicy({
      headers: undefined,
      useNonce: false,
      responseTime: false,
      rateFormat: 'draft-10',
      formatHeaders: (d) => ({ 'X-Left': String(d.remaining) }),
    });
    expect(custom.rateHeaders(decision)).toEqual([
      ['X-Left', '0'],
      ['retry-after', '2'],
    ]);
  });
});
