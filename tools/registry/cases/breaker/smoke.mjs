// @org/breaker on any runtime: trips, rejects without calling, times out, caps concurrency.
const ok = (cond, what) => {
  if (!cond) throw new Error(`breaker smoke: ${what}`);
};

export default async function smoke(m) {
  const { circuitBreaker, bulkhead, isCircuitOpenError, isBreakerError } = m['@org/breaker'];
  const b = circuitBreaker({ consecutiveFailures: 2, openMs: 60_000 });
  for (let i = 0; i < 2; i++) await b.execute(async () => Promise.reject(new Error('down'))).catch(() => {});
  ok(b.state === 'open', `state after 2 failures is ${b.state}`);
  let called = false;
  const r = await b.tryExecute(async () => {
    called = true;
  });
  ok(!r.ok && r.reason === 'open' && r.retryAfterMs > 0 && !called, `tryExecute while open: ${JSON.stringify(r)}`);
  const err = await b.execute(async () => 1).catch((e) => e);
  ok(isCircuitOpenError(err) && err.code === 'ERR_CIRCUIT_OPEN', 'execute while open rejects with ERR_CIRCUIT_OPEN');

  const t = circuitBreaker({ timeoutMs: 20 });
  const te = await t
    .execute((signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason))))
    .catch((e) => e);
  ok(isBreakerError(te) && te.code === 'ERR_CIRCUIT_TIMEOUT', `timeout: ${te}`);

  const pool = bulkhead({ maxConcurrent: 1, maxQueue: 0 });
  let release;
  const first = pool.execute(() => new Promise((r) => (release = r)));
  const full = await pool.execute(async () => 1).catch((e) => e);
  ok(full?.code === 'ERR_BULKHEAD_FULL', `bulkhead full: ${full}`);
  release('done');
  ok((await first) === 'done', 'bulkhead runs the admitted call');
  return 'open after 2 failures, timeout, bulkhead full';
}
