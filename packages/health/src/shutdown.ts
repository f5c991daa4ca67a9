import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import { describe, duration, messageOf } from './internal/util.js';

/** A cleanup step run after the server has drained (close a pool, flush logs). */
export interface ShutdownHook {
  /** Name shown in the report. */
  name: string;
  /** The cleanup. `signal` aborts when the hook's timeout elapses. */
  run(signal: AbortSignal): unknown;
  /** Timeout of this hook (ms). Default: the `hookTimeoutMs` option. */
  timeoutMs?: number;
}

/** Phases of a shutdown, in order. */
export type ShutdownPhase = 'draining' | 'closing' | 'hooks' | 'exiting';

/** What happened during a shutdown. */
export interface ShutdownReport {
  /** The signal name, or the reason passed to `shutdown()`. */
  reason: string;
  /** Milliseconds from the start of the shutdown to the exit call. */
  durationMs: number;
  /** True when every in-flight request finished within `drainTimeoutMs`. */
  drained: boolean;
  /** Requests still running when `drainTimeoutMs` elapsed (their sockets were destroyed). */
  abortedRequests: number;
  /** Each hook, in the order run (reverse of registration). */
  hooks: Array<{ name: string; ok: boolean; ms: number; error?: string }>;
  /** Code passed to `exit`: 0 when drained and every hook succeeded, else 1. */
  exitCode: number;
}

/** Something with a `drain()` — a {@link Health} instance. */
export interface Drainable {
  drain(reason?: string): void;
}

/** Options for {@link gracefulShutdown}. */
export interface GracefulShutdownOptions {
  /** Health instance to mark draining first, so readiness answers 503 while the load balancer catches up. */
  health?: Drainable;
  /** Signals that start the shutdown; a second one exits at once. Default `['SIGTERM', 'SIGINT']`. */
  signals?: readonly NodeJS.Signals[];
  /**
   * Wait after marking draining before the server stops accepting, so endpoints are removed from the load balancer.
   * Default 5000 under Kubernetes (`KUBERNETES_SERVICE_HOST` set), else 0.
   */
  preStopDelayMs?: number;
  /** Longest wait for in-flight requests after the server stops accepting. Default 10000. */
  drainTimeoutMs?: number;
  /** Hard limit from the signal to `exit` (keep it below `terminationGracePeriodSeconds`). Default 25000. */
  deadlineMs?: number;
  /** Default timeout of each hook (ms). Default 5000. */
  hookTimeoutMs?: number;
  /** Cleanup steps, run one at a time in reverse order after the server drained. */
  hooks?: ReadonlyArray<ShutdownHook | ((signal: AbortSignal) => unknown)>;
  /** Called once at the end with the exit code. Default `process.exit`. */
  exit?: (code: number) => void;
}

/** Events of a shutdown controller. */
export interface ShutdownEvents {
  /** A phase started; `elapsedMs` since the shutdown began. */
  phase: { phase: ShutdownPhase; elapsedMs: number };
  /** The shutdown finished (just before `exit`). */
  done: ShutdownReport;
}

/** Handle returned by {@link gracefulShutdown}. */
export interface ShutdownController {
  /** Starts the shutdown (as a signal would); resolves with the report after `exit` was called. Idempotent. */
  shutdown(reason?: string): Promise<ShutdownReport>;
  /** Adds a hook (run before the hooks registered earlier); returns a function that removes it. */
  addHook(hook: ShutdownHook | ((signal: AbortSignal) => unknown)): () => void;
  /** `running` until a shutdown starts, then the current phase, then `done`. */
  readonly state: 'running' | ShutdownPhase | 'done';
  /** Requests currently in flight on the server. */
  readonly inFlight: number;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends keyof ShutdownEvents>(event: E, listener: (e: ShutdownEvents[E]) => void): () => void;
  /** Removes the signal handlers and server listeners (the server itself is left alone). */
  dispose(): void;
}

/** Defaults applied by {@link gracefulShutdown} (`preStopDelayMs` is 5000 under Kubernetes, else 0). */
export const SHUTDOWN_DEFAULTS: Readonly<{
  signals: readonly NodeJS.Signals[];
  drainTimeoutMs: number;
  deadlineMs: number;
  hookTimeoutMs: number;
}> = Object.freeze({
  signals: Object.freeze(['SIGTERM', 'SIGINT'] as NodeJS.Signals[]),
  drainTimeoutMs: 10_000,
  deadlineMs: 25_000,
  hookTimeoutMs: 5_000,
});

// Shutdown timers are deliberately NOT unref'd: once a shutdown has started they keep the process alive until the
// hooks have run and `exit` was called (an empty event loop must not end the process halfway through the hooks).
const sleep = (ms: number): Promise<void> => (ms <= 0 ? Promise.resolve() : new Promise((r) => setTimeout(r, ms)));

