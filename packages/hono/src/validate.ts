import {
  bodyProblem,
  compileValidation,
  malformedBody,
  type StandardSchemaV1,
  unsupportedBody,
  type ValidationPart,
  type ValidationSchemas,
  validationProblem,
} from '@org/adapter-kit/validate';
import type { Context, Env, MiddlewareHandler } from 'hono';
import { problemResponse } from './middleware.js';

/** Hono's name for each part: `c.req.valid('json')`, `c.req.valid('query')`, `c.req.valid('param')`. */
export interface HonoTargetOf {
  body: 'json';
  query: 'query';
  params: 'param';
}

/**
 * The Hono `Input` of {@link validate}: what `c.req.valid(target)` returns (each schema's output) and what a typed
 * client (`hc`) sends (each schema's input).
 */
export interface ValidInput<S extends ValidationSchemas> {
  in: { [K in keyof S & ValidationPart as HonoTargetOf[K]]: StandardSchemaV1.InferInput<NonNullable<S[K]>> };
  out: { [K in keyof S & ValidationPart as HonoTargetOf[K]]: StandardSchemaV1.InferOutput<NonNullable<S[K]>> };
}

const TARGET: HonoTargetOf = { body: 'json', query: 'query', params: 'param' };
const JSON_TYPE = /^application\/(?:[\w.-]+\+)?json$/i;

const ctxOf = (c: Context) => ({
  requestId: (c.get('requestId') as string | undefined) || undefined,
  instance: c.req.path,
});

/** The query as Hono's own validator hands it over: a key given once is a string, a repeated key an array. */
function queryOf(c: Context): Record<string, string | string[]> {
  const all = c.req.queries();
  const out: Record<string, string | string[]> = {};
  for (const k of Object.keys(all)) {
    const v = all[k]!;
    out[k] = v.length === 1 ? v[0]! : v;
  }
  return out;
}

/**
 * Middleware validating the request's `params`, `query` and JSON `body` with Standard Schema v1 validators (zod,
 * valibot, arktype, ...; sync or async). The parsed values are read the Hono way, typed by the schemas:
 * `c.req.valid('json')`, `c.req.valid('query')`, `c.req.valid('param')` (and a typed `hc` client sends the schemas'
 * input types). Every part's issues are gathered into one 400 application/problem+json with `code: 'ERR_VALIDATION'`
 * and `issues` (`{ in, path, message }`, bounded in count and size; the input itself is never echoed); malformed JSON
 * is 400, a body that is not JSON 415. A validator that throws is thrown on: `app.onError(problemHandler())` answers
 * 500 and logs it.
 *
 * @example
 * const Note = type({ title: 'string > 0', body: 'string' });
 * app.post('/notes', validate({ body: Note }), (c) => c.json({ title: c.req.valid('json').title }, 201));
 * @throws {TypeError} at setup when a schema is not a Standard Schema v1 validator, naming the part.
 */
export function validate<const S extends ValidationSchemas, E extends Env = any, P extends string = string>(
  schemas: S,
): MiddlewareHandler<E, P, ValidInput<S>> {
  const v = compileValidation(schemas, 'hono');
  const checksBody = v.parts.includes('body');
  return async function orgValidate(c, next) {
    const ctx = c as unknown as Context;
    let body: unknown;
    if (checksBody) {
      const len = c.req.header('content-length');
      const announced = len !== undefined ? len !== '0' : c.req.header('transfer-encoding') !== undefined;
      if (announced) {
        const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim();
        if (!JSON_TYPE.test(type)) return problemResponse(bodyProblem(unsupportedBody(), ctxOf(ctx)));
        try {
          body = await c.req.json();
        } catch (e) {
          // a body over the hardening's bodyLimit is its 413, not ours to answer
          if (!(e instanceof SyntaxError)) throw e;
          return problemResponse(bodyProblem(malformedBody(), ctxOf(ctx)));
        }
      }
    }
    const out = await v.run((part) => (part === 'body' ? body : part === 'query' ? queryOf(ctx) : c.req.param()));
    if (!out.ok) return problemResponse(validationProblem(out.error, ctxOf(ctx)), false, c.req.method === 'HEAD');
    for (const part of v.parts) c.req.addValidatedData(TARGET[part], out.value[part] as object);
    await next();
    return undefined;
  };
}
