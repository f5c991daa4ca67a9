import { invalidOption } from './errors.js';
import { describe, duration } from './internal/util.js';
import type { CheckDefinition, CheckOutcome, ProbeName } from './types.js';

/** Options for {@link pingCheck}. */
export interface PingCheckOptions {
  /** Check name, e.g. `redis:responseTime`. */
  name: string;
  /** Pings the dependency, e.g. `() => redis.ping()` or `(signal) => pool.query({ text: 'select 1', signal })`. */
  ping: (signal: AbortSignal) => unknown;
  /** Accepts the ping's reply; a `false` fails the check (e.g. `(r) => r === 'PONG'`). Default: any reply passes. */
  expect?: (reply: unknown) => boolean;
  /** A ping slower than this (ms) reports `warn`. Default: never. */
  warnAboveMs?: number;
  /** Default `['readiness']`. */
  probes?: readonly ProbeName[];
  /** Default `true`. */
  critical?: boolean;
  /** Default: the health's `timeoutMs`. */
  timeoutMs?: number;
  /** Background interval (ms); default 0 (on demand). */
  intervalMs?: number;
  /** `componentId` of the results. */
  componentId?: string;
  /** `componentType` of the results. Default `datastore`. */
  componentType?: string;
  /** Monotonic clock in ms for the response time. Default `performance.now`. */
  clock?: () => number;
}

/**
 * Wraps any `ping()` (Redis, PostgreSQL, a queue, a gRPC health call) into a check that reports the round trip in ms
 * as `observedValue`. A rejection or a reply refused by `expect` fails the check.
 * @throws {TypeError|RangeError} on a bad option, naming it.
 */
export function pingCheck(options: PingCheckOptions): CheckDefinition {
  const W = 'pingCheck';
  if (typeof options !== 'object' || options === null)
    throw invalidOption(TypeError, `${W}: options must be an object, got ${describe(options)}`);
  const { ping, expect } = options;
  if (typeof ping !== 'function')
    throw invalidOption(TypeError, `${W}: ping must be a function, got ${describe(ping)}`);
  if (expect !== undefined && typeof expect !== 'function')
    throw invalidOption(TypeError, `${W}: expect must be a function, got ${describe(expect)}`);
  const warnAboveMs =
    options.warnAboveMs === undefined ? Number.POSITIVE_INFINITY : duration(W, 'warnAboveMs', options.warnAboveMs);
  const clock = options.clock ?? (() => performance.now());
  const def: CheckDefinition = {
    name: options.name,
    componentType: options.componentType ?? 'datastore',
    observedUnit: 'ms',
    async run(signal): Promise<CheckOutcome> {
      const t0 = clock();
      const reply = await ping(signal);
      const ms = Math.round((clock() - t0) * 100) / 100;
      if (expect !== undefined && !expect(reply))
        return { status: 'fail', observedValue: ms, output: `unexpected reply ${describe(reply)}`.slice(0, 200) };
      if (ms > warnAboveMs) return { status: 'warn', observedValue: ms, output: `slower than ${warnAboveMs} ms` };
      return { observedValue: ms };
    },
  };
  if (options.probes !== undefined) def.probes = options.probes;
  if (options.critical !== undefined) def.critical = options.critical;
  if (options.timeoutMs !== undefined) def.timeoutMs = options.timeoutMs;
  if (options.intervalMs !== undefined) def.intervalMs = options.intervalMs;
  if (options.componentId !== undefined) def.componentId = options.componentId;
  return def;
}
