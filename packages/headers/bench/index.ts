// Applying the default policy per response: @org/headers vs helmet 8 vs a hand-written setHeader loop, in one process.
// Targets (issue 5): cost <= 1.2x the plain loop, and <= 0.5x helmet's cost.
import http from 'node:http';
import net from 'node:net';
import { benchRun, type CaseResult } from '@org/bench-kit';
import helmet from 'helmet';
import { cors, generateNonce, securityHeaders } from '../src/index.js';

// Every table that names `ours` goes to bench/results.json and BENCHMARKS.md's "Latest run" (bench.write() below).
const bench = benchRun('@org/headers', import.meta.url);

const socket = new net.Socket();
const newRes = () => new http.ServerResponse(new http.IncomingMessage(socket));
const req = new http.IncomingMessage(socket);
const next = () => {};

const ours = securityHeaders(); // preset 'helmet': the exact same 12 headers + X-Powered-By removal as helmet()
const theirs = helmet();
// The plain loop: the same pairs, written by hand, as a user would without any library.
const PLAIN: Array<[string, string]> = ours.entries.map(([n, v]) => [n, v]);
const plainLoop = (res: http.ServerResponse) => {
  for (let i = 0; i < PLAIN.length; i++) res.setHeader(PLAIN[i]![0], PLAIN[i]![1]);
  res.removeHeader('X-Powered-By');
};
// `ours.apply(res)` calls the target's own setHeader/removeHeader over private plain arrays. This loop is the other way
// an adapter may use the policy: iterate the frozen `entries`, then the `remove` list.
const oursLoop = (res: http.ServerResponse) => {
  const e = ours.entries;
  for (let i = 0; i < e.length; i++) res.setHeader(e[i]![0], e[i]![1]);
  const r = ours.remove;
  for (let i = 0; i < r.length; i++) res.removeHeader(r[i]!);
};

// Sanity: all three produce identical headers (X-Powered-By set beforehand, as Express does, so removal is checked).
{
  const a = newRes();
  const b = newRes();
  const c = newRes();
  const d = newRes();
  for (const r of [a, b, c, d]) r.setHeader('X-Powered-By', 'Express');
  plainLoop(a);
  ours.apply(b);
  oursLoop(d);
  theirs(req, c, next);
  // Names as given (case and order) and values: what goes on the wire.
  const s = (r: http.ServerResponse) =>
    JSON.stringify([(r as unknown as { getRawHeaderNames(): string[] }).getRawHeaderNames(), r.getHeaders()]);
  if (s(d) !== s(b)) throw new Error('bench: entries loop differs');
  if (s(a) !== s(b) || s(b) !== s(c)) throw new Error('bench: the three cases do not set the same headers');
}

const nsOf = (rs: CaseResult[], name: string) => rs.find((r) => r.name === name)!.nsPerOp;
const verdict = (label: string, ratio: number, max: number) =>
  console.log(`  target: ${label}: ${ratio.toFixed(2)}x (target <= ${max}x) ${ratio <= max ? 'MET' : 'MISSED'}`);

const scenario = process.argv[2];
const SCENARIOS = ['reused', 'fresh', 'overhead', 'extras'];
if (scenario === undefined) {
  // Each scenario runs in its own process (all its cases side by side in that process), so the call sites of one
  // scenario's target type do not turn another scenario's megamorphic.
  for (const s of SCENARIOS) {
    const status = bench.child([...process.execArgv, ...process.argv.slice(1), s]);
    if (status !== 0) process.exit(status);
  }
  bench.write();
  process.exit(0);
}
// Many short rounds: on a shared, loaded machine a short round is either untouched or preempted, and the median of
// many picks the untouched ones; long rounds all absorb a random share of preemption.
const opts = { rounds: 201, roundMs: 3 };

// 1. One reused ServerResponse: headers overwritten each time. Isolates the header-setting cost.
const shared = newRes();
if (scenario === 'reused') {
  const r1 = await bench.compare(
    'default policy on a reused http.ServerResponse (12 headers + 1 removal)',
    [
      { name: 'plain setHeader loop', fn: () => plainLoop(shared) },
      { name: '@org/headers apply()', fn: () => ours.apply(shared) },
      { name: '@org/headers entries loop', fn: () => oursLoop(shared) },
      { name: 'helmet 8', fn: () => theirs(req, shared, next) },
    ],
    { ...opts, ours: '@org/headers apply()', rival: ['plain setHeader loop', 'helmet 8'] },
  );
  const o1 = nsOf(r1, '@org/headers apply()');
  verdict('reused res vs plain loop', o1 / nsOf(r1, 'plain setHeader loop'), 1.2);
  verdict('reused res vs helmet 8  ', o1 / nsOf(r1, 'helmet 8'), 0.5);
}

