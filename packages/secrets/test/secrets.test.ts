import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import {
  envProvider,
  isSecretsError,
  type ProviderValue,
  type Secret,
  type SecretProvider,
  type SecretsError,
  type SecretsEvents,
  secrets,
} from '../src/index.js';

/**
 * A provider over a plain map, the way a user writes one for their own store: it implements the public interface
 * (no spying). `reads` counts calls; `gate` lets a test hold reads open.
 */
function mapProvider(name: string, values: Record<string, ProviderValue | undefined>) {
  const stats = { reads: 0, signals: [] as AbortSignal[] };
  let gate: Promise<void> | undefined;
  let fail: Error | undefined;
  const provider: SecretProvider & {
    stats: typeof stats;
    hold(): () => void;
    failWith(e: Error | undefined): void;
    values: typeof values;
  } = {
    name,
    values,
    stats,
    async get(key, signal) {
      stats.reads++;
      stats.signals.push(signal);
      if (gate !== undefined) await gate;
      if (fail !== undefined) throw fail;
      return values[key];
    },
    hold() {
      let open!: () => void;
      gate = new Promise<void>((r) => {
        open = r;
      });
      return () => {
        gate = undefined;
        open();
      };
    },
    failWith(e) {
      fail = e;
    },
  };
  return provider;
}

const clockAt = (start = 0) => {
  const c = { now: start, fn: () => c.now };
  return c;
};

const managers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const m of managers.splice(0)) await m.close();
});
function track<T extends { close(): Promise<void> }>(m: T): T {
  managers.push(m);
  return m;
}

const errorOf = async (p: Promise<unknown>): Promise<SecretsError> => {
  try {
    await p;
  } catch (e) {
    if (isSecretsError(e)) return e;
    throw e;
  }
  throw new Error('expected a rejection');
};

