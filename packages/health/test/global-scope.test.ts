import { fileURLToPath } from 'node:url';
import { createContext, runInContext } from 'node:vm';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

// Workers refuse some operations while a module's top level runs ("Disallowed operation called within global scope"):
// timers, I/O and random values everywhere, and on older workerd (the one wrangler 4.86 ships) also
// `new AbortController()`. The workerd pinned here accepts AbortController and offers no flag to refuse it, so this
// test evaluates the core entry, bundled for Workers as users bundle it, in a sandbox that refuses all of them at
// the top level — then runs the same top-level code a user writes (createHealth, check with intervalMs) before
// answering a probe in "request" phase.
const entry = fileURLToPath(new URL('../dist/index.js', import.meta.url));

async function bundle(): Promise<string> {
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: 'iife',
    globalName: 'orgHealth',
    platform: 'neutral',
    conditions: ['workerd', 'worker', 'browser', 'import'],
    mainFields: ['module', 'main'],
    logLevel: 'silent',
  });
  return out.outputFiles[0]?.text ?? '';
}

function workersLikeSandbox() {
  let inGlobalScope = true;
  const refused: string[] = [];
  const guard =
    <A extends unknown[], R>(name: string, real: (...a: A) => R) =>
    (...a: A): R => {
      if (inGlobalScope) {
        refused.push(name);
        throw new Error(`Disallowed operation called within global scope: ${name}`);
      }
      return real(...a);
    };
  class GuardedAbortController extends AbortController {
    constructor() {
      if (inGlobalScope) {
        refused.push('new AbortController()');
        throw new Error('Disallowed operation called within global scope: new AbortController()');
      }
      super();
    }
  }
  const context = createContext({
    AbortController: GuardedAbortController,
    AbortSignal,
    setTimeout: guard('setTimeout', setTimeout),
    setInterval: guard('setInterval', setInterval),
    clearTimeout,
    clearInterval,
    queueMicrotask,
    fetch: guard('fetch', fetch),
    crypto: { getRandomValues: guard('crypto.getRandomValues', (a: Uint8Array) => crypto.getRandomValues(a)) },
    Math: Object.assign(Object.create(Math), { random: guard('Math.random', Math.random) }),
    performance,
    navigator: { userAgent: 'Cloudflare-Workers' },
    URL,
    URLSearchParams,
    Request,
    Response,
    Headers,
  });
  return {
    context,
    refused,
    enterRequest() {
      inGlobalScope = false;
    },
  };
}

describe('the core entry at Workers global scope', () => {
  it('does nothing Workers refuse at the top level of a module, even with checks registered there', async () => {
    const code = await bundle();
    const sandbox = workersLikeSandbox();
    runInContext(code, sandbox.context);
    // what users write at the top level of their worker
    runInContext(
      `globalThis.health = orgHealth.createHealth({ timeoutMs: 50 });
       health.check({ name: 'a:b', run: (signal) => new Promise((r) => setTimeout(r, 1)) });
       health.check({ name: 'c:d', intervalMs: 1000, run: () => true });
       health.check({ name: 'e:f', run: () => new Promise(() => {}) });`,
      sandbox.context,
    );
    expect(sandbox.refused).toEqual([]);
    sandbox.enterRequest();
    const r = await runInContext(`health.readiness({ verbose: true })`, sandbox.context);
    expect(r.status).toBe('fail');
    expect(r.json.checks['a:b'][0].status).toBe('pass');
    expect(r.json.checks['e:f'][0].output).toBe('timed out after 50 ms');
  });

  it('the sandbox refuses what Workers refuse (so the test above can fail)', () => {
    const sandbox = workersLikeSandbox();
    expect(() => runInContext('new AbortController()', sandbox.context)).toThrow(/Disallowed/);
    expect(() => runInContext('setTimeout(() => {}, 1)', sandbox.context)).toThrow(/Disallowed/);
    expect(sandbox.refused).toEqual(['new AbortController()', 'setTimeout']);
  });
});
