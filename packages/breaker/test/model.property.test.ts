import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type CircuitBreakerOptions, type CircuitState, circuitBreaker, type IsolationHandle } from '../src/index.js';

/**
 * Reference model of the breaker: the same rules written the slow, obvious way (the window is a plain list of every
 * call, filtered on each read). The property runs random command sequences against both and compares everything
 * observable after each step.
 */
interface Config {
  consecutiveFailures: number;
  failureRateThreshold: number | false;
  minimumCalls: number;
  window: { type: 'count'; size: number } | { type: 'time'; ms: number; buckets: number };
  slowCallMs: number;
  slowCallRateThreshold: number;
  openMs: number | { initialMs: number; maxMs: number; factor: number };
  halfOpenSuccesses: number;
}

type Cmd =
  | { kind: 'call'; fail: boolean; durationMs: number }
  | { kind: 'advance'; ms: number }
  | { kind: 'isolate' }
  | { kind: 'release' }
  | { kind: 'reset' };

interface Entry {
  t: number;
  fail: boolean;
  slow: boolean;
}

class Model {
  state: CircuitState = 'closed';
  entries: Entry[] = [];
  consecutive = 0;
  opens = 0;
  openUntil = 0;
  hoSuccesses = 0;
  isolations = 0;
  constructor(
    readonly c: Config,
    readonly clock: { now: number },
  ) {}

  window(now: number): Entry[] {
    const w = this.c.window;
    if (w.type === 'count') return this.entries.slice(-w.size);
    const width = w.ms / w.buckets;
    const head = Math.floor(now / width);
    return this.entries.filter((e) => Math.floor(e.t / width) > head - w.buckets);
  }

  duration(opens: number): number {
    const o = this.c.openMs;
    if (typeof o === 'number') return o;
    return Math.min(o.maxMs, o.initialMs * o.factor ** (opens - 1));
  }

  open(now: number): void {
    this.opens++;
    this.openUntil = now + this.duration(this.opens);
    this.state = 'open';
    this.entries = [];
    this.consecutive = 0;
    this.hoSuccesses = 0;
  }

  close(): void {
    this.state = 'closed';
    this.opens = 0;
    this.openUntil = 0;
    this.entries = [];
    this.consecutive = 0;
    this.hoSuccesses = 0;
  }

  refresh(): void {
    if (this.state === 'open' && this.clock.now >= this.openUntil) {
      this.state = 'half-open';
      this.hoSuccesses = 0;
    }
  }

  /** Returns 'rejected' or the call's outcome. */
  call(fail: boolean, durationMs: number): 'rejected' | 'ran' {
    this.refresh();
    if (this.state === 'open' || this.state === 'isolated') return 'rejected';
    const admittedIn = this.state;
    this.clock.now += durationMs;
    const now = this.clock.now;
    const slow = durationMs >= this.c.slowCallMs;
    if (admittedIn === 'half-open') {
      if (fail || slow) this.open(now);
      else if (++this.hoSuccesses >= this.c.halfOpenSuccesses) this.close();
      return 'ran';
    }
    this.entries.push({ t: now, fail, slow });
    if (this.c.window.type === 'count') this.entries = this.window(now);
    this.consecutive = fail ? this.consecutive + 1 : 0;
    const w = this.window(now);
    const total = w.length;
    const failures = w.filter((e) => e.fail).length;
    const slows = w.filter((e) => e.slow).length;
    const rate = this.c.failureRateThreshold === false ? Number.POSITIVE_INFINITY : this.c.failureRateThreshold;
    if (fail && this.consecutive >= this.c.consecutiveFailures) this.open(now);
    else if (
      total >= this.c.minimumCalls &&
      (failures / total >= rate || slows / total >= this.c.slowCallRateThreshold)
    )
      this.open(now);
    return 'ran';
  }

  isolate(): void {
    this.isolations++;
    if (this.state !== 'isolated') {
      this.state = 'isolated';
      this.entries = [];
      this.consecutive = 0;
      this.hoSuccesses = 0;
    }
  }

  release(): void {
    if (this.isolations === 0) return;
    if (--this.isolations === 0) this.close();
  }

  reset(): void {
    this.isolations = 0;
    this.close();
  }

  stats() {
    this.refresh();
    const w = this.window(this.clock.now);
    return {
      state: this.state,
      calls: w.length,
      failures: w.filter((e) => e.fail).length,
      slowCalls: w.filter((e) => e.slow).length,
      consecutiveFailures: this.consecutive,
      consecutiveOpens: this.opens,
      retryAfterMs:
        this.state === 'open'
          ? Math.max(0, this.openUntil - this.clock.now)
          : this.state === 'isolated'
            ? Number.POSITIVE_INFINITY
            : 0,
    };
  }
}

