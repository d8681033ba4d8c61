import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectThrowsCode, valueOrTypedError } from '../../../tooling/test-helpers.js';
import {
  bytesEqual,
  compareBytes,
  concatBytes,
  DecodeError,
  fromBase64Url,
  fromHex,
  toBase64Url,
  toHex,
  utf8Decode,
  utf8Encode,
  utf8Length,
} from '../src/index.js';

describe('hex', () => {
  it('encodes lower-case and decodes either case', () => {
    expect(toHex(Uint8Array.of(0, 0xab, 0xff))).toBe('00abff');
    expect(fromHex('00ABff')).toEqual(Uint8Array.of(0, 0xab, 0xff));
  });
  it('rejects odd lengths and non-hex characters', () => {
    expectThrowsCode(() => fromHex('abc'), DecodeError, 'BAD_ENCODING');
    expectThrowsCode(() => fromHex('zz'), DecodeError, 'BAD_ENCODING');
  });
});

describe('base64url without padding', () => {
  it('matches the spotlib-rs vectors and an address hash', () => {
    expect(toBase64Url(utf8Encode('hello world!'))).toBe('aGVsbG8gd29ybGQh');
    expect(toBase64Url(Uint8Array.of(0xfb, 0xff))).toBe('-_8');
    expect(fromBase64Url('-_8')).toEqual(Uint8Array.of(0xfb, 0xff));
    expect(fromBase64Url('WbGGmxhIVIK1b5J2VvrqDQLAW1YzKAID7hIOlxQkPvA').length).toBe(32);
  });
  it('is strict like Go RawURLEncoding', () => {
    expectThrowsCode(() => fromBase64Url('-_8='), DecodeError, 'BAD_ENCODING');
    expectThrowsCode(() => fromBase64Url('+/8'), DecodeError, 'BAD_ENCODING');
    expectThrowsCode(() => fromBase64Url('a'), DecodeError, 'BAD_ENCODING');
    expectThrowsCode(() => fromBase64Url('-_9'), DecodeError, 'BAD_ENCODING'); // non-zero trailing bits
    expectThrowsCode(() => fromBase64Url('ab c'), DecodeError, 'BAD_ENCODING');
  });
  it('agrees with Node for any bytes, and round-trips', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (b) => {
        const text = toBase64Url(b);
        expect(text).toBe(Buffer.from(b).toString('base64url'));
        expect(fromBase64Url(text)).toEqual(b);
      }),
    );
  });
  it('decodes arbitrary text to bytes or a DecodeError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 60 }), (s) => {
        const b = valueOrTypedError(() => fromBase64Url(s), DecodeError);
        if (b) expect(toBase64Url(b)).toBe(s);
      }),
    );
  });
});

describe('byte helpers', () => {
  it('concatenates, compares and tests equality', () => {
    expect(concatBytes(Uint8Array.of(1), Uint8Array.of(), Uint8Array.of(2, 3))).toEqual(
      Uint8Array.of(1, 2, 3),
    );
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1, 2))).toBe(true);
    expect(bytesEqual(Uint8Array.of(1, 2), Uint8Array.of(1))).toBe(false);
    expect(compareBytes(Uint8Array.of(1), Uint8Array.of(1, 0))).toBeLessThan(0);
    expect(compareBytes(Uint8Array.of(2), Uint8Array.of(1, 0))).toBeGreaterThan(0);
  });
});

describe('UTF-8', () => {
  it('decodes strictly and counts bytes like TextEncoder', () => {
    expectThrowsCode(
      () => utf8Decode(Uint8Array.of(0xc3, 0x28), 0, 2, 'name'),
      DecodeError,
      'BAD_UTF8',
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 80 }), (s) => {
        const bytes = utf8Encode(s);
        expect(utf8Length(s)).toBe(bytes.length);
        expect(utf8Decode(bytes)).toBe(new TextDecoder().decode(bytes));
      }),
    );
  });
});
