// bench:http — autocannon against each framework bare, with our full stack and with the rival stack.
// Every variant runs in its own server child process (same layout for all); the load generator is this process.
// Printed as requests/s and as a ratio to the same framework's bare server.
// Options: CYCLES=8 SLICE=1 (seconds of load per variant per cycle) CONNECTIONS=10 ONLY=fastify,hono WARMUP=3 (s per
// variant before the first cycle) FREEZE=1 (stop the servers not under load; FREEZE=0 leaves them running).
// PIN=1 (Linux, needs taskset and 2+ CPUs): every server runs on CPU 0 and the load generator (this process) on CPU 1,
// so the scheduler never puts the two on one core.
// LOADGEN=wrk loads with wrk instead (see loadWrk).
// PROCS=n runs every variant in n server processes (default 1). Two processes of the same code differ by up to 0.14 in
// their ratio on a shared machine (V8 compiles each one's hot code a little differently): the ratio printed is then the
// median over every cycle and process, and each process's own median is printed too.
// EXTRA='nolog:BENCH_DROP=log;noop:BENCH_SINK=noop' adds variants of `ours` run with those environment settings (see
// bench-server.ts), measured in the same cycles and printed as ratios too: for finding what a part costs.
// BENCH_VARIANT=rival|bare|floor in an entry runs that variant instead of `ours` (e.g.
// EXTRA='rivallog:BENCH_VARIANT=rival,BENCH_RIVAL_LOG=1': the Fastify rival with Fastify's two default log lines;
// EXTRA='rivalmin:BENCH_VARIANT=rival,BENCH_RIVAL=min': the older rival, security headers and rate limiting only).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const ALL = ['express', 'fastify', 'hono'] as const;
const FRAMEWORKS = process.env.ONLY ? ALL.filter((f) => process.env.ONLY!.split(',').includes(f)) : ALL;
const VARIANTS = ['bare', 'ours', 'rival'] as const;
// Every framework also runs `floor`: bare + the same response headers as ours, as constants, added the cheapest public
// way the framework has (what the headers alone cost).
// `metrics` (always, unless METRICS=0): ours with the metrics option (createMetrics of @org/metrics on a prom-client
// Registry; METRICS=otel: on an OpenTelemetry Meter), so the option's cost is printed beside ours.
const metricsVariant: [string, Record<string, string>][] =
  process.env.METRICS === '0' ? [] : [['metrics', { BENCH_METRICS: process.env.METRICS === 'otel' ? 'otel' : 'prom' }]];
const EXTRA: ReadonlyMap<string, Record<string, string>> = new Map([
  ...metricsVariant,
  ...(process.env.EXTRA ?? '')
    .split(';')
    .filter((x) => x !== '')
    .map((x) => {
      const [name, ...env] = x.split(':');
      return [
        name!,
        Object.fromEntries(
          env
            .join(':')
            .split(',')
            .map((kv) => kv.split('=') as [string, string]),
        ),
      ] as [string, Record<string, string>];
    }),
]);
const variantsOf = (_framework: string): readonly string[] => [...VARIANTS, 'floor', ...EXTRA.keys()];
// The rival does the same work as ours from each framework's usual packages (see bench-server.ts); BENCH_RIVAL=min
// runs the older rival (security headers and rate limiting only), e.g. EXTRA='rivalmin:BENCH_VARIANT=rival,BENCH_RIVAL=min'.
const RIVAL: Record<string, string> =
  process.env.BENCH_RIVAL === 'min'
    ? {
        express: 'helmet + express-rate-limit',
        fastify: '@fastify/helmet + @fastify/rate-limit',
        hono: 'hono/secure-headers',
      }
    : {
        express: 'helmet + express-rate-limit + cors + pino-http + response-time',
        fastify: '@fastify/helmet + @fastify/rate-limit + @fastify/cors + Fastify logger (pino) + id/time hook',
        hono: 'hono/secure-headers + hono-rate-limiter + hono/cors + hono/request-id + hono/timeout + pino',
      };
const cycles = Number(process.env.CYCLES ?? 8);
const procs = Number(process.env.PROCS ?? 1);
if (!Number.isInteger(procs) || procs < 1)
  throw new RangeError(`PROCS must be an integer >= 1, got ${process.env.PROCS}`);
