import { getEventListeners } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AttemptTimeoutError,
  type GiveUpEvent,
  isRetryError,
  RetryError,
  type RetryEvent,
  type RetryOptions,
  retry,
  retryBudget,
  retryPolicy,
} from './index.js';
import { pendingAbortCallbacks } from './internal/abort.js';

/** Deterministic time: the injected sleep advances the injected clock instead of waiting. */
function fakeTime(): { opts: Pick<RetryOptions, 'clock' | 'sleep'>; sleeps: number[]; advance(ms: number): void } {
  let now = 1_000;
  const sleeps: number[] = [];
  return {
    sleeps,
    opts: {
      clock: () => now,
      sleep: async (ms) => {
        sleeps.push(ms);
        now += ms;
      },
    },
    advance: (ms) => {
      now += ms;
    },
  };
}

/** Fails `n` times with the given errors (or a fresh Error), then returns `value`. */
function flaky<T>(n: number, value: T, error: () => unknown = () => new Error('flaky')) {
  const calls: number[] = [];
  const fn = async ({ attempt }: { attempt: number }): Promise<T> => {
    calls.push(attempt);
    if (calls.length <= n) throw error();
    return value;
  };
  return { fn, calls };
}

const activeTimers = (): number => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
let timersBefore = 0;
afterEach(() => {
  timersBefore = 0;
});

describe('retry: attempts and outcomes', () => {
  it('returns the first success and passes the 1-based attempt number', async () => {
    const t = fakeTime();
    const { fn, calls } = flaky(2, 'ok');
    await expect(retry(fn, { ...t.opts, attempts: 5 })).resolves.toBe('ok');
    expect(calls).toEqual([1, 2, 3]);
    expect(t.sleeps).toHaveLength(2);
  });

  it('rethrows the last error (as is) once attempts are exhausted', async () => {
    const t = fakeTime();
    let n = 0;
    const errors: Error[] = [];
    const p = retry(
      async () => {
        const e = new Error(`fail ${++n}`);
        errors.push(e);
        throw e;
      },
      { ...t.opts, attempts: 4 },
    );
    const got = await p.catch((e: unknown) => e);
    expect(got).toBe(errors[3]);
    expect(n).toBe(4);
    expect(errors).toHaveLength(4);
  });

  it('works with a synchronous function, and with a value thrown that is not an Error', async () => {
    const t = fakeTime();
    let n = 0;
    await expect(
      retry(() => {
        if (++n < 3) throw 'plain string';
        return n;
      }, t.opts),
    ).resolves.toBe(3);
    await expect(retry(() => Promise.reject(42), { ...t.opts, attempts: 2 })).rejects.toBe(42);
  });

  it('attempts: 1 never retries; defaults to 3 attempts', async () => {
    const t = fakeTime();
    const one = flaky(5, 'x');
    await expect(retry(one.fn, { ...t.opts, attempts: 1 })).rejects.toThrow('flaky');
    expect(one.calls).toEqual([1]);
    const three = flaky(5, 'x');
    await expect(retry(three.fn, t.opts)).rejects.toThrow('flaky');
    expect(three.calls).toEqual([1, 2, 3]);
  });

  it('does not retry an AbortError by default (someone cancelled the work)', async () => {
    const t = fakeTime();
    const { fn, calls } = flaky(5, 'x', () => new DOMException('cancelled', 'AbortError'));
    await expect(retry(fn, t.opts)).rejects.toThrow('cancelled');
    expect(calls).toEqual([1]);
  });

  it('attempts: Infinity retries until maxElapsedMs', async () => {
    const t = fakeTime();
    const { fn, calls } = flaky(1_000_000, 'x');
    await expect(
      retry(fn, { ...t.opts, attempts: Number.POSITIVE_INFINITY, maxElapsedMs: 10_000, backoff: { jitter: 'none' } }),
    ).rejects.toThrow('flaky');
    // 100+200+400+800+1600+3200 = 6300, then 3700 (cut from 6400) = 10000
    expect(t.sleeps).toEqual([100, 200, 400, 800, 1600, 3200, 3700]);
    expect(calls).toHaveLength(8);
  });
});

