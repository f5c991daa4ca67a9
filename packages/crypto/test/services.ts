// The real PostgreSQL (127.0.0.1:5432, trust auth) and Redis (127.0.0.1:6379) the shared key stores are tested on.
// PostgreSQL: our own database, one table per test run (dropped after). Redis: keys under a per-run prefix only
// (deleted after; never FLUSHDB).
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';

export const PG_DATABASE: string = 'crypto_keystore_test';
export const PG_URL: string = `postgres://postgres@127.0.0.1:5432/${PG_DATABASE}`;
export const REDIS_URL: string = 'redis://127.0.0.1:6379';

/** A name unique to this run: `<prefix>_<pid>_<hex>` (letters, digits and _ only, so it is a valid table name). */
export const uniqueName = (prefix: string): string => `${prefix}_${process.pid}_${randomBytes(4).toString('hex')}`;

/** Creates the test database when it is missing (several test files may race to create it). */
export async function ensureDatabase(): Promise<void> {
  const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' });
  await admin.connect();
  try {
    const r = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [PG_DATABASE]);
    if (r.rowCount === 0)
      await admin.query(`CREATE DATABASE ${PG_DATABASE}`).catch((e: { code?: string }) => {
        if (e.code !== '42P04' && e.code !== '23505') throw e; // created meanwhile by another test file
      });
  } finally {
    await admin.end();
  }
}

/** A pool on the test database. */
export function pgPool(max = 4): pg.Pool {
  return new pg.Pool({ connectionString: PG_URL, max });
}

/** An ioredis client that fails fast (no offline queue) so a test never hangs on a missing server. */
export function redisClient(): Redis {
  return new Redis(REDIS_URL, { maxRetriesPerRequest: 1, enableOfflineQueue: true, lazyConnect: false });
}

/** Deletes every key under `prefix` (SCAN, never FLUSHDB). */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== '0');
}
