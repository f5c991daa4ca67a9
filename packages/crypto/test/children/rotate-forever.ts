// Crash-test child: rotates a file-backed keyring in a tight loop and prints each key id once it is persisted.
// The parent kills it with SIGKILL at a random instant, usually in the middle of a write.
import { createKeyring } from '../../src/index.js';
import { fileKeyStore } from '../../src/node.js';

const path = process.argv[2]!;
const keyring = await createKeyring({ store: fileKeyStore(path, { kek: process.env.TEST_KEK }) });
process.stdout.write(`ready ${keyring.primaryId}\n`);
for (let i = 0; i < 100_000; i++) {
  const k = i % 3 === 2 ? await keyring.stage() : await keyring.rotate();
  process.stdout.write(`persisted ${k.id}\n`);
}
