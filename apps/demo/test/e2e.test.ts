// End to end: the real demo as a child process (`node --import tsx src/main.ts`), driven over HTTP with undici.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Where the tests' Redis is: REDIS_URL, else the local default (the test run's globalSetup starts it when down).
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

const DEMO_DIR = join(import.meta.dirname, '..');
const RATE_LIMIT = 40;
const BREAKER_OPEN_MS = 2_000;
const ORIGIN = 'https://app.example';

interface RunningDemo {
  child: ChildProcess;
  base: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
}

const running: RunningDemo[] = [];
const agent = new Agent({ keepAliveTimeout: 1_000 });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts `node --import tsx src/main.ts` with the given env and waits for its "listening on" line. */
async function startDemo(extraEnv: Record<string, string>): Promise<RunningDemo> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    UPSTREAM_CYCLE_MS: '0',
    RATE_WINDOW_MS: '60000',
    CORS_ORIGINS: ORIGIN,
    LOG_LEVEL: 'info',
  };
  delete env.REDIS_URL;
  delete env.APP_KEK;
  delete env.DATABASE_URL;
  delete env.KEYRING_NAME;
  Object.assign(env, extraEnv);
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], { cwd: DEMO_DIR, env, stdio: 'pipe' });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  let output = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    output += d;
  });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => {
    output += d;
  });
  const demo: RunningDemo = { child, base: '', exited, output: () => output };
  running.push(demo);
  const deadline = Date.now() + 15_000;
  while (!demo.base) {
    const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
    if (m) demo.base = m[1]!;
    else if (child.exitCode !== null) throw new Error(`demo exited early:\n${output}`);
    else if (Date.now() > deadline) throw new Error(`demo did not start within 15 s:\n${output}`);
    else await sleep(50);
  }
  return demo;
}

async function stopDemo(demo: RunningDemo): Promise<unknown> {
  demo.child.kill('SIGTERM');
  return Promise.race([demo.exited, sleep(10_000).then(() => 'timeout' as const)]);
}

async function call(
  base: string,
  path: string,
  opts: { method?: 'GET' | 'POST' | 'OPTIONS'; headers?: Record<string, string>; json?: unknown } = {},
) {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.json !== undefined) headers['content-type'] = 'application/json';
  const res = await request(`${base}${path}`, {
    dispatcher: agent,
    method: opts.method ?? 'GET',
    headers,
    body: opts.json === undefined ? null : JSON.stringify(opts.json),
  });
  const text = await res.body.text();
  const h = (name: string) => {
    const v = res.headers[name];
    return Array.isArray(v) ? v.join(', ') : v;
  };
  return { status: res.statusCode, header: h, text, json: () => JSON.parse(text) };
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else out.push(p);
  }
  return out;
}

afterAll(async () => {
  for (const demo of running) {
    if (demo.child.exitCode === null && demo.child.signalCode === null) {
      demo.child.kill('SIGKILL');
      await demo.exited;
    }
  }
  await agent.close();
});

