import { CryptoError, invalidArgument, invalidOption } from './errors.js';
import { equalBytes } from './internal/bytes.js';
import { randomBytes } from './internal/random.js';
import { generateKeyRecord, KEY_STATES, type KeyInfo, type KeyRecord, type KeyState } from './keys.js';
import type { KeyStore } from './stores.js';

/** Why the primary key changed. `adopted`: another process rotated first and this keyring took its new key. */
export type RotationReason = 'initial' | 'age' | 'messages' | 'manual' | 'promoted' | 'adopted';

/** Events emitted by a keyring. */
export interface KeyringEvents {
  /** The primary key changed. Ids only, never key material. */
  rotate: { previous: string | null; primary: string; reason: RotationReason };
}

/** Options for {@link createKeyring}. */
export interface KeyringOptions {
  /**
   * Where keys live: `memoryKeyStore()`, `envKeyStore(name)`, `postgresKeyStore(...)`, `redisKeyStore(...)`, or
   * `fileKeyStore(path)` from `@org/crypto/node`.
   */
  store: KeyStore;
  /** Rotate the primary key once it has been primary this long. `Infinity` turns age rotation off. Default 24 h. */
  rotateAfterMs?: number;
  /**
   * Rotate after this many messages (envelopes or streams) under one primary key. Counted by the store for every
   * keyring on it when the store can (`postgresKeyStore`, `redisKeyStore`, `memoryKeyStore`), else per keyring
   * instance. Default 2^28; at most 2^32 (the NIST limit for random 96-bit nonces).
   */
  rotateAfterMessages?: number;
  /**
   * Never seal under a view of the store older than this: a primary made by another process is used within
   * `refreshMs` (plus one store read). Reloads start in the background at half this age, so a busy keyring rarely
   * waits. `Infinity` turns periodic reloads off. Default 30000.
   */
  refreshMs?: number;
  /**
   * A decrypt that meets an unknown key id waits for a store reload that starts after it, then fails if the id is
   * still unknown. Such reloads are shared by every waiting call and start at most once per this many ms (a flood of
   * forged ids costs the store one read per interval). Default 100.
   */
  refreshMinIntervalMs?: number;
  /** Time source, ms since the epoch. Default `Date.now`. */
  clock?: () => number;
  /** Random bytes source (used for key material and ids). Default the platform CSPRNG. */
  random?: (n: number) => Uint8Array;
}

/** Defaults applied by {@link createKeyring}. */
export const KEYRING_DEFAULTS: Readonly<Required<Omit<KeyringOptions, 'store'>>> = Object.freeze({
  rotateAfterMs: 24 * 60 * 60 * 1000,
  rotateAfterMessages: 2 ** 28,
  refreshMs: 30_000,
  refreshMinIntervalMs: 100,
  clock: () => Date.now(),
  random: randomBytes,
});

/** Largest block of message counts a keyring reserves from a counting store at once. */
const MAX_LEASE = 65_536;

/** A set of keys with one primary, rotated automatically by age and message count, persisted in a {@link KeyStore}. */
export interface Keyring {
  /** Id of the current primary key, or null for a decrypt-only keyring (read-only store without a primary). */
  readonly primaryId: string | null;
  /** Public description of every key (no key material), newest first. */
  list(): KeyInfo[];
  /** Public description of one key. */
  get(id: string): KeyInfo | undefined;
  /** Messages encrypted under the current primary by this keyring instance. */
  readonly messageCount: number;
  /**
   * Makes a new primary now: promotes the newest `active` (staged) key if there is one, else generates a key. The old
   * primary becomes `decrypt-only`. Persisted before it is used.
   */
  rotate(): Promise<KeyInfo>;
  /** Adds a new `active` key that the next rotation promotes (let every process load it first). */
  stage(): Promise<KeyInfo>;
  /**
   * Changes a key's state. Setting `primary` promotes the key (the old primary becomes `decrypt-only`). The primary
   * itself cannot be demoted directly: rotate or promote another key first. Keys are never deleted.
   */
  setState(id: string, state: KeyState): Promise<KeyInfo>;
  /** Reloads keys from the store now (picks up rotations made by other processes); `refreshMs` does it on its own. */
  refresh(): Promise<void>;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends keyof KeyringEvents>(event: E, listener: (e: KeyringEvents[E]) => void): () => void;
}

