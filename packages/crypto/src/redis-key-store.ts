import { CryptoError, invalidOption } from './errors.js';
import { fromUtf8, isBytes } from './internal/bytes.js';
import { versionedKeyStore } from './internal/versioned-store.js';
import { type KeyFileOptions, requireKek } from './keys.js';
import type { KeyStore } from './stores.js';

/**
 * Sends one Redis command given as strings and resolves with its reply. Wraps any client:
 * ioredis `(a) => redis.call(a[0]!, ...a.slice(1))`, node-redis `(a) => client.sendCommand(a)`.
 */
export type RedisSend = (args: string[]) => Promise<unknown>;

/** Options for {@link redisKeyStore}. */
export interface RedisKeyStoreOptions {
  /** The function that sends one command. Required. */
  send: RedisSend;
  /**
   * Key-encryption key: 32 bytes, or their base64/base64url text. Required: the hash holds the key list sealed under
   * it, never a clear key. `undefined` (an unset environment variable) throws.
   */
  kek: KeyFileOptions['kek'];
  /** The Redis key (a hash) holding the keyring. One key, so it works on Redis Cluster. Default `'org-crypto:keyring'`. */
  key?: string;
}

/** Defaults applied by {@link redisKeyStore}. */
export const REDIS_KEY_STORE_DEFAULTS: Readonly<{ key: string }> = Object.freeze({ key: 'org-crypto:keyring' });

// Compare-and-set of the document: written only if the version is still the one the writer read ('' = none yet).
const CAS_LUA = `local v = redis.call('HGET', KEYS[1], 'version')
if (v or '') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'version', ARGV[2], 'document', ARGV[3])
return 1`;

/**
 * Key store in one Redis hash, shared by every instance of a service: fields `version`, `document` (the key list
 * sealed under `kek`) and one `reserved:<key id>` counter per key. Every change is a compare-and-set (one Lua script)
 * that starts again from the winner's document when another instance wrote first, so rotations across the fleet
 * happen once and no key is ever dropped; message counts for `rotateAfterMessages` are reserved with `HINCRBY`. The
 * keyring is as durable as your Redis: turn on AOF persistence (see the README). No dependency on a client: pass
 * `send`.
 * @example
 * import { Redis } from 'ioredis';
 * const redis = new Redis(process.env.REDIS_URL!);
 * const store = redisKeyStore({ send: (a) => redis.call(a[0]!, ...a.slice(1)), kek: process.env.APP_KEK });
 * const keyring = await createKeyring({ store });
 * @throws {TypeError|RangeError} on bad options, naming the option.
 */
export function redisKeyStore(opts: RedisKeyStoreOptions): KeyStore {
  const send = opts?.send;
  if (typeof send !== 'function')
    throw invalidOption(
      TypeError,
      `redisKeyStore: send must be a function (args: string[]) => Promise<reply>, got ${typeof send}`,
    );
  const key = opts.key ?? REDIS_KEY_STORE_DEFAULTS.key;
  if (typeof key !== 'string' || key === '')
    throw invalidOption(TypeError, `redisKeyStore: key must be a non-empty string, got ${JSON.stringify(key)}`);
  const kek = requireKek('redisKeyStore', opts);
  const where = `redisKeyStore(${key})`;

  const text = (v: unknown): string | null => {
    if (v === null || v === undefined) return null;
    if (typeof v === 'string') return v;
    if (isBytes(v)) return fromUtf8(v);
    throw new CryptoError('ERR_KEY_STORE_CORRUPT', `${where}: unexpected reply ${typeof v}`);
  };
  // A key of another type answers WRONGTYPE: say which key, not just what Redis said.
  const call = async (args: string[]): Promise<unknown> => {
    try {
      return await send(args);
    } catch (e) {
      if (String((e as Error | null)?.message).includes('WRONGTYPE'))
        throw new CryptoError('ERR_KEY_STORE_CORRUPT', `${where}: the key exists but is not a hash`, { cause: e });
      throw e;
    }
  };

  return versionedKeyStore(where, kek, {
    async read() {
      const r = await call(['HMGET', key, 'version', 'document']);
      if (!Array.isArray(r) || r.length !== 2)
        throw invalidOption(TypeError, `${where}: send must resolve to the command's reply (HMGET gave ${typeof r})`);
      const version = text(r[0]);
      const document = text(r[1]);
      if (version === null && document === null) return null;
      return { version: version ?? '', document: document as string };
    },
    async write(expected, next, document) {
      const r = await call(['EVAL', CAS_LUA, '1', key, expected ?? '', next, document]);
      return Number(r) === 1;
    },
    async addReserved(keyId, count) {
      return Number(await call(['HINCRBY', key, `reserved:${keyId}`, String(count)]));
    },
  });
}
