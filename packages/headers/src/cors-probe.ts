/**
 * The credentials probe: origins nobody means to let read credentialed responses. A policy with `credentials: true`
 * whose RegExp, pattern or function admits any of them is refused when it is built. The list is fixed (a fixed-seed
 * generator, no Web Crypto: Workers forbid random values at global scope, where policies are built), so a policy that
 * builds once builds every time.
 */

/** One origin of the probe and why no policy should admit it. */
export interface Canary {
  origin: string;
  why: string;
}

const TLDS = ['com', 'net', 'org', 'io', 'dev', 'app', 'co', 'xyz', 'info', 'us', 'de', 'cn'];

/**
 * Public suffixes where anyone can get a subdomain: a suffix match on one of them admits every other customer.
 * (Not the whole Public Suffix List: the common hosting ones.)
 */
export const SHARED_SUFFIXES: readonly string[] = Object.freeze([
  'github.io',
  'gitlab.io',
  'vercel.app',
  'netlify.app',
  'pages.dev',
  'workers.dev',
  'herokuapp.com',
  'web.app',
  'firebaseapp.com',
  'appspot.com',
  'azurewebsites.net',
  'azurestaticapps.net',
  'cloudfront.net',
  's3.amazonaws.com',
  'amplifyapp.com',
  'onrender.com',
  'fly.dev',
  'ngrok.io',
  'ngrok-free.app',
  'glitch.me',
  'replit.app',
  'blogspot.com',
  'surge.sh',
  'translate.goog',
]);

/** Common public suffixes of two labels, under which anyone can register a name (a small part of the PSL). */
const MULTI_LABEL_SUFFIXES: readonly string[] = [
  'co.uk',
  'org.uk',
  'me.uk',
  'ac.uk',
  'gov.uk',
  'ltd.uk',
  'plc.uk',
  'net.uk',
  'com.au',
  'net.au',
  'org.au',
  'edu.au',
  'co.nz',
  'org.nz',
  'co.jp',
  'ne.jp',
  'or.jp',
  'ac.jp',
  'com.br',
  'net.br',
  'org.br',
  'com.cn',
  'net.cn',
  'org.cn',
  'com.mx',
  'com.ar',
  'com.tr',
  'co.in',
  'co.za',
  'co.kr',
  'com.sg',
  'com.hk',
  'com.tw',
  'co.il',
  'com.my',
  'co.id',
  'com.ph',
  'com.vn',
  'com.ua',
  'com.pl',
  'co.th',
  'eu.org',
];
const PUBLIC = new Set([...MULTI_LABEL_SUFFIXES, ...SHARED_SUFFIXES]);

/** Whether anyone can register names directly under `host` (a TLD, a known public suffix). */
export function isPublicSuffix(host: string): boolean {
  return !host.includes('.') || PUBLIC.has(host);
}

/**
 * The registrable domain of `host` (`app.example.com` → `example.com`, `myapp.github.io` → itself), or undefined when
 * `host` is a public suffix itself. Known suffixes only: a host under an unknown multi-label suffix is taken at two
 * labels.
 */
export function registrable(host: string): string | undefined {
  if (isPublicSuffix(host)) return undefined;
  const labels = host.split('.');
  for (let k = 1; k < labels.length; k++) {
    const suffix = labels.slice(k).join('.');
    if (PUBLIC.has(suffix)) return labels.slice(k - 1).join('.');
  }
  return labels.slice(-2).join('.');
}

/**
 * The mistyped literal dot: an unescaped `.` right before a letter or digit (`app.example\.com`) matches any
 * character, so `appXexample.com` gets in. Returns the text around the first one, or undefined.
 */
export function unescapedDot(re: RegExp): string | undefined {
  const src = re.source.replace(/\[(?:\\.|[^\]\\])*\]/g, (m) => ' '.repeat(m.length)).replace(/\\./g, '  ');
  const m = /\.[A-Za-z0-9]/.exec(src);
  return m === null ? undefined : re.source.slice(Math.max(0, m.index - 8), m.index + 9);
}

