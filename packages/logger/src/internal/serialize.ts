/**
 * Safe JSON serialisation: never throws, never loops, never expands without bound. Cycles, BigInt, Symbols, throwing
 * getters and Proxies, depth, size and line-length caps, Errors with stack / cause / AggregateError, Map and Set.
 * Redaction is applied while walking.
 */
import { type RState, stepRedaction } from './redact.js';

/** Per-logger serialisation settings (normalised once). */
export interface SerConfig {
  maxDepth: number;
  maxKeys: number;
  maxArrayLength: number;
  maxStringLength: number;
  /** Line position past which nested objects and arrays are summarised (shared structures can expand exponentially). */
  maxLineLength: number;
  /** Pre-serialised censor value. */
  censorJson: string;
  remove: boolean;
  caseInsensitive: boolean;
  /** Top-level key serialisers, or null. */
  serializers: Record<string, (value: any) => unknown> | null;
}

// Characters that JSON needs escaped, plus surrogates (lone ones must become \uXXXX escapes to stay valid UTF-8).
const NEEDS_ESCAPE = /[\u0000-\u001f"\\\ud800-\udfff]/;

/** JSON string literal of `s`, truncated to `max` UTF-16 units (a marker says how much was cut). */
export function str(s: string, max: number): string {
  if (s.length > max) {
    let cut = s.slice(0, max);
    // never split a surrogate pair
    const last = cut.charCodeAt(cut.length - 1);
    if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
    return JSON.stringify(`${cut}…[truncated ${s.length - cut.length} chars]`);
  }
  if (plainText(s)) return `"${s}"`;
  return JSON.stringify(s);
}

/**
 * True when `s` needs no escaping in a JSON string (false also for long text, which JSON.stringify handles best). A
 * char loop for short text (no RegExp call to set up), a RegExp from 12 chars on (faster per char; see BENCHMARKS.md).
 */
export function plainText(s: string): boolean {
  return s.length < 12 ? plainShort(s) : s.length < 256 && !NEEDS_ESCAPE.test(s);
}

const FRACTION_PAD = ['000', '00', '0', ''];

/**
 * JSON text of a finite number, the same text as `String(v)`. Integers and numbers with at most three decimals (a
 * duration in ms rounded to µs, a ratio) take a path that builds the text from integers, about 3x faster than V8's
 * shortest-double printing; anything else is printed by V8.
 */
export function num(v: number): string {
  if (Number.isInteger(v) || !(v > -1e9 && v < 1e9)) return `${v}`;
  const u = Math.round(v * 1000);
  // u / 1000 is the double nearest to the decimal u/1000: when it is v, that decimal (at most 12 significant digits, so
  // no other decimal that short maps to v) is the shortest text that reads back as v, which is what String(v) prints
  if (u / 1000 !== v) return `${v}`;
  const neg = u < 0;
  const a = neg ? -u : u;
  const i = Math.floor(a / 1000);
  let f = `${a - i * 1000}`;
  f = FRACTION_PAD[f.length]! + f;
  let end = 3;
  while (f.charCodeAt(end - 1) === 48) end--;
  return `${neg ? '-' : ''}${i}.${f.slice(0, end)}`;
}

/** True when a short string needs no escaping (a char loop beats a RegExp call on short strings). */
function plainShort(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 32 || c === 34 || c === 92 || (c >= 0xd800 && c <= 0xdfff)) return false;
  }
  return true;
}

/** JSON string literal of a key (keys are never truncated). */
export function keyStr(k: string): string {
  if (plainText(k)) return `"${k}"`;
  return JSON.stringify(k);
}

const toStringTag = Object.prototype.toString;

/** True for Errors, including ones from another realm. */
export function isError(v: object): v is Error {
  return v instanceof Error || toStringTag.call(v) === '[object Error]';
}

/** `[Throws: message]` for anything thrown, including values that throw when looked at. */
export function thrown(e: unknown): string {
  try {
    return `[Throws: ${e instanceof Error ? e.message : String(e)}]`;
  } catch {
    return '[Throws]';
  }
}

/** State of one line's walk. */
export interface Walk {
  /** The objects being serialised, outermost first (cycle detection). */
  seen: object[];
  /** Where in the line the value being serialised starts (the maxLineLength budget). */
  at: number;
}

