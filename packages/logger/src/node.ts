/**
 * @org/logger/node — Node-only parts: the buffered file-descriptor sink and exit hooks that flush it synchronously on
 * `process.exit()`, on an uncaught exception and (opt-in) on termination signals.
 */
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { invalidArgument, invalidOption, LoggerError } from './errors.js';
import type { Sink } from './types.js';

/** Options of {@link fdSink}. */
export interface FdSinkOptions {
  /** A file descriptor (1 = stdout, 2 = stderr) or a file path (opened for append). Default 1. */
  dest?: number | string;
  /**
   * true: a write happens inside the log call as soon as `minLength` characters are buffered (with the default
   * `minLength: 0`, every line is in the kernel before `log.info()` returns). false: writes happen off the call path,
   * batched once per event-loop turn (or at once when `maxWrite` characters are pending). Default false.
   */
  sync?: boolean;
  /** Characters to accumulate before a write is started; below it, a timer flushes after `flushIntervalMs`. Default 0. */
  minLength?: number;
  /** Buffered characters above which new lines are dropped (and counted) while the destination cannot keep up. Default 16 MiB. */
  maxLength?: number;
  /** Async mode: pending characters that trigger an immediate write instead of waiting for the next turn. Default 65536. */
  maxWrite?: number;
  /** Flush delay for data below `minLength`, in ms (the timer is unref'd). Default 100. */
  flushIntervalMs?: number;
  /** Create the parent directory of a `dest` path. Default false. */
  mkdir?: boolean;
  /** Append to a `dest` path (false truncates it). Default true. */
  append?: boolean;
  /** Flush synchronously on process `exit` and on uncaught exceptions. Default true. */
  exitHooks?: boolean;
  /**
   * How long a flush keeps retrying a destination that answers EAGAIN without accepting anything, in ms
   * (`flushSync` sleeps between attempts, `flush()` does not block). Default 5000.
   */
  retryTimeoutMs?: number;
}

/** Events of an {@link FdSink}. */
export interface FdSinkEvents {
  /** A line was dropped (buffer over `maxLength`, write error, or sink closed). */
  drop: { dropped: number };
  /** A write failed with something other than EAGAIN; buffered lines were dropped. */
  error: LoggerError;
}

/** The buffered file-descriptor sink. */
export interface FdSink extends Sink {
  /** The file descriptor written to. */
  readonly fd: number;
  /** Lines dropped so far (never silently: this counter and the `drop` event). */
  readonly dropped: number;
  /** Characters buffered and not yet written. */
  readonly pending: number;
  /** Writes everything buffered; resolves once written (retrying EAGAIN without blocking the event loop). */
  flush(): Promise<void>;
  /** Writes everything buffered before returning. */
  flushSync(): void;
  /** Flushes, stops the timers, closes the file when the sink opened it. Later lines are dropped. */
  close(): void;
  /** Subscribes to an event; returns the unsubscribe function. */
  on<E extends keyof FdSinkEvents>(event: E, listener: (e: FdSinkEvents[E]) => void): () => void;
}

/** Defaults applied by {@link fdSink}. */
export const FD_SINK_DEFAULTS: Readonly<Required<Omit<FdSinkOptions, 'dest'>> & { dest: number }> = Object.freeze({
  dest: 1,
  sync: false,
  minLength: 0,
  maxLength: 16 * 1024 * 1024,
  maxWrite: 65_536,
  flushIntervalMs: 100,
  mkdir: false,
  append: true,
  exitHooks: true,
  retryTimeoutMs: 5000,
});

const sleepCell = new Int32Array(new SharedArrayBuffer(4));
const sleep = (ms: number): void => {
  Atomics.wait(sleepCell, 0, 0, ms);
};

/**
 * One encoding buffer shared by every sink (writes are synchronous, so it is free again when `writeSync` returns): a
 * flush encodes into it instead of allocating a Buffer per write (figures in BENCHMARKS.md). Sized for `maxWrite` characters at the worst UTF-8 expansion (3 bytes per UTF-16 unit); longer
 * text gets a Buffer of its own.
 */
let SCRATCH: Buffer | null = null;
const SCRATCH_CHARS = FD_SINK_DEFAULTS.maxWrite;

/** UTF-8 bytes of `s`: a view of the shared scratch buffer when it fits, else a new Buffer. */
function encode(s: string): Buffer {
  if (s.length > SCRATCH_CHARS) return Buffer.from(s, 'utf8');
  SCRATCH ??= Buffer.allocUnsafeSlow(SCRATCH_CHARS * 3);
  return SCRATCH.subarray(0, SCRATCH.write(s, 0, 'utf8'));
}

const live = new Set<FdSinkImpl>();
let hooksInstalled = false;

/** Synchronously flushes every fd sink of this module that has not been closed. Safe to call at any time. */
export function flushAllSync(): void {
  for (const s of live) {
    try {
      s.flushSync();
    } catch {}
  }
}

/** At exit: flush, then write every later line (from exit listeners registered after ours) straight through. */
function onExit(): void {
  for (const s of live) s.finalMode();
  flushAllSync();
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', onExit);
  // The monitor runs before Node reports the exception and exits, and does not change that behaviour.
  process.on('uncaughtExceptionMonitor', flushAllSync);
}

