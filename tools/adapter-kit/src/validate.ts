// Request validation with any Standard Schema v1 validator (zod, valibot, arktype, ...): the parts are checked once per
// request of a route that asks for it, every part's issues are gathered, and what reaches the client is bounded.
// Nothing here runs for a route without validation: each adapter's validate() is a per-route middleware.
import { AdapterError, invalidOption } from './errors.js';
import { type ProblemDetails, type ProblemResponse, problem, problemForError } from './problems.js';

/**
 * The Standard Schema v1 interface, as published at https://standardschema.dev (types only: copied so that no
 * adapter depends on `@standard-schema/spec` at run time). zod (>= 3.24), valibot (>= 1.0) and arktype (>= 2.0)
 * schemas satisfy it as they are.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  /** The Standard Schema properties. */
  readonly '~standard': StandardSchemaV1.Props<Input, Output>;
}

/** The types of the Standard Schema v1 interface (see {@link StandardSchemaV1}). */
export declare namespace StandardSchemaV1 {
  /** The Standard Schema properties interface. */
  export interface Props<Input = unknown, Output = Input> {
    /** The version number of the standard. */
    readonly version: 1;
    /** The vendor name of the schema library. */
    readonly vendor: string;
    /** Validates unknown input values. */
    readonly validate: (
      value: unknown,
      options?: StandardSchemaV1.Options | undefined,
    ) => Result<Output> | Promise<Result<Output>>;
    /** Inferred types associated with the schema. */
    readonly types?: Types<Input, Output> | undefined;
  }
  /** The result interface of the validate function. */
  export type Result<Output> = SuccessResult<Output> | FailureResult;
  /** The result interface if validation succeeds. */
  export interface SuccessResult<Output> {
    /** The typed output value. */
    readonly value: Output;
    /** A falsy value for `issues` indicates success. */
    readonly issues?: undefined;
  }
  /** Options of the validate function. */
  export interface Options {
    /** Explicit support for additional vendor-specific parameters, if needed. */
    readonly libraryOptions?: Record<string, unknown> | undefined;
  }
  /** The result interface if validation fails. */
  export interface FailureResult {
    /** The issues of failed validation. */
    readonly issues: ReadonlyArray<Issue>;
  }
  /** The issue interface of the failure output. */
  export interface Issue {
    /** The error message of the issue. */
    readonly message: string;
    /** The path of the issue, if any. */
    readonly path?: ReadonlyArray<PropertyKey | PathSegment> | undefined;
  }
  /** The path segment interface of the issue. */
  export interface PathSegment {
    /** The key representing a path segment. */
    readonly key: PropertyKey;
  }
  /** The Standard types interface. */
  export interface Types<Input = unknown, Output = Input> {
    /** The input type of the schema. */
    readonly input: Input;
    /** The output type of the schema. */
    readonly output: Output;
  }
  /** Infers the input type of a Standard Schema. */
  export type InferInput<Schema extends StandardSchemaV1> = NonNullable<Schema['~standard']['types']>['input'];
  /** Infers the output type of a Standard Schema. */
  export type InferOutput<Schema extends StandardSchemaV1> = NonNullable<Schema['~standard']['types']>['output'];
}

/** The request parts a route can validate. */
export type ValidationPart = 'params' | 'query' | 'body';

/** One schema per request part; leave a part out and it is not checked. */
export interface ValidationSchemas {
  /** The route parameters (`/notes/:id` → `{ id: string }`). */
  params?: StandardSchemaV1;
  /** The query string as the framework parses it (a repeated key is an array of strings). */
  query?: StandardSchemaV1;
  /** The parsed request body (JSON, or a form where the framework parses one). */
  body?: StandardSchemaV1;
}

/** The parsed values of the parts `S` names, each typed as its schema's output. */
export type Validated<S extends ValidationSchemas> = {
  -readonly [K in keyof S & ValidationPart]-?: StandardSchemaV1.InferOutput<NonNullable<S[K]>>;
};

/** The output type of the schema `S` has for `part`, else `Fallback` (the part was not validated). */
export type OutputOf<
  S extends ValidationSchemas,
  K extends ValidationPart,
  Fallback = unknown,
> = S[K] extends StandardSchemaV1 ? StandardSchemaV1.InferOutput<S[K]> : Fallback;

