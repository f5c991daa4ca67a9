import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseDictionary, parseItem, Token } from 'structured-headers';
import { describe, expect, it } from 'vitest';
import { PRESETS, type SecurityHeadersOptions, securityHeaders } from './index.js';

const NEW_HEADERS = [
  'Integrity-Policy',
  'Integrity-Policy-Report-Only',
  'Document-Isolation-Policy',
  'Document-Isolation-Policy-Report-Only',
];

/** Reads an inner list of tokens out of a parsed structured-field dictionary member. */
const tokens = (member: unknown): string[] => {
  const [items] = member as [Array<[unknown, Map<string, unknown>]>, Map<string, unknown>];
  return items.map(([t]) => {
    expect(t).toBeInstanceOf(Token); // tokens, not strings: Chromium ignores a quoted "script"
    return (t as Token).toString();
  });
};

describe('Integrity-Policy', () => {
  it('is in no preset: OWASP does not list it (it blocks every script without an integrity attribute)', () => {
    for (const preset of Object.keys(PRESETS) as Array<keyof typeof PRESETS>) {
      const h = securityHeaders({ preset });
      for (const name of NEW_HEADERS) expect(h.get(name), `${preset} ${name}`).toBeUndefined();
    }
  });

  it('true blocks scripts without integrity metadata', () => {
    const h = securityHeaders({ integrityPolicy: true });
    expect(h.get('Integrity-Policy')).toBe('blocked-destinations=(script)');
  });

  it('serialises a structured-field dictionary that an RFC 9651 parser reads back as configured', () => {
    const h = securityHeaders({
      reportingEndpoints: { sri: 'https://reports.example.com/sri', backup: '/reports' },
      integrityPolicy: { blockedDestinations: ['script', 'style'], sources: ['inline'], endpoints: ['sri', 'backup'] },
      integrityPolicyReportOnly: { endpoints: ['backup'] },
    });
    const value = h.get('Integrity-Policy')!;
    expect(value).toBe('blocked-destinations=(script style), sources=(inline), endpoints=(sri backup)');
    const dict = parseDictionary(value);
    expect([...dict.keys()]).toEqual(['blocked-destinations', 'sources', 'endpoints']);
    expect(tokens(dict.get('blocked-destinations'))).toEqual(['script', 'style']);
    expect(tokens(dict.get('sources'))).toEqual(['inline']);
    expect(tokens(dict.get('endpoints'))).toEqual(['sri', 'backup']);
    const ro = parseDictionary(h.get('Integrity-Policy-Report-Only')!);
    expect(tokens(ro.get('blocked-destinations'))).toEqual(['script']);
    expect(tokens(ro.get('endpoints'))).toEqual(['backup']);
    expect(parseDictionary(h.get('Reporting-Endpoints')!).get('sri')?.[0]).toBe('https://reports.example.com/sri');
  });

  it('rejects what a browser would ignore or misread, naming the option', () => {
    const cases: Array<[SecurityHeadersOptions, RegExp]> = [
      [
        { integrityPolicy: { blockedDestinations: ['image' as never] } },
        /blockedDestinations has an unknown value "image"/,
      ],
      [{ integrityPolicy: { blockedDestinations: [] } }, /blockedDestinations must be a non-empty array/],
      [{ integrityPolicy: { blockedDestinations: ['script', 'script'] } }, /repeats a value/],
      [{ integrityPolicy: { sources: ['remote' as never] } }, /sources has an unknown value "remote"/],
      [{ integrityPolicy: { endpoints: [] } }, /endpoints must be a non-empty array/],
      [{ integrityPolicy: { endpoints: ['Bad Name'] } }, /endpoints must be a reporting endpoint name/],
      [
        { reportingEndpoints: { a: '/r' }, integrityPolicy: { endpoints: ['b'] } },
        /integrityPolicy.endpoints names endpoint "b", which reportingEndpoints does not declare/,
      ],
      [{ integrityPolicy: { blocked: ['script'] } as never }, /integrityPolicy.blocked is not an option/],
      [{ integrityPolicy: 'script' as never }, /integrityPolicy: must be an object or a boolean/],
      [{ integrityPolicyReportOnly: { endpoints: ['x', 'x'] } }, /integrityPolicyReportOnly.endpoints repeats/],
      [{ integrityPolicy: true, headers: { 'Integrity-Policy': 'x' } }, /duplicates a header/],
    ];
    for (const [opts, re] of cases) expect(() => securityHeaders(opts), String(re)).toThrow(re);
  });
});

