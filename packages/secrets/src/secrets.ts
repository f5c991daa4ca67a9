import { invalidArgument, invalidOption, isSecretsError, SecretsError } from './errors.js';
import { type Secret, secret } from './secret.js';

/**
 * What a provider answers for a secret it has: the value, or the value with a `version` (reported in `rotate` events)
 * and a `ttlMs` that overrides the cache lifetime for this value (e.g. a Vault lease).
 */
export type ProviderValue = string | { value: string; version?: string | undefined; ttlMs?: number | undefined };

/**
 * A source of secrets. Providers are asked in order; the first that has a secret serves it. Implement one for any
 * store (Vault, a cloud secret manager): only `name` and `get` are required.
 */
export interface SecretProvider {
  /** Shown in events, `status()` and errors: `env`, `file:/run/secrets`, `vault`. */
  readonly name: string;
  /**
   * Reads the secret `name`. Resolve `undefined` (or `''`) when this provider does not have it, so the next one is
   * asked; throw or reject when it cannot tell (unreachable, forbidden): that is an error, not "missing". Honour
   * `signal` (it aborts on the read timeout and on `close()`).
   */
  get(name: string, signal: AbortSignal): ProviderValue | undefined | Promise<ProviderValue | undefined>;
  /** Optional: call `onChange` when `name` may have changed (a file was replaced); return a function that stops. */
  watch?(name: string, onChange: () => void): () => void;
  /** Optional: releases what the provider holds (watchers, clients). Called once by `close()`. */
  close?(): void | Promise<void>;
}

/** How one secret is read and checked. `true` stands for `{}`: required, no validator. */
export interface SecretSpec {
  /** A missing optional secret is `undefined` instead of an error. Default `false`. */
  optional?: boolean;
  /** The value must be at least this many characters long. Default 1 (an empty value counts as missing anyway). */
  minLength?: number;
  /**
   * Checks the value: return `true` or nothing to accept it, `false` or a reason (a string) to refuse it. Never put
   * the value in the reason: it becomes part of the error message. A validator that throws refuses the value; its
   * error is not kept (it may quote the value).
   */
  validate?: (value: string) => boolean | string | undefined;
  /** Cache lifetime of this secret, ms. Default: the manager's `ttlMs`. */
  ttlMs?: number;
}

/** Options for {@link secrets}. */
export interface SecretsOptions<S extends Record<string, SecretSpec | true>> {
  /** Where secrets come from, asked in order (e.g. files first, then the environment). */
  providers: readonly SecretProvider[];
  /** Every secret the service uses, by name. `get()` refuses other names (a typo is an error, not `undefined`). */
  secrets: S;
  /**
   * A value older than this is re-read in the background on its next access (`get()` or `current()`), which is served
   * the current value meanwhile. Default 60000; `Infinity`: never.
   */
  ttlMs?: number;
  /** After a failed re-read, the next attempt waits this long (the last good value is served meanwhile). Default 1000. */
  retryMs?: number;
  /** Re-read every loaded secret this often in the background (timer unref'd), to notice rotations. Default 0: off. */
  refreshMs?: number;
  /** A provider read that takes longer fails with `ERR_SECRET_TIMEOUT` (its signal aborts). Default 10000. */
  timeoutMs?: number;
  /** Monotonic time source in ms, for cache ages. Default `performance.now`. */
  clock?: () => number;
}

/** The Secret type `get()` resolves to for a spec: optional secrets may be `undefined`. */
export type SecretOf<T> = T extends { optional: true } ? Secret | undefined : Secret;

/** Events of a secrets manager. None carries a value. */
export interface SecretsEvents {
  /** A secret's value changed (re-read after a watch event, a TTL expiry, `refreshMs` or `refresh()`). */
  rotate: {
    name: string;
    source: string;
    previousSource: string;
    version: string | undefined;
    previousVersion: string | undefined;
  };
  /** A secret was handed out by `get()` or `current()`: for an access audit trail. */
  access: { name: string; source: string; cached: boolean };
  /** A re-read failed; the last good value is kept and still served. */
  error: { name: string; error: SecretsError };
}

/** One secret's state, from `status()`: for an admin page or a health check. No values. */
export interface SecretStatus {
  name: string;
  loaded: boolean;
  optional: boolean;
  /** Provider that served the current value. */
  source: string | undefined;
  version: string | undefined;
  /** Age of the current value, ms (from the manager's clock). */
  ageMs: number | undefined;
  /** Code of the last failed read since the last good one. */
  lastError: SecretsError['code'] | undefined;
}

