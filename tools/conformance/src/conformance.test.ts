import { gracefulShutdown } from '@org/health/node';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FRAMEWORKS, type RunningApp, startApp } from './apps.js';
import { type Ctx, scenarios, send } from './scenarios.js';
import { buildStack, type Stack } from './stack.js';

describe.each(FRAMEWORKS)('%s', (framework) => {
  let app: RunningApp;
  let stack: Stack;
  let ctx: Ctx;
  beforeAll(async () => {
    stack = buildStack();
    app = await startApp(framework, stack.options, stack.deps);
    ctx = { framework, url: app.url, stack, req: (path, o) => send(app.url, path, o) };
  });
  afterAll(async () => {
    await app?.close();
  });

  it.each(scenarios.map((s) => [s.name, s] as const))('%s', async (_name, s) => {
    await s.run(ctx);
  });

  it('graceful shutdown: readiness fails first, in-flight keep-alive request completes with Connection: close, then exit 0', async () => {
    const st = buildStack({ timeoutMs: 10_000, workMs: 700 });
    const own = await startApp(framework, st.options, st.deps);
    const agent = new Agent({ connections: 2, keepAliveTimeout: 30_000 });
    const get = async (path: string) => {
      const r = await request(`${own.url}${path}`, { dispatcher: agent });
      return { status: r.statusCode, headers: r.headers, body: await r.body.text() };
    };
    let exitCode: number | undefined;
    try {
      // warm two keep-alive connections
      const warm = await Promise.all([get('/hello'), get('/hello')]);
      expect(warm.map((w) => w.status)).toEqual([200, 200]);
      expect(warm[0]!.headers.connection).not.toBe('close');
      const controller = gracefulShutdown(own.server, {
        health: st.options.health as never,
        signals: [],
        preStopDelayMs: 200,
        drainTimeoutMs: 5_000,
        deadlineMs: 8_000,
        exit: (code) => {
          exitCode = code;
        },
      });
      const inflight = get('/work'); // takes 700 ms: still running when the server stops accepting
      await new Promise((r) => setTimeout(r, 50));
      const done = controller.shutdown('test');
      // during the pre-stop delay: readiness 503, liveness still 200 (keep-alive client, same sockets)
      const ready = await get('/readyz');
      expect(ready.status).toBe(503);
      const live = await get('/livez');
      expect(live.status).toBe(200);
      const work = await inflight;
      expect(work.status).toBe(200);
      expect(JSON.parse(work.body)).toEqual({ done: true });
      expect(work.headers.connection).toBe('close');
      const report = await done;
      expect(report.drained).toBe(true);
      expect(report.exitCode).toBe(0);
      expect(exitCode).toBe(0);
      expect(own.server.listening).toBe(false);
      await expect(request(`${own.url}/hello`, { dispatcher: new Agent() })).rejects.toThrow();
    } finally {
      await agent.close();
      await own.close();
    }
  });
});
