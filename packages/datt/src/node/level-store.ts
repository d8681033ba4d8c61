import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ClassicLevel } from 'classic-level';
import type { ContentStore } from '../content-store.js';

/**
 * A `ContentStore` on disk: LevelDB (classic-level) in `<dataDir>/content`, keys are the 32-byte
 * content hashes, values the serialised ContentAuth. The engine stores only verified content.
 */
export class LevelContentStore implements ContentStore {
  readonly #db: ClassicLevel<Uint8Array, Uint8Array>;

  private constructor(db: ClassicLevel<Uint8Array, Uint8Array>) {
    this.#db = db;
  }

  /** Opens (creating if needed) the store under `dataDir`. */
  static async open(dataDir: string): Promise<LevelContentStore> {
    await mkdir(dataDir, { recursive: true });
    const db = new ClassicLevel<Uint8Array, Uint8Array>(join(dataDir, 'content'), {
      keyEncoding: 'view',
      valueEncoding: 'view',
    });
    await db.open();
    return new LevelContentStore(db);
  }

  async get(hash: Uint8Array): Promise<Uint8Array | undefined> {
    return this.#db.get(hash);
  }

  async has(hash: Uint8Array): Promise<boolean> {
    return (await this.#db.get(hash)) !== undefined;
  }

  async put(hash: Uint8Array, contentAuth: Uint8Array): Promise<void> {
    await this.#db.put(hash, contentAuth);
  }

  /** Number of items (walks the keys; for tests and diagnostics). */
  async count(): Promise<number> {
    let n = 0;
    for await (const _ of this.#db.keys()) n++;
    return n;
  }

  async close(): Promise<void> {
    await this.#db.close();
  }
}
