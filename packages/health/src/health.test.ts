import { describe, expect, it } from 'vitest';
import { draftViolations } from '../test/draft-shape.js';
import { createHealth, HEALTH_MEDIA_TYPE, type HealthEvents, isHealthError, pingCheck } from './index.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('probe output', () => {
  it('is minimal by default and verbose on request, in application/health+json with no-store', async () => {
    const h = createHealth({ service: { id: 'svc', version: '1', releaseId: '1.2.3', description: 'demo' } });
    h.check({ name: 'pg:responseTime', run: () => 12, observedUnit: 'ms', componentType: 'datastore' });
    const min = await h.readiness();
    expect(min.httpStatus).toBe(200);
    expect(min.headers).toEqual({ 'content-type': HEALTH_MEDIA_TYPE, 'cache-control': 'no-store' });
    expect(JSON.parse(min.body)).toEqual({ status: 'pass' });
    const v = await h.readiness({ verbose: true });
    const doc = JSON.parse(v.body);
    expect(doc).toMatchObject({
      status: 'pass',
      version: '1',
      releaseId: '1.2.3',
      serviceId: 'svc',
      description: 'demo',
      checks: {
        'pg:responseTime': [{ status: 'pass', observedValue: 12, observedUnit: 'ms', componentType: 'datastore' }],
      },
    });
    expect(draftViolations(doc)).toEqual([]);
    expect(v.json).toEqual(doc);
  });

  it('validates against the draft shape for pass, warn, fail, timeout and draining', async () => {
    const h = createHealth({ timeoutMs: 30, cacheMs: 0, service: { notes: ['n'], links: { about: 'http://x/' } } });
    h.check({ name: 'a:pass', run: () => ({ observedValue: { nested: 1 }, affectedEndpoints: ['http://x/a'] }) });
    h.check({ name: 'b:warn', critical: false, run: () => false });
    h.check({ name: 'c', run: () => ({ status: 'warn', output: 'hmm', links: { self: 'http://x/c' } }) });
    h.check({ name: 'd:hang', critical: false, run: () => new Promise(() => {}) });
    const docs = [await h.readiness({ verbose: true })];
    h.check({ name: 'e:fail', run: () => Promise.reject(new Error('boom')) });
    docs.push(await h.readiness({ verbose: true }), await h.probe('health', { verbose: true }));
    h.drain('sigterm');
    docs.push(await h.readiness({ verbose: true }), await h.liveness({ verbose: true }));
    for (const d of docs) expect(draftViolations(JSON.parse(d.body))).toEqual([]);
    expect(docs.map((d) => d.status)).toEqual(['warn', 'fail', 'fail', 'fail', 'pass']);
    expect(docs[1]?.json.checks?.['e:fail']?.[0]).toMatchObject({ status: 'fail', output: 'boom' });
    expect(docs[1]?.json.checks?.['d:hang']?.[0]).toMatchObject({ status: 'warn', output: 'timed out after 30 ms' });
    expect(docs[3]?.json.output).toBe('draining: sigterm');
    // the validator itself rejects what the draft forbids
    expect(draftViolations({ status: 'ok', checks: { 'a:b:c': {} } })).toHaveLength(3);
  });

  it('maps status to HTTP: critical fail → 503, non-critical fail → warn 200, all pass → 200', async () => {
    const h = createHealth({ cacheMs: 0 });
    let up = true;
    h.check({ name: 'db:up', run: () => up });
    h.check({ name: 'cache:up', critical: false, run: () => false });
    expect((await h.readiness()).httpStatus).toBe(200);
    expect((await h.readiness()).status).toBe('warn');
    up = false;
    const r = await h.readiness();
    expect([r.status, r.httpStatus, r.body]).toEqual(['fail', 503, '{"status":"fail"}']);
  });

  it('normalises what run returns and reports a thrown error or a bad status as fail', async () => {
    const h = createHealth({ cacheMs: 0 });
    h.check({ name: 'a:void', run: () => undefined });
    h.check({ name: 'a:true', run: () => true });
    h.check({ name: 'a:num', observedUnit: 'ms', run: () => 3 });
    h.check({
      name: 'a:throw',
      critical: false,
      run: () => {
        throw new Error('sync boom');
      },
    });
    h.check({ name: 'a:bad', critical: false, run: () => ({ status: 'ok' as any }) });
    const c = (await h.readiness({ verbose: true })).json.checks ?? {};
    expect(c['a:void']?.[0]?.status).toBe('pass');
    expect(c['a:true']?.[0]?.status).toBe('pass');
    expect(c['a:num']?.[0]).toMatchObject({ observedValue: 3, observedUnit: 'ms' });
    expect(c['a:throw']?.[0]).toMatchObject({ status: 'warn', output: 'sync boom' });
    expect(c['a:bad']?.[0]).toMatchObject({ status: 'warn', output: 'check returned an invalid status "ok"' });
  });
});

