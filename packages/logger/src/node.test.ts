import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger, isLoggerError } from './index.js';
import { FD_SINK_DEFAULTS, fdSink, flushAllSync } from './node.js';

const dir = mkdtempSync(join(tmpdir(), 'org-logger-test-'));
const children = new Set<ChildProcess>();
afterAll(() => {
  for (const c of children) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});
let n = 0;
const tmp = (): string => join(dir, `f${n++}.log`);
const read = (f: string): string => readFileSync(f, 'utf8');

/** Reads a non-blocking FIFO until `flushed` settles (up to 5 s), while the sink retries; returns what arrived. */
async function drainWhileFlushing(fd: number, flushed: Promise<void>): Promise<string> {
  const buf = Buffer.alloc(65536);
  let got = '';
  let done = false;
  flushed.then(() => (done = true));
  const deadline = Date.now() + 5000;
  while (Date.now() < deadline) {
    try {
      const k = readSync(fd, buf, 0, buf.length, null);
      got += buf.toString('utf8', 0, k);
    } catch {
      if (done) break;
      await new Promise((r) => setTimeout(r, 3));
    }
  }
  await flushed;
  return got;
}

describe('fdSink', () => {
  it('sync with minLength 0 writes every line before the call returns', () => {
    const f = tmp();
    const sink = fdSink({ dest: f, sync: true });
    const log = createLogger({ sink });
    log.info('one');
    expect(read(f)).toContain('"msg":"one"');
    sink.close();
  });

  it('buffers below minLength, then writes once minLength is reached', () => {
    const f = tmp();
    const sink = fdSink({ dest: f, sync: true, minLength: 500, flushIntervalMs: 60_000 });
    const log = createLogger({ sink, base: null, timestamp: false });
    log.info('a');
    expect(read(f)).toBe('');
    expect(sink.pending).toBeGreaterThan(0);
    for (let i = 0; i < 30; i++) log.info('filler line');
    // 31 lines of ~30 chars: one write of the first 500+ chars, the rest still buffered
    const written = read(f).split('\n').length - 1;
    expect(written).toBeGreaterThanOrEqual(15);
    expect(written).toBeLessThan(31);
    expect(sink.pending).toBeLessThan(500);
    sink.flushSync();
    expect(read(f).split('\n').length - 1).toBe(31);
    sink.close();
  });

  it('async mode writes on the next event-loop turn; flush() resolves once written', async () => {
    const f = tmp();
    const sink = fdSink({ dest: f });
    const log = createLogger({ sink });
    log.info('async');
    expect(read(f)).toBe('');
    await new Promise((r) => setImmediate(r));
    expect(read(f)).toContain('async');
    log.info('second');
    await log.flush();
    expect(read(f)).toContain('second');
    sink.close();
  });

  it('the flush timer writes data that stays under minLength', async () => {
    const f = tmp();
    const sink = fdSink({ dest: f, minLength: 10_000, flushIntervalMs: 5 });
    createLogger({ sink }).info('timer');
    await new Promise((r) => setTimeout(r, 60));
    expect(read(f)).toContain('timer');
    sink.close();
  });

  it('writes multi-byte text exactly', async () => {
    const f = tmp();
    const sink = fdSink({ dest: f, minLength: 100 });
    const log = createLogger({ sink, base: null, timestamp: false });
    const s = 'héllo 🌍 ünïcode 日本語';
    for (let i = 0; i < 50; i++) log.info({ i }, s);
    await log.flush();
    const lines = read(f).trim().split('\n');
    expect(lines).toHaveLength(50);
    expect(lines.every((l, i) => JSON.parse(l).msg === s && JSON.parse(l).i === i)).toBe(true);
    sink.close();
  });

  for (const sync of [false, true]) {
    it(`${sync ? 'sync' : 'async'}: lines larger than the byte buffer and lines that overflow it stay whole and in order`, async () => {
      const f = tmp();
      // maxWrite 1024 gives a 12 KiB byte buffer: 40,000-character lines overflow it, and a long batch of
      // multi-byte lines fills it before the turn ends
      const sink = fdSink({ dest: f, sync, minLength: sync ? 0 : 200_000, maxWrite: 1024 });
      const log = createLogger({ sink, base: null, timestamp: false, maxStringLength: 100_000 });
      const msgs: string[] = [];
      for (let i = 0; i < 60; i++) {
        const m = i % 7 === 3 ? `${'日'.repeat(20_000)}${'x'.repeat(20_000)}` : `é${'y'.repeat(i * 50)}🌍`;
        msgs.push(m);
        log.info({ i }, m);
      }
      await log.flush();
      const lines = read(f).trim().split('\n');
      expect(lines.map((l) => JSON.parse(l).i)).toEqual([...Array(60).keys()]);
      expect(lines.every((l, i) => JSON.parse(l).msg === msgs[i])).toBe(true);
      expect(sink.pending).toBe(0);
      expect(sink.dropped).toBe(0);
      sink.close();
    });
  }

  it('maxLength drop policy: lines over the cap are dropped and counted, never silently', async () => {
    const f = tmp();
    // a sync burst with writes deferred (maxWrite above maxLength): the buffer fills and the rest is dropped
    const sink = fdSink({ dest: f, maxLength: 1000, maxWrite: 1_000_000 });
    const drops: number[] = [];
    const off = sink.on('drop', (e) => drops.push(e.dropped));
    const log = createLogger({ sink, base: null, timestamp: false });
    for (let i = 0; i < 100; i++) log.info({ i }, 'burst');
    const written = sink.dropped;
    expect(written).toBeGreaterThan(0);
    expect(drops.at(-1)).toBe(sink.dropped);
    off();
    await log.flush();
    const lines = read(f).trim().split('\n');
    expect(lines.length + sink.dropped).toBe(100);
    sink.close();
  });

  it('a FIFO nobody reads: EAGAIN keeps data buffered, over maxLength drops, draining recovers', async () => {
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    const fd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
    try {
      const sink = fdSink({ dest: fd, maxLength: 200_000, retryTimeoutMs: 3000, flushIntervalMs: 5 });
      const log = createLogger({ sink, base: null, timestamp: false });
      const line = 'x'.repeat(1000);
      for (let i = 0; i < 400; i++) log.info({ i }, line); // ~400 KB against a 64 KB pipe and a 200 KB cap
      await new Promise((r) => setImmediate(r));
      expect(sink.pending).toBeGreaterThan(0);
      expect(sink.dropped).toBeGreaterThan(0);
      // drain the pipe while the sink retries
      const got = await drainWhileFlushing(fd, log.flush());
      const lines = got.trim().split('\n');
      expect(lines.length + sink.dropped).toBe(400);
      // what arrived is whole lines, in order
      const ids = lines.map((l) => JSON.parse(l).i as number);
      expect(ids).toEqual([...ids].sort((a, b) => a - b));
      sink.close();
    } finally {
      closeSync(fd);
    }
  });

  // maxWrite 25,000: the third ~25 KB flush is cut short (12 KB taken); 30,000: the third finds the pipe full (EAGAIN)
  for (const maxWrite of [25_000, 30_000]) {
    it(`a flush cut short or refused by a full pipe (maxWrite ${maxWrite}): the rest goes out first and whole, while another sink writes meanwhile`, async () => {
      const fifo = join(dir, `fifo-${maxWrite}`);
      execFileSync('mkfifo', [fifo]);
      const fd = openSync(fifo, constants.O_RDWR | constants.O_NONBLOCK);
      try {
        // the unwritten rest waits in the sink
        const stuck = fdSink({
          dest: fd,
          maxWrite,
          maxLength: 1_000_000,
          retryTimeoutMs: 3000,
          flushIntervalMs: 5,
        });
        const a = createLogger({ sink: stuck, base: null, timestamp: false, maxStringLength: 100_000 });
        for (let i = 0; i < 120; i++) a.info({ i }, 'a'.repeat(1000));
        // while the pipe is full: a line too big for the room left, then small lines that must stay behind it
        a.info({ i: 120 }, 'a'.repeat(1000).repeat(30));
        for (let i = 121; i < 126; i++) a.info({ i }, 'a'.repeat(1000));
        await new Promise((r) => setImmediate(r));
        expect(stuck.pending).toBeGreaterThan(0);
        // another sink encodes and writes other text while the first one holds its unwritten rest
        const f = join(dir, 'other.log');
        const other = fdSink({ dest: f, sync: true });
        const b = createLogger({ sink: other, base: null, timestamp: false });
        for (let i = 0; i < 5; i++) b.info({ j: i }, 'b'.repeat(60_000));
        other.close();
        const got = await drainWhileFlushing(fd, a.flush());
        expect(stuck.dropped).toBe(0);
        const lines = got.trim().split('\n');
        expect(lines.map((l) => JSON.parse(l).i as number)).toEqual([...Array(126).keys()]);
        expect(lines.every((l, i) => JSON.parse(l).msg === 'a'.repeat(1000).repeat(i === 120 ? 30 : 1))).toBe(true);
        stuck.close();
      } finally {
        closeSync(fd);
      }
    });
  }

  it('a write error is reported as ERR_SINK_WRITE, the lines counted as dropped, logging never throws', async () => {
    const f = tmp();
    writeFileSync(f, '');
    const fd = openSync(f, 'r'); // read-only: writes fail with EBADF
    const sink = fdSink({ dest: fd, sync: true });
    const errors: unknown[] = [];
    sink.on('error', (e) => errors.push(e));
    const log = createLogger({ sink });
    expect(() => log.info('x')).not.toThrow();
    expect(sink.dropped).toBe(1);
    expect(isLoggerError(errors[0])).toBe(true);
    expect((errors[0] as { code: string }).code).toBe('ERR_SINK_WRITE');
    closeSync(fd);
  });

  it('lines after close are dropped and counted; flushAllSync skips closed sinks', () => {
    const f = tmp();
    const sink = fdSink({ dest: f, sync: true });
    sink.close();
    createLogger({ sink }).info('late');
    flushAllSync();
    expect(sink.dropped).toBe(1);
    expect(read(f)).toBe('');
  });

  it('validates options naming them', () => {
    expect(() => fdSink({ minLength: -1 })).toThrow('fdSink: minLength must be an integer >= 0, got -1');
    expect(() => fdSink({ minLength: 10, maxLength: 5 })).toThrow(/minLength \(10\) must not exceed maxLength \(5\)/);
    expect(() => fdSink({ dest: '' })).toThrow(/dest must be/);
    expect(() => fdSink({ sync: 'yes' as never })).toThrow(/sync must be a boolean/);
    let err: unknown;
    try {
      fdSink({ dest: join(dir, 'no', 'such', 'dir', 'x.log') });
    } catch (e) {
      err = e;
    }
    expect(isLoggerError(err) && err.code).toBe('ERR_SINK_OPEN');
    const s = fdSink({ dest: join(dir, 'made', 'x.log'), mkdir: true, sync: true });
    s.close();
    expect(FD_SINK_DEFAULTS.maxLength).toBe(16 * 1024 * 1024);
  });
});

