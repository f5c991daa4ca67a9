import { compare } from '@org/bench-kit';
import { createStopwatch } from '../src/index.js';

// Rival: a hand-written performance.now() pair, the thing a user would write without the package.
const sw = createStopwatch();
await compare(
  'lap start+end',
  [
    { name: 'hand-written', fn: () => performance.now() - performance.now() },
    { name: '@org/template', fn: () => sw.start('x')() },
  ],
  { ours: '@org/template', rival: 'hand-written' },
);