describe('running checks', () => {
  it('shares one in-flight run between concurrent probes (single-flight)', async () => {
    const h = createHealth({ cacheMs: 0 });
    let runs = 0;
    h.check({
      name: 'x:slow',
      run: async () => {
        runs++;
        await sleep(20);
      },
    });
    const all = await Promise.all(Array.from({ length: 50 }, () => h.readiness()));
    expect(runs).toBe(1);
    expect(all.every((r) => r.status === 'pass')).toBe(true);
    await h.readiness();
    expect(runs).toBe(2);
  });

  it('reuses a result younger than cacheMs (injected clock)', async () => {
    let now = 1_000_000;
    const h = createHealth({ cacheMs: 500, clock: () => now });
    let runs = 0;
    h.check({
      name: 'x:n',
      run: () => {
        runs++;
      },
    });
    await h.readiness();
    now += 499;
    await h.readiness();
    expect(runs).toBe(1);
    now += 1;
    const r = await h.readiness({ verbose: true });
    expect(runs).toBe(2);
    expect(r.json.checks?.['x:n']?.[0]?.time).toBe(new Date(now).toISOString());
  });

  it('times out a hanging check via its AbortSignal, so the probe answers', async () => {
    const h = createHealth({ timeoutMs: 5000, cacheMs: 0 });
    let aborted: unknown;
    h.check({
      name: 'x:hang',
      timeoutMs: 40,
      run: (signal) =>
        new Promise((_, reject) =>
          signal.addEventListener('abort', () => {
            aborted = signal.reason;
            reject(signal.reason);
          }),
        ),
    });
    const t0 = performance.now();
    const r = await h.readiness({ verbose: true });
    expect(performance.now() - t0).toBeLessThan(1000); // does not hang
    expect(r.httpStatus).toBe(503);
    expect(r.json.checks?.['x:hang']?.[0]?.output).toBe('timed out after 40 ms');
    expect(isHealthError(aborted)).toBe(true);
    expect((aborted as { code: string }).code).toBe('ERR_CHECK_TIMEOUT');
  });

  it('times out each hanging check at its own deadline, and close() settles runs still in flight', async () => {
    const h = createHealth({ cacheMs: 0 });
    h.check({ name: 'slow:hang', critical: false, timeoutMs: 400, run: () => new Promise(() => {}) });
    h.check({ name: 'fast:hang', critical: false, timeoutMs: 30, run: () => new Promise(() => {}) });
    const seen: string[] = [];
    h.on('change', (e) => seen.push(e.name));
    const pending = h.readiness({ verbose: true });
    await sleep(150);
    expect(seen).toEqual(['fast:hang']); // the 30 ms deadline did not wait for the 400 ms one
    const r = await pending;
    expect(seen).toEqual(['fast:hang', 'slow:hang']);
    expect(r.json.checks?.['slow:hang']?.[0]?.output).toBe('timed out after 400 ms');
    const again = h.readiness({ verbose: true });
    h.close();
    const closed = await again;
    expect(closed.json.checks?.['slow:hang']?.[0]?.output).toBe('health instance closed');
  });

  it('answers from the background interval cache and stops on close()', async () => {
    const h = createHealth({ cacheMs: 0 });
    let runs = 0;
    let closed = 0;
    h.check({
      name: 'bg:n',
      intervalMs: 15,
      run: () => {
        runs++;
        return runs;
      },
      close: () => {
        closed++;
      },
    });
    const first = await h.readiness({ verbose: true });
    expect(first.json.checks?.['bg:n']?.[0]?.observedValue).toBe(1);
    const seen = runs;
    await h.readiness();
    await h.readiness();
    expect(runs).toBe(seen); // probes do not run it
    for (let i = 0; i < 100 && runs < seen + 2; i++) await sleep(10);
    expect(runs).toBeGreaterThanOrEqual(seen + 2);
    h.close();
    expect(closed).toBe(1);
    const after = runs;
    await sleep(60);
    expect(runs).toBe(after);
  });

  it('answers from the last background result while the next background run hangs', async () => {
    const h = createHealth({ cacheMs: 0 });
    let runs = 0;
    h.check({
      name: 'bg:hang',
      intervalMs: 10,
      timeoutMs: 80,
      run: () => (++runs === 1 ? Promise.resolve(true) : new Promise(() => {})),
    });
    expect((await h.readiness()).status).toBe('pass'); // waits for the first run only
    for (let i = 0; i < 50 && runs < 2; i++) await sleep(5);
    expect(runs).toBe(2); // the second run is hanging now
    // answered from the cache within the same turn of the event loop, not from the hanging run
    const first = await Promise.race([
      h.readiness().then((r) => r.status),
      new Promise((r) => setImmediate(() => r('waited'))),
    ]);
    expect(first).toBe('pass');
    for (let i = 0; i < 100 && (await h.readiness()).status === 'pass'; i++) await sleep(10);
    const r = await h.readiness({ verbose: true });
    expect(r.json.checks?.['bg:hang']?.[0]?.output).toBe('timed out after 80 ms');
    h.close();
  });

  it('unregisters a check and emits change events only on transitions', async () => {
    const h = createHealth({ cacheMs: 0 });
    let ok = true;
    const events: HealthEvents['change'][] = [];
    const off = h.on('change', (e) => events.push(e));
    const remove = h.check({ name: 'x:flip', run: () => ok });
    await h.readiness();
    await h.readiness();
    ok = false;
    await h.readiness();
    off();
    ok = true;
    await h.readiness();
    expect(events.map((e) => `${e.from}->${e.to}`)).toEqual(['undefined->pass', 'pass->fail']);
    remove();
    expect((await h.readiness({ verbose: true })).json.checks).toEqual({});
    expect(() => h.check({ name: 'x:flip', run: () => true })).not.toThrow();
  });
});

