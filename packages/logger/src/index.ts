/**
 * @org/logger — fast structured JSON logging with pino-compatible NDJSON output. This entry runs on any runtime
 * (Node, Bun, Deno, browsers, edge workers); Node's buffered file-descriptor sink and exit hooks are in
 * `@org/logger/node`.
 */

export { getContext, withContext } from './context.js';
export type { ErrorCodeInfo, LoggerErrorCode, UsageError } from './errors.js';
export { isLoggerError, LoggerError, loggerErrorCodes } from './errors.js';
export { createLogger, LEVELS, LOGGER_DEFAULTS } from './logger.js';
export type { ConsoleSinkOptions, MemorySink } from './sinks.js';
export { consoleSink, memorySink } from './sinks.js';
export type {
  ChildOptions,
  Fields,
  LevelName,
  LogFn,
  Logger,
  LoggerOptions,
  PreparedRecord,
  RedactOptions,
  Sink,
  Timer,
} from './types.js';
