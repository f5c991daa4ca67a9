import { invalidArgument, invalidOption } from './errors.js';
import { currentContext, slot } from './internal/context.js';
import { compileRedaction, type RState, stepRedaction } from './internal/redact.js';
import {
  copyFields,
  isArray,
  isError,
  keyStr,
  num,
  plainText,
  type SerConfig,
  str,
  thrown,
  val,
  type Walk,
  walk,
} from './internal/serialize.js';
import { consoleSink } from './sinks.js';
import type {
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

/** Numeric value of every level (pino's numbers). */
export const LEVELS: Readonly<Record<LevelName, number>> = Object.freeze({
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Number.POSITIVE_INFINITY,
});

/** Defaults applied by {@link createLogger} (`base`, `sink` and `redact` have computed defaults, see the README). */
export const LOGGER_DEFAULTS: Readonly<{
  level: LevelName;
  timestamp: 'epoch';
  levelFormat: 'number';
  messageKey: string;
  errorKey: string;
  context: boolean;
  maxDepth: number;
  maxKeys: number;
  maxArrayLength: number;
  maxStringLength: number;
  maxLineLength: number;
  censor: string;
}> = Object.freeze({
  level: 'info',
  timestamp: 'epoch',
  levelFormat: 'number',
  messageKey: 'msg',
  errorKey: 'err',
  context: true,
  maxDepth: 10,
  maxKeys: 200,
  maxArrayLength: 200,
  maxStringLength: 16_384,
  maxLineLength: 1_048_576,
  censor: '[Redacted]',
});

const LEVEL_NAMES = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

interface Shared {
  /** `{"level":30,"time":` (or variants), indexed by numeric level. */
  pre: string[];
  /** 0 epoch number, 1 iso, 2 none, 3 custom function. */
  timeMode: number;
  clock: () => number;
  /** Last epoch time seen and its text. */
  lastT: number;
  lastTS: string;
  timeFn: (() => number | string) | null;
  timerClock: () => number;
  msgKey: string;
  msgKeyJson: string;
  /** The last string message and its `,"msg":"…"}\n` text. */
  lastMsg: string | undefined;
  lastMsgTail: string;
  errorKey: string;
  cfg: SerConfig;
  redact: RState | null;
  sink: Sink;
  ctxSlot: ReturnType<typeof slot> | null;
  ctxFn: (() => Fields | undefined) | null;
}

const hasOwn = Object.prototype.hasOwnProperty;

/**
 * Whether a for-in over `obj` can yield only its own keys: its prototype is Object.prototype (with no enumerable
 * property: checked on every call, as code may add one at any time) or null. Then serTop needs no hasOwnProperty
 * call per key (a measurable cost per key: see BENCHMARKS.md).
 */
function ownKeysOnly(obj: object): boolean {
  const p = Object.getPrototypeOf(obj) as object | null;
  if (p === null) return true;
  if (p !== Object.prototype) return false;
  for (const _ in p) return false;
  return true;
}

function noop(): void {}

/** Defines an own data property, so a key named "__proto__" stays a key instead of changing the prototype. */
function setOwn(o: Fields, k: string, v: unknown): void {
  Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
}

/** isError with a cheap exit for plain objects; never throws (hostile Proxies). */
function errorLike(o: object): o is Error {
  try {
    return Object.getPrototypeOf(o) !== Object.prototype && isError(o);
  } catch {
    return false;
  }
}

/** A copy of `src` made key by key, for data the fast paths could not read (see copyFields). */
function copyOf(src: object, errKey: string): Fields {
  const o: Fields = {};
  copyFields(src, o, errKey);
  return o;
}

/** `{ ...a, ...b }`, or when spreading throws (hostile Proxies, throwing getters), what could be read of each. */
function merge(a: object, b: object): Fields {
  try {
    return { ...a, ...b };
  } catch {
    const o: Fields = {};
    copyFields(a, o, 'contextError');
    copyFields(b, o, 'fieldsError');
    return o;
  }
}

/**
 * What a logger remembers of the records it wrote, by key position: records of one shape repeat their keys in the same
 * places, so a key seen there before needs no reserved-key check and no serializer or redaction lookup, and its JSON
 * text is ready.
 */
interface KeyCache {
  keys: string[];
  /** `,"key":` */
  pre: string[];
  /** `,"key":"` (for a string value that needs no escaping) */
  preQ: string[];
  /** `",key":` and `","key":"`: the same after a plain string whose closing quote is still pending (see serTop) */
  qpre: string[];
  qpreQ: string[];
  /** No serializer and no redaction path for this key. */
  plain: boolean[];
}

const newKeyCache = (): KeyCache => ({ keys: [], pre: [], preQ: [], qpre: [], qpreQ: [], plain: [] });

/** Fills slot `i` of `c` with key `k`'s JSON texts. */
function setSlot(c: KeyCache, i: number, k: string, plain: boolean): void {
  const p = keyPrefix(k);
  c.keys[i] = k;
  c.pre[i] = p;
  c.preQ[i] = `${p}"`;
  c.qpre[i] = `"${p}`;
  c.qpreQ[i] = `"${p}"`;
  c.plain[i] = plain;
}

/**
 * Serialises the top-level keys of `obj` as `,"k":v` pairs, applying serializers and redaction.
 * Returns null when a key is in `reserved` (the caller then merges and re-serialises without duplicates).
 * `cache` belongs to the logger whose `reserved` list this is (see KeyCache); null for one-off objects.
 */
function serTop(sh: Shared, obj: object, reserved: readonly string[] | null, cache: KeyCache | null): string | null {
  const cfg = sh.cfg;
  const sers = cfg.serializers;
  const red = sh.redact;
  let out = '';
  let n = 0;
  let i = 0;
  let w: Walk | null = null;
  // A plain string value's closing quote is left pending and joined to the next key's cached prefix (`","key":`):
  // one string concatenation less per such value, and one node less in the rope the sink flattens.
  let q = false;
  const own = ownKeysOnly(obj);
  // for-in over own keys (the order of Object.keys): V8 reads each value through the enum cache, where Object.keys
  // plus obj[k] makes a megamorphic keyed load per key (the costliest part of a request line in a server profile)
  for (const k in obj) {
    if (!own && !hasOwn.call(obj, k)) continue;
    const known = cache !== null && i < KEY_SLOTS && cache.keys[i] === k;
    if (reserved !== null && !known) {
      // a short list compared by identity-fast string equality beats a keyed lookup here
      for (let j = 0; j < reserved.length; j++) if (reserved[j] === k) return null;
    }
    if (n >= cfg.maxKeys) {
      out += `${q ? '"' : ''},"…":"more keys omitted"`;
      q = false;
      break;
    }
    if (known && cache.plain[i] === true) {
      // the common case: a key seen at this position before, a string or a number
      let v: unknown;
      try {
        v = (obj as Fields)[k];
      } catch (e) {
        v = thrown(e);
      }
      if (typeof v === 'string') {
        if (v.length <= cfg.maxStringLength && plainText(v)) {
          out += (q ? cache.qpreQ[i] : cache.preQ[i]) + v;
          q = true;
        } else {
          out += (q ? cache.qpre[i] : cache.pre[i]) + str(v, cfg.maxStringLength);
          q = false;
        }
        n++;
      } else if (typeof v === 'number' && Number.isFinite(v)) {
        out += (q ? cache.qpre[i] : cache.pre[i]) + num(v);
        q = false;
        n++;
      } else {
        w ??= walk(obj);
        w.at = out.length;
        const s = val(v, 1, null, cfg, w);
        if (s !== undefined) {
          out += (q ? cache.qpre[i] : cache.pre[i]) + s;
          q = false;
          n++;
        }
      }
      i++;
      continue;
    }
    if (q) {
      out += '"';
      q = false;
    }
    let v: unknown;
    try {
      v = (obj as Fields)[k];
    } catch (e) {
      v = thrown(e);
    }
    let plain = true;
    if (sers !== null) {
      const f = sers[k];
      if (f !== undefined) {
        plain = false;
        try {
          v = f(v);
        } catch (e) {
          v = thrown(e);
        }
      }
    }
    let child: RState | null = null;
    if (red !== null) {
      child = stepRedaction(red, k, cfg.caseInsensitive);
      if (child !== null) plain = false;
    }
    if (cache !== null && i < KEY_SLOTS && !known) setSlot(cache, i, k, plain);
    if (child?.terminal) {
      if (!cfg.remove) {
        out += `,${keyStr(k)}:${cfg.censorJson}`;
        n++;
      }
      i++;
      continue;
    }
    let s: string | undefined;
    if (typeof v === 'string') s = str(v, cfg.maxStringLength);
    else if (typeof v === 'number' && Number.isFinite(v)) s = num(v);
    else {
      w ??= walk(obj);
      w.at = out.length;
      s = val(v, 1, child, cfg, w);
    }
    if (s !== undefined) {
      out += keyPrefix(k) + s;
      n++;
    }
    i++;
  }
  return q ? `${out}"` : out;
}

/** Key positions a logger remembers (see KeyCache). */
const KEY_SLOTS = 16;

/** `,"key":` for a top-level key; field names repeat from line to line, so the JSON text is built once per name. */
const KEY_PREFIX = new Map<string, string>();
function keyPrefix(k: string): string {
  let p = KEY_PREFIX.get(k);
  if (p === undefined) {
    p = `,${keyStr(k)}:`;
    // bounded: names made from data (ids as keys) must not grow it without end
    if (KEY_PREFIX.size < 4096) KEY_PREFIX.set(k, p);
  }
  return p;
}

function serBindings(sh: Shared, bindings: Fields): string {
  return serTop(sh, bindings, null, null) ?? '';
}

function timeFragment(sh: Shared): string {
  if (sh.timeMode === 1) return `"${new Date(sh.clock()).toISOString()}"`;
  let t: unknown;
  try {
    t = sh.timeFn!();
  } catch (e) {
    t = thrown(e);
  }
  return val(t, 0, null, sh.cfg, walk(null)) ?? 'null';
}

/** `{"level":30,"time":…` of a line at `lvl`. */
function lineHead(sh: Shared, lvl: number): string {
  const line = sh.pre[lvl]!;
  const tm = sh.timeMode;
  if (tm === 0) {
    // Epoch ms is a double, and double-to-string is slow: reuse the text while the millisecond has not changed.
    const t = sh.clock();
    if (t !== sh.lastT) {
      sh.lastT = t;
      sh.lastTS = `${t}`;
    }
    return line + sh.lastTS;
  }
  return tm === 2 ? line : line + timeFragment(sh);
}

function emit(l: LoggerImpl, lvl: number, a: unknown, b: unknown): void {
  let msg: unknown;
  let fields: unknown;
  if (typeof a === 'string') {
    msg = a;
    fields = b;
  } else {
    fields = a;
    msg = b;
  }
  const sh = l._sh;
  let line = lineHead(sh, lvl);

  let ctx: Fields | undefined;
  const cs = sh.ctxSlot;
  if (cs !== null) {
    if (cs.used) ctx = currentContext(cs);
  } else if (sh.ctxFn !== null) {
    try {
      ctx = sh.ctxFn();
      // not an object to merge: kept whole, as a primitive or an array passed as fields is
      if (ctx !== undefined && (typeof ctx !== 'object' || ctx === null || isArray(ctx))) ctx = { context: ctx };
    } catch (e) {
      ctx = { contextError: thrown(e) };
    }
  }

  if (fields === undefined && ctx === undefined) {
    line += l._chindings;
  } else {
    if (typeof fields === 'function') {
      try {
        fields = fields();
      } catch (e) {
        fields = { lazyError: thrown(e) };
      }
    }
    if (fields !== undefined && fields !== null) {
      if (typeof fields !== 'object' || isArray(fields)) {
        if (msg === undefined && typeof fields !== 'object') msg = fields;
        else fields = { value: fields };
      } else if (errorLike(fields)) {
        if (msg === undefined) {
          try {
            msg = fields.message;
          } catch {}
        }
        fields = { [sh.errorKey]: fields };
      }
    }
    if (ctx !== undefined) fields = typeof fields === 'object' && fields !== null ? merge(ctx, fields) : ctx;
    let body: string | null = l._chindings;
    if (typeof fields === 'object' && fields !== null) {
      let src: object = fields;
      let f: string | null;
      try {
        f = serTop(sh, src, l._reserved, l._keys);
      } catch {
        // hostile data (a Proxy trap, a throwing getter): read it key by key, so only what throws is lost
        src = copyOf(src, 'fieldsError');
        try {
          f = serTop(sh, src, l._reserved, null);
        } catch (e) {
          f = `,"fieldsError":${str(thrown(e), sh.cfg.maxStringLength)}`;
        }
      }
      body = f === null ? null : body + f;
      if (body === null) {
        // A field repeats a binding or a core key: merge so each key appears once (fields win over bindings).
        const m: Fields = { ...l._bindings };
        copyFields(src, m, 'fieldsError');
        if (msg === undefined && m[sh.msgKey] !== undefined) msg = m[sh.msgKey];
        delete m[sh.msgKey];
        delete m.level;
        delete m.time;
        body = serTop(sh, m, null, null) ?? '';
      }
    }
    line += body;
  }
  if (msg !== undefined) {
    if (typeof msg === 'string') {
      // messages are mostly constants: the last one's `,"msg":"…"}` text is kept
      if (msg !== sh.lastMsg) {
        sh.lastMsg = msg;
        sh.lastMsgTail = msgTail(sh, msg);
      }
      line += sh.lastMsgTail;
    } else line += `${sh.msgKeyJson}${val(msg, 1, null, sh.cfg, walk(null)) ?? 'null'}}\n`;
  } else line += '}\n';
  deliver(sh, line, lvl);
}

/** `,"msg":"…"}` and the newline: the end of a line with string message `msg`. */
function msgTail(sh: Shared, msg: string): string {
  return `${sh.msgKeyJson}${str(msg, sh.cfg.maxStringLength)}}\n`;
}

/** Hands a finished line to the sink; a fatal line is flushed synchronously before the call returns. */
function deliver(sh: Shared, line: string, lvl: number): void {
  sh.sink.write(line, lvl);
  if (lvl >= 60 && sh.sink.flushSync !== undefined) sh.sink.flushSync();
}

function traceFn(this: LoggerImpl, a?: unknown, b?: unknown): void {
  emit(this, 10, a, b);
}
function debugFn(this: LoggerImpl, a?: unknown, b?: unknown): void {
  emit(this, 20, a, b);
}
function infoFn(this: LoggerImpl, a?: unknown, b?: unknown): void {
  emit(this, 30, a, b);
}
function warnFn(this: LoggerImpl, a?: unknown, b?: unknown): void {
  emit(this, 40, a, b);
}
function errorFn(this: LoggerImpl, a?: unknown, b?: unknown): void {
  emit(this, 50, a, b);
}
function fatalFn(this: LoggerImpl, a?: unknown, b?: unknown): void {
  emit(this, 60, a, b);
}

function levelValue(level: unknown, where: string, invalid: typeof invalidOption = invalidArgument): number {
  if (typeof level !== 'string' || !hasOwn.call(LEVELS, level)) {
    throw invalid(
      RangeError,
      `logger: ${where} must be one of ${Object.keys(LEVELS).join(', ')}, got ${JSON.stringify(level) ?? String(level)}`,
    );
  }
  return LEVELS[level as LevelName];
}

/** Keys a call's fields may not repeat as-is: core keys and this logger's bindings. */
function reservedFor(sh: Shared, bindings: Fields): string[] {
  return [...new Set(['level', 'time', sh.msgKey, ...Object.keys(bindings)])];
}

class LoggerImpl implements Logger {
  trace: LogFn = noop;
  debug: LogFn = noop;
  info: LogFn = noop;
  warn: LogFn = noop;
  error: LogFn = noop;
  fatal: LogFn = noop;
  /** @internal */ _sh: Shared;
  /** @internal */ _bindings: Fields;
  /** @internal */ _chindings: string;
  /** @internal */ _reserved: string[];
  /** @internal */ _keys: KeyCache = newKeyCache();
  /** @internal */ _level: number;

  constructor(sh: Shared, bindings: Fields, chindings: string, level: number) {
    this._sh = sh;
    this._bindings = bindings;
    this._chindings = chindings;
    this._reserved = reservedFor(sh, bindings);
    this._level = level;
    this._apply();
  }

  /** @internal */ _apply(): void {
    const v = this._level;
    this.trace = v <= 10 ? (traceFn as LogFn) : noop;
    this.debug = v <= 20 ? (debugFn as LogFn) : noop;
    this.info = v <= 30 ? (infoFn as LogFn) : noop;
    this.warn = v <= 40 ? (warnFn as LogFn) : noop;
    this.error = v <= 50 ? (errorFn as LogFn) : noop;
    this.fatal = v <= 60 ? (fatalFn as LogFn) : noop;
  }

  get level(): LevelName {
    const v = this._level;
    return (LEVEL_NAMES.find((n) => LEVELS[n] === v) ?? 'silent') as LevelName;
  }

  setLevel(level: LevelName): void {
    this._level = levelValue(level, 'setLevel(level)');
    this._apply();
  }

  isLevelEnabled(level: LevelName): boolean {
    const v = levelValue(level, 'isLevelEnabled(level)');
    return v !== LEVELS.silent && v >= this._level;
  }

  child(bindings: Fields, options?: ChildOptions): Logger {
    if (typeof bindings !== 'object' || bindings === null || isArray(bindings)) {
      throw invalidArgument(TypeError, `logger: child(bindings) must be a plain object, got ${describe(bindings)}`);
    }
    const sh = this._sh;
    // read once, key by key: bindings are data too (a request, a user), and may be hostile
    const own = copyOf(bindings, 'bindingsError');
    for (const k of ['level', 'time', sh.msgKey]) {
      if (hasOwn.call(own, k)) {
        throw invalidArgument(TypeError, `logger: child(bindings) may not set the reserved key "${k}"`);
      }
    }
    const merged: Fields = { ...this._bindings };
    for (const k of Object.keys(own)) setOwn(merged, k, own[k]);
    const level =
      options?.level === undefined ? this._level : levelValue(options.level, 'child options.level', invalidOption);
    return new LoggerImpl(sh, merged, serBindings(sh, merged), level);
  }

  bindings(): Fields {
    return { ...this._bindings };
  }

  time(label: string, level: Exclude<LevelName, 'silent'> = 'info'): (fields?: Fields) => number {
    if (typeof label !== 'string')
      throw invalidArgument(TypeError, `logger: time(label) must be a string, got ${describe(label)}`);
    const lv = levelValue(level, 'time(level)');
    const clock = this._sh.timerClock;
    const t0 = clock();
    return (fields?: Fields) => {
      const ms = clock() - t0;
      if (lv >= this._level) emit(this, lv, withDuration(fields, ms), label);
      return ms;
    };
  }

  startTimer(): Timer {
    const clock = this._sh.timerClock;
    const t0 = clock();
    return {
      elapsed: () => clock() - t0,
      done: (msg?: string, fields?: Fields, level: Exclude<LevelName, 'silent'> = 'info') => {
        const ms = clock() - t0;
        const lv = levelValue(level, 'done(level)');
        if (lv >= this._level) emit(this, lv, withDuration(fields, ms), msg);
        return ms;
      },
    };
  }

  prepare(keys: readonly string[], msg?: string): PreparedRecord {
    if (!isArray(keys))
      throw invalidArgument(TypeError, `logger: prepare(keys) must be an array of strings, got ${describe(keys)}`);
    const bad = keys.findIndex((k) => typeof k !== 'string');
    if (bad >= 0) {
      throw invalidArgument(
        TypeError,
        `logger: prepare(keys) must be an array of strings, got ${describe(keys[bad])} at index ${bad}`,
      );
    }
    if (msg !== undefined && typeof msg !== 'string') {
      throw invalidArgument(
        TypeError,
        `logger: prepare(keys, msg) msg must be a string or undefined, got ${describe(msg)}`,
      );
    }
    return new PreparedImpl(this, keys, msg);
  }

  async flush(): Promise<void> {
    const s = this._sh.sink;
    if (s.flush !== undefined) await s.flush();
  }

  flushSync(): void {
    const s = this._sh.sink;
    if (s.flushSync !== undefined) s.flushSync();
  }
}

const round3 = (ms: number): number => Math.round(ms * 1000) / 1000;

/** A timer's fields plus `durationMs`. */
function withDuration(fields: Fields | undefined, ms: number): Fields {
  const f = typeof fields === 'object' && fields !== null ? merge({}, fields) : {};
  f.durationMs = round3(ms);
  return f;
}

/** Array-index-like keys: an object lists them first, in numeric order, so only the generic path orders them right. */
const INDEX_KEY = /^(?:0|[1-9]\d*)$/;

/**
 * A record of fixed keys (see PreparedRecord). Its line is built straight from the values, with each key's JSON text
 * made once: the same text serTop makes for a fields object of those keys, without the object, the key walk and the
 * per-key cache checks (figures in BENCHMARKS.md). Keys that need the generic path (a
 * binding or core key, a serializer, a redaction path, an index-like or repeated key, more than maxKeys) send every
 * call through it, as does a context to merge.
 */
class PreparedImpl implements PreparedRecord {
  private readonly keys: string[];
  /** The keys' JSON texts, by position (the slots serTop's key cache keeps). */
  private readonly texts: KeyCache = newKeyCache();
  private readonly msg: string | undefined;
  private readonly tail: string;
  private readonly generic: boolean;

  constructor(
    private readonly l: LoggerImpl,
    keys: readonly string[],
    msg: string | undefined,
  ) {
    const sh = l._sh;
    this.keys = [...keys];
    for (let i = 0; i < this.keys.length; i++) setSlot(this.texts, i, this.keys[i]!, true);
    this.msg = msg;
    this.tail = msg === undefined ? '}\n' : msgTail(sh, msg);
    const sers = sh.cfg.serializers;
    const red = sh.redact;
    this.generic =
      new Set(this.keys).size !== this.keys.length ||
      this.keys.length > sh.cfg.maxKeys ||
      this.keys.some(
        (k) =>
          l._reserved.includes(k) ||
          INDEX_KEY.test(k) ||
          (sers !== null && sers[k] !== undefined) ||
          (red !== null && stepRedaction(red, k, sh.cfg.caseInsensitive) !== null),
      );
  }

  trace(...values: unknown[]): void {
    if (this.l._level <= 10) this.write(10, values);
  }
  debug(...values: unknown[]): void {
    if (this.l._level <= 20) this.write(20, values);
  }
  info(...values: unknown[]): void {
    if (this.l._level <= 30) this.write(30, values);
  }
  warn(...values: unknown[]): void {
    if (this.l._level <= 40) this.write(40, values);
  }
  error(...values: unknown[]): void {
    if (this.l._level <= 50) this.write(50, values);
  }
  fatal(...values: unknown[]): void {
    if (this.l._level <= 60) this.write(60, values);
  }

  private write(lvl: number, values: unknown[]): void {
    const l = this.l;
    const sh = l._sh;
    const cs = sh.ctxSlot;
    if (this.generic || sh.ctxFn !== null || (cs?.used && currentContext(cs) !== undefined)) {
      const fields: Fields = {};
      const keys = this.keys;
      for (let i = 0; i < keys.length; i++) if (values[i] !== undefined) setOwn(fields, keys[i]!, values[i]);
      emit(l, lvl, fields, this.msg);
      return;
    }
    const cfg = sh.cfg;
    const max = cfg.maxStringLength;
    const { pre, preQ, qpre, qpreQ } = this.texts;
    let line = lineHead(sh, lvl) + l._chindings;
    const start = line.length;
    // The same value cases as serTop's cached path, written out again: one shared function (its pending-quote result
    // in module state) made both paths 5-8% slower (Node 20, six-field lines). The property test keeps them equal.
    let q = false;
    let w: Walk | null = null;
    const n = this.keys.length;
    for (let i = 0; i < n; i++) {
      const v = values[i];
      if (typeof v === 'string') {
        if (v.length <= max && plainText(v)) {
          line += (q ? qpreQ[i] : preQ[i]) + v;
          q = true;
        } else {
          line += (q ? qpre[i] : pre[i]) + str(v, max);
          q = false;
        }
      } else if (typeof v === 'number' && Number.isFinite(v)) {
        line += (q ? qpre[i] : pre[i]) + num(v);
        q = false;
      } else if (v !== undefined) {
        w ??= walk(null);
        w.at = line.length - start;
        const s = val(v, 1, null, cfg, w);
        if (s !== undefined) {
          line += (q ? qpre[i] : pre[i]) + s;
          q = false;
        }
      }
    }
    line += q ? `"${this.tail}` : this.tail;
    deliver(sh, line, lvl);
  }
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (isArray(v)) return 'an array';
  if (typeof v === 'string') return JSON.stringify(v);
  return typeof v === 'object' || typeof v === 'function' ? typeof v : String(v);
}

function intOption(
  opts: LoggerOptions,
  key: 'maxDepth' | 'maxKeys' | 'maxArrayLength' | 'maxStringLength' | 'maxLineLength',
): number {
  const v = opts[key] ?? LOGGER_DEFAULTS[key];
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) {
    throw invalidOption(RangeError, `logger: ${key} must be an integer >= 1, got ${describe(v)}`);
  }
  return v;
}

