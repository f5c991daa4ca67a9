// @org/logger/node on Node, Bun and Deno: the buffered fd sink writes every line to a file and flushes on demand.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ok = (cond, what) => {
  if (!cond) throw new Error(`logger/node smoke: ${what}`);
};

export default async function smoke(m, env) {
  const { createLogger } = m['@org/logger'];
  const { fdSink } = m['@org/logger/node'];
  const file = join(env.tmp, 'app.log');
  const sink = fdSink({ dest: file });
  const log = createLogger({ sink, name: 'smoke' });
  for (let i = 0; i < 1000; i++) log.info({ i }, 'line');
  await log.flush();
  const lines = readFileSync(file, 'utf8').trim().split('\n');
  ok(lines.length === 1000, `1000 lines in the file, got ${lines.length}`);
  ok(JSON.parse(lines[999]).i === 999, 'last line intact');
  sink.close();
  ok(sink.dropped === 0, `nothing dropped, got ${sink.dropped}`);
  return '1000 lines through fdSink to a file';
}
