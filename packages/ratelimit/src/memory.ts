import { invalidOption } from './errors.js';
import {
  adjust,
  type CompiledPolicy,
  newScratch,
  normalize,
  OP_BLOCK,
  OP_CONSUME,
  OP_PEEK,
  OP_REFUND,
  OP_RESET,
  type Scratch,
  tryConsume,
  view,
} from './internal/policy.js';
import type { RateLimitStore, StoreRunner } from './store.js';

/** Options for {@link memoryStore}. */
export interface MemoryStoreOptions {
  /** Hard bound on stored keys (one key per limiter and client key). The least recently used key is evicted. Default 100000. */
  maxKeys?: number;
  /** Time source in milliseconds (fractions are floored). Inject for tests. Default `Date.now`. */
  clock?: () => number;
}

/** Counters of a memory store. */
export interface MemoryStoreStats {
  /** Keys currently held (expired keys not yet reclaimed included). Never above `maxKeys`. */
  size: number;
  /** Keys dropped while still live because the store was full. */
  evictions: number;
  /** Keys reclaimed after they expired (lazily, when touched or when reaching the LRU tail). */
  expirations: number;
  /** Capacity currently allocated (grows by doubling up to `maxKeys`). */
  allocated: number;
}

/** The in-memory store: bounded, O(1) per decision, no timer. */
export interface MemoryStore extends RateLimitStore {
  readonly kind: 'memory';
  /** Current counters. O(1). */
  stats(): MemoryStoreStats;
  /** Drops every key. */
  clear(): void;
}

/** Defaults applied by {@link memoryStore}. */
export const MEMORY_STORE_DEFAULTS: Readonly<Required<MemoryStoreOptions>> = Object.freeze({
  maxKeys: 100_000,
  clock: () => Date.now(),
});

const FIELDS = 5; // a, b, c, blk, expiresAt
const NONE = -1;

/**
 * Creates an in-memory store. State lives in typed arrays (40 bytes per key plus the Map entry and the key string),
 * linked in LRU order; expiry is lazy (checked on access, reclaimed at the LRU tail), so there is no timer per key and
 * no timer at all. When `maxKeys` is reached the least recently used key is dropped and counted in `evictions`.
 * @throws {RangeError} when `maxKeys` is not an integer >= 1.
 */
