import type { ClientRequestArgs } from 'node:http';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RuntimeName, runtimeBin } from '@org/runtimes';
import { buildConnector, Client, Pool, request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { type Child, killAll, startChild } from './fixtures/child.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
afterAll(killAll);

// One rolling-update cycle, as a load balancer sees it. This process is the load balancer and the kubelet: it polls
// /readyz every 50 ms and, once readiness answers 503, removes the endpoint — it opens no new connection to the pod
// (a request that needs one goes to another pod: counted as `rerouted`), but it keeps sending on the connections it
// already has open, as ingress pools do, until the pod closes them. Two real client pools do this at once, each with
// more workers than connections so requests queue and go out the moment a connection frees up: a node:http Agent
// (keepAlive, 4 sockets) and an undici Pool (4 connections). Most requests stream (headers out at once, body
// later), so responses whose headers promised keep-alive before the signal are still running during the drain.
const REROUTED = 'E_TEST_REROUTED';
const rerouted = (): Error =>
  Object.assign(new Error('endpoint removed: the request goes to another pod'), { code: REROUTED });

interface Stats {
  ok: number;
  failed: number;
  rerouted: number;
  connectionClose: number;
  errors: string[];
}
interface Answer {
  status: number;
  body: string;
  connection: string | undefined;
}

class RoutingAgent extends HttpAgent {
  constructor(private readonly lb: { away: boolean }) {
    super({ keepAlive: true, maxSockets: 4 });
  }
  override createConnection(
    options: ClientRequestArgs,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    if (this.lb.away) {
      process.nextTick(() => callback?.(rerouted(), undefined as unknown as Duplex));
      return undefined;
    }
    return super.createConnection(options, callback);
  }
}

// node:http's Agent leaves a queued request waiting forever when it cannot open a connection for an earlier queued
// one (the failed request stays at the head of its queue), and destroy() cannot end a request that has no socket yet.
// Such a request never reached the pod: once the pod is gone the test counts it as rerouted, as a load balancer's
// queue would send it on.
function viaAgent(agent: HttpAgent, port: number, path: string, podGone: Promise<unknown>): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let socketAssigned = false;
    void podGone.then(() =>
      setTimeout(() => {
        if (!socketAssigned) reject(rerouted());
      }, 500),
    );
    const req = httpRequest({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('error', reject);
      res.on('close', () => {
        if (!res.complete) reject(Object.assign(new Error('response cut short'), { code: 'E_INCOMPLETE' }));
        else resolve({ status: res.statusCode ?? 0, body, connection: res.headers.connection });
      });
    });
    req.on('socket', () => {
      socketAssigned = true;
    });
    req.on('error', reject);
    req.end();
  });
}

async function viaPool(pool: Pool, base: string, path: string): Promise<Answer> {
  const res = await request(`${base}${path}`, { dispatcher: pool });
  const connection = res.headers.connection;
  return {
    status: res.statusCode,
    body: await res.body.text(),
    connection: typeof connection === 'string' ? connection : undefined,
  };
}

