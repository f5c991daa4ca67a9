import { spawnSync } from 'node:child_process';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { breakerRegistry, circuitBreaker } from '@org/breaker';
import { createHealth } from '@org/health';
import { createMetrics, type Metrics } from '@org/metrics';
import { memoryStore, rateLimiter, rateLimiters } from '@org/ratelimit';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';

/** Runs `promtool check metrics` on an exposition; returns its exit status and what it said. */
function promtool(text: string): { status: number | null; out: string } {
  const r = spawnSync('/usr/bin/promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** Feeds one of everything into `m`: requests, a breaker registry, a lone breaker, a limiter group, health checks. */
async function exercise(m: Metrics): Promise<() => void> {
  m.requestStarted('GET');
  m.requestEnded('GET', '/users/:id', 200, 12);
  m.requestStarted('GET');
  m.requestEnded('GET', '/users/:id', 200, 700);
  m.requestStarted('POST');
  m.requestStarted('BREW'); // a client's own method: one `_OTHER` series, whatever it sends
  m.requestEnded('BREW', '', 404, 1);
  m.rateLimit(true);
  m.rateLimit(false);
  m.rejected('body_limit');
  m.rejected('timeout');

  const breakers = breakerRegistry({ defaults: { consecutiveFailures: 1, openMs: 60_000 } });
  await breakers
    .get('payments')
    .execute(async () => {
      throw new Error('down');
    })
    .catch(() => {});
  await breakers
    .get('payments')
    .execute(async () => 1)
    .catch(() => {});
  await breakers.get('search').execute(async () => 1);
  const lone = circuitBreaker({ name: 'ledger' });
  lone.isolate();

  const limiter = rateLimiters(
    [
      { name: 'minute', limit: 2, windowMs: 60_000 },
      { name: 'hour', limit: 100, windowMs: 3_600_000 },
    ],
    { store: memoryStore() },
  );
  const health = createHealth({ cacheMs: 0 });
  let dbUp = true;
  health.check({ name: 'db', probes: ['readiness'], run: () => dbUp });
  health.check({ name: 'cache', probes: ['readiness'], run: () => ({ status: 'warn' as const }) });

  const offs = [
    m.observeBreakers(breakers),
    m.observeBreaker(lone),
    m.observeLimiter(limiter),
    m.observeHealth(health),
  ];
  for (let i = 0; i < 3; i++) await limiter.consume('client-1');
  limiter.consumeSync('client-2');
  await health.readiness();
  dbUp = false;
  await health.readiness();
  return () => {
    for (const off of offs) off();
  };
}

describe('createMetrics on a prom-client Registry', () => {
  it('renders every metric in the Prometheus text format that promtool accepts', async () => {
    const registry = new Registry();
    const m = createMetrics({ registry });
    await exercise(m);
    const text = await registry.metrics();

    const r = promtool(text);
    expect(r.out).toBe('');
    expect(r.status).toBe(0);

    // route templates, not raw paths; client methods folded; the unmatched label for no route
    expect(text).toContain(
      'http_server_request_duration_seconds_count{method="GET",route="/users/:id",status="200"} 2',
    );
    expect(text).toContain(
      'http_server_request_duration_seconds_bucket{method="GET",route="/users/:id",status="200",le="0.025"} 1',
    );
    expect(text).toContain(
      'http_server_request_duration_seconds_bucket{method="GET",route="/users/:id",status="200",le="0.75"} 2',
    );
    expect(text).toContain(
      'http_server_request_duration_seconds_sum{method="GET",route="/users/:id",status="200"} 0.712',
    );
    expect(text).toContain(
      'http_server_request_duration_seconds_count{method="_OTHER",route="unmatched",status="404"} 1',
    );
    expect(text).not.toContain('BREW');
    expect(text).toContain('http_server_active_requests{method="GET"} 0');
    expect(text).toContain('http_server_active_requests{method="POST"} 1');
    expect(text).toContain('http_server_rate_limit_decisions_total{decision="allowed"} 1');
    expect(text).toContain('http_server_rate_limit_decisions_total{decision="limited"} 1');
    expect(text).toContain('http_server_rejections_total{reason="body_limit"} 1');
    expect(text).toContain('http_server_rejections_total{reason="timeout"} 1');

    // breakers: one series per state, 1 for the current one; calls by outcome from stats()
    expect(text).toContain('circuit_breaker_state{breaker="payments",state="open"} 1');
    expect(text).toContain('circuit_breaker_state{breaker="payments",state="closed"} 0');
    expect(text).toContain('circuit_breaker_state{breaker="search",state="closed"} 1');
    expect(text).toContain('circuit_breaker_state{breaker="ledger",state="isolated"} 1');
    expect(text).toContain('circuit_breaker_calls_total{breaker="payments",outcome="failure"} 1');
    expect(text).toContain('circuit_breaker_calls_total{breaker="payments",outcome="rejected"} 1');
    expect(text).toContain('circuit_breaker_calls_total{breaker="search",outcome="success"} 1');

    // the limiter's own decisions (async and sync paths), by deciding policy
    expect(text).toContain('ratelimit_decisions_total{policy="minute",decision="allowed",source="store"} 3');
    expect(text).toContain('ratelimit_decisions_total{policy="minute",decision="limited",source="store"} 1');

    // health: each check's last status
    expect(text).toContain('health_check_status{check="db",status="fail"} 1');
    expect(text).toContain('health_check_status{check="db",status="pass"} 0');
    expect(text).toContain('health_check_status{check="cache",status="warn"} 1');
  });

  it('keeps to the state read at each scrape and resets recorded values with resetMetrics()', async () => {
    const registry = new Registry();
    const m = createMetrics({ registry });
    const breaker = circuitBreaker({ name: 'upstream', consecutiveFailures: 1, openMs: 60_000 });
    const stop = m.observeBreaker(breaker);
    expect(await registry.metrics()).toContain('circuit_breaker_state{breaker="upstream",state="closed"} 1');
    await breaker
      .execute(async () => {
        throw new Error('down');
      })
      .catch(() => {});
    expect(await registry.metrics()).toContain('circuit_breaker_state{breaker="upstream",state="open"} 1');
    stop();
    expect(await registry.metrics()).not.toContain('breaker="upstream"');

    // health: read at scrape, so a check observed late shows at once and an unregistered one goes
    const health = createHealth({ cacheMs: 0 });
    const off = health.check({ name: 'queue', probes: ['readiness'], run: () => true });
    await health.readiness();
    m.observeHealth(health);
    expect(await registry.metrics()).toContain('health_check_status{check="queue",status="pass"} 1');
    off();
    expect(await registry.metrics()).not.toContain('check="queue"');

    m.requestStarted('GET');
    m.requestEnded('GET', '/', 200, 5);
    registry.resetMetrics();
    expect(await registry.metrics()).toContain(
      'http_server_request_duration_seconds_count{method="GET",route="/",status="200"} 0',
    );
  });

  // promtool's `check metrics` reads the classic text format only: here the OpenMetrics rendering is checked by hand
  it('renders OpenMetrics too: counters named without _total, samples with it', async () => {
    const registry = new Registry<typeof Registry.OPENMETRICS_CONTENT_TYPE>();
    registry.setContentType(Registry.OPENMETRICS_CONTENT_TYPE);
    const m = createMetrics({ registry });
    await exercise(m);
    const text = await registry.metrics();
    expect(text.endsWith('# EOF\n')).toBe(true);
    expect(text).toContain('# TYPE http_server_rejections counter\n');
    expect(text).toContain('http_server_rejections_total{reason="timeout"} 1');
    expect(text).toContain('# TYPE circuit_breaker_calls counter\n');
    expect(text).not.toContain('_total_total');
  });

  it('a limiter stops counting once unsubscribed', async () => {
    const registry = new Registry();
    const m = createMetrics({ registry });
    const limiter = rateLimiter({ name: 'api', limit: 10, windowMs: 1000, store: memoryStore() });
    const off = m.observeLimiter(limiter);
    await limiter.consume('a');
    off();
    await limiter.consume('a');
    expect(await registry.metrics()).toContain(
      'ratelimit_decisions_total{policy="api",decision="allowed",source="store"} 1',
    );
  });
});

describe('createMetrics on an OpenTelemetry Meter', () => {
  it('exports every instrument through the SDK, named per the semantic conventions', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({ readers: [reader] });
    const m = createMetrics({ meter: provider.getMeter('test') });
    await exercise(m);
    await reader.forceFlush();
    const all = exporter.getMetrics().flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics));
    const byName = new Map(all.map((x) => [x.descriptor.name, x]));

    const d = byName.get('http.server.request.duration')!;
    expect(d.descriptor.unit).toBe('s');
    expect(d.dataPointType).toBe(DataPointType.HISTOGRAM);
    const point = d.dataPoints.find((p) => p.attributes['http.route'] === '/users/:id')!;
    expect(point.attributes).toEqual({
      'http.request.method': 'GET',
      'http.route': '/users/:id',
      'http.response.status_code': '200',
    });
    const hv = point.value as { count: number; sum: number; buckets: { boundaries: number[] } };
    expect(hv.count).toBe(2);
    expect(hv.sum).toBeCloseTo(0.712);
    expect(hv.buckets.boundaries[0]).toBe(0.005);

    const active = byName.get('http.server.active_requests')!;
    expect(active.dataPoints.map((p) => [p.attributes['http.request.method'], p.value]).sort()).toEqual([
      ['GET', 0],
      ['POST', 1],
      ['_OTHER', 0],
    ]);
    const values = (name: string) =>
      Object.fromEntries(byName.get(name)!.dataPoints.map((p) => [Object.values(p.attributes).join('/'), p.value]));
    expect(values('http.server.rate_limit.decisions')).toEqual({ allowed: 1, limited: 1 });
    expect(values('http.server.rejections')).toEqual({ body_limit: 1, timeout: 1 });
    expect(values('circuit_breaker.state')).toMatchObject({
      'payments/open': 1,
      'ledger/isolated': 1,
      'search/open': 0,
    });
    expect(values('circuit_breaker.calls')).toMatchObject({ 'payments/failure': 1, 'search/success': 1 });
    expect(values('ratelimit.decisions')).toEqual({ 'minute/allowed/store': 3, 'minute/limited/store': 1 });
    expect(values('health.check.status')).toMatchObject({ 'db/fail': 1, 'db/pass': 0, 'cache/warn': 1 });
    await provider.shutdown();
  });
});

