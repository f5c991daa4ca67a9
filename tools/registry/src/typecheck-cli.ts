// Runs typecheck() in its own process (the compiler is synchronous and would stall the matrix's event loop):
// reads `{ projectDir, files }` as JSON on stdin, prints the results as JSON on stdout.
import { readFileSync } from 'node:fs';
import { type CheckFile, typecheck } from './typecheck.js';

const input = JSON.parse(readFileSync(0, 'utf8')) as { projectDir: string; files: CheckFile[] };
process.stdout.write(JSON.stringify(typecheck(input.projectDir, input.files)));
