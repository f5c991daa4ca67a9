import { describe, expect, it } from 'vitest';
import {
  BREAKER_DEFAULTS,
  type BreakerEvents,
  BreakerTimeoutError,
  CircuitOpenError,
  circuitBreaker,
  isBreakerError,
  isCircuitOpenError,
} from '../src/index.js';
import { boom, deferred, fails, manualClock, ok, settlesWithin } from './helpers.js';

const run = async (p: Promise<unknown>): Promise<unknown> => p.catch((e: unknown) => e);

describe('options', () => {
  it('rejects bad options with an error naming the option and the value', () => {
    expect(() => circuitBreaker({ consecutiveFailures: 0 })).toThrow(
      /consecutiveFailures must be an integer >= 1 or Infinity, got 0/,
    );
    expect(() => circuitBreaker({ failureRateThreshold: 1.5 })).toThrow(/failureRateThreshold .* got 1.5/);
    expect(() => circuitBreaker({ failureRateThreshold: 0 })).toThrow(RangeError);
    expect(() => circuitBreaker({ minimumCalls: 0.5 })).toThrow(/minimumCalls must be an integer >= 1/);
    expect(() => circuitBreaker({ window: { type: 'count', size: 0 } })).toThrow(/window.size/);
    expect(() => circuitBreaker({ window: { type: 'count', size: 5 }, minimumCalls: 6 })).toThrow(
      /minimumCalls \(6\) must be <= window.size \(5\)/,
    );
    expect(() => circuitBreaker({ window: { type: 'time', ms: 0 } })).toThrow(/window.ms must be a finite number > 0/);
    expect(() => circuitBreaker({ window: { type: 'time', ms: 1000, buckets: 0 } })).toThrow(/window.buckets/);
    expect(() => circuitBreaker({ window: { type: 'sliding' } as never })).toThrow(/window.type must be/);
    expect(() => circuitBreaker({ slowCallMs: -1 })).toThrow(/slowCallMs must be a number >= 0 or Infinity, got -1/);
    expect(() => circuitBreaker({ slowCallRateThreshold: 2 })).toThrow(/slowCallRateThreshold/);
    expect(() => circuitBreaker({ openMs: Number.NaN })).toThrow(/openMs must be a number in \[0, 2\^31-1\], got NaN/);
    expect(() => circuitBreaker({ openMs: { initialMs: 100, maxMs: 50 } })).toThrow(/openMs.maxMs/);
    expect(() => circuitBreaker({ openMs: { initialMs: 100, maxMs: 500, factor: 0.5 } })).toThrow(/openMs.factor/);
    expect(() => circuitBreaker({ halfOpenMaxCalls: 0 })).toThrow(/halfOpenMaxCalls must be an integer >= 1, got 0/);
    expect(() => circuitBreaker({ halfOpenSuccesses: -1 })).toThrow(/halfOpenSuccesses/);
    expect(() => circuitBreaker({ timeoutMs: 0 })).toThrow(/timeoutMs must be a number in \(0, 2\^31-1\]/);
    expect(() => circuitBreaker({ isFailure: 'yes' as never })).toThrow(/isFailure must be a function, got string/);
    expect(() => circuitBreaker({ name: '' })).toThrow(/name must be a non-empty string/);
    expect(() => circuitBreaker(null as never)).toThrow(/options must be an object/);
  });

  it('has documented defaults', () => {
    expect(BREAKER_DEFAULTS).toMatchObject({
      consecutiveFailures: 5,
      failureRateThreshold: 0.5,
      minimumCalls: 10,
      openMs: 10_000,
      halfOpenMaxCalls: 1,
      halfOpenSuccesses: 1,
    });
    expect(Object.isFrozen(BREAKER_DEFAULTS)).toBe(true);
    expect(circuitBreaker().state).toBe('closed');
  });
});

