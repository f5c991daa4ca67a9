/**
 * Probe handling beside @godaddy/terminus and lightship, all in this one process, interleaved by bench.compare().
 *
 * 1. In process (no HTTP): our readiness() against the hand-written equivalent (Promise.all of the checks +
 *    JSON.stringify), without and with a per-check timeout — what a probe costs us beyond the checks themselves.
 * 2. Over HTTP on loopback (node:http servers, undici Pool with 16 keep-alive connections, 16 requests in flight per
 *    op): readiness answers/s with 3 passing checks, uncached (checks run on every probe) and cached (checks run in
 *    the background, the probe answers from the last result). Lightship has no per-probe checks: it only appears in
 *    the cached scenario (its model: a background loop calls signalReady()).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTerminus } from '@godaddy/terminus';
import { benchRun } from '@org/bench-kit';
import { createLightship } from 'lightship';
import { Pool } from 'undici';
// The built package, as users run it (tsx would add keepNames wrappers to every closure of src/, the rivals are plain JS).
import { createHealth, type Health } from '../dist/index.js';

// Every table that names `ours` goes to bench/results.json and BENCHMARKS.md's "Latest run" (bench.write() below).
const bench = benchRun('@org/health', import.meta.url);

const CONCURRENCY = 16;
const check = async (): Promise<boolean> => true;

function ourServer(health: Health): Server {
  return createServer((req, res) => {
    const r = health.route(req.method ?? 'GET', req.url ?? '/');
    if (r === null) {
      res.writeHead(404).end();
      return;
    }
    r.then((p) => res.writeHead(p.httpStatus, p.headers).end(p.body));
  });
}

function terminusServer(cached: boolean): Server {
  const server = createServer((_req, res) => res.writeHead(404).end());
  let ok = true;
  if (cached) {
    const t = setInterval(async () => {
      ok = (await Promise.all([check(), check(), check()])).every(Boolean);
    }, 1000);
    t.unref();
  }
  createTerminus(server, {
    signals: [],
    signal: 'SIGUSR2',
    healthChecks: {
      '/readyz': cached
        ? async () => {
            if (!ok) throw new Error('not ready');
          }
        : async () => {
            const r = await Promise.all([check(), check(), check()]);
            if (!r.every(Boolean)) throw new Error('not ready');
          },
    },
  });
  return server;
}

const listen = (s: Server): Promise<string> =>
  new Promise((r) => s.listen(0, '127.0.0.1', () => r(`http://127.0.0.1:${(s.address() as AddressInfo).port}`)));

const pools: Pool[] = [];
function prober(base: string, path: string): () => Promise<void> {
  const pool = new Pool(base, { connections: CONCURRENCY, keepAliveTimeout: 60_000 });
  pools.push(pool);
  return async () => {
    const all: Array<Promise<void>> = [];
    for (let i = 0; i < CONCURRENCY; i++) {
      all.push(
        pool.request({ path, method: 'GET' }).then(async (res) => {
          if (res.statusCode !== 200) throw new Error(`${base}${path} answered ${res.statusCode}`);
          await res.body.dump();
        }),
      );
    }
    await Promise.all(all);
  };
}

console.log(`node ${process.version}; lightship declares engines.node ${'>=22.13.0'} and runs here on Node 20.`);

// 1. in process
const uncachedHealth = createHealth({ cacheMs: 0 });
const cachedHealth = createHealth();
for (const h of [uncachedHealth, cachedHealth]) {
  for (const name of ['a:up', 'b:up', 'c:up']) h.check({ name, run: check, intervalMs: h === cachedHealth ? 1000 : 0 });
}
await cachedHealth.readiness(); // first background results
// The baselines are plain promise chains: an `async` wrapper around them would add a promise and an await of its own
// and flatter us (the runner awaits what a case returns).
const handWritten = (): Promise<string> =>
  Promise.all([check(), check(), check()]).then((r) => JSON.stringify({ status: r.every(Boolean) ? 'pass' : 'fail' }));
// What the same guarantee costs by hand: each check raced against its own timeout timer.
const withTimeout = <T>(p: Promise<T>, ms: number): Promise<T> => {
  let t: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      t = setTimeout(() => reject(new Error('timeout')), ms);
    }),
  ]).finally(() => clearTimeout(t));
};
const handWrittenTimeouts = (): Promise<string> =>
  Promise.all([withTimeout(check(), 1000), withTimeout(check(), 1000), withTimeout(check(), 1000)]).then((r) =>
    JSON.stringify({ status: r.every(Boolean) ? 'pass' : 'fail' }),
  );
await bench.compare(
  'readiness() in process, 3 passing checks',
  [
    { name: 'hand-written Promise.all', fn: handWritten },
    { name: 'hand-written + timeouts', fn: handWrittenTimeouts },
    { name: '@org/health uncached', fn: () => uncachedHealth.readiness() },
    { name: '@org/health cached', fn: () => cachedHealth.readiness() },
  ],
  { ours: '@org/health uncached', rival: ['hand-written Promise.all', 'hand-written + timeouts'] },
);

// 2. over HTTP
const servers: Server[] = [
  ourServer(uncachedHealth),
  ourServer(cachedHealth),
  terminusServer(false),
  terminusServer(true),
];
const [ourUncached, ourCached, termUncached, termCached] = await Promise.all(servers.map(listen));
const lightship = await createLightship({ detectKubernetes: false, port: 0, signals: [] });
const lsTimer = setInterval(async () => {
  if ((await Promise.all([check(), check(), check()])).every(Boolean)) lightship.signalReady();
  else lightship.signalNotReady();
}, 1000);
lsTimer.unref();
lightship.signalReady();
const lsBase = `http://127.0.0.1:${(lightship.server.address() as AddressInfo).port}`;

const rounds = { rounds: 7, roundMs: 300 };
await bench.compare(
  `readiness over HTTP, 3 passing checks, uncached (${CONCURRENCY} in flight; ops are batches of ${CONCURRENCY})`,
  [
    { name: '@godaddy/terminus', fn: prober(termUncached as string, '/readyz') },
    { name: '@org/health', fn: prober(ourUncached as string, '/readyz') },
  ],
  { ours: '@org/health', rival: '@godaddy/terminus', ...rounds },
);
await bench.compare(
  `readiness over HTTP, 3 passing checks, cached (${CONCURRENCY} in flight; ops are batches of ${CONCURRENCY})`,
  [
    { name: '@godaddy/terminus', fn: prober(termCached as string, '/readyz') },
    { name: 'lightship', fn: prober(lsBase, '/ready') },
    { name: '@org/health', fn: prober(ourCached as string, '/readyz') },
  ],
  { ours: '@org/health', rival: ['@godaddy/terminus', 'lightship'], ...rounds },
);

await Promise.all(pools.map((p) => p.destroy()));
for (const s of servers) {
  s.closeAllConnections();
  s.close();
}
await lightship.shutdown();
uncachedHealth.close();
cachedHealth.close();
bench.write();
