import {
  type BreakerEvents,
  type BreakerStats,
  type CircuitBreaker,
  type CircuitBreakerOptions,
  type CircuitState,
  circuitBreaker,
} from './breaker.js';
import { BreakerError, invalidArgument, invalidOption } from './errors.js';
import { addListener, emit, type ListenerList, removeListener } from './internal/emit.js';

/** Options of one breaker in a registry: every {@link CircuitBreakerOptions} but `name` (the registry names it). */
export type RegistryBreakerOptions<F = never> = Omit<CircuitBreakerOptions<F>, 'name'>;

/** Options shared by every breaker of a registry. A fallback is per breaker, so it is not one of them. */
export type RegistryDefaults = Omit<CircuitBreakerOptions<never>, 'name' | 'fallback'>;

/** The fallback type of a configured breaker (`never` when it has no fallback). */
export type FallbackOf<O> = O extends { fallback: (...args: never[]) => infer R } ? R : never;

/** Options for {@link breakerRegistry}. */
export interface BreakerRegistryOptions<B extends Record<string, RegistryBreakerOptions<any>>> {
  /** Options every breaker starts from. */
  defaults?: RegistryDefaults;
  /**
   * Per-name options, merged over `defaults` (shallowly: a `window` or `openMs` object replaces the default one) when
   * the breaker is first created. Their fallbacks type `get(name)`.
   */
  breakers?: B;
  /**
   * Most breakers the registry holds; creating one more throws `ERR_REGISTRY_FULL`. A bound, because a name built from
   * request data (a host, a tenant) would otherwise grow the registry without limit. Default 1000.
   */
  maxBreakers?: number;
}

/** Registry events: every breaker event with the breaker's `name`, plus `create`. */
export interface RegistryEvents {
  stateChange: BreakerEvents['stateChange'] & { name: string };
  success: BreakerEvents['success'] & { name: string };
  failure: BreakerEvents['failure'] & { name: string };
  reject: BreakerEvents['reject'] & { name: string };
  /** A breaker was created (by `get` or `create`). */
  create: { name: string };
}

/** Aggregated statistics, from {@link BreakerRegistry.stats}. */
export interface RegistryStats {
  /** Breakers held. */
  size: number;
  /** How many breakers are in each state. */
  states: Record<CircuitState, number>;
  /** Each breaker's {@link BreakerStats}, by name (a null-prototype object). */
  breakers: Record<string, BreakerStats>;
}

/** A health status, as in draft-inadarei-api-health-check (and `@org/health`). */
export type RegistryHealthStatus = 'pass' | 'warn' | 'fail';

/** Options for {@link BreakerRegistry.healthCheck}. */
export interface RegistryHealthCheckOptions {
  /** Check name, `component` or `component:measurement` without whitespace. Default `'breakers'`. */
  name?: string;
  /** Probes the check belongs to. Default `['readiness']`. */
  probes?: readonly ('liveness' | 'readiness' | 'startup')[];
  /** A `fail` of a non-critical check only warns (with `@org/health`). Default `true`. */
  critical?: boolean;
  /** Status each circuit state maps to; the worst one wins. Default closed `pass`, half-open `warn`, open `warn`, isolated `fail`. */
  states?: Partial<Record<CircuitState, RegistryHealthStatus>>;
  /** Only breakers for which this returns true are judged. Default: all. */
  include?: (name: string) => boolean;
}

/** What the check's `run()` returns: the `CheckOutcome` shape of `@org/health`. */
export interface RegistryHealthOutcome {
  status: RegistryHealthStatus;
  /** Breakers judged worse than `pass`. */
  observedValue: number;
  observedUnit: 'breakers';
  /** Which breakers are not passing, e.g. `open: payments, search; isolated: ledger`. Absent when all pass. */
  output?: string;
}

/**
 * A health check in the structural shape `@org/health`'s `health.check()` accepts (`CheckDefinition`), without
 * importing it: `health.check(registry.healthCheck())`.
 */
export interface RegistryHealthCheck {
  name: string;
  probes: readonly ('liveness' | 'readiness' | 'startup')[];
  critical: boolean;
  componentType: string;
  /** Judges the breakers now: O(number of breakers), synchronous, no I/O. */
  run(): RegistryHealthOutcome;
}

