import { invalidOption, RateLimitStoreError } from './errors.js';
import { DECIDE_LUA } from './internal/lua.js';
import { batchPolicyLua, decodePacked, singlePolicyLua } from './internal/lua-single.js';
import type { CompiledPolicy } from './internal/policy.js';
import { sha1Hex } from './internal/sha1.js';
import { keySlot } from './internal/slot.js';
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
  /**
   * Automatic batching (default true): single-policy decisions issued in the same tick are sent as one EVALSHA of a
   * batch script — one per tick, or one per Redis Cluster hash slot (see `cluster`) — at most {@link REDIS_BATCH_MAX}
   * per command, flushed at the end of the current microtask queue — never on a timer. `false`: one EVALSHA per decision.
   */
  batch?: boolean;
  /**
   * How batches relate to Redis Cluster hash slots (ignored when `batch` is false).
   * - `'auto'` (default): one batch per tick for all keys, as on a standalone server or Sentinel; the first time a
   *   multi-slot batch is refused with `CROSSSLOT` (or `MOVED` / `ASK`), the store switches to per-slot batches for the
   *   rest of its life and re-sends that batch's decisions per slot (a refused command did not run, so nothing is
   *   applied twice and no decision fails because of the switch).
   * - `true`: always one batch per hash slot, so every command touches one slot, as Redis Cluster requires.
   * - `false`: always one batch per tick for all keys (a standalone server or Sentinel: one node holds every key); a
   *   CROSSSLOT reply then fails the batch's decisions like any other error.
   */
  cluster?: boolean | 'auto';
  /**
   * Most decisions this store has handed to `send` (or queued for the next batch) and not yet seen answered, across
   * every limiter bound to it. Past it a decision is not sent: it follows `onStoreError` at once (error code
   * `ERR_STORE_BACKLOG`). A limiter's `timeoutMs` answers the caller but cannot take back a command the client has
   * queued (e.g. ioredis' offline queue while Redis is down), so without this bound that queue grows with the request
   * rate. A command counts until the client settles its promise. Default 2048; integer >= 1.
   */
  maxPending?: number;
}

/** Most decisions sent in one batch command; more in the same tick and slot go out as several commands. */
export const REDIS_BATCH_MAX = 256;

/** Counters of a {@link RedisStore}. */
export interface RedisStoreStats {
  /** Decisions sent (or queued for the next batch) and not answered yet; never above `maxPending`. */
  pending: number;
  /** The bound on `pending`. */
  maxPending: number;
  /** Decisions refused because `pending` was at the bound (they followed `onStoreError`), since the store was made. */
  refused: number;
}

/** The Redis store: one EVALSHA per decision, or per batch of same-slot decisions of one tick (see `batch`). */
export interface RedisStore extends RateLimitStore {
  readonly kind: 'redis';
  /** Outstanding work and refusals (see `maxPending`). */
  stats(): RedisStoreStats;
  /** SHA-1 of the group decision script (what EVALSHA sends for {@link rateLimiters} groups). */
  readonly scriptSha: string;
  /**
   * The group decision script's source (what EVAL sends after NOSCRIPT); exposed for SCRIPT LOAD at deploy time.
   * A single-policy limiter uses its own specialised script, loaded on first use (one EVAL after NOSCRIPT).
   */
  readonly script: string;
}

/** Defaults applied by {@link redisStore}. */
export const REDIS_STORE_DEFAULTS: Readonly<{ prefix: string; maxPending: number }> = Object.freeze({
  prefix: 'rl:',
  maxPending: 2048,
});

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
 * `rateLimiters` group) is one `EVALSHA`, except that by default (`batch`) a single policy's decisions issued in the
 * same tick are sent together, one `EVALSHA` of a batch script per tick (default `cluster: 'auto'`, which switches
 * for good to one per Redis Cluster hash slot when Redis answers CROSSSLOT; `cluster: true` starts there), at most {@link REDIS_BATCH_MAX} each, flushed by a microtask (never a timer). Only when Redis
 * answers NOSCRIPT (first use, restart, failover) is the same command retried once with `EVAL`, which also caches the
 * script. The scripts read the server's TIME and store integers. A single policy's consume sends only the cost and
 * usually gets one packed integer back (see lua-single.ts).
 * @throws {TypeError} when `send` is not a function, `prefix` is not a string, or `batch` is not a boolean, or `cluster`
 *   is not a boolean or `'auto'`.
 */
