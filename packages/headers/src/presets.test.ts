import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { PERMISSIONS_DENY_ALL, securityHeaders } from './index.js';

// OWASP's own data files (see fixtures/README.md): the `owasp` preset is checked against them, not against a copy of
// the preset's values, so refreshing the files is how drift shows up.
const read = (f: string) => JSON.parse(readFileSync(new URL(`./fixtures/${f}`, import.meta.url), 'utf8'));
const add: { headers: { name: string; value: string }[] } = read('owasp-headers-add.json');
const remove: { headers: string[] } = read('owasp-headers-remove.json');

// Header values compared as what they mean: directive lists are sets, tokens are case-insensitive, spacing is free.
const parts = (v: string, sep: RegExp) =>
  v
    .split(sep)
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean)
    .sort();
const meaning = (name: string, value: string): string[] => {
  switch (name.toLowerCase()) {
    case 'content-security-policy':
      return parts(value, /;/).map((d) => d.replace(/\s+/g, ' '));
    case 'permissions-policy':
    case 'cache-control':
      return parts(value, /,/);
    case 'strict-transport-security':
      return parts(value, /;/);
    default:
      return [value.trim().toLowerCase()];
  }
};

// Clear-Site-Data on every response would log every user out on every request: it is the clearSiteData() helper.
const NOT_ON_EVERY_RESPONSE = new Set(['clear-site-data']);

describe('owasp preset against the OWASP Secure Headers Project data', () => {
  const h = securityHeaders({ preset: 'owasp' });

  it.each(add.headers.filter((x) => !NOT_ON_EVERY_RESPONSE.has(x.name.toLowerCase())))(
    'sends $name as OWASP recommends',
    ({ name, value }) => {
      const ours = h.get(name);
      expect(ours, `${name} is missing from the owasp preset`).toBeDefined();
      expect(meaning(name, ours!)).toEqual(meaning(name, value));
    },
  );

  it('sends nothing OWASP does not recommend', () => {
    const theirs = new Set(add.headers.map((x) => x.name.toLowerCase()));
    expect(h.entries.map(([n]) => n).filter((n) => !theirs.has(n.toLowerCase()))).toEqual([]);
  });

  it('removes only headers on OWASP’s remove list', () => {
    const theirs = new Set(remove.headers.map((x) => x.toLowerCase()));
    expect(h.remove.length).toBeGreaterThan(0);
    for (const n of h.remove) expect(theirs.has(n.toLowerCase()), n).toBe(true);
  });

  it('permissionsPolicy: true is the same deny list', () => {
    const pp = add.headers.find((x) => x.name === 'Permissions-Policy')!.value;
    const ours = securityHeaders({ preset: 'api', permissionsPolicy: true }).get('Permissions-Policy')!;
    expect(meaning('Permissions-Policy', ours)).toEqual(meaning('Permissions-Policy', pp));
    expect(Object.keys(PERMISSIONS_DENY_ALL)).toHaveLength(parts(pp, /,/).length);
  });
});