/** Named circuit breakers created once, with shared defaults. Create with {@link breakerRegistry}. */
export interface BreakerRegistry<B extends Record<string, RegistryBreakerOptions<any>> = {}> {
  /**
   * The breaker called `name`, created on first use from `defaults` and the name's options.
   * @throws {BreakerError} `ERR_REGISTRY_FULL` when creating it would exceed `maxBreakers`.
   * @throws {TypeError|RangeError} when `name` is not a non-empty string, or its options are invalid.
   */
  get<K extends keyof B & string>(name: K): CircuitBreaker<FallbackOf<B[K]>>;
  get(name: string): CircuitBreaker<never>;
  /**
   * Creates the breaker called `name` with `options` merged over `defaults` and the name's configured options.
   * @throws {BreakerError} `ERR_BREAKER_EXISTS` when the name is taken (use `get`), `ERR_REGISTRY_FULL` when full.
   */
  create<F = never>(name: string, options?: RegistryBreakerOptions<F>): CircuitBreaker<F>;
  /** True when a breaker called `name` exists. */
  has(name: string): boolean;
  /** Removes the breaker from the registry (it keeps working for whoever holds it). Returns whether it existed. */
  delete(name: string): boolean;
  /** Number of breakers held. */
  readonly size: number;
  /** Names, in creation order. */
  names(): string[];
  /** `[name, breaker]` pairs, in creation order. */
  [Symbol.iterator](): IterableIterator<[string, CircuitBreaker<unknown>]>;
  /** Every breaker's statistics and a count per state. O(number of breakers). */
  stats(): RegistryStats;
  /**
   * Subscribes to an event of every breaker, present and future; returns the unsubscribe function. Breakers only
   * emit (and measure durations) for the events someone listens to, so an unused event costs nothing.
   */
  on<E extends keyof RegistryEvents>(event: E, listener: (e: RegistryEvents[E]) => void): () => void;
  /**
   * A health check for `@org/health` (structural, no import): `pass` while every breaker is closed, `warn` for open
   * or half-open circuits and `fail` for isolated ones, unless `states` says otherwise.
   * @throws {TypeError} on a bad option, naming it.
   */
  healthCheck(options?: RegistryHealthCheckOptions): RegistryHealthCheck;
}

/** Defaults applied by {@link breakerRegistry} and {@link BreakerRegistry.healthCheck}. */
export const REGISTRY_DEFAULTS: Readonly<{
  maxBreakers: number;
  healthCheckName: string;
  healthStates: Readonly<Record<CircuitState, RegistryHealthStatus>>;
}> = Object.freeze({
  maxBreakers: 1000,
  healthCheckName: 'breakers',
  healthStates: Object.freeze({ closed: 'pass', 'half-open': 'warn', open: 'warn', isolated: 'fail' } as const),
});

const W = 'breakerRegistry';
const EVENTS = ['stateChange', 'success', 'failure', 'reject'] as const;
type BreakerEvent = (typeof EVENTS)[number];
const STATES: readonly CircuitState[] = ['closed', 'half-open', 'open', 'isolated'];
const RANK: Readonly<Record<RegistryHealthStatus, number>> = { pass: 0, warn: 1, fail: 2 };
// The name rule of @org/health's check(): `component` or `component:measurement`, no whitespace.
const CHECK_NAME = /^[^\s:]+(?::[^\s:]+)?$/;
const PROBES = new Set(['liveness', 'readiness', 'startup']);

const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : String(v));
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

interface Entry {
  readonly breaker: CircuitBreaker<unknown>;
  /** Unsubscribe functions of the registry's forwarding listeners on this breaker, per event. */
  readonly offs: Partial<Record<BreakerEvent, () => void>>;
}

/**
 * Creates a registry of named circuit breakers: each is created once, on first `get(name)`, from shared `defaults`
 * and its own options, so every module asking for `'payments'` shares one circuit.
 *
 * ```ts
 * const breakers = breakerRegistry({
 *   defaults: { timeoutMs: 2_000, openMs: 10_000 },
 *   breakers: { prices: { fallback: () => ({ price: null, stale: true }) } },
 * });
 * const quote = await breakers.get('prices').execute((signal) => pricing.quote(sku, signal));
 * health.check(breakers.healthCheck()); // open circuits warn, isolated ones fail readiness
 * ```
 * @throws {TypeError|RangeError} on a bad option, naming it. Every configured breaker's options are checked here.
 */
