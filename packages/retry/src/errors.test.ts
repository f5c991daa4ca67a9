// Every code in retryErrorCodes is triggered for real, through the public API of the source and of both builds, and
// checked against the error contract; the README's errors table is checked against the same export.
import { errorContractSuite } from '../../../tools/error-contract/src/index.js';
import * as src from './index.js';

type Pkg = typeof src;

const triggers: { [K in keyof Pkg['retryErrorCodes']]: Array<(m: Pkg) => unknown> } = {
  ERR_ATTEMPT_TIMEOUT: [(m) => m.retry(() => new Promise(() => {}), { attempts: 1, attemptTimeoutMs: 1 })],
  ERR_INVALID_OPTION: [
    (m) => m.retry(() => 1, { attempts: 0 }),
    (m) => m.retry(() => 1, { retries: 3 } as never),
    (m) => m.createBackoff({ type: 'fibonacci' as never }),
    (m) => m.retryBudget({ ratio: -1 }),
    (m) => m.retryPolicy({ signal: 'soon' as never }),
  ],
  ERR_INVALID_ARGUMENT: [
    (m) => m.retry('not a function' as never),
    (m) => m.retryPolicy().execute(() => 1, 'not a signal' as never),
  ],
};

errorContractSuite({
  name: '@org/retry',
  root: new URL('../', import.meta.url),
  src,
  table: (m) => m.retryErrorCodes,
  guard: (m) => m.isRetryError,
  triggers,
});