export function redisStore(opts: RedisStoreOptions): RedisStore {
  const send = opts?.send;
  if (typeof send !== 'function')
    throw invalidOption(
      TypeError,
      `redisStore: send must be a function (args: string[]) => Promise<reply>, got ${typeof send}`,
    );
  const prefix = opts.prefix ?? REDIS_STORE_DEFAULTS.prefix;
  if (typeof prefix !== 'string')
    throw invalidOption(TypeError, `redisStore: prefix must be a string, got ${typeof prefix}`);
  if (prefix.includes('{') || prefix.includes('}'))
    throw invalidOption(TypeError, 'redisStore: prefix must not contain { or } (the store adds the hash tag itself)');
  const clock = opts.clock;
  if (clock !== undefined && typeof clock !== 'function')
    throw invalidOption(TypeError, 'redisStore: clock must be a function returning milliseconds');
  const batching = opts.batch ?? true;
  if (typeof batching !== 'boolean')
    throw invalidOption(TypeError, `redisStore: batch must be a boolean, got ${typeof batching}`);
  const cluster = opts.cluster ?? 'auto';
  if (typeof cluster !== 'boolean' && cluster !== 'auto')
    throw invalidOption(TypeError, `redisStore: cluster must be a boolean or 'auto', got ${String(cluster)}`);
  const maxPending = opts.maxPending ?? REDIS_STORE_DEFAULTS.maxPending;
  if (typeof maxPending !== 'number' || !Number.isInteger(maxPending) || maxPending < 1)
    throw invalidOption(RangeError, `redisStore: maxPending must be an integer >= 1, got ${String(maxPending)}`);
  // Shared by every limiter bound to this store: once 'auto' sees a cross-slot refusal, all of them go per slot.
  const slots: SlotMode = { perSlot: cluster === true, auto: cluster === 'auto' };
  const work: Backlog = { pending: 0, max: maxPending, refused: 0, error: undefined };

  /**
   * `send` for one unbatched decision, counted in `work` until the limiter sees its promise settle (`settled`).
   * @throws ERR_STORE_BACKLOG at the bound.
   */
  const sendOne = (args: string[]): Promise<unknown> => {
    reserve(work);
    try {
      return send(args);
    } catch (e) {
      work.pending--;
      throw e;
    }
  };
  const settled = (): void => {
    work.pending--;
  };

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
      const single = (
        out: RedisSend,
        cmd: 'EVALSHA' | 'EVAL',
        op: number,
        key: string,
        cost: number,
        now?: number,
      ): Promise<unknown> => {
        const c = cost === 1 ? '1' : String(cost);
        if (clock !== undefined)
          return out([
            cmd,
            cmd === 'EVALSHA' ? sha : src,
            '1',
            head + key + suffix,
            c,
            String(op),
            String(now ?? Math.floor(clock())),
          ]);
        if (op === 0) return out([cmd, cmd === 'EVALSHA' ? sha : src, '1', head + key + suffix, c]);
        return out([cmd, cmd === 'EVALSHA' ? sha : src, '1', head + key + suffix, c, String(op)]);
      };
      const read = (reply: unknown, _op: number, cost: number): ArrayLike<number> => {
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
      };
      if (!batching)
        return {
          sync: false,
          run: (op, key, cost) => single(sendOne, 'EVALSHA', op, key, cost),
          read,
          retry: (e, op, key, cost) => (isNoScript(e) ? single(sendOne, 'EVAL', op, key, cost) : undefined),
          settled,
        };
      // Batched decisions are counted from the moment they are queued (run) until their batch is answered.
      const call = (cmd: 'EVALSHA' | 'EVAL', op: number, key: string, cost: number, now?: number): Promise<unknown> =>
        single(send, cmd, op, key, cost, now);
      return batchedRunner(send, batchPolicyLua(p), head, suffix, clock, slots, work, call, read);
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
      return sendOne(args);
    };
    return {
      sync: false,
      run: (op, key, cost) => call('EVALSHA', op, key, cost),
      read: (reply) => toNumbers(reply, n),
      retry: (e, op, key, cost) => (isNoScript(e) ? call('EVAL', op, key, cost) : undefined),
      settled,
    };
  };

  return {
    kind: 'redis',
    scriptSha: SHA,
    script: DECIDE_LUA,
    bind,
    stats: () => ({ pending: work.pending, maxPending: work.max, refused: work.refused }),
  };
}