/** A walk that starts inside `root` (null: at the top). */
export function walk(root: object | null): Walk {
  return { seen: root === null ? [] : [root], at: 0 };
}

function define(o: Record<string, unknown>, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

const isEnumerable = Object.prototype.propertyIsEnumerable;

/**
 * Copies the own enumerable string-keyed properties of `src` into `into` as data properties, never throwing: a key
 * whose read throws gets `"[Throws: …]"`, and when not even the keys can be listed, `errKey` gets the error. For data
 * the fast paths could not read (hostile Proxies, throwing getters), so everything readable is still logged.
 */
export function copyFields(src: object, into: Record<string, unknown>, errKey: string): void {
  let keys: readonly (string | symbol)[];
  let checkEnumerable = false;
  try {
    keys = Object.keys(src);
  } catch {
    // Object.keys fails as a whole when one key's descriptor trap throws: list the keys, then look at each alone
    try {
      keys = Reflect.ownKeys(src);
      checkEnumerable = true;
    } catch (e) {
      define(into, errKey, thrown(e));
      return;
    }
  }
  for (const k of keys) {
    if (typeof k !== 'string') continue;
    let v: unknown;
    try {
      if (checkEnumerable && !isEnumerable.call(src, k)) continue;
      v = (src as Record<string, unknown>)[k];
    } catch (e) {
      v = thrown(e);
    }
    define(into, k, v);
  }
}

/** Array.isArray that answers false for a revoked Proxy instead of throwing. */
export function isArray(v: unknown): v is unknown[] {
  try {
    return Array.isArray(v);
  } catch {
    return false;
  }
}

function read(o: any, k: string | symbol): unknown {
  try {
    return o[k];
  } catch (e) {
    return thrown(e);
  }
}

/** Plain-object view of an Error: type, message, stack, own enumerable fields, `cause`, AggregateError `errors`. */
export function errorToObject(err: Error): Record<string, unknown> {
  // no prototype: an own key named "__proto__" stays a key
  const out = Object.create(null) as Record<string, unknown>;
  let type: unknown;
  try {
    type = err.constructor?.name || err.name;
  } catch {
    type = 'Error';
  }
  out.type = typeof type === 'string' ? type : 'Error';
  out.message = read(err, 'message');
  out.stack = read(err, 'stack');
  let keys: string[] = [];
  try {
    keys = Object.keys(err);
  } catch {}
  for (const k of keys) {
    if (k === 'message' || k === 'stack' || k === 'type') continue;
    out[k] = read(err, k);
  }
  let hasCause = false;
  try {
    hasCause = 'cause' in err;
  } catch {}
  if (hasCause && out.cause === undefined) out.cause = read(err, 'cause');
  if (err instanceof AggregateError || (out.type === 'AggregateError' && isArray(read(err, 'errors')))) {
    out.errors = read(err, 'errors');
  }
  return out;
}

/**
 * Serialises any value; returns undefined for values JSON omits (undefined, functions).
 * `w` is the line's walk state; `red` the redaction state at this position.
 */
export function val(v: unknown, depth: number, red: RState | null, cfg: SerConfig, w: Walk): string | undefined {
  switch (typeof v) {
    case 'string':
      return str(v, cfg.maxStringLength);
    case 'number':
      return Number.isFinite(v) ? num(v) : `"${v}"`;
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      return `"${v}"`;
    case 'symbol':
      return str(v.toString(), cfg.maxStringLength);
    case 'object':
      return v === null ? 'null' : obj(v, depth, red, cfg, w, false);
    default:
      return undefined;
  }
}

/** `json`: v is a toJSON result, whose own toJSON is not called (as JSON.stringify does; it could make another). */
function obj(v: object, depth: number, red: RState | null, cfg: SerConfig, w: Walk, json: boolean): string {
  const seen = w.seen;
  if (seen.includes(v)) return '"[Circular]"';
  let isArr: boolean;
  try {
    isArr = Array.isArray(v);
  } catch {
    return '"[Throws: revoked Proxy]"';
  }
  if (depth >= cfg.maxDepth) return isArr ? '"[Array]"' : '"[Object]"';
  seen.push(v);
  try {
    if (isArr) return arr(v as unknown[], depth, red, cfg, w);
    const proto = Object.getPrototypeOf(v);
    if ((proto === Object.prototype || proto === null) && (json || (v as { toJSON?: unknown }).toJSON === undefined)) {
      return plain(v, depth, red, cfg, w);
    }
    if (isError(v)) return plain(errorToObject(v), depth, red, cfg, w);
    const toJSON = json ? undefined : read(v, 'toJSON');
    if (typeof toJSON === 'function') {
      let r: unknown;
      try {
        r = toJSON.call(v);
      } catch (e) {
        return str(thrown(e), cfg.maxStringLength);
      }
      if (r === v) return plain(v, depth, red, cfg, w);
      if (typeof r === 'object' && r !== null) return obj(r, depth, red, cfg, w, true);
      return val(r, depth, red, cfg, w) ?? 'null';
    }
    if (v instanceof Map) {
      const o = Object.create(null) as Record<string, unknown>;
      let n = 0;
      for (const [k, x] of v) {
        if (n++ > cfg.maxKeys) break;
        o[typeof k === 'string' ? k : String(k)] = x;
      }
      return plain(o, depth, red, cfg, w, v.size);
    }
    if (v instanceof Set) {
      const a: unknown[] = [];
      for (const x of v) {
        if (a.length > cfg.maxArrayLength) break;
        a.push(x);
      }
      return arr(a, depth, red, cfg, w, v.size);
    }
    return plain(v, depth, red, cfg, w);
  } catch (e) {
    return str(thrown(e), cfg.maxStringLength);
  } finally {
    seen.pop();
  }
}

function arr(a: unknown[], depth: number, red: RState | null, cfg: SerConfig, w: Walk, total?: number): string {
  let len: number;
  try {
    len = a.length;
  } catch (e) {
    return str(thrown(e), cfg.maxStringLength);
  }
  const size = total ?? len;
  let n = Math.min(len, cfg.maxArrayLength);
  const start = w.at;
  let out = '[';
  for (let i = 0; i < n; i++) {
    if (start + out.length >= cfg.maxLineLength) {
      n = i;
      break;
    }
    if (i > 0) out += ',';
    let child: RState | null = null;
    if (red !== null) {
      child = stepRedaction(red, `${i}`, false);
      if (child?.terminal) {
        // arrays keep their positions: a removed element becomes null
        out += cfg.remove ? 'null' : cfg.censorJson;
        continue;
      }
    }
    w.at = start + out.length;
    out += val(read(a, i as unknown as string), depth + 1, child, cfg, w) ?? 'null';
  }
  if (size > n) out += `${n > 0 ? ',' : ''}"[…${size - n} more items]"`;
  return `${out}]`;
}

function plain(o: object, depth: number, red: RState | null, cfg: SerConfig, w: Walk, total?: number): string {
  let keys: string[];
  try {
    keys = Object.keys(o);
  } catch (e) {
    return str(thrown(e), cfg.maxStringLength);
  }
  let out = '{';
  let n = 0;
  const max = cfg.maxKeys;
  const start = w.at;
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (n >= max || start + out.length >= cfg.maxLineLength) {
      out += `${n > 0 ? ',' : ''}"…":"${(total ?? keys.length) - i} more keys"`;
      break;
    }
    let child: RState | null = null;
    if (red !== null) {
      child = stepRedaction(red, k, cfg.caseInsensitive);
      if (child?.terminal) {
        if (cfg.remove) continue;
        out += `${n++ > 0 ? ',' : ''}${keyStr(k)}:${cfg.censorJson}`;
        continue;
      }
    }
    const x = read(o, k);
    let s: string | undefined;
    if (typeof x === 'string') s = str(x, cfg.maxStringLength);
    else if (typeof x === 'number' && Number.isFinite(x)) s = num(x);
    else {
      w.at = start + out.length + k.length + 4;
      s = val(x, depth + 1, child, cfg, w);
    }
    if (s === undefined) continue;
    out += `${n++ > 0 ? ',' : ''}${keyStr(k)}:${s}`;
  }
  return `${out}}`;
}