describe('retry: the default retryOn reads the error contract (`retryable`)', () => {
  const marked = (retryable: unknown, name = 'Error') =>
    Object.assign(new Error(`retryable ${String(retryable)}`), { name, code: 'ERR_TEST', retryable });

  it('never retries an error with retryable: false, on every path (plain, policy, caller signal, timeout)', async () => {
    const t = fakeTime();
    type Fn = (ctx: { attempt: number }) => Promise<string>;
    const paths: Array<[string, (fn: Fn, onGiveUp: (e: GiveUpEvent<unknown>) => void) => Promise<unknown>]> = [
      ['retry()', (fn, onGiveUp) => retry(fn, { ...t.opts, onGiveUp })],
      ['retry() plain', (fn) => retry(fn, { ...t.opts, attempts: 5 })],
      ['retryPolicy', (fn, onGiveUp) => retryPolicy({ ...t.opts, onGiveUp }).execute(fn)],
      ['caller signal', (fn, onGiveUp) => retry(fn, { ...t.opts, onGiveUp, signal: new AbortController().signal })],
      ['attemptTimeoutMs', (fn, onGiveUp) => retry(fn, { ...t.opts, onGiveUp, attemptTimeoutMs: 60_000 })],
    ];
    for (const [label, run] of paths) {
      const { fn, calls } = flaky(5, 'x', () => marked(false));
      const reasons: string[] = [];
      await expect(
        run(fn, (e) => reasons.push(e.reason)),
        label,
      ).rejects.toMatchObject({ retryable: false });
      expect(calls, label).toEqual([1]);
      if (label !== 'retry() plain') expect(reasons, label).toEqual(['notRetryable']);
    }
    expect(t.sleeps).toEqual([]);
  });

  it("does not retry this package's own usage errors (ERR_INVALID_OPTION carries retryable: false)", async () => {
    const t = fakeTime();
    const calls: number[] = [];
    const err = await retry(
      ({ attempt }) => {
        calls.push(attempt);
        return retryBudget({ ratio: -1 });
      },
      { ...t.opts, attempts: 5 },
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RangeError);
    expect(err).toMatchObject({ code: 'ERR_INVALID_OPTION', retryable: false });
    expect(calls).toEqual([1]);
  });

  it('retries an error with retryable: true, even one named AbortError (the explicit field decides)', async () => {
    const t = fakeTime();
    const plain = flaky(2, 'ok', () => marked(true));
    await expect(retry(plain.fn, t.opts)).resolves.toBe('ok');
    expect(plain.calls).toEqual([1, 2, 3]);
    const abortLike = flaky(2, 'ok', () => marked(true, 'AbortError'));
    await expect(retry(abortLike.fn, t.opts)).resolves.toBe('ok');
    expect(abortLike.calls).toEqual([1, 2, 3]);
  });

  it('keeps the old rule when retryable is absent or not a boolean: retry, except an AbortError', async () => {
    const t = fakeTime();
    for (const value of [undefined, 'false', 0, null, 1]) {
      const retried = flaky(2, 'ok', () => marked(value));
      await expect(retry(retried.fn, t.opts), String(value)).resolves.toBe('ok');
      expect(retried.calls, String(value)).toEqual([1, 2, 3]);
      const aborted = flaky(2, 'ok', () => marked(value, 'AbortError'));
      await expect(retry(aborted.fn, t.opts), String(value)).rejects.toMatchObject({ name: 'AbortError' });
      expect(aborted.calls, String(value)).toEqual([1]);
    }
    for (const thrown of ['a string', 42, null]) {
      const { fn, calls } = flaky(2, 'ok', () => thrown);
      await expect(retry(fn, t.opts)).resolves.toBe('ok');
      expect(calls).toEqual([1, 2, 3]);
    }
  });

  it('a retryOn of your own still decides: it may retry an error marked retryable: false', async () => {
    const t = fakeTime();
    const { fn, calls } = flaky(2, 'ok', () => marked(false));
    await expect(retry(fn, { ...t.opts, retryOn: (o) => 'error' in o })).resolves.toBe('ok');
    expect(calls).toEqual([1, 2, 3]);
  });
});

