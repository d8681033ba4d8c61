// Runs the ```ts code blocks of a package README, so that documented examples cannot rot.
// Imports of the package's own name are pointed at its source; examples assert with node:assert.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export function readmeExamples(packageDir: string): string[] {
  const md = readFileSync(join(packageDir, 'README.md'), 'utf8');
  return [...md.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
}

export async function runReadmeExample(packageDir: string, index: number): Promise<void> {
  const { name } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
    name: string;
  };
  const code = readmeExamples(packageDir)[index]!;
  const escaped = name.replace('/', '\\/');
  const own = new RegExp(`from '${escaped}'`, 'g');
  // Subpath entry points (`from '@peerwire/x/node'`) point at `src/<sub>/index.ts`.
  const ownSubpath = new RegExp(`from '${escaped}/([\\w-]+)'`, 'g');
  const rewritten = code
    .replace(own, `from '${pathToFileURL(join(packageDir, 'src/index.ts')).href}'`)
    .replace(
      ownSubpath,
      (_match, sub: string) =>
        `from '${pathToFileURL(join(packageDir, 'src', sub, 'index.ts')).href}'`,
    );
  const dir = join(packageDir, 'test', '.tmp');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `readme-example-${index}.ts`);
  writeFileSync(file, rewritten);
  await import(pathToFileURL(file).href);
}
