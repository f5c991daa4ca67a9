import express, { type RequestHandler } from 'express';
import fastify, { type preHandlerAsyncHookHandler, type RawServerDefault, type FastifyRequest, type RouteGenericInterface } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';

declare function ev<B>(b: B): RequestHandler<any, any, any, any, { valid: { body: B } }>;
const app = express();
app.post('/x', ev({ title: 'a' }), (req, res) => {
  const t: string = res.locals.valid.body.title;
  const n: number = res.locals.valid.body.title; // should error
  res.json({ t, n });
});

type G<B> = { Body: B };
declare function fv<B>(b: B): preHandlerAsyncHookHandler<RawServerDefault, IncomingMessage, ServerResponse, G<B>>;
const f = fastify();
f.post('/x', { preHandler: fv({ title: 'a' }) }, async (req) => {
  const t: string = req.body.title;
  const n: number = req.body.title; // should error
  return { t, n };
});
