import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as fc from 'fast-check';
import { Redis } from 'ioredis';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Algorithm,
  memoryStore,
  type RateLimitDecision,
  type RateLimiter,
  REDIS_BATCH_MAX,
  rateLimiter,
  redisStore,
} from '../src/index.js';
import { keySlot } from '../src/internal/slot.js';
import { freePort, spawnRedisServer, stopServer } from './redis-server.js';

// Where the tests' Redis is: REDIS_URL, else the local default (the test run's globalSetup starts it when down).
const REDIS_URL = process.env.REDIS_URL || 'redis://127.0.0.1:6379';

// Private throwaway redis-servers on random ports (one cluster-enabled, for CLUSTER KEYSLOT; one fresh, for NOSCRIPT).
// The shared server on 6379 only gets keys under this file's own prefix.
const servers: ChildProcess[] = [];
const dirs: string[] = [];
async function startRedis(extra: string[] = [], at?: number): Promise<{ port: number; proc: ChildProcess }> {
  const port = at ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'rl-batch-'));
  dirs.push(dir);
  const proc = await spawnRedisServer(servers, port, ['--dir', dir, ...extra]);
  return { port, proc };
}
afterAll(async () => {
  for (const s of servers) await stopServer(s);
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('keySlot', () => {
  it('matches published CLUSTER KEYSLOT values', () => {
    // redis.io CLUSTER KEYSLOT docs and the cluster spec examples.
    expect(keySlot('somekey')).toBe(11058);
    expect(keySlot('foo{hash_tag}')).toBe(2515);
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('bar')).toBe(5061);
    expect(keySlot('hello')).toBe(866);
    expect(keySlot('{user1000}.following')).toBe(keySlot('{user1000}.followers'));
  });

  it('matches a real cluster-enabled redis-server for random keys (braces, empty tags, non-ASCII)', async () => {
    const { port } = await startRedis(['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf']);
    const r = new Redis({ port });
    try {
      const part = fc.string({
        unit: fc.constantFrom('a', 'b', '{', '}', ':', '0', 'é', '€', '😀', 'z'),
        maxLength: 8,
      });
      const keys = fc.sample(fc.oneof(part, fc.string({ unit: 'binary', maxLength: 12 })), 400);
      keys.push('rl:{user:42}:default', 'a{}b', '{}x', 'rl:{a}b}:x', '{', '}{', 'x{y', '{{a}}', '');
      for (const k of keys) {
        const want = await r.call('CLUSTER', 'KEYSLOT', k);
        expect([k, keySlot(k)]).toEqual([k, want]);
      }
    } finally {
      r.disconnect();
    }
  });
});

const ALGOS: Algorithm[] = ['gcra', 'fixed-window', 'token-bucket', 'sliding-window'];

describe('batching on the shared Redis', () => {
  const redis = new Redis(REDIS_URL);
  const prefix = `rltest:batch:${process.pid}:${Date.now()}:`;
  const send = (a: string[]) => redis.call(a[0]!, ...a.slice(1));
  beforeAll(() => redis.ping());
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  });

  it('cluster: true sends one EVALSHA per cluster slot for decisions of one tick; same results as sequential decisions', async () => {
    for (const algorithm of ALGOS) {
      let now = 1_750_000_000_000;
      const clock = () => now;
      const sent: string[][] = [];
      const store = redisStore({
        send: (a) => {
          sent.push(a);
          return send(a);
        },
        prefix: `${prefix}a:`,
        clock,
        cluster: true,
      });
      const opts = { algorithm, limit: 20, windowMs: 10_000, name: 'x' } as const;
      const ours = rateLimiter({ ...opts, store, onStoreError: 'throw' });
      const ref = rateLimiter({ ...opts, store: memoryStore({ clock }) });
      const unbatched = rateLimiter({
        ...opts,
        store: redisStore({ send, prefix: `${prefix}u:`, clock, batch: false }),
        onStoreError: 'throw',
      });
      // 30 decisions on one key interleaved with 1..2 decisions on 40 other keys, all in one tick.
      const keys: string[] = [];
      for (let i = 0; i < 40; i++) keys.push(`${algorithm}:same`, `${algorithm}:k${i}`, `${algorithm}:same`);
      keys.push(`${algorithm}:k3`, `${algorithm}:k7`);
      const got = await Promise.all(keys.map((k) => ours.consume(k)));
      const slots = new Map<number, string[]>();
      for (const k of keys) {
        const full = `${prefix}a:{${k}}:x`;
        slots.set(keySlot(full), [...(slots.get(keySlot(full)) ?? []), full]);
      }
      // One EVALSHA per slot; a fresh script may get NOSCRIPT, then that batch is re-sent once with EVAL.
      const shas = sent.filter((a) => a[0] === 'EVALSHA');
      const evals = sent.filter((a) => a[0] === 'EVAL');
      expect(shas.length).toBe(slots.size);
      expect(evals.length).toBeLessThanOrEqual(slots.size);
      const shaKeys = shas.map((a) => a.slice(3).join(' '));
      for (const a of evals) expect(shaKeys).toContain(a.slice(3).join(' '));
      expect(slots.size).toBeGreaterThan(30);
      for (const a of sent) {
        const n = Number(a[2]);
        const batchKeys = a.slice(3, 3 + n);
        expect(batchKeys).toEqual(slots.get(keySlot(batchKeys[0]!)));
      }
      expect(shas.filter((a) => Number(a[2]) > 1).length).toBeGreaterThan(0);
      const want: RateLimitDecision[] = [];
      const plain: RateLimitDecision[] = [];
      for (const k of keys) {
        want.push(await ref.consume(k));
        plain.push(await unbatched.consume(k));
      }
      expect(got).toEqual(want);
      expect(got).toEqual(plain);
      expect(got.filter((d, i) => keys[i] === `${algorithm}:same` && d.allowed).length).toBe(20);
      now += 1;
    }
  });

  it('random mixes of consume/peek/refund/penalize/block/reset issued in one tick equal the same calls in order', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...ALGOS),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 1, max: 3000 }),
        fc.integer({ min: 0, max: 2000 }),
        fc.array(
          fc.array(
            fc.record({
              kind: fc.constantFrom('consume', 'consume', 'consume', 'peek', 'refund', 'penalize', 'block', 'reset'),
              key: fc.constantFrom('a', 'a', 'b', 'c'),
              cost: fc.integer({ min: 1, max: 2 }),
            }),
            { minLength: 1, maxLength: 30 },
          ),
          { minLength: 1, maxLength: 4 },
        ),
        fc.integer({ min: 0, max: 2000 }),
        async (algorithm, limit, windowMs, blockMs, ticks, dt) => {
          let now = 1_750_000_000_000;
          const clock = () => now;
          const tag = `p${n++}`;
          const opts = { algorithm, limit: limit + 1, windowMs, blockMs, name: 'y' };
          const ours = rateLimiter({ ...opts, store: redisStore({ send, prefix, clock }), onStoreError: 'throw' });
          const ref = rateLimiter({ ...opts, store: memoryStore({ clock }) });
          type O = (typeof ticks)[number][number];
          const run = (l: RateLimiter, o: O): Promise<RateLimitDecision | undefined> => {
            const k = `${tag}:${o.key}`;
            switch (o.kind) {
              case 'consume':
                return l.consume(k, { cost: o.cost });
              case 'peek':
                return l.peek(k, { cost: o.cost });
              case 'refund':
                return l.refund(k, { cost: o.cost });
              case 'penalize':
                return l.penalize(k, { cost: o.cost });
              case 'block':
                return l.block(k, o.cost * 700);
              default:
                return l.reset(k).then(() => undefined);
            }
          };
          for (const ops of ticks) {
            const got = await Promise.all(ops.map((o) => run(ours, o)));
            const want: Array<RateLimitDecision | undefined> = [];
            for (const o of ops) want.push(await run(ref, o));
            expect(got).toEqual(want);
            now += dt;
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it(`caps a batch at ${REDIS_BATCH_MAX} decisions and still admits exactly the limit (server time)`, async () => {
    for (const client of ['ioredis', 'node-redis'] as const) {
      const c = client === 'node-redis' ? createClient({ url: REDIS_URL }) : null;
      await c?.connect();
      const sizes: number[] = [];
      const store = redisStore({
        send: (a) => {
          // EVALSHA attempts only: on a Redis that has not cached the script yet (a fresh server), each is retried
          // once as EVAL after NOSCRIPT, which is not a batch of its own
          if (a[0] === 'EVALSHA') sizes.push(Number(a[2]));
          return c ? c.sendCommand(a) : send(a);
        },
        prefix,
      });
      const l = rateLimiter({
        algorithm: 'fixed-window',
        limit: 100,
        windowMs: 86_400_000,
        store,
        onStoreError: 'throw',
        timeoutMs: 10_000, // what is checked is the batching; a loaded CI machine must not turn it into a timeout
      });
      const all = await Promise.all(Array.from({ length: 600 }, () => l.consume(`cap-${client}`)));
      expect(sizes).toEqual([REDIS_BATCH_MAX, REDIS_BATCH_MAX, 600 - 2 * REDIS_BATCH_MAX]);
      expect(all.filter((d) => d.allowed).length).toBe(100);
      expect(all.slice(0, 100).every((d) => d.allowed)).toBe(true);
      expect(all.map((d) => d.remaining).slice(0, 101)).toEqual([...Array.from({ length: 100 }, (_, i) => 99 - i), 0]);
      await c?.close();
    }
  });

  for (const cluster of ['auto', undefined, false] as const) {
    it(`cluster: ${String(cluster)} sends one batch per tick across slots on a standalone server, with the same results`, async () => {
      const sent: string[][] = [];
      let now = 1_750_000_000_000;
      const clock = () => now;
      const store = redisStore({
        send: (a) => {
          sent.push(a);
          return send(a);
        },
        prefix: `${prefix}c${String(cluster)}:`,
        clock,
        ...(cluster === undefined ? {} : { cluster }),
      });
      const opts = { algorithm: 'gcra', limit: 3, windowMs: 1000 } as const;
      const l = rateLimiter({ ...opts, store, onStoreError: 'throw' });
      const ref = rateLimiter({ ...opts, store: memoryStore({ clock }) });
      const keys = Array.from({ length: 50 }, (_, i) => `k${i % 10}`);
      expect(new Set(keys.map((k) => keySlot(`{${k}}`))).size).toBe(10);
      for (let tick = 0; tick < 3; tick++) {
        sent.length = 0;
        const got = await Promise.all(keys.map((k) => l.consume(k)));
        expect(sent.filter((a) => a[0] === 'EVALSHA').map((a) => a[2])).toEqual(['50']);
        const want: RateLimitDecision[] = [];
        for (const k of keys) want.push(await ref.consume(k));
        expect(got).toEqual(want);
        now += 400;
      }
    });
  }

  it('rejects a cluster option that is not a boolean or auto', () => {
    expect(() => redisStore({ send, cluster: 'no' as never })).toThrow(/cluster must be a boolean or 'auto'/);
    expect(() => redisStore({ send, cluster: 1 as never })).toThrow(/cluster must be a boolean or 'auto'/);
  });

  it('batch: false sends one EVALSHA per decision', async () => {
    const sent: string[][] = [];
    const store = redisStore({
      send: (a) => {
        // EVALSHA attempts only (a fresh server answers the first NOSCRIPT, retried once as EVAL)
        if (a[0] === 'EVALSHA') sent.push(a);
        return send(a);
      },
      prefix,
      batch: false,
    });
    const l = rateLimiter({ limit: 10, windowMs: 1000, store, onStoreError: 'throw', timeoutMs: 10_000 });
    await Promise.all(Array.from({ length: 12 }, () => l.consume('unbatched')));
    expect(sent.length).toBe(12);
    expect(sent.every((a) => a[0] === 'EVALSHA' && a[2] === '1')).toBe(true);
    expect(() => redisStore({ send, batch: 1 as never })).toThrow(/batch must be a boolean/);
  });
});

