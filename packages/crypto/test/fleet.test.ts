// One keyring for a fleet (issue #24): 4 real processes share a keyring on the real PostgreSQL or Redis, seal
// messages concurrently and decrypt what the others sealed, for 30 short rotation periods; then the same while 20
// writers are SIGKILLed in the middle of rotations; then rotateAfterMessages counted across the fleet.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createCipher,
  createKeyring,
  inspectEnvelope,
  type KeyRecord,
  type KeyStore,
  postgresKeyStore,
  postgresKeyStoreSchema,
  redisKeyStore,
} from '../src/index.js';
import { bundleChildren, type Child, killAll, spawnChild } from './children/spawn.js';
import { deleteKeys, ensureDatabase, PG_URL, pgPool, REDIS_URL, redisClient, uniqueName } from './services.js';

const KEK = Buffer.alloc(32, 11).toString('base64');
const INSTANCES = 4;
const root = mkdtempSync(join(tmpdir(), 'org-crypto-fleet-'));
const table = uniqueName('fleet');
const prefix = `${uniqueName('org-crypto-fleet')}:`;
let worker = '';
let pool: pg.Pool;
let redis: Redis;

beforeAll(async () => {
  await ensureDatabase();
  pool = pgPool(4);
  await pool.query(postgresKeyStoreSchema(table));
  redis = redisClient();
  worker = (await bundleChildren(join(root, 'bin'), ['fleet-worker'], 'cjs'))['fleet-worker']!;
}, 60_000);
afterAll(async () => {
  killAll();
  await pool?.query(`DROP TABLE IF EXISTS "${table}"`);
  await pool?.end();
  if (redis) {
    await deleteKeys(redis, prefix);
    redis.disconnect();
  }
  rmSync(root, { recursive: true, force: true });
});

type StoreKind = 'postgres' | 'redis';

interface FleetOptions {
  store: StoreKind;
  rotateAfterMs: number;
  rotateAfterMessages?: number;
  /** Stop once the store holds this many rotations after the first key. */
  rotations: number;
  /** SIGKILLs of processes about to write or writing a keyring update (each replaced by a new process). */
  kills: number;
  timeoutMs: number;
}

interface Instance {
  n: number;
  child: Child;
  ready: boolean;
  /** Where its last keyring update was when it died: the last of update-begin, cas-wait, cas-sent, cas-done, update-end. */
  phase: string;
  killed: boolean;
  done: string | null;
}

interface Rotation {
  from: number;
  primary: string;
  reason: string;
  at: number;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))]! : Number.NaN;
};
const fmt = (xs: number[]): string =>
  xs.length
    ? `median ${quantile(xs, 0.5).toFixed(1)}, p95 ${quantile(xs, 0.95).toFixed(1)}, max ${Math.max(...xs).toFixed(1)} ms (n=${xs.length})`
    : 'none';

function storeFor(kind: StoreKind, where: string): KeyStore {
  return kind === 'postgres'
    ? postgresKeyStore({ query: (t, p) => pool.query(t, p), kek: KEK, table, name: where })
    : redisKeyStore({ send: (a) => redis.call(a[0]!, ...a.slice(1)), kek: KEK, key: `${prefix}${where}` });
}

