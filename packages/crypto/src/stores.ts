import { CryptoError, invalidArgument, invalidOption } from './errors.js';
import { checkRecord, type KeyFileOptions, type KeyRecord, normalizeKek, parseKeys } from './keys.js';

/**
 * Where a keyring keeps its keys. `update` is a read-modify-write that must be atomic with respect to other writers
 * (other processes included) and must never drop a key.
 */
export interface KeyStore {
  /** True when the store cannot be written (rotation is then off). */
  readonly readOnly: boolean;
  /** Reads every key. */
  load(): Promise<KeyRecord[]>;
  /**
   * Atomically replaces the key list with `fn(current)` and returns what was written. `fn` may add keys and change
   * states, never remove a key: the store rejects such an update.
   * @throws {CryptoError} `ERR_KEY_STORE_READ_ONLY` on a read-only store.
   */
  update(fn: (current: KeyRecord[]) => KeyRecord[]): Promise<KeyRecord[]>;
  /**
   * Optional: counts messages for every keyring on the store. Atomically reserves up to `count` more messages under
   * key `keyId` without letting the total reserved pass `limit`, and resolves with how many were granted (0 when the
   * key is used up). With it, `rotateAfterMessages` holds for the whole fleet; without it, per keyring instance.
   */
  reserve?(keyId: string, count: number, limit: number): Promise<number>;
}

const copy = (r: KeyRecord): KeyRecord => ({ ...r, key: r.key.slice() });

/** @internal Validates the result of an update function: well-formed records, unique ids, no key dropped. */
export function checkUpdate(where: string, before: readonly KeyRecord[], after: unknown): KeyRecord[] {
  if (!Array.isArray(after)) throw invalidArgument(TypeError, `${where}: update function must return an array of keys`);
  const out = after.map((r) => checkRecord(where, r));
  const ids = new Set(out.map((r) => r.id));
  if (ids.size !== out.length) throw new CryptoError('ERR_KEY_STORE_CORRUPT', `${where}: duplicate key ids in update`);
  for (const r of before)
    if (!ids.has(r.id))
      throw new CryptoError('ERR_KEY_STORE_CORRUPT', `${where}: update would drop key ${r.id}; keys are never deleted`);
  return out;
}

/**
 * In-memory key store, for tests and single-process tools. Keys are copied in and out. It counts messages for every
 * keyring on it (`reserve`), like the shared stores.
 */
export function memoryKeyStore(initial: readonly KeyRecord[] = []): KeyStore {
  let keys = checkUpdate('memoryKeyStore', [], initial.map(copy));
  let queue: Promise<unknown> = Promise.resolve();
  const used = new Map<string, number>();
  return {
    readOnly: false,
    async reserve(keyId, count, limit) {
      const before = used.get(keyId) ?? 0;
      const granted = Math.max(0, Math.min(count, limit - before));
      used.set(keyId, before + granted);
      return granted;
    },
    async load() {
      return keys.map(copy);
    },
    update(fn) {
      const run = queue.then(() => {
        keys = checkUpdate('memoryKeyStore', keys, fn(keys.map(copy)));
        return keys.map(copy);
      });
      queue = run.catch(() => undefined);
      return run;
    },
  };
}

/** Options of {@link envKeyStore}. */
export interface EnvKeyStoreOptions extends KeyFileOptions {
  /** Environment to read. Default `globalThis.process.env` (or `Deno.env` via its `process` shim, Bun's `process.env`). */
  env?: Record<string, string | undefined>;
}

/**
 * Read-only key store reading the JSON written by `serializeKeys()` from an environment variable (sealed under `kek`
 * when given). Read at every `load()`, so a restart with a new value picks up new keys. Rotation is off with this store:
 * rotate by deploying a new value.
 */
export function envKeyStore(name: string, opts: EnvKeyStoreOptions = {}): KeyStore {
  if (typeof name !== 'string' || name === '')
    throw invalidOption(TypeError, 'envKeyStore: name must be a non-empty string');
  const kek = normalizeKek('envKeyStore', opts);
  const env = opts.env;
  return {
    readOnly: true,
    async load() {
      const source =
        env ?? (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env ?? {};
      const text = source[name];
      if (text === undefined || text.trim() === '')
        throw new CryptoError('ERR_KEY_STORE_EMPTY', `envKeyStore: environment variable ${name} is not set`);
      try {
        return parseKeys(text, kek ? { kek } : {});
      } catch (e) {
        if (e instanceof CryptoError) throw new CryptoError(e.code, `envKeyStore(${name}): ${e.message}`);
        throw e;
      }
    },
    async update() {
      throw new CryptoError(
        'ERR_KEY_STORE_READ_ONLY',
        `envKeyStore: ${name} is read-only; deploy a new value to rotate`,
      );
    },
  };
}