describe('tripping', () => {
  it('opens after consecutiveFailures failures in a row; a success resets the run', async () => {
    const b = circuitBreaker({ consecutiveFailures: 3, failureRateThreshold: false });
    await run(b.execute(fails));
    await run(b.execute(fails));
    await b.execute(ok);
    await run(b.execute(fails));
    await run(b.execute(fails));
    expect(b.state).toBe('closed');
    expect(b.stats().consecutiveFailures).toBe(2);
    await run(b.execute(fails));
    expect(b.state).toBe('open');
  });

  it('rejects with a branded ERR_CIRCUIT_OPEN error carrying a numeric retryAfterMs, without calling fn', async () => {
    const clock = manualClock();
    const b = circuitBreaker({ name: 'db', consecutiveFailures: 1, openMs: 5000, clock: clock.fn });
    await run(b.execute(fails));
    clock.advance(1200);
    let called = false;
    const e = await run(
      b.execute(async () => {
        called = true;
      }),
    );
    expect(called).toBe(false);
    expect(e).toBeInstanceOf(CircuitOpenError);
    expect(isBreakerError(e)).toBe(true);
    expect(isCircuitOpenError(e)).toBe(true);
    expect(e).toMatchObject({ code: 'ERR_CIRCUIT_OPEN', reason: 'open', retryAfterMs: 3800 });
    expect((e as Error).message).toBe('circuitBreaker "db": circuit is open, retry after 3800 ms');
    expect(isCircuitOpenError(new Error('x'))).toBe(false);
    expect(isBreakerError({ code: 'ERR_CIRCUIT_OPEN' })).toBe(false);
  });

  it('judges the failure rate only once the count window holds minimumCalls calls', async () => {
    const b = circuitBreaker({
      consecutiveFailures: Number.POSITIVE_INFINITY,
      failureRateThreshold: 0.5,
      minimumCalls: 10,
      window: { type: 'count', size: 20 },
    });
    for (let i = 0; i < 9; i++) await run(b.execute(i % 2 === 0 ? fails : ok)); // 5 failures of 9
    expect(b.state).toBe('closed');
    expect(b.stats()).toMatchObject({ calls: 9, failures: 5 });
    await b.execute(ok); // 5 of 10 = 0.5
    expect(b.state).toBe('open');
  });

  it('the count window forgets the oldest call (ring buffer)', async () => {
    const b = circuitBreaker({
      consecutiveFailures: Number.POSITIVE_INFINITY,
      failureRateThreshold: 0.75,
      minimumCalls: 4,
      window: { type: 'count', size: 4 },
    });
    await run(b.execute(fails));
    await run(b.execute(fails));
    await b.execute(ok);
    await b.execute(ok); // [F F S S] 0.5
    await run(b.execute(fails)); // [F S S F] 0.5
    await run(b.execute(fails)); // [S S F F] 0.5
    expect(b.stats()).toMatchObject({ calls: 4, failures: 2, state: 'closed' });
    await run(b.execute(fails)); // [S F F F] 0.75
    expect(b.state).toBe('open');
  });

  it('the time window drops buckets as they age, and everything after an idle longer than the window', async () => {
    const clock = manualClock(0);
    const b = circuitBreaker({
      consecutiveFailures: Number.POSITIVE_INFINITY,
      failureRateThreshold: 0.5,
      minimumCalls: 4,
      window: { type: 'time', ms: 1000, buckets: 10 },
      clock: clock.fn,
    });
    await run(b.execute(fails)); // t=0, bucket 0
    clock.advance(500);
    await b.execute(ok);
    await b.execute(ok);
    expect(b.stats()).toMatchObject({ calls: 3, failures: 1 });
    clock.advance(500); // t=1000: bucket 0 left the window
    expect(b.stats()).toMatchObject({ calls: 2, failures: 0 });
    await run(b.execute(fails));
    await run(b.execute(fails)); // 2 of 4
    expect(b.state).toBe('open');
    b.reset();
    for (let i = 0; i < 3; i++) await run(b.execute(fails));
    clock.advance(60_000); // idle far longer than the window
    expect(b.stats()).toMatchObject({ calls: 0, failures: 0, slowCalls: 0 });
    await run(b.execute(fails)); // only one call in the window: no stale bucket counts
    expect(b.stats()).toMatchObject({ calls: 1, failures: 1, state: 'closed' });
  });

  it('opens on the slow-call rate', async () => {
    const clock = manualClock();
    const b = circuitBreaker({
      slowCallMs: 100,
      slowCallRateThreshold: 0.5,
      minimumCalls: 4,
      window: { type: 'count', size: 10 },
      clock: clock.fn,
    });
    const slow = async () => {
      clock.advance(150);
      return 'slow';
    };
    const events: BreakerEvents['stateChange'][] = [];
    b.on('stateChange', (e) => events.push(e));
    await b.execute(ok);
    await b.execute(slow);
    await b.execute(ok);
    expect(b.stats()).toMatchObject({ calls: 3, slowCalls: 1, state: 'closed' });
    await b.execute(slow); // 2 of 4 slow
    expect(b.state).toBe('open');
    expect(events).toEqual([{ from: 'closed', to: 'open', reason: 'slow-call-rate' }]);
  });

  it('ignores the outcome of a call admitted before the state changed', async () => {
    const b = circuitBreaker({ consecutiveFailures: 1 });
    const slowFail = deferred<never>();
    const p = run(b.execute(() => slowFail.promise));
    await run(b.execute(fails)); // opens
    b.reset();
    slowFail.reject(new Error('late'));
    await p;
    expect(b.stats()).toMatchObject({ state: 'closed', calls: 0, failures: 0 });
  });
});

