// Crash-test child: stores files in a loop and prints each id once put() has resolved. Killed at a random instant.
import { createCipher, createKeyring } from '../../src/index.js';
import { fileKeyStore, secureStorage } from '../../src/node.js';

const dir = process.argv[2]!;
const keyring = await createKeyring({ store: fileKeyStore(`${dir}/keys.json`), rotateAfterMessages: 3 });
const storage = secureStorage({ dir: `${dir}/files`, cipher: createCipher({ keyring }) });
process.stdout.write('ready\n');
const content = (n: number) => Uint8Array.from({ length: 300_000 + n * 1000 }, (_, i) => (i + n) & 255);
for (let n = 0; n < 10_000; n++) {
  const id = await storage.put(`file-${process.pid}-${n}`, content(n), { n });
  process.stdout.write(`stored ${id} ${n}\n`);
}
