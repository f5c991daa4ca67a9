// Crash-test child: takes the key file's lock and kills itself with SIGKILL while holding it, leaving a stale lock
// that the live writers must break without ever breaking each other's live locks.
import { fileKeyStore } from '../../src/node.js';

const path = process.argv[2]!;
await fileKeyStore(path, { kek: process.env.TEST_KEK }).update(() => {
  process.kill(process.pid, 'SIGKILL');
  throw new Error('unreachable');
});
