import { CryptoError, invalidOption } from './errors.js';
import { versionedKeyStore } from './internal/versioned-store.js';
import { type KeyFileOptions, requireKek } from './keys.js';
import type { KeyStore } from './stores.js';

/**
 * Runs one parameterised SQL statement and resolves with its rows. Wraps any client:
 * node-postgres `(text, params) => pool.query(text, params)` (resolves `{ rows }`),
 * postgres.js `(text, params) => sql.unsafe(text, params)` (resolves the rows array).
 */
export type PostgresQuery = (text: string, params: unknown[]) => Promise<unknown>;

/** Options for {@link postgresKeyStore}. */
export interface PostgresKeyStoreOptions {
  /** The function that runs one statement. Required. */
  query: PostgresQuery;
  /**
   * Key-encryption key: 32 bytes, or their base64/base64url text. Required: the row holds the key list sealed under
   * it, never a clear key. `undefined` (an unset environment variable) throws.
   */
  kek: KeyFileOptions['kek'];
  /** Table, optionally schema-qualified (`app.keyring`); quoted, so case-sensitive. Default `'org_crypto_keyring'`. */
  table?: string;
  /** Which keyring: one row per name, so several keyrings can share the table. Default `'default'`. */
  name?: string;
  /** Create the table on first use when it is missing (`CREATE TABLE IF NOT EXISTS`). Default `true`. */
  createTable?: boolean;
}

/** Defaults applied by {@link postgresKeyStore}. */
export const POSTGRES_KEY_STORE_DEFAULTS: Readonly<{ table: string; name: string; createTable: boolean }> =
  Object.freeze({ table: 'org_crypto_keyring', name: 'default', createTable: true });

const IDENT = /^[A-Za-z_][A-Za-z0-9_$]{0,62}$/;

/**
 * The statement that creates the table {@link postgresKeyStore} uses, for migrations run ahead of time (then pass
 * `createTable: false`). One row per keyring: `version` counts writes, `document` is the KEK-sealed key list,
 * `reserved` holds per-key message reservations (`rotateAfterMessages` across the fleet).
 */
export function postgresKeyStoreSchema(table: string = POSTGRES_KEY_STORE_DEFAULTS.table): string {
  return `CREATE TABLE IF NOT EXISTS ${quoteTable('postgresKeyStoreSchema', table)} (
  name text PRIMARY KEY,
  version bigint NOT NULL,
  document text NOT NULL,
  reserved jsonb NOT NULL DEFAULT '{}'::jsonb,
  updated_at timestamptz NOT NULL DEFAULT now()
)`;
}

/** PostgreSQL error codes a concurrent CREATE TABLE IF NOT EXISTS can fail with. */
const DUPLICATE = new Set(['23505', '42P07', '42710']);

function quoteTable(fn: string, table: unknown): string {
  const parts = typeof table === 'string' ? table.split('.') : [];
  if (parts.length < 1 || parts.length > 2 || !parts.every((p) => IDENT.test(p)))
    throw invalidOption(
      TypeError,
      `${fn}: table must be an identifier or schema.identifier (letters, digits, _ and $, at most 63 each), got ${JSON.stringify(table)}`,
    );
  return parts.map((p) => `"${p}"`).join('.');
}

/**
 * Key store in one PostgreSQL row, shared by every instance of a service. The row holds the key list sealed under
 * `kek` and a version number; every change is a compare-and-set (`UPDATE … WHERE version = $n`) that starts again from
 * the winner's document when another instance wrote first, so rotations across the fleet happen once and no key is
 * ever dropped. Message counts for `rotateAfterMessages` are reserved atomically in the same row. No dependency on a
 * client library: pass `query`.
 * @example
 * import pg from 'pg';
 * const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });
 * const store = postgresKeyStore({ query: (text, params) => pool.query(text, params), kek: process.env.APP_KEK });
 * const keyring = await createKeyring({ store });
 * @throws {TypeError|RangeError} on bad options, naming the option.
 */