describe('@org/demo over HTTP (memory rate limit)', () => {
  let demo: RunningDemo;
  let base = '';
  let dataDir = '';
  let output = '';
  const http = (path: string, opts?: Parameters<typeof call>[2]) => call(base, path, opts);

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'org-demo-e2e-'));
    demo = await startDemo({
      DATA_DIR: dataDir,
      BREAKER_OPEN_MS: String(BREAKER_OPEN_MS),
      RATE_LIMIT: String(RATE_LIMIT),
    });
    base = demo.base;
    output = demo.output();
  });
  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });
  it('prints where to look', () => {
    output = demo.output();
    for (const path of ['/notes', '/quote', '/metrics', '/readyz', '/livez'])
      expect(output).toContain(`${base}${path}`);
  });

  it('sends security headers, a CSP nonce, a request id and CORS headers', async () => {
    const r = await http('/', { headers: { origin: ORIGIN } });
    expect(r.status).toBe(200);
    expect(r.header('x-content-type-options')).toBe('nosniff');
    expect(r.header('x-frame-options')).toBe('SAMEORIGIN');
    expect(r.header('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
    expect(r.header('referrer-policy')).toBe('no-referrer');
    expect(r.header('x-powered-by')).toBeUndefined();
    const nonce = /'nonce-([^']+)'/.exec(r.header('content-security-policy') ?? '')?.[1];
    expect(nonce).toBeTruthy();
    expect(r.text).toContain(`nonce="${nonce}"`);
    expect(r.header('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.header('x-response-time')).toMatch(/ms$/);
    expect(r.header('access-control-allow-origin')).toBe(ORIGIN);
    expect(r.header('vary')).toContain('Origin');

    const pre = await http('/notes', {
      method: 'OPTIONS',
      headers: {
        origin: ORIGIN,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(pre.status).toBe(204);
    expect(pre.header('access-control-allow-methods')).toContain('POST');

    const echoed = await http('/livez', { headers: { 'x-request-id': 'e2e-request-1' } });
    expect(echoed.header('x-request-id')).toBe('e2e-request-1');
  });

  it('stores notes encrypted at rest, reads and lists them, survives a key rotation', async () => {
    const title = 'Grocery list for the e2e test';
    const body = 'The launch code is 0000-PLAINTEXT-SHOULD-NOT-BE-ON-DISK';
    const created = await http('/notes', { method: 'POST', json: { title, body } });
    expect(created.status).toBe(201);
    const { id } = created.json() as { id: string };
    expect(created.header('location')).toBe(`/notes/${id}`);

    const read = await http(`/notes/${id}`);
    expect(read.status).toBe(200);
    expect(read.json()).toMatchObject({ id, title, body });

    const list = await http('/notes');
    expect(list.json().notes).toEqual([expect.objectContaining({ id, title, size: Buffer.byteLength(body) })]);

    const files = await filesUnder(dataDir);
    expect(files.some((f) => f.endsWith(`${id}.ocs`))).toBe(true);
    for (const f of files) {
      const bytes = await readFile(f);
      expect(bytes.includes(body), f).toBe(false);
      expect(bytes.includes(title), f).toBe(false);
      expect(bytes.includes('PLAINTEXT'), f).toBe(false);
    }

    const rotated = await http('/admin/rotate-key', { method: 'POST' });
    expect(rotated.status).toBe(200);
    const { previous, primary } = rotated.json() as { previous: string; primary: string };
    expect(primary).not.toBe(previous);
    const keyFile = await readFile(join(dataDir, 'keys.json'), 'utf8');
    expect(keyFile).toContain(previous);
    expect(keyFile).toContain(primary);
    expect((await http(`/notes/${id}`)).json().body).toBe(body); // old key still decrypts
    const second = await http('/notes', { method: 'POST', json: { title: 'after rotation', body: 'second' } });
    expect((await http(`/notes/${second.json().id}`)).json().body).toBe('second');
  });

  it('answers bad note input and unknown ids with problem+json', async () => {
    const bad = await http('/notes', { method: 'POST', json: { title: 'no body' } });
    expect(bad.status).toBe(400);
    expect(bad.header('content-type')).toBe('application/problem+json');
    expect(bad.json()).toMatchObject({
      status: 400,
      code: 'ERR_VALIDATION',
      instance: '/notes',
      issues: [{ in: 'body', path: ['body'], message: expect.any(String) }],
    });
    // unknown keys are refused, and every issue is listed at once
    const extra = await http('/notes', { method: 'POST', json: { title: '', body: 'x', admin: true } });
    expect(extra.status).toBe(400);
    expect((extra.json().issues as Array<{ path: unknown[] }>).map((i) => i.path)).toEqual(
      expect.arrayContaining([['title'], []]),
    );
    const missing = await http('/notes/doesNotExist123');
    expect(missing.status).toBe(404);
    expect(missing.header('content-type')).toBe('application/problem+json');
    expect(missing.json()).toMatchObject({ status: 404, instance: '/notes/doesNotExist123' });
  });

  it('keeps listing notes when one note file is damaged, and names the damaged one', async () => {
    const ok = (await http('/notes', { method: 'POST', json: { title: 'intact', body: 'fine' } })).json().id as string;
    const hurt = (await http('/notes', { method: 'POST', json: { title: 'damaged', body: 'cut short' } })).json()
      .id as string;
    await truncate(join(dataDir, 'notes', `${hurt}.ocs`), 30);
    const list = await http('/notes');
    expect(list.status).toBe(200);
    const ids = (list.json().notes as Array<{ id: string }>).map((n) => n.id);
    expect(ids).toContain(ok);
    expect(ids).not.toContain(hurt);
    expect(list.json().unreadable).toEqual([{ id: hurt, error: 'ERR_STORAGE_CORRUPT' }]);
    expect((await http(`/notes/${ok}`)).json().body).toBe('fine');
    await rm(join(dataDir, 'notes', `${hurt}.ocs`));
  });

  it('opens the circuit when the upstream goes down (503 + Retry-After) and recovers when it is back', async () => {
    const up = await http('/quote');
    expect(up.status).toBe(200);
    expect(up.json()).toMatchObject({ breaker: 'closed', quote: { quote: expect.any(String) } });
    expect((await http('/metrics')).text).toContain('circuit_breaker_state{breaker="upstream",state="closed"} 1');

    expect((await http('/admin/upstream?mode=down', { method: 'POST' })).status).toBe(200);
    const statuses: number[] = [];
    let open: Awaited<ReturnType<typeof http>> | undefined;
    for (let i = 0; i < 10 && !open; i++) {
      const r = await http('/quote');
      statuses.push(r.status);
      if (r.status === 503) open = r;
      else expect(r.status).toBe(502); // retried, then failed: the upstream's 503 surfaces as a bad gateway
    }
    expect(open, `statuses: ${statuses.join(',')}`).toBeDefined();
    expect(statuses[0]).toBe(502);
    expect(open!.header('content-type')).toBe('application/problem+json');
    expect(Number(open!.header('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(Number(open!.header('retry-after'))).toBeLessThanOrEqual(BREAKER_OPEN_MS / 1000);
    expect(open!.json()).toMatchObject({ status: 503, title: 'Service Unavailable', instance: '/quote' });
    expect(open!.text).not.toContain('stack');
    expect((await http('/metrics')).text).toContain('circuit_breaker_state{breaker="upstream",state="open"} 1');

    expect((await http('/admin/upstream?mode=up', { method: 'POST' })).status).toBe(200);
    let recovered = false;
    for (let i = 0; i < 40 && !recovered; i++) {
      const r = await http('/quote');
      if (r.status === 200) recovered = true;
      else {
        expect(r.status).toBe(503);
        await sleep(250);
      }
    }
    expect(recovered).toBe(true);
    expect((await http('/metrics')).text).toContain('circuit_breaker_state{breaker="upstream",state="closed"} 1');
  });

  it('rejects an unknown upstream mode', async () => {
    const r = await http('/admin/upstream?mode=sideways', { method: 'POST' });
    expect(r.status).toBe(400);
    expect(r.json().detail).toContain('mode must be one of');
  });

  it('answers the health probes', async () => {
    const live = await http('/livez');
    expect(live.status).toBe(200);
    expect(live.header('content-type')).toBe('application/health+json');
    expect(live.json()).toEqual({ status: 'pass' });
    const ready = await http('/readyz?verbose');
    expect(ready.status).toBe(200);
    expect(ready.json().status).toMatch(/^(pass|warn)$/);
    expect(Object.keys(ready.json().checks)).toEqual(
      expect.arrayContaining(['upstream:responseTime', 'eventloop:delay']),
    );
  });

  it('rate limits with 429, Retry-After and RateLimit headers, and counts the denials', async () => {
    let denied: Awaited<ReturnType<typeof http>> | undefined;
    let allowed = 0;
    for (let i = 0; i < RATE_LIMIT * 2 && !denied; i++) {
      const r = await http('/notes');
      if (r.status === 429) denied = r;
      else {
        expect(r.status).toBe(200);
        expect(r.header('ratelimit-policy')).toBe(`"api";q=${RATE_LIMIT};w=60`);
        allowed++;
      }
    }
    expect(denied).toBeDefined();
    expect(allowed).toBeLessThanOrEqual(RATE_LIMIT);
    expect(denied!.header('content-type')).toBe('application/problem+json');
    expect(Number(denied!.header('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(denied!.header('ratelimit')).toMatch(/^"api";r=0;t=\d+$/);
    // probes and metrics are not limited
    expect((await http('/livez')).status).toBe(200);
    const metrics = await http('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.header('content-type')).toContain('text/plain');
    expect(metrics.text).toMatch(/ratelimit_decisions_total\{policy="api",decision="limited",source="store"\} [1-9]/);
    expect(metrics.text).toMatch(/http_server_rate_limit_decisions_total\{decision="limited"\} [1-9]/);
    expect(metrics.text).toMatch(
      /http_server_request_duration_seconds_count\{method="GET",route="\/quote",status="503"\} [1-9]/,
    );
    expect(metrics.text).toMatch(
      /http_server_request_duration_seconds_count\{method="GET",route="\/notes",status="429"\} [1-9]/,
    );
    expect(metrics.text).toMatch(/health_check_status\{check="eventloop:delay",status="(pass|warn|fail)"\} 1/);
    // promtool parses the whole exposition; its only complaints are about prom-client's own default metrics
    // (`nodejs_active_handles_total non-counter metrics should not have "_total" suffix`), none about ours
    const lint = spawnSync('/usr/bin/promtool', ['check', 'metrics'], { input: metrics.text, encoding: 'utf8' });
    const problems = `${lint.stdout}${lint.stderr}`.split('\n').filter((l) => l !== '');
    expect(problems.filter((l) => !/^(nodejs|process)_/.test(l))).toEqual([]);
  });

  it('writes one structured log line per request', () => {
    const lines = demo
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const access = lines.filter((l) => l.msg === 'request completed');
    expect(access.length).toBeGreaterThan(10);
    expect(access).toContainEqual(
      expect.objectContaining({
        requestId: 'e2e-request-1',
        path: '/livez',
        status: 200,
        durationMs: expect.any(Number),
      }),
    );
    expect(lines.some((l) => l.msg === 'circuit' && l.breaker === 'upstream' && l.to === 'open')).toBe(true);
  });

  it('shuts down gracefully on SIGTERM with exit code 0', async () => {
    expect(await stopDemo(demo)).toEqual({ code: 0, signal: null });
    const done = demo
      .output()
      .split('\n')
      .filter((l) => l.includes('"shutdown complete"'))
      .map((l) => JSON.parse(l));
    expect(done).toEqual([expect.objectContaining({ reason: 'SIGTERM', drained: true, exitCode: 0 })]);
  });
});

const TEST_KEK = Buffer.alloc(32, 3).toString('base64');

describe('@org/demo over HTTP (REDIS_URL set)', () => {
  const prefix = `demo-e2e-${process.pid}-${Date.now()}:`;
  const keyringName = `demo-e2e-keyring-${process.pid}-${Date.now()}`;
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  let demo: RunningDemo;
  let dataDir = '';

  async function ownKeys(): Promise<string[]> {
    const keys: string[] = [];
    let cursor = '0';
    for (let i = 0; i < 1_000; i++) {
      const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      keys.push(...batch);
      cursor = next;
      if (cursor === '0') break;
    }
    return keys;
  }

  beforeAll(async () => {
    await redis.connect();
    dataDir = await mkdtemp(join(tmpdir(), 'org-demo-e2e-redis-'));
    demo = await startDemo({
      DATA_DIR: dataDir,
      REDIS_URL,
      RATE_LIMIT_PREFIX: prefix,
      RATE_LIMIT: '5',
      APP_KEK: TEST_KEK,
      KEYRING_NAME: keyringName,
    });
  });
  afterAll(async () => {
    const keys = await ownKeys();
    if (keys.length) await redis.del(...keys);
    await redis.del(`${keyringName}:keyring`);
    redis.disconnect();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('checks Redis in readiness and keeps the rate-limit state in Redis', async () => {
    const ready = await call(demo.base, '/readyz?verbose');
    expect(ready.status).toBe(200);
    expect(ready.json().checks['redis:responseTime'][0].status).toBe('pass');

    const statuses: number[] = [];
    for (let i = 0; i < 10 && !statuses.includes(429); i++) statuses.push((await call(demo.base, '/notes')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    const keys = await ownKeys();
    expect(keys).toEqual([`${prefix}{127.0.0.1}:api`]);
    expect(demo.output()).toContain('rate limit   5 requests / 60000 ms per client IP (Redis)');
    // The keyring is shared through Redis too: one hash, the key list sealed under APP_KEK.
    const document = await redis.hget(`${keyringName}:keyring`, 'document');
    expect(JSON.parse(document!)).toEqual(expect.objectContaining({ sealed: expect.any(String) }));
    expect(await readdir(dataDir)).not.toContain('keys.json');
    expect(await stopDemo(demo)).toEqual({ code: 0, signal: null });
  });
});

describe('@org/demo instances sharing one keyring (DATABASE_URL set)', () => {
  const database = 'demo_keyring_test';
  const keyringName = `demo-e2e-${process.pid}-${Date.now()}`;
  const url = `postgres://postgres@127.0.0.1:5432/${database}`;
  let dataDir = '';
  let a: RunningDemo;
  let b: RunningDemo;

  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
    await admin.connect();
    if ((await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database])).rowCount === 0)
      await admin.query(`CREATE DATABASE ${database}`).catch((e: { code?: string }) => {
        if (e.code !== '42P04') throw e;
      });
    await admin.end();
    dataDir = await mkdtemp(join(tmpdir(), 'org-demo-e2e-pg-'));
    const env = { DATA_DIR: dataDir, DATABASE_URL: url, APP_KEK: TEST_KEK, KEYRING_NAME: keyringName };
    [a, b] = await Promise.all([startDemo(env), startDemo(env)]);
  });
  afterAll(async () => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('DELETE FROM org_crypto_keyring WHERE name = $1', [keyringName]).catch(() => undefined);
    await client.end();
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('a note sealed by one instance after a rotation opens on the other; the row holds only the sealed keyring', async () => {
    const rotated = (await call(a.base, '/admin/rotate-key', { method: 'POST' })).json() as { primary: string };
    const created = await call(a.base, '/notes', { method: 'POST', json: { title: 'shared', body: 'sealed by a' } });
    expect(created.status).toBe(201);
    const { id } = created.json() as { id: string };
    // b has not seen the new key: it reloads the keyring once and opens the note.
    const read = await call(b.base, `/notes/${id}`);
    expect(read.status).toBe(200);
    expect(read.json()).toMatchObject({ id, body: 'sealed by a' });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    const row = (
      await client.query('SELECT version::int AS version, document FROM org_crypto_keyring WHERE name = $1', [
        keyringName,
      ])
    ).rows[0] as { version: number; document: string };
    await client.end();
    expect(row.version).toBe(2); // the first key (one instance made it, the other adopted it) and one rotation
    expect(JSON.parse(row.document)).toEqual(expect.objectContaining({ sealed: expect.any(String) }));
    expect(row.document).not.toContain(rotated.primary);
    expect(a.output()).toContain(`keyring shared in PostgreSQL, row ${keyringName}`);
    expect(await readdir(dataDir)).not.toContain('keys.json');
    expect(await Promise.all([stopDemo(a), stopDemo(b)])).toEqual([
      { code: 0, signal: null },
      { code: 0, signal: null },
    ]);
  });
});
