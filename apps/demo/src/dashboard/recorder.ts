// What the dashboard shows over time, recorded in memory from the packages' own events: the breaker's transitions,
// the attempts of the last upstream calls, the keyring's rotations. Bounded lists; ids and states only, no secrets.
import { type CircuitBreaker, type CircuitState, isCircuitOpenError } from '@org/breaker';
import type { Keyring } from '@org/crypto';

/** One change of the breaker's state. */
export interface Transition {
  /** ms since the epoch. */
  at: number;
  from: CircuitState | null;
  to: CircuitState;
  reason: string;
}

/** One attempt of an upstream call. */
export interface Attempt {
  /** 1-based, as the retry policy counts. */
  n: number;
  /** `ok`; `failed` (the upstream failed or timed out); `rejected` (the open circuit refused it). */
  outcome: 'ok' | 'failed' | 'rejected';
  ms: number;
  /** The error's code or message when it did not succeed. */
  error?: string;
}

/** One call to the upstream, through retry and the breaker. */
export interface CallRecord {
  /** ms since the epoch when it started. */
  at: number;
  ms: number;
  outcome: 'ok' | 'failed';
  attempts: Attempt[];
}

/** One rotation of the keyring's primary key. */
export interface Rotation {
  at: number;
  previous: string | null;
  primary: string;
  reason: string;
}

/** Runs one attempt and records how it ended. */
export type AttemptRunner = <T>(n: number, run: () => Promise<T>) => Promise<T>;

/** The recorder the dashboard reads. */
export interface DashboardRecorder {
  /** Transitions, oldest first (the first one is the state at start, `from: null`). */
  readonly transitions: readonly Transition[];
  /** The last calls, newest first. */
  readonly calls: readonly CallRecord[];
  /** Rotations seen by this process, newest first. */
  readonly rotations: readonly Rotation[];
  /**
   * Records one upstream call: `run` gets an `attempt(n, fn)` to wrap each attempt in (inside the retry policy's
   * function), so each attempt's outcome is kept.
   */
  trackCall<T>(run: (attempt: AttemptRunner) => Promise<T>): Promise<T>;
  /** Stops listening to the breaker and the keyring. */
  close(): void;
}

const errorLabel = (e: unknown): string => {
  const code = (e as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return e instanceof Error ? e.message.slice(0, 120) : String(e).slice(0, 120);
};

const push = <T>(list: T[], item: T, max: number, newestFirst: boolean): void => {
  if (newestFirst) list.unshift(item);
  else list.push(item);
  if (list.length > max) newestFirst ? list.pop() : list.shift();
};

/** Starts recording from a breaker and a keyring. `clock` is injectable for tests. */
export function dashboardRecorder(opts: {
  breaker: CircuitBreaker;
  keyring: Keyring;
  maxTransitions?: number;
  maxCalls?: number;
  clock?: () => number;
}): DashboardRecorder {
  const now = opts.clock ?? Date.now;
  const maxT = opts.maxTransitions ?? 200;
  const maxC = opts.maxCalls ?? 12;
  const transitions: Transition[] = [{ at: now(), from: null, to: opts.breaker.state, reason: 'start' }];
  const calls: CallRecord[] = [];
  const rotations: Rotation[] = [];
  const offBreaker = opts.breaker.on('stateChange', (e) =>
    push(transitions, { at: now(), from: e.from, to: e.to, reason: e.reason }, maxT, false),
  );
  const offKeyring = opts.keyring.on('rotate', (e) =>
    push(rotations, { at: now(), previous: e.previous, primary: e.primary, reason: e.reason }, 20, true),
  );
  return {
    transitions,
    calls,
    rotations,
    async trackCall(run) {
      const rec: CallRecord = { at: now(), ms: 0, outcome: 'failed', attempts: [] };
      const attempt: AttemptRunner = async (n, fn) => {
        const t0 = now();
        try {
          const v = await fn();
          rec.attempts.push({ n, outcome: 'ok', ms: now() - t0 });
          return v;
        } catch (e) {
          const rejected = isCircuitOpenError(e);
          rec.attempts.push({ n, outcome: rejected ? 'rejected' : 'failed', ms: now() - t0, error: errorLabel(e) });
          throw e;
        }
      };
      try {
        const v = await run(attempt);
        rec.outcome = 'ok';
        return v;
      } finally {
        rec.ms = now() - rec.at;
        push(calls, rec, maxC, true);
      }
    },
    close() {
      offBreaker();
      offKeyring();
    },
  };
}
