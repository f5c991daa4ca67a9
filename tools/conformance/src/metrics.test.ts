// The `metrics` option on every adapter, on a real loopback server: request duration by route template (never the raw
// path), in flight, rate-limit decisions, 413 and timeout rejections; prom-client's output checked by promtool, and the
// same through the OpenTelemetry SDK's in-memory exporter.
import { spawnSync } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import {
  AggregationTemporality,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import * as orgExpress from '@org/express';
import * as orgFastify from '@org/fastify';
import { createHealth } from '@org/health';
import * as orgHono from '@org/hono';
import { createMetrics, type Metrics } from '@org/metrics';
import { memoryStore, rateLimiter } from '@org/ratelimit';
import express from 'express';
import express4 from 'express4';
import fastify from 'fastify';
import { Hono } from 'hono';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';

const TIMEOUT_MS = 200;
const BODY_LIMIT = 1024;
const wait = (ms: number, signal?: AbortSignal | null): Promise<void> =>
  new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      resolve();
    });
  });

interface Running {
  url: string;
  close(): Promise<void>;
}

interface AppOptions {
  metrics: Metrics;
  limit: number;
}

const options = (o: AppOptions) => ({
  metrics: o.metrics,
  rateLimit: rateLimiter({ name: 'api', limit: o.limit, windowMs: 60_000, store: memoryStore() }),
  timeoutMs: TIMEOUT_MS,
  bodyLimit: BODY_LIMIT,
  health: createHealth({ cacheMs: 0 }),
});

const closeNode = (server: Server) => () =>
  new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

/** The Express app on Express 5 or 4 (the peer range; `req.route` and `baseUrl` are the same in both). */
async function expressApp(make: typeof express, o: AppOptions): Promise<Running> {
  const app = make();
  const h = orgExpress.hardening(options(o));
  app.use(h);
  app.get('/users/:id', (req, res) => {
    res.json({ id: req.params.id });
  });
  app.get('/slow', async (_req, res) => {
    await wait(2_000, res.locals.signal);
    if (!res.headersSent) res.json({ late: true });
  });
  app.post('/upload', (_req, res) => {
    res.json({ ok: true });
  });
  const api = make.Router();
  api.get('/items/:n', (req, res) => {
    res.json({ n: req.params.n });
  });
  app.use('/api', api);
  app.use(h.notFound);
  app.use(h.errorHandler);
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: closeNode(server) };
}

