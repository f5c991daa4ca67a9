// The schemas of the validated routes, the same contract written with each of the three validators users bring
// (every app mounts POST /valid/<library>/:id for each), plus an async schema and a schema that throws.
// No `node:` import: the Hono app runs on workerd too.
import { type } from 'arktype';
import * as v from 'valibot';
import { z } from 'zod';
import { SECRET_MESSAGE, wait } from './shared.js';

/** One contract: `:id` digits → number, `?page` digits → number (optional), body `{ title: non-empty, tags?: string[] }`. */
export const VALIDATORS = {
  zod: {
    params: z.object({ id: z.string().regex(/^\d+$/).transform(Number) }),
    query: z.object({ page: z.string().regex(/^\d+$/).transform(Number).optional() }),
    body: z.object({ title: z.string().min(1), tags: z.array(z.string()).optional() }),
  },
  valibot: {
    params: v.object({ id: v.pipe(v.string(), v.regex(/^\d+$/), v.transform(Number)) }),
    query: v.object({ page: v.optional(v.pipe(v.string(), v.regex(/^\d+$/), v.transform(Number))) }),
    body: v.object({ title: v.pipe(v.string(), v.minLength(1)), tags: v.optional(v.array(v.string())) }),
  },
  arktype: {
    params: type({ id: 'string.integer.parse' }),
    query: type({ 'page?': 'string.integer.parse' }),
    body: type({ title: 'string > 0', 'tags?': 'string[]' }),
  },
} as const;

/** The validators' names, as in the route paths. */
export const LIBRARIES = Object.keys(VALIDATORS) as Array<keyof typeof VALIDATORS>;

/** A title that an asynchronous check (a pretend database lookup) refuses. */
export const TAKEN_TITLE = 'taken';

/** An async schema: the title is checked against a pretend store after a few milliseconds. */
export const ASYNC_BODY = z.object({
  title: z.string().refine(async (t) => {
    await wait(5);
    return t !== TAKEN_TITLE;
  }, 'title is already taken'),
});

/** A schema whose validator throws (a bug in the server's own code): 500, logged, never a crash. */
export const THROWING = {
  '~standard': {
    version: 1 as const,
    vendor: 'conformance',
    validate(): never {
      throw new Error(SECRET_MESSAGE);
    },
  },
};
