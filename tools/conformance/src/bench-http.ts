// bench:http — autocannon against each framework bare, with our full stack and with the rival stack.
// Every variant runs in its own server child process (same layout for all); the load generator is this process.
// Printed as requests/s and as a ratio to the same framework's bare server. Options: DURATION=4 CONNECTIONS=10 ROUNDS=1 ONLY=fastify,hono.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

const ALL = ['express', 'fastify', 'hono'] as const;
const FRAMEWORKS = process.env.ONLY ? ALL.filter((f) => process.env.ONLY!.split(',').includes(f)) : ALL;
const VARIANTS = ['bare', 'ours', 'rival'] as const;
const RIVAL: Record<string, string> = {
  express: 'helmet + express-rate-limit',
  fastify: '@fastify/helmet + @fastify/rate-limit',
  hono: 'hono/secure-headers',
};
const duration = Number(process.env.DURATION ?? 4);
const connections = Number(process.env.CONNECTIONS ?? 10);
const rounds = Number(process.env.ROUNDS ?? 1);
const serverFile = fileURLToPath(new URL('./bench-server.ts', import.meta.url));

function startServer(framework: string, variant: string): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', serverFile, framework, variant], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, NODE_ENV: 'production' },
    });
    let out = '';
    const timer = setTimeout(() => reject(new Error(`${framework}/${variant}: server did not start`)), 20_000);
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
      reject(new Error(`${framework}/${variant}: server exited with ${code}`));
    });
  });
}

async function load(
  port: number,
  seconds: number,
): Promise<{ rps: number; total: number; non2xx: number; errors: number }> {
  const r = await autocannon({ url: `http://127.0.0.1:${port}/`, connections, duration: seconds, pipelining: 1 });
  return { rps: r.requests.average, total: r.requests.total, non2xx: r.non2xx, errors: r.errors };
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

async function measure(framework: string, variant: string): Promise<{ rps: number; cpuPerReq: number }> {
  const { child, port } = await startServer(framework, variant);
  try {
    await load(port, 1); // warm-up (JIT, connection setup)
    const cpu0 = cpuMicros(child.pid!);
    const r = await load(port, duration);
    const cpu1 = cpuMicros(child.pid!);
    if (r.non2xx > 0 || r.errors > 0)
      throw new Error(`${framework}/${variant}: ${r.non2xx} non-2xx, ${r.errors} errors`);
    // Server CPU per request does not depend on how much CPU the load generator got: the steadier figure on a busy machine.
    return { rps: r.rps, cpuPerReq: (cpu1 - cpu0) / r.total };
  } finally {
    child.removeAllListeners('exit');
    child.kill('SIGKILL');
  }
}

const results: Record<string, Record<string, number[]>> = {};
const cpu: Record<string, Record<string, number[]>> = {};
for (let round = 0; round < rounds; round++) {
  for (const f of FRAMEWORKS) {
    results[f] ??= {};
    // alternate the order per round so drift (other load on the machine) does not always favour the same variant
    const order = round % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
    for (const v of order) {
      const { rps, cpuPerReq } = await measure(f, v);
      (results[f]![v] ??= []).push(rps);
      ((cpu[f] ??= {})[v] ??= []).push(cpuPerReq);
      process.stderr.write(
        `  ${f.padEnd(8)} ${v.padEnd(6)} ${rps.toFixed(0)} req/s, server CPU ${cpuPerReq.toFixed(1)} µs/req\n`,
      );
    }
  }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
console.log(
  `\nbench:http — autocannon ${connections} connections, ${duration} s per run, ${rounds} round(s), GET / → JSON`,
);
console.log('framework  bare req/s   ours req/s (ratio)    rival req/s (ratio)   rival stack');
let allOk = true;
for (const f of FRAMEWORKS) {
  const bare = median(results[f]!.bare!);
  const ours = median(results[f]!.ours!);
  const rival = median(results[f]!.rival!);
  const ro = ours / bare;
  const rr = rival / bare;
  console.log(
    `${f.padEnd(10)} ${bare.toFixed(0).padStart(10)}   ${ours.toFixed(0).padStart(10)} (${ro.toFixed(2)})   ${rival.toFixed(0).padStart(10)} (${rr.toFixed(2)})    ${RIVAL[f]}`,
  );
  const beats = ro > rr;
  const keeps = f !== 'fastify' || ro >= 0.75;
  if (!beats || !keeps) allOk = false;
  console.log(
    `           target: beats rival ratio ${beats ? 'MET' : 'MISSED'}${f === 'fastify' ? `; >= 0.75 of bare ${keeps ? 'MET' : 'MISSED'}` : ''}`,
  );
}
console.log(
  '\nserver CPU per request (µs, median; lower is better; ratio = bare / variant, comparable to the req/s ratio)',
);
for (const f of FRAMEWORKS) {
  const [b, o, r] = (['bare', 'ours', 'rival'] as const).map((v) => median(cpu[f]![v]!));
  console.log(
    `${f.padEnd(10)} bare ${b!.toFixed(1)}   ours ${o!.toFixed(1)} (${(b! / o!).toFixed(2)})   rival ${r!.toFixed(1)} (${(b! / r!).toFixed(2)})`,
  );
}
console.log(
  `\nours = @org/${'{express,fastify,hono}'} with headers (helmet preset) + CORS + rate limit (memory) + request log (fd sink to /dev/null) + request id + X-Response-Time + body limit + timeout`,
);
console.log(allOk ? 'all targets met' : 'some targets missed (the machine is shared and noisy: re-run to confirm)');