describe('open duration and half-open', () => {
  it('turns half-open lazily after openMs (no timer) and closes after halfOpenSuccesses successes', async () => {
    const clock = manualClock();
    const b = circuitBreaker({ consecutiveFailures: 1, openMs: 1000, halfOpenSuccesses: 2, clock: clock.fn });
    await run(b.execute(fails));
    clock.advance(999);
    expect(b.state).toBe('open');
    clock.advance(1);
    expect(b.state).toBe('half-open');
    await b.execute(ok);
    expect(b.state).toBe('half-open');
    await b.execute(ok);
    expect(b.state).toBe('closed');
  });

  it('grows the open duration as a backoff of consecutive opens, capped, and resets it on close', async () => {
    const clock = manualClock();
    const b = circuitBreaker({
      consecutiveFailures: 1,
      openMs: { initialMs: 100, maxMs: 350, factor: 2 },
      clock: clock.fn,
    });
    await run(b.execute(fails));
    const seen: number[] = [];
    for (let i = 0; i < 4; i++) {
      seen.push(b.stats().retryAfterMs);
      clock.advance(b.stats().retryAfterMs);
      await run(b.execute(fails)); // half-open trial fails: reopen
    }
    expect(seen).toEqual([100, 200, 350, 350]);
    expect(b.stats().consecutiveOpens).toBe(5);
    clock.advance(350);
    await b.execute(ok);
    expect(b.state).toBe('closed');
    await run(b.execute(fails));
    expect(b.stats()).toMatchObject({ consecutiveOpens: 1, retryAfterMs: 100 });
  });

  it('admits at most halfOpenMaxCalls trials at once and rejects the rest with reason half-open', async () => {
    const clock = manualClock();
    const b = circuitBreaker({ consecutiveFailures: 1, openMs: 10, halfOpenMaxCalls: 2, clock: clock.fn });
    await run(b.execute(fails));
    clock.advance(10);
    const t1 = deferred<string>();
    const t2 = deferred<string>();
    const p1 = b.execute(() => t1.promise);
    const p2 = b.execute(() => t2.promise);
    expect(b.stats().halfOpenInFlight).toBe(2);
    expect(await b.tryExecute(ok)).toEqual({ ok: false, reason: 'half-open', retryAfterMs: 0 });
    t1.resolve('a');
    expect(await p1).toBe('a');
    expect(b.state).toBe('closed');
    t2.resolve('b');
    expect(await p2).toBe('b'); // a stale trial's outcome counts for nothing
    expect(b.stats().calls).toBe(0);
  });

  it('reopens when a trial fails', async () => {
    const clock = manualClock();
    const b = circuitBreaker({ consecutiveFailures: 1, openMs: 10, clock: clock.fn });
    await run(b.execute(fails));
    clock.advance(10);
    const events: string[] = [];
    b.on('stateChange', (e) => events.push(`${e.from}>${e.to}:${e.reason}`));
    await run(b.execute(fails));
    expect(events).toEqual(['open>half-open:open-elapsed', 'half-open>open:half-open-failure']);
  });

  it('gives the permit back when the caller aborts a trial, so half-open never wedges', async () => {
    const clock = manualClock();
    const b = circuitBreaker({ consecutiveFailures: 1, openMs: 10, clock: clock.fn });
    await run(b.execute(fails));
    clock.advance(10);
    const ac = new AbortController();
    const hung = b.execute(() => new Promise(() => {}), ac.signal); // never settles by itself
    expect((await b.tryExecute(ok)).ok).toBe(false);
    ac.abort(new Error('caller gave up'));
    await expect(settlesWithin(hung, 1000)).rejects.toThrow('caller gave up');
    expect(b.stats()).toMatchObject({ state: 'half-open', halfOpenInFlight: 0, totalIgnored: 1 });
    expect(await b.tryExecute(ok)).toEqual({ ok: true, value: 'ok' });
    expect(b.state).toBe('closed');
  });

  it('gives the permit back when a trial times out (the timeout counts as a failure)', async () => {
    const clock = manualClock();
    const b = circuitBreaker({ consecutiveFailures: 1, openMs: 10, timeoutMs: 20, clock: clock.fn });
    await run(b.execute(fails));
    clock.advance(10);
    let seenSignal: AbortSignal | undefined;
    const hung = b.execute((s) => {
      seenSignal = s;
      return new Promise(() => {});
    });
    const e = await settlesWithin(run(hung), 1000);
    expect(e).toBeInstanceOf(BreakerTimeoutError);
    expect(e).toMatchObject({ code: 'ERR_CIRCUIT_TIMEOUT', timeoutMs: 20 });
    expect(seenSignal?.aborted).toBe(true);
    expect(seenSignal?.reason).toBe(e);
    expect(b.stats()).toMatchObject({ state: 'open', totalTimeouts: 1, consecutiveOpens: 2 });
  });
});

