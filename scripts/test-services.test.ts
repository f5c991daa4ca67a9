import { existsSync } from 'node:fs';
import { type AddressInfo, connect, createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script without types
import { ensureServices } from './test-services.mjs';

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });

const ping = (port: number): Promise<string> =>
  new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' }, () => s.write('PING\r\n'));
    s.once('data', (b) => {
      s.destroy();
      resolve(b.toString());
    });
    s.once('error', reject);
  });

// Real servers only: closed ports, the shared Redis and PostgreSQL (never stopped here), a Redis started on a port of
// its own. Nothing here touches 6379 or 5432 beyond a probe.
describe('test prerequisites', () => {
  it('names what is missing and how to install it when Redis is down and not installed', async () => {
    const port = await freePort();
    const err = await ensureServices(['redis'], {
      env: { REDIS_URL: `redis://127.0.0.1:${port}`, PATH: '/nonexistent' },
    }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toContain(`redis is not answering at redis://127.0.0.1:${port} (REDIS_URL: ECONNREFUSED)`);
    expect(err.message).toContain('redis-server is not installed');
    expect(err.message).toContain('apt-get install redis-server');
  });

  it.runIf(existsSync('/usr/bin/redis-server'))(
    'starts Redis on the URL when it is installed, and stops it',
    async () => {
      const port = await freePort();
      const stop = await ensureServices(['redis'], {
        env: { REDIS_URL: `redis://127.0.0.1:${port}`, PATH: '/usr/bin' },
      });
      try {
        expect(await ping(port)).toBe('+PONG\r\n');
      } finally {
        stop();
      }
      let refused = false;
      for (let i = 0; i < 50 && !refused; i++) {
        refused = await ping(port).then(
          () => false,
          () => true,
        );
        if (!refused) await new Promise((r) => setTimeout(r, 100));
      }
      expect(refused).toBe(true);
    },
  );

  it('accepts the running shared Redis and PostgreSQL as they are', async () => {
    const stop = await ensureServices(['redis', 'postgres'], { env: process.env });
    await stop(); // started nothing, stops nothing
    expect(await ping(6379)).toBe('+PONG\r\n');
  });

  it('says when PostgreSQL is down on a port no local cluster serves', async () => {
    const port = await freePort();
    const err = await ensureServices(['postgres'], {
      env: { DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/postgres`, PATH: process.env.PATH },
    }).catch((e: Error) => e);
    expect(err.message).toMatch(/postgres is not answering at postgres:\/\/127\.0\.0\.1:\d+\/postgres \(DATABASE_URL/);
    expect(err.message).toMatch(/could not be started: (no PostgreSQL cluster|PostgreSQL is not installed)/);
    expect(err.message).toContain('trust login for user postgres on loopback');
  });

  it('says when PostgreSQL refuses the user (a real server answering the startup message)', async () => {
    const err = await ensureServices(['postgres'], {
      env: { DATABASE_URL: 'postgres://no_such_role_for_tests@127.0.0.1:5432/postgres' },
    }).catch((e: Error) => e);
    expect(err.message).toMatch(/refused user no_such_role_for_tests: .*no_such_role_for_tests/);
  });

  it('says when PostgreSQL asks for a password the URL does not carry', async () => {
    // A server speaking the first message of the protocol: AuthenticationMD5Password.
    const server = createServer((s) =>
      s.once('data', () => s.end(Buffer.from([0x52, 0, 0, 0, 12, 0, 0, 0, 5, 1, 2, 3, 4]))),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as AddressInfo;
    try {
      const err = await ensureServices(['postgres'], {
        env: { DATABASE_URL: `postgres://postgres@127.0.0.1:${port}/postgres` },
      }).catch((e: Error) => e);
      expect(err.message).toContain('asks user postgres for a password (auth method 5) and DATABASE_URL has none');
      const ok = await ensureServices(['postgres'], {
        env: { DATABASE_URL: `postgres://postgres:secret@127.0.0.1:${port}/postgres` },
      });
      await ok();
    } finally {
      server.close();
    }
  });
});