async function runFleet(o: FleetOptions) {
  const where = uniqueName('ring');
  const store = storeFor(o.store, where);
  const env: Record<string, string> = {
    FLEET_STORE: o.store,
    FLEET_KEK: KEK,
    FLEET_PG_URL: PG_URL,
    FLEET_TABLE: table,
    FLEET_NAME: where,
    FLEET_REDIS_URL: REDIS_URL,
    FLEET_KEY: `${prefix}${where}`,
    FLEET_ROTATE_MS: String(o.rotateAfterMs),
    FLEET_ROTATE_MESSAGES: String(o.rotateAfterMessages ?? 2 ** 28),
    FLEET_CAS_DELAY_MS: o.kills > 0 ? '15' : '0', // pauses of 5-20 ms around each write, so kills land inside
  };
  const instances: Instance[] = [];
  const sealed: Array<{ plain: string; envelope: string; keyId: string; from: number }> = [];
  const rotations: Rotation[] = [];
  const reloads: number[] = [];
  const failures: string[] = [];
  const reported = new Set<string>(); // every key id a process reported (ready, rotate, sealed under)
  const crashChecks: Array<Promise<void>> = [];
  const killPhases: string[] = [];
  let kills = 0;
  let lastKill = 0;

  const kill = (inst: Instance): void => {
    if (inst.killed || kills >= o.kills || Date.now() - lastKill < o.rotateAfterMs / 2) return;
    inst.killed = true;
    kills++;
    lastKill = Date.now();
    inst.child.proc.kill('SIGKILL');
  };

  const spawnInstance = (): Instance => {
    const child = spawnChild(worker, [], env, [], 'pipe');
    child.proc.stdin!.on('error', () => undefined); // a relay line racing a kill: EPIPE
    const inst: Instance = { n: instances.length, child, ready: false, phase: 'none', killed: false, done: null };
    instances.push(inst);
    child.onLine((line) => {
      const [tag, a, b, c] = line.split(' ');
      switch (tag) {
        case 'ready':
          inst.ready = true;
          reported.add(a!);
          break;
        case 'sealed': {
          const keyId = inspectEnvelope(b!).keyId;
          reported.add(keyId);
          sealed.push({ plain: a!, envelope: b!, keyId, from: inst.n });
          for (const other of instances)
            if (other !== inst && other.ready && !other.killed && other.child.proc.exitCode === null)
              other.child.proc.stdin!.write(`open ${a} ${b}\n`);
          break;
        }
        case 'rotate':
          reported.add(a!);
          rotations.push({ from: inst.n, primary: a!, reason: b!, at: Number(c) });
          break;
        case 'reload':
          reloads.push(Number(a));
          break;
        case 'fail':
          if (!inst.killed) failures.push(`instance ${inst.n}: ${line}`);
          break;
        case 'cas-wait': // about to send a compare-and-set write (after a pause): a writer in mid-rotation
        case 'cas-sent':
          inst.phase = tag;
          if (!inst.killed && Math.random() < 0.5) kill(inst);
          break;
        case 'update-begin':
        case 'cas-done':
        case 'update-end':
          inst.phase = tag;
          break;
        case 'done':
          inst.done = line;
          break;
      }
    });
    void child.exited.then((e) => {
      if (!inst.killed) {
        if (inst.done === null) failures.push(`instance ${inst.n} exited: ${e.code} ${e.signal} ${e.stderr}`);
        return;
      }
      killPhases.push(inst.phase);
      // After every crash: the store loads, with one primary and every key any process reported.
      const known = new Set(reported);
      crashChecks.push(
        store.load().then((keys) => {
          const ids = new Set(keys.map((k) => k.id));
          const lost = [...known].filter((id) => !ids.has(id));
          if (lost.length) failures.push(`after kill ${kills}: keys lost ${lost.join(',')}`);
          // (Empty only when the first key's maker died before writing it.)
          if (keys.length > 0 && keys.filter((k) => k.state === 'primary').length !== 1)
            failures.push(`after kill ${kills}: not exactly one primary`);
        }),
      );
      if (!stopping) spawnInstance();
    });
    return inst;
  };

  let stopping = false;
  const started = Date.now();
  for (let i = 0; i < INSTANCES; i++) spawnInstance();
  // A process killed while it makes the first key is replaced like any other; wait for INSTANCES ready ones.
  while (instances.filter((i) => i.ready && !i.killed).length < INSTANCES) {
    if (Date.now() - started > o.timeoutMs) throw new Error('fleet: processes did not start');
    await sleep(20);
  }
  let keys: KeyRecord[] = [];
  while (Date.now() - started < o.timeoutMs) {
    await sleep(100);
    keys = await store.load();
    if (keys.length >= o.rotations + 1 && kills >= o.kills) break;
  }
  stopping = true;
  const live = instances.filter((i) => !i.killed && i.child.proc.exitCode === null);
  for (const i of live) i.child.proc.stdin!.write('exit\n');
  await Promise.race([Promise.all(live.map((i) => i.child.exited)), sleep(15_000)]);
  for (const i of live) if (i.child.proc.exitCode === null) failures.push(`instance ${i.n} did not exit`);
  await Promise.all(crashChecks);
  keys = await store.load();

  // The stored document is the sealed one only: no key material and no key id in the row / hash.
  const raw =
    o.store === 'postgres'
      ? ((await pool.query(`SELECT document FROM "${table}" WHERE name = $1`, [where])).rows[0]?.document as string)
      : ((await redis.hget(`${prefix}${where}`, 'document')) as string);
  expect(Object.keys(JSON.parse(raw)).sort()).toEqual(['format', 'sealed', 'version']);
  for (const k of keys)
    for (const form of [k.id, Buffer.from(k.key).toString('base64url'), Buffer.from(k.key).toString('hex')])
      expect(raw.includes(form), 'plaintext key material or id in the stored document').toBe(false);

  // Everything any process sealed, killed ones included, still decrypts with the keyring as stored.
  const cipher = createCipher({ keyring: await createKeyring({ store }) });
  let undecryptable = 0;
  for (const s of sealed)
    if ((await cipher.decryptString(s.envelope, { aad: s.plain }).catch(() => null)) !== s.plain) undecryptable++;
  const opened = live.reduce((n, i) => n + Number(i.done?.split(' ')[1] ?? 0), 0);
  return {
    keys,
    sealed,
    rotations,
    reloads,
    failures,
    undecryptable,
    opened,
    kills,
    killPhases,
    elapsedMs: Date.now() - started,
    perInstance: instances.map((i) => `${i.n}:${sealed.filter((s) => s.from === i.n).length}`).join(' '),
  };
}