export function breakerRegistry<B extends Record<string, RegistryBreakerOptions<any>>>(
  options: BreakerRegistryOptions<B> = {},
): BreakerRegistry<B> {
  if (!isRecord(options)) throw invalidOption(TypeError, `${W}: options must be an object, got ${show(options)}`);
  const defaults: RegistryDefaults = options.defaults ?? {};
  if (!isRecord(defaults)) throw invalidOption(TypeError, `${W}: defaults must be an object, got ${show(defaults)}`);
  if ('name' in defaults)
    throw invalidOption(TypeError, `${W}: defaults.name is not an option (the registry names breakers)`);
  if ('fallback' in defaults)
    throw invalidOption(
      TypeError,
      `${W}: defaults.fallback is not an option (give each breaker its own in breakers.<name>)`,
    );
  const configured = (options.breakers ?? {}) as Record<string, RegistryBreakerOptions<unknown>>;
  if (!isRecord(configured))
    throw invalidOption(TypeError, `${W}: breakers must be an object, got ${show(configured)}`);
  const maxBreakers = options.maxBreakers ?? REGISTRY_DEFAULTS.maxBreakers;
  if (
    maxBreakers !== Number.POSITIVE_INFINITY &&
    (typeof maxBreakers !== 'number' || !Number.isInteger(maxBreakers) || maxBreakers < 1)
  )
    throw invalidOption(RangeError, `${W}: maxBreakers must be an integer >= 1 or Infinity, got ${show(maxBreakers)}`);
  const perName = new Map<string, RegistryBreakerOptions<unknown>>();
  for (const name of Object.keys(configured)) {
    const o = configured[name];
    if (!isRecord(o)) throw invalidOption(TypeError, `${W}: breakers.${name} must be an object, got ${show(o)}`);
    if ('name' in o)
      throw invalidOption(TypeError, `${W}: breakers.${name}.name is not an option (the key is the name)`);
    perName.set(name, o);
    // Validate now, so a typo fails at start-up rather than on the first call through that breaker.
    circuitBreaker({ ...defaults, ...o, name });
  }
  // Validate the defaults alone too (covers a registry with no configured breaker).
  circuitBreaker({ ...defaults, name: 'defaults' });

  const entries = new Map<string, Entry>();
  const lists: { [E in keyof RegistryEvents]: ListenerList<RegistryEvents[E]> } = {
    stateChange: null,
    success: null,
    failure: null,
    reject: null,
    create: null,
  };

  const forward = (entry: Entry, name: string, event: BreakerEvent): void => {
    entry.offs[event] = entry.breaker.on(event, (e: object) => {
      const list = lists[event] as ListenerList<object>;
      if (list !== null) emit(list, { name, ...e });
    });
  };

  const checkName = (name: unknown): string => {
    if (typeof name !== 'string' || name === '')
      throw invalidArgument(TypeError, `${W}: breaker name must be a non-empty string, got ${show(name)}`);
    return name;
  };

  const make = (name: string, extra: RegistryBreakerOptions<unknown> | undefined): CircuitBreaker<unknown> => {
    if (entries.size >= maxBreakers)
      throw new BreakerError(
        'ERR_REGISTRY_FULL',
        `${W}: cannot create breaker "${name}": the registry holds maxBreakers (${maxBreakers}) breakers`,
      );
    if (extra !== undefined && !isRecord(extra))
      throw invalidOption(TypeError, `${W}: options of breaker "${name}" must be an object, got ${show(extra)}`);
    const breaker = circuitBreaker<unknown>({ ...defaults, ...perName.get(name), ...extra, name });
    const entry: Entry = { breaker, offs: {} };
    entries.set(name, entry);
    for (const event of EVENTS) if (lists[event] !== null) forward(entry, name, event);
    if (lists.create !== null) emit(lists.create, { name });
    return breaker;
  };

  const registry = {
    get(name: string): CircuitBreaker<any> {
      const entry = entries.get(checkName(name));
      return entry !== undefined ? entry.breaker : make(name, undefined);
    },
    create(name: string, extra?: RegistryBreakerOptions<unknown>): CircuitBreaker<any> {
      if (entries.has(checkName(name)))
        throw new BreakerError(
          'ERR_BREAKER_EXISTS',
          `${W}: a breaker named "${name}" already exists (get("${name}") returns it)`,
        );
      return make(name, extra);
    },
    has: (name: string): boolean => entries.has(name),
    delete(name: string): boolean {
      const entry = entries.get(name);
      if (entry === undefined) return false;
      for (const off of Object.values(entry.offs)) off?.();
      entries.delete(name);
      return true;
    },
    get size(): number {
      return entries.size;
    },
    names: (): string[] => [...entries.keys()],
    *[Symbol.iterator](): IterableIterator<[string, CircuitBreaker<unknown>]> {
      for (const [name, entry] of entries) yield [name, entry.breaker];
    },
    stats(): RegistryStats {
      const states: Record<CircuitState, number> = { closed: 0, 'half-open': 0, open: 0, isolated: 0 };
      // Null prototype: a breaker may be called "__proto__" or "constructor".
      const breakers: Record<string, BreakerStats> = Object.create(null);
      for (const [name, entry] of entries) {
        const s = entry.breaker.stats();
        states[s.state]++;
        breakers[name] = s;
      }
      return { size: entries.size, states, breakers };
    },
    on<E extends keyof RegistryEvents>(event: E, listener: (e: RegistryEvents[E]) => void): () => void {
      if (!Object.hasOwn(lists, event))
        throw invalidArgument(
          TypeError,
          `${W}: unknown event ${show(event)} (expected stateChange, success, failure, reject or create)`,
        );
      if (typeof listener !== 'function')
        throw invalidArgument(TypeError, `${W}: on(${show(event)}) needs a listener function, got ${show(listener)}`);
      const l = listener as (e: unknown) => void;
      const first = lists[event] === null;
      (lists as Record<string, ListenerList<unknown>>)[event] = addListener(lists[event] as ListenerList<unknown>, l);
      if (first && event !== 'create') for (const [name, entry] of entries) forward(entry, name, event as BreakerEvent);
      let done = false;
      return () => {
        if (done) return;
        done = true;
        const next = removeListener(lists[event] as ListenerList<unknown>, l);
        (lists as Record<string, ListenerList<unknown>>)[event] = next;
        // Last listener gone: unsubscribe from every breaker, so they stop emitting (and timing) this event.
        if (next === null && event !== 'create') {
          for (const entry of entries.values()) {
            entry.offs[event as BreakerEvent]?.();
            delete entry.offs[event as BreakerEvent];
          }
        }
      };
    },
    healthCheck(opts: RegistryHealthCheckOptions = {}): RegistryHealthCheck {
      const where = `${W}: healthCheck`;
      if (!isRecord(opts)) throw invalidOption(TypeError, `${where}: options must be an object, got ${show(opts)}`);
      const name = opts.name ?? REGISTRY_DEFAULTS.healthCheckName;
      if (typeof name !== 'string' || !CHECK_NAME.test(name))
        throw invalidOption(
          TypeError,
          `${where}: name must look like "component" or "component:measurement" (no whitespace), got ${show(name)}`,
        );
      const probes = opts.probes ?? ['readiness'];
      if (!Array.isArray(probes) || probes.length === 0 || !probes.every((p) => PROBES.has(p)))
        throw invalidOption(
          TypeError,
          `${where}: probes must be a non-empty array of 'liveness', 'readiness', 'startup', got ${show(probes)}`,
        );
      const critical = opts.critical ?? true;
      if (typeof critical !== 'boolean')
        throw invalidOption(TypeError, `${where}: critical must be a boolean, got ${show(critical)}`);
      const include = opts.include;
      if (include !== undefined && typeof include !== 'function')
        throw invalidOption(TypeError, `${where}: include must be a function, got ${show(include)}`);
      const map: Record<CircuitState, RegistryHealthStatus> = { ...REGISTRY_DEFAULTS.healthStates };
      if (opts.states !== undefined) {
        if (!isRecord(opts.states))
          throw invalidOption(
            TypeError,
            `${where}: states must be an object of state → status, got ${show(opts.states)}`,
          );
        for (const [state, status] of Object.entries(opts.states)) {
          if (!STATES.includes(state as CircuitState))
            throw invalidOption(TypeError, `${where}: states.${state} is not a circuit state (${STATES.join(', ')})`);
          if (status !== 'pass' && status !== 'warn' && status !== 'fail')
            throw invalidOption(
              TypeError,
              `${where}: states.${state} must be 'pass', 'warn' or 'fail', got ${show(status)}`,
            );
          map[state as CircuitState] = status;
        }
      }
      return {
        name,
        probes: [...probes],
        critical,
        componentType: 'component',
        run(): RegistryHealthOutcome {
          let status: RegistryHealthStatus = 'pass';
          let bad = 0;
          // Names grouped per non-passing state, in STATES order, for the output line.
          const byState: Partial<Record<CircuitState, string[]>> = {};
          for (const [n, entry] of entries) {
            if (include !== undefined && include(n) !== true) continue;
            const state = entry.breaker.state;
            const s = map[state];
            if (s === 'pass') continue;
            bad++;
            if (RANK[s] > RANK[status]) status = s;
            (byState[state] ??= []).push(n);
          }
          const outcome: RegistryHealthOutcome = { status, observedValue: bad, observedUnit: 'breakers' };
          if (bad > 0) {
            outcome.output = STATES.filter((st) => byState[st] !== undefined)
              .map((st) => `${st}: ${byState[st]!.join(', ')}`)
              .join('; ');
          }
          return outcome;
        },
      };
    },
  };
  return registry as BreakerRegistry<B>;
}
