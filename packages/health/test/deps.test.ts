import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import { Redis } from 'ioredis';
import pg from 'pg';
import { Pool as UndiciPool } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { createHealth, pingCheck } from '../src/index.js';
import { eventLoopDelayCheck, httpCheck, memoryCheck, tcpCheck } from '../src/node.js';
import { draftViolations } from './draft-shape.js';

// Where the tests' servers are: REDIS_URL / DATABASE_URL, else the local defaults (the test run's globalSetup starts
// them when down).
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const DATABASE_URL = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const redisAt = new URL(REDIS_URL);

const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createTcpServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });

describe('pingCheck with the real Redis and PostgreSQL', () => {
  it('passes against the shared Redis and PostgreSQL and reports response times', async () => {
    const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await redis.connect();
    cleanups.push(() => redis.quit());
    const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
    cleanups.push(() => pool.end());
    const h = createHealth({ cacheMs: 0, timeoutMs: 2000 });
    h.check(pingCheck({ name: 'redis:responseTime', ping: () => redis.ping(), expect: (r) => r === 'PONG' }));
    h.check(pingCheck({ name: 'pg:responseTime', ping: () => pool.query('select 1 as ok') }));
    const r = await h.readiness({ verbose: true });
    expect(r.httpStatus).toBe(200);
    expect(draftViolations(r.json)).toEqual([]);
    for (const name of ['redis:responseTime', 'pg:responseTime']) {
      const c = r.json.checks?.[name]?.[0];
      expect(c).toMatchObject({ status: 'pass', observedUnit: 'ms', componentType: 'datastore' });
      expect(c?.observedValue).toBeTypeOf('number');
    }
  });

  it('fails readiness when its own throwaway Redis dies, and recovers when it is back', async () => {
    const port = await freePort();
    const start = (): Promise<ChildProcess> =>
      new Promise((resolve, reject) => {
        const p = spawn('redis-server', ['--port', String(port), '--save', '', '--appendonly', 'no'], {
          stdio: ['ignore', 'pipe', 'ignore'],
        });
        p.once('error', reject);
        p.stdout?.on('data', (d: Buffer) => {
          if (d.toString().includes('Ready to accept connections')) resolve(p);
        });
      });
    let server = await start();
    cleanups.push(() => server.kill('SIGKILL'));
    const redis = new Redis({
      host: '127.0.0.1',
      port,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
      retryStrategy: () => 50,
    });
    redis.on('error', () => {});
    cleanups.push(() => redis.disconnect());
    await new Promise((r) => redis.once('ready', r));
    const h = createHealth({ cacheMs: 0, timeoutMs: 500 });
    h.check(pingCheck({ name: 'redis:responseTime', ping: () => redis.ping() }));
    expect((await h.readiness()).httpStatus).toBe(200);
    const dead = new Promise((r) => server.once('exit', r));
    server.kill('SIGKILL');
    await dead;
    await new Promise((r) => redis.once('close', r));
    const down = await h.readiness({ verbose: true });
    expect(down.httpStatus).toBe(503);
    expect(down.json.checks?.['redis:responseTime']?.[0]?.status).toBe('fail');
    expect(down.json.checks?.['redis:responseTime']?.[0]?.output).toBeTypeOf('string');
    expect((await h.liveness()).httpStatus).toBe(200);
    server = await start();
    await new Promise((r) => redis.once('ready', r));
    expect((await h.readiness()).httpStatus).toBe(200);
  });

  it('fails when PostgreSQL is unreachable (nothing listens on the port)', async () => {
    const port = await freePort();
    const pool = new pg.Pool({ host: '127.0.0.1', port, user: 'postgres', connectionTimeoutMillis: 500 });
    cleanups.push(() => pool.end());
    const h = createHealth({ cacheMs: 0, timeoutMs: 1000 });
    h.check(pingCheck({ name: 'pg:responseTime', ping: () => pool.query('select 1') }));
    const r = await h.readiness({ verbose: true });
    expect(r.httpStatus).toBe(503);
    expect(r.json.checks?.['pg:responseTime']?.[0]?.output).toMatch(/ECONNREFUSED|connect/);
  });
});