function keyOption(opts: LoggerOptions, key: 'messageKey' | 'errorKey'): string {
  const v = opts[key] ?? LOGGER_DEFAULTS[key];
  if (typeof v !== 'string' || v === '' || v === 'level' || v === 'time') {
    throw invalidOption(
      TypeError,
      `logger: ${key} must be a non-empty string other than "level" and "time", got ${describe(v)}`,
    );
  }
  return v;
}

function defaultBase(): Fields {
  const g = globalThis as any;
  const base: Fields = {};
  const pid = g.process?.pid;
  if (typeof pid === 'number') base.pid = pid;
  try {
    const host = g.process?.getBuiltinModule?.('node:os')?.hostname?.();
    if (typeof host === 'string') base.hostname = host;
  } catch {}
  return base;
}

function normaliseSink(sink: LoggerOptions['sink']): Sink {
  if (sink === undefined) return consoleSink();
  if (typeof sink === 'function') return { write: sink };
  if (typeof sink !== 'object' || sink === null || typeof sink.write !== 'function') {
    throw invalidOption(
      TypeError,
      `logger: sink must be a function or an object with write(line), got ${describe(sink)}`,
    );
  }
  return sink;
}

function normaliseRedact(r: LoggerOptions['redact']): RedactOptions | null {
  if (r === undefined) return null;
  if (Array.isArray(r)) return { paths: r };
  if (typeof r !== 'object' || r === null || !Array.isArray((r as RedactOptions).paths)) {
    throw invalidOption(
      TypeError,
      `logger: redact must be an array of paths or { paths, censor?, remove?, caseInsensitive? }`,
    );
  }
  const o = r as RedactOptions;
  if (o.censor !== undefined && typeof o.censor !== 'string') {
    throw invalidOption(TypeError, `logger: redact.censor must be a string, got ${describe(o.censor)}`);
  }
  return o;
}

