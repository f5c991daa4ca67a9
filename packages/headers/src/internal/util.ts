/** A `[name, value]` header pair. */
import { invalidOption } from '../errors.js';
export type Entry = readonly [string, string];

/** Renders a value for an error message without risking a throw (symbols, cycles). */
export function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'function') return 'a function';
  if (Array.isArray(v)) return `[${v.map(show).join(', ')}]`;
  if (v instanceof RegExp) return String(v);
  if (typeof v === 'object' && v !== null) {
    try {
      return JSON.stringify(v);
    } catch {
      return 'an object';
    }
  }
  return String(v);
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Visible ASCII, space and tab only: no CR, LF, NUL or other control characters, no obs-text.
const SAFE_VALUE = /^[\t\x20-\x7e]*$/;

/** Throws a TypeError unless `name` is an RFC 9110 token. */
export function checkHeaderName(where: string, name: unknown): string {
  if (typeof name !== 'string' || !TOKEN.test(name)) {
    throw invalidOption(TypeError, `${where}: header name must be an HTTP token, got ${show(name)}`);
  }
  return name;
}

/** Throws a TypeError when `value` could split or corrupt a header (CR, LF, NUL, other controls). */
export function checkHeaderValue(where: string, value: unknown): string {
  if (typeof value !== 'string') throw invalidOption(TypeError, `${where}: must be a string, got ${show(value)}`);
  if (!SAFE_VALUE.test(value)) {
    throw invalidOption(TypeError, `${where}: must not contain CR, LF or other control characters, got ${show(value)}`);
  }
  if (value !== value.trim())
    throw invalidOption(TypeError, `${where}: must not start or end with whitespace, got ${show(value)}`);
  return value;
}

/** True for a plain object (not an array, not null, not a class instance such as a Map). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

const ORIGIN =
  /^([a-z][a-z0-9+.-]*):\/\/(\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*)(?::(\d{1,5}))?$/;

/**
 * Parses a serialized origin (`scheme://host[:port]`, lowercase, no path, no trailing slash, no credentials).
 * Returns undefined when `s` is not one.
 */
export function parseOrigin(s: string): { scheme: string; host: string; port: string | undefined } | undefined {
  const m = ORIGIN.exec(s);
  if (!m) return undefined;
  const port = m[3];
  if (port !== undefined && (Number(port) > 65535 || port.startsWith('0'))) return undefined;
  return { scheme: m[1]!, host: m[2]!, port };
}

/** Deep-freezes an array of entries (the array and every pair). */
export function freezeEntries(list: Entry[]): readonly Entry[] {
  for (const e of list) Object.freeze(e);
  return Object.freeze(list);
}
