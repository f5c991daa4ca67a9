import { Client, Pool, request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { type Child, killAll, startChild } from './fixtures/child.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
afterAll(killAll);
const RESET = new Set(['ECONNRESET', 'UND_ERR_SOCKET', 'EPIPE']);

// One rolling-update cycle, as Kubernetes does it: this process is both the load balancer and the kubelet. It sends
// requests continuously over a keep-alive undici Pool to the current pod and polls /readyz every 50 ms; once readiness
// answers 503 it routes new requests elsewhere (the "endpoint removal"). The pod gets SIGTERM mid-traffic while a slow
// request and a streaming response are in flight.
interface Stats {
  ok: number;
  failed: number;
  resets: number;
  connectionClose: number;
}

async function cycle(child: Child, stats: Stats) {
  const base = `http://127.0.0.1:${child.port}`;
  const pool = new Pool(base, { connections: 4, keepAliveTimeout: 30_000 });
  const prober = new Client(base, { pipelining: 0 });
  let routed = true;
  const record = async (path: string) => {
    try {
      const res = await request(`${base}${path}`, { dispatcher: pool });
      const text = await res.body.text();
      if (res.statusCode === 200 && (text === 'ok' || text === 'ab')) stats.ok++;
      else stats.failed++;
      if (res.headers.connection === 'close') stats.connectionClose++;
    } catch (e) {
      stats.failed++;
      if (RESET.has((e as { code?: string }).code ?? '')) stats.resets++;
      console.error('[health] request failed:', (e as Error).message, (e as { code?: string }).code);
    }
  };
  const worker = async () => {
    while (routed) await record(`/work?delay=${Math.floor(Math.random() * 20)}`);
  };
  const poller = (async () => {
    while (routed) {
      try {
        const r = await request(`${base}/readyz`, { dispatcher: prober });
        await r.body.dump();
        if (r.statusCode === 503) routed = false;
      } catch {
        routed = false; // an unanswered probe also removes the endpoint
      }
      if (routed) await sleep(50);
    }
  })();
  const workers = Array.from({ length: 4 }, worker);
  await sleep(150);
  // in flight through the drain: a slow request (headers not yet sent) and a stream whose headers already went out
  const slow = record('/work?delay=500');
  const stream = record('/stream?delay=450');
  await sleep(20);
  const t0 = performance.now();
  child.proc.kill('SIGTERM');
  const code = await child.exited;
  const elapsed = performance.now() - t0;
  await Promise.all([...workers, poller, slow, stream]);
  await Promise.all([pool.close(), prober.close()]);
  return { code, elapsed, done: child.messages.find((m) => m.done)?.done as Record<string, unknown> };
}

describe('gracefulShutdown under continuous keep-alive traffic', () => {
  it('20 SIGTERM cycles: zero failed requests, zero resets, every exit before the deadline', {
    timeout: 90_000,
  }, async () => {
    const DEADLINE_MS = 4000;
    const env = { PRESTOP_MS: 300, DRAIN_MS: 2000, DEADLINE_MS };
    const stats: Stats = { ok: 0, failed: 0, resets: 0, connectionClose: 0 };
    const times: number[] = [];
    let next: Promise<Child> | null = startChild(env);
    for (let i = 0; i < 20; i++) {
      const child: Child = await (next as Promise<Child>);
      next = i < 19 ? startChild(env) : null; // the replacement pod starts while this one serves
      const r = await cycle(child, stats);
      expect(r.code).toBe(0);
      expect(r.elapsed).toBeLessThan(DEADLINE_MS);
      expect(r.done).toMatchObject({ drained: true, abortedRequests: 0, exitCode: 0, reason: 'SIGTERM' });
      expect((r.done.hooks as Array<{ name: string }>).map((h) => h.name)).toEqual(['third', 'second', 'first']);
      times.push(r.elapsed);
    }
    times.sort((a, b) => a - b);
    console.log(
      `[health] 20 shutdown cycles: ${stats.ok} ok requests, ${stats.failed} failed, ${stats.resets} resets, ` +
        `${stats.connectionClose} responses with Connection: close; SIGTERM→exit min ${times[0]?.toFixed(0)} ms, ` +
        `median ${times[10]?.toFixed(0)} ms, max ${times.at(-1)?.toFixed(0)} ms (deadline ${DEADLINE_MS} ms)`,
    );
    expect(stats.failed).toBe(0);
    expect(stats.resets).toBe(0);
    expect(stats.ok).toBeGreaterThan(20 * 10);
    expect(stats.connectionClose).toBeGreaterThanOrEqual(20); // at least the slow request of every cycle
  });
});
