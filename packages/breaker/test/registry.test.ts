import { once } from 'node:events';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHealth } from '@org/health';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import {
  type BreakerStats,
  breakerRegistry,
  type CircuitBreaker,
  isBreakerError,
  REGISTRY_DEFAULTS,
  type RegistryEvents,
} from '../src/index.js';
import { fails, manualClock, ok } from './helpers.js';

const run = async (p: Promise<unknown>): Promise<unknown> => p.catch((e: unknown) => e);
const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return isBreakerError(e) ? e.code : `not a BreakerError: ${String(e)}`;
  }
  return undefined;
};

describe('breakerRegistry: get-or-create', () => {
  it('creates a breaker once per name and returns the same instance afterwards', () => {
    const reg = breakerRegistry();
    const a = reg.get('payments');
    expect(reg.get('payments')).toBe(a);
    expect(a.name).toBe('payments');
    expect(reg.get('search')).not.toBe(a);
    expect(reg.size).toBe(2);
    expect(reg.has('payments')).toBe(true);
    expect(reg.has('ledger')).toBe(false);
  });

  it('applies shared defaults and per-name overrides (per-name wins, shallowly)', async () => {
    const reg = breakerRegistry({
      defaults: { consecutiveFailures: 2, failureRateThreshold: false },
      breakers: { tolerant: { consecutiveFailures: 4 } },
    });
    const strict = reg.get('strict');
    for (let i = 0; i < 2; i++) await run(strict.execute(fails));
    expect(strict.state).toBe('open');
    const tolerant = reg.get('tolerant');
    for (let i = 0; i < 3; i++) await run(tolerant.execute(fails));
    expect(tolerant.state).toBe('closed');
    await run(tolerant.execute(fails));
    expect(tolerant.state).toBe('open');
  });

  it('create() takes extra options, refuses a taken name, and get() then returns that breaker', async () => {
    const reg = breakerRegistry({ defaults: { consecutiveFailures: 5, failureRateThreshold: false } });
    const one = reg.create('one', { consecutiveFailures: 1 });
    await run(one.execute(fails));
    expect(one.state).toBe('open');
    expect(reg.get('one')).toBe(one);
    expect(codeOf(() => reg.create('one'))).toBe('ERR_BREAKER_EXISTS');
    expect(() => reg.create('one')).toThrow(/a breaker named "one" already exists/);
  });

  it('bounds the number of breakers (names built from request data cannot grow it without limit)', () => {
    const reg = breakerRegistry({ maxBreakers: 2 });
    reg.get('a');
    reg.get('b');
    expect(reg.get('a')).toBeDefined(); // existing names still resolve
    expect(codeOf(() => reg.get('c'))).toBe('ERR_REGISTRY_FULL');
    expect(() => reg.get('c')).toThrow(/maxBreakers \(2\)/);
    expect(reg.size).toBe(2);
    reg.delete('a');
    expect(reg.get('c').name).toBe('c');
    expect(REGISTRY_DEFAULTS.maxBreakers).toBe(1000);
  });

  it('rejects bad options at construction, naming the option (configured breakers are validated up front)', () => {
    expect(() => breakerRegistry(null as never)).toThrow(/options must be an object/);
    expect(() => breakerRegistry({ defaults: { openMs: -1 } })).toThrow(/openMs/);
    expect(() => breakerRegistry({ breakers: { payments: { halfOpenMaxCalls: 0 } } })).toThrow(
      /halfOpenMaxCalls must be an integer >= 1, got 0/,
    );
    expect(() => breakerRegistry({ defaults: { name: 'x' } as never })).toThrow(/defaults.name is not an option/);
    expect(() => breakerRegistry({ defaults: { fallback: () => 1 } as never })).toThrow(/defaults.fallback/);
    expect(() => breakerRegistry({ breakers: { a: 3 as never } })).toThrow(/breakers.a must be an object/);
    expect(() => breakerRegistry({ maxBreakers: 0 })).toThrow(/maxBreakers must be an integer >= 1/);
    const reg = breakerRegistry();
    expect(() => reg.get('')).toThrow(/breaker name must be a non-empty string/);
    expect(() => reg.get(42 as never)).toThrow(TypeError);
    expect(() => reg.create('x', { timeoutMs: 0 })).toThrow(/timeoutMs/);
    expect(reg.has('x')).toBe(false); // a failed create leaves nothing behind
  });

  it('iterates in creation order and forgets deleted names', () => {
    const reg = breakerRegistry();
    for (const n of ['c', 'a', 'b']) reg.get(n);
    expect(reg.names()).toEqual(['c', 'a', 'b']);
    expect([...reg].map(([n, b]) => [n, b.name])).toEqual([
      ['c', 'c'],
      ['a', 'a'],
      ['b', 'b'],
    ]);
    expect(reg.delete('a')).toBe(true);
    expect(reg.delete('a')).toBe(false);
    expect(reg.names()).toEqual(['c', 'b']);
  });
});

