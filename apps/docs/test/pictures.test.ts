// The pictures are drawn from data (scripts/pictures/*.ts). These tests hold that data against the code: a real
// breaker, a real keyring, real servers of the three adapters and a real graceful shutdown, driven on loopback.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { type CircuitBreaker, circuitBreaker, type TransitionReason } from '@org/breaker';
import { createCipher, createKeyring, isCryptoError, memoryKeyStore } from '@org/crypto';
import { createHealth } from '@org/health';
import { gracefulShutdown } from '@org/health/node';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningServer, startServer } from '../../../tools/conformance/src/harness.js';
import { freshIp, type Res, send, until } from '../../../tools/conformance/src/scenarios.js';
import { RATE_LIMIT } from '../../../tools/conformance/src/stack.js';
import { REQUEST_PATH } from '../scripts/pictures/adapter-path.js';
import { BREAKER_MACHINE } from '../scripts/pictures/breaker-states.js';
import { ROTATION_SCENARIO } from '../scripts/pictures/key-rotation.js';
import { SHUTDOWN_LANES } from '../scripts/pictures/shutdown.js';

describe('picture: breaker states', () => {
  // A compile-time list of every TransitionReason: a reason added to @org/breaker fails the typecheck until it is
  // placed here, and the test below then fails until the picture draws it.
  const ALL_REASONS: Record<TransitionReason, 'drawn' | 'note'> = {
    'consecutive-failures': 'drawn',
    'failure-rate': 'drawn',
    'slow-call-rate': 'drawn',
    'half-open-failure': 'drawn',
    'half-open-success': 'drawn',
    'open-elapsed': 'drawn',
    isolate: 'drawn',
    release: 'drawn',
    reset: 'drawn',
    restore: 'note', // restore(snapshot) can set any state: a note under the picture, not an arrow
  };

  it('draws every transition reason of @org/breaker', () => {
    const drawn = new Set(BREAKER_MACHINE.transitions.flatMap((t) => t.reasons));
    for (const [reason, how] of Object.entries(ALL_REASONS)) expect(drawn.has(reason), reason).toBe(how === 'drawn');
  });

  it('every arrow happens in a real breaker, with the reason drawn, and nothing else happens', async () => {
    let now = 1_000_000;
    const seen = new Set<string>();
    const watch = <F>(b: CircuitBreaker<F>): CircuitBreaker<F> => {
      b.on('stateChange', ({ from, to, reason }) => seen.add(`${from}>${to}:${reason}`));
      return b;
    };
    const clock = () => now;
    const fail = async (): Promise<never> => {
      throw new Error('down');
    };
    const ok = async () => 'ok';
    const open = async (b: CircuitBreaker) => {
      for (let i = 0; i < 3; i++) await b.execute(fail).catch(() => {});
      expect(b.state).toBe('open');
    };
    const halfOpen = async (b: CircuitBreaker) => {
      await open(b);
      now += 1_000;
      expect(b.state).toBe('half-open');
    };
    const mk = (o: Parameters<typeof circuitBreaker>[0] = {}) =>
      watch(circuitBreaker({ consecutiveFailures: 3, openMs: 1_000, clock, ...o }));

    // closed → open, three ways
    await open(mk());
    const byRate = mk({ consecutiveFailures: Number.POSITIVE_INFINITY, minimumCalls: 4, failureRateThreshold: 0.5 });
    for (const f of [ok, fail, ok, fail]) await byRate.execute(f).catch(() => {});
    expect(byRate.state).toBe('open');
    const bySlow = mk({
      consecutiveFailures: Number.POSITIVE_INFINITY,
      failureRateThreshold: false,
      minimumCalls: 2,
      slowCallMs: 10,
      slowCallRateThreshold: 0.5,
    });
    for (let i = 0; i < 2; i++)
      await bySlow.execute(async () => {
        now += 20;
        return 'slow';
      });
    expect(bySlow.state).toBe('open');
    // open → half-open → closed, and half-open → open
    const cycle = mk();
    await halfOpen(cycle);
    await cycle.execute(ok);
    expect(cycle.state).toBe('closed');
    await halfOpen(cycle);
    await cycle.execute(fail).catch(() => {});
    expect(cycle.state).toBe('open');
    // isolate() from each state; release and reset end it
    for (const start of ['closed', 'open', 'half-open'] as const) {
      const b = mk();
      if (start === 'open') await open(b);
      if (start === 'half-open') await halfOpen(b);
      const h = b.isolate();
      expect(b.state).toBe('isolated');
      if (start === 'closed') h.release();
      else b.reset();
      expect(b.state).toBe('closed');
    }
    // reset() from open and from half-open
    const r1 = mk();
    await open(r1);
    r1.reset();
    const r2 = mk();
    await halfOpen(r2);
    r2.reset();

    const drawn = new Set(
      BREAKER_MACHINE.transitions.flatMap((t) => t.from.flatMap((f) => t.reasons.map((r) => `${f}>${t.to}:${r}`))),
    );
    expect([...seen].sort()).toEqual([...drawn].sort());
  });

  it('each state admits or rejects a call as drawn', async () => {
    let now = 0;
    const b = circuitBreaker({ consecutiveFailures: 1, openMs: 5_000, halfOpenMaxCalls: 1, clock: () => now });
    const state = (id: string) => BREAKER_MACHINE.states.find((s) => s.id === id)!;
    expect(state('closed').rejects).toBeUndefined();
    expect(await b.tryExecute(async () => 1)).toEqual({ ok: true, value: 1 });
    await b.execute(async () => Promise.reject(new Error('x'))).catch(() => {});
    now += 1_000;
    const open = await b.tryExecute(async () => 1);
    expect(open).toEqual({ ok: false, reason: state('open').rejects!.reason, retryAfterMs: 4_000 });
    expect(state('open').rejects!.retryAfterMs).toBe('time left');
    now += 4_000;
    let release!: () => void;
    const trial = b.execute(() => new Promise<void>((r) => (release = r)));
    const other = await b.tryExecute(async () => 1);
    expect(other).toEqual({ ok: false, reason: state('half-open').rejects!.reason, retryAfterMs: 0 });
    expect(state('half-open').rejects!.retryAfterMs).toBe('0');
    release();
    await trial;
    b.isolate();
    const iso = await b.tryExecute(async () => 1);
    expect(iso).toEqual({
      ok: false,
      reason: state('isolated').rejects!.reason,
      retryAfterMs: Number.POSITIVE_INFINITY,
    });
    expect(state('isolated').rejects!.retryAfterMs).toBe('Infinity');
  });
});

