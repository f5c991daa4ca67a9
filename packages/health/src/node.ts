/**
 * @org/health/node — Node-only checks (event-loop delay, memory, disk space, CPU, HTTP via undici, TCP) and graceful
 * shutdown of a node:http server.
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
export type { CpuCheckOptions, DiskSpaceCheckOptions } from './system-checks.js';
export { cpuCheck, diskSpaceCheck } from './system-checks.js';
