/**
 * @org/health/node — Node-only checks (event-loop delay, memory, HTTP via undici, TCP) and graceful shutdown of a
 * node:http server.
 */

export type {
  BuiltinCheckOptions,
  EventLoopDelayCheckOptions,
  HttpCheckOptions,
  MemoryCheckOptions,
  TcpCheckOptions,
} from './node-checks.js';
export { eventLoopDelayCheck, httpCheck, memoryCheck, tcpCheck } from './node-checks.js';
export type {
  Drainable,
  GracefulShutdownOptions,
  ShutdownController,
  ShutdownEvents,
  ShutdownHook,
  ShutdownPhase,
  ShutdownReport,
} from './shutdown.js';
export { gracefulShutdown, SHUTDOWN_DEFAULTS } from './shutdown.js';
