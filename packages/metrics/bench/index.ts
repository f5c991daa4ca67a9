// What the metrics option adds to one request, in process: requestStarted + rateLimit + requestEnded, as an adapter
// calls them, beside the same three metrics written by hand with each library's own API (what a service without
// @org/metrics does in an onRequest/onResponse hook), on a prom-client Registry and on an OpenTelemetry Meter with a
// reader. All contenders run interleaved in this one process (@org/bench-kit); the tables go to bench/results.json and
// BENCHMARKS.md's "Latest run".

import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { benchRun } from '@org/bench-kit';
import { createMetrics, METRICS_DEFAULTS } from '@org/metrics';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';

const bench = benchRun('@org/metrics', import.meta.url);
const ROUTES = ['/users/:id', '/notes', '/notes/:id', '/health', 'unmatched'];
const STATUSES = [200, 200, 200, 201, 404, 429];
const buckets = [...METRICS_DEFAULTS.buckets];

// One request's calls; `i` walks the label sets so every series is hit.
let i = 0;
const next = () => {
  i = (i + 1) % 30;
  return i;
};

/** The baseline both comparisons share: one request's labels picked, nothing recorded. */
const bare = { name: 'bare (labels only)', fn: () => ROUTES[next() % 5]!.length + STATUSES[i % 6]! };
/** One request through a recorder of ours, as an adapter calls it. */
const oursOn = (m: ReturnType<typeof createMetrics>) => ({
  name: '@org/metrics',
  fn: () => {
    const k = next();
    m.requestStarted('GET');
    m.rateLimit(true);
    m.requestEnded('GET', ROUTES[k % 5]!, STATUSES[k % 6]!, (k % 100) / 3);
  },
});

// --- prom-client: ours, and the same three metrics by hand (labels as an object per call, as its docs show)
const ours = createMetrics({ registry: new Registry() });
const reg = new Registry();
const hDuration = new Histogram({
  name: 'http_server_request_duration_seconds',
  help: 'duration',
  labelNames: ['method', 'route', 'status'],
  buckets,
  registers: [reg],
});
const hActive = new Gauge({
  name: 'http_server_active_requests',
  help: 'in flight',
  labelNames: ['method'],
  registers: [reg],
});
const hRate = new Counter({
  name: 'http_server_rate_limit_decisions_total',
  help: 'decisions',
  labelNames: ['decision'],
  registers: [reg],
});

// --- OpenTelemetry: ours, and by hand with the SDK's instruments (attributes as an object per call)
const provider = new MeterProvider({
  readers: [
    new PeriodicExportingMetricReader({
      exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
      exportIntervalMillis: 3_600_000,
    }),
  ],
});
const oursOtel = createMetrics({ meter: provider.getMeter('ours') });
const meter = provider.getMeter('by-hand');
const oDuration = meter.createHistogram('http.server.request.duration', {
  unit: 's',
  advice: { explicitBucketBoundaries: buckets },
});
const oActive = meter.createUpDownCounter('http.server.active_requests');
const oRate = meter.createCounter('http.server.rate_limit.decisions');

await bench.compare(
  'one request recorded, prom-client Registry',
  [
    bare,
    oursOn(ours),
    {
      name: 'prom-client by hand',
      fn: () => {
        const k = next();
        hActive.inc({ method: 'GET' });
        hRate.inc({ decision: 'allowed' });
        hActive.dec({ method: 'GET' });
        hDuration.observe({ method: 'GET', route: ROUTES[k % 5]!, status: String(STATUSES[k % 6]!) }, k / 300);
      },
    },
  ],
  { ours: '@org/metrics', rival: 'prom-client by hand', rounds: 11 },
);

await bench.compare(
  'one request recorded, OpenTelemetry Meter (SDK 3, in-memory reader)',
  [
    bare,
    oursOn(oursOtel),
    {
      name: 'OpenTelemetry by hand',
      fn: () => {
        const k = next();
        oActive.add(1, { 'http.request.method': 'GET' });
        oRate.add(1, { decision: 'allowed' });
        oActive.add(-1, { 'http.request.method': 'GET' });
        oDuration.record(k / 300, {
          'http.request.method': 'GET',
          'http.route': ROUTES[k % 5]!,
          'http.response.status_code': STATUSES[k % 6]!,
        });
      },
    },
  ],
  { ours: '@org/metrics', rival: 'OpenTelemetry by hand', rounds: 11 },
);

bench.write();
await provider.shutdown();
