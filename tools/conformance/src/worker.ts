// The Hono conformance app as a Workers module for workerd (the Fetch path, no Node API). Two instances:
// /keyed/* reads the client address from CF-Connecting-IP (what Cloudflare sets), /plain/* is given no way to know it.
import { Hono } from 'hono';
import { honoApp } from './apps/hono.js';
import { buildStack } from './stack.js';

const keyed = buildStack();
const plain = buildStack();
const app = new Hono();
app.route('/keyed', honoApp(keyed.options, keyed.deps, { remoteAddress: (c) => c.req.header('cf-connecting-ip') }));
app.route('/plain', honoApp(plain.options, plain.deps));

export default { fetch: app.fetch };