describe('Document-Isolation-Policy', () => {
  it('true isolates and requires CORP; a value alone or with report-to parses as a structured-field item', () => {
    expect(securityHeaders({ documentIsolationPolicy: true }).get('Document-Isolation-Policy')).toBe(
      'isolate-and-require-corp',
    );
    const h = securityHeaders({
      reportingEndpoints: { dip: 'https://reports.example.com/dip' },
      documentIsolationPolicy: 'isolate-and-credentialless',
      documentIsolationPolicyReportOnly: { value: 'isolate-and-require-corp', reportTo: 'dip' },
    });
    const [value, params] = parseItem(h.get('Document-Isolation-Policy')!);
    expect((value as Token).toString()).toBe('isolate-and-credentialless');
    expect(params.size).toBe(0);
    const ro = h.get('Document-Isolation-Policy-Report-Only')!;
    expect(ro).toBe('isolate-and-require-corp; report-to="dip"');
    const [roValue, roParams] = parseItem(ro);
    expect(roValue).toBeInstanceOf(Token);
    expect((roValue as Token).toString()).toBe('isolate-and-require-corp');
    expect(roParams.get('report-to')).toBe('dip');
  });

  it('rejects unknown values and undeclared endpoints', () => {
    expect(() => securityHeaders({ documentIsolationPolicy: 'isolate' as never })).toThrow(
      /documentIsolationPolicy: value must be one of isolate-and-require-corp, isolate-and-credentialless, none, got "isolate"/,
    );
    expect(() =>
      securityHeaders({ reportingEndpoints: { a: '/r' }, documentIsolationPolicy: { reportTo: 'b' } }),
    ).toThrow(/documentIsolationPolicy.reportTo names endpoint "b", which reportingEndpoints does not declare/);
    expect(() => securityHeaders({ documentIsolationPolicy: { reportTo: 'x"y' } })).toThrow(/reporting endpoint name/);
    expect(() => securityHeaders({ documentIsolationPolicy: { mode: 'none' } as never })).toThrow(/mode is not/);
    expect(() => securityHeaders({ documentIsolationPolicy: 3 as never })).toThrow(/must be a policy value/);
  });

  it('extend() merges the option objects and false turns a header off', () => {
    const base = securityHeaders({
      reportingEndpoints: { dip: '/dip', sri: '/sri' },
      documentIsolationPolicy: { value: 'isolate-and-credentialless' },
      integrityPolicy: { endpoints: ['sri'] },
    });
    const route = base.extend({ documentIsolationPolicy: { reportTo: 'dip' }, integrityPolicy: false });
    expect(route.get('Document-Isolation-Policy')).toBe('isolate-and-credentialless; report-to="dip"');
    expect(route.get('Integrity-Policy')).toBeUndefined();
    expect(base.get('Integrity-Policy')).toBe('blocked-destinations=(script), endpoints=(sri)');
  });
});

describe('on the wire', () => {
  it('a node:http response carries the new headers, as compiled, through apply()', async () => {
    const h = securityHeaders({
      preset: 'api',
      reportingEndpoints: { sri: '/sri' },
      integrityPolicy: { endpoints: ['sri'] },
      documentIsolationPolicy: true,
    });
    const server = http.createServer((_req, res) => {
      h.apply(res);
      res.end('ok');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const { port } = server.address() as AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/`);
      await res.text();
      expect(res.headers.get('integrity-policy')).toBe('blocked-destinations=(script), endpoints=(sri)');
      expect(res.headers.get('document-isolation-policy')).toBe('isolate-and-require-corp');
      expect(res.headers.get('reporting-endpoints')).toBe('sri="/sri"');
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
