// What the metrics option adds to one request, in process: requestStarted + requestEnded + rateLimit, as an adapter
// calls them, on a prom-client Registry and on an OpenTelemetry Meter with a reader. CPU time (process.cpuUsage), so a
// busy shared machine slows it less than wall time; the median of ROUNDS rounds of N requests is printed.
// `node --import tsx bench/index.ts` (N=200000 ROUNDS=7 by default).

import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { createMetrics, type Metrics } from '@org/metrics';
import { Registry } from 'prom-client';

const N = Number(process.env.N ?? 200_000);
const ROUNDS = Number(process.env.ROUNDS ?? 7);
const ROUTES = ['/users/:id', '/notes', '/notes/:id', '/health', 'unmatched'];
const STATUSES = [200, 200, 200, 201, 404, 429];

function round(m: Metrics): number {
  const t0 = process.cpuUsage();
  for (let i = 0; i < N; i++) {
    m.requestStarted('GET');
    m.rateLimit(true);
    m.requestEnded('GET', ROUTES[i % 5]!, STATUSES[i % 6]!, (i % 100) / 3);
  }
  const d = process.cpuUsage(t0);
  return ((d.user + d.system) * 1000) / N; // ns per request
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

const prom = createMetrics({ registry: new Registry() });
const provider = new MeterProvider({
  readers: [
    new PeriodicExportingMetricReader({
      exporter: new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE),
      exportIntervalMillis: 3_600_000,
    }),
  ],
});
const otel = createMetrics({ meter: provider.getMeter('bench') });
const results: Record<string, number[]> = { prom: [], otel: [] };
round(prom);
round(otel); // warm-up
for (let r = 0; r < ROUNDS; r++) {
  results.prom!.push(round(prom));
  results.otel!.push(round(otel));
}
console.log(`metrics recorder, CPU ns per request (median of ${ROUNDS} rounds of ${N}), Node ${process.version}`);
for (const [k, v] of Object.entries(results))
  console.log(`  ${k.padEnd(5)} ${median(v).toFixed(0)} ns  (rounds: ${v.map((x) => x.toFixed(0)).join(' ')})`);
await provider.shutdown();