async function cycle(child: Child, stats: Stats) {
  const base = `http://127.0.0.1:${child.port}`;
  const lb = { away: false };
  const connect = buildConnector({});
  const pool = new Pool(base, {
    connections: 4,
    keepAliveTimeout: 30_000,
    connect: (opts, cb) => (lb.away ? cb(rerouted(), null) : connect(opts, cb)),
  });
  const agent = new RoutingAgent(lb);
  const prober = new Client(base);
  let stopped = false;
  let poolDropped = false;
  const record = async (send: (path: string) => Promise<Answer>, path: string): Promise<boolean> => {
    try {
      const r = await send(path);
      if (r.status === 200 && (r.body === 'ok' || r.body === 'ab')) stats.ok++;
      else {
        stats.failed++;
        stats.errors.push(`${r.status} ${r.body}`);
      }
      if (r.connection === 'close') stats.connectionClose++;
      return true;
    } catch (e) {
      const code = (e as { code?: string }).code ?? '';
      // Still queued in the pool after the pod exited (every socket to it is closed by then): never sent.
      if (code === REROUTED || (code === 'UND_ERR_DESTROYED' && poolDropped)) {
        stats.rerouted++;
        return false; // this client now sends to the replacement pod
      }
      stats.failed++;
      stats.errors.push(`${code} ${(e as Error).message}`);
      return true;
    }
  };
  const path = () =>
    Math.random() < 0.6
      ? `/stream?delay=${Math.floor(Math.random() * 700)}`
      : `/work?delay=${Math.floor(Math.random() * 20)}`;
  const worker = async (send: (path: string) => Promise<Answer>) => {
    while (!stopped && (await record(send, path()))) {}
  };
  const poller = (async () => {
    while (!lb.away) {
      try {
        const r = await request(`${base}/readyz`, { dispatcher: prober });
        await r.body.dump();
        if (r.statusCode === 503) lb.away = true;
      } catch {
        lb.away = true; // an unanswered probe also removes the endpoint
      }
      if (!lb.away) await sleep(50);
    }
  })();
  const sendAgent = (p: string) => viaAgent(agent, child.port, p, child.exited);
  const sendPool = (p: string) => viaPool(pool, base, p);
  const workers = [
    ...Array.from({ length: 6 }, () => worker(sendAgent)),
    ...Array.from({ length: 6 }, () => worker(sendPool)),
  ];
  await sleep(150);
  // in flight through the drain: a slow request (headers not yet sent) and a stream whose headers already went out
  const slow = record(sendPool, '/work?delay=500');
  const stream = record(sendAgent, '/stream?delay=450');
  await sleep(20);
  const t0 = performance.now();
  child.proc.kill('SIGTERM');
  const code = await child.exited;
  const elapsed = performance.now() - t0;
  stopped = true;
  // undici, like node:http's Agent, can leave a request queued with no connection once connecting fails.
  const drop = setTimeout(() => {
    poolDropped = true;
    void pool.destroy();
  }, 500);
  await Promise.all([...workers, poller, slow, stream]);
  clearTimeout(drop);
  agent.destroy();
  await Promise.all([poolDropped ? undefined : pool.close(), prober.close()]);
  return { code, elapsed, done: child.messages.find((m) => m.done)?.done as Record<string, unknown> };
}

const NODES: RuntimeName[] = ['node20', 'node22', 'node24'];

describe.each(NODES)('gracefulShutdown under keep-alive clients that keep reusing their connections (%s)', (node) => {
  it('20 SIGTERM cycles: zero failed requests, every exit before the deadline', { timeout: 120_000 }, async () => {
    const bin = runtimeBin(node);
    // Keep-Alive: timeout=3 → node:http's Agent reuses an idle connection for up to 2 s, undici for up to 1 s; the
    // drain closes a connection idle for 3 s (idleGraceMs defaults to keepAliveTimeout), within DRAIN_MS.
    const DEADLINE_MS = 6000;
    const env = { PRESTOP_MS: 300, KEEPALIVE_MS: 3000, DRAIN_MS: 4000, DEADLINE_MS };
    const stats: Stats = { ok: 0, failed: 0, rerouted: 0, connectionClose: 0, errors: [] };
    const times: number[] = [];
    let idleClosed = 0;
    let next: Promise<Child> | null = startChild(env, bin);
    for (let i = 0; i < 20; i++) {
      const child: Child = await (next as Promise<Child>);
      next = i < 19 ? startChild(env, bin) : null; // the replacement pod starts while this one serves
      const r = await cycle(child, stats);
      expect(r.code).toBe(0);
      expect(r.elapsed).toBeLessThan(DEADLINE_MS);
      expect(r.done).toMatchObject({ drained: true, abortedRequests: 0, exitCode: 0, reason: 'SIGTERM' });
      expect((r.done.hooks as Array<{ name: string }>).map((h) => h.name)).toEqual(['third', 'second', 'first']);
      idleClosed += r.done.idleConnectionsClosed as number;
      times.push(r.elapsed);
    }
    times.sort((a, b) => a - b);
    console.log(
      `[health] ${node}: 20 shutdown cycles: ${stats.ok} ok requests, ${stats.failed} failed, ${stats.rerouted} rerouted, ` +
        `${stats.connectionClose} responses with Connection: close, ${idleClosed} idle connections closed after the grace; SIGTERM→exit min ${times[0]?.toFixed(0)} ms, ` +
        `median ${times[10]?.toFixed(0)} ms, max ${times.at(-1)?.toFixed(0)} ms (deadline ${DEADLINE_MS} ms)`,
    );
    expect(stats.errors).toEqual([]);
    expect(stats.failed).toBe(0);
    expect(stats.ok).toBeGreaterThan(20 * 10);
    expect(stats.connectionClose).toBeGreaterThanOrEqual(20); // at least the slow request of every cycle
  });
});
