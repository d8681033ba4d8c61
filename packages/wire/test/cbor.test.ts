import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectThrowsCode, valueOrTypedError } from '../../../tooling/test-helpers.js';
import {
  type CborEncodable,
  cborArray,
  cborBytes,
  cborTime,
  cborUint,
  DecodeError,
  decodeCbor,
  EncodeError,
  encodeCanonicalCbor,
  encodeCbor,
  fromHex,
  toHex,
} from '../src/index.js';

const hex = (v: CborEncodable) => toHex(encodeCbor(v));

describe('encoding reproduces Go (fxamacker/cbor) shapes', () => {
  it('NewBottle("x") and an unsigned cleartext bottle', () => {
    expect(hex([new Map(), Uint8Array.of(0x78), 0, null, null])).toBe('85a0417800f6f6');
    expect(hex([new Map(), new TextEncoder().encode('Unsigned message'), 0, null, null])).toBe(
      '85a050556e7369676e6564206d65737361676500f6f6',
    );
  });

  it('times are integer seconds; nil and empty differ', () => {
    expect(hex(1700000000)).toBe('1a6553f100');
    expect(hex(null)).toBe('f6');
    expect(hex([])).toBe('80');
    expect(hex(new Map())).toBe('a0');
  });

  it('integers always take the shortest integer form, never a float', () => {
    expect(hex(0)).toBe('00');
    expect(hex(23)).toBe('17');
    expect(hex(24)).toBe('1818');
    expect(hex(256)).toBe('190100');
    expect(hex(2 ** 32 - 1)).toBe('1affffffff');
    expect(hex(2 ** 32)).toBe('1b0000000100000000');
    expect(hex(2 ** 40)).toBe('1b0000010000000000');
    expect(hex(5n)).toBe('05');
    expect(hex(0xffff_ffff_ffff_ffffn)).toBe('1bffffffffffffffff');
    expect(hex(-1)).toBe('20');
    expect(hex(-(2 ** 40))).toBe('3b000000ffffffffff');
    expect(hex(1.5)).toBe('fb3ff8000000000000');
  });

  it('bytes are byte strings, text is text, map order is insertion order, integer keys stay integers', () => {
    expect(hex(Uint8Array.of(1, 2))).toBe('420102');
    expect(hex('é')).toBe('62c3a9');
    expect(
      hex(
        new Map<string | number, CborEncodable>([
          ['srv', 's'],
          ['cid', 'c'],
        ]),
      ),
    ).toBe('a2637372766173636369646163');
    expect(
      hex(
        new Map<number, CborEncodable>([
          [2, 0],
          [1, 0],
        ]),
      ),
    ).toBe('a20200' + '0100');
    expect(hex(new Map([[1, Uint8Array.of()]]))).toBe('a10140');
  });

  it('uses shortest lengths for long arrays, maps and strings', () => {
    expect(hex(new Array(24).fill(0)).slice(0, 4)).toBe('9818');
    expect(hex(new Uint8Array(300)).slice(0, 6)).toBe('59012c');
    expect(
      hex(new Map(Array.from({ length: 30 }, (_, i) => [i, i] as [number, number]))).slice(0, 4),
    ).toBe('b81e');
  });

  it('returns plain Uint8Arrays, never Node Buffers', () => {
    expect(Object.getPrototypeOf(encodeCbor([1, 'x', Uint8Array.of(2)]))).toBe(
      Uint8Array.prototype,
    );
    expect(Object.getPrototypeOf(encodeCanonicalCbor(new Map([['a', 1]])))).toBe(
      Uint8Array.prototype,
    );
  });

  it('refuses what it cannot represent', () => {
    expectThrowsCode(
      () => encodeCbor(undefined as unknown as CborEncodable),
      EncodeError,
      'UNSUPPORTED_VALUE',
    );
    expectThrowsCode(
      () => encodeCbor({ a: 1 } as unknown as CborEncodable),
      EncodeError,
      'UNSUPPORTED_VALUE',
    );
    expectThrowsCode(() => encodeCbor(1n << 64n), EncodeError, 'UNSUPPORTED_VALUE');
  });

  it('re-encodes the chloe signed IDCard blob from the spec byte for byte', () => {
    const blob =
      '85a0589785a1626374666964636172645886a601582c302a300506032b65700321004cbe8f8ee3c7493206d945e625f10cbc91124a9ef32ea4e770105ce04944fc3e021a6553f1000381a301582c302a300506032b65700321004cbe8f8ee3c7493206d945e625f10cbc91124a9ef32ea4e770105ce04944fc3e021a6553f1000481647369676e04f605f606a1646e616d656543686c6f6500f6f601f6818300582c302a300506032b65700321004cbe8f8ee3c7493206d945e625f10cbc91124a9ef32ea4e770105ce04944fc3e58403da3972ff29bf3e5722bb843f7a550ca6bf1ae3465c976762bde930f141db0bcf6cdaa7a2df9f32a148ad11820ac204cad1b42386e7f50a9752360b896503f05';
    const outer = cborArray(decodeCbor(fromHex(blob)), 'bottle', 5);
    expect(hex(outer as CborEncodable)).toBe(blob);
    const inner = cborArray(decodeCbor(cborBytes(outer[1], 'msg')), 'inner', 5);
    const card = decodeCbor(cborBytes(inner[1], 'card'));
    expect(card).toBeInstanceOf(Map);
    expect([...(card as Map<unknown, unknown>).keys()]).toEqual([1, 2, 3, 4, 5, 6]);
    expect(toHex(encodeCbor(card as CborEncodable))).toBe(toHex(cborBytes(inner[1], 'card')));
  });
});

