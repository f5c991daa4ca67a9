// The one clock the adapters read: request start, X-Response-Time, the log line's duration, deadlines.

const perf = globalThis.performance;

/** `performance.now()` with the global read once (Node's `performance` global is an accessor). */
export const now = (): number => perf.now();

const MS_PAD = ['000', '00', '0', ''];

/** `X-Response-Time` value from a duration in ms, three decimals, e.g. `1.234ms`; `toFixed(3)` out of 0..1e12 ms. */
export function formatResponseTime(ms: number): string {
  const u = Math.round(ms * 1000);
  if (!(u >= 0 && u < 1e15)) return `${ms.toFixed(3)}ms`;
  const i = Math.floor(u / 1000);
  const f = `${u - i * 1000}`;
  return `${i}.${MS_PAD[f.length]!}${f}ms`;
}
