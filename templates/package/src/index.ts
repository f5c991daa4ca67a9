/**
 * @org/template — the shape every package follows. Copy this folder, rename, and replace the example.
 *
 * Conventions shown here: a factory (not a constructor), one options object with typed defaults validated once,
 * errors with a stable `code` and a brand-based guard, `on()` events returning an unsubscribe function and costing
 * nothing when nobody listens, injectable clock.
 */

export { isTemplateError, TemplateError } from './errors.js';
export type { Stopwatch, StopwatchEvents, StopwatchOptions } from './stopwatch.js';
export { createStopwatch, STOPWATCH_DEFAULTS } from './stopwatch.js';
