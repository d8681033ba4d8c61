import { describe, expect, it } from 'vitest';
import {
  type BaseToPeerMessage,
  decodeBaseToPeer,
  encodeBaseToPeer,
  parseIp,
  usableTransientRange,
} from '../src/index.js';
import {
  cat,
  expectCode,
  filled,
  roundTripOrTypedError,
  sizedBytes,
  testIdentity,
  u16le,
} from './helpers.js';

const dev = testIdentity(1).deviceId;
const a1 = { ip: parseIp('203.0.113.5'), port: 443 };
const a2 = { ip: parseIp('2001:db8::5'), port: 5582 };
const a1Bytes = cat([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 203, 0, 113, 5], u16le(443));
const a2Bytes = cat(parseIp('2001:db8::5'), u16le(5582));

describe('base → peer fixtures (spec §6 layouts)', () => {
  const cases: [string, BaseToPeerMessage, Uint8Array][] = [
    [
      'HELLO: 00 ‖ cookie(16), 17 bytes',
      { kind: 'HELLO', cookie: filled(16, 0xab) },
      cat([0], filled(16, 0xab)),
    ],
    [
      'DEVICE_ADDRESSES: 01 ‖ id ‖ n × address(18)',
      { kind: 'DEVICE_ADDRESSES', deviceId: dev, addresses: [a1, a2] },
      cat([1], dev, a1Bytes, a2Bytes),
    ],
    [
      'DATA: 02 ‖ source ‖ data',
      { kind: 'DATA', source: dev, data: Uint8Array.of(9, 8, 7) },
      cat([2], dev, [9, 8, 7]),
    ],
    ['NAT_OK: 03', { kind: 'NAT_OK' }, Uint8Array.of(3)],
    [
      'NAT_OK with ignored trailing bytes',
      { kind: 'NAT_OK', trailing: Uint8Array.of(1, 2) },
      Uint8Array.of(3, 1, 2),
    ],
    ['STATE: 04 ‖ 1 address', { kind: 'STATE', addresses: [a1] }, cat([4], a1Bytes)],
    [
      'STATE: 04 ‖ 2 addresses ‖ transient lo ‖ hi (u16 LE)',
      { kind: 'STATE', addresses: [a1, a2], transient: { lo: 0x1f90, hi: 0x1fa3 } },
      cat([4], a1Bytes, a2Bytes, [0x90, 0x1f, 0xa3, 0x1f]),
    ],
  ];
  for (const [name, message, bytes] of cases) {
    it(name, () => {
      expect(encodeBaseToPeer(message)).toEqual(bytes);
      expect(decodeBaseToPeer(bytes)).toEqual(message);
    });
  }
  it('HELLO is exactly 17 bytes', () => {
    expect(encodeBaseToPeer({ kind: 'HELLO', cookie: filled(16, 1) }).length).toBe(17);
  });
});

describe('base → peer parser rules', () => {
  it('HELLO of any other length is BAD_LENGTH', () => {
    for (const n of [1, 9, 16, 18, 33])
      expectCode(() => decodeBaseToPeer(cat([0], new Uint8Array(n - 1))), 'BAD_LENGTH');
  });
  it('DEVICE_ADDRESSES needs ≥ 1 whole entry (strict: a trailing partial entry is refused)', () => {
    expectCode(() => decodeBaseToPeer(cat([1], dev)), 'BAD_LENGTH');
    expectCode(() => decodeBaseToPeer(cat([1], dev, a1Bytes, [1, 2])), 'BAD_LENGTH');
    expectCode(
      () => encodeBaseToPeer({ kind: 'DEVICE_ADDRESSES', deviceId: dev, addresses: [] }),
      'BAD_VALUE',
    );
  });
  it('DATA needs more than 17 bytes', () => {
    expectCode(() => decodeBaseToPeer(cat([2], dev)), 'BAD_LENGTH');
    expectCode(
      () => encodeBaseToPeer({ kind: 'DATA', source: dev, data: new Uint8Array(0) }),
      'BAD_LENGTH',
    );
  });
  it('STATE carries 1 to 5 entries, optionally a 4-byte range, nothing else', () => {
    expectCode(() => decodeBaseToPeer(Uint8Array.of(4)), 'BAD_LENGTH');
    expectCode(() => decodeBaseToPeer(Uint8Array.of(4, 0, 0, 0, 0)), 'BAD_LENGTH');
    expectCode(() => decodeBaseToPeer(cat([4], a1Bytes, [1, 2])), 'BAD_LENGTH');
    const five = Array.from({ length: 5 }, () => a1);
    expect(decodeBaseToPeer(encodeBaseToPeer({ kind: 'STATE', addresses: five }))).toEqual({
      kind: 'STATE',
      addresses: five,
    });
    expectCode(() => decodeBaseToPeer(cat([4], ...five.map(() => a1Bytes), a1Bytes)), 'BAD_LENGTH');
    expectCode(() => encodeBaseToPeer({ kind: 'STATE', addresses: [...five, a1] }), 'BAD_VALUE');
    expectCode(() => encodeBaseToPeer({ kind: 'STATE', addresses: [] }), 'BAD_VALUE');
  });
  it('the transient range is usable only if lo ≠ 0 and hi ≥ lo', () => {
    const s = (lo: number, hi: number) => ({
      kind: 'STATE' as const,
      addresses: [a1],
      transient: { lo, hi },
    });
    expect(usableTransientRange(s(8000, 8019))).toEqual({ lo: 8000, hi: 8019 });
    expect(usableTransientRange(s(8000, 8000))).toEqual({ lo: 8000, hi: 8000 });
    expect(usableTransientRange(s(0, 8019))).toBeUndefined();
    expect(usableTransientRange(s(8019, 8000))).toBeUndefined();
    expect(usableTransientRange({ kind: 'STATE', addresses: [a1] })).toBeUndefined();
  });
  it('REDIRECT (5) and unknown kinds are UNKNOWN_KIND; empty input EMPTY_MESSAGE', () => {
    for (const k of [5, 6, 0xff])
      expectCode(() => decodeBaseToPeer(cat([k], new Uint8Array(20))), 'UNKNOWN_KIND');
    expectCode(() => decodeBaseToPeer(new Uint8Array(0)), 'EMPTY_MESSAGE');
  });
  it('fast-check: arbitrary bytes re-encode identically or give a NatbaseError', () => {
    roundTripOrTypedError(
      sizedBytes([0, 1, 2, 3, 4, 5], [17, 35, 53, 19, 23, 37, 41, 91, 95, 109]),
      decodeBaseToPeer,
      encodeBaseToPeer,
    );
  });
});