/** The server processes of a variant: `v`, then `v#2` … `v#n` (PROCS=n). */
const copiesOf = (v: string): string[] => Array.from({ length: procs }, (_, i) => (i === 0 ? v : `${v}#${i + 1}`));
/** The variant a process runs (its name without the copy suffix). */
const baseOf = (name: string): string => name.replace(/#\d+$/, '');
const slice = Number(process.env.SLICE ?? 1);
const connections = Number(process.env.CONNECTIONS ?? 10);
const warmup = Number(process.env.WARMUP ?? 3);
const loadgen = process.env.LOADGEN ?? 'autocannon';
if (loadgen !== 'autocannon' && loadgen !== 'wrk')
  throw new RangeError(`LOADGEN must be autocannon or wrk, got ${loadgen}`);
const serverFile = fileURLToPath(new URL('./bench-server.ts', import.meta.url));
const pin = process.env.PIN === '1';
if (pin) {
  const r = spawnSync('taskset', ['-a', '-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
  if (r.status !== 0) throw new Error('PIN=1: taskset failed (Linux with util-linux and at least 2 CPUs is needed)');
}
// An idle server process still runs work of its own on the shared cores while another is measured: V8's memory
// reducer starts a full GC a few seconds after the load stops, concurrent sweeping, timers. That lands on whichever
// variant is loaded at the time, and the heavier allocators (the rival stacks) leave the most of it. So each server is
// stopped (SIGSTOP) while it is not under load and continued (SIGCONT) for its own slices: what it left pending runs
// then, counted in its own time. Not on Windows (no such signals).
const freeze = process.env.FREEZE !== '0' && process.platform !== 'win32';
const pause = (c: ChildProcess): void => {
  if (freeze) c.kill('SIGSTOP');
};
const resume = (c: ChildProcess): void => {
  if (freeze) c.kill('SIGCONT');
};

function startServer(framework: string, name: string): Promise<{ child: ChildProcess; port: number }> {
  const variant = baseOf(name);
  return new Promise((resolve, reject) => {
    const extra = EXTRA.get(variant);
    const args = ['--import', 'tsx', serverFile, framework, extra ? (extra.BENCH_VARIANT ?? 'ours') : variant];
    const child = spawn(pin ? 'taskset' : process.execPath, pin ? ['-c', '0', process.execPath, ...args] : args, {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, ...extra, NODE_ENV: 'production' },
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${framework}/${name}: server did not start`)), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /PORT (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, port: Number(m[1]) });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${framework}/${name}: server exited with ${code}`));
    });
  });
}

/** One slice of load: its measured wall time in seconds, requests completed, non-2xx answers, socket errors. */
interface LoadResult {
  seconds: number;
  total: number;
  non2xx: number;
  errors: number;
}

async function load(port: number, seconds: number): Promise<LoadResult> {
  if (loadgen === 'wrk') return loadWrk(port, seconds);
  const r = await autocannon({ url: `http://127.0.0.1:${port}/`, connections, duration: seconds, pipelining: 1 });
  // r.duration is the measured wall time in seconds
  return { seconds: r.duration, total: r.requests.total, non2xx: r.non2xx, errors: r.errors };
}

/**
 * LOADGEN=wrk: the same load from wrk (one thread, `connections` connections; on CPU 1 with PIN=1), a C client whose
 * cost per response hardly grows with the head's length. A cross-check of what the server itself keeps when autocannon
 * is near a full core (see "load generator busy"); its CPU is not in that figure (it is another process).
 */
function loadWrk(port: number, seconds: number): Promise<LoadResult> {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, `http://127.0.0.1:${port}/`];
  return new Promise((resolve, reject) => {
    const child = spawn(pin ? 'taskset' : 'wrk', pin ? ['-c', '1', 'wrk', ...args] : args, {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.once('error', (e) => reject(new Error(`LOADGEN=wrk: cannot run wrk (${e.message})`)));
    child.once('exit', (code) => {
      // "12345 requests in 2.00s, 1.23MB read"
      const m = /(\d+) requests in ([\d.]+)(m?s)/.exec(out);
      if (code !== 0 || m === null) {
        reject(new Error(`LOADGEN=wrk: wrk exited with ${code}: ${out}`));
        return;
      }
      const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0);
      const se = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
      const errors = se === null ? 0 : se.slice(1).reduce((a, x) => a + Number(x), 0);
      resolve({
        seconds: Number(m[2]) / (m[3] === 'ms' ? 1000 : 1),
        total: Number(m[1]),
        non2xx,
        errors,
      });
    });
  });
}

/** CPU time (user + system, µs) the server process has used so far, from /proc (Linux); NaN elsewhere. */
function cpuMicros(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux)
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / 100;
  } catch {
    return Number.NaN;
  }
}

interface Slice {
  rps: number;
  cpuPerReq: number;
  /** Share of one core the load generator (this process, every thread) was busy during the slice. */
  loadBusy: number;
}

