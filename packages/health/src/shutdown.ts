import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { Server as NetServer, type Socket } from 'node:net';
import { constants } from 'node:os';
import { Server as TlsServer } from 'node:tls';
import { HealthError, invalidArgument, invalidOption } from './errors.js';
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
  /**
   * Keep-alive connections the drain closed while they carried no request: after `idleGraceMs` of idleness, or at
   * `drainTimeoutMs` when the grace is longer. Connections the client closed, or closed after a `Connection: close`
   * response, are not counted.
   */
  idleConnectionsClosed: number;
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
  /**
   * Signals that start the shutdown. Default `['SIGTERM', 'SIGINT']`. A signal arriving later than `repeatWindowMs`
   * after the first means the operator insists: exit at once with 128 + the signal's number (130 for SIGINT).
   */
  signals?: readonly NodeJS.Signals[];
  /**
   * Signals within this many ms of the one that started the shutdown are echoes of it, not an operator insisting: a
   * terminal sends Ctrl+C to every process of the foreground group and wrappers (pnpm, npm, tsx) forward it again,
   * pnpm turning a second SIGINT into SIGTERM. Default 1000; 0 treats every later signal as insisting.
   */
  repeatWindowMs?: number;
  /**
   * During the drain, a keep-alive connection with no request in progress is closed once it has been idle this long
   * since its last response. Default: the server's `keepAliveTimeout` (5000 when that is 0), i.e. what its
   * `Keep-Alive: timeout=` header promised: clients that honour it (node:http's Agent, undici) stop reusing a
   * connection 1–2 s earlier, so none is sending on a connection as it closes. 0 closes idle connections at once:
   * faster, but a request the client sent just then is lost.
   */
  idleGraceMs?: number;
  /**
   * Wait after marking draining before the server stops accepting, so endpoints are removed from the load balancer.
   * Default 5000 under Kubernetes (`KUBERNETES_SERVICE_HOST` set), else 0.
   */
  preStopDelayMs?: number;
  /**
   * Longest wait, after the server stops accepting, for in-flight requests to finish and keep-alive connections to
   * close. Default 10000.
   */
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
  repeatWindowMs: number;
  drainTimeoutMs: number;
  deadlineMs: number;
  hookTimeoutMs: number;
}> = Object.freeze({
  signals: Object.freeze(['SIGTERM', 'SIGINT'] as NodeJS.Signals[]),
  repeatWindowMs: 1000,
  drainTimeoutMs: 10_000,
  deadlineMs: 25_000,
  hookTimeoutMs: 5_000,
});

// Shutdown timers are deliberately NOT unref'd: once a shutdown has started they keep the process alive until the
// hooks have run and `exit` was called (an empty event loop must not end the process halfway through the hooks).
const sleep = (ms: number): Promise<void> => (ms <= 0 ? Promise.resolve() : new Promise((r) => setTimeout(r, ms)));

// http.Server#close() also destroys every idle keep-alive connection at once (Node >= 19), racing with a request the
// client is sending on it. net.Server#close() only stops accepting; the drain closes idle connections itself.
const stopAccepting = (server: Server | HttpsServer): void => {
  NetServer.prototype.close.call(server);
};

const signalExitCode = (signal: string): number => {
  const n = (constants.signals as Record<string, number | undefined>)[signal];
  return typeof n === 'number' ? 128 + n : 1;
};

/** A connection as the drain sees it: requests in progress, and since when it has had none. */
interface Conn {
  active: number;
  idleSince: number;
}

/**
 * Graceful shutdown of a `node:http`/`node:https` server (Express, Fastify's `server`, Hono's node server):
 * on a signal, mark `health` draining (readiness 503), answer every response not yet started with
 * `Connection: close`, wait `preStopDelayMs`, stop accepting, wait for in-flight requests and for keep-alive
 * connections to close (idle ones are closed after `idleGraceMs`; up to `drainTimeoutMs`), run hooks in reverse
 * order each with a timeout, then `exit` — by `deadlineMs` at the latest. A further signal later than
 * `repeatWindowMs` exits at once.
 * @throws {TypeError|RangeError} on a bad option, naming it.
 * @example
 * ```ts
 * gracefulShutdown(server, { health, preStopDelayMs: 5000, hooks: [() => pool.end()] });
 * ```
 */
