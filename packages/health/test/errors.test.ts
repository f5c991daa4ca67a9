// Every code in healthErrorCodes is triggered for real (real timers, a real node:http server shut down), through the
// public API of the source and of both builds, and checked against the error contract; the README's errors table is
// checked against the same export.
import { createServer } from 'node:http';
import { type Copy, errorContractSuite } from '../../../tools/error-contract/src/index.js';
import * as src from '../src/index.js';
import type * as nodeEntry from '../src/node.js';

type Pkg = typeof src;
const node = (c: Copy): Promise<typeof nodeEntry> => c.load('node');

/** A run that waits for its signal and rejects with the signal's reason; `seen` receives that reason. */
const waitForAbort = (seen: (reason: unknown) => void) => (signal: AbortSignal) =>
  new Promise<never>((_, reject) =>
    signal.addEventListener('abort', () => {
      seen(signal.reason);
      reject(signal.reason);
    }),
  );

const triggers: { [K in keyof Pkg['healthErrorCodes']]: Array<(m: Pkg, c: Copy) => unknown> } = {
  ERR_DUPLICATE_CHECK: [
    (m) => {
      const h = m.createHealth();
      h.check({ name: 'db:ping', run: () => ({}) });
      try {
        h.check({ name: 'db:ping', run: () => ({}) });
      } finally {
        h.close();
      }
    },
  ],
  ERR_HEALTH_CLOSED: [
    (m) => {
      const h = m.createHealth();
      h.close();
      h.check({ name: 'db:ping', run: () => ({}) });
    },
    // A run in flight when its check is unregistered sees the same code as its signal's reason.
    async (m) => {
      const h = m.createHealth();
      let reason: unknown;
      const off = h.check({ name: 'db:ping', run: waitForAbort((r) => (reason = r)) });
      const probe = h.readiness();
      off();
      await probe;
      h.close();
      throw reason;
    },
  ],
  ERR_CHECK_TIMEOUT: [
    async (m) => {
      const h = m.createHealth({ timeoutMs: 5 });
      let reason: unknown;
      h.check({ name: 'db:ping', run: waitForAbort((r) => (reason = r)) });
      await h.readiness();
      h.close();
      throw reason;
    },
  ],
  ERR_HOOK_TIMEOUT: [
    async (_m, c) => {
      const server = createServer();
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      let reason: unknown;
      const shutdown = (await node(c)).gracefulShutdown(server, {
        signals: [],
        exit: () => {},
        hooks: [{ name: 'flush', timeoutMs: 5, run: waitForAbort((r) => (reason = r)) }],
      });
      const report = await shutdown.shutdown();
      shutdown.dispose();
      if (report.hooks[0]?.error !== 'hook "flush" timed out after 5 ms') throw new Error('unexpected report');
      throw reason;
    },
  ],
  ERR_INVALID_OPTION: [
    (m) => m.createHealth({ timeoutMs: 0 }),
    (m) => m.createHealth({ verbose: 'sometimes' as never }),
    (m) => m.createHealth().check({ name: 'no name', run: () => ({}) }),
    async (_m, c) => (await node(c)).tcpCheck({ host: '127.0.0.1', port: 0 }),
  ],
  ERR_INVALID_ARGUMENT: [
    (m) => m.createHealth().probe('everything' as never),
    (m) => m.createHealth().on('nope' as never, () => {}),
    async (_m, c) => (await node(c)).gracefulShutdown({} as never),
  ],
};

errorContractSuite({
  name: '@org/health',
  root: new URL('../', import.meta.url),
  src,
  table: (m) => m.healthErrorCodes,
  guard: (m) => m.isHealthError,
  triggers,
});