/** @internal What a cipher needs from a keyring; reached through a Symbol.for key so it works across ESM/CJS copies. */
export interface KeyringInternal {
  /** The primary key for one more message (rotating first when due). */
  acquire(): KeyRecord | Promise<KeyRecord>;
  /** A key by id, reloading the store (rate-limited) when it is unknown. */
  find(id: string): KeyRecord | undefined | Promise<KeyRecord | undefined>;
}

export const KEYRING_INTERNAL: unique symbol = Symbol.for('@org/crypto.keyring.internal') as never;

const info = (r: KeyRecord): KeyInfo => {
  const { key: _key, ...rest } = r;
  return rest;
};

function checkPositive(name: string, v: unknown, integer: boolean, max: number): number {
  const ok = typeof v === 'number' && v > 0 && v <= max && (integer ? Number.isInteger(v) : !Number.isNaN(v));
  if (!ok)
    throw invalidOption(
      RangeError,
      `createKeyring: ${name} must be ${integer ? 'an integer' : 'a number'} > 0 and <= ${max}, got ${String(v)}`,
    );
  return v as number;
}

/**
 * Loads (or creates) a keyring from a store. With a writable, empty store a first primary key is generated and
 * persisted (keyrings starting together on one store agree on one). With a read-only store that holds no primary, the
 * keyring only decrypts.
 * @throws {TypeError|RangeError} on bad options, naming the option.
 * @throws {CryptoError} from the store (`ERR_KEY_STORE_*`).
 */