export function gracefulShutdown(
  server: Server | HttpsServer,
  options: GracefulShutdownOptions = {},
): ShutdownController {
  const W = 'gracefulShutdown';
  if (typeof server !== 'object' || server === null || typeof server.close !== 'function')
    throw invalidArgument(TypeError, `${W}: server must be a node:http or node:https server, got ${describe(server)}`);
  if (typeof options !== 'object' || options === null)
    throw invalidOption(TypeError, `${W}: options must be an object, got ${describe(options)}`);
  const signals = options.signals ?? SHUTDOWN_DEFAULTS.signals;
  if (!Array.isArray(signals) || !signals.every((s) => typeof s === 'string' && s.startsWith('SIG')))
    throw invalidOption(
      TypeError,
      `${W}: signals must be an array of signal names like 'SIGTERM', got ${describe(signals)}`,
    );
  const inK8s = typeof process.env.KUBERNETES_SERVICE_HOST === 'string';
  const preStopDelayMs = duration(W, 'preStopDelayMs', options.preStopDelayMs ?? (inK8s ? 5000 : 0));
  const drainTimeoutMs = duration(W, 'drainTimeoutMs', options.drainTimeoutMs ?? SHUTDOWN_DEFAULTS.drainTimeoutMs);
  const deadlineMs = duration(W, 'deadlineMs', options.deadlineMs ?? SHUTDOWN_DEFAULTS.deadlineMs, 1);
  const hookTimeoutMs = duration(W, 'hookTimeoutMs', options.hookTimeoutMs ?? SHUTDOWN_DEFAULTS.hookTimeoutMs, 1);
  const repeatWindowMs = duration(W, 'repeatWindowMs', options.repeatWindowMs ?? SHUTDOWN_DEFAULTS.repeatWindowMs);
  const idleGraceOption =
    options.idleGraceMs === undefined ? undefined : duration(W, 'idleGraceMs', options.idleGraceMs);
  if (deadlineMs <= preStopDelayMs)
    throw invalidOption(
      RangeError,
      `${W}: deadlineMs (${deadlineMs}) must be greater than preStopDelayMs (${preStopDelayMs})`,
    );
  const exit = options.exit ?? ((code: number) => process.exit(code));
  if (typeof exit !== 'function')
    throw invalidOption(TypeError, `${W}: exit must be a function, got ${describe(exit)}`);
  const health = options.health;
  if (health !== undefined && typeof health?.drain !== 'function')
    throw invalidOption(TypeError, `${W}: health must have a drain() method (a createHealth() instance)`);

  const hooks: ShutdownHook[] = [];
  const toHook = (h: ShutdownHook | ((signal: AbortSignal) => unknown), i: number): ShutdownHook => {
    if (typeof h === 'function') return { name: h.name || `hook ${i + 1}`, run: h };
    if (typeof h !== 'object' || h === null || typeof h.run !== 'function')
      throw invalidOption(
        TypeError,
        `${W}: hooks[${i}] must be a function or { name, run, timeoutMs? }, got ${describe(h)}`,
      );
    if (h.timeoutMs !== undefined) duration(W, `hooks[${i}].timeoutMs`, h.timeoutMs, 1);
    return h;
  };
  for (const [i, h] of (options.hooks ?? []).entries()) hooks.push(toHook(h, i));

  let state: ShutdownController['state'] = 'running';
  let closing = false; // Connection: close on every response from now on
  let running: Promise<ShutdownReport> | undefined;
  let t0 = 0;
  let idleGraceMs = 0;
  let idleClosed = 0;
  const active = new Set<ServerResponse>();
  const conns = new Map<Socket, Conn>();
  let drainWaiter: (() => void) | undefined;
  let sweepTimer: ReturnType<typeof setTimeout> | undefined;
  let phaseListeners: Array<(e: ShutdownEvents['phase']) => void> | null = null;
  let doneListeners: Array<(e: ShutdownReport) => void> | null = null;

  const checkDrained = (): void => {
    if (drainWaiter !== undefined && active.size === 0 && conns.size === 0) drainWaiter();
  };

  // Closes the connections idle for idleGraceMs; re-arms for the next one to come due. Connections only become idle
  // later than the ones already idle, so one timer at the earliest due time is enough.
  const sweep = (): void => {
    sweepTimer = undefined;
    const now = performance.now();
    let next = Number.POSITIVE_INFINITY;
    for (const [socket, c] of conns) {
      if (c.active > 0) continue;
      const due = c.idleSince + idleGraceMs;
      if (due <= now) {
        idleClosed++;
        conns.delete(socket);
        socket.destroy();
      } else if (due < next) next = due;
    }
    if (next !== Number.POSITIVE_INFINITY) sweepTimer = setTimeout(sweep, Math.max(1, Math.ceil(next - now)));
    checkDrained();
  };
  const armSweep = (): void => {
    if (sweepTimer === undefined) sweepTimer = setTimeout(sweep, idleGraceMs);
  };

  const track = (socket: Socket): Conn => {
    let c = conns.get(socket);
    if (c === undefined) {
      const conn: Conn = { active: 0, idleSince: performance.now() };
      c = conn;
      conns.set(socket, conn);
      socket.once('close', () => {
        if (conns.get(socket) === conn) conns.delete(socket);
        checkDrained();
      });
      if (closing) armSweep();
    }
    return c;
  };
  const onConnection = (socket: Socket): void => {
    if (!socket.destroyed) track(socket);
  };
  // For https the request's socket is the TLS socket, which 'secureConnection' hands over (not 'connection').
  const connectionEvent = server instanceof TlsServer ? 'secureConnection' : 'connection';
  server.on(connectionEvent, onConnection);

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    active.add(res);
    const conn = track(req.socket);
    conn.active++;
    // A kept-alive connection gets `Connection: close` on its next response: the client learns it is closing
    // from the response itself and never sends on a connection being closed.
    if (closing && !res.headersSent) res.setHeader('connection', 'close');
    res.once('close', () => {
      active.delete(res);
      if (--conn.active === 0) {
        conn.idleSince = performance.now();
        if (closing) armSweep();
      }
      checkDrained();
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
    sweep();
  };

  const waitDrained = (ms: number): Promise<void> => {
    if (active.size === 0 && conns.size === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        drainWaiter = undefined;
        resolve();
      }, ms);
      drainWaiter = () => {
        drainWaiter = undefined;
        clearTimeout(timer);
        resolve();
      };
    });
  };

  const destroyAll = (): void => {
    for (const [socket, c] of conns) {
      if (c.active === 0) idleClosed++;
      socket.destroy();
    }
    conns.clear();
    server.closeAllConnections?.();
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
            const e = new HealthError('ERR_HOOK_TIMEOUT', `hook "${h.name}" timed out after ${ms} ms`);
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
    const kat = (server as { keepAliveTimeout?: unknown }).keepAliveTimeout;
    idleGraceMs = idleGraceOption ?? (typeof kat === 'number' && Number.isFinite(kat) && kat > 0 ? kat : 5000);
    let finished = false;
    const report: ShutdownReport = {
      reason,
      durationMs: 0,
      drained: false,
      abortedRequests: 0,
      idleConnectionsClosed: 0,
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
      stopAccepting(server);
      await waitDrained(drainTimeoutMs);
      report.drained = active.size === 0;
      report.abortedRequests = active.size;
      if (sweepTimer !== undefined) clearTimeout(sweepTimer);
      destroyAll();
      report.idleConnectionsClosed = idleClosed;
      emitPhase('hooks');
      for (let i = hooks.length - 1; i >= 0; i--) {
        if (finished) return;
        report.hooks.push(await runHook(hooks[i] as ShutdownHook));
      }
    };
    const outcome = await Promise.race([steps().then(() => 'done' as const), deadline]);
    finished = true;
    stopDeadline();
    if (sweepTimer !== undefined) clearTimeout(sweepTimer);
    if (outcome === 'deadline') {
      report.abortedRequests = Math.max(report.abortedRequests, active.size);
      destroyAll();
      report.idleConnectionsClosed = idleClosed;
      report.exitCode = 1;
    } else {
      report.exitCode = report.drained && report.hooks.every((h) => h.ok) ? 0 : 1;
    }
    emitPhase('exiting');
    report.durationMs = Math.round(performance.now() - t0);
    finish(report);
    return report;
  };

  let firstSignalAt: number | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (running === undefined) {
      firstSignalAt = performance.now();
      void controller.shutdown(signal);
      return;
    }
    // An echo of the signal that started the shutdown (terminal + wrappers), not an operator insisting.
    if (firstSignalAt !== undefined && performance.now() - firstSignalAt < repeatWindowMs) return;
    exit(signalExitCode(signal));
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
      if (typeof listener !== 'function') throw invalidArgument(TypeError, `${W}: on() listener must be a function`);
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
      throw invalidArgument(TypeError, `${W}: unknown event ${describe(event)}`);
    },
    dispose() {
      for (const s of signals) process.off(s, onSignal);
      server.off('request', onRequest);
      server.off(connectionEvent, onConnection);
    },
  };
  return controller;
}
