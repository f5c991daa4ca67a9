// The servers the integration tests need (Redis, PostgreSQL): found at REDIS_URL / DATABASE_URL (defaults on
// loopback), started when they are down and their binaries are installed, else a clear error within seconds naming
// what is missing and how to get it. What this module starts, it stops when the test run ends.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SERVICES = {
  redis: {
    env: 'REDIS_URL',
    defaultUrl: 'redis://127.0.0.1:6379',
    install:
      'install Redis (apt-get install redis-server, dnf install redis, brew install redis) so the tests can start it, ' +
      'or point REDIS_URL at a running server',
  },
  postgres: {
    env: 'DATABASE_URL',
    defaultUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
    install:
      'install PostgreSQL (apt-get install postgresql, brew install postgresql) with trust login for user postgres on ' +
      'loopback (pg_hba.conf: host all postgres 127.0.0.1/32 trust), or point DATABASE_URL at a server with credentials',
  },
};

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

/** The URL a service is expected at. */
export function serviceUrl(name, env = process.env) {
  const s = SERVICES[name];
  return new URL(env[s.env] || s.defaultUrl);
}

const portOf = (url, fallback) => Number(url.port || fallback);

/**
 * Connects, sends `hello` and collects the answer until `done(bytes)` says it is complete; rejects on refusal, error or
 * `timeoutMs`.
 */
function exchange(url, fallbackPort, hello, timeoutMs, done = () => true) {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname.replace(/^\[|\]$/g, ''), port: portOf(url, fallbackPort) });
    let got = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
    socket.once('connect', () => socket.write(hello));
    socket.on('data', (b) => {
      got = Buffer.concat([got, b]);
      if (!done(got)) return;
      clearTimeout(timer);
      socket.destroy();
      resolve(got);
    });
    socket.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** Redis answers PING (or asks for auth, which the URL carries). */
async function probeRedis(url, timeoutMs) {
  const reply = (await exchange(url, 6379, 'PING\r\n', timeoutMs)).toString();
  if (reply.startsWith('+PONG') || reply.startsWith('-NOAUTH')) return { ok: true };
  return { ok: false, why: `answered ${JSON.stringify(reply.slice(0, 80))} to PING` };
}

/** The backend messages in `buf` (type and payload), as far as complete. */
function pgMessages(buf) {
  const out = [];
  for (let at = 0; at + 5 <= buf.length; ) {
    const len = buf.readInt32BE(at + 1);
    if (at + 1 + len > buf.length) break;
    out.push({ type: String.fromCharCode(buf[at]), body: buf.subarray(at + 5, at + 1 + len) });
    at += 1 + len;
  }
  return out;
}

/**
 * PostgreSQL lets the URL's user in: a startup message, then the server's answer up to ReadyForQuery, an error, or a
 * password request (fine only when the URL carries a password).
 */
async function probePostgres(url, timeoutMs) {
  const user = decodeURIComponent(url.username || 'postgres');
  const database = decodeURIComponent(url.pathname.slice(1) || user);
  const params = Buffer.from(`user\0${user}\0database\0${database}\0\0`);
  const msg = Buffer.alloc(8 + params.length);
  msg.writeInt32BE(msg.length, 0);
  msg.writeInt32BE(196608, 4); // protocol 3.0
  params.copy(msg, 8);
  const final = (m) => m.type === 'Z' || m.type === 'E' || (m.type === 'R' && m.body.readInt32BE(0) !== 0);
  const reply = await exchange(url, 5432, msg, timeoutMs, (b) => pgMessages(b).some(final));
  const last = pgMessages(reply).find(final);
  if (last?.type === 'Z') return { ok: true };
  if (last?.type === 'R') {
    if (url.password) return { ok: true };
    return {
      ok: false,
      why: `asks user ${user} for a password (auth method ${last.body.readInt32BE(0)}) and DATABASE_URL has none`,
    };
  }
  const text = last?.body
    .toString()
    .split('\0')
    .find((f) => f.startsWith('M'));
  return { ok: false, why: `refused user ${user}: ${text ? text.slice(1) : 'error'}` };
}

const PROBES = { redis: probeRedis, postgres: probePostgres };

/** Where a program is on PATH, or undefined. */
function which(bin, env) {
  for (const dir of (env.PATH ?? '').split(':')) if (dir && existsSync(join(dir, bin))) return join(dir, bin);
  return undefined;
}