describe('retry: retryOn', () => {
  it('receives errors with attempt and elapsedMs and can refuse to retry', async () => {
    const t = fakeTime();
    const seen: unknown[] = [];
    class Fatal extends Error {}
    let n = 0;
    const p = retry(
      async () => {
        t.advance(7);
        throw ++n < 3 ? new Error('transient') : new Fatal('fatal');
      },
      {
        ...t.opts,
        attempts: 10,
        backoff: { type: 'constant', initialMs: 10, jitter: 'none' },
        retryOn: (o) => {
          seen.push('error' in o ? [o.attempt, o.elapsedMs, (o.error as Error).message] : 'result');
          return 'error' in o && !(o.error instanceof Fatal);
        },
      },
    );
    await expect(p).rejects.toBeInstanceOf(Fatal);
    expect(seen).toEqual([
      [1, 7, 'transient'],
      [2, 24, 'transient'],
      [3, 41, 'fatal'],
    ]);
  });

  it('retries results it rejects, and returns the last result when attempts run out', async () => {
    const t = fakeTime();
    const statuses = [503, 503, 200];
    let i = 0;
    const res = await retry(async () => ({ status: statuses[i++]! }), {
      ...t.opts,
      attempts: 5,
      retryOn: (o) => 'error' in o || o.result.status >= 500,
    });
    expect(res).toEqual({ status: 200 });
    expect(i).toBe(3);

    let j = 0;
    const last = await retry(async () => ({ status: 500, n: ++j }), {
      ...t.opts,
      attempts: 3,
      retryOn: (o) => 'error' in o || o.result.status >= 500,
    });
    expect(last).toEqual({ status: 500, n: 3 });
  });

  it('may be async', async () => {
    const t = fakeTime();
    const { fn, calls } = flaky(2, 'ok');
    await expect(
      retry(fn, { ...t.opts, retryOn: async (o) => (await Promise.resolve('error' in o)) && o.attempt < 2 }),
    ).rejects.toThrow('flaky');
    expect(calls).toEqual([1, 2]);
  });

  it('an exception thrown by retryOn rejects the call', async () => {
    const t = fakeTime();
    const { fn } = flaky(2, 'ok');
    await expect(
      retry(fn, {
        ...t.opts,
        retryOn: () => {
          throw new Error('bug in predicate');
        },
      }),
    ).rejects.toThrow('bug in predicate');
  });
});

describe('retry: hooks', () => {
  it('onRetry sees every retry with its delay; onGiveUp sees the final failure and the reason', async () => {
    const t = fakeTime();
    const retries: RetryEvent<unknown>[] = [];
    const giveUps: GiveUpEvent<unknown>[] = [];
    const { fn } = flaky(10, 'x');
    await expect(
      retry(fn, {
        ...t.opts,
        attempts: 3,
        backoff: { initialMs: 50, jitter: 'none' },
        onRetry: (e) => retries.push(e),
        onGiveUp: (e) => giveUps.push(e),
      }),
    ).rejects.toThrow('flaky');
    expect(retries.map((e) => [e.attempt, e.delayMs, e.elapsedMs, e.retryAfterMs])).toEqual([
      [1, 50, 0, undefined],
      [2, 100, 50, undefined],
    ]);
    expect(giveUps).toHaveLength(1);
    expect(giveUps[0]).toMatchObject({ attempts: 3, elapsedMs: 150, reason: 'attempts' });
    expect('error' in giveUps[0]! && (giveUps[0].error as Error).message).toBe('flaky');
  });

  it('onGiveUp reports notRetryable, and is not called on success', async () => {
    const t = fakeTime();
    const reasons: string[] = [];
    await retry(async () => 1, { ...t.opts, onGiveUp: (e) => reasons.push(e.reason) });
    await expect(
      retry(
        async () => {
          throw new Error('x');
        },
        { ...t.opts, retryOn: () => false, onGiveUp: (e) => reasons.push(e.reason) },
      ),
    ).rejects.toThrow('x');
    expect(reasons).toEqual(['notRetryable']);
  });
});

