import {
  bodyProblem,
  compileValidation,
  type OutputOf,
  unsupportedBody,
  type Validated,
  type ValidationSchemas,
  validationProblem,
} from '@org/adapter-kit/validate';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { type HardeningLocals, sendProblem } from './middleware.js';

/** What {@link validate} puts on `res.locals`: `res.locals.valid.body`, `.query`, `.params`, typed by the schemas. */
export interface ValidLocals<S extends ValidationSchemas> {
  /** The parsed values of the validated parts (each its schema's output type). */
  valid: Validated<S>;
}

/**
 * The handler {@link validate} returns. Express takes its `Locals` type into the route's next handlers, so they see
 * `res.locals.valid` typed; `req.body` is typed as the body schema's output too (it is left as the body parser made it).
 */
export type ValidateHandler<S extends ValidationSchemas> = RequestHandler<
  Request['params'],
  any,
  OutputOf<S, 'body', any>,
  any,
  ValidLocals<S>
>;

const pathOf = (req: Request): string => {
  const u = req.originalUrl ?? req.url ?? '/';
  const q = u.indexOf('?');
  return q < 0 ? u : u.slice(0, q);
};

/** Whether the request carries a body (a Content-Length above 0, or a chunked body). */
const hasBody = (req: Request): boolean => {
  const len = req.headers['content-length'];
  return len !== undefined ? len !== '0' : req.headers['transfer-encoding'] !== undefined;
};

/**
 * Route middleware validating the request's `params`, `query` and `body` with Standard Schema v1 validators (zod,
 * valibot, arktype, ...; sync or async). The parsed values go to `res.locals.valid` — typed for the route's next
 * handlers — and the request itself is left as it came (Express 5 computes `req.query` on every read, and the router
 * resets `req.params` per layer, so neither can be replaced). Invalid input is answered 400 application/problem+json
 * with `code: 'ERR_VALIDATION'` and the `issues` (`{ in, path, message }`, bounded in count and size); a validator that
 * throws goes to `next(err)` (the error handler answers 500 and logs it). The body is what your body parser (e.g.
 * `express.json()`) made of it; a body no parser read is answered 415.
 *
 * @example
 * const Note = z.object({ title: z.string().min(1), body: z.string() });
 * app.post('/notes', express.json(), validate({ body: Note }), (req, res) => {
 *   res.status(201).json({ title: res.locals.valid.body.title });
 * });
 * @throws {TypeError} at setup when a schema is not a Standard Schema v1 validator, naming the part.
 */
export function validate<const S extends ValidationSchemas>(schemas: S): ValidateHandler<S> {
  const v = compileValidation(schemas, 'express');
  const checksBody = v.parts.includes('body');
  return function orgValidate(req: Request, res: Response, next: NextFunction): void {
    const locals = res.locals as HardeningLocals & { valid?: Record<string, unknown> };
    if (checksBody && req.body === undefined && hasBody(req)) {
      sendProblem(res, bodyProblem(unsupportedBody(), { requestId: locals.requestId, instance: pathOf(req) }));
      return;
    }
    v.run((part) => (part === 'body' ? req.body : part === 'query' ? req.query : req.params)).then((out) => {
      // the timeout answered meanwhile: nothing more to do for this request
      if (res.headersSent || locals.timedOut) return;
      if (!out.ok) {
        sendProblem(res, validationProblem(out.error, { requestId: locals.requestId, instance: pathOf(req) }));
        return;
      }
      // a second validate() on the same route adds its parts
      locals.valid = locals.valid === undefined ? out.value : { ...locals.valid, ...out.value };
      next();
    }, next);
  } as unknown as ValidateHandler<S>;
}