describe('pino-pretty reads the output', () => {
  it('formats levels, message, fields and errors', async () => {
    const require = createRequire(import.meta.url);
    const { prettyFactory } = require('pino-pretty') as {
      prettyFactory: (o: object) => (line: string) => string;
    };
    const pretty = prettyFactory({ colorize: false });
    const f = tmp();
    const sink = fdSink({ dest: f, sync: true });
    const log = createLogger({ sink, name: 'api' });
    log.child({ reqId: 'r1' }).warn({ userId: 7 }, 'slow request');
    log.error(new Error('kaput'), 'it failed');
    sink.close();
    const [a, b] = read(f).trim().split('\n').map(pretty);
    expect(a).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] WARN \(api\/\d+\): slow request/);
    expect(a).toContain('reqId: "r1"');
    expect(a).toContain('userId: 7');
    expect(b).toMatch(/ERROR.*it failed/);
    expect(b).toContain('Error: kaput');
    // label levels and ISO time are read too
    const lines: string[] = [];
    createLogger({ sink: (l) => lines.push(l), levelFormat: 'label', timestamp: 'iso' }).info('labelled');
    expect(pretty(lines[0]!)).toMatch(/INFO.*labelled/);
  });
});

// Reliability proofs: real child processes; every line must be in the file.
const fixture = join(import.meta.dirname, '..', 'test', 'fixtures', 'child.ts');
function runChild(scenario: string, file: string, onReady?: (c: ChildProcess) => void) {
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve, reject) => {
    const c = spawn(process.execPath, ['--import', 'tsx', fixture, scenario, file], {
      cwd: join(import.meta.dirname, '..'),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.add(c);
    let stderr = '';
    c.stderr.on('data', (d) => (stderr += d));
    c.stdout.on('data', (d) => {
      if (String(d).includes('ready')) onReady?.(c);
    });
    c.on('error', reject);
    c.on('exit', (code, signal) => {
      children.delete(c);
      resolve({ code, signal, stderr });
    });
  });
}
function expectAll(file: string, count: number): void {
  const lines = read(file).trim().split('\n');
  expect(lines).toHaveLength(count);
  lines.forEach((l, i) => {
    expect(JSON.parse(l).i).toBe(i);
  });
}