describe('secrets(): reading and checking', () => {
  it('reads from the providers in order: the first that has a secret serves it', async () => {
    const files = mapProvider('files', { A: 'from-files' });
    const env = envProvider({ env: { A: 'from-env', B: 'b-from-env' } });
    const s = track(secrets({ providers: [files, env], secrets: { A: true, B: true } }));
    await s.load();
    expect(s.current('A').reveal()).toBe('from-files');
    expect(s.current('B').reveal()).toBe('b-from-env');
    expect(s.status().map((x) => [x.name, x.source])).toEqual([
      ['A', 'files'],
      ['B', 'env'],
    ]);
  });

  it('reads the real process.env, with a prefix, at each access', async () => {
    process.env.ORG_SECRETS_TEST_TOKEN = 'first-value';
    try {
      const s = track(secrets({ providers: [envProvider({ prefix: 'ORG_SECRETS_TEST_' })], secrets: { TOKEN: true } }));
      expect((await s.get('TOKEN')).reveal()).toBe('first-value');
      process.env.ORG_SECRETS_TEST_TOKEN = 'second-value';
      await s.refresh('TOKEN');
      expect(s.current('TOKEN').reveal()).toBe('second-value');
    } finally {
      delete process.env.ORG_SECRETS_TEST_TOKEN;
    }
  });

  it('load() reports every missing and invalid secret at once, by name and reason, never by value', async () => {
    const s = track(
      secrets({
        providers: [envProvider({ env: { SHORT: 'abc', URL: 'mysql://root:pw-hunter2@db', EMPTY: '', OK: 'fine' } })],
        secrets: {
          SHORT: { minLength: 32 },
          URL: { validate: (v) => v.startsWith('postgres://') || 'must be a postgres:// URL' },
          EMPTY: true,
          NOWHERE: true,
          OK: true,
          THROWS: { optional: true },
        },
      }),
    );
    const err = await errorOf(s.load());
    expect(err.code).toBe('ERR_SECRETS_LOAD');
    expect(err.errors.map((e) => [e.code, e.secret])).toEqual([
      ['ERR_SECRET_INVALID', 'SHORT'],
      ['ERR_SECRET_INVALID', 'URL'],
      ['ERR_SECRET_MISSING', 'EMPTY'],
      ['ERR_SECRET_MISSING', 'NOWHERE'],
    ]);
    expect(err.message).toContain('secret "SHORT" from env is 3 characters long, needs at least 32');
    expect(err.message).toContain('secret "URL" from env is invalid: must be a postgres:// URL');
    expect(err.message).toContain('secret "NOWHERE" was found in none of the providers (env)');
    expect(err.message).not.toContain('hunter2');
    expect(err.message).not.toContain('abc');
    // the secrets that did load are usable
    expect(s.current('OK').reveal()).toBe('fine');
  });

  it('a validator that throws refuses the value, and its error (which may quote the value) is dropped', async () => {
    const s = track(
      secrets({
        providers: [envProvider({ env: { KEY: 'sk_live_hunter2' } })],
        secrets: {
          KEY: {
            validate: (v) => {
              throw new Error(`bad key ${v}`);
            },
          },
        },
      }),
    );
    const err = await errorOf(s.get('KEY'));
    expect(err.code).toBe('ERR_SECRET_INVALID');
    expect(err.message).toBe('secrets: secret "KEY" from env was refused by its validator, which threw Error');
    expect(err.cause).toBeUndefined();
    expect(JSON.stringify(err)).not.toContain('hunter2');
  });

  it('types get() and current() by the spec: optional secrets may be undefined', async () => {
    const s = track(
      secrets({
        providers: [envProvider({ env: { REQ: 'r' } })],
        secrets: { REQ: true, OPT: { optional: true }, CHECKED: { optional: false, validate: (v) => v.length > 0 } },
      }),
    );
    expectTypeOf(s.get('REQ')).resolves.toEqualTypeOf<Secret>();
    expectTypeOf(s.get('OPT')).resolves.toEqualTypeOf<Secret | undefined>();
    expectTypeOf<ReturnType<typeof s.current<'CHECKED'>>>().toEqualTypeOf<Secret>();
    expectTypeOf<ReturnType<typeof s.current<'OPT'>>>().toEqualTypeOf<Secret | undefined>();
    // @ts-expect-error undeclared names do not type-check
    await expect(s.get('TYPO')).rejects.toMatchObject({ code: 'ERR_SECRET_UNDECLARED', secret: 'TYPO' });
    expect(await s.get('OPT')).toBeUndefined();
    expect(() => s.current('CHECKED')).toThrow(/is not loaded yet: await load\(\) \(or get\(\)\) first/);
  });

  it('rejects bad options, naming them', () => {
    const env = envProvider({ env: {} });
    expect(() => secrets({ providers: [], secrets: {} })).toThrow(/providers must be a non-empty array/);
    expect(() => secrets({ providers: [{ name: 'x' } as never], secrets: {} })).toThrow(/providers\[0\]/);
    expect(() => secrets({ providers: [env], secrets: { A: { minLength: 0 } } })).toThrow(/secrets.A.minLength/);
    expect(() => secrets({ providers: [env], secrets: { A: { validate: 'x' as never } } })).toThrow(/validate must/);
    expect(() => secrets({ providers: [env], secrets: { A: { optinal: true } as never } })).toThrow(
      /secrets.A.optinal is not an option/,
    );
    expect(() => secrets({ providers: [env], secrets: { A: false as never } })).toThrow(/must be true or an object/);
    expect(() => secrets({ providers: [env], secrets: {}, ttlMs: -1 })).toThrow(/ttlMs must be a number >= 0/);
    expect(() => secrets({ providers: [env], secrets: {}, timeoutMs: 0 })).toThrow(/timeoutMs must be in/);
    expect(() => secrets({ providers: [env], secrets: {}, refreshMs: Number.POSITIVE_INFINITY })).toThrow(/refreshMs/);
    expect(() => envProvider({ env: 'x' as never })).toThrow(/env must be an object/);
  });
});