/** A store's outstanding decisions and its bound. */
interface Backlog {
  pending: number;
  readonly max: number;
  refused: number;
  /** Made once, on the first refusal: refusals happen in floods (Redis down), and the message never changes. */
  error: RateLimitStoreError | undefined;
}

/** Counts one more outstanding decision. @throws {RateLimitStoreError} ERR_STORE_BACKLOG when the bound is reached. */
function reserve(w: Backlog): void {
  if (w.pending >= w.max) {
    w.refused++;
    throw (w.error ??= new RateLimitStoreError(
      'ERR_STORE_BACKLOG',
      `ratelimit: ${w.max} decisions already wait for Redis (redisStore maxPending); this one was not sent`,
    ));
  }
  w.pending++;
}

/** Per-store slot grouping: `perSlot` starts as `cluster === true` and, with `auto`, turns true on a cross-slot refusal. */
interface SlotMode {
  perSlot: boolean;
  readonly auto: boolean;
}

/** A refusal of a multi-slot command by Redis Cluster: the command did not run. */
const isCrossSlot = (e: unknown): boolean => {
  const m = (e as { message?: unknown } | null)?.message;
  return typeof m === 'string' && /CROSSSLOT|\bMOVED\b|\bASK\b/.test(m);
};

/** Decisions of one tick for one slot, waiting for the microtask that sends them. */
interface Batch {
  keys: string[];
  ops: number[];
  costs: number[];
  nows: number[];
  resolves: Array<(v: unknown) => void>;
  rejects: Array<(e: unknown) => void>;
}

/**
 * A single-policy runner that batches: `run` queues the decision in its slot's batch and, for the first decision of a
 * tick, queues one microtask that sends every batch. A batch of one is sent as the plain single call (same command as
 * `batch: false`); larger ones as one EVALSHA of the batch script (EVAL once after NOSCRIPT). A full batch
 * ({@link REDIS_BATCH_MAX}) is sent at once. A failed command fails every decision in it with the same error; NOSCRIPT is
 * handled here, so the limiter's `retry` is not offered a second attempt. With `cluster: 'auto'` a batch sent across
 * slots that Redis refuses (CROSSSLOT / MOVED / ASK) switches the store to per-slot batches and is re-sent split by
 * slot, each part in call order.
 */
