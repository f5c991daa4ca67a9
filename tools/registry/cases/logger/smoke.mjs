// @org/logger on any runtime: pino-shaped NDJSON, levels, redaction, child bindings, safe serialisation.
const ok = (cond, what) => {
  if (!cond) throw new Error(`logger smoke: ${what}`);
};

export default async function smoke(m) {
  const { createLogger, memorySink } = m['@org/logger'];
  const mem = memorySink();
  const log = createLogger({ sink: mem, name: 'smoke', level: 'info', redact: { paths: ['password', '**.token'] } });
  log.debug('hidden');
  log.info({ password: 'hunter2', nested: { token: 't' }, n: 1n }, 'hello');
  const cyc = { a: 1 };
  cyc.self = cyc;
  log.child({ component: 'db' }).warn('slow', { cyc });
  log.error(new Error('boom', { cause: new Error('root') }), 'failed');
  await log.flush();
  const recs = mem.records();
  ok(recs.length === 3, `3 records (debug off), got ${recs.length}`);
  const [a, b, c] = recs;
  ok(a.level === 30 && a.msg === 'hello' && a.name === 'smoke' && typeof a.time === 'number', JSON.stringify(a));
  ok(a.password === '[Redacted]' && a.nested.token === '[Redacted]', `redaction: ${JSON.stringify(a)}`);
  ok(b.component === 'db' && b.level === 40, `child: ${JSON.stringify(b)}`);
  ok(c.err?.message === 'boom' || c.message === 'boom' || JSON.stringify(c).includes('boom'), 'error serialised');
  for (const line of mem.lines) JSON.parse(line);
  return `${recs.length} NDJSON lines, redaction, child, cycles`;
}