export function memoryStore(opts: MemoryStoreOptions = {}): MemoryStore {
  const maxKeys = opts.maxKeys ?? MEMORY_STORE_DEFAULTS.maxKeys;
  if (!Number.isInteger(maxKeys) || maxKeys < 1 || maxKeys > 2 ** 30)
    throw invalidOption(
      RangeError,
      `memoryStore: maxKeys must be an integer between 1 and 2^30, got ${String(maxKeys)}`,
    );
  const clock = opts.clock ?? MEMORY_STORE_DEFAULTS.clock;
  if (typeof clock !== 'function')
    throw invalidOption(TypeError, 'memoryStore: clock must be a function returning milliseconds');

  let cap = Math.min(maxKeys, 1024);
  let data = new Float64Array(cap * FIELDS);
  let prev = new Int32Array(cap);
  let next = new Int32Array(cap);
  let nsOf = new Uint16Array(cap);
  let keys: Array<string | undefined> = new Array(cap);
  let used = 0; // slots ever handed out (below cap)
  let freeHead = NONE; // free list through `next`
  let head = NONE; // most recently used
  let tail = NONE; // least recently used
  let size = 0;
  let evictions = 0;
  let expirations = 0;
  const maps: Array<Map<string, number>> = [];
  const nsIds = new Map<string, number>();
  const s: Scratch = newScratch();

  const grow = (): void => {
    const n = Math.min(maxKeys, cap * 2);
    const d = new Float64Array(n * FIELDS);
    d.set(data);
    data = d;
    const p = new Int32Array(n);
    p.set(prev);
    prev = p;
    const x = new Int32Array(n);
    x.set(next);
    next = x;
    const ns = new Uint16Array(n);
    ns.set(nsOf);
    nsOf = ns;
    keys.length = n;
    cap = n;
  };

  const unlink = (i: number): void => {
    const p = prev[i]!;
    const x = next[i]!;
    if (p === NONE) head = x;
    else next[p] = x;
    if (x === NONE) tail = p;
    else prev[x] = p;
  };

  const pushHead = (i: number): void => {
    prev[i] = NONE;
    next[i] = head;
    if (head !== NONE) prev[head] = i;
    head = i;
    if (tail === NONE) tail = i;
  };

  const free = (i: number): void => {
    unlink(i);
    maps[nsOf[i]!]!.delete(keys[i]!);
    keys[i] = undefined;
    next[i] = freeHead;
    freeHead = i;
    size--;
  };

  const alloc = (now: number): number => {
    // Reclaim one expired key from the LRU tail per insert: amortised cleanup without a timer.
    if (tail !== NONE && data[tail * FIELDS + 4]! <= now) {
      free(tail);
      expirations++;
    }
    if (freeHead !== NONE) {
      const i = freeHead;
      freeHead = next[i]!;
      return i;
    }
    if (used < cap) return used++;
    if (cap < maxKeys) {
      grow();
      return used++;
    }
    const victim = tail;
    if (data[victim * FIELDS + 4]! <= now) expirations++;
    else evictions++;
    free(victim);
    const i = freeHead;
    freeHead = next[i]!;
    return i;
  };

  /** Reads key state into s; returns the slot or NONE. Expired slots are freed. */
  const load = (map: Map<string, number>, key: string, now: number): number => {
    const i = map.get(key);
    if (i === undefined) return NONE;
    const o = i * FIELDS;
    if (data[o + 4]! <= now) {
      free(i);
      expirations++;
      return NONE;
    }
    s.a = data[o]!;
    s.b = data[o + 1]!;
    s.c = data[o + 2]!;
    s.blk = data[o + 3]!;
    if (i !== head) {
      unlink(i);
      pushHead(i);
    }
    return i;
  };

  /** Writes s (after view) for key; deletes when ttl <= 0. */
  const save = (ns: number, map: Map<string, number>, key: string, slot: number, now: number): void => {
    if (s.ttl <= 0) {
      if (slot !== NONE) free(slot);
      return;
    }
    if (slot === NONE) {
      slot = alloc(now);
      keys[slot] = key;
      nsOf[slot] = ns;
      map.set(key, slot);
      pushHead(slot);
      size++;
    }
    const o = slot * FIELDS;
    data[o] = s.a;
    data[o + 1] = s.b;
    data[o + 2] = s.c;
    data[o + 3] = s.blk;
    data[o + 4] = now + s.ttl;
  };

  const nsFor = (name: string): number => {
    let id = nsIds.get(name);
    if (id === undefined) {
      id = maps.length;
      if (id >= 65535)
        throw invalidOption(RangeError, 'memoryStore: more than 65535 distinct limiter names on one store');
      maps.push(new Map());
      nsIds.set(name, id);
    }
    return id;
  };

  const bind = (policies: readonly CompiledPolicy[]): StoreRunner => {
    const n = policies.length;
    const ids = policies.map((p) => nsFor(p.name));
    const ms = ids.map((id) => maps[id]!);
    const out = new Float64Array(n * 4);
    // Per-policy pending state for groups (decide all, then commit all or none).
    const pa = new Float64Array(n);
    const pb = new Float64Array(n);
    const pc = new Float64Array(n);
    const pblk = new Float64Array(n);
    const pok = new Uint8Array(n);
    const slots = new Int32Array(n);

    const finish = (k: number, p: CompiledPolicy, now: number, allowed: boolean, retry: number): void => {
      view(p, now, s);
      const o = k * 4;
      out[o] = allowed ? 1 : 0;
      out[o + 1] = s.remaining;
      out[o + 2] = s.reset;
      out[o + 3] = retry;
    };

    if (n === 1) {
      const p = policies[0]!;
      const ns = ids[0]!;
      const map = ms[0]!;
      return {
        sync: true,
        run(op, key, cost) {
          const now = Math.floor(clock());
          if (op === OP_RESET) {
            const i = map.get(key);
            if (i !== undefined) free(i);
            out[0] = 1;
            out[1] = p.algo === 0 || p.algo === 2 ? p.burst : p.limit;
            out[2] = 0;
            out[3] = 0;
            return out;
          }
          const slot = load(map, key, now);
          normalize(p, now, slot !== NONE, s);
          if (op === OP_CONSUME || op === OP_PEEK) {
            const a = s.a;
            const b = s.b;
            const c = s.c;
            tryConsume(p, now, cost, s);
            const allowed = s.allowed;
            let retry = s.retry;
            if (op === OP_PEEK || !allowed) {
              s.a = a;
              s.b = b;
              s.c = c;
            }
            if (op === OP_CONSUME) {
              if (!allowed && p.blockMs > 0 && s.blk <= now) {
                s.blk = now + p.blockMs;
                if (retry < p.blockMs) retry = p.blockMs;
              }
              finish(0, p, now, allowed, retry);
              if (allowed || p.blockMs > 0) save(ns, map, key, slot, now);
            } else finish(0, p, now, allowed, retry);
            return out;
          }
          if (op === OP_BLOCK) {
            const until = now + cost;
            if (until > s.blk) s.blk = until;
          } else adjust(p, cost, op === OP_REFUND, now, s);
          finish(0, p, now, s.blk <= now, s.blk > now ? s.blk - now : 0);
          save(ns, map, key, slot, now);
          return out;
        },
      };
    }

    return {
      sync: true,
      run(op, key, cost) {
        const now = Math.floor(clock());
        if (op === OP_RESET) {
          for (let k = 0; k < n; k++) {
            const i = ms[k]!.get(key);
            if (i !== undefined) free(i);
            const p = policies[k]!;
            out[k * 4] = 1;
            out[k * 4 + 1] = p.algo === 0 || p.algo === 2 ? p.burst : p.limit;
            out[k * 4 + 2] = 0;
            out[k * 4 + 3] = 0;
          }
          return out;
        }
        let all = true;
        for (let k = 0; k < n; k++) {
          const p = policies[k]!;
          const slot = load(ms[k]!, key, now);
          slots[k] = slot;
          normalize(p, now, slot !== NONE, s);
          pa[k] = s.a;
          pb[k] = s.b;
          pc[k] = s.c;
          pblk[k] = s.blk;
          if (op === OP_CONSUME || op === OP_PEEK) {
            tryConsume(p, now, cost, s);
            pok[k] = s.allowed ? 1 : 0;
            out[k * 4 + 3] = s.retry;
            if (!s.allowed) all = false;
          }
        }
        // A load() of a later policy may have evicted an earlier one's slot; re-resolve slots before saving.
        for (let k = 0; k < n; k++) {
          const p = policies[k]!;
          const map = ms[k]!;
          const slot0 = slots[k]!;
          const slot = slot0 !== NONE && keys[slot0] === key && nsOf[slot0] === ids[k] ? slot0 : NONE;
          s.a = pa[k]!;
          s.b = pb[k]!;
          s.c = pc[k]!;
          s.blk = pblk[k]!;
          if (op === OP_CONSUME || op === OP_PEEK) {
            let retry = out[k * 4 + 3]!;
            if (op === OP_CONSUME && all) tryConsume(p, now, cost, s);
            if (op === OP_CONSUME && !pok[k] && p.blockMs > 0 && s.blk <= now) {
              s.blk = now + p.blockMs;
              if (retry < p.blockMs) retry = p.blockMs;
            }
            finish(k, p, now, pok[k] === 1, retry);
            if (op === OP_CONSUME && (all || (!pok[k] && p.blockMs > 0))) save(ids[k]!, map, key, slot, now);
          } else {
            if (op === OP_BLOCK) {
              const until = now + cost;
              if (until > s.blk) s.blk = until;
            } else adjust(p, cost, op === OP_REFUND, now, s);
            finish(k, p, now, s.blk <= now, s.blk > now ? s.blk - now : 0);
            save(ids[k]!, map, key, slot, now);
          }
        }
        return out;
      },
    };
  };

  return {
    kind: 'memory',
    bind,
    stats: () => ({ size, evictions, expirations, allocated: cap }),
    clear() {
      for (const m of maps) m.clear();
      keys = new Array(cap);
      used = 0;
      freeHead = NONE;
      head = NONE;
      tail = NONE;
      size = 0;
    },
  };
}