/** xorshift32 from a fixed seed: random-looking host names, the same on every build. */
function generator(seed: number): () => number {
  let x = seed | 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const ALNUM = 'abcdefghijklmnopqrstuvwxyz0123456789';

function label(rnd: () => number, first: string, len: number): string {
  let s = first;
  while (s.length < len) s += ALNUM[Math.floor(rnd() * ALNUM.length)];
  return s;
}

/** Hosts unrelated to any policy: every first character, many TLDs, ports, IP literals, deep and punycode names. */
function unrelatedHosts(): string[] {
  const rnd = generator(0x5eed_c025);
  const hosts: string[] = [];
  const firsts = 'abcdefghijklmnopqrstuvwxyz0123456789';
  for (let i = 0; i < firsts.length; i++) {
    const port = i % 4 === 1 ? ':8443' : i % 4 === 3 ? `:${1024 + Math.floor(rnd() * 60000)}` : '';
    hosts.push(`${label(rnd, firsts[i]!, 6 + Math.floor(rnd() * 8))}.${TLDS[i % TLDS.length]}${port}`);
  }
  for (let i = 0; i < 8; i++) hosts.push(`${label(rnd, 'q', 10)}.${TLDS[Math.floor(rnd() * TLDS.length)]}`);
  hosts.push(
    `a.b.c.${label(rnd, 'd', 8)}.com`,
    `${label(rnd, 'h', 5)}-${label(rnd, 'y', 5)}.net`,
    `xn--${label(rnd, 'e', 6)}-9ya.com`,
    '203.0.113.7',
    '198.51.100.23:8080',
    '[2001:db8::7]',
  );
  return hosts;
}

const UNRELATED = unrelatedHosts();

/** A RegExp's source without character classes and escapes other than `\.` (not literal host text). */
const literalText = (re: RegExp): string => re.source.replace(/\[(?:\\.|[^\]\\])*\]/g, ' ').replace(/\\[^.]/g, ' ');

/** The words of a RegExp's source that could be DNS labels (`(www|app)\.example` gives www, app, example). */
export function regexpWords(re: RegExp): string[] {
  const words = new Set<string>();
  for (const m of literalText(re).matchAll(/[A-Za-z0-9-]+/g)) {
    const w = m[0].toLowerCase().replace(/^-+|-+$/g, '');
    if (w !== '' && w !== 'https' && w !== 'http') words.add(w);
  }
  return [...words];
}

/**
 * Hosts a policy names: exact origins, the domains of `*.` patterns, and domain-like literals in a RegExp's source
 * (`app\.example\.com` and the mistyped `app.example.com` both give `app.example.com`).
 */
export function regexpHosts(re: RegExp): string[] {
  const src = literalText(re);
  const out: string[] = [];
  for (const m of src.matchAll(/(?:[A-Za-z0-9-]|\\\.|\.)+/g)) {
    const h = m[0]
      .replace(/\\\./g, '.')
      .toLowerCase()
      .replace(/^[.-]+|[.-]+$/g, '');
    const labels = h.split('.');
    if (labels.length < 2 || labels.some((l) => l === '')) continue;
    out.push(h);
  }
  return out;
}

/**
 * Look-alikes of a named host: for the host and each parent domain down to its registrable domain, the same name glued
 * to a prefix (`evilexample.com`: a suffix match without the dot), extended (`example.com.x.com`: a missing `$` or an
 * alternation that escapes the anchors) and with one dot turned into a hyphen (`app-example.com`: an unescaped `.`).
 */
function lookalikes(host: string, rnd: () => number): string[] {
  const labels = host.split('.');
  const reg = registrable(host);
  const last = reg === undefined ? labels.length - 2 : labels.length - reg.split('.').length;
  const out: string[] = [];
  for (let i = 0; i <= last; i++) {
    const s = labels.slice(i).join('.');
    const tail = label(rnd, 'z', 7);
    out.push(`evil${s}`, `evil-${s}`, `${s}.${tail}.com`, `a.${s}.${tail}.com`, `${s}-${tail}.com`, `${s}${tail}.com`);
    for (let d = s.indexOf('.'); d !== -1; d = s.indexOf('.', d + 1)) out.push(`${s.slice(0, d)}-${s.slice(d + 1)}`);
  }
  return out;
}

