// postgresKeyStore and redisKeyStore on the real PostgreSQL and Redis of this machine, through the real clients:
// sealed documents only, compare-and-set updates that never lose a key, one rotation per due period, atomic message
// reservations, and bad stored documents refused with an error naming the store, nothing overwritten.
// (Several processes at once, with SIGKILLs: fleet.test.ts.)
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createCipher,
  createKeyring,
  generateKeyRecord,
  inspectEnvelope,
  type KeyStore,
  postgresKeyStore,
  postgresKeyStoreSchema,
  redisKeyStore,
  serializeKeys,
} from '../src/index.js';
import { toHex } from './helpers.js';
import { deleteKeys, ensureDatabase, pgPool, REDIS_URL, redisClient, uniqueName } from './services.js';

const KEK = Buffer.alloc(32, 7).toString('base64');
const OTHER_KEK = Buffer.alloc(32, 8).toString('base64');
const HOUR = 3_600_000;

let pool: pg.Pool;
let redis: Redis;
let nodeRedis: ReturnType<typeof createClient>;
const table = uniqueName('ks');
const prefix = `${uniqueName('org-crypto-test')}:`;

beforeAll(async () => {
  await ensureDatabase();
  pool = pgPool(8);
  await pool.query(postgresKeyStoreSchema(table));
  redis = redisClient();
  nodeRedis = createClient({ url: REDIS_URL });
  await nodeRedis.connect();
});
afterAll(async () => {
  await pool?.query(`DROP TABLE IF EXISTS "${table}"`);
  await pool?.end();
  if (redis) {
    await deleteKeys(redis, prefix);
    redis.disconnect();
  }
  await nodeRedis?.quit();
});

/** One keyring location in a store, reachable through new store instances and read raw. */
interface Location {
  /** What errors must name. */
  where: string;
  store(kek?: string): KeyStore;
  raw(): Promise<{ version: string; document: string } | null>;
  setRaw(version: string, document: string): Promise<void>;
}

interface Backend {
  name: string;
  location(client?: string): Location;
  clients: string[];
}

const postgres: Backend = {
  name: 'postgresKeyStore',
  clients: ['node-postgres', 'rows array (postgres.js shape)'],
  location(client = 'node-postgres') {
    const name = uniqueName('ring');
    const query =
      client === 'node-postgres'
        ? (text: string, params: unknown[]) => pool.query(text, params)
        : (text: string, params: unknown[]) => pool.query(text, params).then((r) => r.rows);
    return {
      where: `postgresKeyStore(${table}/${name})`,
      store: (kek = KEK) => postgresKeyStore({ query, kek, table, name }),
      async raw() {
        const r = await pool.query(`SELECT version::text AS version, document FROM "${table}" WHERE name = $1`, [name]);
        return r.rows[0] ?? null;
      },
      async setRaw(version, document) {
        await pool.query(
          `INSERT INTO "${table}" (name, version, document) VALUES ($1, $2, $3)
           ON CONFLICT (name) DO UPDATE SET version = $2, document = $3`,
          [name, version, document],
        );
      },
    };
  },
};

const redisBackend: Backend = {
  name: 'redisKeyStore',
  clients: ['ioredis', 'node-redis'],
  location(client = 'ioredis') {
    const key = `${prefix}${uniqueName('ring')}`;
    const send =
      client === 'ioredis'
        ? (a: string[]) => redis.call(a[0]!, ...a.slice(1))
        : (a: string[]) => nodeRedis.sendCommand(a) as Promise<unknown>;
    return {
      where: `redisKeyStore(${key})`,
      store: (kek = KEK) => redisKeyStore({ send, kek, key }),
      async raw() {
        const [version, document] = await redis.hmget(key, 'version', 'document');
        return version === null && document === null ? null : { version: version!, document: document! };
      },
      async setRaw(version, document) {
        await redis.hset(key, 'version', version, 'document', document);
      },
    };
  },
};