describe('classification', () => {
  it('isFailure: errors it rejects count as successes but still reject', async () => {
    const b = circuitBreaker({
      consecutiveFailures: 1,
      isFailure: (e) => !(e instanceof TypeError),
    });
    const e = await run(
      b.execute(async () => {
        throw new TypeError('not found');
      }),
    );
    expect(e).toBeInstanceOf(TypeError);
    expect(b.stats()).toMatchObject({ state: 'closed', calls: 1, failures: 0, totalSuccesses: 1 });
  });

  it('isResultFailure: a failing result is returned but counts as a failure', async () => {
    const b = circuitBreaker({
      consecutiveFailures: 2,
      isResultFailure: (r) => (r as { status: number }).status >= 500,
    });
    expect(await b.execute(async () => ({ status: 503 }))).toEqual({ status: 503 });
    expect(b.stats()).toMatchObject({ failures: 1, consecutiveFailures: 1 });
    await b.execute(async () => ({ status: 502 }));
    expect(b.state).toBe('open');
  });

  it('a throwing predicate counts the call as a failure instead of corrupting the breaker', async () => {
    const b = circuitBreaker({ consecutiveFailures: 1, isResultFailure: () => boom() });
    expect(await b.execute(ok)).toBe('ok');
    expect(b.state).toBe('open');
  });

  it('caller aborts count as neither success nor failure', async () => {
    const b = circuitBreaker({ consecutiveFailures: 1 });
    const ac = new AbortController();
    const p = b.execute((signal) => {
      return new Promise((_, rej) => signal!.addEventListener('abort', () => rej(new Error('aborted inside'))));
    }, ac.signal);
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
    const pre = new AbortController();
    pre.abort(new Error('already'));
    let called = false;
    await expect(
      b.execute(async () => {
        called = true;
      }, pre.signal),
    ).rejects.toThrow('already');
    expect(called).toBe(false);
    expect(b.stats()).toMatchObject({ state: 'closed', calls: 0, failures: 0, totalIgnored: 1 });
  });

  it('merges timeoutMs into the caller signal: the caller abort still wins and is ignored', async () => {
    const b = circuitBreaker({ consecutiveFailures: 1, timeoutMs: 10_000 });
    const ac = new AbortController();
    let inner: AbortSignal | undefined;
    const p = b.execute((s) => {
      inner = s;
      return new Promise(() => {});
    }, ac.signal);
    expect(inner).not.toBe(ac.signal);
    expect(inner?.aborted).toBe(false);
    ac.abort(new Error('bye'));
    await expect(settlesWithin(p, 1000)).rejects.toThrow('bye');
    expect(inner?.aborted).toBe(true);
    expect(b.state).toBe('closed');
  });

  it('passes the value through when a timed call finishes in time', async () => {
    const b = circuitBreaker({ timeoutMs: 10_000 });
    expect(await b.execute(async (s) => (s instanceof AbortSignal ? 'signal' : 'none'))).toBe('signal');
    expect(b.stats().totalSuccesses).toBe(1);
  });

  it('handles functions that throw synchronously or return plain values', async () => {
    const b = circuitBreaker({ consecutiveFailures: 2 });
    expect(await b.execute(() => 42)).toBe(42);
    await expect(b.execute(boom)).rejects.toThrow('boom');
    expect(b.stats().failures).toBe(1);
  });
});

