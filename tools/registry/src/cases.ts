// What the consumer matrix checks for each published package besides its README: a call with a wrong option type
// that must not compile (proof that the published types are real, not `any`), and the smoke script's imports.
import type { CheckFile } from './typecheck.js';

/** Per-package checks. */
export interface PackageCase {
  /** A call passing a wrong option type; it must fail with exactly these TS error codes under every profile. */
  wrongOption: { code: string; errors: readonly number[] };
  /** Modules the smoke script gets on every runtime, by specifier. */
  modules: readonly string[];
  /** Modules only Node-compatible runtimes get (Node, Bun, Deno): `/node` subpaths. */
  nodeModules?: readonly string[];
  /** Packages a plain install must not bring (e.g. a dependency only an optional feature needs). */
  notInstalled?: readonly string[];
}

export const CASES: Readonly<Record<string, PackageCase>> = {
  '@org/breaker': {
    wrongOption: {
      code: `import { circuitBreaker } from '@org/breaker';\ncircuitBreaker({ timeoutMs: 'ten seconds' });`,
      errors: [2322],
    },
    modules: ['@org/breaker'],
  },
  '@org/crypto': {
    wrongOption: {
      code: `import { aes256gcm } from '@org/crypto';\naes256gcm(new Uint8Array(32), { backend: 'fast' });`,
      errors: [2322],
    },
    modules: ['@org/crypto'],
    nodeModules: ['@org/crypto/node'],
  },
  '@org/express': {
    wrongOption: {
      code: `import { hardening } from '@org/express';\nhardening({ timeoutMs: 'ten seconds', headers: 42 });`,
      errors: [2322],
    },
    modules: ['@org/express', 'express', '@org/headers', '@org/ratelimit', '@org/health'],
  },
  '@org/fastify': {
    wrongOption: {
      code: `import Fastify from 'fastify';\nimport { hardening } from '@org/fastify';\nvoid Fastify().register(hardening, { timeoutMs: 'ten seconds' });`,
      errors: [2769],
    },
    modules: ['@org/fastify', 'fastify', '@org/headers', '@org/ratelimit', '@org/health'],
  },
  '@org/headers': {
    wrongOption: {
      code: `import { securityHeaders } from '@org/headers';\nsecurityHeaders({ preset: 'strict' });`,
      errors: [2322],
    },
    modules: ['@org/headers'],
  },
  '@org/health': {
    wrongOption: {
      code: `import { createHealth } from '@org/health';\ncreateHealth({ timeoutMs: '1s' });`,
      errors: [2322],
    },
    modules: ['@org/health'],
    nodeModules: ['@org/health/node'],
    // httpCheck uses the runtime's fetch: edge-only users do not download an HTTP client.
    notInstalled: ['undici'],
  },
  '@org/hono': {
    wrongOption: {
      code: `import { hardening } from '@org/hono';\nhardening({ timeoutMs: 'ten seconds' });`,
      errors: [2322],
    },
    modules: ['@org/hono', 'hono', '@org/headers', '@org/ratelimit', '@org/health'],
  },
  '@org/logger': {
    wrongOption: {
      code: `import { createLogger } from '@org/logger';\ncreateLogger({ level: 'verbose' });`,
      errors: [2322],
    },
    modules: ['@org/logger'],
    nodeModules: ['@org/logger/node'],
  },
  '@org/metrics': {
    wrongOption: {
      code: `import { createMetrics } from '@org/metrics';\ncreateMetrics({ registry: { registerMetric() {} }, buckets: 'fast' });`,
      errors: [2322],
    },
    modules: ['@org/metrics'],
  },
  '@org/ratelimit': {
    wrongOption: {
      code: `import { rateLimiter } from '@org/ratelimit';\nrateLimiter({ limit: '100', windowMs: 60_000 });`,
      errors: [2322],
    },
    modules: ['@org/ratelimit'],
  },
  '@org/secrets': {
    wrongOption: {
      code: `import { secrets } from '@org/secrets';\nsecrets({ secrets: { TOKEN: { minLength: 'long' } } });`,
      errors: [2322],
    },
    modules: ['@org/secrets'],
    nodeModules: ['@org/secrets/node'],
  },
  '@org/retry': {
    wrongOption: {
      code: `import { retry } from '@org/retry';\nvoid retry(async () => 1, { attempts: '3' });`,
      errors: [2322],
    },
    modules: ['@org/retry'],
  },
};

/** The wrong-option file of a package, or undefined for a package without a case. */
export function wrongOptionFile(name: string): CheckFile | undefined {
  const c = CASES[name];
  if (!c) return undefined;
  const lines = c.wrongOption.code.split('\n');
  return {
    name: 'wrong-option',
    source: { text: c.wrongOption.code, lines: lines.map((_, i) => i + 1) },
    origin: `wrong option of ${name} (tools/registry/src/cases.ts)`,
    expectErrors: c.wrongOption.errors,
  };
}