describe('probe semantics', () => {
  it('liveness ignores readiness checks and stays passing while draining; readiness fails', async () => {
    const h = createHealth({ cacheMs: 0 });
    h.check({ name: 'proc:ok', probes: ['liveness'], run: () => true });
    h.check({ name: 'db:down', run: () => false });
    expect((await h.liveness()).httpStatus).toBe(200);
    expect((await h.readiness()).httpStatus).toBe(503);
    const drains: string[] = [];
    h.on('drain', (e) => drains.push(e.reason));
    h.drain('SIGTERM');
    h.drain('again');
    expect(h.draining).toBe(true);
    expect(drains).toEqual(['SIGTERM']);
    expect((await h.liveness()).httpStatus).toBe(200);
    expect((await h.readiness()).httpStatus).toBe(503);
  });

  it('startup fails until ready once, then passes without running checks', async () => {
    const h = createHealth({ cacheMs: 0 });
    let warm = false;
    let runs = 0;
    h.check({
      name: 'cache:warm',
      probes: ['startup'],
      run: () => {
        runs++;
        return warm;
      },
    });
    h.check({ name: 'db:up', run: () => true });
    expect((await h.startup()).httpStatus).toBe(503);
    expect(h.started).toBe(false);
    warm = true;
    expect((await h.startup()).httpStatus).toBe(200);
    expect(h.started).toBe(true);
    warm = false;
    const before = runs;
    expect((await h.startup()).httpStatus).toBe(200);
    expect(runs).toBe(before);
    // readiness does not run startup-only checks
    expect((await h.readiness()).httpStatus).toBe(200);
    expect(runs).toBe(before);
  });
});

describe('route() and fetchHandler()', () => {
  it('routes GET/HEAD on the probe paths, verbose only with ?verbose, null otherwise', async () => {
    const h = createHealth();
    h.check({ name: 'x:y', run: () => true });
    expect(JSON.parse((await h.route('GET', '/readyz'))?.body ?? '')).toEqual({ status: 'pass' });
    expect(JSON.parse((await h.route('GET', '/readyz?verbose'))?.body ?? '').checks).toBeDefined();
    expect(JSON.parse((await h.route('GET', '/health?verbose=0'))?.body ?? '').checks).toBeUndefined();
    expect((await h.route('GET', 'http://host:1/livez?verbose=true'))?.json.checks).toEqual({});
    expect((await h.route('HEAD', '/startupz'))?.body).toBe('{"status":"pass"}'); // for Content-Length
    expect(h.route('POST', '/readyz')).toBeNull();
    expect(h.route('GET', '/readyz/x')).toBeNull();
    expect(h.route('GET', '/')).toBeNull();
  });

  it('follows the verbose policy and custom paths', async () => {
    const never = createHealth({ verbose: 'never', paths: { readiness: '/ready' } });
    expect((await never.route('GET', '/ready?verbose'))?.json.checks).toBeUndefined();
    expect(never.route('GET', '/readyz')).toBeNull();
    const always = createHealth({ verbose: 'always' });
    expect((await always.route('GET', '/readyz'))?.json.checks).toEqual({});
    const token = createHealth({ verbose: (req) => req.header('x-token') === 's3cret' });
    expect((await token.route('GET', '/readyz', () => 'nope'))?.json.checks).toBeUndefined();
    expect((await token.route('GET', '/readyz', (n) => (n === 'x-token' ? 's3cret' : undefined)))?.json.checks).toEqual(
      {},
    );
  });

  it('serves Fetch API requests and falls back for other paths', async () => {
    const h = createHealth({ cacheMs: 0 });
    let up = true;
    h.check({ name: 'db:up', run: () => up });
    const handle = h.fetchHandler({ fallback: () => new Response('app', { status: 200 }) });
    const ok = await handle(new Request('http://x/readyz?verbose'));
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('application/health+json');
    expect(ok.headers.get('cache-control')).toBe('no-store');
    expect(draftViolations(await ok.json())).toEqual([]);
    up = false;
    expect((await handle(new Request('http://x/readyz'))).status).toBe(503);
    expect(await (await handle(new Request('http://x/other'))).text()).toBe('app');
    const head = await handle(new Request('http://x/livez', { method: 'HEAD' }));
    expect([head.status, await head.text()]).toEqual([200, '']);
    expect((await createHealth().fetchHandler()(new Request('http://x/nope'))).status).toBe(404);
  });
});

