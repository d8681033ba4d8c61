// hash-wasm's per-algorithm build: its root entry embeds every algorithm's WebAssembly (about
// 12 MiB more resident memory once loaded, measured), bob needs only Adler-32.
import adler32Build from 'hash-wasm/dist/adler32.umd.min.js';
import type { Adler32 } from './stored-file.js';

/**
 * Adler-32 from hash-wasm (WebAssembly; about twice a plain JS loop on the development machine),
 * for the stored zlib streams the sender writes itself. Compiles the module on the first call.
 * The factory reuses one hasher: one stream at a time (a sender writes its objects in turn).
 */
export async function loadAdler32(): Promise<() => Adler32> {
  const hasher = await adler32Build.createAdler32();
  return () => {
    hasher.init();
    return {
      update: (data) => {
        hasher.update(data);
      },
      digest: () => hasher.digest('binary'),
    };
  };
}