describe('httpCheck (undici) against real loopback servers', () => {
  let hits = 0;
  const upstream: Server = createServer((req, res) => {
    hits++;
    if (req.url === '/hang') return; // never answers
    res.writeHead(req.url === '/down' ? 500 : 200).end('ok');
  });
  cleanups.push(() => {
    upstream.closeAllConnections();
    return new Promise((r) => upstream.close(r));
  });

  it('passes on 2xx, fails on an unexpected status, times out a hanging upstream', async () => {
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    const dispatcher = new UndiciPool(base);
    cleanups.push(() => dispatcher.destroy());
    const h = createHealth({ cacheMs: 0 });
    h.check(httpCheck({ name: 'up:ok', url: `${base}/ok`, dispatcher }));
    h.check(httpCheck({ name: 'up:down', url: `${base}/down`, critical: false }));
    h.check(httpCheck({ name: 'up:hang', url: `${base}/hang`, timeoutMs: 150, critical: false, dispatcher }));
    h.check(httpCheck({ name: 'up:any', url: `${base}/down`, expectStatus: [500], dispatcher }));
    const t0 = performance.now();
    const r = await h.readiness({ verbose: true });
    expect(performance.now() - t0).toBeLessThan(2000); // does not hang
    const c = r.json.checks ?? {};
    expect(c['up:ok']?.[0]).toMatchObject({ status: 'pass', observedUnit: 'ms', componentType: 'component' });
    expect(c['up:down']?.[0]).toMatchObject({ status: 'warn', output: 'unexpected status 500' });
    expect(c['up:hang']?.[0]).toMatchObject({ status: 'warn', output: 'timed out after 150 ms' });
    expect(c['up:any']?.[0]?.status).toBe('pass');
    expect(r.status).toBe('warn');
    expect(hits).toBe(4);
    expect(() => httpCheck({ url: 'ftp://x/' })).toThrow(
      'httpCheck: url must be an absolute http(s) URL, got "ftp://x/"',
    );
    expect(httpCheck({ url: 'http://db.internal:8080/h' }).name).toBe('db.internal:responseTime');
  });
});

describe('tcpCheck', () => {
  it('passes when a port accepts, fails when nothing listens', async () => {
    const h = createHealth({ cacheMs: 0 });
    h.check(tcpCheck({ host: redisAt.hostname, port: Number(redisAt.port || 6379), critical: false }));
    const closed = await freePort();
    h.check(tcpCheck({ name: 'nothing:connectTime', port: closed, critical: false }));
    const c = (await h.readiness({ verbose: true })).json.checks ?? {};
    expect(c[`${redisAt.hostname}-${redisAt.port || 6379}:connectTime`]?.[0]).toMatchObject({
      status: 'pass',
      observedUnit: 'ms',
    });
    expect(c['nothing:connectTime']?.[0]?.status).toBe('warn');
    expect(c['nothing:connectTime']?.[0]?.output).toMatch(/ECONNREFUSED/);
    expect(() => tcpCheck({ port: 70000 })).toThrow('tcpCheck: port must be an integer in 1..65535, got 70000');
  });
});

describe('process checks', () => {
  it('eventLoopDelayCheck sees a blocked event loop', async () => {
    const h = createHealth({ cacheMs: 0 });
    const def = eventLoopDelayCheck({ warnAboveMs: 50, failAboveMs: 10_000, resolutionMs: 10 });
    h.check(def);
    cleanups.push(() => def.close?.());
    expect((await h.readiness({ verbose: true })).json.checks?.['eventloop:delay']?.[0]?.output).toBe(
      'sampling started',
    );
    await new Promise((r) => setTimeout(r, 50));
    const end = Date.now() + 300;
    while (Date.now() < end) {
      /* block the loop for 300 ms */
    }
    await new Promise((r) => setTimeout(r, 30));
    const c = (await h.readiness({ verbose: true })).json.checks?.['eventloop:delay']?.[0];
    expect(c?.status).toBe('warn');
    expect(c?.observedValue as number).toBeGreaterThan(100);
    expect(() => eventLoopDelayCheck({ warnAboveMs: 5, failAboveMs: 1 })).toThrow(
      'eventLoopDelayCheck: warnAboveMs (5) must not exceed failAboveMs (1)',
    );
  });

  it('memoryCheck reports heap and RSS in bytes against thresholds, on the liveness probe', async () => {
    const h = createHealth({ cacheMs: 0 });
    h.check(memoryCheck());
    h.check(memoryCheck({ measure: 'rss', failAboveBytes: 1 }));
    const r = await h.liveness({ verbose: true });
    const c = r.json.checks ?? {};
    expect(c['memory:heapUsed']?.[0]).toMatchObject({ status: 'pass', observedUnit: 'bytes' });
    expect(c['memory:rss']?.[0]?.status).toBe('fail');
    expect(r.httpStatus).toBe(503);
    expect((await h.readiness()).httpStatus).toBe(200);
    expect(() => memoryCheck({ measure: 'heap' as any })).toThrow(/measure must be/);
  });
});