describe('reliability proofs (child processes)', () => {
  it('100,000 lines then process.exit(1): all in the file, plus a line logged by a later exit listener', async () => {
    const f = tmp();
    const r = await runChild('exit', f);
    expect(r.code).toBe(1);
    expectAll(f, 100_001);
  });

  it('uncaught throw: all lines in the file and Node still reports the error', async () => {
    const f = tmp();
    const r = await runChild('throw', f);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('uncaught boom');
    expectAll(f, 10_000);
  });

  it('SIGTERM with a handler that logs and exits: all lines, including the handler line', async () => {
    const f = tmp();
    const r = await runChild('sigterm-handler', f, (c) => c.kill('SIGTERM'));
    expect(r.code).toBe(0);
    expectAll(f, 10_001);
  });

  it('SIGTERM without a handler, flushOnSignals(): all lines, and the process still dies of SIGTERM', async () => {
    const f = tmp();
    const r = await runChild('sigterm-default', f, (c) => c.kill('SIGTERM'));
    expect(r.signal).toBe('SIGTERM');
    expectAll(f, 10_000);
  });

  it('fatal flushes synchronously: all lines survive a SIGKILL right after it', async () => {
    const f = tmp();
    const r = await runChild('fatal-kill', f);
    expect(r.signal).toBe('SIGKILL');
    expectAll(f, 10_001);
  });
});
