// Built into a V8 startup snapshot by random-pool.test.ts: draws from the pool while the snapshot is built (so the
// pool is full when it is serialised), then prints the next 12 bytes in every process started from the snapshot.
import { startupSnapshot } from 'node:v8';
import { randomBytes } from '../../src/internal/random.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
console.log(`build ${hex(randomBytes(12))}`);
startupSnapshot.setDeserializeMainFunction(() => console.log(`run ${hex(randomBytes(12))}`));
