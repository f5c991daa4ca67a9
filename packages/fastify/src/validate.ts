import { compileValidation, type OutputOf, type ValidationSchemas, validationProblem } from '@org/adapter-kit/validate';
import type {
  FastifyReply,
  FastifyRequest,
  preHandlerAsyncHookHandler,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import { sendProblem } from './plugin.js';

/** The route types {@link validate} gives the handler: `request.body`, `query` and `params` as the schemas' output. */
export interface ValidRoute<S extends ValidationSchemas> {
  Body: OutputOf<S, 'body'>;
  Querystring: OutputOf<S, 'query'>;
  Params: OutputOf<S, 'params'>;
}

/** The preHandler {@link validate} returns; Fastify takes its route types into the handler of the same route. */
export type ValidateHook<S extends ValidationSchemas> = preHandlerAsyncHookHandler<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  ValidRoute<S>
>;

const pathOf = (url: string): string => {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
};

/**
 * A preHandler validating the request's `params`, `query` and `body` with Standard Schema v1 validators (zod,
 * valibot, arktype, ...; sync or async), after Fastify has parsed the body. The parsed values replace
 * `request.body`, `request.query` and `request.params`, as Fastify's own schema validation does with the values it
 * coerces, and the handler of the route sees them typed (`{ preHandler: validate({ body }) }` gives the route its
 * `Body` type). Invalid input is answered 400 application/problem+json with `code: 'ERR_VALIDATION'` and the
 * `issues` (`{ in, path, message }`, bounded in count and size); a validator that throws is thrown on (the plugin's
 * error handler answers 500 and logs it).
 *
 * @example
 * const Note = v.object({ title: v.pipe(v.string(), v.minLength(1)), body: v.string() });
 * app.post('/notes', { preHandler: validate({ body: Note }) }, async (request, reply) => {
 *   return reply.code(201).send({ title: request.body.title });
 * });
 * @throws {TypeError} at setup when a schema is not a Standard Schema v1 validator, naming the part.
 */
export function validate<const S extends ValidationSchemas>(schemas: S): ValidateHook<S> {
  const v = compileValidation(schemas, 'fastify');
  const hook = async function orgValidate(request: FastifyRequest, reply: FastifyReply): Promise<unknown> {
    const out = await v.run((part) =>
      part === 'body' ? request.body : part === 'query' ? request.query : request.params,
    );
    // the timeout answered meanwhile: nothing more to do for this request
    if (reply.sent || request.timedOut) return reply;
    if (!out.ok)
      return sendProblem(
        reply,
        validationProblem(out.error, { requestId: request.requestId || undefined, instance: pathOf(request.url) }),
      );
    const { value } = out;
    if ('params' in value) request.params = value.params;
    if ('query' in value) request.query = value.query;
    if ('body' in value) request.body = value.body;
    return undefined;
  };
  return hook as unknown as ValidateHook<S>;
}
