// @org/headers on any runtime: precompiled security headers, CORS preflight, nonces and CSP hashes (Web Crypto).
const ok = (cond, what) => {
  if (!cond) throw new Error(`headers smoke: ${what}`);
};

export default async function smoke(m) {
  const { securityHeaders, cors, generateNonce, cspHash, isHeadersError } = m['@org/headers'];
  const h = securityHeaders();
  const names = h.entries.map(([n]) => n.toLowerCase());
  ok(names.includes('x-content-type-options') && names.includes('content-security-policy'), `entries: ${names}`);
  const target = new Headers();
  h.apply(target);
  ok(target.get('x-content-type-options') === 'nosniff', 'apply() to Fetch Headers');
  const withNonce = securityHeaders({ contentSecurityPolicy: { nonce: true } });
  const nonce = generateNonce();
  const csp = withNonce.forRequest({ nonce }).find(([n]) => n === 'Content-Security-Policy')?.[1] ?? '';
  ok(csp.includes(`'nonce-${nonce}'`), `nonce in CSP: ${csp}`);
  ok(/^'sha256-[A-Za-z0-9+/]+=*'$/.test(await cspHash('boot()')), 'cspHash');
  const policy = cors({ origin: ['https://app.example'], credentials: true });
  const pre = await policy.handle({
    method: 'OPTIONS',
    origin: 'https://app.example',
    accessControlRequestMethod: 'PUT',
  });
  ok(pre.preflight && pre.allowed && pre.status === 204, `preflight: ${JSON.stringify(pre)}`);
  const denied = await policy.handle({ method: 'GET', origin: 'https://evil.example' });
  ok(!denied.allowed, 'other origin refused');
  let err;
  try {
    securityHeaders({ contentSecurityPolicy: { directives: { 'script-src': ["'self'\r\nX: y"] } } });
  } catch (e) {
    err = e;
  }
  ok(isHeadersError(err) || err instanceof TypeError, 'CR/LF in a directive is refused');
  return `${names.length} headers, nonce, preflight 204`;
}