/** One validation issue as the client sees it: where, the path inside that part, and the validator's message. */
export interface ValidationIssue {
  /** The request part: `params`, `query` or `body`. */
  in: ValidationPart;
  /** The path inside the part, e.g. `['items', 0, 'title']`; empty for the part itself. */
  path: Array<string | number>;
  /** The validator's message, cut to {@link VALIDATION_LIMITS}`.messageLength` characters. */
  message: string;
}

/**
 * Bounds on what a 400 lists, so that a hostile body (ten thousand bad items, a 1 MiB key) cannot make the answer
 * large: at most `issues` issues (the count of the others is given), messages and path keys cut, paths shortened.
 */
export const VALIDATION_LIMITS: Readonly<{
  issues: number;
  messageLength: number;
  pathDepth: number;
  keyLength: number;
}> = Object.freeze({ issues: 20, messageLength: 200, pathDepth: 16, keyLength: 64 });

/** The `code` of a 400 for input that failed its schema (in the problem body and on {@link ValidationError}). */
export const ERR_VALIDATION = 'ERR_VALIDATION';

/** 400: the request failed its route's schemas. Carries the issues as listed to the client (already bounded). */
export class ValidationError extends AdapterError {
  /** The issues, bounded by {@link VALIDATION_LIMITS}. */
  readonly issues: readonly ValidationIssue[];
  /** How many issues the validators reported beyond those listed. */
  readonly omitted: number;
  constructor(issues: readonly ValidationIssue[], omitted: number) {
    super(ERR_VALIDATION, 400, 'The request did not pass validation.');
    this.name = 'ValidationError';
    this.issues = issues;
    this.omitted = omitted;
  }
}

/** What one request's validation ended in. */
export type ValidationOutcome =
  | { ok: true; value: Partial<Record<ValidationPart, unknown>> }
  | { ok: false; error: ValidationError };

/** A route's schemas, checked once at setup. */
export interface CompiledValidation {
  /** The parts that have a schema, in the order they are checked and reported (params, query, body). */
  readonly parts: readonly ValidationPart[];
  /**
   * Validates the parts `read` hands over. Resolves to the parsed values or to the issues; rejects when a validator
   * throws or rejects (a bug on the server side: the adapters answer 500 and log it).
   */
  run(read: (part: ValidationPart) => unknown): Promise<ValidationOutcome>;
}

const PARTS: readonly ValidationPart[] = ['params', 'query', 'body'];

const isSchema = (s: unknown): s is StandardSchemaV1 => {
  if ((typeof s !== 'object' && typeof s !== 'function') || s === null) return false;
  const std = (s as { '~standard'?: unknown })['~standard'];
  return (
    typeof std === 'object' &&
    std !== null &&
    (std as { version?: unknown }).version === 1 &&
    typeof (std as { validate?: unknown }).validate === 'function'
  );
};

/**
 * Checks a route's schemas once, at setup.
 * @throws {TypeError} naming the part whose schema is not a Standard Schema v1 validator, or an unknown part.
 */
export function compileValidation(schemas: ValidationSchemas, adapter: string): CompiledValidation {
  if (typeof schemas !== 'object' || schemas === null)
    throw invalidOption(
      TypeError,
      `${adapter}: validate() expects { body, query, params } schemas, got ${typeof schemas}`,
    );
  for (const k of Object.keys(schemas))
    if (!PARTS.includes(k as ValidationPart) && (schemas as Record<string, unknown>)[k] !== undefined)
      throw invalidOption(TypeError, `${adapter}: validate() knows body, query and params, got "${k}"`);
  const parts = PARTS.filter((p) => schemas[p] !== undefined);
  if (parts.length === 0)
    throw invalidOption(TypeError, `${adapter}: validate() needs at least one of body, query, params`);
  for (const p of parts)
    if (!isSchema(schemas[p]))
      throw invalidOption(
        TypeError,
        `${adapter}: validate() ${p} must be a Standard Schema v1 validator (an object with ~standard.validate), got ${describe(schemas[p])}`,
      );
  const validators = parts.map((p) => schemas[p]!['~standard']);

  return {
    parts,
    async run(read) {
      // every part starts before any is awaited (async schemas run side by side), and Promise.all watches them all:
      // a second rejection is never left unhandled
      let results: Array<StandardSchemaV1.Result<unknown>>;
      try {
        results = await Promise.all(
          parts.map((p, i) => {
            try {
              return validators[i]!.validate(read(p));
            } catch (e) {
              return Promise.reject(e);
            }
          }),
        );
      } catch (e) {
        throw validatorFailed(adapter, e);
      }
      const value: Partial<Record<ValidationPart, unknown>> = {};
      const issues: ValidationIssue[] = [];
      let total = 0;
      for (let i = 0; i < parts.length; i++) {
        const part = parts[i]!;
        const r = results[i];
        if (typeof r !== 'object' || r === null)
          throw validatorFailed(adapter, undefined, `the ${part} validator returned ${describe(r)}, not a result`);
        if (r.issues === undefined || r.issues === null) {
          value[part] = r.value;
          continue;
        }
        const list = Array.isArray(r.issues) ? (r.issues as readonly StandardSchemaV1.Issue[]) : [];
        // an empty issue list is still a failure (the spec: `issues` present means failure)
        const n = Math.max(1, list.length);
        for (let j = 0; j < n && issues.length < VALIDATION_LIMITS.issues; j++) issues.push(toIssue(part, list[j]));
        total += n;
      }
      if (total === 0) return { ok: true, value };
      return { ok: false, error: new ValidationError(issues, total - issues.length) };
    },
  };
}