describe('fallback', () => {
  it('answers rejections (without an error), failures and timeouts', async () => {
    const clock = manualClock();
    const infos: unknown[] = [];
    const b = circuitBreaker({
      consecutiveFailures: 1,
      openMs: 1000,
      timeoutMs: 5,
      clock: clock.fn,
      fallback: (info) => {
        infos.push({ reason: info.reason, hasError: info.error !== undefined, retryAfterMs: info.retryAfterMs });
        return 'fallback' as const;
      },
    });
    expect(await b.execute(fails)).toBe('fallback');
    expect(await b.execute(ok)).toBe('fallback');
    expect(b.executeSync(() => 1)).toBe('fallback');
    b.reset();
    expect(await b.execute(() => new Promise<string>(() => {}))).toBe('fallback');
    expect(infos).toEqual([
      { reason: 'failure', hasError: true, retryAfterMs: 1000 },
      { reason: 'open', hasError: false, retryAfterMs: 1000 },
      { reason: 'open', hasError: false, retryAfterMs: 1000 },
      { reason: 'timeout', hasError: true, retryAfterMs: 1000 },
    ]);
  });

  it('is not used by tryExecute, and a throwing fallback rejects', async () => {
    const b = circuitBreaker({
      consecutiveFailures: 1,
      fallback: (info) => {
        if (info.reason === 'open') throw new Error('no fallback for open');
        return 'fb';
      },
    });
    await expect(b.tryExecute(fails)).rejects.toThrow('boom');
    expect(await b.tryExecute(ok)).toMatchObject({ ok: false, reason: 'open' });
    await expect(b.execute(ok)).rejects.toThrow('no fallback for open');
  });
});

describe('tryExecute and executeSync', () => {
  it('tryExecute builds no Error on the open path', async () => {
    const b = circuitBreaker({ consecutiveFailures: 1 });
    await run(b.execute(fails));
    // CircuitOpenError's constructor assigns this.name: an accessor on its prototype sees every construction.
    let built = 0;
    Object.defineProperty(CircuitOpenError.prototype, 'name', {
      configurable: true,
      get: () => 'CircuitOpenError',
      set: () => {
        built++;
      },
    });
    try {
      for (let i = 0; i < 100; i++) expect((await b.tryExecute(ok)).ok).toBe(false);
      expect(built).toBe(0);
      await run(b.execute(ok));
      expect(built).toBeGreaterThan(0); // the probe works
    } finally {
      delete (CircuitOpenError.prototype as { name?: string }).name;
    }
    expect(b.stats().totalRejections).toBe(101);
  });

  it('executeSync runs, classifies and rejects synchronously', () => {
    const b = circuitBreaker({ consecutiveFailures: 2, isResultFailure: (r) => r === -1 });
    expect(b.executeSync(() => 7)).toBe(7);
    expect(b.executeSync(() => -1)).toBe(-1);
    expect(() => b.executeSync(boom)).toThrow('boom');
    expect(b.state).toBe('open');
    expect(() => b.executeSync(() => 1)).toThrow(CircuitOpenError);
  });
});

describe('isolate, reset', () => {
  it('isolate() holds the circuit open until every handle is released; release is idempotent', async () => {
    const b = circuitBreaker();
    const h1 = b.isolate();
    const h2 = b.isolate();
    expect(await b.tryExecute(ok)).toEqual({ ok: false, reason: 'isolated', retryAfterMs: Number.POSITIVE_INFINITY });
    const e = await run(b.execute(ok));
    expect(e).toMatchObject({ code: 'ERR_CIRCUIT_OPEN', reason: 'isolated' });
    h1.release();
    h1.release();
    expect(b.state).toBe('isolated');
    h2.release();
    expect(b.state).toBe('closed');
    expect(await b.execute(ok)).toBe('ok');
  });

  it('reset() ends isolations; their handles then do nothing', async () => {
    const b = circuitBreaker({ consecutiveFailures: 1 });
    const h = b.isolate();
    b.reset();
    expect(b.state).toBe('closed');
    await run(b.execute(fails));
    h.release();
    expect(b.state).toBe('open');
  });
});

