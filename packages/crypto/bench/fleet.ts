/**
 * Shared key stores on the real PostgreSQL (127.0.0.1:5432) and Redis (127.0.0.1:6379): what a fleet pays and how
 * fast it converges. Each "instance" is a keyring with its own client connection.
 *
 * - store calls: load, compare-and-set update (a manual rotation), reserve, with no contention;
 * - unknown key id: a decrypt that meets a key the instance has not seen yet (one store reload inside);
 * - pickup: after a manual rotation by one instance, how long until each of 3 others seals under the new key
 *   (sealing every 5 ms, refreshMs = 1000: the bound is refreshMs plus one store read).
 *
 * Run: pnpm --filter @org/crypto bench:fleet
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import pg from 'pg';
import {
  createCipher,
  createKeyring,
  inspectEnvelope,
  type KeyStore,
  postgresKeyStore,
  postgresKeyStoreSchema,
  redisKeyStore,
} from '../src/index.js';

const KEK = randomBytes(32).toString('base64');
const run = randomBytes(4).toString('hex');
const table = `bench_fleet_${run}`;
const redisPrefix = `org-crypto-bench:${run}:`;
const REFRESH_MS = 1000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
await admin.connect();
if ((await admin.query("SELECT 1 FROM pg_database WHERE datname = 'crypto_keystore_test'")).rowCount === 0)
  await admin.query('CREATE DATABASE crypto_keystore_test');
await admin.end();
const PG_URL = 'postgres://postgres@127.0.0.1:5432/crypto_keystore_test';

const pools: pg.Pool[] = [];
const redises: Redis[] = [];
/** A store reached through a client of its own (one per simulated instance). */
function instanceStore(kind: 'postgres' | 'redis', name: string): KeyStore {
  if (kind === 'postgres') {
    const pool = new pg.Pool({ connectionString: PG_URL, max: 2 });
    pools.push(pool);
    return postgresKeyStore({ query: (t, p) => pool.query(t, p), kek: KEK, table, name });
  }
  const redis = new Redis('redis://127.0.0.1:6379');
  redises.push(redis);
  return redisKeyStore({ send: (a) => redis.call(a[0]!, ...a.slice(1)), kek: KEK, key: `${redisPrefix}${name}` });
}

const stats = (xs: number[]): string => {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))]!;
  return `median ${q(0.5).toFixed(2)} ms, p95 ${q(0.95).toFixed(2)} ms, max ${s.at(-1)!.toFixed(2)} ms (n=${s.length})`;
};
async function time(n: number, f: () => Promise<unknown>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await f();
    out.push(performance.now() - t0);
  }
  return out;
}

await (async () => {
  const p = new pg.Pool({ connectionString: PG_URL, max: 1 });
  await p.query(postgresKeyStoreSchema(table));
  await p.end();
})();

const lines: string[] = [];
for (const kind of ['postgres', 'redis'] as const) {
  const name = `ring_${kind}`;
  const a = await createKeyring({ store: instanceStore(kind, name), refreshMs: REFRESH_MS });
  const store = instanceStore(kind, name);
  await store.load();
  const load = await time(200, () => store.load());
  const rotate = await time(100, () => a.rotate());
  const reserve = await time(200, () => store.reserve!(a.primaryId!, 1, 2 ** 32));
  lines.push(`${kind}: load ${stats(load)}`);
  lines.push(`${kind}: rotate (compare-and-set write) ${stats(rotate)}`);
  lines.push(`${kind}: reserve ${stats(reserve)}`);

  // Unknown key id: a fresh instance b decrypts what a sealed under a key b has not loaded yet.
  const b = await createKeyring({ store: instanceStore(kind, name), refreshMs: REFRESH_MS, refreshMinIntervalMs: 0 });
  const cb = createCipher({ keyring: b });
  const ca = createCipher({ keyring: a });
  const unknown: number[] = [];
  for (let i = 0; i < 100; i++) {
    await a.rotate();
    const env = await ca.encrypt(new Uint8Array(16));
    const t0 = performance.now();
    await cb.decrypt(env);
    unknown.push(performance.now() - t0);
  }
  lines.push(`${kind}: decrypt under an unknown key id (one reload) ${stats(unknown)}`);

  // Pickup: 3 instances seal every 5 ms; a rotates; time until each one's first envelope under the new key.
  const others = await Promise.all(
    [1, 2, 3].map(() => createKeyring({ store: instanceStore(kind, name), refreshMs: REFRESH_MS })),
  );
  const pickups: number[] = [];
  let stop = false;
  let target = '';
  let previous = '';
  let rotatedAt = 0;
  let late = 0; // seals under the replaced key that started more than refreshMs after the rotation: must stay 0
  let sealsAfter = 0;
  const seen = new Set<number>();
  const loops = others.map(async (keyring, i) => {
    const c = createCipher({ keyring });
    while (!stop) {
      const started = performance.now();
      const id = inspectEnvelope(await c.encrypt(new Uint8Array(16))).keyId;
      if (target && started > rotatedAt + REFRESH_MS) {
        sealsAfter++;
        if (id === previous) late++;
      }
      if (id === target && !seen.has(i)) {
        seen.add(i);
        pickups.push(performance.now() - rotatedAt);
      }
      await sleep(5);
    }
  });
  for (let round = 0; round < 10; round++) {
    await sleep(Math.random() * REFRESH_MS);
    seen.clear();
    const before = a.primaryId!;
    const k = await a.rotate();
    rotatedAt = performance.now();
    previous = before;
    target = k.id;
    while (seen.size < 3) await sleep(5);
  }
  stop = true;
  await Promise.all(loops);
  lines.push(`${kind}: new primary taken up by other instances (refreshMs ${REFRESH_MS}) ${stats(pickups)}`);
  lines.push(
    `${kind}: seals started more than refreshMs after a rotation that still used the replaced key: ${late} of ${sealsAfter}`,
  );
}

for (const p of pools) await p.end().catch(() => undefined);
const cleanup = new pg.Pool({ connectionString: PG_URL, max: 1 });
await cleanup.query(`DROP TABLE IF EXISTS "${table}"`);
await cleanup.end();
for (const r of redises) {
  const keys = await r.keys(`${redisPrefix}*`);
  if (keys.length) await r.del(...keys);
  r.disconnect();
}
console.log(`@org/crypto shared key stores (Node ${process.version})`);
for (const l of lines) console.log(l);