describe('secrets(): cache, rotation, audit', () => {
  it('serves from the cache within ttlMs, re-reads in the background after it, one read for concurrent callers', async () => {
    const clock = clockAt();
    const p = mapProvider('store', { A: 'one' });
    const s = track(secrets({ providers: [p], secrets: { A: true }, ttlMs: 1000, clock: clock.fn }));
    const [a, b, c] = await Promise.all([s.get('A'), s.get('A'), s.get('A')]);
    expect(p.stats.reads).toBe(1);
    expect(a).toBe(b);
    expect(b).toBe(c);
    clock.now = 999;
    await s.get('A');
    expect(p.stats.reads).toBe(1);
    clock.now = 1000;
    const release = p.hold(); // a slow re-read does not stall callers: they get the current value meanwhile
    expect(await s.get('A')).toBe(a);
    expect(await s.get('A')).toBe(a);
    expect(p.stats.reads).toBe(2);
    release();
    await s.refresh('A');
    expect(await s.get('A')).toBe(a); // unchanged value: the same Secret object
  });

  it('emits rotate (names, sources, versions; no values) when a re-read finds a new value', async () => {
    const clock = clockAt();
    const p = mapProvider('store', { A: { value: 'v1', version: '1' } });
    const s = track(secrets({ providers: [p], secrets: { A: true }, ttlMs: 100, clock: clock.fn }));
    const rotations: SecretsEvents['rotate'][] = [];
    s.on('rotate', (e) => rotations.push(e));
    const first = await s.get('A');
    p.values.A = { value: 'v2', version: '2' };
    clock.now = 100;
    const rotated = new Promise((r) => s.on('rotate', r));
    expect((await s.get('A')).reveal()).toBe('v1'); // expired: served while the re-read runs
    await rotated;
    const second = await s.get('A');
    expect(second.reveal()).toBe('v2');
    expect(first.reveal()).toBe('v1'); // a Secret is immutable: holders of the old one keep the old value
    expect(rotations).toEqual([
      { name: 'A', source: 'store', previousSource: 'store', version: '2', previousVersion: '1' },
    ]);
    expect(JSON.stringify(rotations)).not.toMatch(/v1|v2"/);
  });

  it('a value may shorten its own lifetime (a lease): ttlMs from the provider caps the cache', async () => {
    const clock = clockAt();
    const p = mapProvider('leases', { A: { value: 'lease-1', ttlMs: 50 } });
    const s = track(secrets({ providers: [p], secrets: { A: true }, ttlMs: 10_000, clock: clock.fn }));
    await s.get('A');
    clock.now = 49;
    await s.get('A');
    expect(p.stats.reads).toBe(1);
    clock.now = 50;
    await s.get('A');
    expect(p.stats.reads).toBe(2);
  });

  it('a failed re-read keeps serving the last good value and reports an error event and status', async () => {
    const clock = clockAt();
    const p = mapProvider('store', { A: 'good' });
    const s = track(secrets({ providers: [p], secrets: { A: true }, ttlMs: 10, clock: clock.fn }));
    const errors: SecretsEvents['error'][] = [];
    s.on('error', (e) => errors.push(e));
    await s.load();
    p.failWith(new Error('connection refused'));
    clock.now = 10;
    const failed = new Promise((r) => s.on('error', r));
    expect((await s.get('A')).reveal()).toBe('good');
    await failed;
    expect(errors.map((e) => [e.name, e.error.code])).toEqual([['A', 'ERR_SECRET_READ']]);
    expect(errors[0]!.error.message).toBe('secrets: reading secret "A" from store failed: connection refused');
    expect(s.status()[0]).toMatchObject({ loaded: true, source: 'store', lastError: 'ERR_SECRET_READ' });
    // a rotation to an invalid value is refused the same way
    p.failWith(undefined);
    p.values.A = '';
    await s.refresh('A');
    expect(errors.at(-1)!.error.code).toBe('ERR_SECRET_MISSING');
    expect(s.current('A').reveal()).toBe('good');
    p.values.A = 'better';
    await s.refresh('A');
    expect(s.current('A').reveal()).toBe('better');
    expect(s.status()[0]!.lastError).toBeUndefined();
  });

  it('after a failed re-read, waits retryMs before the next attempt instead of hitting the provider on every access', async () => {
    const clock = clockAt();
    const p = mapProvider('store', { A: 'good' });
    const s = track(secrets({ providers: [p], secrets: { A: true }, ttlMs: 10, retryMs: 500, clock: clock.fn }));
    s.on('error', () => {});
    await s.load();
    p.failWith(new Error('down'));
    clock.now = 10;
    s.current('A');
    await s.refresh('A').catch(() => {});
    const reads = p.stats.reads;
    for (let i = 0; i < 20; i++) {
      clock.now += 10; // up to +200 ms: inside retryMs
      expect((await s.get('A')).reveal()).toBe('good');
    }
    expect(p.stats.reads).toBe(reads);
    clock.now += 500;
    await s.get('A');
    expect(p.stats.reads).toBe(reads + 1);
  });

  it('current() answers synchronously and re-reads an expired value in the background', async () => {
    const clock = clockAt();
    const p = mapProvider('store', { A: 'v1' });
    const s = track(secrets({ providers: [p], secrets: { A: true }, ttlMs: 10, clock: clock.fn }));
    const rotated = new Promise<SecretsEvents['rotate']>((r) => s.on('rotate', r));
    await s.load();
    p.values.A = 'v2';
    clock.now = 10;
    expect(s.current('A').reveal()).toBe('v1'); // stale while the background read runs
    expect((await rotated).name).toBe('A');
    expect(s.current('A').reveal()).toBe('v2');
  });

  it('emits access for every hand-out (an audit trail: name, source, cached), and nothing else', async () => {
    const clock = clockAt();
    const s = track(
      secrets({ providers: [envProvider({ env: { A: 'a' } })], secrets: { A: true }, ttlMs: 10, clock: clock.fn }),
    );
    const seen: SecretsEvents['access'][] = [];
    const off = s.on('access', (e) => seen.push(e));
    await s.get('A');
    await s.get('A');
    s.current('A');
    await s.load(); // loading is not an access
    off();
    await s.get('A');
    expect(seen).toEqual([
      { name: 'A', source: 'env', cached: false },
      { name: 'A', source: 'env', cached: true },
      { name: 'A', source: 'env', cached: true },
    ]);
  });

  it('a provider read is bounded by timeoutMs: its signal aborts and the read fails with ERR_SECRET_TIMEOUT', async () => {
    const p = mapProvider('slow', { A: 'x' });
    p.hold();
    const s = track(secrets({ providers: [p], secrets: { A: true }, timeoutMs: 50 }));
    const err = await errorOf(s.get('A'));
    expect(err.code).toBe('ERR_SECRET_TIMEOUT');
    expect(err.message).toBe('secrets: reading secret "A" from slow took longer than 50 ms');
    expect(p.stats.signals[0]!.aborted).toBe(true);
  });

  it('a caller signal rejects get() at once; close() aborts reads in flight and stops the refresh timer', async () => {
    const p = mapProvider('slow', { A: 'x' });
    const release = p.hold();
    const s = secrets({ providers: [p], secrets: { A: true }, refreshMs: 60_000 });
    const ac = new AbortController();
    const pending = s.get('A', ac.signal);
    ac.abort(new Error('client went away'));
    await expect(pending).rejects.toThrow('client went away');
    const inflight = s.get('A');
    await s.close();
    expect((await errorOf(inflight)).code).toBe('ERR_SECRETS_CLOSED');
    expect(p.stats.signals.every((sig) => sig.aborted)).toBe(true);
    expect((await errorOf(s.get('A'))).code).toBe('ERR_SECRETS_CLOSED');
    release();
  });

  it('a throwing event listener cannot fail a read', async () => {
    const s = track(secrets({ providers: [envProvider({ env: { A: 'a' } })], secrets: { A: true } }));
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown): void => {
      uncaught.push(e);
    };
    process.on('uncaughtException', onUncaught);
    try {
      s.on('access', () => {
        throw new Error('listener bug');
      });
      expect((await s.get('A')).reveal()).toBe('a');
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('uncaughtException', onUncaught);
    }
    expect(uncaught).toHaveLength(1);
  });
});
