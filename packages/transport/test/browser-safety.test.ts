// The root entry must run in browsers: bundling it for the browser platform must not need any
// Node built-in or the `ws` package (both stay behind the ./node entry).
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const entry = (path: string) => fileURLToPath(new URL(path, import.meta.url));

async function bundle(path: string): Promise<{ errors: string[]; inputs: string[] }> {
  try {
    const result = await build({
      entryPoints: [entry(path)],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    return { errors: [], inputs: Object.keys(result.metafile.inputs) };
  } catch (error) {
    const errors = (error as { errors?: { text: string }[] }).errors ?? [];
    return { errors: errors.map((e) => e.text), inputs: [] };
  }
}

describe('browser safety', () => {
  it('the root entry bundles for the browser without Node built-ins or ws', async () => {
    const { errors, inputs } = await bundle('../src/index.ts');
    expect(errors).toEqual([]);
    expect(inputs.some((i) => i.endsWith('src/link-base.ts'))).toBe(true);
    expect(
      inputs.filter((i) => i.startsWith('node:') || i.includes('/ws/') || i.includes('src/node/')),
    ).toEqual([]);
  });

  it('the ./node entry does need Node (so the check above can fail)', async () => {
    const { errors } = await bundle('../src/node/index.ts');
    expect(errors.length).toBeGreaterThan(0);
  });
});