describe('retry: maxElapsedMs', () => {
  it('cuts the last delay to fit and makes no attempt after the deadline', async () => {
    const t = fakeTime();
    const reasons: string[] = [];
    const { fn, calls } = flaky(100, 'x', () => {
      t.advance(100); // each attempt takes 100 ms
      return new Error('slow failure');
    });
    await expect(
      retry(fn, {
        ...t.opts,
        attempts: 100,
        maxElapsedMs: 1_000,
        backoff: { type: 'constant', initialMs: 300, jitter: 'none' },
        onGiveUp: (e) => reasons.push(`${e.reason}@${e.elapsedMs}`),
      }),
    ).rejects.toThrow('slow failure');
    // 100 +300 +100 +300 +100 = 900, the last 300 is cut to 100, +100 = 1100
    expect(t.sleeps).toEqual([300, 300, 100]);
    expect(calls).toEqual([1, 2, 3, 4]);
    expect(reasons).toEqual(['maxElapsed@1100']);
  });

  it('maxElapsedMs: 0 means a single attempt', async () => {
    const t = fakeTime();
    const { fn, calls } = flaky(5, 'x');
    await expect(retry(fn, { ...t.opts, maxElapsedMs: 0 })).rejects.toThrow();
    expect(calls).toEqual([1]);
  });
});

describe('retry: server hints (Retry-After, retryAfterMs)', () => {
  it("honours a Response's Retry-After (seconds) instead of the backoff", async () => {
    const t = fakeTime();
    const responses = [
      new Response('busy', { status: 429, headers: { 'Retry-After': '2' } }),
      new Response('ok', { status: 200 }),
    ];
    let i = 0;
    const res = await retry(async () => responses[i++]!, {
      ...t.opts,
      retryOn: (o) => 'error' in o || o.result.status === 429,
    });
    expect(res.status).toBe(200);
    expect(t.sleeps).toEqual([2_000]);
  });

  it('reads retry-after-ms and HTTP dates from an error carrying a response (fetch-client style)', async () => {
    const t = fakeTime();
    const inTwentySeconds = new Date(Date.now() + 20_000).toUTCString();
    const errs = [
      Object.assign(new Error('429'), {
        response: { status: 429, headers: new Headers({ 'retry-after-ms': '1500' }) },
      }),
      Object.assign(new Error('503'), { response: { status: 503, headers: { 'retry-after': inTwentySeconds } } }),
    ];
    let i = 0;
    const retried: Array<number | undefined> = [];
    await expect(
      retry(
        async () => {
          if (i < errs.length) throw errs[i++];
          return 'done';
        },
        { ...t.opts, onRetry: (e) => retried.push(e.retryAfterMs) },
      ),
    ).resolves.toBe('done');
    expect(t.sleeps[0]).toBe(1_500);
    expect(t.sleeps[1]).toBeGreaterThan(17_000); // HTTP dates have 1 s resolution; the test itself takes some ms
    expect(t.sleeps[1]).toBeLessThanOrEqual(20_000);
    expect(retried[0]).toBe(1_500);
  });

  it("waits for a circuit breaker's open error (duck-typed retryAfterMs), capped by maxRetryAfterMs", async () => {
    const t = fakeTime();
    // The shape @org/breaker's open error has; retry never imports the breaker.
    const open = (ms: number) =>
      Object.assign(new Error('circuit open'), { code: 'ERR_CIRCUIT_OPEN', retryAfterMs: ms });
    let i = 0;
    const hints = [250, 90_000];
    await expect(
      retry(
        async () => {
          if (i < hints.length) throw open(hints[i++]!);
          return 'closed again';
        },
        { ...t.opts, maxRetryAfterMs: 5_000 },
      ),
    ).resolves.toBe('closed again');
    expect(t.sleeps).toEqual([250, 5_000]);
  });

  it('honours a tryExecute-style result ({ ok: false, retryAfterMs }); Infinity stops; 0 uses the backoff', async () => {
    const t = fakeTime();
    const results = [
      { ok: false as const, reason: 'open', retryAfterMs: 400 },
      { ok: false as const, reason: 'half-open', retryAfterMs: 0 },
      { ok: true as const, value: 'v' },
    ];
    let i = 0;
    const r = await retry(async () => results[i++]!, {
      ...t.opts,
      backoff: { type: 'constant', initialMs: 25, jitter: 'none' },
      retryOn: (o) => 'error' in o || !o.result.ok,
    });
    expect(r).toEqual({ ok: true, value: 'v' });
    expect(t.sleeps).toEqual([400, 25]);

    const reasons: string[] = [];
    const isolated = flaky(5, 'x', () =>
      Object.assign(new Error('isolated'), { code: 'ERR_CIRCUIT_OPEN', retryAfterMs: Number.POSITIVE_INFINITY }),
    );
    await expect(retry(isolated.fn, { ...t.opts, onGiveUp: (e) => reasons.push(e.reason) })).rejects.toThrow(
      'isolated',
    );
    expect(isolated.calls).toEqual([1]);
    expect(reasons).toEqual(['notRetryable']);
  });

  it('gives up at once when the server asks for more time than maxElapsedMs leaves', async () => {
    const t = fakeTime();
    const reasons: string[] = [];
    const { fn, calls } = flaky(5, 'x', () => Object.assign(new Error('open'), { retryAfterMs: 30_000 }));
    await expect(
      retry(fn, { ...t.opts, maxElapsedMs: 10_000, onGiveUp: (e) => reasons.push(e.reason) }),
    ).rejects.toThrow('open');
    expect(calls).toEqual([1]);
    expect(t.sleeps).toEqual([]);
    expect(reasons).toEqual(['maxElapsed']);
  });

  it('honorRetryAfter: false uses the backoff', async () => {
    const t = fakeTime();
    const { fn } = flaky(1, 'x', () => Object.assign(new Error('open'), { retryAfterMs: 30_000 }));
    await retry(fn, { ...t.opts, honorRetryAfter: false, backoff: { initialMs: 10, jitter: 'none' } });
    expect(t.sleeps).toEqual([10]);
  });

  it('ignores malformed hints (NaN, negative, garbage header) and falls back to the backoff', async () => {
    const t = fakeTime();
    const bad = [
      Object.assign(new Error('a'), { retryAfterMs: Number.NaN }),
      Object.assign(new Error('b'), { retryAfterMs: -5 }),
      Object.assign(new Error('c'), { headers: { 'retry-after': 'soon' } }),
    ];
    let i = 0;
    await retry(
      async () => {
        if (i < bad.length) throw bad[i++];
        return 1;
      },
      { ...t.opts, attempts: 4, backoff: { type: 'constant', initialMs: 5, jitter: 'none' } },
    );
    expect(t.sleeps).toEqual([5, 5, 5]);
  });
});

