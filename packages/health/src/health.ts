import { HealthError, invalidArgument, invalidOption } from './errors.js';
import { read, toJson } from './internal/json.js';
import { describe, duration, messageOf, safeString, unref } from './internal/util.js';
import type {
  CheckDefinition,
  CheckResult,
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
  /**
   * Each registered check's last status, by name, in a null-prototype object (a check that has not run yet is absent).
   * Runs nothing: O(checks), for metrics scrapes (`observeHealth()` of @org/metrics).
   */
  statuses(): Record<string, HealthStatus>;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends keyof HealthEvents>(event: E, listener: (e: HealthEvents[E]) => void): () => void;
  /** Stops background intervals, aborts running checks and calls every check's `close`. Probes keep answering on demand. */
  close(): void;
}

const PROBES: readonly ProbeName[] = ['liveness', 'readiness', 'startup'];
const NAME_RE = /^[^\s:]+(?::[^\s:]+)?$/;
const STATUSES: ReadonlySet<unknown> = new Set(['pass', 'warn', 'fail']);
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
// Handed to a `run()` that declares no parameter (it cannot read it); never aborts. Created on first use: Workers
// forbid `new AbortController()` at the top level of a module.
let never: AbortSignal | undefined;
const neverSignal = (): AbortSignal => {
  never ??= new AbortController().signal;
  return never;
};

interface Registered {
  readonly name: string;
  readonly run: CheckDefinition['run'];
  readonly close: (() => void) | undefined;
  readonly wantsSignal: boolean;
  readonly componentId: string | undefined;
  readonly componentType: string | undefined;
  readonly observedUnit: string | undefined;
  readonly probes: ReadonlySet<ProbeName>;
  readonly critical: boolean;
  readonly timeoutMs: number;
  readonly intervalMs: number;
  last: CheckResult | undefined;
  /** `clock()` when `last` was recorded (settled), for cache ages. */
  lastAt: number;
  /** Start sequence of the run that produced `last`: a run that started earlier never replaces it. */
  lastSeq: number;
  seq: number;
  /** The run concurrent probes share (not with `requestScoped`). */
  shared: Run | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  removed: boolean;
}

/** An asynchronous run of a check, bounded by its deadline. */
interface Run {
  readonly check: Registered;
  /** `performance.now()` at which it times out. */
  readonly deadline: number;
  readonly promise: Promise<CheckResult>;
  settled: boolean;
  /** Ends the run now as failed (timeout, close, unregister) and aborts its signal. */
  expire(code: 'ERR_CHECK_TIMEOUT' | 'ERR_HEALTH_CLOSED', output: string): void;
}

interface Memo {
  results: CheckResult[];
  draining: boolean;
  response: ProbeResponse;
}

const isRun = (x: CheckResult | Run): x is Run => (x as Run).promise !== undefined;

const isVerboseQuery = (url: string): boolean => {
  const q = url.indexOf('?');
  if (q < 0) return false;
  const v = new URLSearchParams(url.slice(q + 1)).get('verbose');
  return v !== null && v !== '0' && v !== 'false';
};

const onWorkers = (): boolean =>
  (globalThis as { navigator?: { userAgent?: unknown } }).navigator?.userAgent === 'Cloudflare-Workers';

// A listener's exception must not stop the probe that triggered it; it surfaces asynchronously, as EventTarget does.
const report = (e: unknown): void => {
  queueMicrotask(() => {
    throw e;
  });
};

/**
 * For `requestScoped` (Workers): arms one timer, in the probe's own request, at the earliest deadline of the runs it
 * waits on, and expires the runs due when it fires — a timer set by a request that has since ended never fires there.
 * Returns the function that disarms it.
 */
function guard(runs: readonly Run[]): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const arm = (due: number, now: number): void => {
    timer = unref(setTimeout(() => tick(due), Math.max(1, Math.ceil(due - now))));
  };
  // `due` is the deadline this timer was armed for: runs due by then expire even if the clock has not moved on
  // (Workers advance the clock only on I/O).
  const tick = (due: number): void => {
    timer = undefined;
    let next = Number.POSITIVE_INFINITY;
    for (const r of runs) {
      if (r.settled) continue;
      if (r.deadline <= due + 0.5) r.expire('ERR_CHECK_TIMEOUT', '');
      else if (r.deadline < next) next = r.deadline;
    }
    if (next !== Number.POSITIVE_INFINITY) arm(next, Math.max(performance.now(), due));
  };
  let first = Number.POSITIVE_INFINITY;
  for (const r of runs) if (!r.settled && r.deadline < first) first = r.deadline;
  if (first !== Number.POSITIVE_INFINITY) arm(first, performance.now());
  return () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
}

