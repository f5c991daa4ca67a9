/** @org/logger — Fast structured JSON logging, pino-compatible output, loses nothing on exit. */
export const VERSION_PLACEHOLDER: string = '0.0.0';