describe('retry: budget', () => {
  it('allows retries only while the shared budget has tokens', async () => {
    let now = 0;
    const budget = retryBudget({ ratio: 0.5, minPerSecond: 0, clock: () => now });
    const t = fakeTime();
    const reasons: string[] = [];
    const run = () =>
      retry(
        async () => {
          throw new Error('down');
        },
        {
          ...t.opts,
          attempts: 5,
          budget,
          backoff: { initialMs: 0 },
          onGiveUp: (e) => reasons.push(`${e.reason}:${e.attempts}`),
        },
      ).catch(() => undefined);
    await run(); // deposits 0.5: no whole token, no retry
    await run(); // deposits 0.5 -> 1 token: one retry
    await run();
    now += 60_000; // no time refill with minPerSecond 0
    await run();
    expect(reasons).toEqual(['budget:1', 'budget:2', 'budget:1', 'budget:2']);
  });

  it('is shared between policies', async () => {
    let now = 0;
    const budget = retryBudget({ ratio: 0, minPerSecond: 2, maxTokens: 2, clock: () => now });
    const t = fakeTime();
    const a = retryPolicy({ ...t.opts, budget, attempts: 10, backoff: { initialMs: 0 } });
    const b = retryPolicy({ ...t.opts, budget, attempts: 10, backoff: { initialMs: 0 } });
    const failing = flaky(100, 'x');
    await a.execute(failing.fn).catch(() => undefined);
    await b.execute(failing.fn).catch(() => undefined);
    expect(failing.calls).toEqual([1, 2, 3, 1]); // 2 tokens at start, spent by policy a
    now += 500; // refills one token
    await b.execute(failing.fn).catch(() => undefined);
    expect(failing.calls).toEqual([1, 2, 3, 1, 1, 2]);
  });
});

