import { deflateSync } from 'node:zlib';
import { concatBytes, utf8Encode } from '@peerwire/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectThrowsCode, valueOrTypedError } from '../../../tooling/test-helpers.js';
import { BOB_ZLIB_LEVEL, BobError, bobZlibLevel } from '../src/index.js';
import { ZlibDeflater, ZlibInflater, zlibDeflate } from '../src/internal.js';

function inflateAll(input: Uint8Array, cut: number) {
  const z = new ZlibInflater();
  const out: Uint8Array[] = [];
  for (let o = 0; o < input.length && !z.done; ) {
    const step = z.push(input.subarray(o, o + cut));
    out.push(...step.output);
    o += step.consumed;
    if (step.done) return { data: concatBytes(...out), end: o };
  }
  return { data: concatBytes(...out), end: -1 };
}

describe('zlib streams', () => {
  it('finds the exact end of a stream followed by other bytes, in any chunking', () => {
    const text = utf8Encode('hello hello hello hello\n'.repeat(100));
    for (const compressed of [zlibDeflate(text), new Uint8Array(deflateSync(text, { level: 9 }))]) {
      const stream = concatBytes(compressed, utf8Encode('NEXT OBJECT'));
      for (const cut of [1, 3, 17, stream.length]) {
        const r = inflateAll(stream, cut);
        expect(r.data).toEqual(text);
        expect(r.end).toBe(compressed.length);
      }
    }
  });

  it('streams compression: chunks in, valid zlib out', () => {
    const d = new ZlibDeflater(0);
    const parts = [...d.push(utf8Encode('abc')), ...d.push(utf8Encode('def'), true)];
    expect(inflateAll(concatBytes(...parts), 1000).data).toEqual(utf8Encode('abcdef'));
  });

  it('refuses invalid data and output beyond the announced size', () => {
    expectThrowsCode(
      () => new ZlibInflater().push(Uint8Array.of(0x78, 0x9c, 0xff, 0xff)),
      BobError,
      'BAD_ZLIB',
    );
    expectThrowsCode(
      () => new ZlibInflater().push(zlibDeflate(new Uint8Array(100)), 99),
      BobError,
      'BAD_ZLIB',
    );
  });

  it('fuzz: arbitrary bytes inflate or give a BobError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        valueOrTypedError(
          () => new ZlibInflater().push(concatBytes(Uint8Array.of(0x78, 0x01), bytes), 1 << 16),
          BobError,
        );
      }),
    );
  });
});

describe('bobZlibLevel (spec §8.1)', () => {
  it('is 4 by default, 0 without compression or for video, audio and image types', () => {
    expect(BOB_ZLIB_LEVEL).toBe(4);
    expect(bobZlibLevel()).toBe(4);
    expect(bobZlibLevel({ mimeType: 'text/plain' })).toBe(4);
    expect(bobZlibLevel({ mimeType: 'application/zip' })).toBe(4);
    expect(bobZlibLevel({ compression: false })).toBe(0);
    expect(bobZlibLevel({ compression: false, mimeType: 'text/plain' })).toBe(0);
    for (const m of ['video/mp4', 'audio/ogg', 'image/png', 'IMAGE/JPEG', 'image/*'])
      expect(bobZlibLevel({ mimeType: m }), m).toBe(0);
    expect(bobZlibLevel({ compression: true, mimeType: 'video/webm' })).toBe(0);
    expect(bobZlibLevel({ mimeType: 'videos/x' })).toBe(4);
  });
});
