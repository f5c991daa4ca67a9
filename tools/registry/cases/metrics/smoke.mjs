// @org/metrics on any runtime: a recorder over a minimal registry shaped like prom-client's (registerMetric + get()).
const ok = (cond, what) => {
  if (!cond) throw new Error(`metrics smoke: ${what}`);
};

export default async function smoke(m) {
  const { createMetrics, METRICS_DEFAULTS } = m['@org/metrics'];
  const registered = [];
  const metrics = createMetrics({ registry: { registerMetric: (x) => registered.push(x) } });
  metrics.requestStarted('GET');
  metrics.requestEnded('GET', '/users/:id', 200, 12);
  metrics.requestStarted('BREW');
  metrics.requestEnded('BREW', '', 404, 1);
  metrics.rateLimit(false);
  const byName = Object.fromEntries(registered.map((x) => [x.name, x]));
  const duration = await byName.http_server_request_duration_seconds.get();
  const count = duration.values.find((v) => v.metricName?.endsWith('_count') && v.labels.route === '/users/:id');
  ok(count?.value === 1 && count.labels.status === '200', 'duration by route template');
  ok(
    duration.values.some((v) => v.labels.method === '_OTHER' && v.labels.route === METRICS_DEFAULTS.unmatchedRoute),
    'unknown methods and unmatched routes folded',
  );
  const rate = await byName.http_server_rate_limit_decisions_total.get();
  ok(rate.values[0].labels.decision === 'limited' && rate.values[0].value === 1, 'rate-limit decisions');
  let threw = false;
  try {
    createMetrics({});
  } catch (e) {
    threw = e instanceof TypeError && /exactly one of registry/.test(e.message);
  }
  ok(threw, 'options checked');
}