describe('breakerRegistry: fallbacks per breaker', () => {
  it('types get(name) by the configured fallback and uses it on failure and rejection', async () => {
    const reg = breakerRegistry({
      defaults: { consecutiveFailures: 1, failureRateThreshold: false },
      breakers: {
        prices: { fallback: ({ reason }) => ({ price: null, stale: true, reason }) },
        ledger: {},
      },
    });
    const prices = reg.get('prices');
    expectTypeOf(prices).toEqualTypeOf<
      CircuitBreaker<{ price: null; stale: boolean; reason: 'open' | 'half-open' | 'isolated' | 'failure' | 'timeout' }>
    >();
    expectTypeOf(reg.get('ledger')).toEqualTypeOf<CircuitBreaker<never>>();
    expectTypeOf(reg.get('anything-else')).toEqualTypeOf<CircuitBreaker<never>>();
    expect(await prices.execute(fails)).toEqual({ price: null, stale: true, reason: 'failure' });
    expect(prices.state).toBe('open');
    expect(await prices.execute(ok)).toEqual({ price: null, stale: true, reason: 'open' });
    // no fallback: the rejection throws
    await run(reg.get('ledger').execute(fails));
    expect(await run(reg.get('ledger').execute(ok))).toMatchObject({ code: 'ERR_CIRCUIT_OPEN' });
  });
});