/** CPU time (user + system, µs) of this process, every thread. */
const ownCpu = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/**
 * All variants of one framework run side by side (each in its own server process, idle while another is loaded) and
 * the load moves between them in short slices, in a rotating order. Drift of the shared machine (other tenants, other
 * jobs) then hits every variant alike, and the ratio of one cycle's slices cancels it: the median of those per-cycle
 * ratios is the figure reported.
 */
async function measureFramework(framework: string): Promise<Record<string, Slice[]>> {
  const servers: Record<string, { child: ChildProcess; port: number }> = {};
  try {
    const variants = variantsOf(framework).flatMap(copiesOf);
    for (const v of variants) {
      servers[v] = await startServer(framework, v);
      pause(servers[v]!.child);
    }
    // warm-up: JIT (optimising compiles run on a background thread and would otherwise compete for the cores in the
    // first cycles), connection setup
    for (const v of variants) {
      resume(servers[v]!.child);
      await load(servers[v]!.port, warmup);
      pause(servers[v]!.child);
    }
    const out: Record<string, Slice[]> = {};
    for (let cycle = 0; cycle < cycles; cycle++) {
      const order = variants.map((_, i) => variants[(i + cycle) % variants.length]!);
      if (cycle % 2 === 1) order.reverse();
      for (const v of order) {
        const { child, port } = servers[v]!;
        resume(child);
        const cpu0 = cpuMicros(child.pid!);
        const own0 = ownCpu();
        const r = await load(port, slice);
        const own1 = ownCpu();
        const cpu1 = cpuMicros(child.pid!);
        pause(child);
        if (r.non2xx > 0 || r.errors > 0) throw new Error(`${framework}/${v}: ${r.non2xx} non-2xx, ${r.errors} errors`);
        // Server CPU per request does not depend on how much CPU the load generator got.
        (out[v] ??= []).push({
          rps: r.total / r.seconds,
          cpuPerReq: (cpu1 - cpu0) / r.total,
          loadBusy: (own1 - own0) / (r.seconds * 1e6),
        });
      }
      process.stderr.write(
        `  ${framework.padEnd(8)} cycle ${cycle + 1}/${cycles}: ${variants.map((v) => `${v} ${out[v]!.at(-1)!.rps.toFixed(0)} req/s ${out[v]!.at(-1)!.cpuPerReq.toFixed(1)} µs`).join(', ')}\n`,
      );
    }
    return out;
  } finally {
    for (const s of Object.values(servers)) {
      s.child.removeAllListeners('exit');
      s.child.kill('SIGKILL'); // also ends a stopped process
    }
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
/**
 * Median over cycles (and over the variant's processes, with PROCS > 1) of (variant / bare) for a per-slice figure:
 * each cycle's slices ran within seconds of each other. With several bare processes, a cycle's bare figure is their
 * median.
 */
const cycleRatio = (s: Record<string, Slice[]>, v: string, pick: (x: Slice) => number): number =>
  median(copiesOf(v).flatMap((c) => s[c]!.map((x, i) => pick(x) / bareAt(s, i, pick))));
/** Median of a per-slice figure over every cycle of every process of a variant. */
const pooled = (s: Record<string, Slice[]>, v: string, pick: (x: Slice) => number): number =>
  median(copiesOf(v).flatMap((c) => s[c]!.map(pick)));
const bareAt = (s: Record<string, Slice[]>, i: number, pick: (x: Slice) => number): number =>
  median(copiesOf('bare').map((c) => pick(s[c]![i]!)));
/** Each process's own median ratio, for PROCS > 1: how far apart processes of the same code land. */
const perProcess = (s: Record<string, Slice[]>, v: string): string =>
  procs === 1
    ? ''
    : ` [per process ${copiesOf(v)
        .map((c) => median(s[c]!.map((x, i) => x.rps / bareAt(s, i, (y) => y.rps))).toFixed(2))
        .join(' ')}]`;

const results: Record<string, Record<string, Slice[]>> = {};
for (const f of FRAMEWORKS) results[f] = await measureFramework(f);

console.log(
  `\nbench:http — ${loadgen} ${connections} connections, GET / → JSON; ${cycles} cycles of ${slice} s per variant${procs > 1 ? ` and process (${procs} processes per variant)` : ''}, variants interleaved${freeze ? ', idle servers stopped (FREEZE=1)' : ''}${pin ? ', servers on CPU 0 and the load generator on CPU 1 (PIN=1)' : ''}`,
);
console.log(
  `ratio = median over cycles${procs > 1 ? ' and processes' : ''} of (variant req/s / bare req/s in the same cycle${procs > 1 ? ', the median of the bare processes' : ''})`,
);
console.log('framework  bare req/s   ours req/s (ratio)    rival req/s (ratio)   rival stack');
let allOk = true;
for (const f of FRAMEWORKS) {
  const s = results[f]!;
  const rps = (v: string) => pooled(s, v, (x) => x.rps);
  const ro = cycleRatio(s, 'ours', (x) => x.rps);
  const rr = cycleRatio(s, 'rival', (x) => x.rps);
  console.log(
    `${f.padEnd(10)} ${rps('bare').toFixed(0).padStart(10)}   ${rps('ours').toFixed(0).padStart(10)} (${ro.toFixed(2)})   ${rps('rival').toFixed(0).padStart(10)} (${rr.toFixed(2)})    ${RIVAL[f]}`,
  );
  if (procs > 1) console.log(`           ours${perProcess(s, 'ours')}, rival${perProcess(s, 'rival')}`);
  const rf = cycleRatio(s, 'floor', (x) => x.rps);
  console.log(
    `           floor (bare + the same response headers as ours, constant, no logic): ${rps('floor').toFixed(0)} req/s (${rf.toFixed(2)})${perProcess(s, 'floor')}`,
  );
  // the targets of the adapters issue: ahead of the rival, and within 0.05 of the floor
  const beats = ro > rr;
  const keeps = ro >= rf - 0.05;
  if (!beats || !keeps) allOk = false;
  console.log(
    `           target: beats rival ratio ${beats ? 'MET' : 'MISSED'}; within 0.05 of floor (${(ro - rf).toFixed(2)}) ${keeps ? 'MET' : 'MISSED'}`,
  );
  const busy = loadgen === 'autocannon' ? pooled(s, 'ours', (x) => x.loadBusy) : 0;
  if (busy >= 0.9)
    console.log(
      `           (autocannon was ${(busy * 100).toFixed(0)}% busy during ours: that ratio is partly the load generator's limit; LOADGEN=wrk PIN=1 measures the server's)`,
    );
  for (const [name, env] of EXTRA)
    console.log(
      `           ${name} (${env.BENCH_VARIANT ?? 'ours'} with ${Object.entries(env)
        .map(([k, v]) => `${k}=${v}`)
        .join(
          ' ',
        )}): ${rps(name).toFixed(0)} req/s (${cycleRatio(s, name, (x) => x.rps).toFixed(2)}), CPU ratio ${(1 / cycleRatio(s, name, (x) => x.cpuPerReq)).toFixed(2)}${perProcess(s, name)}`,
    );
}
console.log(
  '\nserver CPU per request (µs, median; lower is better; ratio = median over cycles of bare / variant, comparable to the req/s ratio)',
);
for (const f of FRAMEWORKS) {
  const s = results[f]!;
  const [b, o, r, fl] = [...VARIANTS, 'floor'].map((v) => pooled(s, v, (x) => x.cpuPerReq));
  const inv = (v: string) => 1 / cycleRatio(s, v, (x) => x.cpuPerReq);
  console.log(
    `${f.padEnd(10)} bare ${b!.toFixed(1)}   ours ${o!.toFixed(1)} (${inv('ours').toFixed(2)})   rival ${r!.toFixed(1)} (${inv('rival').toFixed(2)})   floor ${fl!.toFixed(1)} (${inv('floor').toFixed(2)})   ours - floor ${(inv('ours') - inv('floor')).toFixed(2)}`,
  );
}
// The load generator (autocannon, this process) parses every response in JavaScript, header line by header line: a
// longer head costs it CPU too. Near 100% of a core it, not the server, sets the req/s of that variant.
if (loadgen === 'autocannon') {
  console.log(
    "\nload generator busy (share of one core, median over cycles; near 100% the figure is the client's limit)",
  );
  for (const f of FRAMEWORKS) {
    const s = results[f]!;
    console.log(
      `${f.padEnd(10)} ${variantsOf(f)
        .map((v) => `${v} ${(pooled(s, v, (x) => x.loadBusy) * 100).toFixed(0)}%`)
        .join('   ')}`,
    );
  }
}
console.log(
  `\nours = @org/${'{express,fastify,hono}'} with headers (helmet preset) + CORS + rate limit (memory) + request log (fdSink to /dev/null, minLength 4096) + request id + X-Response-Time + body limit + timeout`,
);
console.log(
  "rival = the same features from the frameworks' usual packages, its log line (same fields) through pino.destination to /dev/null, minLength 4096",
);
console.log(allOk ? 'all targets met' : 'some targets missed (the machine is shared and noisy: re-run to confirm)');