/** A secrets manager. Create with {@link secrets}. */
export interface Secrets<S extends Record<string, SecretSpec | true>> {
  /**
   * Reads and checks every declared secret. Call it at start-up so that a missing or invalid secret stops the service
   * before it takes traffic.
   * @throws {SecretsError} `ERR_SECRETS_LOAD` listing every failure in `errors` (names and reasons, no values).
   */
  load(signal?: AbortSignal): Promise<void>;
  /**
   * The secret. The first call reads it (one read shared by concurrent callers); later calls answer from the cache
   * and, once the value is older than its TTL, start a re-read in the background. A failed re-read keeps the last good
   * value and emits `error`.
   * @throws {SecretsError} `ERR_SECRET_MISSING`, `ERR_SECRET_INVALID`, `ERR_SECRET_READ`, `ERR_SECRET_TIMEOUT` on a
   * first read; `ERR_SECRET_UNDECLARED` for a name not in `secrets`; `ERR_SECRETS_CLOSED` after `close()`.
   */
  get<K extends keyof S & string>(name: K, signal?: AbortSignal): Promise<SecretOf<S[K]>>;
  /**
   * The current value, synchronously (for hot paths), with the same background re-read as `get()`.
   * @throws {SecretsError} `ERR_SECRET_NOT_LOADED` before the first successful read (call `load()` at start-up).
   */
  current<K extends keyof S & string>(name: K): SecretOf<S[K]>;
  /** Reads `name` (or every loaded secret) again now, whatever the TTL. Failures are reported as `error` events. */
  refresh(name?: keyof S & string): Promise<void>;
  /** Each declared secret's state, without values. */
  status(): SecretStatus[];
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends keyof SecretsEvents>(event: E, listener: (e: SecretsEvents[E]) => void): () => void;
  /**
   * Stops watchers and the refresh timer, aborts reads in flight and closes the providers. `current()` keeps answering.
   * @throws {SecretsError} `ERR_PROVIDER_CLOSE` when a provider's `close()` failed (every provider is still closed;
   * their errors are in `cause.errors`).
   */
  close(): Promise<void>;
}

/** Defaults applied by {@link secrets}. */
export const SECRETS_DEFAULTS: Readonly<{
  ttlMs: number;
  refreshMs: number;
  retryMs: number;
  timeoutMs: number;
  clock: () => number;
}> = Object.freeze({ ttlMs: 60_000, refreshMs: 0, retryMs: 1000, timeoutMs: 10_000, clock: () => performance.now() });

const W = 'secrets';
const MAX_TIMER = 2 ** 31 - 1;

const show = (v: unknown): string => {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'function') return 'a function';
  return Array.isArray(v) ? 'an array' : String(v);
};
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const ms = (name: string, v: unknown, allowInfinity: boolean): number => {
  if (typeof v !== 'number' || Number.isNaN(v) || v < 0 || (!allowInfinity && !Number.isFinite(v)))
    throw invalidOption(
      RangeError,
      `${W}: ${name} must be a number >= 0${allowInfinity ? ' or Infinity' : ''}, got ${show(v)}`,
    );
  return v;
};
const unref = <T>(t: T): T => {
  (t as { unref?: () => void }).unref?.();
  return t;
};

interface Spec {
  optional: boolean;
  minLength: number;
  validate: ((value: string) => unknown) | undefined;
  ttlMs: number;
}

interface Entry {
  readonly name: string;
  readonly spec: Spec;
  secret: Secret | undefined;
  /** Loaded once (a missing optional secret counts as loaded, with no value). */
  loaded: boolean;
  source: string | undefined;
  version: string | undefined;
  loadedAt: number;
  expiresAt: number;
  inflight: Promise<Entry> | undefined;
  /** A read to start when the one in flight ends: a change reported during a read must not be missed. */
  queued: Promise<Entry> | undefined;
  lastError: SecretsError | undefined;
  stops: Array<() => void> | undefined;
}

type Listeners = { [E in keyof SecretsEvents]: Array<(e: SecretsEvents[E]) => void> | null };