function normaliseService(where: string, s: ServiceInfo | undefined): ServiceInfo {
  if (s === undefined) return {};
  if (typeof s !== 'object' || s === null)
    throw invalidOption(TypeError, `${where}: service must be an object, got ${describe(s)}`);
  const out: ServiceInfo = {};
  for (const k of ['id', 'version', 'releaseId', 'description'] as const) {
    const v = s[k];
    if (v === undefined) continue;
    if (typeof v !== 'string')
      throw invalidOption(TypeError, `${where}: service.${k} must be a string, got ${describe(v)}`);
    out[k] = v;
  }
  if (s.notes !== undefined) {
    if (!Array.isArray(s.notes) || !s.notes.every((n) => typeof n === 'string'))
      throw invalidOption(TypeError, `${where}: service.notes must be an array of strings, got ${describe(s.notes)}`);
    out.notes = [...s.notes];
  }
  if (s.links !== undefined) {
    if (
      typeof s.links !== 'object' ||
      s.links === null ||
      Array.isArray(s.links) ||
      !Object.values(s.links).every((l) => typeof l === 'string')
    )
      throw invalidOption(TypeError, `${where}: service.links must be an object of strings, got ${describe(s.links)}`);
    out.links = { ...s.links };
  }
  return out;
}

const optionalString = (where: string, field: string, v: unknown): string | undefined => {
  if (v !== undefined && typeof v !== 'string')
    throw invalidOption(TypeError, `${where}: ${field} must be a string, got ${describe(v)}`);
  return v;
};

/**
 * Creates a health instance: register checks with `check()`, answer probes with `liveness()`, `readiness()`,
 * `startup()`, `route()` or `fetchHandler()`. Probes never reject, whatever a check returns or throws.
 * @throws {RangeError|TypeError} on a bad option, naming it.
 * @example
 * ```ts
 * const health = createHealth({ service: { id: 'notes', version: '1' } });
 * health.check({ name: 'db:responseTime', run: (signal) => db.ping({ signal }) });
 * const { httpStatus, headers, body } = await health.readiness();
 * ```
 */
