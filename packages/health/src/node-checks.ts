import { connect } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { getHeapStatistics } from 'node:v8';
import { invalidOption } from './errors.js';
import { describe, duration } from './internal/util.js';
import type { CheckDefinition, CheckOutcome, ProbeName } from './types.js';

/** Options every built-in check shares. */
export interface BuiltinCheckOptions {
  /** Check name; each check has a sensible default. */
  name?: string;
  /** Probes the check belongs to; each check documents its default. */
  probes?: readonly ProbeName[];
  /** Default `true`. */
  critical?: boolean;
  /** Default: the health's `timeoutMs`. */
  timeoutMs?: number;
  /** Background interval (ms); default 0 (on demand). */
  intervalMs?: number;
  /** `componentId` of the results. */
  componentId?: string;
}

const round2 = (n: number): number => Math.round(n * 100) / 100;

function base(where: string, o: BuiltinCheckOptions, name: string, probes: readonly ProbeName[], type: string) {
  const def: Omit<CheckDefinition, 'run'> = { name: o.name ?? name, probes: o.probes ?? probes, componentType: type };
  if (o.critical !== undefined) def.critical = o.critical;
  if (o.timeoutMs !== undefined) def.timeoutMs = duration(where, 'timeoutMs', o.timeoutMs, 1);
  if (o.intervalMs !== undefined) def.intervalMs = duration(where, 'intervalMs', o.intervalMs);
  if (o.componentId !== undefined) def.componentId = o.componentId;
  return def;
}

function thresholds(where: string, warn: number | undefined, fail: number | undefined, unit: string) {
  const w = warn === undefined ? Number.POSITIVE_INFINITY : duration(where, `warnAbove${unit}`, warn);
  const f = fail === undefined ? Number.POSITIVE_INFINITY : duration(where, `failAbove${unit}`, fail);
  if (w > f && Number.isFinite(w))
    throw invalidOption(RangeError, `${where}: warnAbove${unit} (${w}) must not exceed failAbove${unit} (${f})`);
  return { w, f };
}

function grade(value: number, w: number, f: number, unit: string): CheckOutcome {
  if (value > f) return { status: 'fail', observedValue: value, output: `${value} ${unit} is above ${f} ${unit}` };
  if (value > w) return { status: 'warn', observedValue: value, output: `${value} ${unit} is above ${w} ${unit}` };
  return { observedValue: value };
}

/** Options for {@link eventLoopDelayCheck}. */
export interface EventLoopDelayCheckOptions extends BuiltinCheckOptions {
  /** Percentile of the delay histogram reported (1..100). Default 99. */
  percentile?: number;
  /** Sampling resolution of the histogram in ms. Default 20. */
  resolutionMs?: number;
  /** Warn above this delay (ms). Default 200. */
  warnAboveMs?: number;
  /** Fail above this delay (ms). Default 1000. */
  failAboveMs?: number;
}

/**
 * Event-loop delay (ms, the chosen percentile since the previous run) from `perf_hooks.monitorEventLoopDelay`.
 * Default name `eventloop:delay`, probes `['readiness']` (an overloaded process stops taking traffic; it is not
 * restarted). The histogram starts on the first run and stops on `close`.
 */
export function eventLoopDelayCheck(options: EventLoopDelayCheckOptions = {}): CheckDefinition {
  const W = 'eventLoopDelayCheck';
  const percentile = options.percentile ?? 99;
  if (typeof percentile !== 'number' || !(percentile > 0 && percentile <= 100))
    throw invalidOption(RangeError, `${W}: percentile must be a number in (0, 100], got ${describe(percentile)}`);
  const resolution = Math.round(duration(W, 'resolutionMs', options.resolutionMs ?? 20, 1));
  const { w, f } = thresholds(W, options.warnAboveMs ?? 200, options.failAboveMs ?? 1000, 'Ms');
  let h: ReturnType<typeof monitorEventLoopDelay> | undefined;
  return {
    ...base(W, options, 'eventloop:delay', ['readiness'], 'system'),
    observedUnit: 'ms',
    run() {
      if (h === undefined) {
        h = monitorEventLoopDelay({ resolution });
        h.enable();
        return { observedValue: 0, output: 'sampling started' };
      }
      // The histogram includes the resolution itself; subtract it to report the extra delay.
      const raw = h.count > 0 ? h.percentile(percentile) / 1e6 : 0;
      h.reset();
      return grade(round2(Math.max(0, raw - resolution)), w, f, 'ms');
    },
    close() {
      h?.disable();
      h = undefined;
    },
  };
}