describe('batch faults', () => {
  it('EVAL only after NOSCRIPT for the batch script; an outage fails every decision of a batch per onStoreError', async () => {
    const { port } = await startRedis();
    let proc = servers[servers.length - 1]!;
    const redis = new Redis({ port, maxRetriesPerRequest: 1, retryStrategy: () => 50, enableOfflineQueue: false });
    redis.on('error', () => {});
    await new Promise((r) => redis.once('ready', r));
    try {
      const sent: string[] = [];
      const store = redisStore({
        send: (a) => {
          sent.push(`${a[0]} ${a[2]}`);
          return redis.call(a[0]!, ...a.slice(1));
        },
      });
      const allow = rateLimiter({ limit: 5, windowMs: 60_000, store, timeoutMs: 300, onStoreError: 'allow' });
      const deny = rateLimiter({ limit: 5, windowMs: 60_000, store, timeoutMs: 300, onStoreError: 'deny' });
      const first = await Promise.all(Array.from({ length: 7 }, () => allow.consume('n')));
      expect(sent).toEqual(['EVALSHA 7', 'EVAL 7']);
      expect(first.map((d) => [d.allowed, d.source])).toEqual([
        ...Array.from({ length: 5 }, () => [true, 'store']),
        [false, 'store'],
        [false, 'store'],
      ]);
      await Promise.all(Array.from({ length: 3 }, () => allow.consume('m')));
      expect(sent.slice(2)).toEqual(['EVALSHA 3']);

      await stopServer(proc);
      const down = await Promise.all([
        ...Array.from({ length: 4 }, () => allow.consume('n')),
        ...Array.from({ length: 4 }, () => deny.consume('n')),
      ]);
      expect(down.slice(0, 4).every((d) => d.allowed && d.source === 'store-error')).toBe(true);
      expect(down.slice(4).every((d) => !d.allowed && d.source === 'store-error' && d.retryAfterMs === 1000)).toBe(
        true,
      );

      ({ proc } = await startRedis([], port));
      const end = Date.now() + 5000;
      let back: RateLimitDecision[] = [];
      while (Date.now() < end) {
        back = await Promise.all(Array.from({ length: 3 }, () => deny.consume('r')));
        if (back.every((d) => d.source === 'store')) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(back.map((d) => [d.source, d.remaining])).toEqual([
        ['store', 4],
        ['store', 3],
        ['store', 2],
      ]);
    } finally {
      redis.disconnect();
    }
  });

  it('a hanging send times out every decision of the batch per call', async () => {
    let calls = 0;
    const store = redisStore({
      send: () => {
        calls++;
        return new Promise(() => {});
      },
    });
    const l = rateLimiter({ limit: 5, windowMs: 1000, store, timeoutMs: 100, onStoreError: 'deny' });
    const all = await Promise.all(Array.from({ length: 10 }, () => l.consume('h')));
    expect(calls).toBe(1);
    expect(all.every((d) => !d.allowed && d.source === 'store-error')).toBe(true);
    const thrower = rateLimiter({ limit: 5, windowMs: 1000, store, timeoutMs: 100, onStoreError: 'throw' });
    await expect(Promise.all([thrower.consume('h'), thrower.consume('h')])).rejects.toMatchObject({
      code: 'ERR_STORE_TIMEOUT',
    });
  });
});

describe("cluster: 'auto' on a real cluster node (all slots assigned to it)", () => {
  let redis: Redis;
  beforeAll(async () => {
    const { port } = await startRedis(['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf']);
    redis = new Redis({ port });
    await redis.call('CLUSTER', 'ADDSLOTSRANGE', '0', '16383');
    const end = Date.now() + 10_000;
    while (!String(await redis.call('CLUSTER', 'INFO')).includes('cluster_state:ok')) {
      if (Date.now() > end) throw new Error('cluster_state never became ok');
      await new Promise((r) => setTimeout(r, 50));
    }
  });
  afterAll(() => redis?.disconnect());

  it('first tick: one cross-slot batch, CROSSSLOT, then per-slot batches; results equal sequential decisions; later ticks per slot', async () => {
    const base = (a: string[]) => redis.call(a[0]!, ...a.slice(1));
    for (const algorithm of ALGOS) {
      let now = 1_750_000_000_000;
      const clock = () => now;
      const sent: string[][] = [];
      const errors: string[] = [];
      const store = redisStore({
        send: (a) => {
          sent.push(a);
          return base(a).catch((e: Error) => {
            errors.push(`${a[0]} ${a[2]}: ${e.message}`);
            throw e;
          });
        },
        clock,
      });
      const opts = { algorithm, limit: 4, windowMs: 10_000, blockMs: 1500, name: 'n' } as const;
      const ours = rateLimiter({ ...opts, store, onStoreError: 'throw' });
      const ref = rateLimiter({ ...opts, store: memoryStore({ clock }) });
      const keys: string[] = [];
      for (let i = 0; i < 12; i++)
        keys.push(`${algorithm}:hot`, `${algorithm}:k${i}`, `${algorithm}:hot`, `${algorithm}:k${i % 3}`);
      const full = (k: string) => `rl:{${k}}:n`;
      const groups = new Map<number, string[]>();
      for (const k of keys) groups.set(keySlot(full(k)), [...(groups.get(keySlot(full(k))) ?? []), full(k)]);
      expect(groups.size).toBeGreaterThan(5);

      for (let tick = 0; tick < 3; tick++) {
        sent.length = 0;
        errors.length = 0;
        const got = await Promise.all(keys.map((k, i) => (i % 7 === 6 ? ours.peek(k) : ours.consume(k))));
        const want: RateLimitDecision[] = [];
        for (const [i, k] of keys.entries()) want.push(await (i % 7 === 6 ? ref.peek(k) : ref.consume(k)));
        expect(got).toEqual(want);
        let rest = sent;
        if (tick === 0) {
          // The cross-slot batch of the whole tick, refused before it ran.
          expect(sent[0]![0]).toBe('EVALSHA');
          expect(sent[0]!.slice(3, 3 + Number(sent[0]![2]))).toEqual(keys.map(full));
          expect(errors[0]).toMatch(new RegExp(`^EVALSHA ${keys.length}: CROSSSLOT`));
          expect(errors.slice(1).every((e) => e.includes('NOSCRIPT'))).toBe(true);
          rest = sent.slice(1);
        } else {
          expect(errors).toEqual([]);
        }
        // Then (and on every later tick directly) one EVALSHA per slot, each with that slot's keys in call order; a
        // fresh script gets NOSCRIPT once, then that command is re-sent as EVAL.
        const shas = rest.filter((a) => a[0] === 'EVALSHA');
        expect(shas.length).toBe(groups.size);
        expect(rest.length - shas.length).toBe(errors.filter((e) => e.includes('NOSCRIPT')).length);
        for (const a of rest) {
          const batchKeys = a.slice(3, 3 + Number(a[2]));
          expect(batchKeys).toEqual(groups.get(keySlot(batchKeys[0]!)));
        }
        now += 700;
      }
    }
  });

  it('a second limiter on the same store goes per slot directly once the store has switched', async () => {
    const sent: string[][] = [];
    const store = redisStore({
      send: (a) => {
        sent.push(a);
        return redis.call(a[0]!, ...a.slice(1));
      },
      prefix: 'rl2:',
    });
    const a = rateLimiter({ limit: 5, windowMs: 60_000, name: 'a', store, onStoreError: 'throw' });
    const b = rateLimiter({ limit: 5, windowMs: 60_000, name: 'b', store, onStoreError: 'throw' });
    const keys = ['x', 'y', 'z', 'x', 'w', 'x'];
    const ga = await Promise.all(keys.map((k) => a.consume(k)));
    expect(ga.map((d) => d.remaining)).toEqual([4, 4, 4, 3, 4, 2]);
    sent.length = 0;
    const gb = await Promise.all(keys.map((k) => b.consume(k)));
    expect(gb.map((d) => d.remaining)).toEqual([4, 4, 4, 3, 4, 2]);
    const batches = sent.filter((c) => c[0] === 'EVALSHA').map((c) => c.slice(3, 3 + Number(c[2])));
    expect(batches.length).toBe(4);
    for (const ks of batches) expect(new Set(ks.map((k) => keySlot(k))).size).toBe(1);
  });

  it('cluster: false stays forced: a CROSSSLOT refusal fails the decisions of that batch', async () => {
    const l = rateLimiter({
      limit: 5,
      windowMs: 60_000,
      store: redisStore({ send: (a) => redis.call(a[0]!, ...a.slice(1)), prefix: 'rl3:', cluster: false }),
      onStoreError: 'deny',
    });
    const got = await Promise.all(['p', 'q', 'r'].map((k) => l.consume(k)));
    expect(got.every((d) => !d.allowed && d.source === 'store-error')).toBe(true);
  });
});