/**
 * Creates a secrets manager: every secret the service uses, declared once, read from the providers in order, checked,
 * cached for `ttlMs`, re-read when a provider reports a change, and handed out as {@link Secret} values that never
 * print.
 *
 * ```ts
 * const vault = secrets({
 *   providers: [envProvider()],
 *   secrets: { DATABASE_URL: { validate: (v) => v.startsWith('postgres://') || 'must be a postgres:// URL' } },
 * });
 * await vault.load(); // fails fast, listing every missing or invalid secret
 * const url = (await vault.get('DATABASE_URL')).reveal();
 * ```
 * @throws {TypeError|RangeError} on a bad option, naming it.
 */
export function secrets<S extends Record<string, SecretSpec | true>>(options: SecretsOptions<S>): Secrets<S> {
  if (!isRecord(options)) throw invalidOption(TypeError, `${W}: options must be an object, got ${show(options)}`);
  const providers = options.providers;
  if (!Array.isArray(providers) || providers.length === 0)
    throw invalidOption(TypeError, `${W}: providers must be a non-empty array of providers, got ${show(providers)}`);
  providers.forEach((p: SecretProvider, i) => {
    if (!isRecord(p) || typeof p.get !== 'function' || typeof p.name !== 'string' || p.name === '')
      throw invalidOption(
        TypeError,
        `${W}: providers[${i}] must have a non-empty name and a get(name, signal) function`,
      );
    if (p.watch !== undefined && typeof p.watch !== 'function')
      throw invalidOption(TypeError, `${W}: providers[${i}] (${p.name}).watch must be a function`);
  });
  const ttlMs = ms('ttlMs', options.ttlMs ?? SECRETS_DEFAULTS.ttlMs, true);
  const refreshMs = ms('refreshMs', options.refreshMs ?? SECRETS_DEFAULTS.refreshMs, false);
  if (refreshMs > MAX_TIMER) throw invalidOption(RangeError, `${W}: refreshMs must be <= 2^31-1, got ${refreshMs}`);
  const retryMs = ms('retryMs', options.retryMs ?? SECRETS_DEFAULTS.retryMs, false);
  const timeoutMs = ms('timeoutMs', options.timeoutMs ?? SECRETS_DEFAULTS.timeoutMs, false);
  if (timeoutMs === 0 || timeoutMs > MAX_TIMER)
    throw invalidOption(RangeError, `${W}: timeoutMs must be in (0, 2^31-1], got ${timeoutMs}`);
  const clock = options.clock ?? SECRETS_DEFAULTS.clock;
  if (typeof clock !== 'function') throw invalidOption(TypeError, `${W}: clock must be a function, got ${show(clock)}`);
  if (!isRecord(options.secrets))
    throw invalidOption(TypeError, `${W}: secrets must be an object, got ${show(options.secrets)}`);

  const entries = new Map<string, Entry>();
  for (const name of Object.keys(options.secrets)) {
    if (name === '') throw invalidOption(TypeError, `${W}: a secret name must be non-empty`);
    const raw = options.secrets[name];
    const where = `${W}: secrets.${name}`;
    if (raw !== true && !isRecord(raw))
      throw invalidOption(TypeError, `${where} must be true or an object, got ${show(raw)}`);
    const s: SecretSpec = raw === true ? {} : raw;
    for (const k of Object.keys(s)) {
      if (!['optional', 'minLength', 'validate', 'ttlMs'].includes(k))
        throw invalidOption(TypeError, `${where}.${k} is not an option (use optional, minLength, validate, ttlMs)`);
    }
    if (s.optional !== undefined && typeof s.optional !== 'boolean')
      throw invalidOption(TypeError, `${where}.optional must be a boolean, got ${show(s.optional)}`);
    const minLength = s.minLength ?? 1;
    if (!Number.isInteger(minLength) || minLength < 1)
      throw invalidOption(RangeError, `${where}.minLength must be an integer >= 1, got ${show(minLength)}`);
    if (s.validate !== undefined && typeof s.validate !== 'function')
      throw invalidOption(TypeError, `${where}.validate must be a function, got ${show(s.validate)}`);
    entries.set(name, {
      name,
      spec: {
        optional: s.optional === true,
        minLength,
        validate: s.validate,
        ttlMs: s.ttlMs === undefined ? ttlMs : ms(`secrets.${name}.ttlMs`, s.ttlMs, true),
      },
      secret: undefined,
      loaded: false,
      source: undefined,
      version: undefined,
      loadedAt: 0,
      expiresAt: 0,
      inflight: undefined,
      queued: undefined,
      lastError: undefined,
      stops: undefined,
    });
  }

  const listeners: Listeners = { rotate: null, access: null, error: null };
  const emit = <E extends keyof SecretsEvents>(event: E, e: SecretsEvents[E]): void => {
    const list = listeners[event];
    if (list === null) return;
    for (const l of list) {
      try {
        l(e);
      } catch (err) {
        // A listener bug must not turn into a failed read: report it as uncaught, asynchronously.
        queueMicrotask(() => {
          throw err;
        });
      }
    }
  };

  let closed = false;
  const closing = new AbortController();
  let refreshTimer: ReturnType<typeof setTimeout> | undefined;

  const entryOf = (name: unknown): Entry => {
    const e = typeof name === 'string' ? entries.get(name) : undefined;
    if (e === undefined)
      throw new SecretsError(
        'ERR_SECRET_UNDECLARED',
        `${W}: ${show(name)} is not a declared secret (declared: ${[...entries.keys()].join(', ')})`,
        typeof name === 'string' ? { secret: name } : undefined,
      );
    return e;
  };

  const check = (e: Entry, value: string, source: string): void => {
    const fail = (reason: string): never => {
      throw new SecretsError('ERR_SECRET_INVALID', `${W}: secret "${e.name}" from ${source} ${reason}`, {
        secret: e.name,
      });
    };
    if (value.length < e.spec.minLength) fail(`is ${value.length} characters long, needs at least ${e.spec.minLength}`);
    const v = e.spec.validate;
    if (v === undefined) return;
    let r: unknown;
    try {
      r = v(value);
    } catch (err) {
      // The thrown error is dropped on purpose: its message may quote the value.
      fail(`was refused by its validator, which threw ${err instanceof Error ? err.name : typeof err}`);
    }
    if (r === false) fail('was refused by its validator');
    if (typeof r === 'string') fail(`is invalid: ${r}`);
  };

  /** One provider read, bounded by `timeoutMs` and `close()`. */
  const readFrom = (p: SecretProvider, name: string): Promise<ProviderValue | undefined> => {
    const ac = new AbortController();
    const onClose = (): void => ac.abort(closing.signal.reason);
    closing.signal.addEventListener('abort', onClose);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const bounded = new Promise<never>((_, reject) => {
      timer = unref(
        setTimeout(() => {
          const err = new SecretsError(
            'ERR_SECRET_TIMEOUT',
            `${W}: reading secret "${name}" from ${p.name} took longer than ${timeoutMs} ms`,
            { secret: name },
          );
          ac.abort(err);
          reject(err);
        }, timeoutMs),
      );
      ac.signal.addEventListener('abort', () => reject(ac.signal.reason), { once: true });
    });
    const read = (async () => p.get(name, ac.signal))();
    return Promise.race([read, bounded]).finally(() => {
      clearTimeout(timer);
      closing.signal.removeEventListener('abort', onClose);
      read.catch(() => {}); // a read that lost the race must not become an unhandled rejection
    });
  };

  /** Reads `e` from the providers in order, checks it, updates the entry and emits `rotate`. Single-flight. */
  const read = (e: Entry): Promise<Entry> => {
    if (e.inflight !== undefined) return e.inflight;
    const p = (async (): Promise<Entry> => {
      let found: { value: string; version: string | undefined; ttlMs: number | undefined; source: string } | undefined;
      for (const provider of providers) {
        let r: ProviderValue | undefined;
        try {
          r = await readFrom(provider, e.name);
        } catch (err) {
          if (isSecretsError(err)) throw err;
          if (closed) throw new SecretsError('ERR_SECRETS_CLOSED', `${W}: closed`, { secret: e.name });
          throw new SecretsError(
            'ERR_SECRET_READ',
            `${W}: reading secret "${e.name}" from ${provider.name} failed: ${err instanceof Error ? err.message : String(err)}`,
            { secret: e.name, cause: err },
          );
        }
        if (r === undefined || r === null || r === '') continue;
        const value = typeof r === 'string' ? r : r.value;
        if (typeof value !== 'string')
          throw new SecretsError(
            'ERR_SECRET_READ',
            `${W}: provider ${provider.name} answered secret "${e.name}" with a ${typeof value}, not a string`,
            { secret: e.name },
          );
        if (value === '') continue;
        found = {
          value,
          version: typeof r === 'string' ? undefined : r.version,
          ttlMs: typeof r === 'string' ? undefined : r.ttlMs,
          source: provider.name,
        };
        break;
      }
      const wasLoaded = e.loaded;
      if (found === undefined) {
        if (!e.spec.optional)
          throw new SecretsError(
            'ERR_SECRET_MISSING',
            `${W}: secret "${e.name}" was found in none of the providers (${providers.map((x) => x.name).join(', ')})`,
            { secret: e.name },
          );
        const had = e.secret;
        settle(e, undefined, undefined, undefined, undefined);
        if (wasLoaded && had !== undefined)
          emit('rotate', {
            name: e.name,
            source: 'none',
            previousSource: e.source ?? 'none',
            version: undefined,
            previousVersion: e.version,
          });
        return e;
      }
      check(e, found.value, found.source);
      const previous = e.secret;
      const previousSource = e.source;
      const previousVersion = e.version;
      const changed = previous === undefined || previous.reveal() !== found.value;
      settle(e, changed ? secret(found.value, e.name) : previous, found.source, found.version, found.ttlMs);
      if (changed && wasLoaded)
        emit('rotate', {
          name: e.name,
          source: found.source,
          previousSource: previousSource ?? 'none',
          version: found.version,
          previousVersion,
        });
      return e;
    })();
    e.inflight = p;
    p.then(
      () => {
        e.inflight = undefined;
        e.lastError = undefined;
        startWatching(e);
      },
      (err: unknown) => {
        e.inflight = undefined;
        e.lastError = isSecretsError(err) ? err : undefined;
        // Keep the last good value, and try again after retryMs rather than on every access.
        if (e.loaded) e.expiresAt = clock() + retryMs;
      },
    );
    return p;
  };

  const settle = (
    e: Entry,
    s: Secret | undefined,
    source: string | undefined,
    version: string | undefined,
    valueTtl: number | undefined,
  ): void => {
    e.secret = s;
    e.loaded = true;
    e.source = source;
    e.version = version;
    const now = clock();
    e.loadedAt = now;
    const life = typeof valueTtl === 'number' && valueTtl >= 0 ? Math.min(valueTtl, e.spec.ttlMs) : e.spec.ttlMs;
    e.expiresAt = now + life;
  };

  /** A read that starts after this call: joins the queued one, or queues one behind the read in flight. */
  const readFresh = (e: Entry): Promise<Entry> => {
    if (e.inflight === undefined) return read(e);
    if (e.queued === undefined) {
      const next = (): Promise<Entry> => {
        e.queued = undefined;
        return read(e);
      };
      e.queued = e.inflight.then(next, next);
    }
    return e.queued;
  };

  /**
   * A re-read whose failure keeps the last good value and is reported as an `error` event. `fresh`: the read must
   * start after this call (a reported change, `refresh()`); otherwise a read already in flight will do.
   */
  const refreshEntry = (e: Entry, fresh: boolean): Promise<void> =>
    (fresh ? readFresh(e) : read(e)).then(
      () => undefined,
      (err: unknown) => {
        if (closed) return;
        const error = isSecretsError(err)
          ? err
          : new SecretsError('ERR_SECRET_READ', `${W}: reading secret "${e.name}" failed`, { secret: e.name });
        emit('error', { name: e.name, error });
      },
    );

  const startWatching = (e: Entry): void => {
    if (e.stops !== undefined || closed) return;
    e.stops = [];
    for (const p of providers) {
      if (p.watch === undefined) continue;
      try {
        e.stops.push(p.watch(e.name, () => void refreshEntry(e, true)));
      } catch (err) {
        emit('error', {
          name: e.name,
          error: new SecretsError('ERR_SECRET_READ', `${W}: ${p.name} cannot watch secret "${e.name}"`, {
            secret: e.name,
            cause: err,
          }),
        });
      }
    }
  };

  const scheduleRefresh = (): void => {
    if (refreshMs === 0 || closed) return;
    refreshTimer = unref(
      setTimeout(() => {
        const loaded = [...entries.values()].filter((e) => e.loaded);
        void Promise.all(loaded.map((e) => refreshEntry(e, false))).then(scheduleRefresh);
      }, refreshMs),
    );
  };
  scheduleRefresh();

  const withSignal = <T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> => {
    if (signal === undefined) return p;
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => reject(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      p.then(
        (v) => {
          signal.removeEventListener('abort', onAbort);
          resolve(v);
        },
        (err) => {
          signal.removeEventListener('abort', onAbort);
          reject(err);
        },
      );
    });
  };

  const handOut = (e: Entry, cached: boolean): Secret | undefined => {
    if (listeners.access !== null && e.secret !== undefined)
      emit('access', { name: e.name, source: e.source ?? 'none', cached });
    return e.secret;
  };

  const manager: Secrets<S> = {
    async load(signal) {
      if (closed) throw new SecretsError('ERR_SECRETS_CLOSED', `${W}: load() after close()`);
      const all = [...entries.values()];
      const results = await withSignal(Promise.allSettled(all.map((e) => read(e))), signal);
      const errors: SecretsError[] = [];
      for (const r of results) {
        if (r.status === 'rejected')
          errors.push(
            isSecretsError(r.reason) ? r.reason : new SecretsError('ERR_SECRET_READ', `${W}: ${String(r.reason)}`),
          );
      }
      if (errors.length > 0)
        throw new SecretsError(
          'ERR_SECRETS_LOAD',
          `${W}: ${errors.length} of ${all.length} secrets could not be loaded:\n  ${errors.map((x) => x.message).join('\n  ')}`,
          { errors },
        );
    },
    async get(name, signal) {
      const e = entryOf(name);
      if (closed) throw new SecretsError('ERR_SECRETS_CLOSED', `${W}: get() after close()`, { secret: e.name });
      if (!e.loaded) {
        await withSignal(read(e), signal);
        return handOut(e, false) as SecretOf<S[typeof name]>;
      }
      // Expired: re-read in the background and serve the current value meanwhile, so a slow or failing provider never
      // stalls a caller once the secret is loaded.
      if (clock() >= e.expiresAt && e.inflight === undefined) void refreshEntry(e, false);
      return handOut(e, true) as SecretOf<S[typeof name]>;
    },
    current(name) {
      const e = entryOf(name);
      if (!e.loaded)
        throw new SecretsError(
          'ERR_SECRET_NOT_LOADED',
          `${W}: secret "${e.name}" is not loaded yet: await load() (or get()) first`,
          { secret: e.name },
        );
      if (!closed && clock() >= e.expiresAt && e.inflight === undefined) void refreshEntry(e, false);
      return handOut(e, true) as SecretOf<S[typeof name]>;
    },
    async refresh(name) {
      if (closed) return;
      const list = name === undefined ? [...entries.values()].filter((e) => e.loaded) : [entryOf(name)];
      await Promise.all(list.map((e) => refreshEntry(e, true)));
    },
    status() {
      const now = clock();
      return [...entries.values()].map((e) => ({
        name: e.name,
        loaded: e.loaded,
        optional: e.spec.optional,
        source: e.source,
        version: e.version,
        ageMs: e.loaded ? now - e.loadedAt : undefined,
        lastError: e.lastError?.code,
      }));
    },
    on(event, listener) {
      if (!Object.hasOwn(listeners, event))
        throw invalidArgument(TypeError, `${W}: unknown event ${show(event)} (expected rotate, access or error)`);
      if (typeof listener !== 'function')
        throw invalidArgument(TypeError, `${W}: on(${show(event)}) needs a listener function`);
      const l = listener as never;
      const list = listeners as unknown as Record<string, Array<never> | null>;
      list[event] = [...(list[event] ?? []), l];
      let done = false;
      return () => {
        if (done) return;
        done = true;
        const next = (list[event] ?? []).filter((x) => x !== l);
        list[event] = next.length > 0 ? next : null;
      };
    },
    async close() {
      if (closed) return;
      closed = true;
      clearTimeout(refreshTimer);
      closing.abort(new SecretsError('ERR_SECRETS_CLOSED', `${W}: closed`));
      for (const e of entries.values()) for (const stop of e.stops ?? []) stop();
      const errors: unknown[] = [];
      for (const p of providers) {
        try {
          await p.close?.();
        } catch (err) {
          errors.push(err);
        }
      }
      if (errors.length > 0)
        throw new SecretsError('ERR_PROVIDER_CLOSE', `${W}: ${errors.length} provider(s) failed to close`, {
          cause: new AggregateError(errors, `${W}: provider close() errors`),
        });
    },
  };
  return manager;
}