describe('validation', () => {
  it('rejects bad options naming the option', () => {
    expect(() => createHealth({ timeoutMs: 0 })).toThrow('health: timeoutMs must be a finite number >= 1, got 0');
    expect(() => createHealth({ cacheMs: -1 })).toThrow(RangeError);
    expect(() => createHealth({ verbose: 'yes' as any })).toThrow(/verbose must be/);
    expect(() => createHealth({ paths: { readiness: 'ready' } })).toThrow(/paths.readiness must be a string starting/);
    expect(() => createHealth({ service: { id: 1 as any } })).toThrow(/service.id must be a string/);
  });

  it('rejects bad check definitions naming the field, and duplicates with a HealthError', () => {
    const h = createHealth();
    expect(() => h.check({ name: 'has space', run: () => true })).toThrow(/component:measurement/);
    expect(() => h.check({ name: 'a:b:c', run: () => true })).toThrow(/component:measurement/);
    expect(() => h.check({ name: 'a:b', run: 1 as any })).toThrow('health: check "a:b": run must be a function, got 1');
    expect(() => h.check({ name: 'a:b', probes: ['ready' as any], run: () => true })).toThrow(/probes must be/);
    expect(() => h.check({ name: 'a:b', timeoutMs: 0, run: () => true })).toThrow(/timeoutMs must be/);
    expect(() => h.check({ name: 'a:b', intervalMs: -5, run: () => true })).toThrow(/intervalMs must be/);
    h.check({ name: 'a:b', run: () => true });
    try {
      h.check({ name: 'a:b', run: () => true });
      expect.unreachable();
    } catch (e) {
      expect(isHealthError(e)).toBe(true);
      expect((e as { code: string }).code).toBe('ERR_DUPLICATE_CHECK');
    }
    h.close();
    expect(() => h.check({ name: 'c:d', run: () => true })).toThrow(/after close/);
    expect(() => pingCheck({ name: 'x:y', ping: 'no' as never })).toThrow(
      'pingCheck: ping must be a function, got "no"',
    );
    expect(() => pingCheck({ name: 'x:y', ping: () => 1, warnAboveMs: -1 })).toThrow(/warnAboveMs/);
  });
});

describe('pingCheck', () => {
  it('reports the round trip in ms, warns when slow, fails on an unexpected reply or rejection', async () => {
    let t = 0;
    let reply: unknown = 'PONG';
    const h = createHealth({ cacheMs: 0 });
    h.check(
      pingCheck({
        name: 'fake:responseTime',
        clock: () => t,
        warnAboveMs: 50,
        expect: (r) => r === 'PONG',
        ping: async () => {
          t += 60;
          if (reply instanceof Error) throw reply;
          return reply;
        },
      }),
    );
    const a = (await h.readiness({ verbose: true })).json.checks?.['fake:responseTime']?.[0];
    expect(a).toMatchObject({ status: 'warn', observedValue: 60, observedUnit: 'ms', componentType: 'datastore' });
    reply = 'NOPE';
    expect((await h.readiness({ verbose: true })).json.checks?.['fake:responseTime']?.[0]?.output).toBe(
      'unexpected reply "NOPE"',
    );
    reply = new Error('ECONNREFUSED');
    expect((await h.readiness()).httpStatus).toBe(503);
  });
});
