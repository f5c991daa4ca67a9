/** Level names, lowest to highest. `silent` disables everything. */
export type LevelName = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

/** Structured fields attached to a line. */
export type Fields = Record<string, unknown>;

/**
 * A log method. Accepts `(msg, fields?)`, pino's `(fields, msg?)`, an Error in place of fields (logged under
 * `errorKey`, its message used when no msg is given) and lazy fields `() => fields`, only called when the level is on.
 */
export interface LogFn {
  (msg: string, fields?: Fields | Error | (() => Fields)): void;
  (fields: Fields | Error | (() => Fields), msg?: string): void;
}

/** Where lines go. `write` receives one complete NDJSON line (ending in `\n`) and its numeric level. */
export interface Sink {
  /** Called once per line, synchronously. */
  write(line: string, level: number): void;
  /** Pushes buffered lines to the destination; resolves once written. */
  flush?(): void | Promise<void>;
  /** Pushes buffered lines to the destination before returning (used on fatal and at exit). */
  flushSync?(): void;
}

/** Timer returned by `log.startTimer()`. */
export interface Timer {
  /** Milliseconds since the timer started. */
  elapsed(): number;
  /** Logs `msg` with `durationMs` (at `level`, default info) and returns the duration in ms. */
  done(msg?: string, fields?: Fields, level?: Exclude<LevelName, 'silent'>): number;
}

/**
 * A record of fixed keys and message, made once with `log.prepare(keys, msg)` and written with positional values:
 * `rec.info(a, b)` writes exactly the line `log.info({ [keys[0]]: a, [keys[1]]: b }, msg)` would, without building
 * and walking a fields object (for a line written on every request). An `undefined` value leaves its key out; values
 * beyond the keys are ignored. The logger's level, bindings, redaction, serializers and context apply as usual.
 */
export interface PreparedRecord {
  trace(...values: unknown[]): void;
  debug(...values: unknown[]): void;
  info(...values: unknown[]): void;
  warn(...values: unknown[]): void;
  error(...values: unknown[]): void;
  /** Writes, then flushes the sink synchronously, as `log.fatal` does. */
  fatal(...values: unknown[]): void;
}

/** A logger. Every method is safe to call with any input: logging never throws on bad data. */
export interface Logger {
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  /** Logs then flushes the sink synchronously (`flushSync`), so the line survives an immediate exit. */
  fatal: LogFn;
  /** Current level name. */
  readonly level: LevelName;
  /** Changes this logger's level (children created earlier keep theirs). */
  setLevel(level: LevelName): void;
  /** True when a line at `level` would be written. */
  isLevelEnabled(level: LevelName): boolean;
  /** A logger whose lines all carry `bindings` (serialised once, here; later keys override earlier ones). */
  child(bindings: Fields, options?: ChildOptions): Logger;
  /** A copy of the bindings (base, name and child bindings) of this logger. */
  bindings(): Fields;
  /** Starts a named timing; the returned function logs `label` with `durationMs` and returns the duration. */
  time(label: string, level?: Exclude<LevelName, 'silent'>): (fields?: Fields) => number;
  /** Starts an anonymous timer. */
  startTimer(): Timer;
  /**
   * A record of these keys and this message, written with positional values (see {@link PreparedRecord}).
   * @throws {TypeError} when `keys` is not an array of strings or `msg` is neither a string nor undefined.
   */
  prepare(keys: readonly string[], msg?: string): PreparedRecord;
  /** Resolves once every line logged so far has reached the sink's destination. */
  flush(): Promise<void>;
  /** Writes buffered lines synchronously. */
  flushSync(): void;
}

/** Options of `log.child()`. */
export interface ChildOptions {
  /** Level of the child. Default: the parent's level at creation. */
  level?: LevelName;
}

/** Redaction settings. */
export interface RedactOptions {
  /** Paths: `a.b`, `a["x-y"]`, `a[0]`, `*` (any one key), `**` (any depth, including none). */
  paths: readonly string[];
  /** Replacement text. Default `'[Redacted]'`. */
  censor?: string;
  /** Remove the key instead of censoring it. Default false. */
  remove?: boolean;
  /** Match keys case-insensitively (`authorization` matches `Authorization`). Default false. */
  caseInsensitive?: boolean;
}

/** Options of `createLogger()`. */
export interface LoggerOptions {
  /** Minimum level written. Default `'info'`. */
  level?: LevelName;
  /** Adds `"name"` to every line. */
  name?: string;
  /** Fields on every line. Default `{ pid, hostname }` where the runtime has them; `null` for none. */
  base?: Fields | null;
  /** Paths to censor, or full redaction settings. */
  redact?: readonly string[] | RedactOptions;
  /** Functions applied to top-level fields by key (e.g. `req`, `err`) before serialisation. */
  serializers?: Record<string, (value: any) => unknown>;
  /** Destination: a sink or a `write(line, level)` function. Default: the console sink. */
  sink?: Sink | ((line: string, level: number) => void);
  /** `'epoch'` (ms number, pino's default), `'iso'` (ISO-8601 string), `false` (none) or a function. Default `'epoch'`. */
  timestamp?: 'epoch' | 'iso' | false | (() => number | string);
  /** `'number'` (pino's 30) or `'label'` (`"info"`). Default `'number'`. */
  levelFormat?: 'number' | 'label';
  /** Key of the message. Default `'msg'`. */
  messageKey?: string;
  /** Key under which an Error passed in place of fields is logged. Default `'err'`. */
  errorKey?: string;
  /** Merge `withContext()` fields into lines (true), ignore them (false), or read them from a function. Default true. */
  context?: boolean | (() => Fields | undefined);
  /** Objects nested deeper are written as `"[Object]"`. Default 10. */
  maxDepth?: number;
  /** Keys written per object; the rest are summarised. Default 200. */
  maxKeys?: number;
  /** Items written per array; the rest are summarised. Default 200. */
  maxArrayLength?: number;
  /** Strings longer than this are truncated (with a marker). Default 16384. */
  maxStringLength?: number;
  /**
   * Once a line's fields reach this many characters, the rest of every nested object and array is summarised as
   * maxKeys and maxArrayLength do (`"…": "N more keys"`, `"[…N more items]"`); top-level fields stay bounded by
   * maxKeys and maxStringLength. Shared sub-objects are written each time they occur, so without this bound a small
   * object graph could expand exponentially. Default 1048576.
   */
  maxLineLength?: number;
  /** Wall clock in ms for `time`. Default `Date.now`. */
  clock?: () => number;
  /** Monotonic clock in ms for `time()`/`startTimer()`. Default `performance.now`. */
  timerClock?: () => number;
}
