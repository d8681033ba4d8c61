import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compressIPv6,
  decodeCompressed,
  encodeCompressed,
  expandToIPv6,
  NatbaseError,
  parseIp,
} from '../src/index.js';
import { cat, expectCode, roundTripOrTypedError, sizedBytes, testIdentity } from './helpers.js';

const me = testIdentity(1).deviceId;
const peer = testIdentity(2).deviceId;
const group = parseIp('ff02::1');

function ipv6(src: Uint8Array, dst: Uint8Array, nextHeader: number, payload: Uint8Array, hop = 64) {
  return cat(
    [0x60, 0, 0, 0, payload.length >> 8, payload.length & 0xff, nextHeader, hop],
    src,
    dst,
    payload,
  );
}

describe('IPv6 header compression (spec §12)', () => {
  const l4 = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);

  it('unicast: nextHeader ‖ L4; the receiver rebuilds the header with hop limit 3', () => {
    const { destination, packet } = compressIPv6(ipv6(me, peer, 17, l4), me);
    expect(destination).toEqual(peer);
    const wire = encodeCompressed(packet);
    expect(wire).toEqual(cat([17], l4));
    const rebuilt = expandToIPv6(decodeCompressed(wire), me, peer);
    expect(rebuilt).toEqual(ipv6(me, peer, 17, l4, 3));
    expect(rebuilt[7]).toBe(3);
    expect((rebuilt[4]! << 8) | rebuilt[5]!).toBe(300);
  });

  it('multicast: FF 01 ‖ nextHeader ‖ group(16) ‖ L4', () => {
    const { destination, packet } = compressIPv6(ipv6(me, group, 58, l4), me);
    expect(destination).toEqual(group);
    const wire = encodeCompressed(packet);
    expect(wire).toEqual(cat([0xff, 0x01, 58], group, l4));
    expect(expandToIPv6(decodeCompressed(wire), me, peer)).toEqual(ipv6(me, group, 58, l4, 3));
  });

  it('refuses what cannot be tunnelled', () => {
    expectCode(() => compressIPv6(ipv6(me, peer, 17, new Uint8Array(0)), me), 'BAD_LENGTH');
    expectCode(() => compressIPv6(cat([0x45], new Uint8Array(60)), me), 'BAD_VALUE');
    expectCode(() => compressIPv6(ipv6(peer, peer, 17, l4), me), 'BAD_VALUE');
    expectCode(() => compressIPv6(ipv6(me, parseIp('2001:db8::1'), 17, l4), me), 'BAD_VALUE');
    expectCode(() => compressIPv6(ipv6(me, peer, 0xff, Uint8Array.of(1, 2)), me), 'BAD_VALUE');
    expectCode(() => decodeCompressed(Uint8Array.of(17)), 'BAD_LENGTH');
    expectCode(() => decodeCompressed(cat([0xff, 0x01, 17], group)), 'BAD_LENGTH');
    expectCode(() => decodeCompressed(cat([0xff, 0x01, 17], parseIp('fc94::1'), [1])), 'BAD_VALUE');
  });

  it('fast-check: any fc94 unicast or ff multicast packet survives compression and expansion', () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.integer({ min: 0, max: 254 }),
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        (mc, nh, payload) => {
          const dst = mc ? group : peer;
          const { packet } = compressIPv6(ipv6(me, dst, nh, payload), me);
          expect(expandToIPv6(decodeCompressed(encodeCompressed(packet)), me, peer)).toEqual(
            ipv6(me, dst, nh, payload, 3),
          );
        },
      ),
    );
  });

  it('fast-check: arbitrary bytes re-encode identically or give a NatbaseError', () => {
    roundTripOrTypedError(
      sizedBytes([0xff, 6, 17, 58], [2, 20, 21]),
      decodeCompressed,
      encodeCompressed,
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        try {
          compressIPv6(bytes, me);
        } catch (e) {
          expect(e).toBeInstanceOf(NatbaseError);
        }
      }),
    );
  });
});
