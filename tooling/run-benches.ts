// Runs every bench/*.bench.ts file of the current package, one after the other.
// Usage (from a package): tsx ../../tooling/run-benches.ts [name-filter]
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { environment } from './bench.js';

const dir = resolve(process.cwd(), 'bench');
const filter = process.argv[2];
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts') && (!filter || f.includes(filter)))
  .sort();
console.log(`# ${process.cwd().split('/').slice(-2).join('/')} benchmarks (${environment()})`);
for (const file of files) {
  await import(pathToFileURL(join(dir, file)).href);
}