describe('events', () => {
  it('emits success, failure, reject and stateChange; unsubscribe stops them', async () => {
    const clock = manualClock();
    const b = circuitBreaker({ consecutiveFailures: 1, openMs: 100, clock: clock.fn });
    const seen: string[] = [];
    const offs = [
      b.on('success', (e) => seen.push(`success:${e.durationMs}`)),
      b.on('failure', (e) => seen.push(`failure:${(e.error as Error).message}:${e.timeout}`)),
      b.on('reject', (e) => seen.push(`reject:${e.reason}:${e.retryAfterMs}`)),
      b.on('stateChange', (e) => seen.push(`state:${e.from}>${e.to}`)),
    ];
    await b.execute(async () => {
      clock.advance(7);
      return 1;
    });
    await run(b.execute(fails));
    await b.tryExecute(ok);
    for (const off of offs) off();
    await b.tryExecute(ok);
    expect(seen).toEqual(['success:7', 'state:closed>open', 'failure:boom:false', 'reject:open:100']);
    expect(() => b.on('nope' as never, () => {})).toThrow(/unknown event "nope"/);
  });

  it('a throwing listener neither changes the outcome nor the state', async () => {
    const b = circuitBreaker({ consecutiveFailures: 1 });
    b.on('failure', () => {
      throw new Error('listener bug');
    });
    const uncaught: unknown[] = [];
    const handler = (e: unknown) => uncaught.push(e);
    process.on('uncaughtException', handler);
    try {
      await expect(b.execute(fails)).rejects.toThrow('boom');
      await new Promise((r) => setTimeout(r, 10));
    } finally {
      process.off('uncaughtException', handler);
    }
    expect(b.state).toBe('open');
    expect(uncaught).toHaveLength(1);
  });
});

describe('toJSON / restore', () => {
  it('round-trips an open circuit through JSON into a new breaker', async () => {
    const clock = manualClock();
    // one manual clock as both the monotonic and the wall clock: snapshot times read as the clock's own
    const clocks = { clock: clock.fn, wallClock: clock.fn };
    const a = circuitBreaker({ consecutiveFailures: 1, openMs: { initialMs: 100, maxMs: 1000 }, ...clocks });
    await run(a.execute(fails));
    clock.advance(100);
    await run(a.execute(fails)); // second open: 200 ms
    const snap = JSON.parse(JSON.stringify(a));
    expect(snap).toEqual({
      version: 1,
      state: 'open',
      openUntil: clock.now + 200,
      consecutiveOpens: 2,
      consecutiveFailures: 0,
    });
    const b = circuitBreaker({ consecutiveFailures: 1, openMs: { initialMs: 100, maxMs: 1000 }, ...clocks });
    b.restore(snap);
    clock.advance(50);
    expect(await b.tryExecute(ok)).toEqual({ ok: false, reason: 'open', retryAfterMs: 150 });
    clock.advance(150);
    await run(b.execute(fails)); // the backoff continues from the restored count
    expect(b.stats()).toMatchObject({ consecutiveOpens: 3, retryAfterMs: 400 });
  });

  it('restores closed (with its failure run), half-open and isolated states', async () => {
    const b = circuitBreaker({ consecutiveFailures: 3 });
    b.restore({ version: 1, state: 'closed', openUntil: 0, consecutiveOpens: 0, consecutiveFailures: 2 });
    await run(b.execute(fails));
    expect(b.state).toBe('open');
    b.restore({ version: 1, state: 'half-open', openUntil: 0, consecutiveOpens: 1, consecutiveFailures: 0 });
    expect(b.state).toBe('half-open');
    await b.execute(ok);
    expect(b.state).toBe('closed');
    b.restore({ version: 1, state: 'isolated', openUntil: 0, consecutiveOpens: 0, consecutiveFailures: 0 });
    expect((await b.tryExecute(ok)).ok).toBe(false);
    b.reset();
    expect(b.state).toBe('closed');
  });

  it('rejects malformed snapshots with an error naming the field', () => {
    const b = circuitBreaker();
    const good = { version: 1, state: 'open', openUntil: 5, consecutiveOpens: 1, consecutiveFailures: 0 } as const;
    expect(() => b.restore({ ...good, version: 2 } as never)).toThrow(/unsupported snapshot version 2/);
    expect(() => b.restore({ ...good, state: 'ajar' } as never)).toThrow(/state must be one of .* got "ajar"/);
    expect(() => b.restore({ ...good, openUntil: Number.NaN })).toThrow(/openUntil must be a number/);
    expect(() => b.restore({ ...good, consecutiveOpens: -1 })).toThrow(/consecutiveOpens/);
    expect(() => b.restore(null as never)).toThrow(/needs a snapshot object/);
    expect(b.state).toBe('closed');
  });
});
