// apply() uses the target's own public methods: on a real server the bytes on the wire are exactly those of a
// setHeader/removeHeader loop over forRequest() and remove, and a sent head gets Node's own error.
import { once } from 'node:events';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { generateNonce, type SecurityHeaders, securityHeaders } from './index.js';

const NONCE = generateNonce();

/** The raw response head of one GET against a server whose handler is `handle`, Date line dropped. */
async function rawHead(handle: (res: http.ServerResponse) => void): Promise<string> {
  const server = http.createServer((_req, res) => {
    res.setHeader('X-Powered-By', 'Express');
    handle(res);
    res.end('ok');
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const s = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
    s.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    let out = '';
    s.on('data', (d) => {
      out += d.toString('latin1');
    });
    await once(s, 'close');
    return out.replace(/\r\nDate: [^\r]+/, '');
  } finally {
    server.close();
  }
}

describe('apply() on Node', () => {
  for (const [name, policy, nonce] of [
    ['helmet preset', securityHeaders(), undefined],
    ['owasp with a CSP nonce', securityHeaders({ preset: 'owasp', contentSecurityPolicy: { nonce: true } }), NONCE],
  ] as Array<[string, SecurityHeaders, string | undefined]>) {
    it(`${name}: the same bytes as a setHeader loop`, async () => {
      const viaApply = await rawHead((res) => policy.apply(res, nonce));
      const viaLoop = await rawHead((res) => {
        for (const [n, v] of policy.forRequest({ nonce })) res.setHeader(n, v);
        for (const n of policy.remove) res.removeHeader(n);
      });
      expect(viaApply).toBe(viaLoop);
      expect(viaApply).not.toContain('X-Powered-By');
      expect(viaApply).toContain(`X-Frame-Options: ${policy.get('x-frame-options')}`);
    });
  }

  it("a sent head: Node's own ERR_HTTP_HEADERS_SENT", () => {
    const res = new http.ServerResponse(new http.IncomingMessage(new net.Socket()));
    res.end();
    expect(() => securityHeaders().apply(res)).toThrow(expect.objectContaining({ code: 'ERR_HTTP_HEADERS_SENT' }));
  });
});