describe('canonical encoding (length-first key order)', () => {
  it('sorts text keys shorter first, then bytewise (the Membership Info case)', () => {
    const info = new Map([
      ['role', 'member'],
      ['a', 'b'],
    ]);
    expect(toHex(encodeCanonicalCbor(info))).toBe(
      toHex(
        encodeCbor(
          new Map([
            ['a', 'b'],
            ['role', 'member'],
          ]),
        ),
      ),
    );
    const mixed = new Map<string | number, CborEncodable>([
      ['aa', 1],
      ['b', 2],
      [24, 3],
      [7, 4],
    ]);
    // 07 (1 byte) < 1818 (2 bytes) = 6162 ("b", 2 bytes; 0x18 < 0x61) < 626161 ("aa", 3 bytes)
    expect(toHex(encodeCanonicalCbor(mixed))).toBe(
      'a4' + '0704' + '181803' + '616202' + '62616101',
    );
  });

  it('sorts nested maps too', () => {
    const v = [
      new Map<string, CborEncodable>([
        [
          'zz',
          new Map([
            ['b', 1],
            ['a', 2],
          ]),
        ],
        ['y', 0],
      ]),
    ];
    expect(toHex(encodeCanonicalCbor(v))).toBe(
      '81a2' + '617900' + '627a7a' + 'a2' + '616102' + '616201',
    );
  });
});

describe('strict decoding', () => {
  const cases: [string, string, string][] = [
    ['trailing bytes', '0000', 'TRAILING_BYTES'],
    ['empty input', '', 'TRUNCATED'],
    ['truncated array', '8301', 'TRUNCATED'],
    ['truncated string', '43aabb', 'TRUNCATED'],
    ['truncated head', '1a0000', 'TRUNCATED'],
    ['array claiming 2^32 elements', '9b0000000100000000', 'TOO_LARGE'],
    ['array claiming 65536 elements in 5 bytes', '9a00010000', 'TRUNCATED'],
    ['map claiming 2^64-1 pairs', 'bbffffffffffffffff', 'TOO_LARGE'],
    ['bytes claiming 2^63', '5b8000000000000000', 'TOO_LARGE'],
    ['bytes claiming 2^32', '5b0000000100000000', 'TRUNCATED'],
    ['disallowed tag (shared ref)', 'd81d00', 'BAD_CBOR'],
    ['disallowed tag (self-describe)', 'd9d9f700', 'BAD_CBOR'],
    ['cbor-x record tag', 'd9dffe00', 'BAD_CBOR'],
    ['tag 1 around text', 'c16161', 'BAD_CBOR'],
    ['tag 2 around an int', 'c201', 'BAD_CBOR'],
    ['indefinite bytes', '5f4101ff', 'BAD_CBOR'],
    ['lone break', 'ff', 'BAD_CBOR'],
    ['reserved info', '1c', 'BAD_CBOR'],
    ['simple value 16', 'f0', 'BAD_CBOR'],
    ['simple value 32', 'f820', 'BAD_CBOR'],
    ['invalid UTF-8', '62c328', 'BAD_UTF8'],
    ['UTF-8 surrogate', '63eda080', 'BAD_UTF8'],
    ['overlong UTF-8', '62c0af', 'BAD_UTF8'],
    ['unterminated indefinite array', '9f01', 'TRUNCATED'],
  ];
  it.each(cases)('%s', (_name, input, code) => {
    expectThrowsCode(() => decodeCbor(fromHex(input)), DecodeError, code);
  });

  it('refuses nesting bombs without overflowing the stack', () => {
    const deep = new Uint8Array(100_000).fill(0x81);
    expectThrowsCode(() => decodeCbor(deep), DecodeError, 'TOO_DEEP');
    // fxamacker's default allows 32 levels of nesting.
    const nested = (levels: number) => Uint8Array.of(...new Array(levels).fill(0x81), 0x00);
    expectThrowsCode(() => decodeCbor(nested(33)), DecodeError, 'TOO_DEEP');
    expect(decodeCbor(nested(32))).toBeInstanceOf(Array);
  });

  it('applies configurable limits', () => {
    const arr = encodeCbor([1, 2, 3, 4]);
    expectThrowsCode(() => decodeCbor(arr, { maxArrayLength: 3 }), DecodeError, 'TOO_LARGE');
    const map = encodeCbor(
      new Map([
        [1, 1],
        [2, 2],
      ]),
    );
    expectThrowsCode(() => decodeCbor(map, { maxMapPairs: 1 }), DecodeError, 'TOO_LARGE');
    expectThrowsCode(
      () => decodeCbor(encodeCbor(new Uint8Array(10)), { maxStringLength: 9 }),
      DecodeError,
      'TOO_LARGE',
    );
    expectThrowsCode(
      () => decodeCbor(fromHex('9f01020304ff'), { maxArrayLength: 3 }),
      DecodeError,
      'TOO_LARGE',
    );
  });

  it('accepts what Go accepts: indefinite arrays and maps, duplicate keys, any key order', () => {
    expect(decodeCbor(fromHex('9f0102ff'))).toEqual([1, 2]);
    expect(decodeCbor(fromHex('bf6161f4ff'))).toEqual(new Map([['a', false]]));
    expect(decodeCbor(fromHex('a2010201 03'.replace(' ', '')))).toEqual(new Map([[1, 3]]));
  });

  it('returns plain Uint8Array views and leaves the input untouched', () => {
    const input = fromHex('4401020304');
    const v = decodeCbor(input);
    expect(Object.getPrototypeOf(v)).toBe(Uint8Array.prototype);
    expect(Object.keys(input)).toEqual(['0', '1', '2', '3', '4']);
  });
});

