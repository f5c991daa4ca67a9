// @org/health/node on Node, Bun and Deno: httpCheck and tcpCheck against real loopback servers.
import { createServer } from 'node:http';

const ok = (cond, what) => {
  if (!cond) throw new Error(`health/node smoke: ${what}`);
};

export default async function smoke(m) {
  const { createHealth } = m['@org/health'];
  const { httpCheck, tcpCheck, memoryCheck } = m['@org/health/node'];
  const server = createServer((req, res) => {
    res.writeHead(req.url === '/down' ? 500 : 200, { 'content-type': 'text/plain' });
    res.end('x'.repeat(100_000)); // a body the check must consume or discard
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  try {
    const health = createHealth({ service: { id: 'smoke', version: '1' }, timeoutMs: 2000 });
    health.check(httpCheck({ name: 'up:responseTime', url: `http://127.0.0.1:${port}/` }));
    health.check(tcpCheck({ name: 'tcp:connectTime', port }));
    health.check(memoryCheck());
    const up = await health.readiness({ verbose: true });
    ok(up.status === 'pass', `httpCheck and tcpCheck pass against a live server: ${up.body}`);
    const down = createHealth({ timeoutMs: 2000 });
    down.check(httpCheck({ name: 'down:responseTime', url: `http://127.0.0.1:${port}/down` }));
    const d = await down.readiness({ verbose: true });
    ok(d.status === 'fail' && d.body.includes('500'), `a 500 fails the check: ${d.body}`);
    return 'httpCheck pass/fail, tcpCheck, memoryCheck';
  } finally {
    server.close();
  }
}