/**
 * Graceful shutdown of a `node:http`/`node:https` server (Express, Fastify's `server`, Hono's node server):
 * on a signal, mark `health` draining (readiness 503), wait `preStopDelayMs`, stop accepting, answer every in-flight
 * keep-alive request with `Connection: close`, close idle sockets, wait for in-flight requests (up to
 * `drainTimeoutMs`), run hooks in reverse order each with a timeout, then `exit` — by `deadlineMs` at the latest.
 * A second signal exits at once.
 * @throws {TypeError|RangeError} on a bad option, naming it.
 */
export function gracefulShutdown(
  server: Server | HttpsServer,
  options: GracefulShutdownOptions = {},
): ShutdownController {
  const W = 'gracefulShutdown';
  if (typeof server !== 'object' || server === null || typeof server.close !== 'function')
    throw new TypeError(`${W}: server must be a node:http or node:https server, got ${describe(server)}`);
  const signals = options.signals ?? SHUTDOWN_DEFAULTS.signals;
  if (!Array.isArray(signals) || !signals.every((s) => typeof s === 'string' && s.startsWith('SIG')))
    throw new TypeError(`${W}: signals must be an array of signal names like 'SIGTERM', got ${describe(signals)}`);
  const inK8s = typeof process.env.KUBERNETES_SERVICE_HOST === 'string';
  const preStopDelayMs = duration(W, 'preStopDelayMs', options.preStopDelayMs ?? (inK8s ? 5000 : 0));
  const drainTimeoutMs = duration(W, 'drainTimeoutMs', options.drainTimeoutMs ?? SHUTDOWN_DEFAULTS.drainTimeoutMs);
  const deadlineMs = duration(W, 'deadlineMs', options.deadlineMs ?? SHUTDOWN_DEFAULTS.deadlineMs, 1);
  const hookTimeoutMs = duration(W, 'hookTimeoutMs', options.hookTimeoutMs ?? SHUTDOWN_DEFAULTS.hookTimeoutMs, 1);
  if (deadlineMs <= preStopDelayMs)
    throw new RangeError(`${W}: deadlineMs (${deadlineMs}) must be greater than preStopDelayMs (${preStopDelayMs})`);
  const exit = options.exit ?? ((code: number) => process.exit(code));
  if (typeof exit !== 'function') throw new TypeError(`${W}: exit must be a function, got ${describe(exit)}`);
  const health = options.health;
  if (health !== undefined && typeof health?.drain !== 'function')
    throw new TypeError(`${W}: health must have a drain() method (a createHealth() instance)`);

  const hooks: ShutdownHook[] = [];
  const toHook = (h: ShutdownHook | ((signal: AbortSignal) => unknown), i: number): ShutdownHook => {
    if (typeof h === 'function') return { name: h.name || `hook ${i + 1}`, run: h };
    if (typeof h !== 'object' || h === null || typeof h.run !== 'function')
      throw new TypeError(`${W}: hooks[${i}] must be a function or { name, run, timeoutMs? }, got ${describe(h)}`);
    if (h.timeoutMs !== undefined) duration(W, `hooks[${i}].timeoutMs`, h.timeoutMs, 1);
    return h;
  };
  for (const [i, h] of (options.hooks ?? []).entries()) hooks.push(toHook(h, i));

  let state: ShutdownController['state'] = 'running';
  let closing = false; // Connection: close on every response from now on
  let running: Promise<ShutdownReport> | undefined;
  let t0 = 0;
  const active = new Set<ServerResponse>();
  const perSocket = new Map<Socket, number>();
  let idleWaiter: (() => void) | undefined;
  let phaseListeners: Array<(e: ShutdownEvents['phase']) => void> | null = null;
  let doneListeners: Array<(e: ShutdownReport) => void> | null = null;

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    active.add(res);
    const socket = req.socket;
    perSocket.set(socket, (perSocket.get(socket) ?? 0) + 1);
    if (closing && !res.headersSent) res.setHeader('connection', 'close');
    res.once('close', () => {
      active.delete(res);
      const n = (perSocket.get(socket) ?? 1) - 1;
      if (n > 0) perSocket.set(socket, n);
      else {
        perSocket.delete(socket);
        // A response that started before the drain could not say Connection: close; end its socket once idle.
        if (state === 'closing' && !socket.destroyed) socket.end();
      }
      if (active.size === 0 && idleWaiter) idleWaiter();
    });
  };
  server.prependListener('request', onRequest);

  const emitPhase = (phase: ShutdownPhase): void => {
    state = phase;
    if (phaseListeners !== null) {
      const e = { phase, elapsedMs: Math.round(performance.now() - t0) };
      for (const l of phaseListeners) l(e);
    }
  };

  const markClose = (): void => {
    closing = true;
    for (const res of active) if (!res.headersSent) res.setHeader('connection', 'close');
  };

  const waitIdle = (ms: number): Promise<boolean> => {
    if (active.size === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        idleWaiter = undefined;
        resolve(false);
      }, ms);
      idleWaiter = () => {
        idleWaiter = undefined;
        clearTimeout(timer);
        resolve(true);
      };
    });
  };

  const runHook = async (h: ShutdownHook): Promise<ShutdownReport['hooks'][number]> => {
    const ms = h.timeoutMs ?? hookTimeoutMs;
    const ac = new AbortController();
    const start = performance.now();
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        Promise.resolve().then(() => h.run(ac.signal)),
        new Promise((_, reject) => {
          timer = setTimeout(() => {
            const e = new Error(`hook "${h.name}" timed out after ${ms} ms`);
            ac.abort(e);
            reject(e);
          }, ms);
        }),
      ]);
      return { name: h.name, ok: true, ms: Math.round(performance.now() - start) };
    } catch (e) {
      return { name: h.name, ok: false, ms: Math.round(performance.now() - start), error: messageOf(e) };
    } finally {
      clearTimeout(timer);
    }
  };

  const finish = (report: ShutdownReport): void => {
    state = 'done';
    if (doneListeners !== null) for (const l of doneListeners) l(report);
    exit(report.exitCode);
  };

  const run = async (reason: string): Promise<ShutdownReport> => {
    t0 = performance.now();
    let finished = false;
    const report: ShutdownReport = {
      reason,
      durationMs: 0,
      drained: false,
      abortedRequests: 0,
      hooks: [],
      exitCode: 1,
    };
    // The deadline holds whatever a step does.
    let stopDeadline = (): void => {};
    const deadline = new Promise<'deadline'>((resolve) => {
      const timer = setTimeout(() => resolve('deadline'), deadlineMs);
      stopDeadline = () => clearTimeout(timer);
    });
    const steps = async (): Promise<void> => {
      emitPhase('draining');
      health?.drain(reason);
      markClose();
      await sleep(preStopDelayMs);
      emitPhase('closing');
      markClose();
      server.close();
      server.closeIdleConnections?.();
      report.drained = await waitIdle(drainTimeoutMs);
      if (!report.drained) {
        report.abortedRequests = active.size;
        server.closeAllConnections?.();
      }
      emitPhase('hooks');
      for (let i = hooks.length - 1; i >= 0; i--) {
        if (finished) return;
        report.hooks.push(await runHook(hooks[i] as ShutdownHook));
      }
    };
    const outcome = await Promise.race([steps().then(() => 'done' as const), deadline]);
    finished = true;
    stopDeadline();
    if (outcome === 'deadline') {
      server.closeAllConnections?.();
      report.exitCode = 1;
    } else {
      report.exitCode = report.drained && report.hooks.every((h) => h.ok) ? 0 : 1;
    }
    emitPhase('exiting');
    report.durationMs = Math.round(performance.now() - t0);
    finish(report);
    return report;
  };

  const onSignal = (signal: NodeJS.Signals): void => {
    if (running !== undefined) {
      // Second signal: the operator insists.
      exit(1);
      return;
    }
    void controller.shutdown(signal);
  };
  for (const s of signals) process.on(s, onSignal);

  const controller: ShutdownController = {
    shutdown(reason = 'shutdown') {
      running ??= run(String(reason));
      return running;
    },
    addHook(h) {
      const hook = toHook(h, hooks.length);
      hooks.push(hook);
      return () => {
        const i = hooks.indexOf(hook);
        if (i >= 0) hooks.splice(i, 1);
      };
    },
    get state() {
      return state;
    },
    get inFlight() {
      return active.size;
    },
    on(event, listener) {
      if (typeof listener !== 'function') throw new TypeError(`${W}: on() listener must be a function`);
      if (event === 'phase') {
        const l = listener as (e: ShutdownEvents['phase']) => void;
        phaseListeners = [...(phaseListeners ?? []), l];
        return () => {
          const n = (phaseListeners ?? []).filter((x) => x !== l);
          phaseListeners = n.length ? n : null;
        };
      }
      if (event === 'done') {
        const l = listener as (e: ShutdownReport) => void;
        doneListeners = [...(doneListeners ?? []), l];
        return () => {
          const n = (doneListeners ?? []).filter((x) => x !== l);
          doneListeners = n.length ? n : null;
        };
      }
      throw new TypeError(`${W}: unknown event ${describe(event)}`);
    },
    dispose() {
      for (const s of signals) process.off(s, onSignal);
      server.off('request', onRequest);
    },
  };
  return controller;
}