function batchedRunner(
  send: RedisSend,
  batchSrc: string,
  head: string,
  suffix: string,
  clock: (() => number) | undefined,
  mode: SlotMode,
  work: Backlog,
  single: (cmd: 'EVALSHA' | 'EVAL', op: number, key: string, cost: number, now?: number) => Promise<unknown>,
  read: (reply: unknown, op: number, cost: number) => ArrayLike<number>,
): StoreRunner {
  const batchSha = sha1Hex(batchSrc);
  const stride = clock === undefined ? '2' : '3';
  let pending: Map<number, Batch> | null = null;
  // Slot grouping of the pending tick, fixed when it starts: a switch mid-tick must not split one key's decisions of
  // a tick between a refused cross-slot batch and a per-slot one (that would reorder them).
  let tickPerSlot = mode.perSlot;

  // Every decision leaves `work` exactly once: in fail, in done, or in sendSingle's answer (a split re-sends).
  const fail = (b: Batch, e: unknown): void => {
    work.pending -= b.rejects.length;
    for (let i = 0; i < b.rejects.length; i++) b.rejects[i]!(e);
  };

  const sendSingle = (b: Batch): void => {
    const op = b.ops[0]!;
    const key = b.keys[0]!;
    const cost = b.costs[0]!;
    const now = b.nows[0];
    const resolve = b.resolves[0]!;
    const reject = b.rejects[0]!;
    const ok = (v: unknown): void => {
      work.pending--;
      resolve(v);
    };
    const ko = (e: unknown): void => {
      work.pending--;
      reject(e);
    };
    let r: Promise<unknown>;
    try {
      r = single('EVALSHA', op, key, cost, now);
    } catch (e) {
      ko(e);
      return;
    }
    r.then(ok, (e: unknown) => {
      if (!isNoScript(e)) {
        ko(e);
        return;
      }
      try {
        single('EVAL', op, key, cost, now).then(ok, ko);
      } catch (e2) {
        ko(e2);
      }
    });
  };

  const slotOf = (key: string): number => keySlot(head + key + suffix);

  /**
   * Handles a refused cross-slot batch under 'auto': when `e` is CROSSSLOT / MOVED / ASK and the batch really spans
   * slots, switches the store to per-slot batches and re-sends the decisions split by slot. Returns false otherwise.
   */
  const splitBySlot = (b: Batch, e: unknown): boolean => {
    if (!mode.auto || !isCrossSlot(e)) return false;
    const parts = new Map<number, Batch>();
    for (let i = 0; i < b.keys.length; i++) {
      const s = slotOf(b.keys[i]!);
      let part = parts.get(s);
      if (part === undefined) {
        part = { keys: [], ops: [], costs: [], nows: [], resolves: [], rejects: [] };
        parts.set(s, part);
      }
      part.keys.push(b.keys[i]!);
      part.ops.push(b.ops[i]!);
      part.costs.push(b.costs[i]!);
      if (clock !== undefined) part.nows.push(b.nows[i]!);
      part.resolves.push(b.resolves[i]!);
      part.rejects.push(b.rejects[i]!);
    }
    if (parts.size < 2) return false;
    mode.perSlot = true;
    for (const part of parts.values()) sendBatch(part);
    return true;
  };

  const sendBatch = (b: Batch): void => {
    const n = b.keys.length;
    if (n === 1) {
      sendSingle(b);
      return;
    }
    const args: string[] = ['EVALSHA', batchSha, String(n)];
    for (let i = 0; i < n; i++) args.push(head + b.keys[i]! + suffix);
    args.push(stride);
    for (let i = 0; i < n; i++) {
      args.push(String(b.costs[i]!), String(b.ops[i]!));
      if (clock !== undefined) args.push(String(b.nows[i]!));
    }
    const done = (reply: unknown): void => {
      if (!Array.isArray(reply) || reply.length !== n) {
        fail(b, badReply());
        return;
      }
      work.pending -= n;
      for (let i = 0; i < n; i++) b.resolves[i]!(reply[i]);
    };
    let r: Promise<unknown>;
    try {
      r = send(args);
    } catch (e) {
      fail(b, e);
      return;
    }
    r.then(done, (e: unknown) => {
      if (!isNoScript(e)) {
        if (!splitBySlot(b, e)) fail(b, e);
        return;
      }
      // A new array: the client may still hold the first one.
      const again = args.slice();
      again[0] = 'EVAL';
      again[1] = batchSrc;
      try {
        send(again).then(done, (e2: unknown) => {
          if (!splitBySlot(b, e2)) fail(b, e2);
        });
      } catch (e2) {
        fail(b, e2);
      }
    });
  };

  const flush = (): void => {
    const m = pending!;
    pending = null;
    for (const b of m.values()) sendBatch(b);
  };

  return {
    sync: false,
    run: (op, key, cost) => {
      reserve(work); // throws past the bound: the limiter answers per onStoreError at once
      return new Promise<unknown>((resolve, reject) => {
        if (pending === null) {
          pending = new Map();
          tickPerSlot = mode.perSlot;
          queueMicrotask(flush);
        }
        const slot = tickPerSlot ? slotOf(key) : -1;
        let b = pending.get(slot);
        if (b === undefined) {
          b = { keys: [], ops: [], costs: [], nows: [], resolves: [], rejects: [] };
          pending.set(slot, b);
        }
        b.keys.push(key);
        b.ops.push(op);
        b.costs.push(cost);
        if (clock !== undefined) b.nows.push(Math.floor(clock()));
        b.resolves.push(resolve);
        b.rejects.push(reject);
        if (b.keys.length === REDIS_BATCH_MAX) {
          pending.delete(slot);
          sendBatch(b);
        }
      });
    },
    read,
  };
}
