// @org/ratelimit on any runtime: the memory store admits exactly the limit, denies with Retry-After, refunds.
const ok = (cond, what) => {
  if (!cond) throw new Error(`ratelimit smoke: ${what}`);
};

export default async function smoke(m) {
  const { rateLimiter, rateLimiters, rateLimitHeaders, ipKey, memoryStore } = m['@org/ratelimit'];
  const limiter = rateLimiter({ limit: 3, windowMs: 60_000 });
  const ds = [];
  for (let i = 0; i < 4; i++) ds.push(await limiter.consume('client'));
  ok(ds.map((d) => d.allowed).join() === 'true,true,true,false', `3 of 4 allowed: ${ds.map((d) => d.allowed)}`);
  const denied = ds[3];
  ok(denied.retryAfterMs > 0 && denied.remaining === 0, `denied decision: ${JSON.stringify(denied)}`);
  const headers = rateLimitHeaders(denied);
  ok(
    Number(headers['Retry-After']) > 0 && typeof headers.RateLimit === 'string',
    `headers: ${JSON.stringify(headers)}`,
  );
  await limiter.refund('client', { cost: 1 });
  ok((await limiter.consume('client')).allowed, 'a refunded unit is usable again');
  ok(ipKey('::ffff:192.0.2.1') === '192.0.2.1', 'ipKey maps IPv4-mapped IPv6');
  const store = memoryStore({ maxKeys: 100 });
  const both = rateLimiters(
    [
      { name: 'burst', limit: 1, windowMs: 1_000 },
      { name: 'daily', limit: 10, windowMs: 86_400_000, algorithm: 'fixed-window' },
    ],
    { store },
  );
  ok((await both.consume('u')).allowed && !(await both.consume('u')).allowed, 'two policies in one call');
  return '3/4 allowed, Retry-After, refund, two policies';
}