const configArb: fc.Arbitrary<Config> = fc
  .record({
    consecutiveFailures: fc.oneof(fc.integer({ min: 1, max: 8 }), fc.constant(Number.POSITIVE_INFINITY)),
    failureRateThreshold: fc.oneof(fc.constantFrom(0.25, 0.3, 0.5, 0.6, 0.75, 1), fc.constant(false as const)),
    minimumCalls: fc.integer({ min: 1, max: 8 }),
    window: fc.oneof(
      fc.record({ type: fc.constant('count' as const), size: fc.integer({ min: 8, max: 20 }) }),
      fc.record({
        type: fc.constant('time' as const),
        ms: fc.integer({ min: 50, max: 1000 }),
        buckets: fc.integer({ min: 1, max: 10 }),
      }),
    ),
    slowCallMs: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.constant(Number.POSITIVE_INFINITY)),
    slowCallRateThreshold: fc.constantFrom(0.3, 0.5, 1),
    openMs: fc.oneof(
      fc.integer({ min: 0, max: 300 }),
      fc.record({
        initialMs: fc.integer({ min: 1, max: 100 }),
        maxMs: fc.integer({ min: 100, max: 1000 }),
        factor: fc.constantFrom(1, 1.5, 2, 3),
      }),
    ),
    halfOpenSuccesses: fc.integer({ min: 1, max: 3 }),
  })
  .filter((c) => c.window.type !== 'count' || c.minimumCalls <= c.window.size);

const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  {
    weight: 10,
    arbitrary: fc.record({
      kind: fc.constant('call' as const),
      fail: fc.boolean(),
      durationMs: fc.integer({ min: 0, max: 50 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 400 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'isolate' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'release' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reset' as const }) },
);

describe('state machine vs reference model (fast-check)', () => {
  it('agrees with the model on state, window counts, runs, opens and retryAfterMs after every step', () => {
    fc.assert(
      fc.property(configArb, fc.array(cmdArb, { minLength: 1, maxLength: 120 }), (config, cmds) => {
        const clock = { now: 10_000 };
        const model = new Model(config, clock);
        const opts: CircuitBreakerOptions = { ...config, clock: () => clock.now };
        const b = circuitBreaker(opts);
        const handles: IsolationHandle[] = [];
        for (const cmd of cmds) {
          if (cmd.kind === 'call') {
            let ran = false;
            const before = clock.now;
            let threw: unknown;
            try {
              b.executeSync(() => {
                ran = true;
                clock.now += cmd.durationMs;
                if (cmd.fail) throw new Error('fail');
                return 1;
              });
            } catch (e) {
              threw = e;
            }
            const implNow = clock.now;
            clock.now = before;
            const expected = model.call(cmd.fail, cmd.durationMs);
            expect(clock.now).toBe(implNow);
            expect(ran).toBe(expected === 'ran');
            if (expected === 'rejected') expect(threw).toMatchObject({ code: 'ERR_CIRCUIT_OPEN' });
          } else if (cmd.kind === 'advance') {
            clock.now += cmd.ms;
          } else if (cmd.kind === 'isolate') {
            handles.push(b.isolate());
            model.isolate();
          } else if (cmd.kind === 'release') {
            handles.pop()?.release();
            model.release();
          } else {
            handles.length = 0;
            b.reset();
            model.reset();
          }
          const s = b.stats();
          expect({
            state: s.state,
            calls: s.calls,
            failures: s.failures,
            slowCalls: s.slowCalls,
            consecutiveFailures: s.consecutiveFailures,
            consecutiveOpens: s.consecutiveOpens,
            retryAfterMs: s.retryAfterMs,
          }).toEqual(model.stats());
        }
      }),
      { numRuns: 400 },
    );
  });

  it('open durations stay finite and within [0, maxMs] after 10,000 consecutive opens', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.double({ min: 1, max: 1000, noNaN: true }),
        (initialMs, extra, factor) => {
          const maxMs = Math.min(2 ** 31 - 1, initialMs + extra);
          const clock = { now: 0 };
          const b = circuitBreaker({
            consecutiveFailures: 1,
            openMs: { initialMs, maxMs, factor },
            clock: () => clock.now,
          });
          let prev = -1;
          let bad = '';
          for (let i = 0; i < 10_000 && bad === ''; i++) {
            let threw = false;
            try {
              b.executeSync(() => {
                throw new Error('down');
              });
            } catch (e) {
              threw = (e as Error).message === 'down'; // admitted every time: the previous open has just elapsed
            }
            const ms = b.stats().retryAfterMs;
            // retryAfterMs is (now + d) - now: allow the rounding of that subtraction at this clock's magnitude.
            const tol = 4 * Number.EPSILON * Math.max(1, clock.now + ms);
            if (!threw) bad = `call ${i} was not admitted`;
            else if (!Number.isFinite(ms) || ms < 0 || ms > maxMs + tol) bad = `open ${i}: ${ms} outside [0, ${maxMs}]`;
            else if (ms < prev - 2 * tol) bad = `open ${i}: ${ms} < previous ${prev}`;
            prev = ms;
            clock.now += ms; // let it go half-open; the next call is the failing trial
          }
          expect(bad).toBe('');
          expect(b.stats().consecutiveOpens).toBe(10_000);
        },
      ),
      { numRuns: 20 },
    );
  });
});
