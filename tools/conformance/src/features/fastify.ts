// The features server on Fastify: the same routes as express.ts and hono.ts.
import * as orgFastify from '@org/fastify';
import fastify, { type FastifyInstance } from 'fastify';
import { never } from '../apps/shared.js';
import { ADMIN_FILTER, type FeatureOptions, FORM_PAGE } from './stack.js';

export async function fastifyFeatures(o: FeatureOptions): Promise<FastifyInstance> {
  const app = fastify({ logger: false });
  await app.register(orgFastify.hardening, o);
  app.get('/hello', async () => ({ hello: 'world' }));
  app.get('/ip', async (req) => ({ ip: req.clientIp }));
  app.get('/form', async (_req, reply) => reply.type('text/html').send(FORM_PAGE));
  app.post('/submit', async () => ({ submitted: true }));
  app.post('/hooks/in', async () => ({ hooked: true }));
  app.get('/never', never);
  app.post('/admin/op', { config: { ipFilter: ADMIN_FILTER } }, async () => ({ admin: true }));
  return app;
}
