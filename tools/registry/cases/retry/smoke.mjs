// @org/retry on any runtime: retries to success with real (tiny) backoff sleeps, reads Retry-After, honours abort.
const ok = (cond, what) => {
  if (!cond) throw new Error(`retry smoke: ${what}`);
};

export default async function smoke(m) {
  const { retry, retryPolicy, parseRetryAfter } = m['@org/retry'];
  const attempts = [];
  const v = await retry(
    async ({ attempt }) => {
      attempts.push(attempt);
      if (attempt < 3) throw new Error(`flaky ${attempt}`);
      return 'ok';
    },
    { attempts: 5, backoff: { initialMs: 1, maxMs: 5, jitter: 'none' } },
  );
  ok(v === 'ok' && attempts.join() === '1,2,3', `retry to success: ${v} after ${attempts}`);
  ok(parseRetryAfter('120') === 120_000, 'parseRetryAfter seconds');
  ok(parseRetryAfter(new Headers({ 'retry-after-ms': '250' })) === 250, 'parseRetryAfter retry-after-ms');
  const ac = new AbortController();
  const policy = retryPolicy({ attempts: Number.POSITIVE_INFINITY, backoff: { initialMs: 60_000, jitter: 'none' } });
  const pending = policy.execute(async () => Promise.reject(new Error('down')), ac.signal);
  setTimeout(() => ac.abort(new Error('stop')), 10);
  const e = await pending.catch((x) => x);
  ok(e?.message === 'stop', `abort during a 60 s backoff rejects with the reason, got ${e}`);
  return 'success on attempt 3, Retry-After parsed, abort during backoff';
}