/** Whether a host is one of `domains` or under one. */
const ownedBy =
  (domains: readonly string[]) =>
  (h: string): boolean =>
    domains.some((r) => h === r || h.endsWith(`.${r}`));

/**
 * The probe for a policy naming `named` hosts (may be empty, e.g. for a function): `null`, unrelated hosts over https
 * and http, a fresh subdomain of every shared hosting suffix and of every named public suffix, and look-alikes of each
 * named host. Left out: origins listed exactly in `exact`, and look-alikes under the registrable domain of a named
 * host (`evilapp.example.com` when the policy names `app.example.com`: the owner of example.com controls it).
 * `small`: every third unrelated host only, for functions, which are called once per canary (and may do I/O).
 */
export function canaries(named: readonly string[], exact: ReadonlySet<string>, small: boolean): Canary[] {
  const out: Canary[] = [
    { origin: 'null', why: 'sandboxed iframes, file: pages and cross-origin redirects send Origin "null"' },
  ];
  for (const scheme of ['https', 'http']) {
    for (let i = 0; i < UNRELATED.length; i += small ? 3 : 1) {
      out.push({ origin: `${scheme}://${UNRELATED[i]}`, why: 'a host unrelated to the policy' });
    }
  }
  const rnd = generator(0x1ce_b00c);
  for (const s of SHARED_SUFFIXES) {
    out.push({
      origin: `https://${label(rnd, 'u', 9)}.${s}`,
      why: `anyone can publish under ${s}; name your own subdomain of it exactly`,
    });
  }
  const namedSet = new Set<string>();
  for (const h of named) if (!h.startsWith('[') && !/^[\d.]+$/.test(h)) namedSet.add(h); // IPs: nothing to register
  const owned: string[] = [];
  for (const h of namedSet) {
    const r = registrable(h);
    if (r !== undefined) owned.push(r);
    else {
      out.push({
        origin: `https://${label(rnd, 'p', 9)}.${h}`,
        why: `${h} is a public suffix: anyone can register a name under it`,
      });
    }
  }
  const isOwned = ownedBy(owned);
  for (const h of namedSet) {
    for (const l of lookalikes(h, rnd)) {
      if (namedSet.has(l) || isOwned(l)) continue;
      for (const scheme of ['https', 'http']) {
        out.push({ origin: `${scheme}://${l}`, why: `it looks like ${h} but is not it, and anyone could register it` });
      }
    }
  }
  return out.filter((c) => !exact.has(c.origin));
}

/**
 * Extensions of origins the policy does admit: samples are built from the hosts it names and the words of its RegExps
 * (`https://www.example.com` from `(www|app)\.example\.com.*`); for each one admitted, the same host continued under a
 * domain anyone can register (`https://www.example.com.x.com`) must not be. This finds an open end that the fixed
 * look-alikes miss because they lack the policy's own prefix.
 */
export function extensionCanaries(
  named: readonly string[],
  words: readonly string[],
  admits: (origin: string) => boolean,
): Canary[] {
  const hosts = [...new Set(named)].filter((h) => !h.startsWith('[') && !/^[\d.]+$/.test(h)).slice(0, 20);
  const owned = ownedBy(hosts.map(registrable).filter((r): r is string => r !== undefined));
  const prefixes = ['', 'www.', 'app.', 'a.', ...words.slice(0, 40).map((w) => `${w}.`)];
  const rnd = generator(0x0e_e7e4);
  const out: Canary[] = [];
  let samples = 0;
  for (const h of hosts) {
    for (const p of prefixes) {
      for (const scheme of ['https', 'http']) {
        const o = `${scheme}://${p}${h}`;
        if (!admits(o)) continue;
        const tail = label(rnd, 'z', 7);
        for (const ext of [`.${tail}.com`, `${tail}.com`, `-${tail}.com`]) {
          if (owned(`${p}${h}${ext}`)) continue;
          out.push({ origin: `${o}${ext}`, why: `it continues ${o}, which the policy admits, under another domain` });
        }
        if (++samples >= 12) return out;
      }
    }
  }
  return out;
}
