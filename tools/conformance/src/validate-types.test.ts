// Type inference of validate() in every adapter, with the three validators users bring: the handler sees each schema's
// output type (transforms included), and a wrong use does not compile. `expectTypeOf` is checked by `tsc` (pnpm
// typecheck) and the `@ts-expect-error` lines fail the type check if they ever compile; at run time these are no-ops,
// plus a check that each schema really is a Standard Schema v1 validator at run time.
import * as orgExpress from '@org/express';
import * as orgFastify from '@org/fastify';
import * as orgHono from '@org/hono';
import { type } from 'arktype';
import express from 'express';
import fastify from 'fastify';
import { Hono } from 'hono';
import { hc } from 'hono/client';
import * as v from 'valibot';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { z } from 'zod';

// the same contract in each library: a body whose `count` arrives as a string and leaves as a number
const zodBody = z.object({ title: z.string(), count: z.string().transform(Number) });
const valibotBody = v.object({ title: v.string(), count: v.pipe(v.string(), v.transform(Number)) });
const arkBody = type({ title: 'string', count: type('string').pipe(Number) });
const zodQuery = z.object({ page: z.coerce.number().optional() });
const valibotParams = v.object({ id: v.pipe(v.string(), v.uuid()) });
const arkParams = type({ id: 'string.uuid' });

type Body = { title: string; count: number };

describe('validate() types', () => {
  it('every schema is a Standard Schema v1 validator', () => {
    for (const s of [zodBody, valibotBody, arkBody, zodQuery, valibotParams, arkParams])
      expect(s['~standard'].version).toBe(1);
  });

  it('express: res.locals.valid carries each part as its schema output', () => {
    const app = express();
    app.post('/z/:id', express.json(), orgExpress.validate({ body: zodBody, query: zodQuery }), (req, res) => {
      expectTypeOf(res.locals.valid.body).toEqualTypeOf<Body>();
      expectTypeOf(res.locals.valid.query).toEqualTypeOf<{ page?: number | undefined }>();
      expectTypeOf(req.body).toEqualTypeOf<Body>();
      // @ts-expect-error params were not validated on this route
      res.locals.valid.params;
      res.end();
    });
    app.post(
      '/v/:id',
      express.json(),
      orgExpress.validate({ body: valibotBody, params: valibotParams }),
      (_req, res) => {
        expectTypeOf(res.locals.valid.body).toEqualTypeOf<Body>();
        expectTypeOf(res.locals.valid.params).toEqualTypeOf<{ id: string }>();
        // @ts-expect-error count is a number after the transform
        const s: string = res.locals.valid.body.count;
        res.json(s);
      },
    );
    app.post('/a/:id', express.json(), orgExpress.validate({ body: arkBody, params: arkParams }), (_req, res) => {
      expectTypeOf(res.locals.valid.body).toEqualTypeOf<Body>();
      expectTypeOf(res.locals.valid.params).toEqualTypeOf<{ id: string }>();
      res.end();
    });
    // a wrong schema fails the type check, and at run time too (at setup, naming the part)
    expect(() =>
      // @ts-expect-error not a Standard Schema
      orgExpress.validate({ body: { parse: () => 1 } }),
    ).toThrow(/body must be a Standard Schema v1 validator/);
  });

  it('fastify: request.body, query and params are the schema outputs in the route handler', () => {
    const app = fastify();
    app.post('/z/:id', { preHandler: orgFastify.validate({ body: zodBody, query: zodQuery }) }, async (req) => {
      expectTypeOf(req.body).toEqualTypeOf<Body>();
      expectTypeOf(req.query).toEqualTypeOf<{ page?: number | undefined }>();
      return req.body.count + 1;
    });
    app.post(
      '/v/:id',
      { preHandler: orgFastify.validate({ body: valibotBody, params: valibotParams }) },
      async (req) => {
        expectTypeOf(req.body).toEqualTypeOf<Body>();
        expectTypeOf(req.params).toEqualTypeOf<{ id: string }>();
        // @ts-expect-error count is a number after the transform
        const s: string = req.body.count;
        return s;
      },
    );
    app.post('/a/:id', { preHandler: orgFastify.validate({ body: arkBody, params: arkParams }) }, async (req) => {
      expectTypeOf(req.body).toEqualTypeOf<Body>();
      expectTypeOf(req.params).toEqualTypeOf<{ id: string }>();
      return null;
    });
    // among other preHandlers too
    app.post('/many', { preHandler: [async () => {}, orgFastify.validate({ body: arkBody })] }, async (req) => {
      expectTypeOf(req.body).toEqualTypeOf<Body>();
      return null;
    });
    expect(() =>
      // @ts-expect-error unknown part
      orgFastify.validate({ headers: zodQuery }),
    ).toThrow(/got "headers"/);
  });

  it("hono: a typed client (hc) sends the schemas' input types", () => {
    const route = new Hono().post('/notes/:id', orgHono.validate({ body: zodBody, params: valibotParams }), (c) =>
      c.json({ count: c.req.valid('json').count }),
    );
    const client = hc<typeof route>('http://127.0.0.1:1');
    expectTypeOf(client.notes[':id'].$post)
      .parameter(0)
      .toEqualTypeOf<{ json: { title: string; count: string }; param: { id: string } }>();
  });

  it('hono: c.req.valid(target) returns the schema outputs', () => {
    const app = new Hono<orgHono.HardeningEnv>();
    app.post('/z/:id', orgHono.validate({ body: zodBody, query: zodQuery }), (c) => {
      expectTypeOf(c.req.valid('json')).toEqualTypeOf<Body>();
      expectTypeOf(c.req.valid('query')).toEqualTypeOf<{ page?: number | undefined }>();
      // the hardening's variables are still typed
      expectTypeOf(c.get('requestId')).toEqualTypeOf<string>();
      return c.json(c.req.valid('json').count);
    });
    app.post('/v/:id', orgHono.validate({ body: valibotBody, params: valibotParams }), (c) => {
      expectTypeOf(c.req.valid('json')).toEqualTypeOf<Body>();
      expectTypeOf(c.req.valid('param')).toEqualTypeOf<{ id: string }>();
      // @ts-expect-error query was not validated on this route
      c.req.valid('query');
      return c.body(null);
    });
    app.post('/a/:id', orgHono.validate({ body: arkBody, params: arkParams }), (c) => {
      expectTypeOf(c.req.valid('json')).toEqualTypeOf<Body>();
      expectTypeOf(c.req.valid('param')).toEqualTypeOf<{ id: string }>();
      return c.body(null);
    });
  });
});
