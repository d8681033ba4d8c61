import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { deflateSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BobError } from '../../src/index.js';
import { loadAdler32 } from '../../src/node/adler32.js';
import { ZlibFileWriter } from '../../src/node/zlib-file-writer.js';

const runs = Math.min(60, Number(process.env.FC_NUM_RUNS ?? 60));

/** Feeds `zlib` in pieces cut at `cuts`; returns what was written. */
async function unwrap(zlib: Uint8Array, size: number, cuts: number[] = []) {
  const parts: Buffer[] = [];
  const out = new Writable({
    highWaterMark: 64 * 1024,
    write(chunk: Buffer, _e, done) {
      parts.push(Buffer.from(chunk));
      setImmediate(done);
    },
  });
  let progress = 0;
  const w = new ZlibFileWriter(out, size, await loadAdler32(), (n) => {
    progress += n;
  });
  try {
    const at = [
      0,
      ...cuts.filter((c) => c > 0 && c < zlib.length).sort((a, b) => a - b),
      zlib.length,
    ];
    for (let i = 0; i + 1 < at.length; i++) await w.push(zlib.subarray(at[i], at[i + 1]));
    await w.end();
  } finally {
    w.destroy();
  }
  await new Promise<void>((r) => out.end(r));
  const written = Buffer.concat(parts);
  expect(progress).toBe(written.length);
  return written;
}

const random = randomBytes(300_000);
const text = Buffer.from('the quick brown fox jumps over the lazy dog\n'.repeat(8000));
// Random first, then text that refers back (the same text again): zlib level 4 writes stored
// blocks first, then compressed ones.
const mixed = Buffer.concat([random.subarray(0, 200_000), text.subarray(0, 100_000)]);

describe('ZlibFileWriter', () => {
  it('unwraps stored blocks, inflates compressed ones, and switches in the middle', async () => {
    const stored = deflateSync(random, { level: 0 });
    const mixedZ = deflateSync(mixed, { level: 4 });
    expect((stored[2]! >> 1) & 3).toBe(0);
    expect((mixedZ[2]! >> 1) & 3).toBe(0); // the first block is stored: the switch is exercised
    for (const [data, z] of [
      [random, stored],
      [text, deflateSync(text, { level: 4 })],
      [mixed, mixedZ],
      [Buffer.alloc(0), deflateSync(Buffer.alloc(0), { level: 0 })],
      [Buffer.alloc(0), deflateSync(Buffer.alloc(0), { level: 4 })],
    ] as const) {
      expect((await unwrap(z, data.length)).equals(data)).toBe(true);
    }
  });

  it('gives the same bytes for any chunking', async () => {
    const cases = [
      [random.subarray(0, 150_000), deflateSync(random.subarray(0, 150_000), { level: 0 })],
      [mixed, deflateSync(mixed, { level: 4 })],
    ] as const;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1 }),
        fc.array(fc.nat({ max: 310_000 }), { maxLength: 12 }),
        async (which, cuts) => {
          const [data, z] = cases[which]!;
          expect((await unwrap(z, data.length, cuts)).equals(data)).toBe(true);
        },
      ),
      { numRuns: runs },
    );
  });

  it('rejects a wrong checksum, a bad block length, junk after the end, a cut, a size mismatch', async () => {
    const z = deflateSync(random.subarray(0, 100_000), { level: 0 });
    const n = 100_000;
    const flip = (at: number) => {
      const c = Buffer.from(z);
      c[at]! ^= 1;
      return c;
    };
    const code = async (bytes: Uint8Array, size = n) =>
      unwrap(bytes, size).then(
        () => 'ok',
        (e: unknown) => (e instanceof BobError ? e.code : String(e)),
      );
    expect(await code(flip(z.length - 1))).toBe('BAD_ZLIB'); // Adler-32
    expect(await code(flip(4))).toBe('BAD_ZLIB'); // NLEN
    expect(await code(flip(0))).toBe('BAD_ZLIB'); // zlib header
    expect(await code(Buffer.concat([z, Buffer.from([0])]))).toBe('BAD_ZLIB');
    expect(await code(z.subarray(0, z.length - 3))).toBe('BAD_ZLIB');
    expect(await code(z, n - 1)).toBe('BAD_ZLIB'); // more than announced
    expect(await code(z, n + 1)).toBe('BAD_PACK'); // less than announced
    const t = deflateSync(mixed, { level: 4 });
    const tc = Buffer.from(t);
    tc[tc.length - 1]! ^= 1;
    expect(await code(tc, mixed.length)).toBe('BAD_ZLIB'); // Adler-32 after the switch
    expect(await code(Buffer.concat([t, Buffer.from([7])]), mixed.length)).toBe('BAD_ZLIB');
    expect(await code(t.subarray(0, t.length - 10), mixed.length)).toBe('BAD_ZLIB');
  });

  it('arbitrary bytes give a BobError or the announced size, never anything else', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 200 }),
        fc.nat({ max: 300 }),
        async (bytes, size) => {
          const z = Uint8Array.of(0x78, 0x01, ...bytes);
          try {
            const out = await unwrap(z, size);
            expect(out.length).toBe(size);
          } catch (e) {
            expect(e).toBeInstanceOf(BobError);
          }
        },
      ),
      { numRuns: runs * 3 },
    );
  });
});