/**
 * Makers of each key but the first: the processes that report a rotation they won. (The first key is made inside
 * createKeyring, before a listener can be attached; that keyrings starting together make one is tested in
 * keyring-fleet.test.ts and shared-stores.test.ts.)
 */
function creators(result: Awaited<ReturnType<typeof runFleet>>): Map<string, Set<number>> {
  const first = [...result.keys].sort((a, b) => a.createdAt - b.createdAt)[0]!.id;
  const m = new Map<string, Set<number>>(
    result.keys.filter((k) => k.id !== first).map((k) => [k.id, new Set<number>()]),
  );
  for (const r of result.rotations)
    if (r.reason !== 'adopted') {
      if (!m.has(r.primary)) m.set(r.primary, new Set());
      m.get(r.primary)!.add(r.from);
    }
  return m;
}

function periods(keys: KeyRecord[]): number[] {
  const at = keys.map((k) => k.activatedAt ?? k.createdAt).sort((a, b) => a - b);
  return at.slice(1).map((t, i) => t - at[i]!);
}

/** How long after a rotation each other process took up the new key (its 'adopted' event). */
function pickup(result: Awaited<ReturnType<typeof runFleet>>): number[] {
  const activated = new Map(result.keys.map((k) => [k.id, k.activatedAt ?? k.createdAt]));
  return result.rotations
    .filter((r) => r.reason === 'adopted' && activated.has(r.primary))
    .map((r) => r.at - activated.get(r.primary)!);
}

