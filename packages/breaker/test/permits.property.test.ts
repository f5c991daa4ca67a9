import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { circuitBreaker } from '../src/index.js';
import { deferred } from './helpers.js';

type Op =
  | { kind: 'start'; withSignal: boolean }
  | { kind: 'succeed'; pick: number }
  | { kind: 'fail'; pick: number }
  | { kind: 'abort'; pick: number }
  | { kind: 'advance'; ms: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('start' as const), withSignal: fc.boolean() }),
  fc.record({ kind: fc.constant('succeed' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('fail' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('abort' as const), pick: fc.nat() }),
  fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 0, max: 150 }) }),
);

describe('half-open permits (fast-check, async)', () => {
  it('never exceed halfOpenMaxCalls, never go negative, and all come back once every call settled or aborted', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 3 }),
        fc.array(opArb, { minLength: 1, maxLength: 60 }),
        async (maxCalls, successes, ops) => {
          const clock = { now: 0 };
          const b = circuitBreaker({
            consecutiveFailures: 1,
            openMs: 100,
            halfOpenMaxCalls: maxCalls,
            halfOpenSuccesses: successes,
            clock: () => clock.now,
          });
          await b.execute(async () => Promise.reject(new Error('down'))).catch(() => {});
          clock.now = 100; // half-open
          const pending: { d: ReturnType<typeof deferred<string>>; ac: AbortController | null; p: Promise<unknown> }[] =
            [];
          const check = () => {
            const s = b.stats();
            expect(s.halfOpenInFlight).toBeGreaterThanOrEqual(0);
            expect(s.halfOpenInFlight).toBeLessThanOrEqual(maxCalls);
            if (s.state === 'half-open') expect(s.halfOpenInFlight).toBeLessThanOrEqual(pending.length);
          };
          for (const op of ops) {
            if (op.kind === 'start') {
              const d = deferred<string>();
              d.promise.catch(() => {}); // a rejected (never run) call leaves its deferred unobserved
              const ac = op.withSignal ? new AbortController() : null;
              const p = b.execute(() => d.promise, ac?.signal).catch(() => {});
              pending.push({ d, ac, p });
            } else if (op.kind === 'advance') {
              clock.now += op.ms;
            } else if (pending.length > 0) {
              const i = op.pick % pending.length;
              const c = pending[i]!;
              if (op.kind === 'abort' && c.ac === null) continue;
              pending.splice(i, 1);
              if (op.kind === 'succeed') c.d.resolve('ok');
              else if (op.kind === 'fail') c.d.reject(new Error('no'));
              else c.ac!.abort(new Error('gone'));
              await c.p;
            }
            check();
          }
          for (const c of pending) {
            if (c.ac) c.ac.abort();
            else c.d.resolve('ok');
            await c.p;
          }
          pending.length = 0;
          check();
          clock.now += 1_000; // past any open period
          const s = b.stats();
          if (s.state === 'half-open') expect(s.halfOpenInFlight).toBe(0);
          // Whatever happened, the breaker is not wedged: a call is admitted now.
          expect((await b.tryExecute(async () => 'x')).ok).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});
