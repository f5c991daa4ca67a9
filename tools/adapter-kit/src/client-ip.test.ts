import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { clientIp, compileTrust, parseIp, peerAddress } from './client-ip.js';

describe('parseIp / compileTrust', () => {
  it('parses IPv4, IPv6 (compressed, zone, mapped) and rejects junk', () => {
    expect([...parseIp('10.1.2.3')!]).toEqual([10, 1, 2, 3]);
    expect(parseIp('::1')![15]).toBe(1);
    expect(parseIp('fe80::1%eth0')![0]).toBe(0xfe);
    expect([...parseIp('::ffff:1.2.3.4')!.subarray(10)]).toEqual([255, 255, 1, 2, 3, 4]);
    for (const bad of ['1.2.3', '256.1.1.1', '1::2::3', 'abc', '', '1.2.3.4.5', '12345::'])
      expect(parseIp(bad)).toBeUndefined();
  });

  it('matches CIDRs and named ranges, including IPv4-mapped IPv6 peers', () => {
    const t = compileTrust(['loopback', '10.0.0.0/8', '2001:db8::/32']);
    expect(t('127.0.0.1', 0)).toBe(true);
    expect(t('::ffff:127.0.0.1', 0)).toBe(true);
    expect(t('10.200.0.1', 0)).toBe(true);
    expect(t('11.0.0.1', 0)).toBe(false);
    expect(t('2001:db8:1::5', 0)).toBe(true);
    expect(t('2001:db9::5', 0)).toBe(false);
    expect(compileTrust('uniquelocal')('192.168.1.1', 0)).toBe(true);
    expect(compileTrust(2)('9.9.9.9', 1)).toBe(true);
    expect(compileTrust(2)('9.9.9.9', 2)).toBe(false);
  });

  it('rejects bad trust settings naming the option and the value', () => {
    expect(() => compileTrust(['10.0.0.0/33'], 'express: trustProxy')).toThrow(
      /express: trustProxy: "10.0.0.0\/33" is not/,
    );
    expect(() => compileTrust(-1)).toThrow(/trustProxy must be an integer >= 0/);
    expect(() => compileTrust(['nope'])).toThrow(TypeError);
  });
});

describe('clientIp', () => {
  const loop = compileTrust('loopback');
  it('walks X-Forwarded-For right to left through trusted hops only', () => {
    expect(clientIp('127.0.0.1', '203.0.113.9', loop)).toBe('203.0.113.9');
    expect(clientIp('127.0.0.1', '6.6.6.6, 203.0.113.9', loop)).toBe('203.0.113.9');
    expect(clientIp('127.0.0.1', '6.6.6.6, 203.0.113.9, 127.0.0.1', loop)).toBe('203.0.113.9');
    expect(clientIp('198.51.100.1', '203.0.113.9', loop)).toBe('198.51.100.1');
    expect(clientIp('::ffff:127.0.0.1', undefined, loop)).toBe('127.0.0.1');
    expect(clientIp('127.0.0.1', 'not-an-ip', loop)).toBe('127.0.0.1');
    expect(clientIp('127.0.0.1', ['1.1.1.1', '2.2.2.2'], compileTrust(true))).toBe('1.1.1.1');
    expect(clientIp('127.0.0.1', '1.1.1.1', compileTrust(false))).toBe('127.0.0.1');
  });
});

describe('peerAddress', () => {
  it("reads a real socket's peer once per connection, and never keeps a missing one", async () => {
    const seen: Array<string | undefined> = [];
    const server = http.createServer((req, res) => {
      seen.push(peerAddress(req.socket), peerAddress(req.socket));
      // the kept value is the one Node reports
      seen.push(req.socket.remoteAddress);
      res.end();
    });
    server.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as AddressInfo).port;
    const agent = new http.Agent({ keepAlive: true });
    for (let i = 0; i < 2; i++)
      await new Promise<void>((done) =>
        http.get({ port, host: '127.0.0.1', agent }, (r) => r.resume().on('end', done)),
      );
    agent.destroy();
    await new Promise((r) => server.close(r));
    expect(seen).toEqual(Array(6).fill('127.0.0.1'));

    let reads = 0;
    let addr: string | undefined;
    const sock = {
      get remoteAddress() {
        reads++;
        return addr;
      },
    };
    expect(peerAddress(sock)).toBeUndefined(); // a closed socket reports none: not kept
    addr = '192.0.2.7';
    expect(peerAddress(sock)).toBe('192.0.2.7');
    addr = '192.0.2.8';
    expect(peerAddress(sock)).toBe('192.0.2.7'); // the connection's peer, read once
    expect(reads).toBe(2);
    expect(peerAddress(undefined)).toBeUndefined();
    expect(peerAddress(null)).toBeUndefined();
  });
});