export function createHealth(options: HealthOptions = {}): Health {
  const W = 'health';
  if (typeof options !== 'object' || options === null)
    throw invalidOption(TypeError, `${W}: options must be an object, got ${describe(options)}`);
  const timeoutMs = duration(W, 'timeoutMs', options.timeoutMs ?? HEALTH_DEFAULTS.timeoutMs, 1);
  const cacheMs = duration(W, 'cacheMs', options.cacheMs ?? HEALTH_DEFAULTS.cacheMs);
  const verbosePolicy = options.verbose ?? HEALTH_DEFAULTS.verbose;
  if (typeof verbosePolicy !== 'function' && !['query', 'always', 'never'].includes(verbosePolicy))
    throw invalidOption(
      TypeError,
      `${W}: verbose must be 'query', 'always', 'never' or a function, got ${describe(verbosePolicy)}`,
    );
  const userClock = options.clock ?? HEALTH_DEFAULTS.clock;
  if (typeof userClock !== 'function')
    throw invalidOption(TypeError, `${W}: clock must be a function, got ${describe(userClock)}`);
  // A clock that throws or returns garbage must not break probes: fall back to Date.now for that reading.
  const clock = (): number => {
    try {
      const t = userClock();
      if (typeof t === 'number' && Number.isFinite(t) && Math.abs(t) <= 8.64e15) return t;
    } catch {}
    return Date.now();
  };
  const requestScoped = options.requestScoped ?? onWorkers();
  if (typeof requestScoped !== 'boolean')
    throw invalidOption(TypeError, `${W}: requestScoped must be a boolean, got ${describe(requestScoped)}`);
  const service = normaliseService(W, options.service);
  const paths: ProbePaths = { ...HEALTH_DEFAULTS.paths, ...options.paths };
  for (const [k, p] of Object.entries(paths)) {
    if (typeof p !== 'string' || !p.startsWith('/'))
      throw invalidOption(TypeError, `${W}: paths.${k} must be a string starting with "/", got ${describe(p)}`);
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

  const base = (c: Registered, status: HealthStatus, time: string): CheckResult => {
    const r: CheckResult = { status, time };
    if (c.componentId !== undefined) r.componentId = c.componentId;
    if (c.componentType !== undefined) r.componentType = c.componentType;
    return r;
  };

  const failed = (c: Registered, output: string, time: string): CheckResult => {
    const r = base(c, 'fail', time);
    r.output = output;
    return r;
  };

  const text = (v: unknown): string => (typeof v === 'string' ? (toJson(v) as string) : safeString(v));

  // Copies what `run` returned into a result made of JSON data only: each field read once (a getter may change its
  // answer or throw), anything not JSON-encodable converted (see toJson).
  const copy = (c: Registered, value: unknown, time: string): CheckResult => {
    if (value === false) return failed(c, 'check returned false', time);
    const r = base(c, 'pass', time);
    if (typeof value === 'number' || typeof value === 'bigint') {
      r.observedValue = toJson(value);
    } else if (typeof value === 'object' && value !== null) {
      const status = read(value, 'status');
      if (status !== undefined) {
        if (!STATUSES.has(status)) return failed(c, `check returned an invalid status ${describe(status)}`, time);
        r.status = status as HealthStatus;
      }
      const componentId = read(value, 'componentId');
      if (componentId !== undefined) r.componentId = text(componentId);
      const componentType = read(value, 'componentType');
      if (componentType !== undefined) r.componentType = text(componentType);
      const observedValue = toJson(read(value, 'observedValue'));
      if (observedValue !== undefined) r.observedValue = observedValue;
      const observedUnit = read(value, 'observedUnit');
      if (observedUnit !== undefined) r.observedUnit = text(observedUnit);
      const endpoints = toJson(read(value, 'affectedEndpoints'));
      if (endpoints !== undefined)
        r.affectedEndpoints = Array.isArray(endpoints) ? endpoints.map(text) : [text(endpoints)];
      const output = read(value, 'output');
      if (output !== undefined) r.output = text(output);
      const links = toJson(read(value, 'links'));
      if (typeof links === 'object' && links !== null && !Array.isArray(links)) {
        const l: Record<string, string> = {};
        for (const [k, v] of Object.entries(links)) Object.defineProperty(l, k, { value: text(v), enumerable: true });
        r.links = l;
      }
    }
    if (r.observedValue !== undefined && r.observedUnit === undefined && c.observedUnit !== undefined)
      r.observedUnit = c.observedUnit;
    return r;
  };

  // copy() handles anything a check returns; this catch is only the last line of defence for a probe.
  const normalise = (c: Registered, value: unknown, time: string): CheckResult => {
    try {
      return copy(c, value, time);
    } catch (e) {
      return failed(c, `check returned an unreadable result: ${messageOf(e)}`, time);
    }
  };

  const settle = (c: Registered, r: CheckResult, seq: number): CheckResult => {
    if (!c.critical && r.status === 'fail') r.status = 'warn';
    // A run that started before the one behind `last` (several in flight with requestScoped) does not replace it.
    if (seq < c.lastSeq) return r;
    const from = c.last?.status;
    c.last = r;
    c.lastSeq = seq;
    // The cache age counts from now: a run that took its whole timeout is still fresh for cacheMs.
    c.lastAt = clock();
    if (changeListeners !== null && from !== r.status) {
      const e = { name: c.name, from, to: r.status, output: r.output };
      for (const l of changeListeners) {
        try {
          l(e);
        } catch (err) {
          report(err);
        }
      }
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

  // Every run in flight. Timeouts of shared runs (not requestScoped): one unref'd timer for all of them, armed at the
  // earliest deadline (cheaper than a timer per run or per probe when probes come in bursts; a finished run just
  // leaves the set).
  const running = new Set<Run>();
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
      if (r.deadline <= now + 0.5) r.expire('ERR_CHECK_TIMEOUT', '');
      else if (r.deadline < next) next = r.deadline;
    }
    if (next !== Number.POSITIVE_INFINITY) arm(next, now);
  };
  const track = (r: Run): void => {
    running.add(r);
    if (!requestScoped && r.deadline < sweepAt) arm(r.deadline, performance.now());
  };

  // One run of a check, bounded by its timeout whatever `run` does. A synchronous check settles synchronously (no
  // promise, no timer); an asynchronous one becomes a Run with a deadline and, when `run` declares a parameter, its
  // own AbortSignal. Nothing `run` returns or throws escapes: it all becomes a result.
  const start = (c: Registered): CheckResult | Run => {
    const seq = ++c.seq;
    const time = isoOf(clock());
    const ac = c.wantsSignal ? new AbortController() : undefined;
    let v: unknown;
    let then: unknown;
    try {
      v = c.run(ac ? ac.signal : neverSignal());
      then = typeof v === 'object' || typeof v === 'function' ? (v as { then?: unknown } | null)?.then : undefined;
    } catch (e) {
      return settle(c, failed(c, messageOf(e), time), seq);
    }
    if (typeof then !== 'function') return settle(c, normalise(c, v, time), seq);
    let resolve!: (r: CheckResult) => void;
    const run: Run = {
      check: c,
      deadline: performance.now() + c.timeoutMs,
      promise: new Promise<CheckResult>((r) => {
        resolve = r;
      }),
      settled: false,
      expire(code, output) {
        if (run.settled) return;
        const msg = output || `timed out after ${c.timeoutMs} ms`;
        finish(failed(c, msg, time));
        ac?.abort(new HealthError(code, `health: check "${c.name}" ${msg}`));
      },
    };
    const finish = (r: CheckResult): void => {
      if (run.settled) return;
      run.settled = true;
      running.delete(run);
      if (c.shared === run) c.shared = undefined;
      resolve(settle(c, r, seq));
    };
    if (!requestScoped) c.shared = run;
    track(run);
    // The value's own `then`, read once above; only its first callback counts (finish() ignores the rest), and a
    // `then` that throws fails the run.
    try {
      (then as (ok: (x: unknown) => void, no: (e: unknown) => void) => unknown).call(
        v,
        (x) => finish(normalise(c, x, time)),
        (e) => finish(failed(c, messageOf(e), time)),
      );
    } catch (e) {
      finish(failed(c, messageOf(e), time));
    }
    return run;
  };

  const background = (c: Registered): boolean => c.intervalMs > 0 && !requestScoped;

  const schedule = (c: Registered): void => {
    if (closed || c.removed) return;
    const t0 = clock();
    const next = (): void => {
      if (closed || c.removed) return;
      const wait = Math.max(0, c.intervalMs - (clock() - t0));
      c.timer = unref(setTimeout(() => schedule(c), wait));
    };
    const r = c.shared ?? start(c);
    if (isRun(r)) r.promise.then(next);
    else next();
  };

  // The current result of a check, or the run that will produce it: cached, shared in-flight, or a new run.
  const resultOf = (c: Registered): CheckResult | Run => {
    if (background(c) && !closed) return c.last ?? c.shared ?? start(c);
    const maxAge = requestScoped ? Math.max(cacheMs, c.intervalMs) : cacheMs;
    if (maxAge > 0 && c.last !== undefined && clock() - c.lastAt < maxAge) return c.last;
    return c.shared ?? start(c);
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
    let pending: Run[] | undefined;
    for (let i = 0; i < list.length; i++) {
      const r = resultOf(list[i] as Registered);
      if (isRun(r)) {
        (pending ??= []).push(r);
        out[i] = r.promise;
      } else out[i] = r;
    }
    const finish = (results: CheckResult[]): ProbeResponse => {
      const res = respond(target, results, list, verbose, drainApplies);
      if (!started && (target === 'readiness' || target === 'startup') && res.status !== 'fail') started = true;
      return res;
    };
    if (pending === undefined) return Promise.resolve(finish(out as CheckResult[]));
    if (!requestScoped) return Promise.all(out).then(finish);
    // Workers: this probe arms its own timeout for the runs it waits on.
    const stop = guard(pending);
    return Promise.all(out).then((results) => {
      stop();
      return finish(results);
    });
  };

  const probe = (target: ProbeTarget, opts?: ProbeOptions): Promise<ProbeResponse> => {
    if (target !== 'health' && !PROBES.includes(target))
      return Promise.reject(
        invalidArgument(
          TypeError,
          `health: probe must be liveness, readiness, startup or health, got ${describe(target)}`,
        ),
      );
    return evaluate(target, opts?.verbose === true);
  };

  // A predicate that throws counts as "not verbose": the minimal answer is the safe one for an unknown caller.
  const wantsVerbose = (req: ProbeRequest): boolean => {
    if (verbosePolicy === 'query') return isVerboseQuery(req.url);
    if (verbosePolicy === 'always') return true;
    if (verbosePolicy === 'never') return false;
    try {
      return verbosePolicy(req) === true;
    } catch {
      return false;
    }
  };

  const noHeader = (): undefined => undefined;

  const route = (
    method: string,
    url: string,
    header: (name: string) => string | undefined = noHeader,
  ): Promise<ProbeResponse> | null => {
    if ((method !== 'GET' && method !== 'HEAD') || typeof url !== 'string') return null;
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
        throw invalidOption(TypeError, `health: check definition must be an object, got ${describe(definition)}`);
      // Every field is read once, here.
      const { name, run, close, probes: probesOption, critical: criticalOption } = definition;
      if (typeof name !== 'string' || !NAME_RE.test(name))
        throw invalidOption(
          TypeError,
          `health: check name must look like "component:measurement" (no whitespace), got ${describe(name)}`,
        );
      const where = `health: check "${name}"`;
      if (typeof run !== 'function')
        throw invalidOption(TypeError, `${where}: run must be a function, got ${describe(run)}`);
      const probes = probesOption ?? ['readiness'];
      if (!Array.isArray(probes) || probes.length === 0 || !probes.every((p) => PROBES.includes(p)))
        throw invalidOption(
          TypeError,
          `${where}: probes must be a non-empty array of 'liveness', 'readiness', 'startup', got ${describe(probes)}`,
        );
      const critical = criticalOption ?? true;
      if (typeof critical !== 'boolean')
        throw invalidOption(TypeError, `${where}: critical must be a boolean, got ${describe(critical)}`);
      const cTimeout = duration(where, 'timeoutMs', definition.timeoutMs ?? timeoutMs, 1);
      const intervalMs = duration(where, 'intervalMs', definition.intervalMs ?? 0);
      if (close !== undefined && typeof close !== 'function')
        throw invalidOption(TypeError, `${where}: close must be a function, got ${describe(close)}`);
      const componentId = optionalString(where, 'componentId', definition.componentId);
      const componentType = optionalString(where, 'componentType', definition.componentType);
      const observedUnit = optionalString(where, 'observedUnit', definition.observedUnit);
      if (checks.has(name))
        throw new HealthError('ERR_DUPLICATE_CHECK', `health: a check named "${name}" is already registered`);
      const c: Registered = {
        name,
        run,
        close: close === undefined ? undefined : () => close.call(definition),
        wantsSignal: run.length > 0,
        componentId,
        componentType,
        observedUnit,
        probes: new Set(probes),
        critical,
        timeoutMs: cTimeout,
        intervalMs,
        last: undefined,
        lastAt: 0,
        lastSeq: 0,
        seq: 0,
        shared: undefined,
        timer: undefined,
        removed: false,
      };
      checks.set(name, c);
      lists = null;
      memos.clear();
      if (background(c)) schedule(c);
      return () => {
        if (c.removed) return;
        c.removed = true;
        if (checks.get(name) === c) checks.delete(name);
        lists = null;
        memos.clear();
        clearTimeout(c.timer);
        for (const r of [...running]) if (r.check === c) r.expire('ERR_HEALTH_CLOSED', 'check unregistered');
        c.close?.();
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
      drainReason = safeString(reason);
      if (drainListeners !== null)
        for (const l of drainListeners) {
          try {
            l({ reason: drainReason });
          } catch (err) {
            report(err);
          }
        }
    },
    get draining() {
      return draining;
    },
    get started() {
      return started;
    },
    paths,
    statuses() {
      const out = Object.create(null) as Record<string, HealthStatus>; // a check may be named __proto__
      for (const [name, c] of checks) if (c.last !== undefined) out[name] = c.last.status;
      return out;
    },
    on(event, listener) {
      if (typeof listener !== 'function') throw invalidArgument(TypeError, 'health: on() listener must be a function');
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
      throw invalidArgument(TypeError, `health: unknown event ${describe(event)}`);
    },
    close() {
      if (closed) return;
      closed = true;
      if (sweepTimer !== undefined) clearTimeout(sweepTimer);
      sweepTimer = undefined;
      sweepAt = Number.POSITIVE_INFINITY;
      // runs still in flight settle now rather than never
      for (const r of [...running]) r.expire('ERR_HEALTH_CLOSED', 'health instance closed');
      for (const c of checks.values()) {
        clearTimeout(c.timer);
        try {
          c.close?.();
        } catch {
          // a failing close must not stop the others
        }
      }
    },
  };
  return health;
}