// 2. A fresh ServerResponse per operation, as per request; the construction alone is measured and subtracted.
if (scenario === 'fresh') {
  const r2 = await bench.compare(
    'default policy on a fresh http.ServerResponse per op',
    [
      { name: 'new ServerResponse only', fn: () => newRes() },
      { name: 'plain setHeader loop', fn: () => plainLoop(newRes()) },
      { name: '@org/headers apply()', fn: () => ours.apply(newRes()) },
      { name: '@org/headers entries loop', fn: () => oursLoop(newRes()) },
      { name: 'helmet 8', fn: () => theirs(req, newRes(), next) },
    ],
    { ...opts, ours: '@org/headers apply()', rival: ['plain setHeader loop', 'helmet 8'] },
  );
  const base = nsOf(r2, 'new ServerResponse only');
  const net2 = (name: string) => nsOf(r2, name) - base;
  verdict(
    'fresh res vs plain loop (construction subtracted)',
    net2('@org/headers apply()') / net2('plain setHeader loop'),
    1.2,
  );
  verdict('fresh res vs helmet 8   (construction subtracted)', net2('@org/headers apply()') / net2('helmet 8'), 0.5);
  verdict(
    'fresh res vs plain loop (construction included)',
    nsOf(r2, '@org/headers apply()') / nsOf(r2, 'plain setHeader loop'),
    1.2,
  );
  verdict(
    'fresh res vs helmet 8   (construction included)',
    nsOf(r2, '@org/headers apply()') / nsOf(r2, 'helmet 8'),
    0.5,
  );
}

// 3. The library's own overhead: a target whose setHeader does nothing (what remains is loop vs middleware chain).
const sink = { n: 0, setHeader: (_n: string, _v: string) => sink.n++, removeHeader: (_n: string) => sink.n++ };
if (scenario === 'overhead') {
  const r3 = await bench.compare(
    'library overhead only (no-op setHeader target)',
    [
      { name: 'plain setHeader loop', fn: () => plainLoop(sink as unknown as http.ServerResponse) },
      { name: '@org/headers apply()', fn: () => ours.apply(sink) },
      { name: '@org/headers entries loop', fn: () => oursLoop(sink as unknown as http.ServerResponse) },
      { name: 'helmet 8', fn: () => theirs(req, sink as unknown as http.ServerResponse, next) },
    ],
    { ...opts, ours: '@org/headers apply()', rival: ['plain setHeader loop', 'helmet 8'] },
  );
  const o3 = nsOf(r3, '@org/headers apply()');
  verdict('overhead only vs plain loop', o3 / nsOf(r3, 'plain setHeader loop'), 1.2);
  verdict('overhead only vs helmet 8  ', o3 / nsOf(r3, 'helmet 8'), 0.5);
}

// 4. Per-request CSP nonce and CORS decisions (no rival: reported for the adapters' budget).
if (scenario === 'extras') {
  const withNonce = securityHeaders({ contentSecurityPolicy: { nonce: true } });
  const corsPolicy = cors({ origin: ['https://app.example.com', 'https://*.example.org'], credentials: true });
  await bench.compare(
    'per-request extras',
    [
      { name: 'generateNonce()', fn: () => generateNonce() },
      { name: 'forRequest({ nonce })', fn: () => withNonce.forRequest({ nonce: generateNonce() }) },
      { name: 'cors exact origin', fn: () => corsPolicy.handle({ method: 'GET', origin: 'https://app.example.com' }) },
      { name: 'cors pattern origin', fn: () => corsPolicy.handle({ method: 'GET', origin: 'https://a.example.org' }) },
      { name: 'cors rejected origin', fn: () => corsPolicy.handle({ method: 'GET', origin: 'https://evil.test' }) },
      {
        name: 'cors preflight',
        fn: () =>
          corsPolicy.handle({
            method: 'OPTIONS',
            origin: 'https://app.example.com',
            accessControlRequestMethod: 'PUT',
            accessControlRequestHeaders: 'content-type',
          }),
      },
    ],
    { ours: 'forRequest({ nonce })' },
  );
}
// in a scenario's process: hands its tables to the parent (see bench.child above)
bench.write();