describe('breakerRegistry: aggregated stats and events', () => {
  it('stats() counts states and holds each breaker stats by name (any name, even __proto__)', async () => {
    const clock = manualClock();
    const reg = breakerRegistry({
      defaults: { consecutiveFailures: 1, failureRateThreshold: false, openMs: 1000, clock: clock.fn },
    });
    await reg.get('a').execute(ok);
    await run(reg.get('b').execute(fails));
    reg.get('c').isolate();
    reg.get('__proto__');
    const s = reg.stats();
    expect(s.size).toBe(4);
    expect(s.states).toEqual({ closed: 2, 'half-open': 0, open: 1, isolated: 1 });
    expect(Object.keys(s.breakers)).toEqual(['a', 'b', 'c', '__proto__']);
    expect((s.breakers.a as BreakerStats).totalSuccesses).toBe(1);
    expect((s.breakers.b as BreakerStats).state).toBe('open');
    const proto = '__proto__';
    expect((s.breakers[proto] as BreakerStats).state).toBe('closed');
    clock.advance(1000); // open time is up: b reads half-open
    expect(reg.stats().states).toEqual({ closed: 2, 'half-open': 1, open: 0, isolated: 1 });
    expect(JSON.parse(JSON.stringify(reg.stats())).breakers.b.state).toBe('half-open');
  });

  it('on() delivers every breaker event with its name, including breakers created later', async () => {
    const reg = breakerRegistry({ defaults: { consecutiveFailures: 1, failureRateThreshold: false } });
    const early = reg.get('early');
    const seen: string[] = [];
    reg.on('stateChange', (e) => seen.push(`${e.name}:${e.from}->${e.to}:${e.reason}`));
    reg.on('failure', (e) => seen.push(`${e.name}:failure`));
    reg.on('success', (e) => seen.push(`${e.name}:success:${typeof e.durationMs}`));
    reg.on('reject', (e) => seen.push(`${e.name}:reject:${e.reason}`));
    reg.on('create', (e) => seen.push(`${e.name}:created`));
    await early.execute(ok);
    const late = reg.get('late');
    await run(late.execute(fails));
    await run(late.execute(ok));
    expect(seen).toEqual([
      'early:success:number',
      'late:created',
      // the state is updated before events are emitted, so stateChange comes first
      'late:closed->open:consecutive-failures',
      'late:failure',
      'late:reject:open',
    ]);
  });

  it('unsubscribing the last listener detaches from every breaker; delete() detaches that breaker', async () => {
    const reg = breakerRegistry({ defaults: { consecutiveFailures: 1, failureRateThreshold: false } });
    const a = reg.get('a');
    const seen: RegistryEvents['failure'][] = [];
    const off1 = reg.on('failure', (e) => seen.push(e));
    const off2 = reg.on('failure', (e) => seen.push(e));
    await run(a.execute(fails));
    expect(seen.map((e) => e.name)).toEqual(['a', 'a']);
    off1();
    off1(); // idempotent
    a.reset();
    await run(a.execute(fails));
    expect(seen).toHaveLength(3);
    off2();
    a.reset();
    await run(a.execute(fails));
    expect(seen).toHaveLength(3);
    // re-subscribing attaches again, and delete() detaches the deleted breaker only
    reg.on('failure', (e) => seen.push(e));
    const b = reg.get('b');
    reg.delete('a');
    a.reset();
    await run(a.execute(fails));
    await run(b.execute(fails));
    expect(seen.slice(3).map((e) => e.name)).toEqual(['b']);
  });

  it('costs a breaker nothing once the last registry listener is gone (no duration measured)', async () => {
    // Clock reads per call are the observable cost of a duration listener: compare with a breaker nobody watched.
    let reads = 0;
    const clock = (): number => {
      reads++;
      return 1000;
    };
    const readsPerCall = async (b: CircuitBreaker<never>): Promise<number> => {
      const before = reads;
      await b.execute(ok);
      return reads - before;
    };
    const reg = breakerRegistry({ defaults: { clock } });
    const baseline = await readsPerCall(reg.get('never-watched'));
    const watched = reg.get('watched');
    const off = reg.on('success', () => {});
    expect(await readsPerCall(watched)).toBeGreaterThan(baseline);
    off();
    expect(await readsPerCall(watched)).toBe(baseline);
  });

  it('a throwing registry listener cannot change the outcome or starve the next listener', async () => {
    const reg = breakerRegistry();
    const seen: string[] = [];
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown): void => {
      uncaught.push(e);
    };
    process.on('uncaughtException', onUncaught);
    try {
      reg.on('success', () => {
        throw new Error('listener bug');
      });
      reg.on('success', (e) => seen.push(e.name));
      expect(await reg.get('x').execute(ok)).toBe('ok');
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(seen).toEqual(['x']);
    expect(uncaught).toHaveLength(1);
  });

  it('rejects unknown events and non-function listeners', () => {
    const reg = breakerRegistry();
    expect(() => reg.on('open' as never, () => {})).toThrow(/unknown event "open"/);
    expect(() => reg.on('success', 'x' as never)).toThrow(/needs a listener function/);
  });
});

