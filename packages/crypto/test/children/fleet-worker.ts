// Fleet-test child: one service instance. It seals messages in a loop under a keyring on a shared store (PostgreSQL
// or Redis, through the real client), prints every envelope, decrypts the envelopes the parent relays from the other
// instances, and reports rotations, reloads and failures. Bundled to CommonJS (pg and ioredis inside) by the test.
//
// stdout:  ready <primary> | sealed <plain> <envelope> | rotate <primary> <reason> <ms> | reload <ms> | fail <why>
//          update-begin | update-end | cas-wait | cas-sent | cas-done | done <opened> <failed>
// stdin:   open <plain> <envelope> | exit
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import pg from 'pg';
import {
  createCipher,
  createKeyring,
  inspectEnvelope,
  type KeyStore,
  postgresKeyStore,
  redisKeyStore,
} from '../../src/index.js';

const env = process.env;
const num = (name: string, def: number): number => (env[name] === undefined ? def : Number(env[name]));
const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main(): Promise<void> {
  const casDelayMs = num('FLEET_CAS_DELAY_MS', 0);
  // Kill tests widen the window around the compare-and-set write (a random pause before sending it and after its
  // reply), so a SIGKILL lands before, during or after the write, as in a real crash.
  const pause = () => (casDelayMs > 0 ? sleep(5 + Math.random() * casDelayMs) : Promise.resolve());
  const aroundWrite = async <T>(write: () => Promise<T>): Promise<T> => {
    out('cas-wait');
    await pause();
    out('cas-sent');
    const r = await write();
    out('cas-done');
    await pause();
    return r;
  };

  let close: () => Promise<void>;
  let inner: KeyStore;
  const kek = env.FLEET_KEK!;
  if (env.FLEET_STORE === 'postgres') {
    const pool = new pg.Pool({ connectionString: env.FLEET_PG_URL!, max: 2 });
    const query = (text: string, params: unknown[]) =>
      /^(INSERT|UPDATE \S+ SET version)/.test(text)
        ? aroundWrite(() => pool.query(text, params))
        : pool.query(text, params);
    inner = postgresKeyStore({ query, kek, table: env.FLEET_TABLE!, name: env.FLEET_NAME! });
    close = () => pool.end();
  } else {
    const redis = new Redis(env.FLEET_REDIS_URL!, { maxRetriesPerRequest: 1 });
    const send = (a: string[]) =>
      a[0] === 'EVAL' ? aroundWrite(() => redis.call(a[0]!, ...a.slice(1))) : redis.call(a[0]!, ...a.slice(1));
    inner = redisKeyStore({ send, kek, key: env.FLEET_KEY! });
    close = async () => {
      redis.disconnect();
    };
  }
  const store: KeyStore = {
    readOnly: false,
    load: () => inner.load(),
    async update(fn) {
      out('update-begin');
      const r = await inner.update(fn);
      out('update-end');
      return r;
    },
    reserve: (id, n, limit) => inner.reserve!(id, n, limit),
  };

  const keyring = await createKeyring({
    store,
    rotateAfterMs: num('FLEET_ROTATE_MS', 24 * 3600_000),
    rotateAfterMessages: num('FLEET_ROTATE_MESSAGES', 2 ** 28),
    refreshMs: num('FLEET_REFRESH_MS', 30_000),
  });
  keyring.on('rotate', (e) => out(`rotate ${e.primary} ${e.reason} ${Date.now()}`));
  const cipher = createCipher({ keyring });
  out(`ready ${keyring.primaryId}`);

  let stopping = false;
  let opened = 0;
  let failed = 0;
  const inflight = new Set<Promise<unknown>>();
  const track = (p: Promise<unknown>) => {
    inflight.add(p);
    void p.finally(() => inflight.delete(p));
  };

  const loops = num('FLEET_LOOPS', 2);
  const pauseMs = num('FLEET_PAUSE_MS', 20);
  let seq = 0;
  const sealLoop = async (): Promise<void> => {
    while (!stopping) {
      const plain = `${process.pid}-${seq++}`;
      try {
        out(`sealed ${plain} ${await cipher.encryptString(plain, { aad: plain })}`);
      } catch (e) {
        failed++;
        out(`fail encrypt ${plain}: ${(e as Error).message}`);
      }
      await sleep(pauseMs);
    }
  };
  const sealing = Array.from({ length: loops }, () => sealLoop());

  const open = async (plain: string, envelope: string): Promise<void> => {
    const known = keyring.get(inspectEnvelope(envelope).keyId) !== undefined;
    const t0 = performance.now();
    try {
      const text = await cipher.decryptString(envelope, { aad: plain });
      if (text !== plain) throw new Error(`decrypted ${text}`);
      opened++;
      if (!known) out(`reload ${(performance.now() - t0).toFixed(2)}`);
    } catch (e) {
      failed++;
      out(`fail decrypt ${plain}: ${(e as Error).message}`);
    }
  };

  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    const [cmd, a, b] = line.split(' ');
    if (cmd === 'open' && a && b) track(open(a, b));
    else if (cmd === 'exit' && !stopping) {
      stopping = true;
      lines.close();
      void (async () => {
        await Promise.all(sealing);
        await Promise.all(inflight);
        out(`done ${opened} ${failed}`);
        await close();
        process.exit(0);
      })();
    }
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`fleet-worker: ${(e as Error).stack}\n`);
  process.exit(1);
});
