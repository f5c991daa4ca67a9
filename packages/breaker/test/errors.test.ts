// Every code in breakerErrorCodes is triggered for real, through the public API of the source and of both builds, and
// checked against the error contract; the README's errors table is checked against the same export.
import { createRequire } from 'node:module';
import { expect, it } from 'vitest';
import { errorContractSuite } from '../../../tools/error-contract/src/index.js';
import * as src from '../src/index.js';

type Pkg = typeof src;
type Code = keyof typeof src.breakerErrorCodes;

const never = (): Promise<never> => new Promise(() => {});

/** Ways to make each code happen, given a copy of the package (the source, or a built ESM/CJS file). */
const triggers: Record<Code, Array<(m: Pkg) => unknown>> = {
  ERR_CIRCUIT_OPEN: [
    async (m) => {
      const b = m.circuitBreaker({ consecutiveFailures: 1 });
      await b.execute(() => Promise.reject(new Error('down'))).catch(() => {});
      return b.execute(() => 'not admitted');
    },
    (m) => {
      const b = m.circuitBreaker({ consecutiveFailures: 1 });
      b.isolate();
      return b.executeSync(() => 'not admitted');
    },
  ],
  ERR_CIRCUIT_TIMEOUT: [(m) => m.circuitBreaker({ timeoutMs: 1 }).execute(never)],
  ERR_BULKHEAD_FULL: [
    (m) => {
      const h = m.bulkhead({ maxConcurrent: 1, maxQueue: 0 });
      void h.execute(never);
      return h.execute(() => 'no slot');
    },
  ],
  ERR_BREAKER_EXISTS: [
    (m) => {
      const r = m.breakerRegistry({});
      r.create('payments');
      return r.create('payments');
    },
  ],
  ERR_REGISTRY_FULL: [
    (m) => {
      const r = m.breakerRegistry({ maxBreakers: 1 });
      r.get('a');
      return r.get('b');
    },
  ],
  ERR_INVALID_OPTION: [
    (m) => m.circuitBreaker({ consecutiveFailures: 0 }),
    (m) => m.circuitBreaker({ isFailure: 1 as never }),
    (m) => m.bulkhead({ maxConcurrent: 0 }),
    (m) => m.breakerRegistry({ defaults: { name: 'x' } as never }),
    (m) => m.breakerRegistry({}).healthCheck({ critical: 'yes' as never }),
  ],
  ERR_INVALID_ARGUMENT: [
    (m) => m.circuitBreaker().on('nope' as never, () => {}),
    (m) => m.circuitBreaker().restore({ version: 99 } as never),
    (m) => m.breakerRegistry({}).get(''),
  ],
};

errorContractSuite({
  name: '@org/breaker',
  root: new URL('../', import.meta.url),
  src,
  table: (m) => m.breakerErrorCodes,
  guard: (m) => m.isBreakerError,
  triggers,
});

it('isCircuitOpenError recognises a rejection from the other build', async () => {
  const cjs = createRequire(import.meta.url)('../dist/index.cjs') as Pkg;
  const b = cjs.circuitBreaker();
  b.isolate();
  const err = await b.execute(() => 1).catch((e: unknown) => e);
  expect([src.isCircuitOpenError(err), src.isBreakerError(err), err instanceof src.CircuitOpenError]).toEqual([
    true,
    true,
    false,
  ]);
});
