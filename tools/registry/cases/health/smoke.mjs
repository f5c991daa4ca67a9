// @org/health on any runtime: probes per Kubernetes semantics, application/health+json over the Fetch API.
const ok = (cond, what) => {
  if (!cond) throw new Error(`health smoke: ${what}`);
};

export default async function smoke(m) {
  const { createHealth, pingCheck } = m['@org/health'];
  const health = createHealth({ service: { id: 'smoke', version: '1' }, timeoutMs: 200 });
  health.check(pingCheck({ name: 'db:responseTime', ping: async () => 'PONG', expect: (r) => r === 'PONG' }));
  health.check({ name: 'cache:responseTime', critical: false, run: () => false });
  health.check({ name: 'hang:responseTime', critical: false, run: () => new Promise(() => {}) });
  const ready = await health.readiness();
  ok(ready.status === 'warn' && ready.httpStatus === 200, `non-critical failures only warn: ${JSON.stringify(ready)}`);
  health.check({ name: 'queue:depth', critical: true, run: () => ({ status: 'fail', output: 'backlog' }) });
  const failing = await health.readiness();
  ok(failing.status === 'fail' && failing.httpStatus === 503, `critical failure: ${failing.status}`);
  const handler = health.fetchHandler();
  const live = await handler(new Request('http://svc/livez'));
  ok(live.status === 200, `liveness stays 200 while readiness fails, got ${live.status}`);
  ok(live.headers.get('content-type') === 'application/health+json', 'content type');
  ok((await live.json()).status === 'pass', 'liveness body');
  const r = await handler(new Request('http://svc/readyz'));
  ok(r.status === 503, `readyz over fetch: ${r.status}`);
  return 'warn/fail/503, liveness independent, health+json';
}