export async function createKeyring(opts: KeyringOptions): Promise<Keyring> {
  const store = opts?.store;
  if (!store || typeof store.load !== 'function' || typeof store.update !== 'function')
    throw invalidOption(
      TypeError,
      'createKeyring: store must be a KeyStore (memoryKeyStore, envKeyStore, fileKeyStore, ...)',
    );
  const rotateAfterMs = checkPositive(
    'rotateAfterMs',
    opts.rotateAfterMs ?? KEYRING_DEFAULTS.rotateAfterMs,
    false,
    Number.POSITIVE_INFINITY,
  );
  const rotateAfterMessages = checkPositive(
    'rotateAfterMessages',
    opts.rotateAfterMessages ?? KEYRING_DEFAULTS.rotateAfterMessages,
    true,
    2 ** 32,
  );
  const refreshMs = checkPositive(
    'refreshMs',
    opts.refreshMs ?? KEYRING_DEFAULTS.refreshMs,
    false,
    Number.POSITIVE_INFINITY,
  );
  const refreshMinIntervalMs = opts.refreshMinIntervalMs ?? KEYRING_DEFAULTS.refreshMinIntervalMs;
  if (
    typeof refreshMinIntervalMs !== 'number' ||
    !(refreshMinIntervalMs >= 0) ||
    refreshMinIntervalMs === Number.POSITIVE_INFINITY
  )
    throw invalidOption(
      RangeError,
      `createKeyring: refreshMinIntervalMs must be a finite number >= 0, got ${String(refreshMinIntervalMs)}`,
    );
  const clock = opts.clock ?? KEYRING_DEFAULTS.clock;
  const random = opts.random ?? KEYRING_DEFAULTS.random;
  if (typeof clock !== 'function') throw invalidOption(TypeError, 'createKeyring: clock must be a function');
  if (typeof random !== 'function') throw invalidOption(TypeError, 'createKeyring: random must be a function');
  if (store.reserve !== undefined && typeof store.reserve !== 'function')
    throw invalidOption(TypeError, 'createKeyring: store.reserve must be a function when present');
  const reserve = store.reserve?.bind(store);
  // Reserve counts in blocks small against the limit, so reservations stranded by instances that moved on or died
  // retire a key only a little early.
  const leaseSize = Math.max(1, Math.min(MAX_LEASE, Math.floor(rotateAfterMessages / 64)));

  let byId = new Map<string, KeyRecord>();
  let primary: KeyRecord | null = null;
  let count = 0; // messages sealed under `primary` by this keyring
  let budget = 0; // messages still reserved from a counting store for `primary`
  let rotating: Promise<void> | null = null;
  let leasing: Promise<boolean> | null = null;
  let loadedAt = Number.NEGATIVE_INFINITY; // start of the newest view installed (load or update)
  let triedAt = Number.NEGATIVE_INFINITY; // start of the last load attempt
  let unknownAt = Number.NEGATIVE_INFINITY; // start of the last load for an unknown key id
  let pendingLoad: Promise<void> | null = null; // a load not yet started: joining it sees everything before now
  let runningLoad: Promise<void> | null = null; // the load reading the store right now
  let listeners: Array<(e: KeyringEvents['rotate']) => void> | null = null;

  // Store calls run one at a time, so views are installed in the order they were read: a slow read can never put an
  // older primary back over a rotation this keyring made meanwhile.
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(f: () => Promise<T>): Promise<T> => {
    const r = queue.then(f);
    queue = r.catch(() => undefined);
    return r;
  };

  const newestPrimary = (keys: Iterable<KeyRecord>): KeyRecord | null => {
    let best: KeyRecord | null = null;
    for (const k of keys)
      if (k.state === 'primary' && (!best || (k.activatedAt ?? k.createdAt) > (best.activatedAt ?? best.createdAt)))
        best = k;
    return best;
  };

  /** Installs a freshly loaded/written key list, keeping existing key arrays (identity is a cache key downstream). */
  const install = (keys: KeyRecord[], reason: RotationReason | null, startedAt: number): void => {
    const next = new Map<string, KeyRecord>();
    for (const k of keys) {
      const old = byId.get(k.id);
      next.set(k.id, old && equalBytes(old.key, k.key) ? { ...k, key: old.key } : k);
    }
    byId = next;
    if (startedAt > loadedAt) loadedAt = startedAt;
    const previous = primary?.id ?? null;
    primary = newestPrimary(next.values());
    if (primary?.id !== previous) {
      count = 0;
      budget = 0;
      if (primary && listeners) {
        const e = { previous, primary: primary.id, reason: reason ?? 'adopted' };
        for (const l of listeners) l(e);
      }
    }
  };

  const ageOf = (k: KeyRecord): number => clock() - (k.activatedAt ?? k.createdAt);

  /** Promotes `k` to primary inside an update function (demoting every other primary). */
  const promote = (keys: KeyRecord[], k: KeyRecord): void => {
    for (const o of keys) if (o.state === 'primary' && o !== k) o.state = 'decrypt-only';
    k.state = 'primary';
    k.activatedAt = clock();
  };

  /** Runs one update through the store and installs what it wrote. */
  const write = (fn: (keys: KeyRecord[]) => KeyRecord[], reason: () => RotationReason): Promise<void> =>
    serial(async () => {
      const startedAt = clock();
      const written = await store.update(fn);
      install(written, reason(), startedAt);
    });

  const doRotate = (reason: RotationReason, force: boolean): Promise<void> => {
    if (store.readOnly)
      return Promise.reject(
        new CryptoError('ERR_KEY_STORE_READ_ONLY', 'keyring: the key store is read-only; cannot rotate'),
      );
    const previous = primary?.id ?? null;
    let adopted = false;
    return write(
      (current) => {
        adopted = false; // a store may run this again after a conflicting write
        const keys = current.map((k) => ({ ...k }));
        const p = newestPrimary(keys);
        // Someone else (another process, or another keyring) rotated since this keyring looked: use their key.
        if (!force && p && p.id !== previous && (previous === null || ageOf(p) < rotateAfterMs)) {
          adopted = true;
          return keys;
        }
        let staged: KeyRecord | undefined;
        for (const k of keys) if (k.state === 'active' && (!staged || k.createdAt > staged.createdAt)) staged = k;
        const next = staged ?? generateKeyRecord({ state: 'active', createdAt: clock(), random });
        if (!staged) keys.push(next);
        promote(keys, next);
        return keys;
      },
      () => (adopted ? 'adopted' : reason),
    );
  };

  const rotate = (reason: RotationReason, force: boolean): Promise<void> => {
    if (rotating) return force ? rotating.then(() => rotate(reason, force)) : rotating;
    const r = doRotate(reason, force).finally(() => {
      rotating = null;
    });
    rotating = r;
    return r;
  };

  /**
   * A store load that starts after this call (joining one queued but not yet started), after `delayMs`. Views are
   * installed in order through `serial`.
   */
  const load = (delayMs = 0): Promise<void> => {
    if (pendingLoad) return pendingLoad;
    const p: Promise<void> = (delayMs > 0 ? new Promise<void>((r) => setTimeout(r, delayMs)) : Promise.resolve()).then(
      () =>
        serial(async () => {
          if (pendingLoad === p) pendingLoad = null; // started: later callers need a later load
          const startedAt = clock();
          triedAt = startedAt;
          const run = store.load().then((keys) => install(keys, null, startedAt));
          runningLoad = run;
          try {
            await run;
          } finally {
            if (runningLoad === run) runningLoad = null;
          }
        }),
    );
    pendingLoad = p;
    p.catch(() => {
      if (pendingLoad === p) pendingLoad = null;
    });
    return p;
  };

  /** Starts a reload in the background once the view is half `refreshMs` old (errors resurface on a blocking one). */
  const freshen = (): void => {
    const now = clock();
    if (pendingLoad === null && now - loadedAt >= refreshMs / 2 && now - triedAt >= refreshMs / 2)
      load().catch(() => undefined);
  };

  await load();
  if (!primary) {
    if (store.readOnly) {
      if (byId.size === 0) throw new CryptoError('ERR_KEY_STORE_EMPTY', 'createKeyring: the key store holds no keys');
    } else await rotate('initial', false);
  }

  /**
   * Reserves the next block of message counts for the primary from a counting store; resolves true when the key was
   * used up and a rotation (or adoption) replaced it. Shared by every caller waiting meanwhile.
   */
  const lease = (): Promise<boolean> => {
    if (leasing) return leasing;
    const id = primary!.id;
    const l = (async () => {
      const granted = await reserve!(id, leaseSize, rotateAfterMessages);
      if (primary?.id !== id) return false; // the primary changed meanwhile: the caller starts over
      if (typeof granted !== 'number' || !Number.isInteger(granted) || granted < 0 || granted > leaseSize)
        throw invalidOption(TypeError, `keyring: store.reserve must resolve to an integer from 0 to ${leaseSize}`);
      if (granted > 0) {
        budget += granted;
        return false;
      }
      await rotate('messages', false);
      return true;
    })().finally(() => {
      leasing = null;
    });
    leasing = l;
    return l;
  };

  /**
   * The primary key for one more message. `rotated`: a rotation just completed for this call, so its key is used even
   * if a tiny rotateAfterMs has passed again. `loaded`: a reload just completed for this call. The message count is
   * checked every time: callers that waited for one rotation may use up the new key too.
   */
  const acquire = (rotated = false, loaded = false): KeyRecord | Promise<KeyRecord> => {
    if (rotating) return rotating.then(() => acquire(true, loaded));
    if (leasing) return leasing.then((r) => acquire(rotated || r, loaded));
    if (!loaded && clock() - loadedAt >= refreshMs) return load().then(() => acquire(rotated, true));
    freshen();
    const p = primary;
    if (!p) {
      if (store.readOnly)
        throw new CryptoError(
          'ERR_NO_PRIMARY_KEY',
          'keyring: no primary key (read-only store holds decrypt keys only)',
        );
      return rotate('initial', false).then(() => acquire(true, loaded));
    }
    if (!store.readOnly) {
      if (!rotated && ageOf(p) >= rotateAfterMs) return rotate('age', false).then(() => acquire(true, loaded));
      if (reserve) {
        if (budget <= 0) return lease().then((r) => acquire(rotated || r, loaded));
        budget--;
      } else if (count >= rotateAfterMessages) return rotate('messages', false).then(() => acquire(true, loaded));
    }
    count++;
    return p;
  };

  const find = (id: string): KeyRecord | undefined | Promise<KeyRecord | undefined> => {
    const k = byId.get(id);
    if (k) {
      freshen();
      return k;
    }
    // The key, if real, was stored before anything was sealed under it, so a load that starts after this call finds
    // it. A load already reading often does too (another envelope under the same new key started it): try that first.
    const later = (): Promise<KeyRecord | undefined> => {
      if (pendingLoad) return pendingLoad.then(() => byId.get(id));
      const now = clock();
      const delay = Math.max(0, unknownAt + refreshMinIntervalMs - now);
      unknownAt = now + delay;
      return load(delay).then(() => byId.get(id));
    };
    if (runningLoad) return runningLoad.then(() => byId.get(id) ?? later(), later);
    return later();
  };

  const mutate = async (fn: (keys: KeyRecord[]) => KeyRecord, reason: RotationReason): Promise<KeyInfo> => {
    if (store.readOnly) throw new CryptoError('ERR_KEY_STORE_READ_ONLY', 'keyring: the key store is read-only');
    let id = '';
    await write(
      (current) => {
        const keys = current.map((k) => ({ ...k }));
        id = fn(keys).id;
        return keys;
      },
      () => reason,
    );
    return info(byId.get(id)!);
  };

  const keyring: Keyring & { [KEYRING_INTERNAL]: KeyringInternal } = {
    get primaryId() {
      return primary?.id ?? null;
    },
    get messageCount() {
      return count;
    },
    list() {
      return [...byId.values()].sort((a, b) => b.createdAt - a.createdAt).map(info);
    },
    get(id) {
      const k = byId.get(id);
      return k ? info(k) : undefined;
    },
    async rotate() {
      await rotate('manual', true);
      return info(primary!);
    },
    stage() {
      return mutate((keys) => {
        const k = generateKeyRecord({ state: 'active', createdAt: clock(), random });
        keys.push(k);
        return k;
      }, 'manual');
    },
    async setState(id, state) {
      if (!KEY_STATES.includes(state))
        throw invalidArgument(
          TypeError,
          `keyring.setState: state must be one of ${KEY_STATES.join(', ')}, got ${String(state)}`,
        );
      return mutate((keys) => {
        const k = keys.find((x) => x.id === id);
        if (!k) throw new CryptoError('ERR_KEY_NOT_FOUND', `keyring.setState: no key with id ${JSON.stringify(id)}`);
        if (state === 'primary') {
          if (k.state !== 'primary') promote(keys, k);
        } else if (k.state === 'primary') {
          throw invalidArgument(
            TypeError,
            `keyring.setState: ${id} is the primary key; rotate() or promote another key first`,
          );
        } else k.state = state;
        return k;
      }, 'promoted');
    },
    refresh: () => load(),
    on(event, listener) {
      if (event !== 'rotate') throw invalidArgument(TypeError, `keyring.on: unknown event ${String(event)}`);
      const l = listener as (e: KeyringEvents['rotate']) => void;
      listeners = [...(listeners ?? []), l];
      return () => {
        const next = (listeners ?? []).filter((x) => x !== l);
        listeners = next.length ? next : null;
      };
    },
    [KEYRING_INTERNAL]: { acquire: () => acquire(), find },
  };
  return keyring;
}

/** @internal Reaches the cipher-facing part of a keyring. */
export function keyringInternal(fn: string, k: unknown): KeyringInternal {
  const internal = (k as Record<symbol, KeyringInternal> | null)?.[KEYRING_INTERNAL];
  if (!internal) throw invalidOption(TypeError, `${fn}: keyring must come from createKeyring()`);
  return internal;
}
