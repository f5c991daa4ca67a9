/**
 * CPU time per line (process.cpuUsage, so time this process spends descheduled on a busy machine is not counted), no-op
 * sink, one logger copy per process: run it once per tree to compare two versions without the in-process bias of two
 * module copies. Run: npx tsx bench/cpu-per-line.ts [path/to/src/index.ts]
 */
import { fileURLToPath } from 'node:url';

const entry = process.argv[2] ?? fileURLToPath(new URL('../src/index.ts', import.meta.url));
const m: typeof import('../src/index.js') = await import(entry);
const fieldsObj = { userId: 42, route: '/api/items', ok: true, tags: ['a', 'b'], meta: { region: 'eu', retry: 0 } };
const REDACT = ['password', 'token', 'req.headers.authorization', 'user.card.number'];
const redactObj = {
  password: 'x',
  token: 'y',
  req: { headers: { authorization: 'a', host: 'h' } },
  user: { card: { number: '1', brand: 'v' } },
};
let n = 0;
const sink = (l: string): void => {
  n += l.length;
};
const log = m.createLogger({ sink });
const red = m.createLogger({ sink, redact: REDACT });
const child = log.child({ reqId: 'r-1', service: 'api' });
const prep = log.prepare(['requestId', 'method', 'path', 'status', 'durationMs', 'ip'], 'request completed');
const N = 200;
const cases: Array<[string, () => void]> = [
  [
    'info(msg)',
    () => {
      for (let i = 0; i < N; i++) log.info('hello world');
    },
  ],
  [
    'info(fields, msg)',
    () => {
      for (let i = 0; i < N; i++) log.info(fieldsObj, 'request done');
    },
  ],
  [
    'child info',
    () => {
      for (let i = 0; i < N; i++) child.info('hello world');
    },
  ],
  [
    'request line',
    () => {
      for (let i = 0; i < N; i++)
        prep.info('9e5754c0-4db7-4ebb-b8fe-37e57a916b0b', 'GET', '/api/items', 200, 1.234, '127.0.0.1');
    },
  ],
  [
    '4 redacted paths',
    () => {
      for (let i = 0; i < N; i++) red.info(redactObj, 'login');
    },
  ],
  [
    'ctx info(fields)',
    () =>
      m.withContext({ reqId: 'r1' }, () => {
        for (let i = 0; i < N; i++) log.info({ a: 1, b: 'x' }, 'm');
      }),
  ],
];
const out: Record<string, number> = {};
for (const [name, f] of cases) {
  for (let i = 0; i < 500; i++) f();
  const xs: number[] = [];
  for (let r = 0; r < 21; r++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < 100; i++) f();
    const c = process.cpuUsage(c0);
    xs.push(((c.user + c.system) * 1000) / (100 * N));
  }
  xs.sort((a, b) => a - b);
  out[name] = xs[10]!;
}
// n is read so the sink's work cannot be optimised away
console.log(JSON.stringify(out), n > 0 ? '' : 'x');
