import { HealthError } from './errors.js';
import { describe, duration, messageOf, unref } from './internal/util.js';
import type {
  CheckDefinition,
  CheckResult,
  CheckReturn,
  HealthDocument,
  HealthEvents,
  HealthOptions,
  HealthStatus,
  ProbeName,
  ProbeOptions,
  ProbePaths,
  ProbeRequest,
  ProbeResponse,
  ProbeTarget,
  ServiceInfo,
  VerbosePolicy,
} from './types.js';

/** Media type of the draft. */
export const HEALTH_MEDIA_TYPE: string = 'application/health+json';

/** Defaults applied by {@link createHealth}. */
export const HEALTH_DEFAULTS: Readonly<{
  timeoutMs: number;
  cacheMs: number;
  verbose: VerbosePolicy;
  paths: Readonly<ProbePaths>;
  clock: () => number;
}> = Object.freeze({
  timeoutMs: 1000,
  cacheMs: 1000,
  verbose: 'query' as VerbosePolicy,
  paths: Object.freeze({ liveness: '/livez', readiness: '/readyz', startup: '/startupz', health: '/health' }),
  clock: () => Date.now(),
});

/** Options of {@link Health.fetchHandler}. */
export interface FetchHandlerOptions {
  /** Answers requests that are not probes. Default: an empty 404. */
  fallback?: (request: Request) => Response | Promise<Response>;
}

/** A set of checks answering the three Kubernetes probes. Create with {@link createHealth}. */
export interface Health {
  /**
   * Registers a check; returns a function that unregisters it (and calls its `close`).
   * @throws {TypeError|RangeError} on a bad definition, naming the field.
   * @throws {HealthError} `ERR_DUPLICATE_CHECK` when the name is taken, `ERR_HEALTH_CLOSED` after `close()`.
   */
  check(definition: CheckDefinition): () => void;
  /** Liveness: the liveness checks only (the process itself). Unaffected by draining. */
  liveness(options?: ProbeOptions): Promise<ProbeResponse>;
  /** Readiness: the readiness checks; fails while draining. A pass also marks the service started. */
  readiness(options?: ProbeOptions): Promise<ProbeResponse>;
  /** Startup: fails until the startup and readiness checks have passed once, then passes without running checks. */
  startup(options?: ProbeOptions): Promise<ProbeResponse>;
  /** Any probe by name; `health` runs every check and fails while draining. */
  probe(target: ProbeTarget, options?: ProbeOptions): Promise<ProbeResponse>;
  /**
   * Framework-free routing for adapters: returns the probe's response for a GET or HEAD on one of the probe paths,
   * or `null` when the request is not a probe (pass it on). Verbosity follows the `verbose` policy. For HEAD the
   * response still carries `body` (so Content-Length can be set); send the headers only.
   */
  route(method: string, url: string, header?: (name: string) => string | undefined): Promise<ProbeResponse> | null;
  /** A Fetch API handler (Request → Response) serving the probe paths; other requests go to `fallback` (404). */
  fetchHandler(options?: FetchHandlerOptions): (request: Request) => Promise<Response>;
  /** Marks the service draining: readiness and `health` fail with 503 from now on; liveness is unaffected. */
  drain(reason?: string): void;
  /** True after `drain()`. */
  readonly draining: boolean;
  /** True once the service has been ready once (startup passes). */
  readonly started: boolean;
  /** The probe paths in use. */
  readonly paths: Readonly<ProbePaths>;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends keyof HealthEvents>(event: E, listener: (e: HealthEvents[E]) => void): () => void;
  /** Stops background intervals, aborts running checks and calls every check's `close`. Probes keep answering on demand. */
  close(): void;
}

const PROBES: readonly ProbeName[] = ['liveness', 'readiness', 'startup'];
const NAME_RE = /^[^\s:]+(?::[^\s:]+)?$/;
const HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-type': HEALTH_MEDIA_TYPE,
  'cache-control': 'no-store',
});
const minimal = (status: HealthStatus): ProbeResponse =>
  Object.freeze({
    status,
    httpStatus: status === 'fail' ? 503 : 200,
    headers: HEADERS,
    body: `{"status":"${status}"}`,
    json: Object.freeze({ status }),
  });
