import { createServer } from 'node:http';
import { connect } from 'node:net';
import { Client, request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { createHealth } from '../src/index.js';
import { gracefulShutdown } from '../src/node.js';
import { killAll, startChild } from './fixtures/child.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
afterAll(killAll);
const phase = (name: string) => (m: Record<string, unknown>) => m.phase === name;

/** A raw keep-alive HTTP/1.1 connection: sends requests one at a time and records errors and the server's FIN. */
async function rawConnection(port: number) {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((r) => socket.once('connect', () => r()));
  const errors: string[] = [];
  socket.on('error', (e) => errors.push(`error ${(e as { code?: string }).code}`));
  let data = '';
  let waiter: (() => void) | undefined;
  socket.on('data', (d) => {
    data += d;
    waiter?.();
  });
  const ended = new Promise<void>((r) => socket.once('end', () => r()));
  return {
    errors,
    ended,
    async get(path: string): Promise<string> {
      data = '';
      socket.write(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n`);
      // /work answers "ok" in one chunk: the response is complete at the last chunk
      while (!data.endsWith('\r\n0\r\n\r\n')) {
        if (socket.destroyed || socket.readableEnded) throw new Error(`connection closed; got ${JSON.stringify(data)}`);
        await new Promise<void>((r) => {
          waiter = r;
          setTimeout(r, 50);
        });
      }
      return data;
    },
  };
}

describe('gracefulShutdown behaviour (real child processes)', () => {
  it('fails readiness first while liveness passes, and answers with Connection: close during the drain', async () => {
    const child = await startChild({ PRESTOP_MS: 600 });
    const base = `http://127.0.0.1:${child.port}`;
    const client = new Client(base, { keepAliveTimeout: 30_000 });
    // a streaming response whose headers went out before the signal
    const stream = request(`${base}/stream?delay=400`, { dispatcher: client, blocking: false }).then(async (r) => ({
      connection: r.headers.connection,
      body: await r.body.text(),
    }));
    await sleep(50);
    child.proc.kill('SIGTERM');
    await child.waitFor(phase('draining'));
    const probe = new Client(base);
    const ready = await request(`${base}/readyz?verbose`, { dispatcher: probe });
    const readyDoc = (await ready.body.json()) as { status: string; output: string };
    const live = await request(`${base}/livez`, { dispatcher: probe });
    await live.body.dump();
    const work = await request(`${base}/work`, { dispatcher: probe });
    await work.body.dump();
    expect([ready.statusCode, readyDoc.status, readyDoc.output]).toEqual([503, 'fail', 'draining: SIGTERM']);
    expect(ready.headers['content-type']).toBe('application/health+json');
    expect(live.statusCode).toBe(200);
    expect(work.statusCode).toBe(200); // still serving during the pre-stop delay
    expect(work.headers.connection).toBe('close');
    expect(await stream).toEqual({ connection: 'keep-alive', body: 'ab' });
    expect(await child.exited).toBe(0);
    await Promise.all([client.close(), probe.close()]);
  });

  it('answers a request sent on an idle kept-alive connection after it stopped accepting, with Connection: close', async () => {
    const child = await startChild({ PRESTOP_MS: 0, KEEPALIVE_MS: 5000 });
    const raw = await rawConnection(child.port);
    expect(await raw.get('/work')).toMatch(/^HTTP\/1.1 200 OK[\s\S]*connection: keep-alive/i);
    // The connection is idle now, and the server promised to keep it open (Keep-Alive: timeout=5).
    child.proc.kill('SIGTERM');
    await child.waitFor(phase('closing'));
    await sleep(50);
    // A client may send on it at any moment: a load balancer's pooled connection, a request already on the wire.
    const second = await raw.get('/work?delay=20');
    expect(second).toMatch(/^HTTP\/1.1 200 OK/);
    expect(second.toLowerCase()).toContain('connection: close');
    await raw.ended;
    expect(raw.errors).toEqual([]);
    expect(await child.exited).toBe(0);
    expect(child.messages.find((m) => m.done)?.done).toMatchObject({ drained: true, idleConnectionsClosed: 0 });
  });

  it('closes a connection left idle with a FIN once it was idle for idleGraceMs, not before', async () => {
    const child = await startChild({ PRESTOP_MS: 0, KEEPALIVE_MS: 60_000, IDLE_GRACE_MS: 800, DRAIN_MS: 5000 });
    const raw = await rawConnection(child.port);
    expect(await raw.get('/work')).toMatch(/^HTTP\/1.1 200 OK[\s\S]*connection: keep-alive/i);
    const idleFrom = performance.now();
    child.proc.kill('SIGTERM');
    await raw.ended;
    const idleFor = performance.now() - idleFrom;
    expect(idleFor).toBeGreaterThanOrEqual(790); // never earlier than the grace (load can only make it later)
    expect(idleFor).toBeLessThan(5000); // generous: not the 60 s keep-alive timeout nor the drain timeout
    expect(raw.errors).toEqual([]);
    expect(await child.exited).toBe(0);
    expect(child.messages.find((m) => m.done)?.done).toMatchObject({ drained: true, idleConnectionsClosed: 1 });
  });

  it('runs hooks in reverse order, each bounded by its timeout, then exits 1', async () => {
    const child = await startChild({ PRESTOP_MS: 0, HOOKS: 'hang', HOOK_TIMEOUT_MS: 200 });
    child.proc.kill('SIGTERM');
    expect(await child.exited).toBe(1);
    const done = child.messages.find((m) => m.done)?.done as { hooks: Array<Record<string, unknown>> };
    expect(done.hooks.map((h) => [h.name, h.ok])).toEqual([
      ['third', false],
      ['second', true],
      ['first', true],
    ]);
    expect(done.hooks[0]?.error).toBe('hook "third" timed out after 200 ms');
    expect(child.messages.find((m) => m.exit !== undefined)?.order).toEqual(['second', 'first']);
  });

  it('exits by the deadline when a hook ignores its timeout signal', async () => {
    const child = await startChild({ PRESTOP_MS: 100, HOOKS: 'ignore', HOOK_TIMEOUT_MS: 60_000, DEADLINE_MS: 800 });
    const t0 = performance.now();
    child.proc.kill('SIGTERM');
    expect(await child.exited).toBe(1);
    const elapsed = performance.now() - t0;
    expect(elapsed).toBeLessThan(800 + 1500); // generous: the deadline fired, not the 60 s hook timeout
    expect(child.messages.find((m) => m.done)?.done).toMatchObject({ exitCode: 1 });
  });

  it('exits at once with 128 + the signal number on a signal after repeatWindowMs', async () => {
    const child = await startChild({ PRESTOP_MS: 8000, DEADLINE_MS: 10_000, REPEAT_MS: 300 });
    child.proc.kill('SIGTERM');
    await child.waitFor(phase('draining'));
    await sleep(400);
    const t0 = performance.now();
    child.proc.kill('SIGINT');
    expect(await child.exited).toBe(130);
    expect(performance.now() - t0).toBeLessThan(1500); // not the 8 s pre-stop delay
    expect(child.messages.some((m) => m.done)).toBe(false);
  });

  it('treats signals within repeatWindowMs as echoes of the first: two SIGINTs 30 ms apart finish the drain', async () => {
    const child = await startChild({ PRESTOP_MS: 0, DRAIN_MS: 3000, DEADLINE_MS: 5000 });
    const base = `http://127.0.0.1:${child.port}`;
    const client = new Client(base);
    const inFlight = request(`${base}/work?delay=400`, { dispatcher: client }).then(async (r) => [
      r.statusCode,
      await r.body.text(),
    ]);
    await sleep(50);
    child.proc.kill('SIGINT');
    await sleep(30);
    child.proc.kill('SIGINT');
    await sleep(30);
    child.proc.kill('SIGTERM'); // pnpm turns a second Ctrl+C into SIGTERM
    expect(await inFlight).toEqual([200, 'ok']);
    expect(await child.exited).toBe(0);
    expect(child.messages.find((m) => m.done)?.done).toMatchObject({ reason: 'SIGINT', drained: true, exitCode: 0 });
    await client.close();
  });

  it('destroys requests still running after drainTimeoutMs and reports them', async () => {
    const child = await startChild({ PRESTOP_MS: 0, DRAIN_MS: 200, DEADLINE_MS: 3000 });
    const base = `http://127.0.0.1:${child.port}`;
    const client = new Client(base);
    const slow = request(`${base}/work?delay=5000`, { dispatcher: client }).then(
      () => 'answered',
      (e: { code?: string }) => e.code,
    );
    await sleep(100);
    child.proc.kill('SIGTERM');
    expect(await child.exited).toBe(1);
    expect(child.messages.find((m) => m.done)?.done).toMatchObject({ drained: false, abortedRequests: 1, exitCode: 1 });
    expect(await slow).toBe('UND_ERR_SOCKET');
    await client.destroy();
  });
});

describe('gracefulShutdown in process', () => {
  it('shutdown() runs the phases, drains the health instance and calls exit once', async () => {
    const server = createServer((_, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const health = createHealth();
    const codes: number[] = [];
    const ctl = gracefulShutdown(server, {
      health,
      signals: ['SIGUSR2'],
      preStopDelayMs: 10,
      exit: (c) => codes.push(c),
      hooks: [() => 'a'],
    });
    const phases: string[] = [];
    ctl.on('phase', (e) => phases.push(e.phase));
    const order: string[] = [];
    ctl.addHook({ name: 'late', run: () => order.push('late') });
    const remove = ctl.addHook(() => order.push('removed'));
    remove();
    expect(ctl.state).toBe('running');
    const [a, b] = await Promise.all([ctl.shutdown('test'), ctl.shutdown('again')]);
    expect(a).toBe(b);
    expect(a).toMatchObject({
      reason: 'test',
      drained: true,
      abortedRequests: 0,
      idleConnectionsClosed: 0,
      exitCode: 0,
    });
    expect(a.hooks.map((h) => h.name)).toEqual(['late', 'hook 1']);
    expect(order).toEqual(['late']);
    expect(phases).toEqual(['draining', 'closing', 'hooks', 'exiting']);
    expect(codes).toEqual([0]);
    expect(health.draining).toBe(true);
    expect(server.listening).toBe(false);
    ctl.dispose();
  });

  it('rejects bad options naming the option', () => {
    const server = createServer();
    expect(() => gracefulShutdown(server, { deadlineMs: 1000, preStopDelayMs: 1000 })).toThrow(
      'gracefulShutdown: deadlineMs (1000) must be greater than preStopDelayMs (1000)',
    );
    expect(() => gracefulShutdown(server, { drainTimeoutMs: -1 })).toThrow(
      'gracefulShutdown: drainTimeoutMs must be a finite number >= 0, got -1',
    );
    expect(() => gracefulShutdown(server, { signals: ['TERM' as any] })).toThrow(/signals must be an array/);
    expect(() => gracefulShutdown(server, { hooks: [{ name: 'x' } as any] })).toThrow(/hooks\[0\] must be/);
    expect(() => gracefulShutdown({} as any)).toThrow(/server must be/);
    expect(process.listenerCount('SIGTERM')).toBe(0);
  });
});
