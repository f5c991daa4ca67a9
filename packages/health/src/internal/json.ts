// Whatever a check returns ends up in a JSON document served to any caller: it is copied here once, when the result
// is recorded, into plain JSON data that JSON.stringify cannot choke on (BigInt, cycles, throwing getters and toJSON,
// revoked Proxies) and whose size is bounded. Conventions match @org/logger's serialiser.
import { messageOf, safeString } from './util.js';

const MAX_DEPTH = 8;
const MAX_ITEMS = 100;
const MAX_STRING = 2000;

const thrown = (e: unknown): string => `[Throws: ${messageOf(e)}]`;
const str = (s: string): string => (s.length > MAX_STRING ? `${s.slice(0, MAX_STRING)}…` : s);

/** Reads `o[k]`; a throwing getter or trap yields its `[Throws: …]` text instead. */
export function read(o: object, k: string): unknown {
  try {
    return (o as Record<string, unknown>)[k];
  } catch (e) {
    return thrown(e);
  }
}

/**
 * A JSON-safe copy of any value, or `undefined` where JSON omits it (undefined, functions, symbols). BigInt and
 * non-finite numbers become strings, cycles `[Circular]`, what throws `[Throws: message]`; Errors keep name and
 * message only (no stack); depth, entries and strings are capped.
 */
export function toJson(v: unknown, depth = 0, seen: object[] = []): unknown {
  switch (typeof v) {
    case 'string':
      return str(v);
    case 'number':
      return Number.isFinite(v) ? v : String(v);
    case 'boolean':
      return v;
    case 'bigint':
      return v.toString();
    case 'object':
      return v === null ? null : object(v, depth, seen);
    default:
      return undefined;
  }
}

function object(v: object, depth: number, seen: object[]): unknown {
  if (seen.includes(v)) return '[Circular]';
  let isArray: boolean;
  try {
    isArray = Array.isArray(v);
  } catch (e) {
    return thrown(e); // a revoked Proxy
  }
  if (depth >= MAX_DEPTH) return isArray ? '[Array]' : '[Object]';
  seen.push(v);
  try {
    if (isArray) return array(v as unknown[], depth, seen);
    if (v instanceof Error) return { name: safeString(read(v, 'name')), message: messageOf(v) };
    const toJSON = read(v, 'toJSON');
    if (typeof toJSON === 'function') {
      let r: unknown;
      try {
        r = toJSON.call(v);
      } catch (e) {
        return thrown(e);
      }
      return r === v ? plain(v, depth, seen) : toJson(r, depth + 1, seen);
    }
    if (v instanceof Map)
      return plain(Object.fromEntries([...v].slice(0, MAX_ITEMS).map(([k, x]) => [safeString(k), x])), depth, seen);
    if (v instanceof Set) return array([...v].slice(0, MAX_ITEMS), depth, seen);
    return plain(v, depth, seen);
  } catch (e) {
    return thrown(e);
  } finally {
    seen.pop();
  }
}

function array(a: unknown[], depth: number, seen: object[]): unknown[] {
  const n = Math.min(a.length, MAX_ITEMS);
  const out: unknown[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = toJson(read(a, String(i)), depth + 1, seen) ?? null;
  if (a.length > n) out.push(`[…${a.length - n} more items]`);
  return out;
}

function plain(o: object, depth: number, seen: object[]): Record<string, unknown> {
  const keys = Object.keys(o);
  const out: Record<string, unknown> = {};
  const n = Math.min(keys.length, MAX_ITEMS);
  for (let i = 0; i < n; i++) {
    const k = keys[i] as string;
    const x = toJson(read(o, k), depth + 1, seen);
    // defineProperty: a key named "__proto__" stays a plain key
    if (x !== undefined)
      Object.defineProperty(out, k, { value: x, enumerable: true, writable: true, configurable: true });
  }
  if (keys.length > n) out['…'] = `${keys.length - n} more keys`;
  return out;
}