// Minimal responses depend on the status only: built once, shared.
const MINIMAL: Readonly<Record<HealthStatus, ProbeResponse>> = Object.freeze({
  pass: minimal('pass'),
  warn: minimal('warn'),
  fail: minimal('fail'),
});
// Handed to a `run()` that declares no parameter (it cannot read it); never aborts.
const NEVER: AbortSignal = new AbortController().signal;

interface Registered {
  readonly def: CheckDefinition;
  readonly name: string;
  readonly probes: ReadonlySet<ProbeName>;
  readonly critical: boolean;
  readonly timeoutMs: number;
  readonly intervalMs: number;
  last: CheckResult | undefined;
  lastAt: number;
  inflight: Promise<CheckResult> | undefined;
  abort: AbortController | undefined;
  timer: unknown;
  removed: boolean;
}

interface InFlight {
  deadline: number;
  expire(closing?: boolean): void;
}

interface Memo {
  results: CheckResult[];
  draining: boolean;
  response: ProbeResponse;
}

const isVerboseQuery = (url: string): boolean => {
  const q = url.indexOf('?');
  if (q < 0) return false;
  const v = new URLSearchParams(url.slice(q + 1)).get('verbose');
  return v !== null && v !== '0' && v !== 'false';
};

function normaliseService(where: string, s: ServiceInfo | undefined): ServiceInfo {
  if (s === undefined) return {};
  if (typeof s !== 'object' || s === null)
    throw new TypeError(`${where}: service must be an object, got ${describe(s)}`);
  for (const k of ['id', 'version', 'releaseId', 'description'] as const) {
    if (s[k] !== undefined && typeof s[k] !== 'string')
      throw new TypeError(`${where}: service.${k} must be a string, got ${describe(s[k])}`);
  }
  return { ...s };
}

/**
 * Creates a health instance: register checks with `check()`, answer probes with `liveness()`, `readiness()`,
 * `startup()`, `route()` or `fetchHandler()`.
 * @throws {RangeError|TypeError} on a bad option, naming it.
 */
