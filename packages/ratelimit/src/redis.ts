import { RateLimitStoreError } from './errors.js';
import { DECIDE_LUA } from './internal/lua.js';
import { decodePacked, singlePolicyLua } from './internal/lua-single.js';
import type { CompiledPolicy } from './internal/policy.js';
import { sha1Hex } from './internal/sha1.js';
import type { RateLimitStore, StoreRunner } from './store.js';

/**
 * Sends one Redis command given as strings and resolves with its reply. Wraps any client:
 * ioredis `(a) => redis.call(a[0], ...a.slice(1))`, node-redis `(a) => client.sendCommand(a)`,
 * or the equivalent for Valkey GLIDE / cluster clients.
 */
export type RedisSend = (args: string[]) => Promise<unknown>;

/** Options for {@link redisStore}. */
export interface RedisStoreOptions {
  /** The function that sends one command. Required. */
  send: RedisSend;
  /** Prefix of every key. Keys are `${prefix}{${key}}:${limiterName}`; the `{}` hash tag keeps a client's keys in one cluster slot. Default `'rl:'`. */
  prefix?: string;
  /**
   * Time source override in ms. By default (undefined) the script reads the server's TIME, so clients with skewed
   * clocks agree. Set only for simulations and tests.
   */
  clock?: () => number;
}

/** The Redis store: one EVALSHA per decision. */
export interface RedisStore extends RateLimitStore {
  readonly kind: 'redis';
  /** SHA-1 of the group decision script (what EVALSHA sends for {@link rateLimiters} groups). */
  readonly scriptSha: string;
  /**
   * The group decision script's source (what EVAL sends after NOSCRIPT); exposed for SCRIPT LOAD at deploy time.
   * A single-policy limiter uses its own specialised script, loaded on first use (one EVAL after NOSCRIPT).
   */
  readonly script: string;
}

/** Defaults applied by {@link redisStore}. */
export const REDIS_STORE_DEFAULTS: Readonly<{ prefix: string }> = Object.freeze({ prefix: 'rl:' });

const SHA: string = sha1Hex(DECIDE_LUA);

const badReply = (): RateLimitStoreError =>
  new RateLimitStoreError('ERR_STORE_REPLY', 'ratelimit: unexpected reply from the Redis decision script');

const toNumbers = (reply: unknown, n: number): ArrayLike<number> => {
  if (!Array.isArray(reply) || reply.length !== n * 4) throw badReply();
  for (let i = 0; i < reply.length; i++) {
    const v = reply[i];
    if (typeof v !== 'number') {
      const v2 = Number(v);
      if (!Number.isFinite(v2)) throw badReply();
      reply[i] = v2;
    }
  }
  return reply as number[];
};

const isNoScript = (e: unknown): boolean => {
  const m = (e as { message?: unknown } | null)?.message;
  return typeof m === 'string' && m.includes('NOSCRIPT');
};

/**
 * Creates a Redis store. Every decision (consume, peek, refund, penalty, block, reset — for one limiter or a whole
 * `rateLimiters` group) is one `EVALSHA`; only when Redis answers NOSCRIPT (first use, restart, failover) is the same
 * call retried once with `EVAL`, which also caches the script. The script reads the server's TIME and stores integers.
 * A single policy's consume sends only the cost and usually gets one packed integer back (see lua-single.ts).
 * @throws {TypeError} when `send` is not a function or `prefix` is not a string.
 */
export function redisStore(opts: RedisStoreOptions): RedisStore {
  const send = opts?.send;
  if (typeof send !== 'function')
    throw new TypeError(`redisStore: send must be a function (args: string[]) => Promise<reply>, got ${typeof send}`);
  const prefix = opts.prefix ?? REDIS_STORE_DEFAULTS.prefix;
  if (typeof prefix !== 'string') throw new TypeError(`redisStore: prefix must be a string, got ${typeof prefix}`);
  if (prefix.includes('{') || prefix.includes('}'))
    throw new TypeError('redisStore: prefix must not contain { or } (the store adds the hash tag itself)');
  const clock = opts.clock;
  if (clock !== undefined && typeof clock !== 'function')
    throw new TypeError('redisStore: clock must be a function returning milliseconds');

  const bind = (policies: readonly CompiledPolicy[]): StoreRunner => {
    const n = policies.length;
    const head = `${prefix}{`;
    if (n === 1) {
      // One policy: a script specialised for it (constants inlined). A consume sends one argument (the cost) and the
      // hot path answers with one packed integer (see lua-single.ts).
      const p = policies[0]!;
      const src = singlePolicyLua(p);
      const sha = sha1Hex(src);
      const suffix = `}:${p.name}`;
      const out = [0, 0, 0, 0];
      const call = (cmd: 'EVALSHA' | 'EVAL', op: number, key: string, cost: number): Promise<unknown> => {
        const c = cost === 1 ? '1' : String(cost);
        if (clock !== undefined)
          return send([
            cmd,
            cmd === 'EVALSHA' ? sha : src,
            '1',
            head + key + suffix,
            c,
            String(op),
            String(Math.floor(clock())),
          ]);
        if (op === 0) return send([cmd, cmd === 'EVALSHA' ? sha : src, '1', head + key + suffix, c]);
        return send([cmd, cmd === 'EVALSHA' ? sha : src, '1', head + key + suffix, c, String(op)]);
      };
      return {
        sync: false,
        run: (op, key, cost) => call('EVALSHA', op, key, cost),
        read: (reply, _op, cost) => {
          if (typeof reply === 'number') {
            if (Number.isInteger(reply) && decodePacked(p, reply, cost, out)) return out;
            throw badReply();
          }
          if (typeof reply === 'string' || typeof reply === 'bigint') {
            const x = Number(reply);
            if (Number.isInteger(x) && decodePacked(p, x, cost, out)) return out;
            throw badReply();
          }
          return toNumbers(reply, 1);
        },
        retry: (e, op, key, cost) => (isNoScript(e) ? call('EVAL', op, key, cost) : undefined),
      };
    }
    const nk = String(n);
    const tail: string[] = [];
    const suffixes: string[] = [];
    for (const p of policies) {
      tail.push(
        String(p.algo),
        String(p.limit),
        String(p.windowMs),
        String(p.burst),
        String(p.blockMs),
        String(p.intervalUs),
      );
      suffixes.push(`}:${p.name}`);
    }
    const call = (cmd: 'EVALSHA' | 'EVAL', op: number, key: string, cost: number): Promise<unknown> => {
      const args: string[] = [cmd, cmd === 'EVALSHA' ? SHA : DECIDE_LUA, nk];
      for (let k = 0; k < n; k++) args.push(head + key + suffixes[k]!);
      args.push(String(op), String(cost), clock ? String(Math.floor(clock())) : '');
      for (let i = 0; i < tail.length; i++) args.push(tail[i]!);
      return send(args);
    };
    return {
      sync: false,
      run: (op, key, cost) => call('EVALSHA', op, key, cost),
      read: (reply) => toNumbers(reply, n),
      retry: (e, op, key, cost) => (isNoScript(e) ? call('EVAL', op, key, cost) : undefined),
    };
  };

  return { kind: 'redis', scriptSha: SHA, script: DECIDE_LUA, bind };
}
