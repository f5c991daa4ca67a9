import type { StatsFs } from 'node:fs';
import { statfs } from 'node:fs/promises';
import { availableParallelism, cpus } from 'node:os';
import { invalidOption } from './errors.js';
import { cgroupCpuQuota } from './internal/cgroup.js';
import { describe, duration } from './internal/util.js';
import type { BuiltinCheckOptions } from './node-checks.js';
import type { CheckDefinition, CheckOutcome, ProbeName } from './types.js';

const round2 = (n: number): number => Math.round(n * 100) / 100;

function common(where: string, o: BuiltinCheckOptions, name: string, probes: readonly ProbeName[]) {
  if (typeof o !== 'object' || o === null)
    throw invalidOption(TypeError, `${where}: options must be an object, got ${describe(o)}`);
  const def: Omit<CheckDefinition, 'run'> = {
    name: o.name ?? name,
    probes: o.probes ?? probes,
    componentType: 'system',
  };
  if (o.critical !== undefined) def.critical = o.critical;
  if (o.timeoutMs !== undefined) def.timeoutMs = duration(where, 'timeoutMs', o.timeoutMs, 1);
  if (o.intervalMs !== undefined) def.intervalMs = duration(where, 'intervalMs', o.intervalMs);
  if (o.componentId !== undefined) def.componentId = o.componentId;
  return def;
}

const percent = (where: string, name: string, v: number | undefined): number | undefined => {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !(v >= 0 && v <= 100))
    throw invalidOption(RangeError, `${where}: ${name} must be a number in 0..100, got ${describe(v)}`);
  return v;
};

const bytes = (n: number): string => {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
};

/** Options for {@link diskSpaceCheck}. */
export interface DiskSpaceCheckOptions extends BuiltinCheckOptions {
  /** Any path on the file system to watch (its mount point or a file in it). Default `/`. */
  path?: string;
  /** Warn when less than this share (0..100) of the file system is free. Default 10. */
  warnBelowPercent?: number;
  /** Fail when less than this share (0..100) is free. Default 5. */
  failBelowPercent?: number;
  /** Warn when fewer bytes are free. Default: no byte threshold. */
  warnBelowBytes?: number;
  /** Fail when fewer bytes are free. Default: no byte threshold. */
  failBelowBytes?: number;
}

/**
 * Free space of the file system holding `path`, in bytes available to unprivileged processes (as `df` reports
 * "Avail"; the share is `df`'s too: available / (used + available)). Fails below `failBelowPercent` or
 * `failBelowBytes`, warns below the `warn…` ones. Default name `disk:free`, probes `['readiness']` (a full disk takes
 * the pod out of traffic; a restart would not free it). One `statfs` at a time: a hung mount holds one libuv thread,
 * not one per probe.
 * @throws {TypeError|RangeError} on a bad option, naming it.
 * @example
 * ```ts
 * health.check(diskSpaceCheck({ path: '/var/lib/app', failBelowBytes: 1024 ** 3 }));
 * ```
 */
export function diskSpaceCheck(options: DiskSpaceCheckOptions = {}): CheckDefinition {
  const W = 'diskSpaceCheck';
  const def = common(W, options, 'disk:free', ['readiness']);
  const path = options.path ?? '/';
  if (typeof path !== 'string' || path === '')
    throw invalidOption(TypeError, `${W}: path must be a non-empty string, got ${describe(path)}`);
  const warnPct = percent(W, 'warnBelowPercent', options.warnBelowPercent ?? 10) as number;
  const failPct = percent(W, 'failBelowPercent', options.failBelowPercent ?? 5) as number;
  if (failPct > warnPct)
    throw invalidOption(
      RangeError,
      `${W}: failBelowPercent (${failPct}) must not exceed warnBelowPercent (${warnPct})`,
    );
  const warnBytes = options.warnBelowBytes === undefined ? 0 : duration(W, 'warnBelowBytes', options.warnBelowBytes);
  const failBytes = options.failBelowBytes === undefined ? 0 : duration(W, 'failBelowBytes', options.failBelowBytes);
  if (options.warnBelowBytes !== undefined && failBytes > warnBytes)
    throw invalidOption(
      RangeError,
      `${W}: failBelowBytes (${failBytes}) must not exceed warnBelowBytes (${warnBytes})`,
    );
  let pending: Promise<StatsFs> | undefined;
  return {
    ...def,
    observedUnit: 'bytes',
    async run(signal): Promise<CheckOutcome> {
      pending ??= statfs(path, { bigint: false }).finally(() => {
        pending = undefined;
      });
      const s = await new Promise<StatsFs>((resolve, reject) => {
        const onAbort = (): void => reject(signal.reason);
        signal.addEventListener('abort', onAbort, { once: true });
        (pending as Promise<StatsFs>).then(
          (v) => {
            signal.removeEventListener('abort', onAbort);
            resolve(v);
          },
          (e: unknown) => {
            signal.removeEventListener('abort', onAbort);
            reject(e);
          },
        );
      });
      const free = s.bavail * s.bsize;
      const used = (s.blocks - s.bfree) * s.bsize;
      const share = used + free > 0 ? round2((free / (used + free)) * 100) : 0;
      const output = `${bytes(free)} free (${share}%)`;
      if (share < failPct || free < failBytes) return { status: 'fail', observedValue: free, output };
      if (share < warnPct || free < warnBytes) return { status: 'warn', observedValue: free, output };
      return { observedValue: free, output };
    },
  };
}