describe('retry: abort', () => {
  it('rejects at once with the reason when the signal is already aborted, without calling fn', async () => {
    const ac = new AbortController();
    const reason = new Error('stop');
    ac.abort(reason);
    let called = false;
    await expect(
      retry(
        async () => {
          called = true;
        },
        { signal: ac.signal },
      ),
    ).rejects.toBe(reason);
    expect(called).toBe(false);
  });

  it('an abort during a real backoff sleep settles promptly and leaves no timer', async () => {
    timersBefore = activeTimers();
    const ac = new AbortController();
    let markStarted!: () => void;
    const started = new Promise<void>((r) => {
      markStarted = r;
    });
    const p = retry(
      async () => {
        markStarted();
        throw new Error('fail');
      },
      { signal: ac.signal, backoff: { type: 'constant', initialMs: 60_000, jitter: 'none' } },
    );
    await started;
    await new Promise((r) => setImmediate(r));
    expect(activeTimers()).toBe(timersBefore + 1); // the 60 s sleep
    const t0 = performance.now();
    ac.abort();
    await expect(p).rejects.toMatchObject({ name: 'AbortError' });
    expect(performance.now() - t0).toBeLessThan(1_000); // "does not hang" bound; the latency is measured by the bench
    expect(activeTimers()).toBe(timersBefore);
  });

  it('an abort during an attempt that ignores its signal settles promptly; the attempt saw the abort', async () => {
    const ac = new AbortController();
    let seen: AbortSignal | undefined;
    const p = retry(
      ({ signal }) => {
        seen = signal;
        return new Promise(() => {}); // never settles and ignores the signal
      },
      { signal: ac.signal },
    );
    await new Promise((r) => setImmediate(r));
    ac.abort(new Error('user left'));
    await expect(p).rejects.toThrow('user left');
    expect(seen?.aborted).toBe(true);
  });

  it("the caller's abort wins over a success that lands in the same turn (retry and policy, own and call signal)", async () => {
    const settleThenAbort = (ac: AbortController) => () => {
      const v = Promise.resolve(1);
      void v.then(() => ac.abort(new Error('late abort')));
      return v;
    };
    const a = new AbortController();
    await expect(retry(settleThenAbort(a), { signal: a.signal })).rejects.toThrow('late abort');
    const b = new AbortController();
    await expect(retryPolicy().execute(settleThenAbort(b), b.signal)).rejects.toThrow('late abort');
    const c = new AbortController();
    await expect(retryPolicy({ signal: c.signal }).execute(settleThenAbort(c))).rejects.toThrow('late abort');
  });

  it('the first-attempt fast path keeps every outcome: values, thenables, sync throws, retried rejections', async () => {
    const policy = retryPolicy({ attempts: 3, backoff: { type: 'constant', initialMs: 0 } });
    expect(await policy.execute(() => 5)).toBe(5);
    // a thenable that is not a native promise
    const thenable = {
      // biome-ignore lint/suspicious/noThenProperty: a custom thenable is what this line tests
      then: (onFulfilled: (v: number) => unknown) => onFulfilled(6),
    } as unknown as PromiseLike<number>;
    expect(await policy.execute(() => thenable)).toBe(6);
    let n = 0;
    expect(
      await policy.execute(() => {
        if (++n < 2) throw new Error('sync');
        return 7;
      }),
    ).toBe(7);
    let m = 0;
    expect(await policy.execute(async ({ attempt }) => (++m < 3 ? Promise.reject(new Error('x')) : attempt))).toBe(3);
    await expect(policy.execute(null as never)).rejects.toThrow(/fn must be a function/);
  });

  it("the caller's abort wins over the attempt's own failure and stops retrying", async () => {
    const ac = new AbortController();
    let n = 0;
    await expect(
      retry(
        async () => {
          n++;
          ac.abort(new Error('cancelled'));
          throw new Error('failure caused by the abort');
        },
        { signal: ac.signal, backoff: { initialMs: 0 } },
      ),
    ).rejects.toThrow('cancelled');
    expect(n).toBe(1);
  });

  it("a policy combines its own signal with the call's signal", async () => {
    const policyAc = new AbortController();
    const policy = retryPolicy({ signal: policyAc.signal, backoff: { initialMs: 60_000 } });
    const callAc = new AbortController();
    const failing = async () => {
      throw new Error('x');
    };
    const p1 = policy.execute(failing, callAc.signal);
    const p2 = policy.execute(failing);
    await new Promise((r) => setImmediate(r));
    policyAc.abort(new Error('shutting down'));
    await expect(p1).rejects.toThrow('shutting down');
    await expect(p2).rejects.toThrow('shutting down');

    const policy2 = retryPolicy({ signal: new AbortController().signal, backoff: { initialMs: 60_000 } });
    const callAc2 = new AbortController();
    const p3 = policy2.execute(failing, callAc2.signal);
    await new Promise((r) => setImmediate(r));
    callAc2.abort(new Error('request gone'));
    await expect(p3).rejects.toThrow('request gone');
  });
});

