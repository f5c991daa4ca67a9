/** Calls `unref()` on a timer handle where the runtime has it (Node, Bun); a no-op elsewhere. */
import { invalidOption } from '../errors.js';
export function unref<T>(timer: T): T {
  (timer as { unref?: () => void } | undefined)?.unref?.();
  return timer;
}

/** Validates a duration option: finite number >= min. */
export function duration(where: string, name: string, value: unknown, min = 0): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw invalidOption(RangeError, `${where}: ${name} must be a finite number >= ${min}, got ${describe(value)}`);
  }
  return value;
}

const MAX_TEXT = 1000;
const clip = (s: string): string => (s.length > MAX_TEXT ? `${s.slice(0, MAX_TEXT)}…` : s);

/** `String(value)` that never throws (Symbol.toPrimitive, toString or a Proxy trap may), clipped to 1000 chars. */
export function safeString(value: unknown): string {
  try {
    return clip(String(value));
  } catch {
    return '[unprintable]';
  }
}

/** Formats a value for an error message or a check's output; never throws. */
export function describe(value: unknown): string {
  try {
    if (typeof value === 'string') return clip(JSON.stringify(value));
    if (typeof value === 'function') return 'a function';
    if (typeof value === 'bigint') return `${value}n`;
    if (Array.isArray(value)) return clip(`[${value.map(describe).join(', ')}]`);
  } catch {
    return '[unprintable]';
  }
  return safeString(value);
}

/** The message of anything thrown, without stack; never throws (revoked Proxies, throwing getters). */
export function messageOf(e: unknown): string {
  try {
    if (e instanceof Error) {
      const m: unknown = e.message;
      if (typeof m === 'string' && m !== '') return clip(m);
      return safeString(e.name);
    }
  } catch {
    return '[unreadable error]';
  }
  if (typeof e === 'string') return clip(e);
  return safeString(e);
}