export function createHealth(options: HealthOptions = {}): Health {
  const W = 'health';
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`${W}: options must be an object, got ${describe(options)}`);
  const timeoutMs = duration(W, 'timeoutMs', options.timeoutMs ?? HEALTH_DEFAULTS.timeoutMs, 1);
  const cacheMs = duration(W, 'cacheMs', options.cacheMs ?? HEALTH_DEFAULTS.cacheMs);
  const verbosePolicy = options.verbose ?? HEALTH_DEFAULTS.verbose;
  if (typeof verbosePolicy !== 'function' && !['query', 'always', 'never'].includes(verbosePolicy))
    throw new TypeError(
      `${W}: verbose must be 'query', 'always', 'never' or a function, got ${describe(verbosePolicy)}`,
    );
  const clock = options.clock ?? HEALTH_DEFAULTS.clock;
  if (typeof clock !== 'function') throw new TypeError(`${W}: clock must be a function, got ${describe(clock)}`);
  const service = normaliseService(W, options.service);
  const paths: ProbePaths = { ...HEALTH_DEFAULTS.paths, ...options.paths };
  for (const [k, p] of Object.entries(paths)) {
    if (typeof p !== 'string' || !p.startsWith('/'))
      throw new TypeError(`${W}: paths.${k} must be a string starting with "/", got ${describe(p)}`);
  }
  Object.freeze(paths);
  const byPath = new Map<string, ProbeTarget>([
    [paths.liveness, 'liveness'],
    [paths.readiness, 'readiness'],
    [paths.startup, 'startup'],
    [paths.health, 'health'],
  ]);

  const checks = new Map<string, Registered>();
  // Per probe, the checks it runs; rebuilt when checks change.
  let lists: Record<ProbeTarget, Registered[]> | null = null;
  const memos = new Map<string, Memo>();
  let draining = false;
  let drainReason = '';
  let started = false;
  let closed = false;
  let changeListeners: Array<(e: HealthEvents['change']) => void> | null = null;
  let drainListeners: Array<(e: HealthEvents['drain']) => void> | null = null;

  const listsFor = (): Record<ProbeTarget, Registered[]> => {
    if (lists) return lists;
    const all = [...checks.values()];
    lists = {
      liveness: all.filter((c) => c.probes.has('liveness')),
      readiness: all.filter((c) => c.probes.has('readiness')),
      startup: all.filter((c) => c.probes.has('startup') || c.probes.has('readiness')),
      health: all,
    };
    return lists;
  };

  const normalise = (c: Registered, value: CheckReturn, time: string): CheckResult => {
    const d = c.def;
    const r: CheckResult = { status: 'pass', time };
    if (d.componentId !== undefined) r.componentId = d.componentId;
    if (d.componentType !== undefined) r.componentType = d.componentType;
    if (value === false) {
      r.status = 'fail';
      r.output = 'check returned false';
    } else if (typeof value === 'number') {
      r.observedValue = value;
    } else if (typeof value === 'object' && value !== null) {
      if (value.status !== undefined) {
        if (value.status !== 'pass' && value.status !== 'warn' && value.status !== 'fail') {
          r.status = 'fail';
          r.output = `check returned an invalid status ${describe(value.status)}`;
          return r;
        }
        r.status = value.status;
      }
      if (value.componentId !== undefined) r.componentId = value.componentId;
      if (value.componentType !== undefined) r.componentType = value.componentType;
      if (value.observedValue !== undefined) r.observedValue = value.observedValue;
      if (value.observedUnit !== undefined) r.observedUnit = value.observedUnit;
      if (value.affectedEndpoints !== undefined) r.affectedEndpoints = value.affectedEndpoints;
      if (value.output !== undefined) r.output = value.output;
      if (value.links !== undefined) r.links = value.links;
    }
    if (r.observedValue !== undefined && r.observedUnit === undefined && d.observedUnit !== undefined)
      r.observedUnit = d.observedUnit;
    return r;
  };

  const failed = (c: Registered, output: string, time: string): CheckResult => {
    const r: CheckResult = { status: 'fail', time, output };
    if (c.def.componentId !== undefined) r.componentId = c.def.componentId;
    if (c.def.componentType !== undefined) r.componentType = c.def.componentType;
    return r;
  };

  const settle = (c: Registered, r: CheckResult, at: number): CheckResult => {
    if (!c.critical && r.status === 'fail') r.status = 'warn';
    const from = c.last?.status;
    c.last = r;
    c.lastAt = at;
    c.inflight = undefined;
    c.abort = undefined;
    if (changeListeners !== null && from !== r.status) {
      const e = { name: c.name, from, to: r.status, output: r.output };
      for (const l of changeListeners) l(e);
    }
    return r;
  };

  // ISO strings of the last timestamp, so a burst of runs in one millisecond formats the date once.
  let isoAt = Number.NaN;
  let iso = '';
  const isoOf = (t: number): string => {
    if (t !== isoAt) {
      isoAt = t;
      iso = new Date(t).toISOString();
    }
    return iso;
  };

  // Timeouts of asynchronous runs: one unref'd timer for all of them, armed at the earliest deadline (cheaper than a
  // timer per run when probes come in bursts; a run that finishes just leaves the set).
  const running = new Set<InFlight>();
  let sweepTimer: ReturnType<typeof setTimeout> | undefined;
  let sweepAt = Number.POSITIVE_INFINITY;
  const arm = (deadline: number, now: number): void => {
    if (sweepTimer !== undefined) clearTimeout(sweepTimer);
    sweepAt = deadline;
    sweepTimer = unref(setTimeout(sweep, Math.max(1, Math.ceil(deadline - now))));
  };
  const sweep = (): void => {
    sweepTimer = undefined;
    sweepAt = Number.POSITIVE_INFINITY;
    const now = performance.now();
    let next = Number.POSITIVE_INFINITY;
    for (const r of running) {
      if (r.deadline <= now + 0.5) {
        running.delete(r);
        r.expire();
      } else if (r.deadline < next) next = r.deadline;
    }
    if (next !== Number.POSITIVE_INFINITY) arm(next, now);
  };
  const track = (r: InFlight): void => {
    running.add(r);
    if (r.deadline < sweepAt) arm(r.deadline, performance.now());
  };

  // One run of a check, bounded by its timeout whatever `run` does. A synchronous check settles synchronously (no
  // promise, no timer); an asynchronous one gets a deadline and, when `run` declares a parameter, its own
  // AbortSignal (a `run()` that takes no parameter cannot see one, so none is allocated).
  const runCheck = (c: Registered): CheckResult | Promise<CheckResult> => {
    const at = clock();
    const startedAt = isoOf(at);
    const ac = c.def.run.length > 0 ? new AbortController() : undefined;
    let v: CheckReturn | Promise<CheckReturn>;
    try {
      v = c.def.run(ac ? ac.signal : NEVER);
    } catch (e) {
      return settle(c, failed(c, messageOf(e), startedAt), at);
    }
    if (v === null || typeof v !== 'object' || typeof (v as Promise<unknown>).then !== 'function')
      return settle(c, normalise(c, v as CheckReturn, startedAt), at);
    c.abort = ac;
    const p = new Promise<CheckResult>((resolve) => {
      const run: InFlight = {
        deadline: performance.now() + c.timeoutMs,
        expire(closing) {
          const msg = closing ? 'health instance closed' : `timed out after ${c.timeoutMs} ms`;
          const code = closing ? 'ERR_HEALTH_CLOSED' : 'ERR_CHECK_TIMEOUT';
          ac?.abort(new HealthError(code, `health: check "${c.name}" ${msg}`));
          resolve(settle(c, failed(c, msg, startedAt), at));
        },
      };
      track(run);
      const finish = (r: CheckResult): void => {
        if (!running.delete(run)) return; // already expired
        resolve(settle(c, r, at));
      };
      (v as Promise<CheckReturn>).then(
        (x) => finish(normalise(c, x, startedAt)),
        (e: unknown) => finish(failed(c, messageOf(e), startedAt)),
      );
    });
    c.inflight = p;
    return p;
  };

  const schedule = (c: Registered): void => {
    if (closed || c.removed) return;
    const t0 = clock();
    const next = (): void => {
      if (closed || c.removed) return;
      const wait = Math.max(0, c.intervalMs - (clock() - t0));
      c.timer = unref(setTimeout(() => schedule(c), wait));
    };
    const r = c.inflight ?? runCheck(c);
    if (r instanceof Promise) r.then(next);
    else next();
  };

  // The current result of a check, or a promise of it: cached, shared in-flight, or a new run.
  const resultOf = (c: Registered): CheckResult | Promise<CheckResult> => {
    if (c.intervalMs > 0 && !closed) return c.last ?? c.inflight ?? runCheck(c);
    if (cacheMs > 0 && c.last !== undefined && clock() - c.lastAt < cacheMs) return c.last;
    return c.inflight ?? runCheck(c);
  };

  const respond = (
    target: ProbeTarget,
    results: CheckResult[],
    list: Registered[],
    verbose: boolean,
    drainApplies: boolean,
  ): ProbeResponse => {
    const isDraining = drainApplies && draining;
    let status: HealthStatus = 'pass';
    if (isDraining) status = 'fail';
    else
      for (let i = 0; i < results.length; i++) {
        // a non-critical check never reports `fail` (settle() turns it into `warn`)
        const s = (results[i] as CheckResult).status;
        if (s === 'fail') {
          status = 'fail';
          break;
        }
        if (s === 'warn') status = 'warn';
      }
    if (!verbose) return MINIMAL[status];
    // Verbose: reuse the last document while every result is the same object (cached or background results).
    const memo = memos.get(target);
    if (memo !== undefined && memo.draining === isDraining && memo.results.length === results.length) {
      let same = true;
      for (let i = 0; i < results.length; i++) {
        if (memo.results[i] !== results[i]) {
          same = false;
          break;
        }
      }
      if (same) return memo.response;
    }
    const json: HealthDocument = { status };
    if (service.version !== undefined) json.version = service.version;
    if (service.releaseId !== undefined) json.releaseId = service.releaseId;
    const notes = service.notes ? [...service.notes] : [];
    if (isDraining) {
      json.output = drainReason ? `draining: ${drainReason}` : 'draining';
      notes.push('draining: the service is shutting down and takes no new traffic');
    }
    if (notes.length) json.notes = notes;
    if (service.id !== undefined) json.serviceId = service.id;
    if (service.description !== undefined) json.description = service.description;
    const map: Record<string, CheckResult[]> = {};
    for (let i = 0; i < results.length; i++) map[(list[i] as Registered).name] = [results[i] as CheckResult];
    json.checks = map;
    if (service.links !== undefined) json.links = service.links;
    const response: ProbeResponse = Object.freeze({
      status,
      httpStatus: status === 'fail' ? 503 : 200,
      headers: HEADERS,
      body: JSON.stringify(json),
      json,
    });
    memos.set(target, { results, draining: isDraining, response });
    return response;
  };

  const evaluate = (target: ProbeTarget, verbose: boolean): Promise<ProbeResponse> => {
    if (target === 'startup' && started) {
      return Promise.resolve(respond('startup', [], [], verbose, false));
    }
    const list = listsFor()[target];
    const drainApplies = target !== 'liveness';
    const out: Array<CheckResult | Promise<CheckResult>> = new Array(list.length);
    let pending = false;
    for (let i = 0; i < list.length; i++) {
      const r = resultOf(list[i] as Registered);
      if (r instanceof Promise) pending = true;
      out[i] = r;
    }
    const finish = (results: CheckResult[]): ProbeResponse => {
      const res = respond(target, results, list, verbose, drainApplies);
      if (!started && (target === 'readiness' || target === 'startup') && res.status !== 'fail') started = true;
      return res;
    };
    if (!pending) return Promise.resolve(finish(out as CheckResult[]));
    return Promise.all(out).then(finish);
  };

  const probe = (target: ProbeTarget, opts?: ProbeOptions): Promise<ProbeResponse> => {
    if (target !== 'health' && !PROBES.includes(target))
      return Promise.reject(
        new TypeError(`health: probe must be liveness, readiness, startup or health, got ${describe(target)}`),
      );
    return evaluate(target, opts?.verbose === true);
  };

  const wantsVerbose = (req: ProbeRequest): boolean => {
    if (verbosePolicy === 'query') return isVerboseQuery(req.url);
    if (verbosePolicy === 'always') return true;
    if (verbosePolicy === 'never') return false;
    return verbosePolicy(req) === true;
  };

  const noHeader = (): undefined => undefined;

  const route = (
    method: string,
    url: string,
    header: (name: string) => string | undefined = noHeader,
  ): Promise<ProbeResponse> | null => {
    if (method !== 'GET' && method !== 'HEAD') return null;
    // Accept a path with query, or an absolute URL.
    let target = url;
    if (!target.startsWith('/')) {
      const i = target.indexOf('/', target.indexOf('//') + 2);
      target = i < 0 ? '/' : target.slice(i);
    }
    const q = target.indexOf('?');
    const path = q < 0 ? target : target.slice(0, q);
    const which = byPath.get(path);
    if (which === undefined) return null;
    const verbose = wantsVerbose({ method, url: target, header });
    return evaluate(which, verbose);
  };

  const health: Health = {
    check(definition) {
      if (closed) throw new HealthError('ERR_HEALTH_CLOSED', 'health: cannot register a check after close()');
      if (typeof definition !== 'object' || definition === null)
        throw new TypeError(`health: check definition must be an object, got ${describe(definition)}`);
      const { name } = definition;
      if (typeof name !== 'string' || !NAME_RE.test(name))
        throw new TypeError(
          `health: check name must look like "component:measurement" (no whitespace), got ${describe(name)}`,
        );
      const where = `health: check "${name}"`;
      if (typeof definition.run !== 'function')
        throw new TypeError(`${where}: run must be a function, got ${describe(definition.run)}`);
      const probes = definition.probes ?? ['readiness'];
      if (!Array.isArray(probes) || probes.length === 0 || !probes.every((p) => PROBES.includes(p)))
        throw new TypeError(
          `${where}: probes must be a non-empty array of 'liveness', 'readiness', 'startup', got ${describe(probes)}`,
        );
      const critical = definition.critical ?? true;
      if (typeof critical !== 'boolean')
        throw new TypeError(`${where}: critical must be a boolean, got ${describe(critical)}`);
      const cTimeout = duration(where, 'timeoutMs', definition.timeoutMs ?? timeoutMs, 1);
      const intervalMs = duration(where, 'intervalMs', definition.intervalMs ?? 0);
      if (definition.close !== undefined && typeof definition.close !== 'function')
        throw new TypeError(`${where}: close must be a function, got ${describe(definition.close)}`);
      if (checks.has(name))
        throw new HealthError('ERR_DUPLICATE_CHECK', `health: a check named "${name}" is already registered`);
      const c: Registered = {
        def: definition,
        name,
        probes: new Set(probes),
        critical,
        timeoutMs: cTimeout,
        intervalMs,
        last: undefined,
        lastAt: 0,
        inflight: undefined,
        abort: undefined,
        timer: undefined,
        removed: false,
      };
      checks.set(name, c);
      lists = null;
      memos.clear();
      if (intervalMs > 0) schedule(c);
      return () => {
        if (c.removed) return;
        c.removed = true;
        if (checks.get(name) === c) checks.delete(name);
        lists = null;
        memos.clear();
        clearTimeout(c.timer as ReturnType<typeof setTimeout>);
        c.abort?.abort(new HealthError('ERR_HEALTH_CLOSED', `health: check "${name}" was unregistered`));
        c.def.close?.();
      };
    },
    liveness: (o) => evaluate('liveness', o?.verbose === true),
    readiness: (o) => evaluate('readiness', o?.verbose === true),
    startup: (o) => evaluate('startup', o?.verbose === true),
    probe,
    route,
    fetchHandler(opts = {}) {
      const fallback = opts.fallback ?? (() => new Response(null, { status: 404 }));
      return async (request) => {
        const u = new URL(request.url);
        const p = route(request.method, u.pathname + u.search, (n) => request.headers.get(n) ?? undefined);
        if (p === null) return fallback(request);
        const r = await p;
        return new Response(request.method === 'HEAD' ? null : r.body, { status: r.httpStatus, headers: r.headers });
      };
    },
    drain(reason = '') {
      if (draining) return;
      draining = true;
      drainReason = String(reason);
      if (drainListeners !== null) for (const l of drainListeners) l({ reason: drainReason });
    },
    get draining() {
      return draining;
    },
    get started() {
      return started;
    },
    paths,
    on(event, listener) {
      if (typeof listener !== 'function') throw new TypeError('health: on() listener must be a function');
      if (event === 'change') {
        const l = listener as (e: HealthEvents['change']) => void;
        changeListeners = [...(changeListeners ?? []), l];
        return () => {
          const n = (changeListeners ?? []).filter((x) => x !== l);
          changeListeners = n.length ? n : null;
        };
      }
      if (event === 'drain') {
        const l = listener as (e: HealthEvents['drain']) => void;
        drainListeners = [...(drainListeners ?? []), l];
        return () => {
          const n = (drainListeners ?? []).filter((x) => x !== l);
          drainListeners = n.length ? n : null;
        };
      }
      throw new TypeError(`health: unknown event ${describe(event)}`);
    },
    close() {
      if (closed) return;
      closed = true;
      if (sweepTimer !== undefined) clearTimeout(sweepTimer);
      sweepTimer = undefined;
      sweepAt = Number.POSITIVE_INFINITY;
      // runs still in flight settle as timed out now rather than never
      for (const r of [...running]) {
        running.delete(r);
        r.expire(true);
      }
      for (const c of checks.values()) {
        clearTimeout(c.timer as ReturnType<typeof setTimeout>);
        c.abort?.abort(new HealthError('ERR_HEALTH_CLOSED', 'health: closed'));
        try {
          c.def.close?.();
        } catch {
          // a failing close must not stop the others
        }
      }
    },
  };
  return health;
}
