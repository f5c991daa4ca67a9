// Every code in loggerErrorCodes is triggered for real (real files, a real FIFO nobody reads), through the public API
// of the source and of both builds, and checked against the error contract; the README's errors table is checked
// against the same export.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { type Copy, errorContractSuite } from '../../../tools/error-contract/src/index.js';
import * as src from './index.js';
import type * as nodeEntry from './node.js';

type Pkg = typeof src;
const dir = mkdtempSync(join(tmpdir(), 'logger-errors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const node = (c: Copy): Promise<typeof nodeEntry> => c.load('node');

const triggers: { [K in keyof Pkg['loggerErrorCodes']]: Array<(m: Pkg, c: Copy) => unknown> } = {
  ERR_SINK_OPEN: [async (_m, c) => (await node(c)).fdSink({ dest: join(dir, 'no', 'such', 'dir', 'x.log') })],
  ERR_SINK_WRITE: [
    // A read-only descriptor: the write fails with EBADF, the line is dropped, flush() reports it.
    async (m, c) => {
      const f = join(dir, `ro-${n++}.log`);
      writeFileSync(f, '');
      const fd = openSync(f, 'r');
      try {
        const sink = (await node(c)).fdSink({ dest: fd });
        m.createLogger({ sink }).info('lost');
        await sink.flush();
      } finally {
        closeSync(fd);
      }
    },
  ],
  ERR_SINK_TIMEOUT: [
    // A FIFO nobody reads: the pipe fills, flush() gives up after retryTimeoutMs without progress, lines kept.
    async (m, c) => {
      const fifo = join(dir, `fifo-${n++}`);
      execFileSync('mkfifo', [fifo]);
      const fd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
      try {
        const sink = (await node(c)).fdSink({ dest: fd, retryTimeoutMs: 20, maxLength: 1_000_000 });
        const log = m.createLogger({ sink, base: null, timestamp: false });
        for (let i = 0; i < 200; i++) log.info('x'.repeat(1000));
        await sink.flush();
      } finally {
        closeSync(fd);
      }
    },
  ],
  ERR_INVALID_OPTION: [
    (m) => m.createLogger({ level: 'loud' as never }),
    (m) => m.createLogger({ sink: 1 as never }),
    (m) => m.createLogger({ redact: ['a..b'] }),
    async (_m, c) => (await node(c)).fdSink({ minLength: -1 }),
  ],
  ERR_INVALID_ARGUMENT: [
    (m) => m.createLogger({ sink: () => {} }).setLevel('loud' as never),
    (m) => m.createLogger({ sink: () => {} }).child(1 as never),
    (m) => m.withContext(1 as never, () => 1),
    async (_m, c) => (await node(c)).fdSink({ dest: join(dir, `on-${n++}.log`) }).on('nope' as never, () => {}),
  ],
};

errorContractSuite({
  name: '@org/logger',
  root: new URL('../', import.meta.url),
  src,
  table: (m) => m.loggerErrorCodes,
  guard: (m) => m.isLoggerError,
  triggers,
});