describe('picture: key rotation', () => {
  it('a real keyring goes through every step with the states drawn', async () => {
    const H = 3_600_000;
    let now = Date.UTC(2026, 0, 1);
    const t0 = now;
    const keyring = await createKeyring({
      store: memoryKeyStore(),
      rotateAfterMs: ROTATION_SCENARIO.rotateAfterHours * H,
      clock: () => now,
    });
    const cipher = createCipher({ keyring });
    /** The picture's names: k1, k2, ... in order of creation. */
    const names = new Map<string, string>();
    const states = (): Record<string, string> => {
      const out: Record<string, string> = {};
      const keys = keyring.list().sort((a, b) => a.createdAt - b.createdAt);
      for (const k of keys) {
        if (!names.has(k.id)) names.set(k.id, `k${names.size + 1}`);
        out[names.get(k.id)!] = k.state;
      }
      return out;
    };
    const idOf = (name: string) => [...names].find(([, n]) => n === name)![0];
    let underK1 = '';
    for (const step of ROTATION_SCENARIO.steps) {
      now = t0 + step.atHours * H;
      const a = step.action;
      if (a.do === 'create') underK1 = await cipher.encryptString('sealed under k1');
      else if (a.do === 'encrypt') await cipher.encryptString('a message');
      else if (a.do === 'stage') await keyring.stage();
      else {
        const moved = await cipher.rewrap(underK1);
        expect(moved).not.toBe(underK1);
        expect(await cipher.decryptString(moved)).toBe('sealed under k1');
        await keyring.setState(idOf(a.key), 'disabled');
        const err = await cipher.decryptString(underK1).catch((e: unknown) => e);
        expect(isCryptoError(err) && err.code).toBe('ERR_KEY_DISABLED');
      }
      expect(states(), `after the step at ${step.atHours} h`).toEqual(step.states);
      // a decrypt-only key still opens what it sealed
      if (step.states.k1 === 'decrypt-only') expect(await cipher.decryptString(underK1)).toBe('sealed under k1');
    }
  });
});