describe('retry: attemptTimeoutMs', () => {
  it("aborts the attempt's signal with AttemptTimeoutError and retries", async () => {
    const reasons: unknown[] = [];
    let n = 0;
    const res = await retry(
      ({ signal, attempt }) => {
        n++;
        if (attempt === 3) return 'third time lucky';
        return new Promise<string>((_, reject) => {
          signal.addEventListener('abort', () => {
            reasons.push(signal.reason);
            reject(signal.reason);
          });
        });
      },
      { attemptTimeoutMs: 20, backoff: { initialMs: 0 } },
    );
    expect(res).toBe('third time lucky');
    expect(n).toBe(3);
    expect(reasons).toHaveLength(2);
    expect(reasons[0]).toBeInstanceOf(AttemptTimeoutError);
    expect(reasons[0]).toMatchObject({ code: 'ERR_ATTEMPT_TIMEOUT', attempt: 1, timeoutMs: 20 });
    expect(isRetryError(reasons[0])).toBe(true);
  });

  it('fails an attempt that ignores its signal, and rejects with the timeout error when attempts run out', async () => {
    const p = retry(() => new Promise(() => {}), { attempts: 2, attemptTimeoutMs: 15, backoff: { initialMs: 0 } });
    await expect(p).rejects.toMatchObject({ code: 'ERR_ATTEMPT_TIMEOUT', attempt: 2 });
  });

  it('clears the attempt timer when the attempt succeeds', async () => {
    timersBefore = activeTimers();
    await retry(async () => 'fast', { attemptTimeoutMs: 60_000 });
    expect(activeTimers()).toBe(timersBefore);
  });

  it('a signal read after the timeout fired is already aborted', async () => {
    let late: AbortSignal | undefined;
    let firstDone!: () => void;
    const first = new Promise<void>((r) => {
      firstDone = r;
    });
    const res = await retry(
      async (ctx) => {
        if (ctx.attempt === 1) {
          await new Promise((r) => setTimeout(r, 40));
          late = ctx.signal;
          firstDone();
          return 'late';
        }
        return 'second';
      },
      { attemptTimeoutMs: 10, backoff: { initialMs: 0 } },
    );
    expect(res).toBe('second');
    await first;
    expect(late?.aborted).toBe(true);
    expect(late?.reason).toBeInstanceOf(AttemptTimeoutError);
  });
});

describe('retry: attempt signal', () => {
  it('without a caller signal, the attempt gets a fresh signal that is not aborted', async () => {
    const signals: AbortSignal[] = [];
    await retry(
      async ({ signal, attempt }) => {
        signals.push(signal);
        if (attempt < 2) throw new Error('x');
      },
      { backoff: { initialMs: 0 } },
    );
    expect(signals).toHaveLength(2);
    expect(signals[0]).not.toBe(signals[1]);
    expect(signals.every((s) => s instanceof AbortSignal && !s.aborted)).toBe(true);
  });

  it("with a caller signal and no timeout, the attempt gets the caller's signal itself", async () => {
    const ac = new AbortController();
    let seen: AbortSignal | undefined;
    await retry(
      async ({ signal }) => {
        seen = signal;
      },
      { signal: ac.signal },
    );
    expect(seen).toBe(ac.signal);
  });
});