const APPS: Record<string, (o: AppOptions) => Promise<Running>> = {
  express: (o) => expressApp(express, o),
  express4: (o) => expressApp(express4, o),
  async fastify(o) {
    const app = fastify();
    await app.register(orgFastify.hardening, options(o));
    app.get('/users/:id', async (req) => ({ id: (req.params as { id: string }).id }));
    app.get('/slow', async (req) => {
      await wait(2_000, req.timeoutSignal);
      return { late: true };
    });
    app.post('/upload', async () => ({ ok: true }));
    await app.register(
      async (api) => {
        api.get('/items/:n', async (req) => ({ n: (req.params as { n: string }).n }));
      },
      { prefix: '/api' },
    );
    await app.listen({ port: 0, host: '127.0.0.1' });
    return { url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`, close: () => app.close() };
  },
  async hono(o) {
    const app = new Hono<orgHono.HardeningEnv>();
    app.use(orgHono.hardening(options(o)));
    app.onError(orgHono.problemHandler());
    app.notFound(orgHono.notFoundHandler());
    app.get('/users/:id', (c) => c.json({ id: c.req.param('id') }));
    app.get('/slow', async (c) => {
      await wait(2_000, orgHono.timeoutSignal(c));
      return c.json({ late: true });
    });
    app.post('/upload', async (c) => {
      await c.req.arrayBuffer();
      return c.json({ ok: true });
    });
    const api = new Hono();
    api.get('/items/:n', (c) => c.json({ n: c.req.param('n') }));
    app.route('/api', api);
    const server = await new Promise<Server>((resolve) => {
      const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s as Server)) as Server;
    });
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: closeNode(server) };
  },
};

let running: Running | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

/** Polls `read` until `ok` holds (the duration is recorded when the response's 'close' event fires). */
async function until<T>(read: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  let v = await read();
  for (let i = 0; i < 100 && !ok(v); i++) {
    await wait(10);
    v = await read();
  }
  return v;
}

/** The requests every adapter gets: three on one route template, a 404, a 413, a timeout. */
async function drive(url: string, during: () => Promise<void>): Promise<void> {
  for (const id of ['1', '2', 'x-3']) expect((await fetch(`${url}/users/${id}`)).status).toBe(200);
  expect((await fetch(`${url}/api/items/5`)).status).toBe(200); // a mounted router / prefixed plugin / sub-app
  expect((await fetch(`${url}/livez?verbose`)).status).toBe(200); // answered by the adapter: its own path
  expect((await fetch(`${url}/no/such/path`)).status).toBe(404);
  const big = await fetch(`${url}/upload`, { method: 'POST', body: 'x'.repeat(BODY_LIMIT * 2) });
  expect(big.status).toBe(413);
  const slow = fetch(`${url}/slow`);
  await during();
  expect((await slow).status).toBe(503);
}

describe.each(Object.keys(APPS))('%s: metrics option on a prom-client Registry', (name) => {
  it('records route templates, in flight, decisions and rejections; promtool accepts the output', async () => {
    const registry = new Registry();
    const metrics = createMetrics({ registry });
    running = await APPS[name]!({ metrics, limit: 1000 });
    const url = running.url;
    let during = '';
    await drive(url, async () => {
      during = await until(
        () => registry.metrics(),
        (t) => t.includes('http_server_active_requests{method="GET"} 1'),
      );
    });
    expect(during).toContain('http_server_active_requests{method="GET"} 1');

    const text = await until(
      () => registry.metrics(),
      (t) => t.includes('http_server_rejections_total{reason="timeout"} 1') && t.includes('{method="GET"} 0'),
    );
    expect(text).toContain(
      'http_server_request_duration_seconds_count{method="GET",route="/users/:id",status="200"} 3',
    );
    expect(text).toContain('http_server_request_duration_seconds_count{method="GET",route="unmatched",status="404"} 1');
    expect(text).toContain(
      'http_server_request_duration_seconds_count{method="GET",route="/api/items/:n",status="200"} 1',
    );
    expect(text).toContain('http_server_request_duration_seconds_count{method="GET",route="/slow",status="503"} 1');
    expect(text).toContain('http_server_request_duration_seconds_count{method="GET",route="/livez",status="200"} 1');
    expect(text).toMatch(/http_server_request_duration_seconds_count\{method="POST",route="[^"]+",status="413"\} 1/);
    expect(text).not.toMatch(/route="\/users\/(1|2|x-3)"|no\/such|items\/5/);
    expect(text).toContain('http_server_active_requests{method="GET"} 0');
    expect(text).toContain('http_server_rejections_total{reason="body_limit"} 1');
    expect(text).toContain('http_server_rejections_total{reason="timeout"} 1');
    expect(text).toMatch(/http_server_rate_limit_decisions_total\{decision="allowed"\} [5-7]\n/);
    expect(text).not.toContain('decision="limited"');

    const r = spawnSync('/usr/bin/promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
  });

  it('counts limited requests; a client method that is not registered is one _OTHER series', async () => {
    const registry = new Registry();
    const metrics = createMetrics({ registry });
    running = await APPS[name]!({ metrics, limit: 1 });
    expect((await fetch(`${running.url}/users/1`)).status).toBe(200);
    expect((await fetch(`${running.url}/users/2`)).status).toBe(429);
    // Node's parser lets WebDAV methods through: any method outside the registered ones is one label
    await fetch(`${running.url}/users/3`, { method: 'PROPFIND' });
    const text = await until(
      () => registry.metrics(),
      (t) => t.includes('method="_OTHER"') && t.includes('status="429"'),
    );
    expect(text).toContain('http_server_rate_limit_decisions_total{decision="allowed"} 1');
    expect(text).toMatch(/http_server_rate_limit_decisions_total\{decision="limited"\} [12]\n/);
    // Express routes after the middleware: a request it refuses has no route there
    expect(text).toContain(
      `http_server_request_duration_seconds_count{method="GET",route="${name.startsWith('express') ? 'unmatched' : '/users/:id'}",status="429"} 1`,
    );
    expect(text).toContain('method="_OTHER"');
    expect(text).not.toContain('PROPFIND');
  });
});

describe.each(Object.keys(APPS))('%s: metrics option on an OpenTelemetry Meter', (name) => {
  it('exports http.server.request.duration with http.route, through the SDK', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const provider = new MeterProvider({ readers: [reader] });
    const metrics = createMetrics({ meter: provider.getMeter('conformance') });
    running = await APPS[name]!({ metrics, limit: 1000 });
    await drive(running.url, async () => {});
    const points = await until(
      async () => {
        exporter.reset();
        await reader.forceFlush();
        return exporter
          .getMetrics()
          .flatMap((r) => r.scopeMetrics.flatMap((s) => s.metrics))
          .filter((m) => m.descriptor.name === 'http.server.request.duration')
          .flatMap((m) => m.dataPoints as readonly { attributes: Record<string, unknown>; value: unknown }[]);
      },
      (ps) => ps.some((p) => p.attributes['http.response.status_code'] === '503'),
    );
    const routes = points.map((p) => `${p.attributes['http.route']} ${p.attributes['http.response.status_code']}`);
    expect(routes).toEqual(expect.arrayContaining(['/users/:id 200', 'unmatched 404', '/slow 503']));
    const users = points.find((p) => p.attributes['http.route'] === '/users/:id')!;
    expect((users.value as { count: number }).count).toBe(3);
    await provider.shutdown();
  });
});