describe('createMetrics options', () => {
  it('names what is wrong', () => {
    expect(() => createMetrics({} as never)).toThrow(/exactly one of registry \(prom-client\) or meter/);
    expect(() => createMetrics({ registry: new Registry(), meter: {} } as never)).toThrow(/exactly one/);
    expect(() => createMetrics({ registry: {} as never })).toThrow(/registry must be a prom-client Registry/);
    expect(() => createMetrics({ meter: { createCounter() {} } as never })).toThrow(
      /meter must be an OpenTelemetry Meter/,
    );
    expect(() => createMetrics({ registry: new Registry(), buckets: [1, 0.5] })).toThrow(RangeError);
    expect(() => createMetrics({ registry: new Registry(), buckets: [] })).toThrow(/buckets must be/);
    expect(() => createMetrics({ registry: new Registry(), unmatchedRoute: '' })).toThrow(/unmatchedRoute/);
    const m = createMetrics({ registry: new Registry() });
    expect(() => m.observeBreaker({} as never)).toThrow(/observeBreaker needs a circuitBreaker/);
    expect(() => m.observeLimiter(null as never)).toThrow(/observeLimiter needs a rateLimiter/);
    expect(() => m.observeHealth(1 as never)).toThrow(/observeHealth needs a createHealth/);
  });

  it('refuses a second set of the same metrics on one registry (prom-client names are unique)', () => {
    const registry = new Registry();
    createMetrics({ registry });
    expect(() => createMetrics({ registry })).toThrow(/already been registered/);
  });
});
