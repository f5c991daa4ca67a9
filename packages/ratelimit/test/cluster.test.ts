import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type RateLimitDecision,
  type RateLimiter,
  type RedisSend,
  type RedisStore,
  rateLimiter,
  rateLimiters,
  redisStore,
} from '../src/index.js';
import { keySlot } from '../src/internal/slot.js';
import { type ClusterNode, type ClusterTopology, missingBinaries, startCluster, waitUntil } from './topology.js';

// A real 3-master Redis Cluster on loopback (6 redis-server processes, `redis-cli --cluster create`), driven through
// ioredis' Cluster client: per-slot batching, a manual CLUSTER FAILOVER and a master killed with SIGKILL under load.
const missing = missingBinaries(['redis-server', 'redis-cli']);
const title = `Redis Cluster (3 masters, 3 replicas on 127.0.0.1:7100-7149)${missing.length > 0 ? ` — SKIPPED: ${missing.join(', ')} not on PATH` : ''}`;
if (missing.length > 0) console.warn(`cluster.test.ts: ${title}`);

const PREFIX = `rl-cluster-${process.pid}:`;

describe.skipIf(missing.length > 0)(title, () => {
  let topo: ClusterTopology;
  let client: Cluster;
  /** Every command sent: its keys (to check that each touches one slot). */
  const commands: string[][] = [];
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  let send: RedisSend;

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    topo = await startCluster();
    client = new Cluster([{ host: '127.0.0.1', port: topo.ports[0]! }], {
      // Fail fast per command; the cluster client refreshes its slot map and follows MOVED/ASK itself.
      redisOptions: { maxRetriesPerRequest: 1, commandTimeout: 1_000 },
      clusterRetryStrategy: () => 100,
      retryDelayOnClusterDown: 100,
      retryDelayOnFailover: 100,
    });
    client.on('error', () => {});
    await waitUntil('the cluster client to be ready', () => client.status === 'ready', 15_000);
    send = (a) => {
      commands.push(a);
      return client.call(a[0]!, ...a.slice(1));
    };
  }, 90_000);

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    client?.disconnect();
    await topo?.stop();
  });

  /** Keys of one EVAL/EVALSHA command (numkeys after the script). */
  const keysOf = (a: string[]): string[] => a.slice(3, 3 + Number(a[2]));

  /** `perKey` concurrent consumes on each key: exactly `limit` allowed per key, every decision from Redis. */
  const exact = async (l: RateLimiter, keys: string[], perKey: number, limit: number): Promise<void> => {
    const ds = await Promise.all(keys.flatMap((k) => Array.from({ length: perKey }, () => l.consume(k))));
    expect(ds.filter((d) => d.source !== 'store').map((d) => d.source)).toEqual([]);
    const allowed = new Map<string, number>();
    ds.forEach((d, i) => {
      const k = keys[Math.floor(i / perKey)]!;
      if (d.allowed) allowed.set(k, (allowed.get(k) ?? 0) + 1);
    });
    for (const k of keys) expect([k, allowed.get(k) ?? 0]).toEqual([k, limit]);
  };

  const slotsOf = (keys: string[]) => new Set(keys.map((k) => keySlot(k)));
  const fresh = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `${tag}-${i}`);
  const owns = (n: ClusterNode, slot: number) => n.slots.some(([a, b]) => slot >= a && slot <= b);
  /** A key (the limiter's hash tag is the key itself) in a slot that `node` owns. */
  const keyOn = (node: ClusterNode, tag: string): string => {
    for (let i = 0; ; i++) if (owns(node, keySlot(`${tag}-${i}`))) return `${tag}-${i}`;
  };

  /** Consumes in a loop on keys across all slots until `stop()`; checks every decision against the fail mode. */
  const load = (allow: RateLimiter, deny: RateLimiter, tag: string) => {
    let running = true;
    const seen = { store: 0, storeError: 0 };
    const check = (d: RateLimitDecision, mode: 'allow' | 'deny') => {
      if (d.source === 'store') seen.store++;
      else {
        expect(d.source).toBe('store-error');
        expect(d.allowed).toBe(mode === 'allow');
        seen.storeError++;
      }
    };
    const loops = Array.from({ length: 40 }, async (_, i) => {
      let j = 0;
      while (running) {
        const k = `${tag}-${i}-${j++ % 50}`;
        const [a, d] = await Promise.all([allow.consume(k), deny.consume(k)]);
        check(a, 'allow');
        check(d, 'deny');
        await new Promise((r) => setTimeout(r, 5));
      }
    });
    return {
      seen,
      async stop() {
        running = false;
        await Promise.all(loops);
      },
    };
  };

  const limiters = (store: RedisStore, name: string, limit: number) => ({
    allow: rateLimiter({ name, limit, windowMs: 3_600_000, store, timeoutMs: 300, onStoreError: 'allow' }),
    deny: rateLimiter({ name, limit, windowMs: 3_600_000, store, timeoutMs: 300, onStoreError: 'deny' }),
  });

  it('exact limits across all three masters; every batch touches one slot', async () => {
    const keys = fresh('exact', 100);
    expect(slotsOf(keys).size).toBeGreaterThan(90);
    for (const cluster of [true, 'auto'] as const) {
      commands.length = 0;
      const store = redisStore({ send, prefix: PREFIX, cluster });
      const l = rateLimiter({ name: `gcra-${cluster}`, limit: 10, windowMs: 3_600_000, store, timeoutMs: 2_000 });
      await exact(l, keys, 15, 10);
      const cross = commands.flatMap((a, i) => (new Set(keysOf(a).map(keySlot)).size > 1 ? [i] : []));
      // cluster: true never sends a cross-slot batch. 'auto' sends the first tick's batches (1500 decisions: 6 of at
      // most 256) across slots; Redis refuses them, and from then on every command touches one slot.
      if (cluster === true) expect(cross).toEqual([]);
      else expect(cross).toEqual([0, 1, 2, 3, 4, 5]);
      // Batching still pays where a slot has several decisions: fewer commands than decisions.
      expect(commands.length).toBeLessThan(1500);
    }
    const group = rateLimiters(
      [
        { name: 'minute', limit: 60, windowMs: 60_000 },
        { name: 'hour', limit: 1000, windowMs: 3_600_000 },
      ],
      { store: redisStore({ send, prefix: PREFIX }), timeoutMs: 2_000 },
    );
    await exact(group, fresh('group', 25), 70, 60); // 1750 decisions at once: under the default maxPending (2048)
    expect(unhandled).toEqual([]);
  }, 60_000);

  it('CLUSTER FAILOVER under load: no crash or unhandled rejection, fail mode in between, state kept, exact after', async () => {
    const store = redisStore({ send, prefix: PREFIX });
    const { allow, deny } = limiters(store, 'fo', 10);
    const before = await topo.nodes();
    const replica = before.find((n) => !n.master && !n.failed)!;
    const oldMaster = before.find((n) => n.id === replica.masterId)!;
    // A key on the master that is about to step down, used up before the failover.
    const pre = keyOn(oldMaster, 'pre');
    await exact(allow, [pre], 12, 10);

    const bg = load(allow, deny, 'fo-load');
    await new Promise((r) => setTimeout(r, 300));
    expect(await topo.ask(replica.port, 'CLUSTER', 'FAILOVER')).toBe('OK');
    await waitUntil(
      `replica ${replica.port} to take over from ${oldMaster.port}`,
      async () => (await topo.nodes(replica.port)).find((n) => n.id === replica.id)!.master && (await topo.healthy()),
      30_000,
    );
    await new Promise((r) => setTimeout(r, 500));
    await bg.stop();
    expect(bg.seen.store).toBeGreaterThan(0);

    // A manual failover waits for the replica to catch up: the used-up key is still used up on the new master.
    await waitUntil('decisions from the new master', async () => (await deny.consume(pre)).source === 'store', 15_000);
    expect(await allow.consume(pre)).toMatchObject({ allowed: false, source: 'store' });
    await exact(allow, fresh('after-fo', 60), 12, 10);
    expect(unhandled).toEqual([]);
  }, 90_000);

  it('a master killed under load: fail mode while its slots have no master, exact limits once its replica took over', async () => {
    const store = redisStore({ send, prefix: PREFIX });
    const { allow, deny } = limiters(store, 'kill', 10);
    const before = await topo.nodes();
    const victim = before.find((n) => n.master && !n.failed && before.some((r) => r.masterId === n.id && !r.failed))!;
    const heir = before.find((n) => n.masterId === victim.id && !n.failed)!;
    const orphan = keyOn(victim, 'orphan');
    await exact(allow, [keyOn(victim, 'warm')], 1, 1); // the client knows the victim's slots

    const bg = load(allow, deny, 'kill-load');
    await new Promise((r) => setTimeout(r, 300));
    await topo.kill(victim.port);

    // Right after the kill the slot has no master (the replica waits cluster-node-timeout, 3 s, before it may take
    // over): decisions on it follow each limiter's fail mode.
    const [a, d] = await Promise.all([allow.consume(orphan), deny.consume(orphan)]);
    const roleNow = (await topo.ask(heir.port, 'ROLE')) as [string];
    expect(roleNow[0]).toBe('slave'); // the premise: still no master for the slot when those decisions were made
    expect(a).toMatchObject({ allowed: true, source: 'store-error' });
    expect(d).toMatchObject({ allowed: false, source: 'store-error' });

    await waitUntil(
      `replica ${heir.port} to replace the killed master ${victim.port}`,
      async () => (await topo.nodes(heir.port)).find((n) => n.id === heir.id)!.master && (await topo.healthy()),
      30_000,
    );
    await waitUntil(
      'decisions from the new master',
      async () => (await deny.consume(orphan)).source === 'store',
      15_000,
    );
    await bg.stop();
    expect(bg.seen.storeError).toBeGreaterThan(0);
    expect(bg.seen.store).toBeGreaterThan(0);
    expect(store.stats().pending).toBeLessThanOrEqual(store.stats().maxPending);

    // Exact limits again, on keys spread over every slot, the promoted replica's included.
    const keys = fresh('after-kill', 80);
    const now = await topo.nodes(heir.port);
    expect(keys.some((k) => owns(now.find((n) => n.id === heir.id)!, keySlot(k)))).toBe(true);
    await exact(allow, keys, 12, 10);
    expect(unhandled).toEqual([]);
  }, 120_000);
});