describe('picture: health probes during a graceful shutdown', () => {
  const lane = (name: string) => SHUTDOWN_LANES.find((l) => l.name === name)!;
  const label = (name: string, at: number) => lane(name).segments.find((s) => s.from <= at && at < s.to)?.label ?? '';

  it('readiness, liveness, connections, in-flight requests and hooks behave as drawn', async () => {
    const health = createHealth({ cacheMs: 0 });
    const order: string[] = [];
    const server: Server = createServer((req, res) => {
      const probe = health.route(req.method ?? 'GET', req.url ?? '/');
      if (probe) probe.then((p) => res.writeHead(p.httpStatus, p.headers).end(p.body));
      else setTimeout(() => res.end('done'), 400); // an in-flight request
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const agent = new Agent({ keepAliveTimeout: 30_000 });
    const get = async (path: string, dispatcher: Agent = agent) => {
      const r = await request(`${url}${path}`, { dispatcher });
      return { status: r.statusCode, connection: r.headers.connection, body: await r.body.text() };
    };
    let exitCode = -1;
    try {
      expect((await get('/readyz')).status).toBe(200);
      expect(label('GET /readyz', -1)).toMatch(/^200/);
      const phases: string[] = [];
      const controller = gracefulShutdown(server, {
        health,
        signals: [],
        // long enough for the probes below to reach the server while it drains, even on a loaded machine
        preStopDelayMs: 1_500,
        drainTimeoutMs: 5_000,
        deadlineMs: 8_000,
        hooks: [
          { name: 'hook 1', run: () => void order.push('hook 1') },
          { name: 'hook 2', run: () => void order.push('hook 2') },
        ],
        exit: (code) => {
          exitCode = code;
        },
      });
      const closing = new Promise<void>((resolve) =>
        controller.on('phase', ({ phase }) => {
          phases.push(phase);
          if (phase === 'closing') resolve();
        }),
      );
      const inflight = get('/work');
      await new Promise((r) => setTimeout(r, 50));
      const done = controller.shutdown('SIGTERM');
      // draining (before the listener closes): readiness fails, liveness passes, responses say Connection: close
      const ready = await get('/readyz');
      expect(ready.status).toBe(503);
      expect(label('GET /readyz', 1)).toMatch(/^503/);
      expect(ready.connection).toBe('close');
      const live = await get('/livez', new Agent());
      expect(live.status).toBe(200);
      expect(label('GET /livez', 1)).toMatch(/^200/);
      expect(label('new connections', 1)).toBe('accepted');
      // after the close: new connections are refused, the in-flight request still finishes with Connection: close
      await closing;
      await expect(get('/livez', new Agent())).rejects.toThrow();
      expect(label('GET /livez', 6_000)).toMatch(/refused/);
      const work = await inflight;
      expect(work).toMatchObject({ status: 200, body: 'done', connection: 'close' });
      expect(label('in-flight requests', 1)).toMatch(/Connection: close/);
      const report = await done;
      expect(phases).toEqual(['draining', 'closing', 'hooks', 'exiting']);
      expect(order).toEqual(['hook 2', 'hook 1']); // reverse order, as drawn
      expect(lane('hooks (reverse order)').segments.map((s) => s.label)).toEqual(['hook 2', 'hook 1']);
      expect(report.exitCode).toBe(0);
      expect(exitCode).toBe(0);
    } finally {
      await agent.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(() => r(undefined)));
    }
  });

  it('the deadline ends a shutdown whose hook hangs, with exit code 1', async () => {
    const server = createServer((_req, res) => res.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    let exitCode = -1;
    try {
      const report = await gracefulShutdown(server, {
        signals: [],
        deadlineMs: 200,
        hookTimeoutMs: 60_000,
        hooks: [() => new Promise(() => {})],
        exit: (c) => {
          exitCode = c;
        },
      }).shutdown('test');
      expect(report.exitCode).toBe(1);
      expect(exitCode).toBe(1);
    } finally {
      server.close();
    }
  });
});

// Each adapter's conformance server, in its own process on the host Node (tools/conformance/src/serve.ts).
const SERVERS = { express: 'express', fastify: 'fastify', hono: 'hono-node' } as const;

describe.each(Object.keys(SERVERS) as Array<keyof typeof SERVERS>)(
  'picture: the request path through @org/%s',
  (framework) => {
    let app: RunningServer;
    beforeAll(async () => {
      app = await startServer({ app: SERVERS[framework], runtime: 'node20' });
    }, 60_000);
    afterAll(async () => {
      await app?.stop();
    });
    const dependency = async (state: 'up' | 'down') =>
      expect((await req(`/__control/dependency/${state}`, { method: 'POST' })).status).toBe(200);
    const req = (path: string, o?: Parameters<typeof send>[2]) => send(app.url, path, o);
    /** A client that has used up its rate limit. */
    const exhausted = async (): Promise<string> => {
      const ip = freshIp();
      for (let i = 0; i < RATE_LIMIT; i++) expect((await req('/hello', { clientIp: ip })).status).toBe(200);
      return ip;
    };
    const preflight = (origin: string) => ({
      method: 'OPTIONS' as const,
      headers: { origin, 'access-control-request-method': 'PUT' },
    });
    const big = { method: 'POST' as const, headers: { 'content-type': 'application/octet-stream' } };

    /**
     * One request per answer drawn (`step:status`). Each request comes from a client that is over its rate limit
     * whenever the step is drawn before the rate limit: getting the step's status, not 429, shows the order.
     */
    const probes: Record<string, () => Promise<Res>> = {
      'cors:204': async () => req('/hello', { ...preflight('https://app.example'), clientIp: await exhausted() }),
      'cors:403': async () => req('/hello', { ...preflight('https://evil.example'), clientIp: await exhausted() }),
      'health:200': async () => req('/livez', { clientIp: await exhausted() }),
      'health:503': async () => {
        await dependency('down');
        try {
          return await req('/readyz', { clientIp: await exhausted() });
        } finally {
          await dependency('up');
        }
      },
      'body-declared:413': async () =>
        req('/echo', {
          ...big,
          body: Buffer.alloc(2 * 1024 * 1024),
          clientIp: framework === 'express' ? await exhausted() : freshIp(),
        }),
      'rate-limit:429': async () => req('/hello', { clientIp: await exhausted() }),
      'timeout:503': () => req('/slow'),
      'handler:413': () =>
        req('/echo', {
          ...big,
          body: Readable.from(
            (function* () {
              for (let i = 0; i < 40; i++) yield Buffer.alloc(64 * 1024);
            })(),
          ),
        }),
      'errors:503': () => req('/circuit'),
      'errors:500': () => req('/boom'),
      'errors:404': () => req('/nowhere'),
    };

    it('the note about the declared body size is true: only Express refuses it before the rate limit', async () => {
      const ip = await exhausted();
      const send = () => req('/echo', { ...big, body: Buffer.alloc(2 * 1024 * 1024), clientIp: ip });
      // no retry: a refused upload's answer must survive the close (the adapters' lingering close)
      const r = await send();
      expect(r.status).toBe(framework === 'express' ? 413 : 429);
      expect(REQUEST_PATH.find((s) => s.id === 'body-declared')!.note).toMatch(
        /Express refuses it here; Fastify and Hono/,
      );
    });

    const answers = REQUEST_PATH.flatMap((s) => (s.answers ?? []).map((a) => ({ step: s.id, ...a })));
    it.each(answers.map((a) => [`${a.step}:${a.status}`, a] as const))('answer %s', async (key, a) => {
      const probe = probes[key];
      expect(probe, `the picture draws ${key}: give it a probe in this test`).toBeDefined();
      const id = `pic-${framework}-${key}-${Date.now()}`.replace(/:/g, '.');
      const r = await probe!();
      expect(r.status).toBe(a.status);
      for (const h of a.headers ?? []) expect(r.headers[h], h).toBeDefined();
      // every answer still goes through "head written": request id, security headers, X-Response-Time
      expect(r.headers['x-request-id']).toBeDefined();
      expect(r.headers['content-security-policy']).toBeDefined();
      expect(r.headers['x-response-time']).toMatch(/ms$/);
      if (a.body === 'empty') expect(r.text).toBe('');
      else expect(r.headers['content-type']).toBe(`application/${a.body}`);
      if (a.body === 'problem+json') {
        expect(r.headers['cache-control']).toBe('no-store');
        expect(r.json().requestId).toBe(r.headers['x-request-id']);
      }
      // … and through "response closed": one line at the level its status calls for
      const completed = () =>
        app.logs().find((l) => l.msg === 'request completed' && l.requestId === r.headers['x-request-id']);
      await until(() => completed() !== undefined); // the server's stdout reaches this process a little later
      const line = completed();
      expect(line, id).toMatchObject({ status: a.status, level: a.status >= 500 ? 50 : a.status >= 400 ? 40 : 30 });
    });

    it('a passed request carries every header the steps decide', async () => {
      const r = await req('/hello', { headers: { origin: 'https://app.example' } });
      expect(r.status).toBe(200);
      for (const h of REQUEST_PATH.flatMap((s) => s.sets ?? [])) expect(r.headers[h], h).toBeDefined();
      const mine = () => app.logs().find((l) => l.requestId === r.headers['x-request-id']);
      await until(() => mine() !== undefined);
      const line = mine();
      expect(line).toMatchObject({ msg: 'request completed', status: 200, level: 30, method: 'GET', path: '/hello' });
      expect(Object.keys(line!)).toEqual(
        expect.arrayContaining(['requestId', 'method', 'path', 'status', 'durationMs', 'ip']),
      );
    });
  },
);