/** Options of {@link flushOnSignals}. */
export interface SignalOptions {
  /** Signals to watch. Default `['SIGTERM', 'SIGINT']`. */
  signals?: readonly NodeJS.Signals[];
}

/**
 * On each signal, flushes every fd sink synchronously. When no other listener handles the signal, the process then
 * terminates the way it would have without this hook (the signal is re-raised). Returns a function that uninstalls it.
 */
export function flushOnSignals(opts: SignalOptions = {}): () => void {
  const signals = opts.signals ?? ['SIGTERM', 'SIGINT'];
  if (!Array.isArray(signals))
    throw invalidOption(TypeError, 'logger: flushOnSignals signals must be an array of signal names');
  const handlers = new Map<NodeJS.Signals, () => void>();
  for (const sig of signals) {
    const h = (): void => {
      flushAllSync();
      if (process.listenerCount(sig) === 1) {
        process.removeListener(sig, h);
        process.kill(process.pid, sig);
      }
    };
    handlers.set(sig, h);
    process.on(sig, h);
  }
  return () => {
    for (const [sig, h] of handlers) process.removeListener(sig, h);
  };
}

function intOpt(o: FdSinkOptions, k: keyof typeof FD_SINK_DEFAULTS, min: number): number {
  const v = o[k] ?? FD_SINK_DEFAULTS[k];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
    throw invalidOption(RangeError, `fdSink: ${k} must be an integer >= ${min}, got ${String(v)}`);
  }
  return v;
}

class FdSinkImpl implements FdSink {
  fd: number;
  dropped = 0;
  /** Buffered text not yet handed to the kernel. */
  private buf = '';
  private lines = 0;
  /** Bytes left from a partial write, written before `buf`. */
  private head: Buffer | null = null;
  private sync: boolean;
  private minLength: number;
  private readonly maxLength: number;
  private readonly maxWrite: number;
  private readonly intervalMs: number;
  private readonly retryMs: number;
  private readonly ownsFd: boolean;
  private closed = false;
  private immediate: ReturnType<typeof setImmediate> | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private dropListeners: Array<(e: FdSinkEvents['drop']) => void> | null = null;
  private errorListeners: Array<(e: FdSinkEvents['error']) => void> | null = null;
  private lastError: LoggerError | null = null;
  private readonly onImmediate = (): void => {
    this.immediate = null;
    this.flushNow(false);
  };
  private readonly onTimer = (): void => {
    this.timer = null;
    this.flushNow(false);
  };

  constructor(o: FdSinkOptions) {
    if (typeof o !== 'object' || o === null) throw invalidOption(TypeError, 'fdSink: options must be an object');
    this.sync = o.sync ?? FD_SINK_DEFAULTS.sync;
    if (typeof this.sync !== 'boolean')
      throw invalidOption(TypeError, `fdSink: sync must be a boolean, got ${String(o.sync)}`);
    this.minLength = intOpt(o, 'minLength', 0);
    this.maxLength = intOpt(o, 'maxLength', 1);
    this.maxWrite = intOpt(o, 'maxWrite', 1);
    this.intervalMs = intOpt(o, 'flushIntervalMs', 1);
    this.retryMs = intOpt(o, 'retryTimeoutMs', 0);
    if (this.minLength > this.maxLength) {
      throw invalidOption(
        RangeError,
        `fdSink: minLength (${this.minLength}) must not exceed maxLength (${this.maxLength})`,
      );
    }
    const dest = o.dest ?? FD_SINK_DEFAULTS.dest;
    if (typeof dest === 'number') {
      if (!Number.isInteger(dest) || dest < 0)
        throw invalidOption(RangeError, `fdSink: dest must be a fd >= 0 or a path, got ${dest}`);
      this.fd = dest;
      this.ownsFd = false;
    } else if (typeof dest === 'string' && dest !== '') {
      try {
        if (o.mkdir === true) mkdirSync(dirname(dest), { recursive: true });
        this.fd = openSync(dest, (o.append ?? true) ? 'a' : 'w');
      } catch (e) {
        throw new LoggerError('ERR_SINK_OPEN', `fdSink: cannot open dest "${dest}"`, { cause: e });
      }
      this.ownsFd = true;
    } else {
      throw invalidOption(TypeError, `fdSink: dest must be a file descriptor or a non-empty path, got ${String(dest)}`);
    }
    live.add(this);
    if (o.exitHooks ?? FD_SINK_DEFAULTS.exitHooks) installHooks();
  }

  get pending(): number {
    return this.buf.length + (this.head?.length ?? 0);
  }

  write(line: string): void {
    const len = this.buf.length + line.length;
    if (len > this.maxLength || this.closed) {
      this.drop(1);
      return;
    }
    this.buf += line;
    this.lines++;
    if (this.sync) {
      if (len >= this.minLength) this.flushNow(true);
      else if (this.timer === null) this.armTimer();
    } else if (len >= this.maxWrite) {
      this.flushNow(false);
    } else if (len >= this.minLength) {
      if (this.immediate === null) this.immediate = setImmediate(this.onImmediate);
    } else if (this.timer === null) {
      this.armTimer();
    }
  }

