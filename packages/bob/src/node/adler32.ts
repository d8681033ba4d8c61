import { createAdler32 } from 'hash-wasm';
import type { Adler32 } from './stored-file.js';

/**
 * Adler-32 from hash-wasm (WebAssembly; about twice a plain JS loop on the development machine),
 * for the stored zlib streams the sender writes itself. Compiles the module on the first call.
 * The factory reuses one hasher: one stream at a time (a sender writes its objects in turn).
 */
export async function loadAdler32(): Promise<() => Adler32> {
  const hasher = await createAdler32();
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
