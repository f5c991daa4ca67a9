// One conformance server in its own process: `serve.ts <app> [--shutdown]`, run by Node (through tsx), Bun or Deno.
// Prints `READY {"port":…,"runtime":…}` once listening; every log line of the stack goes to stdout as JSON.
// <app>: express | express4 | fastify | hono-node (@hono/node-server) | hono-fetch (the Fetch path: Bun.serve,
// Deno.serve, or on Node app.request() behind a bare node:http bridge that hands the handler no Node objects).
// --shutdown: gracefulShutdown on SIGTERM (Node), 500 ms pre-stop delay, a 10 s timeout and a 1.5 s /work route.
// --features: the features app instead (features/: IP lists, CSRF guard, 504 timeout, legacy-window RateLimit).
// --h2: HTTP/2 without TLS (h2c, prior knowledge) through node:http2's compatibility API: Fastify's `http2: true`,
// @hono/node-server's `createServer: http2.createServer` (fastify and hono-node on Node only).
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildStack } from './stack.js';

declare const Bun: { version: string; serve(o: object): { port: number } } | undefined;
declare const Deno:
  | {
      version: { deno: string };
      env: { get(name: string): string | undefined };
      serve(o: object, h: (req: Request, info: unknown) => Response | Promise<Response>): unknown;
    }
  | undefined;

const [appName, ...flags] = process.argv.slice(2);
const shutdown = flags.includes('--shutdown');
const features = flags.includes('--features');
const h2 = flags.includes('--h2');
const runtime =
  typeof Bun !== 'undefined'
    ? `bun ${Bun.version}`
    : typeof Deno !== 'undefined'
      ? `deno ${Deno.version.deno}`
      : `node ${process.version}`;

const stack = shutdown ? buildStack({ timeoutMs: 10_000, workMs: 1_500 }) : buildStack();

function ready(port: number, extra: Record<string, unknown> = {}): void {
  console.log(`READY ${JSON.stringify({ port, runtime, app: appName, ...extra })}`);
}

async function nodeServer(): Promise<Server> {
  if (appName === 'express' || appName === 'express4') {
    const { expressApp } = await import('./apps/express.js');
    const express = (await import(appName === 'express' ? 'express' : 'express4')).default;
    if (features) {
      const { expressFeatures } = await import('./features/express.js');
      const { buildFeatureStack } = await import('./features/stack.js');
      return expressFeatures(express, buildFeatureStack()).listen(0, '127.0.0.1');
    }
    return expressApp(express, stack.options, stack.deps).listen(0, '127.0.0.1');
  }
  if (appName === 'fastify') {
    const { fastifyApp } = await import('./apps/fastify.js');
    const { fastifyFeatures } = await import('./features/fastify.js');
    const { buildFeatureStack } = await import('./features/stack.js');
    const app = features
      ? await fastifyFeatures(buildFeatureStack())
      : await fastifyApp(stack.options, stack.deps, { http2: h2 });
    await app.listen({ port: 0, host: '127.0.0.1' });
    return app.server;
  }
  const { serve } = await import('@hono/node-server');
  const app = await honoBuild();
  if (appName === 'hono-node') {
    const createServer = h2 ? (await import('node:http2')).createServer : undefined;
    return serve({
      fetch: app.fetch,
      port: 0,
      hostname: '127.0.0.1',
      ...(createServer ? { createServer } : {}),
    }) as Server;
  }
  // the Fetch path on Node: app.request() with a Deno-shaped env carrying the peer address, no Node objects
  return serve({
    port: 0,
    hostname: '127.0.0.1',
    fetch: (req: Request, env: { incoming: { socket: { remoteAddress?: string | undefined } } }) =>
      app.request(req, undefined, { remoteAddr: { hostname: env.incoming.socket.remoteAddress } }),
  }) as Server;
}

/** The Hono app: the conformance app, or the features app with --features. */
async function honoBuild(): Promise<import('hono').Hono<any>> {
  if (features) {
    const { honoFeatures } = await import('./features/hono.js');
    const { buildFeatureStack } = await import('./features/stack.js');
    return honoFeatures(buildFeatureStack());
  }
  const { honoApp } = await import('./apps/hono.js');
  return honoApp(stack.options, stack.deps);
}

async function main(): Promise<void> {
  if (appName === 'hono-fetch' && typeof Bun !== 'undefined') {
    const app = await honoBuild();
    ready(Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: app.fetch }).port);
    return;
  }
  if (appName === 'hono-fetch' && typeof Deno !== 'undefined') {
    const app = await honoBuild();
    const deno = Deno;
    // --h2: TLS with the certificate and key (PEM) in H2_CERT and H2_KEY; Deno.serve offers HTTP/2 through ALPN
    const tls = h2 ? { cert: deno.env.get('H2_CERT'), key: deno.env.get('H2_KEY') } : {};
    deno.serve(
      { port: 0, hostname: '127.0.0.1', ...tls, onListen: ({ port }: { port: number }) => ready(port) },
      app.fetch,
    );
    return;
  }
  const server = await nodeServer();
  if (!server.listening) await new Promise((r) => server.once('listening', r));
  if (shutdown) {
    const { gracefulShutdown } = await import('@org/health/node');
    gracefulShutdown(server, {
      health: stack.options.health,
      preStopDelayMs: 500,
      drainTimeoutMs: 5_000,
      deadlineMs: 8_000,
    });
  }
  ready((server.address() as AddressInfo).port);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