/** Options for {@link memoryCheck}. */
export interface MemoryCheckOptions extends BuiltinCheckOptions {
  /** `heapUsed` (V8 heap) or `rss` (resident set). Default `heapUsed`. */
  measure?: 'heapUsed' | 'rss';
  /** Warn above this many bytes. Default for `heapUsed`: 85% of V8's heap size limit; for `rss`: never. */
  warnAboveBytes?: number;
  /** Fail above this many bytes. Default for `heapUsed`: 95% of V8's heap size limit; for `rss`: never. */
  failAboveBytes?: number;
}

/**
 * Memory use in bytes. Default name `memory:heapUsed` / `memory:rss`, probes `['liveness']` (a process about to run
 * out of heap is restarted).
 */
export function memoryCheck(options: MemoryCheckOptions = {}): CheckDefinition {
  const W = 'memoryCheck';
  const measure = options.measure ?? 'heapUsed';
  if (measure !== 'heapUsed' && measure !== 'rss')
    throw invalidOption(TypeError, `${W}: measure must be 'heapUsed' or 'rss', got ${describe(measure)}`);
  const limit = measure === 'heapUsed' ? getHeapStatistics().heap_size_limit : undefined;
  const { w, f } = thresholds(
    W,
    options.warnAboveBytes ?? (limit ? Math.floor(limit * 0.85) : undefined),
    options.failAboveBytes ?? (limit ? Math.floor(limit * 0.95) : undefined),
    'Bytes',
  );
  return {
    ...base(W, options, `memory:${measure}`, ['liveness'], 'system'),
    observedUnit: 'bytes',
    run() {
      const v = measure === 'rss' ? process.memoryUsage.rss() : process.memoryUsage().heapUsed;
      return grade(v, w, f, 'bytes');
    },
  };
}

/** Options for {@link httpCheck}. */
export interface HttpCheckOptions extends BuiltinCheckOptions {
  /** URL of the dependency's health or any cheap endpoint. */
  url: string | URL;
  /** Default `GET`. */
  method?: 'GET' | 'HEAD' | 'POST';
  /** Request headers. */
  headers?: Record<string, string>;
  /** Accepted statuses: a list or a predicate. Default: 200..399. */
  expectStatus?: readonly number[] | ((status: number) => boolean);
  /** Warn when the response takes longer (ms). Default: never. */
  warnAboveMs?: number;
  /**
   * An undici `Dispatcher` (Agent, Pool) handed to Node's fetch, which is undici. Default: fetch's global one. Only on
   * Node: other runtimes' fetch cannot use it, and httpCheck throws rather than ignore it there.
   */
  dispatcher?: object;
}

/**
 * An HTTP dependency, requested with the runtime's `fetch` (no HTTP client to install; Node, Bun and Deno alike) and
 * aborted at the check's timeout; the body is discarded. Reports the response time (ms).
 * Default name `<host>:responseTime`, probes `['readiness']`.
 */
