import { type } from 'arktype';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isAdapterError } from './errors.js';
import {
  compileValidation,
  type StandardSchemaV1,
  VALIDATION_LIMITS,
  type ValidationPart,
  validationProblem,
} from './validate.js';

const parts =
  (values: Partial<Record<ValidationPart, unknown>>) =>
  (p: ValidationPart): unknown =>
    values[p];

/** A hand-written Standard Schema whose validate() is `fn`: for what no library does on purpose. */
const raw = (fn: (value: unknown) => unknown): StandardSchemaV1 =>
  ({ '~standard': { version: 1, vendor: 'test', validate: fn } }) as unknown as StandardSchemaV1;

const libraries = {
  zod: {
    body: z.object({ title: z.string().min(1), tags: z.array(z.string()) }),
    params: z.object({ id: z.string().regex(/^\d+$/).transform(Number) }),
  },
  valibot: {
    body: v.object({ title: v.pipe(v.string(), v.minLength(1)), tags: v.array(v.string()) }),
    params: v.object({ id: v.pipe(v.string(), v.regex(/^\d+$/), v.transform(Number)) }),
  },
  arktype: {
    body: type({ title: 'string > 0', tags: 'string[]' }),
    params: type({ id: type('string.integer.parse') }),
  },
};

describe.each(Object.entries(libraries))('compileValidation with %s', (_name, s) => {
  const val = compileValidation({ body: s.body, params: s.params }, 'test');

  it('valid input: the parsed values of every part (transforms applied)', async () => {
    const out = await val.run(parts({ body: { title: 'a', tags: ['x'] }, params: { id: '42' } }));
    expect(out).toEqual({ ok: true, value: { body: { title: 'a', tags: ['x'] }, params: { id: 42 } } });
  });

  it("invalid input: every part's issues, with where, path and message, never the input", async () => {
    const out = await val.run(parts({ body: { title: '', tags: ['ok', 7] }, params: { id: 'abc' } }));
    expect(out.ok).toBe(false);
    if (out.ok) return;
    const issues = out.error.issues;
    // params before body; within a part, in the library's own order
    expect(issues[0]).toMatchObject({ in: 'params', path: ['id'] });
    expect(issues.slice(1).map((i) => [i.in, i.path])).toEqual(
      expect.arrayContaining([
        ['body', ['title']],
        ['body', ['tags', 1]],
      ]),
    );
    expect(issues).toHaveLength(3);
    for (const i of issues) expect(typeof i.message).toBe('string');
    expect(out.error.omitted).toBe(0);
    expect(out.error.code).toBe('ERR_VALIDATION');
    expect(out.error.status).toBe(400);
    expect(isAdapterError(out.error)).toBe(true);
  });

  it('a hostile body: ten thousand bad items and a huge key give a bounded answer', async () => {
    const big = 'k'.repeat(100_000);
    const out = await val.run(
      parts({ body: { title: 5, tags: Array.from({ length: 10_000 }, (_, i) => i), [big]: 1 }, params: { id: '1' } }),
    );
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.error.issues).toHaveLength(VALIDATION_LIMITS.issues);
    expect(out.error.omitted).toBeGreaterThanOrEqual(10_001 - VALIDATION_LIMITS.issues);
    const p = validationProblem(out.error, { requestId: 'r1', instance: '/notes' });
    expect(p.status).toBe(400);
    expect(p.body).toMatchObject({ status: 400, code: 'ERR_VALIDATION', requestId: 'r1', instance: '/notes' });
    expect(p.body.issuesOmitted).toBe(out.error.omitted);
    expect(JSON.stringify(p.body).length).toBeLessThan(40_000);
  });
});

describe('compileValidation', () => {
  it('checks the schemas once, at setup, naming the part', () => {
    expect(() => compileValidation({ body: { parse() {} } as never }, 'express')).toThrow(
      /express: validate\(\) body must be a Standard Schema v1 validator/,
    );
    expect(() => compileValidation({ headers: z.string() } as never, 'hono')).toThrow(/got "headers"/);
    expect(() => compileValidation({}, 'fastify')).toThrow(/at least one of body, query, params/);
    expect(() => compileValidation(null as never, 'fastify')).toThrow(TypeError);
  });

  it('an async schema is awaited, and async parts run side by side', async () => {
    let running = 0;
    let most = 0;
    const slow = raw(async (value) => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 10));
      running--;
      return { value };
    });
    const out = await compileValidation({ query: slow, body: slow }, 't').run(parts({ query: 1, body: 2 }));
    expect(out).toEqual({ ok: true, value: { query: 1, body: 2 } });
    expect(most).toBe(2);
    const zodAsync = z.object({ n: z.number().refine(async (n) => n > 0, 'must be positive') });
    const bad = await compileValidation({ body: zodAsync }, 't').run(parts({ body: { n: -1 } }));
    expect(bad.ok ? [] : bad.error.issues).toEqual([{ in: 'body', path: ['n'], message: 'must be positive' }]);
  });

  it('a validator that throws or rejects: an AdapterError 500 with the cause; no rejection left unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const throws = raw(() => {
        throw new Error('schema bug');
      });
      const rejects = raw(async () => {
        throw new Error('async schema bug');
      });
      for (const schemas of [{ body: throws }, { query: rejects, body: throws }, { params: rejects, query: rejects }]) {
        const err = await compileValidation(schemas, 'hono')
          .run(parts({}))
          .then(
            () => undefined,
            (e: unknown) => e,
          );
        expect(isAdapterError(err)).toBe(true);
        expect(err).toMatchObject({ code: 'ERR_VALIDATOR_FAILED', status: 500 });
        expect(((err as Error).cause as Error).message).toMatch(/schema bug/);
      }
      const notAResult = await compileValidation({ body: raw(() => 42) }, 't')
        .run(parts({}))
        .catch((e: unknown) => e);
      expect(notAResult).toMatchObject({ code: 'ERR_VALIDATOR_FAILED' });
      await new Promise((r) => setTimeout(r, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('odd issues from a validator: empty list, symbol and object path keys, long messages, deep paths', async () => {
    const empty = await compileValidation({ body: raw(() => ({ issues: [] })) }, 't').run(parts({}));
    expect(empty.ok ? null : empty.error.issues).toEqual([{ in: 'body', path: [], message: 'Invalid' }]);
    const odd = raw(() => ({
      issues: [
        { message: 'x'.repeat(10_000), path: [Symbol('sym'), { key: 'k'.repeat(1000) }, Number.NaN, 3] },
        { message: 42, path: Array.from({ length: 1000 }, (_, i) => i) },
        null,
      ],
    }));
    const out = await compileValidation({ query: odd }, 't').run(parts({}));
    if (out.ok) throw new Error('expected issues');
    const [a, b, c] = out.error.issues;
    expect(a!.message).toHaveLength(VALIDATION_LIMITS.messageLength);
    expect(a!.path).toEqual(['sym', `${'k'.repeat(VALIDATION_LIMITS.keyLength - 1)}…`, 'NaN', 3]);
    expect(b).toEqual({
      in: 'query',
      path: Array.from({ length: VALIDATION_LIMITS.pathDepth }, (_, i) => i),
      message: 'Invalid',
    });
    expect(c).toEqual({ in: 'query', path: [], message: 'Invalid' });
  });
});
