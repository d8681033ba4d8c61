import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateSync } from 'node:zlib';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAdler32 } from '../../src/node/adler32.js';
import { STORED_BLOCK_BYTES, storedFile } from '../../src/node/stored-file.js';

let work: string;
beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'bob-stored-'));
});
afterAll(() => rm(work, { recursive: true, force: true }));

async function stream(content: Uint8Array, blocksPerPiece?: number) {
  const path = join(work, `f-${content.length}-${blocksPerPiece}`);
  await writeFile(path, content);
  const adler32 = await loadAdler32();
  const pieces: Buffer[] = [];
  let raw = 0;
  const hashed: Uint8Array[] = [];
  for await (const piece of storedFile(path, content.length, {
    adler32,
    blocksPerPiece,
    onRaw: (n) => {
      raw += n;
    },
    hash: { update: (d) => hashed.push(Uint8Array.from(d)) },
  })) {
    pieces.push(Buffer.from(piece)); // copied: the generator reuses its buffers
  }
  return { pieces, zlib: Buffer.concat(pieces), raw, hashed: Buffer.concat(hashed) };
}

describe('storedFile (a zlib level-0 stream written without zlib)', () => {
  it('inflates back to the file, with stored blocks of 65535 bytes and the last one final', async () => {
    const content = randomBytes(3 * STORED_BLOCK_BYTES + 100);
    const { zlib, raw, hashed, pieces } = await stream(content, 2);
    expect(inflateSync(zlib).equals(content)).toBe(true);
    expect(raw).toBe(content.length);
    expect(hashed.equals(content)).toBe(true); // the hash sees contents only
    expect([...zlib.subarray(0, 2)]).toEqual([0x78, 0x01]);
    expect([...zlib.subarray(2, 7)]).toEqual([0, 0xff, 0xff, 0, 0]); // not final, LEN, NLEN
    expect(pieces.length).toBe(2); // 4 blocks, 2 per piece
    expect(zlib.length).toBe(2 + 4 * 5 + content.length + 4);
  });

  it('an empty file is one empty final block, as zlib writes it', async () => {
    const { zlib } = await stream(new Uint8Array(0));
    expect([...zlib]).toEqual([0x78, 0x01, 0x01, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x01]);
  });

  it('round-trips any size and piece size', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 4 * STORED_BLOCK_BYTES + 3 }),
        fc.integer({ min: 1, max: 5 }),
        async (size, perPiece) => {
          const content = randomBytes(size);
          const { zlib, raw } = await stream(content, perPiece);
          expect(inflateSync(zlib).equals(content)).toBe(true);
          expect(raw).toBe(size);
        },
      ),
      { numRuns: Math.min(40, Number(process.env.FC_NUM_RUNS ?? 40)) },
    );
  });

  it('a file that shrinks while it is read is FILE_CHANGED', async () => {
    const path = join(work, 'shrinks');
    await writeFile(path, randomBytes(1000));
    const adler32 = await loadAdler32();
    const run = async () => {
      for await (const _ of storedFile(path, 2000, { adler32, onRaw: () => {} })) {
      }
    };
    await expect(run()).rejects.toMatchObject({ code: 'FILE_CHANGED' });
  });
});