describe.each([postgres, redisBackend])('$name on the real server', (backend) => {
  it.each(backend.clients)(
    'works through %s: keyring, rotation, encrypt and decrypt across instances',
    async (client) => {
      const loc = backend.location(client);
      const a = await createKeyring({ store: loc.store() });
      const b = await createKeyring({ store: loc.store() });
      expect(b.primaryId).toBe(a.primaryId);
      const env = await createCipher({ keyring: a }).encryptString('shared', { aad: 'x' });
      await a.rotate();
      const env2 = await createCipher({ keyring: a }).encryptString('after rotation');
      const cb = createCipher({ keyring: b });
      expect(await cb.decryptString(env, { aad: 'x' })).toBe('shared');
      expect(await cb.decryptString(env2)).toBe('after rotation'); // unknown id: b reloads once, then finds it
      expect((await loc.raw())!.version).toBe('2');
    },
  );

  it('stores only the sealed document: no key, key id or clear key list in the row / value', async () => {
    const loc = backend.location();
    const keyring = await createKeyring({ store: loc.store() });
    await keyring.rotate();
    await keyring.stage();
    await keyring.rotate();
    const keys = await loc.store().load();
    expect(keys).toHaveLength(3);
    const { document } = (await loc.raw())!;
    const parsed = JSON.parse(document) as Record<string, unknown>;
    expect(Object.keys(parsed).sort()).toEqual(['format', 'sealed', 'version']);
    for (const k of keys) {
      for (const form of [
        toHex(k.key),
        Buffer.from(k.key).toString('base64'),
        Buffer.from(k.key).toString('base64url'),
        k.id,
      ])
        expect(document).not.toContain(form);
    }
    // Only the right KEK opens it.
    await expect(loc.store(OTHER_KEK).load()).rejects.toMatchObject({ code: 'ERR_KEY_STORE_KEK' });
  });

  it('compare-and-set: 3 store instances x 10 concurrent updates lose no key; the version counts the writes', async () => {
    const loc = backend.location();
    await createKeyring({ store: loc.store() });
    const stores = [loc.store(), loc.store(), loc.store()];
    const added: string[] = [];
    await Promise.all(
      stores.flatMap((s) =>
        Array.from({ length: 10 }, () =>
          s.update((keys) => {
            const k = generateKeyRecord({ state: 'active' });
            added.push(k.id); // ids of every attempt; the winners are checked below
            return [...keys, k];
          }),
        ),
      ),
    );
    const keys = await loc.store().load();
    expect(keys).toHaveLength(31);
    expect(keys.filter((k) => k.state === 'primary')).toHaveLength(1);
    expect(keys.every((k) => k.state === 'primary' || added.includes(k.id))).toBe(true);
    expect((await loc.raw())!.version).toBe('31');
    // An update that would drop a key is refused by the one rule every store applies.
    await expect(loc.store().update((ks) => ks.slice(1))).rejects.toThrow(/would drop key .*keys are never deleted/);
    expect((await loc.raw())!.version).toBe('31');
  });

  it('keyrings that all find the primary due rotate it exactly once; the others adopt that key', async () => {
    let now = 1_000_000;
    const loc = backend.location();
    const rings = await Promise.all([1, 2, 3, 4].map(() => createKeyring({ store: loc.store(), clock: () => now })));
    expect(await loc.store().load()).toHaveLength(1);
    const reasons: string[] = [];
    for (const r of rings) r.on('rotate', (e) => reasons.push(e.reason));
    const ciphers = rings.map((keyring) => createCipher({ keyring }));
    for (let period = 1; period <= 3; period++) {
      now += 24 * HOUR;
      const ids = await Promise.all(
        ciphers.flatMap((c) => [c, c]).map(async (c) => inspectEnvelope(await c.encrypt(new Uint8Array(1))).keyId),
      );
      expect(new Set(ids).size).toBe(1);
      expect(await loc.store().load()).toHaveLength(1 + period);
    }
    expect(reasons.filter((r) => r === 'age')).toHaveLength(3);
    expect(reasons.filter((r) => r === 'adopted')).toHaveLength(9);
  });

  it('reserve: 200 concurrent reservations from 4 store instances grant exactly the limit, never more', async () => {
    const loc = backend.location();
    const keyring = await createKeyring({ store: loc.store() });
    const id = keyring.primaryId!;
    const stores = [1, 2, 3, 4].map(() => loc.store());
    const granted = await Promise.all(
      Array.from({ length: 200 }, (_, i) => stores[i % 4]!.reserve!(id, 1 + (i % 3), 150)),
    );
    expect(granted.reduce((a, b) => a + b, 0)).toBe(150);
    expect(await stores[0]!.reserve!(id, 5, 150)).toBe(0);
  });

  it('rotateAfterMessages is counted for every keyring on the store together', async () => {
    const loc = backend.location();
    const rings = await Promise.all([1, 2, 3].map(() => createKeyring({ store: loc.store(), rotateAfterMessages: 9 })));
    const ciphers = rings.map((keyring) => createCipher({ keyring }));
    const ids = await Promise.all(
      Array.from(
        { length: 90 },
        async (_, i) => inspectEnvelope(await ciphers[i % 3]!.encrypt(new Uint8Array(1))).keyId,
      ),
    );
    const perKey = new Map<string, number>();
    for (const id of ids) perKey.set(id, (perKey.get(id) ?? 0) + 1);
    expect(Math.max(...perKey.values())).toBeLessThanOrEqual(9);
    const stored = await loc.store().load();
    expect(stored.filter((k) => k.state === 'primary')).toHaveLength(1);
    expect(new Set(ids).size).toBeLessThanOrEqual(stored.length);
  });

  it('refuses a bad stored document with an error naming the store, and overwrites nothing', async () => {
    const good = serializeKeys([generateKeyRecord()], { kek: KEK });
    const cases: Array<[string, string, string, string, RegExp]> = [
      [
        'unknown document version',
        '3',
        good.replace('"version":1', '"version":2'),
        'ERR_KEY_STORE_CORRUPT',
        /unsupported document version 2/,
      ],
      [
        'truncated document',
        '3',
        good.slice(0, Math.floor(good.length / 2)),
        'ERR_KEY_STORE_CORRUPT',
        /not valid JSON/,
      ],
      ['wrong KEK', '3', serializeKeys([generateKeyRecord()], { kek: OTHER_KEK }), 'ERR_KEY_STORE_KEK', /wrong KEK/],
      ['a clear (unsealed) key list', '3', serializeKeys([generateKeyRecord()]), 'ERR_KEY_STORE_KEK', /not sealed/],
      [
        'sealed content cut short',
        '3',
        good.replace(/"sealed":"(.*)"/, (_m, s: string) => `"sealed":"${s.slice(0, 40)}"`),
        'ERR_KEY_STORE_KEK',
        /wrong KEK or tampered/,
      ],
    ];
    if (backend === redisBackend)
      cases.push([
        'a version that is not a counter',
        'seven',
        good,
        'ERR_KEY_STORE_CORRUPT',
        /stored version "seven" is not a counter/,
      ]);
    for (const [what, version, document, code, message] of cases) {
      const loc = backend.location();
      await loc.setRaw(version, document);
      const before = await loc.raw();
      const where = new RegExp(`^${loc.where.replace(/[()/.]/g, '\\$&')}: `);
      const fromKeyring = await createKeyring({ store: loc.store() }).catch((e: unknown) => e);
      expect(fromKeyring, what).toMatchObject({ code, message: expect.stringMatching(where) });
      expect((fromKeyring as Error).message, what).toMatch(message);
      const fromUpdate = await loc
        .store()
        .update((keys) => [...keys, generateKeyRecord({ state: 'active' })])
        .catch((e: unknown) => e);
      expect(fromUpdate, what).toMatchObject({ code, message: expect.stringMatching(where) });
      expect(await loc.raw(), what).toEqual(before);
    }
  });

  it('validates options, naming the option', () => {
    const loc = backend.location();
    expect(() => loc.store(undefined)).not.toThrow(); // the default KEK of this test
    if (backend === postgres) {
      const query = (t: string, p: unknown[]) => pool.query(t, p);
      expect(() => postgresKeyStore({ query, kek: process.env.SURELY_NOT_SET_KEK })).toThrow(/kek is required/);
      expect(() => postgresKeyStore({ query } as never)).toThrow(/postgresKeyStore: kek is required/);
      expect(() => postgresKeyStore({ query, kek: 'short' })).toThrow(/kek must be 32 bytes/);
      expect(() => postgresKeyStore({ query, kek: KEK, table: 'bad; drop table x' })).toThrow(
        /table must be an identifier or schema.identifier/,
      );
      expect(() => postgresKeyStore({ query, kek: KEK, name: '' })).toThrow(/name must be a string of 1 to 200/);
      expect(() => postgresKeyStore({ query: 'sql' as never, kek: KEK })).toThrow(/query must be a function/);
    } else {
      const send = (a: string[]) => redis.call(a[0]!, ...a.slice(1));
      expect(() => redisKeyStore({ send, kek: process.env.SURELY_NOT_SET_KEK })).toThrow(
        /redisKeyStore: kek is required/,
      );
      expect(() => redisKeyStore({ send, kek: KEK, key: '' })).toThrow(/key must be a non-empty string/);
      expect(() => redisKeyStore({ send: null as never, kek: KEK })).toThrow(/send must be a function/);
    }
  });
});

