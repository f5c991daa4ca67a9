import { invalidArgument } from './errors.js';

/** What a {@link Secret} prints as, wherever it is turned into text. */
export const REDACTED = '[REDACTED]';

// Values live here, not on the object: nothing reachable from a Secret (own or private fields, closures) holds the
// value, so debuggers, structuredClone, spread, Object.keys and serialisers that walk objects find nothing.
const VALUES = new WeakMap<object, string>();
const BRAND = Symbol.for('@org/secrets.secret');
// Node's and Bun's util.inspect and console.log honour this symbol; Deno's console honours its own.
const NODE_INSPECT = Symbol.for('nodejs.util.inspect.custom');
const DENO_INSPECT = Symbol.for('Deno.customInspect');

/**
 * A secret value that never prints: `String(s)`, `` `${s}` ``, `s + ''`, `JSON.stringify(s)`, `util.inspect(s)`,
 * `console.log(s)` and loggers that serialise with `toJSON` all give `[REDACTED]`. Read the value with `reveal()`, at
 * the one place that needs it.
 */
export interface Secret {
  /** The secret's name (not secret), e.g. `DATABASE_URL`; `''` when created without one. */
  readonly name: string;
  /** The value. Call it where the value is used (a connection string, a header), never to log or store it. */
  reveal(): string;
  /**
   * Compares with `candidate` in time that depends on the candidate's length only, not on where the two differ (for
   * API keys and tokens sent by clients).
   */
  equals(candidate: string | Secret): boolean;
  /** `[REDACTED]`. */
  toString(): string;
  /** `[REDACTED]`, so `JSON.stringify` and JSON loggers redact it. */
  toJSON(): string;
}

class SecretValue implements Secret {
  readonly name: string;
  constructor(value: string, name: string) {
    this.name = name;
    VALUES.set(this, value);
    Object.defineProperty(this, BRAND, { value: true });
    Object.freeze(this);
  }
  reveal(): string {
    const v = VALUES.get(this);
    if (v === undefined) throw invalidArgument(TypeError, 'secret: reveal() called on something that is not a Secret');
    return v;
  }
  equals(candidate: string | Secret): boolean {
    const b = typeof candidate === 'string' ? candidate : isSecret(candidate) ? candidate.reveal() : undefined;
    if (b === undefined) return false;
    const a = this.reveal();
    // Runs over the candidate's length whatever the secret holds; `%` keeps the index inside `a` (a '' secret reads
    // NaN, which `|` turns into 0, and the length check fails it).
    let diff = a.length ^ b.length;
    const n = a.length === 0 ? 1 : a.length;
    for (let i = 0; i < b.length; i++) diff |= a.charCodeAt(i % n) ^ b.charCodeAt(i);
    return diff === 0;
  }
  toString(): string {
    return REDACTED;
  }
  toJSON(): string {
    return REDACTED;
  }
  valueOf(): string {
    return REDACTED;
  }
  [Symbol.toPrimitive](): string {
    return REDACTED;
  }
  get [Symbol.toStringTag](): string {
    return 'Secret';
  }
  [NODE_INSPECT](): string {
    return this.name === '' ? `Secret ${REDACTED}` : `Secret(${this.name}) ${REDACTED}`;
  }
  [DENO_INSPECT](): string {
    return this.name === '' ? `Secret ${REDACTED}` : `Secret(${this.name}) ${REDACTED}`;
  }
}

/**
 * Wraps a value as a {@link Secret}.
 *
 * ```ts
 * const token = secret(process.env.API_TOKEN ?? '', 'API_TOKEN');
 * console.log(token); // Secret(API_TOKEN) [REDACTED]
 * fetch(url, { headers: { authorization: `Bearer ${token.reveal()}` } });
 * ```
 * @throws {TypeError} when `value` is not a string.
 */
export function secret(value: string, name = ''): Secret {
  if (typeof value !== 'string')
    throw invalidArgument(TypeError, `secret: value must be a string, got ${typeof value}`);
  if (typeof name !== 'string') throw invalidArgument(TypeError, `secret: name must be a string, got ${typeof name}`);
  return new SecretValue(value, name);
}

/** True for a {@link Secret} from any copy of this package (ESM or CJS). */
export function isSecret(v: unknown): v is Secret {
  return typeof v === 'object' && v !== null && (v as Record<symbol, unknown>)[BRAND] === true;
}