describe.each(['postgres', 'redis'] as const)('a fleet of 4 processes on %s', (kind) => {
  it('30 rotation periods: every envelope opens everywhere, one key per period, each made by exactly one process', async () => {
    const rotateAfterMs = 200;
    const r = await runFleet({ store: kind, rotateAfterMs, rotations: 30, kills: 0, timeoutMs: 40_000 });
    expect(r.failures).toEqual([]);
    expect(r.undecryptable).toBe(0);
    expect(r.keys.length).toBeGreaterThanOrEqual(31);
    expect(r.keys.filter((k) => k.state === 'primary')).toHaveLength(1);
    const gaps = periods(r.keys);
    expect(Math.min(...gaps)).toBeGreaterThanOrEqual(rotateAfterMs); // never two keys in one period
    const made = creators(r);
    expect([...made].filter(([, by]) => by.size !== 1)).toEqual([]); // every key made by exactly one process
    expect(r.opened).toBeGreaterThan(r.sealed.length); // each process opened others' envelopes
    console.log(
      `fleet ${kind}: ${r.keys.length} keys = ${gaps.length} rotations + 1 in ${r.elapsedMs} ms; ` +
        `${r.sealed.length} sealed, ${r.opened} opened by other processes, 0 failures; ` +
        `period ${fmt(gaps)}; new primary taken up by the others ${fmt(pickup(r))}; ` +
        `unknown-key decrypt (reload) ${fmt(r.reloads)}; sealed per process ${r.perInstance}`,
    );
  }, 90_000);

  it('20 SIGKILLs of processes in the middle of rotations: nothing lost, nothing undecryptable, still one key per period', async () => {
    const rotateAfterMs = 250;
    const r = await runFleet({ store: kind, rotateAfterMs, rotations: 30, kills: 20, timeoutMs: 60_000 });
    expect(r.failures).toEqual([]);
    expect(r.kills).toBe(20);
    expect(r.undecryptable).toBe(0);
    expect(r.keys.length).toBeGreaterThanOrEqual(31);
    expect(Math.min(...periods(r.keys))).toBeGreaterThanOrEqual(rotateAfterMs);
    const made = creators(r);
    expect([...made].filter(([, by]) => by.size > 1)).toEqual([]); // never two makers of one key
    // A key with no reporting maker: its maker was killed after its write went out (the write may have landed).
    const unreported = [...made].filter(([, by]) => by.size === 0).length;
    expect(unreported).toBeLessThanOrEqual(r.killPhases.filter((p) => p === 'cas-sent' || p === 'cas-done').length);
    const by = (p: string) => r.killPhases.filter((x) => x === p).length;
    // Kills are sent when a process announces a write; most land in the pauses around it, some just after.
    expect(by('cas-wait') + by('cas-sent') + by('cas-done')).toBeGreaterThanOrEqual(15);
    console.log(
      `fleet ${kind} with kills: ${r.kills} SIGKILLs of writers (before sending the write ${by('cas-wait')}, write sent ` +
        `and reply not read ${by('cas-sent')}, written but not yet reported ${by('cas-done')}, after the update ` +
        `${r.kills - by('cas-wait') - by('cas-sent') - by('cas-done')}); ` +
        `${r.keys.length} keys, ${unreported} made by a killed process; ${r.sealed.length} sealed, all decrypt; ` +
        `${r.elapsedMs} ms; sealed per process ${r.perInstance}`,
    );
  }, 120_000);

  it('rotateAfterMessages holds for the fleet: no key seals more than the limit across all 4 processes', async () => {
    const limit = 200;
    const r = await runFleet({
      store: kind,
      rotateAfterMs: Number.POSITIVE_INFINITY,
      rotateAfterMessages: limit,
      rotations: 8,
      kills: 0,
      timeoutMs: 40_000,
    });
    expect(r.failures).toEqual([]);
    expect(r.undecryptable).toBe(0);
    const perKey = new Map<string, number>();
    for (const s of r.sealed) perKey.set(s.keyId, (perKey.get(s.keyId) ?? 0) + 1);
    expect(Math.max(...perKey.values())).toBeLessThanOrEqual(limit);
    const retired = r.keys.filter((k) => k.state !== 'primary').map((k) => perKey.get(k.id) ?? 0);
    expect(retired.length).toBeGreaterThanOrEqual(8);
    expect(creators(r).size).toBe(r.keys.length - 1);
    expect([...creators(r)].filter(([, by]) => by.size !== 1)).toEqual([]);
    console.log(
      `fleet ${kind} count: limit ${limit}, messages per retired key min ${Math.min(...retired)}, max ${Math.max(...retired)} ` +
        `(${r.keys.length} keys, ${r.sealed.length} sealed)`,
    );
  }, 90_000);
});
