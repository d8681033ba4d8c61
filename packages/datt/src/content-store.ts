import { toHex } from '@peerwire/wire';
import { DattError } from './errors.js';

/**
 * Where a node keeps content: serialised ContentAuth bytes keyed by their 32-byte content hash.
 * The engine only stores content it has verified. Implementations: `MemoryContentStore` here,
 * `LevelContentStore` (on disk) in `@peerwire/datt/node`.
 */
export interface ContentStore {
  get(hash: Uint8Array): Promise<Uint8Array | undefined>;
  has(hash: Uint8Array): Promise<boolean>;
  put(hash: Uint8Array, contentAuth: Uint8Array): Promise<void>;
}

/** Default byte budget of `MemoryContentStore` (64 MiB). */
export const DEFAULT_MEMORY_STORE_MAX_BYTES = 64 * 1024 * 1024;

/** An in-memory `ContentStore` with a byte budget; a put beyond it throws `TOO_LARGE`. */
export class MemoryContentStore implements ContentStore {
  readonly maxBytes: number;
  readonly #items = new Map<string, Uint8Array>();
  #bytes = 0;

  constructor(options: { readonly maxBytes?: number } = {}) {
    this.maxBytes = options.maxBytes ?? DEFAULT_MEMORY_STORE_MAX_BYTES;
  }

  /** Number of items held. */
  get size(): number {
    return this.#items.size;
  }

  async get(hash: Uint8Array): Promise<Uint8Array | undefined> {
    return this.#items.get(toHex(hash));
  }

  async has(hash: Uint8Array): Promise<boolean> {
    return this.#items.has(toHex(hash));
  }

  async put(hash: Uint8Array, contentAuth: Uint8Array): Promise<void> {
    const key = toHex(hash);
    if (this.#items.has(key)) return;
    if (this.#bytes + contentAuth.length > this.maxBytes) {
      throw new DattError(
        'TOO_LARGE',
        `memory content store is full (${this.#bytes} of ${this.maxBytes} bytes); raise maxBytes or use LevelContentStore`,
      );
    }
    this.#items.set(key, contentAuth.slice());
    this.#bytes += contentAuth.length;
  }
}