describe('redisKeyStore on a key of another type', () => {
  it('names the key instead of failing with WRONGTYPE', async () => {
    const key = `${prefix}${uniqueName('string')}`;
    await redis.set(key, 'not a hash');
    const store = redisKeyStore({ send: (a) => redis.call(a[0]!, ...a.slice(1)), kek: KEK, key });
    await expect(createKeyring({ store })).rejects.toMatchObject({
      code: 'ERR_KEY_STORE_CORRUPT',
      message: `redisKeyStore(${key}): the key exists but is not a hash`,
    });
    expect(await redis.get(key)).toBe('not a hash');
  });
});

describe('postgresKeyStore creates its table', () => {
  it('on first use, once, even when several instances start together; createTable: false leaves it to you', async () => {
    const t = uniqueName('ks_auto');
    try {
      const query = (text: string, params: unknown[]) => pool.query(text, params);
      const rings = await Promise.all(
        [1, 2, 3].map(() => createKeyring({ store: postgresKeyStore({ query, kek: KEK, table: t }) })),
      );
      expect(new Set(rings.map((r) => r.primaryId)).size).toBe(1);
      const other = uniqueName('ks_missing');
      await expect(
        createKeyring({ store: postgresKeyStore({ query, kek: KEK, table: other, createTable: false }) }),
      ).rejects.toMatchObject({ code: '42P01' }); // undefined_table, from PostgreSQL itself
    } finally {
      await pool.query(`DROP TABLE IF EXISTS "${t}"`);
    }
  });

  it('whatever the catalog race gives the instances that lose it (40 rounds of 8 instances on a new table)', async () => {
    const wide = pgPool(8); // one connection per instance, so the CREATEs really run at once
    const query = (text: string, params: unknown[]) => wide.query(text, params);
    for (let round = 0; round < 40; round++) {
      const t = uniqueName('ks_race');
      try {
        const stores = Array.from({ length: 8 }, () => postgresKeyStore({ query, kek: KEK, table: t }));
        const loaded = await Promise.allSettled(stores.map((s) => s.load()));
        expect(loaded.filter((r) => r.status === 'rejected')).toEqual([]);
      } finally {
        await pool.query(`DROP TABLE IF EXISTS "${t}"`);
      }
    }
    await wide.end();
  });
});
