/**
 * `credentials: true` lets the admitted origins read responses with the user's cookies. A policy whose matcher admits
 * an origin the user did not mean — any https or http host, `null`, a host that only looks like theirs, a stranger's
 * subdomain of a shared hosting suffix — must be refused when it is built, never discovered in production.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Cors, type CorsOptions, type CorsRequest, type CorsResult, cors } from './index.js';

const APP = 'https://app.example.com';
const get = (origin: string): CorsRequest => ({ method: 'GET', origin });
const REFUSED = /credentials: true cannot be combined with origin .*: it admits /;

describe('credentials: true refuses matchers that admit origins the user did not mean', () => {
  it('the catch-all https RegExp of the report is refused (it let https://evil.example read with credentials)', () => {
    expect(() => cors({ origin: /^https:\/\/.*$/, credentials: true })).toThrow(REFUSED);
    // without credentials it is a public API: allowed, as before
    const open = cors({ origin: /^https:\/\/.*$/ });
    expect(open.handle(get('https://evil.example')).allowed).toBe(true);
  });

  it.each<[string, CorsOptions['origin'], RegExp]>([
    ['https catch-all', /^https:\/\/.*$/, /a host unrelated to the policy/],
    ['http catch-all', /^http:\/\/.+$/, /admits http:\/\//],
    ['any host, either scheme', /^https?:\/\/[^/]+$/, /a host unrelated/],
    ['host characters only', /^https:\/\/[a-z0-9.-]+(:\d+)?$/, /a host unrelated/],
    ['half of the alphabet', /^https:\/\/[a-m][a-z0-9.-]*$/, /a host unrelated/],
    ['hosts starting with a digit', /^https:\/\/\d.*$/, /a host unrelated/],
    ['any .com host', /^https:\/\/[a-z0-9-]+\.com$/, /a host unrelated/],
    ['IP literals', /^https?:\/\/[\d.]+(:\d+)?$/, /203\.0\.113\.7/],
    ['"null" in an alternation', /^(null|https:\/\/app\.example\.com)$/, /admits null/],
    ['a suffix without its dot', /^https:\/\/.*example\.com$/, /evilexample\.com.*looks like example\.com/],
    ['unescaped dots', /^https:\/\/app.example.com$/, /app-example\.com/],
    ['an alternation that escapes the anchors', /^https:\/\/app\.example\.com|admin\.example\.com$/, /looks like/],
    ['a missing end anchor inside a group', /^(https:\/\/app\.example\.com.*)$/, /app\.example\.com\.z/],
    [
      'an open end after listed names',
      /^https:\/\/(www|portal)\.example\.com.*$/,
      /continues https:\/\/www\.example\.com/,
    ],
    ['a public suffix named as a domain', 'https://*.co.uk', /co\.uk is a public suffix/],
    ['a shared hosting suffix (RegExp)', /^https:\/\/[a-z0-9-]+\.vercel\.app$/, /anyone can publish under vercel\.app/],
    ['a shared hosting suffix (pattern)', 'https://*.github.io', /anyone can publish under github\.io/],
    ['a catch-all among exact origins', [APP, /^https:\/\/.+$/], /a host unrelated/],
    ['a function admitting any https origin', (o: string) => o.startsWith('https://'), /a host unrelated/],
    ['a function admitting "null"', (o: string) => o === 'null' || o === APP, /admits null/],
    ['a function admitting http', (o: string) => /^https?:/.test(o), /a host unrelated/],
  ])('refuses %s', (_name, origin, why) => {
    let err: unknown;
    try {
      cors({ origin, credentials: true } as CorsOptions);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TypeError);
    expect((err as Error).message).toMatch(REFUSED);
    expect((err as Error).message).toMatch(why);
  });

  it.each<[string, CorsOptions['origin']]>([
    ['exact origins', [APP, 'https://admin.example.com', 'http://localhost:3000']],
    ['an exact origin on a shared hosting suffix', 'https://myapp.github.io'],
    ['a subdomain pattern', 'https://*.example.com'],
    ['a subdomain pattern on a port', 'https://*.example.com:8443'],
    ['subdomains at any depth', /^https:\/\/([a-z0-9-]+\.)*example\.com$/],
    ['one label under the domain', /^https:\/\/[a-z0-9-]+\.example\.com$/],
    ['anything ending in .example.com', /^https:\/\/.*\.example\.com$/],
    ['listed names and an optional port', /^https:\/\/(app|admin)\.example\.com(:\d+)?$/],
    ['a name on a shared suffix, exactly', /^https:\/\/myapp\.github\.io$/],
    ['local development ports', /^http:\/\/localhost:\d+$/],
    ['exact names mixed with a pattern', [APP, 'https://*.preview.example.com', /^https:\/\/admin\.example\.org$/]],
    ['a function naming one origin', (o: string) => o === APP],
    ['a function matching a subdomain suffix with its dot', (o: string) => o.endsWith('.example.com')],
  ])('accepts %s', (_name, origin) => {
    expect(() => cors({ origin, credentials: true } as CorsOptions)).not.toThrow();
  });

  it('an async function is probed too: every call rejects with the same TypeError once it admits a canary', async () => {
    const c = cors({ origin: async (o: string) => o.startsWith('https://'), credentials: true });
    await expect(c.handle(get(APP)) as Promise<CorsResult>).rejects.toThrow(REFUSED);
    await expect(c.handle(get(APP)) as Promise<CorsResult>).rejects.toThrow(/a host unrelated/);
  });

  it('an async function that passes the probe answers normally, after it', async () => {
    const calls: string[] = [];
    const c = cors({
      origin: async (o: string) => {
        calls.push(o);
        return o === APP;
      },
      credentials: true,
    });
    const probeCalls = calls.length;
    expect(probeCalls).toBeGreaterThan(20);
    const r = await (c.handle(get(APP)) as Promise<CorsResult>);
    expect(r.allowed).toBe(true);
    expect(r.headers).toContainEqual(['Access-Control-Allow-Credentials', 'true']);
    expect((await (c.handle(get('https://evil.example')) as Promise<CorsResult>)).allowed).toBe(false);
    expect(calls.slice(probeCalls)).toEqual([APP, 'https://evil.example']);
  });

  it('a function that throws or rejects on the probe is not counted as admitting', async () => {
    const sync = cors({
      origin: (o: string) => {
        if (o !== APP) throw new Error('unknown origin');
        return true;
      },
      credentials: true,
    });
    expect(sync.handle(get(APP)).allowed).toBe(true);
    const asyncFn = cors({
      origin: async (o: string) => {
        if (o !== APP) throw new Error('unknown origin');
        return true;
      },
      credentials: true,
    });
    expect((await (asyncFn.handle(get(APP)) as Promise<CorsResult>)).allowed).toBe(true);
  });

  it('the error says what to write instead', () => {
    expect(() => cors({ origin: /^https:\/\/.*example\.com$/, credentials: true })).toThrow(
      /https:\/\/\*\.example\.com/,
    );
  });
});

describe('property: a policy accepted with credentials admits only hosts under the domain it names', () => {
  // RegExps assembled from the pieces people write: some sound, some broken in the ways the probe looks for
  const prefixes = ['', '.*', '.+', '[a-z]+', '[a-z0-9-]+\\.', '([a-z0-9-]+\\.)*', '(www|app)\\.', 'app.', '[^/]*'];
  const domains: Array<[string, string]> = [
    ['example\\.com', 'example.com'],
    ['example.com', 'example.com'],
    ['\\.example\\.com', 'example.com'],
    ['example\\.co', 'example.co'],
  ];
  const ports = ['', '(:\\d+)?', '.*'];
  const label = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,6}[a-z0-9])?$/);
  // hosts that are not the named domain nor under it: random ones, and the near misses a broken RegExp admits
  const stranger = (named: string) => {
    const [first, ...rest] = named.split('.');
    return fc
      .oneof(
        fc.domain(),
        label.map((l) => `${l}${named}`),
        label.map((l) => `${l}-${named}`),
        fc.domain().map((d) => `${named}.${d}`),
        fc.tuple(fc.constantFrom('www.', 'app.', 'a.'), fc.domain()).map(([p, d]) => `${p}${named}.${d}`),
        label.map((l) => `${named}${l}.com`),
        fc.constantFrom('-', 'x', '0').map((c) => `${first}${c}${rest.join('.')}`),
        fc.tuple(label, fc.constantFrom('-', 'x')).map(([l, c]) => `${l}.${first}${c}${rest.join('.')}`),
        label.map((l) => `${l}.vercel.app`),
      )
      .filter((h) => h !== named && !h.endsWith(`.${named}`));
  };

  it('for RegExps built from common pieces', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...prefixes),
        fc
          .constantFrom(...domains)
          .chain(([piece, named]) =>
            fc.tuple(fc.constant(piece), fc.array(stranger(named), { minLength: 40, maxLength: 40 })),
          ),
        fc.constantFrom(...ports),
        fc.constantFrom('https', 'http'),
        (prefix, [piece, hosts], port, scheme) => {
          const re = new RegExp(`^https?:\\/\\/${prefix}${piece}${port}$`);
          let policy: Cors<CorsResult> | undefined;
          try {
            policy = cors({ origin: re, credentials: true });
          } catch (e) {
            expect((e as Error).message).toMatch(REFUSED);
            return;
          }
          // accepted: then no stranger's host (with or without a port) and not "null" is admitted
          for (const h of hosts) {
            for (const o of [`${scheme}://${h}`, `${scheme}://${h}:8443`, 'null']) {
              expect({ re: String(re), o, allowed: policy.handle(get(o)).allowed }).toEqual({
                re: String(re),
                o,
                allowed: false,
              });
            }
          }
        },
      ),
      { numRuns: Number(process.env.CORS_RUNS ?? 300) },
    );
  });
});
