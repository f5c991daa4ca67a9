// Starts the demo with embedded defaults: `pnpm demo` from the root builds everything and runs `node dist/main.js`.
import { gracefulShutdown } from '@org/health/node';
import { buildDemo, configFromEnv } from './app.js';

const config = configFromEnv();
const demo = await buildDemo(config);
const { url } = demo;

// Ctrl+C reaches this process more than once (the terminal signals the whole process group, pnpm forwards it): the
// copies within repeatWindowMs (1 s) are one Ctrl+C; a later one exits at once with 130. A clean shutdown exits 0.
const shutdown = gracefulShutdown(demo.app.server, {
  health: demo.health,
  drainTimeoutMs: 5_000,
  deadlineMs: 10_000,
  // Fastify promises keep-alive for 72 s; on a developer's machine a browser's idle connection closes after 1 s
  // (browsers retry a GET whose reused connection closed) instead of holding Ctrl+C up to drainTimeoutMs.
  idleGraceMs: 1_000,
  hooks: [{ name: 'demo', run: () => demo.close() }],
});
shutdown.on('phase', ({ phase, elapsedMs }) => demo.logger.info({ phase, elapsedMs }, 'shutdown'));
shutdown.on('done', (report) => demo.logger.info({ ...report }, 'shutdown complete'));

process.stdout.write(
  [
    '',
    `@org demo listening on ${url}`,
    `  dashboard    ${url}/   (live: breaker, retries, rate limit, readiness, keyring)`,
    `  notes        curl -s -X POST ${url}/notes -H 'content-type: application/json' -d '{"title":"hello","body":"secret"}'`,
    `               curl -s ${url}/notes`,
    `  quote        curl -si ${url}/quote        (breaker + retry around the flaky upstream at ${demo.upstream.url})`,
    `  upstream     curl -s -X POST '${url}/admin/upstream?mode=down'   (up | down | flaky | slow)`,
    `  metrics      ${url}/metrics`,
    `  health       ${url}/readyz?verbose  ${url}/livez  ${url}/health?verbose`,
    `  data dir     ${config.dataDir} (notes encrypted at rest; ${config.databaseUrl ? `keyring shared in PostgreSQL, row ${config.keyringName}` : config.redisUrl ? `keyring shared in Redis, key ${config.keyringName}:keyring` : `key file keys.json${config.kek ? ', sealed with APP_KEK' : ''}`})`,
    `  rate limit   ${config.rateLimit} requests / ${config.rateWindowMs} ms per client IP (${config.redisUrl ? 'Redis' : 'memory'})`,
    config.upstreamCycleMs > 0
      ? `  the upstream goes down every ${config.upstreamCycleMs / 1000} s for ${config.upstreamCycleMs / 2000} s: watch /quote answer 503 and recover`
      : '  the upstream stays up until you change its mode',
    '  Ctrl+C shuts down gracefully.',
    '',
    '',
  ].join('\n'),
);