export function httpCheck(options: HttpCheckOptions): CheckDefinition {
  const W = 'httpCheck';
  if (typeof options !== 'object' || options === null)
    throw invalidOption(TypeError, `${W}: options must be an object, got ${describe(options)}`);
  let url: URL;
  try {
    url = new URL(String(options.url));
  } catch {
    throw invalidOption(TypeError, `${W}: url must be an absolute http(s) URL, got ${describe(options.url)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw invalidOption(TypeError, `${W}: url must be an absolute http(s) URL, got ${describe(String(options.url))}`);
  const method = options.method ?? 'GET';
  const exp = options.expectStatus ?? ((s: number) => s >= 200 && s < 400);
  if (typeof exp !== 'function' && !Array.isArray(exp))
    throw invalidOption(
      TypeError,
      `${W}: expectStatus must be an array of numbers or a function, got ${describe(exp)}`,
    );
  const accepts = typeof exp === 'function' ? exp : (s: number) => exp.includes(s);
  const { w } = thresholds(W, options.warnAboveMs, undefined, 'Ms');
  const href = url.href;
  const versions = process.versions as Record<string, string | undefined>;
  if (options.dispatcher !== undefined && (versions.bun || versions.deno))
    throw invalidOption(
      TypeError,
      `${W}: dispatcher is an undici option of Node's fetch; this runtime's fetch cannot use it`,
    );
  const init: Record<string, unknown> = { method, redirect: 'manual' };
  if (options.headers) init.headers = options.headers;
  if (options.dispatcher) init.dispatcher = options.dispatcher;
  return {
    ...base(W, options, `${url.hostname}:responseTime`, ['readiness'], 'component'),
    observedUnit: 'ms',
    async run(signal) {
      const t0 = performance.now();
      const res = await fetch(href, { ...init, signal } as RequestInit);
      // Discarding the body frees the connection; a body that errors while discarded does not change the verdict.
      await res.body?.cancel().catch(() => undefined);
      const ms = round2(performance.now() - t0);
      if (!accepts(res.status)) return { status: 'fail', observedValue: ms, output: `unexpected status ${res.status}` };
      if (ms > w) return { status: 'warn', observedValue: ms, output: `slower than ${w} ms` };
      return { observedValue: ms };
    },
  };
}

/** Options for {@link tcpCheck}. */
export interface TcpCheckOptions extends BuiltinCheckOptions {
  /** Host name or address. Default `127.0.0.1`. */
  host?: string;
  /** TCP port. */
  port: number;
  /** Warn when connecting takes longer (ms). Default: never. */
  warnAboveMs?: number;
}

/**
 * A TCP connect (then an immediate close) to a dependency; reports the connect time (ms).
 * Default name `<host>-<port>:connectTime`, probes `['readiness']`.
 */
export function tcpCheck(options: TcpCheckOptions): CheckDefinition {
  const W = 'tcpCheck';
  if (typeof options !== 'object' || options === null)
    throw invalidOption(TypeError, `${W}: options must be an object, got ${describe(options)}`);
  const host = options.host ?? '127.0.0.1';
  if (typeof host !== 'string' || host === '') throw invalidOption(TypeError, `${W}: host must be a non-empty string`);
  const port = options.port;
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw invalidOption(RangeError, `${W}: port must be an integer in 1..65535, got ${describe(port)}`);
  const { w } = thresholds(W, options.warnAboveMs, undefined, 'Ms');
  return {
    ...base(W, options, `${host}-${port}:connectTime`, ['readiness'], 'component'),
    observedUnit: 'ms',
    run(signal) {
      return new Promise<CheckOutcome>((resolve, reject) => {
        const t0 = performance.now();
        const socket = connect({ host, port });
        const onAbort = (): void => {
          socket.destroy();
          reject(signal.reason);
        };
        signal.addEventListener('abort', onAbort, { once: true });
        socket.once('connect', () => {
          const ms = round2(performance.now() - t0);
          signal.removeEventListener('abort', onAbort);
          socket.destroy();
          resolve(
            ms > w ? { status: 'warn', observedValue: ms, output: `slower than ${w} ms` } : { observedValue: ms },
          );
        });
        socket.once('error', (e) => {
          signal.removeEventListener('abort', onAbort);
          socket.destroy();
          reject(e);
        });
      });
    },
  };
}