export function postgresKeyStore(opts: PostgresKeyStoreOptions): KeyStore {
  const query = opts?.query;
  if (typeof query !== 'function')
    throw invalidOption(
      TypeError,
      `postgresKeyStore: query must be a function (text, params) => Promise<rows>, got ${typeof query}`,
    );
  const tableName = opts.table ?? POSTGRES_KEY_STORE_DEFAULTS.table;
  const table = quoteTable('postgresKeyStore', tableName);
  const name = opts.name ?? POSTGRES_KEY_STORE_DEFAULTS.name;
  if (typeof name !== 'string' || name === '' || name.length > 200)
    throw invalidOption(
      TypeError,
      `postgresKeyStore: name must be a string of 1 to 200 characters, got ${JSON.stringify(name)}`,
    );
  const createTable = opts.createTable ?? POSTGRES_KEY_STORE_DEFAULTS.createTable;
  if (typeof createTable !== 'boolean')
    throw invalidOption(TypeError, `postgresKeyStore: createTable must be a boolean, got ${typeof createTable}`);
  const kek = requireKek('postgresKeyStore', opts);
  const where = `postgresKeyStore(${tableName}/${name})`;

  const rows = async (text: string, params: unknown[]): Promise<Array<Record<string, unknown>>> => {
    const r = await query(text, params);
    const list = Array.isArray(r) ? r : (r as { rows?: unknown } | null)?.rows;
    if (!Array.isArray(list))
      throw invalidOption(
        TypeError,
        `${where}: query must resolve to { rows } (node-postgres) or an array of rows (postgres.js)`,
      );
    return list as Array<Record<string, unknown>>;
  };

  let ready: Promise<void> | null = null;
  const ensure = (): Promise<void> => {
    if (!createTable) return Promise.resolve();
    const create = () => rows(postgresKeyStoreSchema(tableName), []).then(() => undefined);
    ready ??= create()
      .catch((e: unknown) => {
        // Instances creating the table at once: IF NOT EXISTS does not serialise them, and the losers get a duplicate
        // error from the catalog (unique_violation on pg_type, duplicate_table, or duplicate_object "type already
        // exists"). The winner has committed by then: one more IF NOT EXISTS is a no-op that proves the table is there.
        if (!DUPLICATE.has((e as { code?: unknown } | null)?.code as string)) throw e;
        return create();
      })
      .catch((e: unknown) => {
        ready = null;
        throw e;
      });
    return ready;
  };

  return versionedKeyStore(where, kek, {
    async read() {
      await ensure();
      const r = await rows(`SELECT version::text AS version, document FROM ${table} WHERE name = $1`, [name]);
      if (r.length === 0) return null;
      return { version: r[0]!.version as string, document: r[0]!.document as string };
    },
    async write(expected, next, document) {
      await ensure();
      const r =
        expected === null
          ? await rows(
              `INSERT INTO ${table} (name, version, document) VALUES ($1, $2::bigint, $3) ON CONFLICT (name) DO NOTHING RETURNING version`,
              [name, next, document],
            )
          : await rows(
              `UPDATE ${table} SET version = $3::bigint, document = $4, updated_at = now() WHERE name = $1 AND version = $2::bigint RETURNING version`,
              [name, expected, next, document],
            );
      return r.length === 1;
    },
    async addReserved(keyId, count) {
      await ensure();
      const r = await rows(
        `UPDATE ${table} SET reserved = jsonb_set(reserved, ARRAY[$2::text], to_jsonb(COALESCE((reserved ->> $2)::bigint, 0) + $3::bigint)) WHERE name = $1 RETURNING (reserved ->> $2) AS total`,
        [name, keyId, count],
      );
      if (r.length === 0) throw new CryptoError('ERR_KEY_STORE_EMPTY', `${where}: no keyring row to count messages in`);
      return Number(r[0]!.total);
    },
  });
}
