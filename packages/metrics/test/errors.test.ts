// Every code in metricsErrorCodes is triggered through the public API of the source and of both builds, and checked
// against the error contract; the README's errors table is checked against the same export.
import { Registry } from 'prom-client';
import { errorContractSuite } from '../../../tools/error-contract/src/index.js';
import * as src from '../src/index.js';

type Pkg = typeof src;
const metrics = (m: Pkg) => m.createMetrics({ registry: new Registry() });

errorContractSuite({
  name: '@org/metrics',
  root: new URL('../', import.meta.url),
  src,
  table: (m) => m.metricsErrorCodes,
  // no error class of its own: only usage errors, which carry no brand
  guard: () => () => false,
  triggers: {
    ERR_INVALID_OPTION: [
      (m) => m.createMetrics(null as never),
      (m) => m.createMetrics({} as never),
      (m) => m.createMetrics({ registry: {} as never }),
      (m) => m.createMetrics({ meter: {} as never }),
      (m) => m.createMetrics({ registry: new Registry(), buckets: [1, 0.5] }),
      (m) => m.createMetrics({ registry: new Registry(), unmatchedRoute: '' }),
    ],
    ERR_INVALID_ARGUMENT: [
      (m) => metrics(m).observeBreaker({} as never),
      (m) => metrics(m).observeBreakers(42 as never),
      (m) => metrics(m).observeLimiter(null as never),
      (m) => metrics(m).observeHealth('health' as never),
    ],
  },
});
