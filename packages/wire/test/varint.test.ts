import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectThrowsCode, valueOrTypedError } from '../../../tooling/test-helpers.js';
import {
  DecodeError,
  EncodeError,
  encodeUvarint,
  fromHex,
  readUvarint,
  toHex,
  uvarintLength,
} from '../src/index.js';

describe('unsigned LEB128 varints', () => {
  it.each([
    [0n, '00'],
    [5n, '05'],
    [127n, '7f'],
    [128n, '8001'],
    [300n, 'ac02'],
    [(1n << 64n) - 1n, 'ffffffffffffffffff01'],
  ])('%s ↔ %s', (value, hex) => {
    expect(toHex(encodeUvarint(value))).toBe(hex);
    expect(
      toHex(encodeUvarint(value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value)),
    ).toBe(hex);
    expect(readUvarint(fromHex(hex))).toEqual({ value, length: hex.length / 2 });
    expect(uvarintLength(value)).toBe(hex.length / 2);
  });

  it('accepts non-minimal encodings as Go does', () => {
    expect(readUvarint(fromHex('8000'))).toEqual({ value: 0n, length: 2 });
  });

  it('rejects overflow like Go binary.ReadUvarint', () => {
    expectThrowsCode(
      () => readUvarint(fromHex('ffffffffffffffffff02')),
      DecodeError,
      'VARINT_OVERFLOW',
    );
    expectThrowsCode(
      () => readUvarint(fromHex('ffffffffffffffffff8001')),
      DecodeError,
      'VARINT_OVERFLOW',
    );
    expectThrowsCode(() => readUvarint(fromHex('80808080')), DecodeError, 'TRUNCATED');
    expectThrowsCode(() => readUvarint(new Uint8Array()), DecodeError, 'TRUNCATED');
  });

  it('refuses to encode what is not a u64', () => {
    expectThrowsCode(() => encodeUvarint(-1), EncodeError, 'BAD_VALUE');
    expectThrowsCode(() => encodeUvarint(1.5), EncodeError, 'BAD_VALUE');
    expectThrowsCode(() => encodeUvarint(1n << 64n), EncodeError, 'BAD_VALUE');
  });

  it('round-trips every u64', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }), (v) => {
        const bytes = encodeUvarint(v);
        expect(readUvarint(bytes)).toEqual({ value: v, length: bytes.length });
      }),
    );
  });

  it('decodes arbitrary bytes to a value or a DecodeError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), (b) => {
        const r = valueOrTypedError(() => readUvarint(b), DecodeError);
        if (r) expect(r.value).toBeLessThan(1n << 64n);
      }),
    );
  });
});