  private armTimer(): void {
    const t = setTimeout(this.onTimer, this.intervalMs);
    t.unref?.();
    this.timer = t;
  }

  private drop(n: number): void {
    this.dropped += n;
    const ls = this.dropListeners;
    if (ls !== null) for (const l of ls) l({ dropped: this.dropped });
  }

  /**
   * Hands buffered data to the kernel. `block`: on EAGAIN, sleep and retry up to retryTimeoutMs; otherwise leave the
   * data buffered and retry on a timer. Returns true when nothing is left.
   */
  private flushNow(block: boolean): boolean {
    // An armed flush timer is left to fire (it finds little or nothing to write): clearing it here and arming a new one
    // for the next line cost a timer per write batch, about 400 instructions per request line in a server (callgrind).
    let deadline = 0;
    for (;;) {
      let chunk = this.head;
      let fromBuf = false;
      let scratch = false;
      if (chunk === null) {
        if (this.buf.length === 0) return true;
        chunk = encode(this.buf);
        fromBuf = true;
        scratch = chunk.buffer === SCRATCH?.buffer;
      }
      try {
        const n = writeSync(this.fd, chunk);
        if (fromBuf) this.buf = '';
        // what the kernel did not take must outlive the shared scratch buffer
        this.head = n < chunk.length ? (scratch ? Buffer.from(chunk.subarray(n)) : chunk.subarray(n)) : null;
        if (this.head === null && this.buf.length === 0) this.lines = 0;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK' || code === 'EBUSY') {
          if (fromBuf) {
            // keep the encoded bytes so the retry does not re-encode
            this.head = scratch ? Buffer.from(chunk) : chunk;
            this.buf = '';
          }
          if (block) {
            if (deadline === 0) deadline = Date.now() + this.retryMs;
            if (Date.now() < deadline) {
              sleep(1);
              continue;
            }
          }
          if (this.timer === null && !this.closed) this.armTimer();
          return false;
        }
        this.fail(e);
        return false;
      }
    }
  }

  private fail(e: unknown): void {
    const lost = Math.max(this.lines, this.head !== null || this.buf.length > 0 ? 1 : 0);
    this.buf = '';
    this.head = null;
    this.lines = 0;
    const err = new LoggerError('ERR_SINK_WRITE', `fdSink: write to fd ${this.fd} failed`, { cause: e });
    this.lastError = err;
    if (lost > 0) this.drop(lost);
    const ls = this.errorListeners;
    if (ls !== null) for (const l of ls) l(err);
  }

  /** @internal The process is exiting: no more event-loop turns, so every line is written in the call. */
  finalMode(): void {
    this.sync = true;
    this.minLength = 0;
  }

  flushSync(): void {
    if (this.immediate !== null) {
      clearImmediate(this.immediate);
      this.immediate = null;
    }
    this.flushNow(true);
  }

  async flush(): Promise<void> {
    if (this.immediate !== null) {
      clearImmediate(this.immediate);
      this.immediate = null;
    }
    const before = this.lastError;
    // Gives up only after retryTimeoutMs without any progress.
    let deadline = Date.now() + this.retryMs;
    let left = this.pending;
    while (!this.flushNow(false)) {
      if (this.lastError !== before) throw this.lastError;
      const now = Date.now();
      if (this.pending < left) {
        left = this.pending;
        deadline = now + this.retryMs;
      } else if (now > deadline) {
        throw new LoggerError('ERR_SINK_TIMEOUT', `fdSink: fd ${this.fd} accepted no data for ${this.retryMs} ms`);
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    if (this.lastError !== before) throw this.lastError;
  }

  close(): void {
    if (this.closed) return;
    this.flushSync();
    this.closed = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    live.delete(this);
    if (this.ownsFd) {
      try {
        closeSync(this.fd);
      } catch {}
    }
  }

  on<E extends keyof FdSinkEvents>(event: E, listener: (e: FdSinkEvents[E]) => void): () => void {
    if (event !== 'drop' && event !== 'error')
      throw invalidArgument(TypeError, `fdSink: unknown event ${String(event)}`);
    const key = event === 'drop' ? 'dropListeners' : 'errorListeners';
    const l = listener as (e: unknown) => void;
    this[key] = [...(this[key] ?? []), l] as never;
    return () => {
      const next = ((this[key] ?? []) as Array<(e: unknown) => void>).filter((x) => x !== l);
      this[key] = (next.length ? next : null) as never;
    };
  }
}

/**
 * Creates the buffered file-descriptor sink. Nothing is in flight outside the log call and the flush points: every
 * write is a synchronous `write(2)` made either in the call (sync mode) or in a batch once per event-loop turn
 * (default), so `flushSync()` at exit always writes everything that is left.
 * @throws {RangeError|TypeError} naming the option when an option is invalid.
 * @throws {LoggerError} `ERR_SINK_OPEN` when `dest` cannot be opened.
 */
export function fdSink(opts: FdSinkOptions = {}): FdSink {
  return new FdSinkImpl(opts);
}