/**
 * Creates a logger. Options are validated once, here.
 * @throws {RangeError|TypeError} naming the option when an option is invalid.
 */
export function createLogger(opts: LoggerOptions = {}): Logger {
  if (typeof opts !== 'object' || opts === null) {
    throw invalidOption(TypeError, `logger: options must be an object, got ${describe(opts)}`);
  }
  const level = levelValue(opts.level ?? LOGGER_DEFAULTS.level, 'level', invalidOption);
  const messageKey = keyOption(opts, 'messageKey');
  const errorKey = keyOption(opts, 'errorKey');
  const redact = normaliseRedact(opts.redact);
  const ci = redact?.caseInsensitive === true;
  const serializers = opts.serializers;
  if (serializers !== undefined && (typeof serializers !== 'object' || serializers === null)) {
    throw invalidOption(TypeError, `logger: serializers must be an object of functions, got ${describe(serializers)}`);
  }
  let sers: Record<string, (v: any) => unknown> | null = null;
  if (serializers) {
    sers = Object.create(null) as Record<string, (v: any) => unknown>;
    for (const [k, f] of Object.entries(serializers)) {
      if (typeof f !== 'function')
        throw invalidOption(TypeError, `logger: serializers.${k} must be a function, got ${describe(f)}`);
      sers[k] = f;
    }
  }
  const cfg: SerConfig = {
    maxDepth: intOption(opts, 'maxDepth'),
    maxKeys: intOption(opts, 'maxKeys'),
    maxArrayLength: intOption(opts, 'maxArrayLength'),
    maxStringLength: intOption(opts, 'maxStringLength'),
    maxLineLength: intOption(opts, 'maxLineLength'),
    censorJson: JSON.stringify(redact?.censor ?? LOGGER_DEFAULTS.censor),
    remove: redact?.remove === true,
    caseInsensitive: ci,
    serializers: sers,
  };

  const ts = opts.timestamp ?? LOGGER_DEFAULTS.timestamp;
  let timeMode: number;
  if (ts === 'epoch') timeMode = 0;
  else if (ts === 'iso') timeMode = 1;
  else if (ts === false) timeMode = 2;
  else if (typeof ts === 'function') timeMode = 3;
  else
    throw invalidOption(
      TypeError,
      `logger: timestamp must be 'epoch', 'iso', false or a function, got ${describe(ts)}`,
    );

  const lf = opts.levelFormat ?? LOGGER_DEFAULTS.levelFormat;
  if (lf !== 'number' && lf !== 'label') {
    throw invalidOption(TypeError, `logger: levelFormat must be 'number' or 'label', got ${describe(lf)}`);
  }
  const clock = opts.clock ?? Date.now;
  const timerClock = opts.timerClock ?? (() => performance.now());
  if (typeof clock !== 'function')
    throw invalidOption(TypeError, `logger: clock must be a function, got ${describe(clock)}`);
  if (typeof timerClock !== 'function') {
    throw invalidOption(TypeError, `logger: timerClock must be a function, got ${describe(timerClock)}`);
  }
  const ctxOpt = opts.context ?? LOGGER_DEFAULTS.context;
  if (typeof ctxOpt !== 'boolean' && typeof ctxOpt !== 'function') {
    throw invalidOption(TypeError, `logger: context must be a boolean or a function, got ${describe(ctxOpt)}`);
  }
  if (opts.name !== undefined && typeof opts.name !== 'string') {
    throw invalidOption(TypeError, `logger: name must be a string, got ${describe(opts.name)}`);
  }
  if (opts.base !== undefined && opts.base !== null && (typeof opts.base !== 'object' || Array.isArray(opts.base))) {
    throw invalidOption(TypeError, `logger: base must be an object or null, got ${describe(opts.base)}`);
  }

  const pre: string[] = [];
  for (const n of LEVEL_NAMES) {
    const v = LEVELS[n];
    const lvl = lf === 'label' ? `"${n}"` : `${v}`;
    pre[v] = `{"level":${lvl}${timeMode === 2 ? '' : ',"time":'}`;
  }
  const sh: Shared = {
    pre,
    timeMode,
    clock,
    lastT: Number.NaN,
    lastTS: '',
    timeFn: timeMode === 3 ? (ts as () => number | string) : null,
    timerClock,
    msgKey: messageKey,
    msgKeyJson: `,${keyStr(messageKey)}:`,
    lastMsg: undefined,
    lastMsgTail: '',
    errorKey,
    cfg,
    redact: redact ? compileRedaction(redact.paths, ci) : null,
    sink: normaliseSink(opts.sink),
    ctxSlot: ctxOpt === true ? slot() : null,
    ctxFn: typeof ctxOpt === 'function' ? ctxOpt : null,
  };
  const bindings: Fields = opts.base === undefined ? defaultBase() : { ...(opts.base ?? {}) };
  for (const k of ['level', 'time', messageKey]) {
    if (hasOwn.call(bindings, k)) throw invalidOption(TypeError, `logger: base may not set the reserved key "${k}"`);
  }
  if (opts.name !== undefined) bindings.name = opts.name;
  return new LoggerImpl(sh, bindings, serBindings(sh, bindings), level);
}
