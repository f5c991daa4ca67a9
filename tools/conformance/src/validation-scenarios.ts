// Input validation (validate() of each adapter) with zod, valibot and arktype, run against every app on every runtime.
import { expect } from 'vitest';
import { SECRET_MESSAGE } from './apps/shared.js';
import { LIBRARIES, TAKEN_TITLE } from './apps/validation.js';
import { type Ctx, expectPlan, expectProblem, linesOf, ownId, type Res, type Scenario, until } from './scenarios.js';

const json = (t: Ctx, path: string, body: unknown, headers: Record<string, string> = {}): Promise<Res> =>
  t.req(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

/** The 400 of a validation failure: problem+json, every header of the plan, `code` and bounded `issues`. */
function expectInvalid(r: Res, path: string, id: string): Array<{ in: string; path: unknown[]; message: string }> {
  const body = expectProblem(r, 400, 'Bad Request', path);
  expectPlan(r, path, id);
  expect(body.code).toBe('ERR_VALIDATION');
  const issues = body.issues as Array<{ in: string; path: unknown[]; message: string }>;
  expect(Array.isArray(issues)).toBe(true);
  for (const i of issues) {
    expect(['params', 'query', 'body']).toContain(i.in);
    expect(typeof i.message).toBe('string');
    expect(i.message.length).toBeGreaterThan(0);
  }
  return issues;
}

export const validationScenarios: Scenario[] = [
  {
    name: 'validation: valid params, query and body reach the handler parsed (zod, valibot, arktype)',
    async run(t) {
      for (const lib of LIBRARIES) {
        const r = await json(t, `/valid/${lib}/42?page=3`, { title: 'hello', tags: ['a', 'b'] });
        expect(r.status, `${lib}: ${r.text}`).toBe(200);
        expect(r.json(), lib).toEqual({
          params: { id: 42 },
          query: { page: 3 },
          body: { title: 'hello', tags: ['a', 'b'] },
        });
        const bare = await json(t, `/valid/${lib}/7`, { title: 'x' });
        expect(bare.json(), lib).toEqual({ params: { id: 7 }, query: {}, body: { title: 'x' } });
      }
    },
  },
  {
    name: 'validation: invalid body, query or params → 400 problem+json, code ERR_VALIDATION, issues naming each part',
    async run(t) {
      for (const lib of LIBRARIES) {
        const id = ownId(t, `invalid-${lib}`);
        const body = await json(t, `/valid/${lib}/1`, { title: '', tags: ['ok', 5] }, { 'x-request-id': id });
        const bodyIssues = expectInvalid(body, `/valid/${lib}/1`, id);
        expect(bodyIssues.map((i) => [i.in, i.path]).sort(), lib).toEqual([
          ['body', ['tags', 1]],
          ['body', ['title']],
        ]);
        // the client's values are not echoed back as data
        expect(Object.keys(body.json()).sort(), lib).toEqual(
          ['code', 'detail', 'instance', 'issues', 'requestId', 'status', 'title', 'type'].sort(),
        );

        const qid = ownId(t, `invalid-query-${lib}`);
        const query = await json(t, `/valid/${lib}/1?page=two`, { title: 'x' }, { 'x-request-id': qid });
        expect(
          expectInvalid(query, `/valid/${lib}/1`, qid).map((i) => [i.in, i.path]),
          lib,
        ).toEqual([['query', ['page']]]);

        // every part at once: params first, then query, then body
        const pid = ownId(t, `invalid-params-${lib}`);
        const all = await json(t, `/valid/${lib}/abc?page=x`, { tags: 'no' }, { 'x-request-id': pid });
        const issues = expectInvalid(all, `/valid/${lib}/abc`, pid);
        expect(issues[0], lib).toMatchObject({ in: 'params', path: ['id'] });
        expect(issues[1], lib).toMatchObject({ in: 'query', path: ['page'] });
        expect(
          issues.slice(2).every((i) => i.in === 'body'),
          lib,
        ).toBe(true);

        // no body at all on a route that validates one
        const none = await t.req(`/valid/${lib}/1`, { method: 'POST' });
        expect(none.status, `${lib}: ${none.text}`).toBe(400);
        expect(none.json().issues[0], lib).toMatchObject({ in: 'body' });
      }
    },
  },
  {
    name: 'validation: malformed JSON on a validated route stays 400 (not a validation issue)',
    async run(t) {
      const r = await json(t, '/valid/zod/1', '{"title":"x",nope');
      expectProblem(r, 400, 'Bad Request', '/valid/zod/1');
      expect(r.json().issues).toBeUndefined();
    },
  },
  {
    name: 'validation: a body nobody parses (application/xml) → 415 problem+json; never validated as an empty object',
    async run(t) {
      const r = await t.req('/valid/zod/1', {
        method: 'POST',
        headers: { 'content-type': 'application/xml' },
        body: '<note><title>x</title></note>',
      });
      // Express 4's json parser sets req.body to {} for any request: the schema sees {} and says what is missing
      if (t.target.app === 'express4') {
        expectProblem(r, 400, 'Bad Request', '/valid/zod/1');
        expect(r.json().issues[0]).toMatchObject({ in: 'body', path: ['title'] });
      } else {
        expectProblem(r, 415, 'Unsupported Media Type', '/valid/zod/1');
        expect(r.json().issues).toBeUndefined();
        // Fastify refuses it itself, before the route's hooks run
        if (t.target.app !== 'fastify') expect(r.json().code).toBe('ERR_UNSUPPORTED_MEDIA_TYPE');
      }
    },
  },
  {
    name: 'validation: an async schema is awaited (valid → 200, refused → 400 with its message)',
    async run(t) {
      const ok = await json(t, '/valid-async', { title: 'free' });
      expect(ok.status, ok.text).toBe(200);
      expect(ok.json()).toEqual({ body: { title: 'free' } });
      const id = ownId(t, 'async');
      const taken = await json(t, '/valid-async', { title: TAKEN_TITLE }, { 'x-request-id': id });
      expect(expectInvalid(taken, '/valid-async', id)).toEqual([
        { in: 'body', path: ['title'], message: 'title is already taken' },
      ]);
    },
  },
  {
    name: 'validation: a schema that throws → bare 500 problem+json, one error line, the route not reached, server alive',
    async run(t) {
      const id = ownId(t, 'throws');
      const r = await json(t, '/valid-throws', { title: 'x' }, { 'x-request-id': id });
      expectProblem(r, 500, 'Internal Server Error', '/valid-throws');
      expectPlan(r, '/valid-throws', id);
      expect(r.text).not.toContain(SECRET_MESSAGE);
      expect(r.text).not.toContain('reached');
      expect(await until(() => linesOf(t, id).length >= 2), 'log lines').toBe(true);
      await new Promise((r) => setTimeout(r, 30));
      expect(linesOf(t, id).filter((l) => l.msg === 'unhandled error')).toHaveLength(1);
      expect(linesOf(t, id).filter((l) => l.msg === 'request completed')).toEqual([
        expect.objectContaining({ status: 500 }),
      ]);
      expect(t.exited()).toBeUndefined();
      expect((await t.req('/hello')).status).toBe(200);
    },
  },
  {
    name: 'validation: a hostile body (10,000 bad items, a 20 KB key) gets a bounded 400: 20 issues, the rest counted',
    async run(t) {
      for (const lib of LIBRARIES) {
        const id = ownId(t, `huge-${lib}`);
        const body = { title: 'x', tags: Array.from({ length: 10_000 }, (_, i) => i), ['k'.repeat(20_000)]: 1 };
        const r = await json(t, `/valid/${lib}/1`, body, { 'x-request-id': id });
        const issues = expectInvalid(r, `/valid/${lib}/1`, id);
        expect(issues, lib).toHaveLength(20);
        expect(r.json().issuesOmitted, lib).toBeGreaterThanOrEqual(10_000 - 20);
        expect(r.text.length, lib).toBeLessThan(40_000);
      }
    },
  },
];