describe('typed access', () => {
  it('reads times as Go accepts them', () => {
    expect(cborTime(decodeCbor(fromHex('1a6553f100')), 't')).toBe(1700000000);
    expect(cborTime(decodeCbor(fromHex('c11a6553f100')), 't')).toBe(1700000000);
    expect(cborTime(decodeCbor(fromHex('fb41d954fc40000000')), 't')).toBe(1700000000);
    expect(cborTime(decodeCbor(encodeCbor('2023-11-14T22:13:20Z')), 't')).toBe(1700000000);
    expect(cborTime(decodeCbor(fromHex('c074323032332d31312d31345432323a31333a32305a')), 't')).toBe(
      1700000000,
    );
    expect(cborTime(decodeCbor(fromHex('f6')), 't')).toBeNull();
    expectThrowsCode(() => cborTime(decodeCbor(fromHex('4100')), 't'), DecodeError, 'BAD_SHAPE');
  });

  it('keeps bytes and text apart and checks array lengths', () => {
    expectThrowsCode(() => cborBytes('x', 'Bottle.msg'), DecodeError, 'BAD_SHAPE');
    expectThrowsCode(() => cborArray([1, 2, 3, 4], 'Bottle', 5), DecodeError, 'BAD_SHAPE');
    expectThrowsCode(() => cborUint(-1, 'fmt'), DecodeError, 'BAD_SHAPE');
    expect(cborUint(decodeCbor(fromHex('1bffffffffffffffff')), 'x')).toBe(0xffff_ffff_ffff_ffffn);
  });
});

const arbKey = fc.oneof(fc.string({ maxLength: 8 }), fc.nat(100_000));
const { value: arbValue } = fc.letrec<{ value: CborEncodable }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant(null),
    fc.boolean(),
    fc.integer(),
    fc.bigInt({ min: -(1n << 64n), max: (1n << 64n) - 1n }),
    fc.string({ maxLength: 20 }),
    fc.uint8Array({ maxLength: 40 }),
    fc.array(tie('value'), { maxLength: 5 }),
    fc
      .uniqueArray(fc.tuple(arbKey, tie('value')), { maxLength: 5, selector: ([k]) => k })
      .map((e) => new Map(e)),
  ),
}));

describe('properties', () => {
  it('encode → decode → encode is stable, for plain and canonical encoding', () => {
    fc.assert(
      fc.property(arbValue, (v) => {
        const bytes = encodeCbor(v);
        expect(encodeCbor(decodeCbor(bytes) as CborEncodable)).toEqual(bytes);
        const canonical = encodeCanonicalCbor(v);
        expect(encodeCanonicalCbor(decodeCbor(canonical) as CborEncodable)).toEqual(canonical);
        expect(encodeCanonicalCbor(decodeCbor(bytes) as CborEncodable)).toEqual(canonical);
      }),
    );
  });

  it('arbitrary bytes give a value or a DecodeError', () => {
    const arb = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      arbValue.chain((v) => {
        const b = encodeCbor(v);
        return fc.tuple(fc.nat(b.length), fc.nat(255)).map(([i, x]) => {
          const c = b.slice();
          if (c.length) c[i % c.length] = x;
          return c;
        });
      }),
    );
    fc.assert(
      fc.property(arb, (bytes) => {
        valueOrTypedError(() => decodeCbor(bytes), DecodeError);
      }),
    );
  });
});