describe('retry: delays never overflow', () => {
  it('10,000 retries with an aggressive curve: every delay finite, within [0, maxMs]', async () => {
    const t = fakeTime();
    const delays: number[] = [];
    const { fn } = flaky(20_000, 'x');
    await expect(
      retry(fn, {
        ...t.opts,
        attempts: 10_001,
        backoff: { type: 'exponential', initialMs: 1, factor: 1e6, maxMs: Number.POSITIVE_INFINITY, jitter: 'equal' },
        onRetry: (e) => delays.push(e.delayMs),
      }),
    ).rejects.toThrow('flaky');
    expect(delays).toHaveLength(10_000);
    expect(delays.every((d) => Number.isFinite(d) && d >= 0 && d <= 2 ** 31 - 1)).toBe(true);
    expect(Math.max(...delays)).toBeGreaterThanOrEqual((2 ** 31 - 1) / 2); // equal jitter: [cap/2, cap]
    expect(delays.slice(100).every((d) => d >= (2 ** 31 - 1) / 2)).toBe(true);
  });

  it('a custom curve returning NaN or a huge number is clamped', async () => {
    const t = fakeTime();
    const { fn } = flaky(2, 'x');
    const values = [Number.NaN, 1e300];
    let i = 0;
    await retry(fn, {
      ...t.opts,
      backoff: {
        type: 'exponential',
        initialMs: 0,
        maxMs: 0,
        factor: 1,
        jitter: 'none',
        ceiling: () => 0,
        delay: () => values[i++]!,
      } as never,
    });
    expect(t.sleeps).toEqual([2 ** 31 - 1]); // NaN -> 0 (no sleep), 1e300 -> 2^31-1
  });
});

describe('retry: validation', () => {
  it('rejects bad options synchronously with an error naming the option', () => {
    const fn = async () => 1;
    expect(() => retry(fn, { attempts: 0 })).toThrow('retry: attempts must be an integer >= 1 (or Infinity), got 0');
    expect(() => retry(fn, { attempts: 1.5 })).toThrow(RangeError);
    expect(() => retry(fn, { attemptTimeoutMs: 0 })).toThrow('retry: attemptTimeoutMs must be a number > 0');
    expect(() => retry(fn, { maxElapsedMs: -1 })).toThrow('retry: maxElapsedMs must be a finite number >= 0');
    expect(() => retry(fn, { retryOn: 'yes' as never })).toThrow('retry: retryOn must be a function, got "yes"');
    expect(() => retry(fn, { signal: {} as never })).toThrow('retry: signal must be an AbortSignal');
    expect(() => retry(fn, { budget: { tokens: 3 } as never })).toThrow('retry: budget must be a retryBudget()');
    expect(() => retry(fn, { honorRetryAfter: 'no' as never })).toThrow('honorRetryAfter must be a boolean');
    expect(() => retry(fn, { retries: 5 } as never)).toThrow(/retry: unknown option "retries"/);
    expect(() => retryPolicy({ backoff: { maxMs: -1 } })).toThrow('backoff.maxMs must be a finite number >= 0');
  });

  it('rejects a non-function fn', async () => {
    await expect(retry('nope' as never)).rejects.toThrow('retry: fn must be a function, got "nope"');
  });

  it('errors are branded across copies and carry stable codes', () => {
    const e = new AttemptTimeoutError(2, 100);
    expect(e).toBeInstanceOf(RetryError);
    expect(e.message).toBe('retry: attempt 2 timed out after 100 ms');
    expect(isRetryError(e)).toBe(true);
    expect(isRetryError(Object.assign(new Error('x'), { code: 'ERR_ATTEMPT_TIMEOUT' }))).toBe(false);
    const foreign = new Error('from the CJS copy');
    Object.defineProperty(foreign, Symbol.for('@org/retry.error'), { value: true });
    expect(isRetryError(foreign)).toBe(true);
  });
});

describe('retry: no listener leak on a long-lived signal', () => {
  it('calls do not accumulate abort listeners on a long-lived caller signal', async () => {
    const ac = new AbortController();
    const policy = retryPolicy({ signal: ac.signal, attemptTimeoutMs: 1_000, backoff: { initialMs: 0 } });
    for (let i = 0; i < 50; i++) {
      let n = 0;
      await retry(
        async () => {
          if (++n < 2) throw new Error('x');
          return n;
        },
        { signal: ac.signal, backoff: { initialMs: 1 } },
      );
      await policy.execute(async () => i, new AbortController().signal);
    }
    // One shared listener per signal however many calls used it, and no callback of a settled call left behind.
    expect(getEventListeners(ac.signal, 'abort')).toHaveLength(1);
    expect(pendingAbortCallbacks(ac.signal)).toBe(0);
  });
});