describe('breakerRegistry: health check', () => {
  it('passes while closed, warns for open and half-open, fails for isolated; worst wins; names listed', async () => {
    const clock = manualClock();
    const reg = breakerRegistry({
      defaults: { consecutiveFailures: 1, failureRateThreshold: false, openMs: 1000, clock: clock.fn },
    });
    const check = reg.healthCheck();
    expect(check).toMatchObject({ name: 'breakers', probes: ['readiness'], critical: true });
    expect(check.run()).toEqual({ status: 'pass', observedValue: 0, observedUnit: 'breakers' });
    reg.get('ok');
    await run(reg.get('payments').execute(fails));
    await run(reg.get('search').execute(fails));
    expect(check.run()).toEqual({
      status: 'warn',
      observedValue: 2,
      observedUnit: 'breakers',
      output: 'open: payments, search',
    });
    clock.advance(1000);
    expect(check.run().output).toBe('half-open: payments, search');
    const handle = reg.get('ledger').isolate();
    expect(check.run()).toMatchObject({ status: 'fail', observedValue: 3 });
    expect(check.run().output).toBe('half-open: payments, search; isolated: ledger');
    handle.release();
    await reg.get('payments').execute(ok);
    await reg.get('search').execute(ok);
    expect(check.run().status).toBe('pass');
  });

  it('maps states as configured and judges only the included breakers', async () => {
    const reg = breakerRegistry({ defaults: { consecutiveFailures: 1, failureRateThreshold: false } });
    await run(reg.get('payments').execute(fails));
    reg.get('batch').isolate();
    const strict = reg.healthCheck({ name: 'breakers:strict', states: { open: 'fail', isolated: 'warn' } });
    expect(strict.run()).toMatchObject({ status: 'fail', output: 'open: payments; isolated: batch' });
    const lenient = reg.healthCheck({ states: { open: 'pass' }, include: (n) => n !== 'batch' });
    expect(lenient.run()).toEqual({ status: 'pass', observedValue: 0, observedUnit: 'breakers' });
    const liveness = reg.healthCheck({ probes: ['liveness'], critical: false });
    expect(liveness).toMatchObject({ probes: ['liveness'], critical: false });
  });

  it('rejects bad health check options, naming them', () => {
    const reg = breakerRegistry();
    expect(() => reg.healthCheck({ name: 'two words' })).toThrow(/name must look like/);
    expect(() => reg.healthCheck({ name: 'a:b:c' })).toThrow(/name must look like/);
    expect(() => reg.healthCheck({ probes: [] })).toThrow(/probes must be a non-empty array/);
    expect(() => reg.healthCheck({ probes: ['ready' as never] })).toThrow(/probes/);
    expect(() => reg.healthCheck({ critical: 'yes' as never })).toThrow(/critical must be a boolean/);
    expect(() => reg.healthCheck({ states: { broken: 'fail' } as never })).toThrow(/states.broken is not a circuit/);
    expect(() => reg.healthCheck({ states: { open: 'red' as never } })).toThrow(/states.open must be/);
    expect(() => reg.healthCheck({ include: 1 as never })).toThrow(/include must be a function/);
  });
});

describe('breakerRegistry + @org/health: a real readiness probe over HTTP', () => {
  let server: Server | undefined;
  afterEach(async () => {
    if (server?.listening) {
      server.closeAllConnections();
      await new Promise((r) => server!.close(r));
    }
  });

  const get = (port: number, path: string): Promise<{ status: number; type: string; body: any }> =>
    new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, type: String(res.headers['content-type']), body: JSON.parse(text) }),
        );
        res.on('error', reject);
      });
      req.on('error', reject);
      req.setTimeout(5000, () => req.destroy(new Error('probe timed out')));
      req.end();
    });

  it('answers /readyz from the registry: 200 pass, 200 warn while a circuit is open, 503 while isolated', async () => {
    const clock = manualClock();
    const breakers = breakerRegistry({
      defaults: { consecutiveFailures: 1, failureRateThreshold: false, openMs: 5000, clock: clock.fn },
    });
    const health = createHealth({ cacheMs: 0, service: { id: 'registry-test' } });
    // The structural definition is accepted by the real health.check() (type-checked by tsc, run here).
    const off = health.check(breakers.healthCheck());
    server = createServer((req, res) => {
      const probe = health.route(req.method ?? 'GET', req.url ?? '/');
      if (probe === null) {
        res.writeHead(404).end();
        return;
      }
      probe.then((p) => res.writeHead(p.httpStatus, p.headers).end(p.body));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;

    let r = await get(port, '/readyz?verbose');
    expect(r.status).toBe(200);
    expect(r.type).toBe('application/health+json');
    expect(r.body.status).toBe('pass');
    expect(r.body.checks.breakers[0]).toMatchObject({ status: 'pass', observedValue: 0, observedUnit: 'breakers' });

    await run(breakers.get('payments').execute(fails));
    r = await get(port, '/readyz?verbose');
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('warn');
    expect(r.body.checks.breakers[0]).toMatchObject({ status: 'warn', output: 'open: payments' });

    const handle = breakers.get('ledger').isolate();
    r = await get(port, '/readyz?verbose');
    expect(r.status).toBe(503);
    expect(r.body.status).toBe('fail');
    expect(r.body.checks.breakers[0]).toMatchObject({
      status: 'fail',
      observedValue: 2,
      output: 'open: payments; isolated: ledger',
    });
    expect((await get(port, '/livez')).status).toBe(200); // liveness never depends on dependencies

    handle.release();
    clock.advance(5000);
    await breakers.get('payments').execute(ok); // the half-open trial succeeds: closed again
    r = await get(port, '/readyz');
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ status: 'pass' });
    off();
    health.close();
  });
});