const clip = (s: string, max: number): string => (s.length > max ? `${s.slice(0, max - 1)}…` : s);

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'object') return Array.isArray(v) ? 'an array' : 'an object without ~standard.validate';
  return typeof v;
}

function key(k: unknown): string | number {
  if (typeof k === 'number') return Number.isFinite(k) ? k : String(k);
  if (typeof k === 'string') return clip(k, VALIDATION_LIMITS.keyLength);
  if (typeof k === 'symbol') return clip(k.description ?? '', VALIDATION_LIMITS.keyLength);
  return '';
}

/** A validator's issue as the client sees it: only the message and path, both bounded (never the input itself). */
function toIssue(part: ValidationPart, raw: unknown): ValidationIssue {
  const i = (typeof raw === 'object' && raw !== null ? raw : {}) as { message?: unknown; path?: unknown };
  const message =
    typeof i.message === 'string' && i.message !== '' ? clip(i.message, VALIDATION_LIMITS.messageLength) : 'Invalid';
  const path: Array<string | number> = [];
  if (Array.isArray(i.path)) {
    const n = Math.min(i.path.length, VALIDATION_LIMITS.pathDepth);
    for (let j = 0; j < n; j++) {
      const seg = i.path[j] as unknown;
      path.push(key(typeof seg === 'object' && seg !== null ? (seg as { key?: unknown }).key : seg));
    }
  }
  return { in: part, path, message };
}

/**
 * The 400 problem response of a validation failure: RFC 9457 with `code: 'ERR_VALIDATION'` and the extension members
 * `issues` (at most {@link VALIDATION_LIMITS}`.issues`) and, when some were left out, `issuesOmitted`.
 */
export function validationProblem(
  err: ValidationError,
  ctx: { requestId?: string | undefined; instance?: string | undefined },
): ProblemResponse {
  const body: ProblemDetails = problem(400, {
    detail: 'The request did not pass validation.',
    instance: ctx.instance,
    requestId: ctx.requestId,
    code: ERR_VALIDATION,
    issues: err.issues,
    issuesOmitted: err.omitted > 0 ? err.omitted : undefined,
  });
  return { status: 400, headers: {}, body, expected: true };
}

/** The problem response of one of the body errors below (415, malformed JSON), with its `code` in the body. */
export function bodyProblem(
  err: AdapterError,
  ctx: { requestId?: string | undefined; instance?: string | undefined },
): ProblemResponse {
  const p = problemForError(err, ctx);
  p.body.code = err.code;
  return p;
}

/** 400: a body declared as JSON that does not parse. */
export const malformedBody = (): AdapterError =>
  new AdapterError('ERR_MALFORMED_BODY', 400, 'Malformed JSON in request body');

/** 415: a body whose media type no parser took, on a route that validates its body. */
export const unsupportedBody = (): AdapterError =>
  new AdapterError(
    'ERR_UNSUPPORTED_MEDIA_TYPE',
    415,
    'The request body has a media type this route does not read (send JSON or a form)',
  );

/**
 * A validator threw or rejected: a bug on the server side, answered 500 (no detail) and logged with this message and
 * the original error as `cause`.
 */
export const validatorFailed = (
  adapter: string,
  cause: unknown,
  what = 'a validator threw instead of returning a result',
): AdapterError =>
  new AdapterError('ERR_VALIDATOR_FAILED', 500, `${adapter}: ${what}`, cause === undefined ? undefined : { cause });