/** Starts a local server for the URL when its binary exists; returns how to stop it, or why it could not. */
function start(name, url, env) {
  const port = portOf(url, name === 'redis' ? 6379 : 5432);
  if (name === 'redis') {
    const bin = which('redis-server', env);
    if (!bin) return { why: 'redis-server is not installed (not on PATH)' };
    const dir = mkdtempSync(join(tmpdir(), 'test-redis-'));
    const pidfile = join(dir, 'redis.pid');
    const r = spawnSync(
      bin,
      [
        '--daemonize',
        'yes',
        '--bind',
        '127.0.0.1',
        '-::1',
        '--port',
        String(port),
        '--save',
        '',
        '--appendonly',
        'no',
      ].concat(['--dir', dir, '--pidfile', pidfile]),
      { encoding: 'utf8', timeout: 10_000 },
    );
    if (r.status !== 0) return { why: `redis-server failed to start: ${`${r.stdout}${r.stderr}`.trim()}` };
    return {
      how: `redis-server --port ${port}`,
      stop: async () => {
        const pid = Number(readFileSync(pidfile, 'utf8'));
        const alive = () => {
          try {
            process.kill(pid, 0);
            return true;
          } catch {
            return false;
          }
        };
        if (alive()) process.kill(pid, 'SIGTERM');
        // Stopped means gone: wait for the exit (SIGKILL after 5 s), so the port is free when the run ends.
        for (let i = 0; i < 50 && alive(); i++) await new Promise((r) => setTimeout(r, 100));
        if (alive()) process.kill(pid, 'SIGKILL');
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const ctl = which('pg_ctlcluster', env);
  if (!ctl || !existsSync('/etc/postgresql'))
    return { why: 'PostgreSQL is not installed (pg_ctlcluster and /etc/postgresql not found)' };
  // A Debian cluster listens on the port its postgresql.conf names; start the one the URL points at.
  for (const version of readdirSync('/etc/postgresql')) {
    const conf = join('/etc/postgresql', version, 'main', 'postgresql.conf');
    if (!existsSync(conf)) continue;
    const m = /^\s*port\s*=\s*(\d+)/m.exec(readFileSync(conf, 'utf8'));
    if (Number(m?.[1] ?? 5432) !== port) continue;
    const r = spawnSync(ctl, ['--skip-systemctl-redirect', version, 'main', 'start'], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    if (r.status !== 0)
      return { why: `pg_ctlcluster ${version} main start failed: ${`${r.stdout}${r.stderr}`.trim()}` };
    return {
      how: `pg_ctlcluster ${version} main start`,
      stop: () => {
        spawnSync(ctl, ['--skip-systemctl-redirect', version, 'main', 'stop'], { timeout: 30_000 });
      },
    };
  }
  return { why: `no PostgreSQL cluster under /etc/postgresql is configured for port ${port}` };
}

/**
 * Makes sure each named service answers at its URL. Starts it when it is down, on loopback, and installed; resolves
 * with an async function stopping what was started. Rejects within about `startTimeoutMs` with every problem found.
 */
export async function ensureServices(
  names,
  { env = process.env, probeTimeoutMs = 1500, startTimeoutMs = 15_000, log = () => {} } = {},
) {
  const stops = [];
  const problems = [];
  for (const name of names) {
    const s = SERVICES[name];
    const url = serviceUrl(name, env);
    const shown = `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
    const probe = () =>
      PROBES[name](url, probeTimeoutMs).catch((e) => ({ ok: false, down: true, why: e.code ?? e.message }));
    let p = await probe();
    if (p.ok) continue;
    if (!p.down) {
      problems.push(`${name} at ${shown} (${s.env}) ${p.why}; ${s.install}`);
      continue;
    }
    if (!LOOPBACK.has(url.hostname)) {
      problems.push(`${name} is not answering at ${shown} (${s.env}): ${p.why}`);
      continue;
    }
    const started = start(name, url, env);
    if (!started.stop) {
      problems.push(
        `${name} is not answering at ${shown} (${s.env}: ${p.why}) and could not be started: ${started.why}; ${s.install}`,
      );
      continue;
    }
    log(`${name} was not answering at ${shown}; started it (${started.how})`);
    stops.push(started.stop);
    const deadline = Date.now() + startTimeoutMs;
    while (!(p = await probe()).ok && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    if (!p.ok)
      problems.push(`${name} was started (${started.how}) but does not answer at ${shown}: ${p.why}; ${s.install}`);
  }
  const stop = async () => {
    for (const s of stops.reverse()) await s();
  };
  if (problems.length) {
    await stop();
    throw new Error(`test prerequisites missing:\n  - ${problems.join('\n  - ')}`);
  }
  return stop;
}

// One registry per process (vitest runs every project's globalSetup in its main process): concurrent setups share one
// start, and what was started is stopped when the last setup that needed it tears down.
const shared = (globalThis[Symbol.for('org.test-services')] ??= new Map());

/**
 * A vitest globalSetup for `names`: `export default servicesSetup(['redis'])`. Tests read the same REDIS_URL /
 * DATABASE_URL with the same defaults.
 */
export function servicesSetup(names) {
  return async () => {
    const held = [];
    for (const name of names) {
      let entry = shared.get(name);
      if (!entry) {
        entry = { users: 0, ready: ensureServices([name], { log: (l) => console.log(`[test services] ${l}`) }) };
        shared.set(name, entry);
      }
      entry.users++;
      held.push(entry);
      try {
        await entry.ready;
      } catch (e) {
        shared.delete(name);
        throw e;
      }
    }
    return async () => {
      for (const entry of held) {
        if (--entry.users > 0) continue;
        for (const [k, v] of shared) if (v === entry) shared.delete(k);
        await (await entry.ready)();
      }
    };
  };
}
