// Graceful shutdown of a real server process on SIGTERM (@org/health/node gracefulShutdown), every adapter, every Node.
import { Agent, request } from 'undici';
import { describe, expect, it } from 'vitest';
import { startServer, type Target, targetName } from './harness.js';

const targets: Target[] = (['node20', 'node22', 'node24'] as const).flatMap((runtime) =>
  (['express', 'fastify', 'hono-node'] as const).map((app) => ({ app, runtime })),
);

describe.each(targets.map((t) => [targetName(t), t] as const))('%s', (_name, target) => {
  it('SIGTERM: readiness fails first, an in-flight keep-alive request completes with Connection: close, exit 0', async () => {
    const server = await startServer(target, ['--shutdown']);
    const agent = new Agent({ connections: 2, keepAliveTimeout: 30_000 });
    const get = async (path: string) => {
      const r = await request(`${server.url}${path}`, { dispatcher: agent });
      return { status: r.statusCode, headers: r.headers, body: await r.body.text() };
    };
    try {
      // warm two keep-alive connections
      const warm = await Promise.all([get('/hello'), get('/hello')]);
      expect(warm.map((w) => w.status)).toEqual([200, 200]);
      expect(warm[0]!.headers.connection).not.toBe('close');
      const inflight = get('/work'); // takes 1500 ms: still running when the server stops accepting
      await new Promise((r) => setTimeout(r, 50));
      server.child.kill('SIGTERM');
      // during the pre-stop delay (500 ms): readiness 503 as soon as the signal is handled, liveness still 200
      // (keep-alive client, same sockets)
      let ready = await get('/readyz');
      for (let i = 0; i < 20 && ready.status === 200; i++) {
        await new Promise((r) => setTimeout(r, 10));
        ready = await get('/readyz');
      }
      expect(ready.status).toBe(503);
      const live = await get('/livez');
      expect(live.status).toBe(200);
      const work = await inflight;
      expect(work.status).toBe(200);
      expect(JSON.parse(work.body)).toEqual({ done: true });
      expect(work.headers.connection).toBe('close');
      expect(await server.exit).toEqual({ code: 0, signal: null });
      await expect(request(`${server.url}/hello`, { dispatcher: new Agent() })).rejects.toThrow();
    } finally {
      await agent.close();
      await server.stop();
    }
  }, 30_000);
});
