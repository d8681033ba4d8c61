import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectThrowsCode } from '../../../tooling/test-helpers.js';
import { ByteReader, ByteWriter, DecodeError, EncodeError, toHex } from '../src/index.js';

describe('ByteWriter and ByteReader', () => {
  it('write and read every primitive', () => {
    const w = new ByteWriter(1)
      .u8(0xab)
      .u16be(0x0102)
      .u16le(0x0102)
      .u32be(0x01020304)
      .u32le(0x01020304)
      .u64be(0x0102030405060708n)
      .u64le(1n)
      .uvarint(300)
      .utf8('hé')
      .bytes(Uint8Array.of(9, 9));
    const bytes = w.finish();
    expect(toHex(bytes)).toBe(
      'ab' +
        '0102' +
        '0201' +
        '01020304' +
        '04030201' +
        '0102030405060708' +
        '0100000000000000' +
        'ac02' +
        '68c3a9' +
        '0909',
    );
    const r = new ByteReader(bytes);
    expect(r.u8()).toBe(0xab);
    expect(r.u16be()).toBe(0x0102);
    expect(r.u16le()).toBe(0x0102);
    expect(r.u32be()).toBe(0x01020304);
    expect(r.u32le()).toBe(0x01020304);
    expect(r.u64be()).toBe(0x0102030405060708n);
    expect(r.u64le()).toBe(1n);
    expect(r.uvarint()).toBe(300n);
    expect(r.utf8(3)).toBe('hé');
    expect(r.remaining).toBe(2);
    expect(r.rest()).toEqual(Uint8Array.of(9, 9));
    r.end();
  });

  it('reports truncation and trailing bytes with what was being read', () => {
    const r = new ByteReader(Uint8Array.of(1, 2, 3));
    const err = expectThrowsCode(() => r.u32be('length'), DecodeError, 'TRUNCATED');
    expect(err.message).toContain('length');
    expect(r.offset).toBe(0); // nothing consumed by the failed read
    r.u8();
    expectThrowsCode(() => r.end('frame'), DecodeError, 'TRAILING_BYTES');
    expectThrowsCode(
      () => new ByteReader(Uint8Array.of(5)).uvarintMax(4, 'n'),
      DecodeError,
      'BAD_VALUE',
    );
  });

  it('refuses out-of-range writes', () => {
    expectThrowsCode(() => new ByteWriter().u8(256), EncodeError, 'BAD_VALUE');
    expectThrowsCode(() => new ByteWriter().u16le(-1), EncodeError, 'BAD_VALUE');
    expectThrowsCode(() => new ByteWriter().u32be(1.5), EncodeError, 'BAD_VALUE');
    expectThrowsCode(() => new ByteWriter().u64be(-1n), EncodeError, 'BAD_VALUE');
  });

  it('round-trips sequences of u32 and byte strings', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(), fc.uint8Array({ maxLength: 20 })), { maxLength: 10 }),
        (items) => {
          const w = new ByteWriter(4);
          for (const [n, b] of items) w.u32be(n).uvarint(b.length).bytes(b);
          const r = new ByteReader(w.finish());
          for (const [n, b] of items) {
            expect(r.u32be()).toBe(n);
            expect(r.bytes(Number(r.uvarint()))).toEqual(b);
          }
          r.end();
        },
      ),
    );
  });
});