/** Options for {@link cpuCheck}. */
export interface CpuCheckOptions extends BuiltinCheckOptions {
  /**
   * `process` (default): this process's CPU time (user + system) as a share of the CPUs it may use. `system`: how
   * busy all CPUs of the machine are (from `os.cpus()`; in a container, the host's CPUs).
   */
  measure?: 'process' | 'system';
  /**
   * CPUs the process may use, for `process`. Default: the container's CPU limit (cgroup v2 `cpu.max`, v1 CFS quota)
   * when there is one, else `os.availableParallelism()`.
   */
  cores?: number;
  /** A reading covers at least this long (ms); runs closer together repeat the last reading. Default 1000. */
  windowMs?: number;
  /** Warn above this utilisation (percent). Default 90. */
  warnAbovePercent?: number;
  /** Fail above this utilisation (percent). Default: never (a busy process is not an unready one). */
  failAbovePercent?: number;
}

interface Sample {
  at: number;
  busy: number;
  total: number;
}

/**
 * CPU utilisation in percent since the previous reading (the first one: since the check was created). Default name
 * `cpu:utilization`, probes `['readiness']`; warns above 90 % and never fails unless `failAbovePercent` is set —
 * failing readiness on load moves the load to the other pods (`eventLoopDelayCheck` is the better overload signal).
 * @throws {TypeError|RangeError} on a bad option, naming it.
 * @example
 * ```ts
 * health.check(cpuCheck({ warnAbovePercent: 80 }));
 * ```
 */
export function cpuCheck(options: CpuCheckOptions = {}): CheckDefinition {
  const W = 'cpuCheck';
  const def = common(W, options, 'cpu:utilization', ['readiness']);
  const measure = options.measure ?? 'process';
  if (measure !== 'process' && measure !== 'system')
    throw invalidOption(TypeError, `${W}: measure must be 'process' or 'system', got ${describe(measure)}`);
  if (
    options.cores !== undefined &&
    (typeof options.cores !== 'number' || !(options.cores > 0) || !Number.isFinite(options.cores))
  )
    throw invalidOption(RangeError, `${W}: cores must be a finite number > 0, got ${describe(options.cores)}`);
  const windowMs = duration(W, 'windowMs', options.windowMs ?? 1000);
  const warn = percent(W, 'warnAbovePercent', options.warnAbovePercent ?? 90) as number;
  const fail =
    options.failAbovePercent === undefined
      ? Number.POSITIVE_INFINITY
      : duration(W, 'failAbovePercent', options.failAbovePercent);
  if (warn > fail)
    throw invalidOption(RangeError, `${W}: warnAbovePercent (${warn}) must not exceed failAbovePercent (${fail})`);
  const cores = measure === 'process' ? (options.cores ?? cgroupCpuQuota() ?? availableParallelism()) : cpus().length;
  const sample = (): Sample => {
    const at = performance.now();
    if (measure === 'process') {
      const u = process.cpuUsage();
      // µs of CPU time against ms of wall time on `cores` CPUs
      return { at, busy: (u.user + u.system) / 1000, total: 0 };
    }
    let busy = 0;
    let total = 0;
    for (const c of cpus()) {
      const t = c.times;
      const all = t.user + t.nice + t.sys + t.idle + t.irq;
      busy += all - t.idle;
      total += all;
    }
    return { at, busy, total };
  };
  let last = sample();
  let reading: number | undefined;
  const label =
    measure === 'process' ? `of ${round2(cores)} CPU${cores === 1 ? '' : 's'}` : `of ${cores} CPUs, system-wide`;
  return {
    ...def,
    observedUnit: 'percent',
    run(): CheckOutcome {
      const now = sample();
      if (reading === undefined || now.at - last.at >= windowMs) {
        const wall = now.at - last.at;
        let pct: number;
        if (measure === 'process') pct = wall > 0 ? ((now.busy - last.busy) / (wall * cores)) * 100 : 0;
        else pct = now.total > last.total ? ((now.busy - last.busy) / (now.total - last.total)) * 100 : 0;
        reading = round2(Math.max(0, pct));
        last = now;
      }
      const output = `${reading}% ${label}`;
      if (reading > fail) return { status: 'fail', observedValue: reading, output };
      if (reading > warn) return { status: 'warn', observedValue: reading, output };
      return { observedValue: reading, output };
    },
  };
}
