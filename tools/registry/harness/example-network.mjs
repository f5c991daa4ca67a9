// Preloaded (`node --import`) before a README's first example runs. Examples call services at reserved example
// host names (RFC 2606/6761: example.com, *.example, *.test, *.internal); those requests are sent to a loopback
// server started here, which answers 200 with `{}`. Every other request goes out unchanged. The example's own code
// (fetch, its retries, its breaker) runs for real against a real socket.
import { createServer } from 'node:http';

const RESERVED = /(?:^|\.)(?:example(?:\.com|\.net|\.org)?|test|internal|invalid)$/i;
const server = createServer((req, res) => {
  req.resume();
  res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
server.unref();
const local = `http://127.0.0.1:${server.address().port}`;
const realFetch = globalThis.fetch;

globalThis.fetch = function fetch(input, init) {
  const url = new URL(input instanceof Request ? input.url : String(input));
  if (!RESERVED.test(url.hostname)) return realFetch(input, init);
  const target = `${local}${url.pathname}${url.search}`;
  return realFetch(input instanceof Request ? new Request(target, input) : target, init);
};
