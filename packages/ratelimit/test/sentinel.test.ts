import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RateLimitDecision, type RateLimiter, rateLimiter, rateLimiters, redisStore } from '../src/index.js';
import { missingBinaries, type SentinelTopology, sentinelCommand, startSentinel, waitUntil } from './topology.js';

// Redis Sentinel on loopback: a master, a replica and three sentinels (Debian's redis-sentinel, or redis-server
// --sentinel, the same program), driven through ioredis' sentinel support: exact limits, a SENTINEL FAILOVER and a
// master killed with SIGKILL under load.
const missing = missingBinaries(['redis-server']);
const title = `Redis Sentinel (master, replica, 3 sentinels on 127.0.0.1:7150-7199; ${missing.length > 0 ? `SKIPPED: ${missing.join(', ')} not on PATH` : `sentinels run as: ${[sentinelCommand().cmd, ...sentinelCommand().args].join(' ')}`})`;
if (missing.length > 0) console.warn(`sentinel.test.ts: ${title}`);

const PREFIX = `rl-sentinel-${process.pid}:`;

describe.skipIf(missing.length > 0)(title, () => {
  let topo: SentinelTopology;
  let client: Redis;
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  let store: ReturnType<typeof redisStore>;

  beforeAll(async () => {
    process.on('unhandledRejection', onUnhandled);
    topo = await startSentinel();
    client = new Redis({
      sentinels: topo.sentinelPorts.map((port) => ({ host: '127.0.0.1', port })),
      name: topo.name,
      // Fail fast per command while the master is away; ioredis asks the sentinels for the master on reconnect.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: 1_000,
      sentinelRetryStrategy: () => 100,
      retryStrategy: () => 100,
    });
    client.on('error', () => {});
    await waitUntil('the sentinel client to be ready', () => client.status === 'ready', 15_000);
    store = redisStore({ send: (a) => client.call(a[0]!, ...a.slice(1)), prefix: PREFIX });
  }, 90_000);

  afterAll(async () => {
    process.off('unhandledRejection', onUnhandled);
    client?.disconnect();
    await topo?.stop();
  });

  const exact = async (l: RateLimiter, keys: string[], perKey: number, limit: number): Promise<void> => {
    const ds = await Promise.all(keys.flatMap((k) => Array.from({ length: perKey }, () => l.consume(k))));
    expect(ds.filter((d) => d.source !== 'store').map((d) => d.source)).toEqual([]);
    for (let i = 0; i < keys.length; i++)
      expect([keys[i], ds.slice(i * perKey, (i + 1) * perKey).filter((d) => d.allowed).length]).toEqual([
        keys[i],
        limit,
      ]);
  };
  const fresh = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `${tag}-${i}`);
  const limiters = (name: string) => ({
    allow: rateLimiter({ name, limit: 10, windowMs: 3_600_000, store, timeoutMs: 300, onStoreError: 'allow' }),
    deny: rateLimiter({ name, limit: 10, windowMs: 3_600_000, store, timeoutMs: 300, onStoreError: 'deny' }),
  });
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
  /** The port of the server the client is talking to, once it is a master. */
  const clientOnMaster = async (port: number) => {
    const role = (await client.call('ROLE')) as [string];
    const info = String(await client.call('INFO', 'server'));
    return role[0] === 'master' && info.includes(`tcp_port:${port}`);
  };

  it('exact limits through the sentinel-managed master (single policy, batched, and a group)', async () => {
    const { allow } = limiters('exact');
    await exact(allow, fresh('exact', 100), 15, 10);
    const group = rateLimiters(
      [
        { name: 'minute', limit: 60, windowMs: 60_000 },
        { name: 'hour', limit: 1000, windowMs: 3_600_000 },
      ],
      { store, timeoutMs: 2_000 },
    );
    await exact(group, fresh('group', 20), 70, 60);
    expect(unhandled).toEqual([]);
  }, 60_000);

  it('SENTINEL FAILOVER under load: no crash or unhandled rejection, fail mode in between, exact after', async () => {
    const { allow, deny } = limiters('fo');
    const from = await topo.currentMaster();
    const pre = 'pre-failover';
    await exact(allow, [pre], 12, 10);
    // The replica must have the used-up key before the switch (a graceful failover promotes a caught-up replica).
    const bg = load(allow, deny, 'fo-load');
    await new Promise((r) => setTimeout(r, 300));
    expect(await topo.ask(topo.sentinelPorts[0]!, 'SENTINEL', 'FAILOVER', topo.name)).toBe('OK');
    await waitUntil('the sentinels to name a new master', async () => (await topo.currentMaster()) !== from, 30_000);
    const to = await topo.currentMaster();
    await waitUntil('the client to reach the new master', () => clientOnMaster(to), 30_000);
    await waitUntil(
      'decisions from the new master',
      async () => (await deny.consume('probe-fo')).source === 'store',
      15_000,
    );
    await bg.stop();
    expect(bg.seen.store).toBeGreaterThan(0);
    expect(await allow.consume(pre)).toMatchObject({ allowed: false, source: 'store' });
    await exact(allow, fresh('after-fo', 60), 12, 10);
    expect(unhandled).toEqual([]);
  }, 90_000);

  it('the master killed under load: fail mode until a replica is promoted, exact limits after', async () => {
    const { allow, deny } = limiters('kill');
    const victim = await topo.currentMaster();
    const bg = load(allow, deny, 'kill-load');
    await new Promise((r) => setTimeout(r, 300));
    await topo.kill(victim);

    // The sentinels need down-after-milliseconds (3 s) plus an election before they promote the replica: until then
    // there is no master, and decisions follow each limiter's fail mode.
    const [a, d] = await Promise.all([allow.consume('orphan'), deny.consume('orphan')]);
    expect(await topo.currentMaster()).toBe(victim); // the premise: not failed over yet
    expect(a).toMatchObject({ allowed: true, source: 'store-error' });
    expect(d).toMatchObject({ allowed: false, source: 'store-error' });

    await waitUntil(
      'the sentinels to promote the replica',
      async () => (await topo.currentMaster()) !== victim,
      30_000,
    );
    const to = await topo.currentMaster();
    await waitUntil('the client to reach the new master', () => clientOnMaster(to), 30_000);
    await waitUntil(
      'decisions from the new master',
      async () => (await deny.consume('orphan')).source === 'store',
      15_000,
    );
    await bg.stop();
    expect(bg.seen.storeError).toBeGreaterThan(0);
    expect(bg.seen.store).toBeGreaterThan(0);
    await exact(allow, fresh('after-kill', 60), 12, 10);
    expect(unhandled).toEqual([]);
  }, 120_000);
});
