import { DecodeError, encodeLengthPrefixed, encodeTlsRecord, toHex } from '@peerwire/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectThrowsCode, valueOrTypedError } from '../../../tooling/test-helpers.js';
import { TransportError } from '../src/index.js';
import { lengthPrefixed, tlsRecords } from '../src/node/index.js';

describe('lengthPrefixed', () => {
  const framing = lengthPrefixed();
  it('encodes exactly like the wire reference and decodes back', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (message) => {
        const frame = framing.encode(message);
        expect(Object.getPrototypeOf(frame)).toBe(Uint8Array.prototype);
        expect(toHex(frame)).toBe(toHex(encodeLengthPrefixed(message)));
        expect(framing.createFramer().push(frame).map(toHex)).toEqual([toHex(message)]);
      }),
    );
  });

  it('has a 1 MiB default limit, refuses larger messages and bad limits', () => {
    expect(framing.maxFrameLength).toBe(1 << 20);
    expectThrowsCode(
      () => lengthPrefixed(10).encode(new Uint8Array(11)),
      TransportError,
      'TOO_LARGE',
    );
    expect(lengthPrefixed(10).encode(new Uint8Array(10)).length).toBe(14);
    expectThrowsCode(() => lengthPrefixed(-1), TransportError, 'BAD_OPTION');
    expectThrowsCode(() => lengthPrefixed(2 ** 32), TransportError, 'BAD_OPTION');
  });

  it('its framer gives frames or DecodeError for arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        valueOrTypedError(() => lengthPrefixed(50).createFramer().push(bytes), DecodeError);
      }),
    );
  });
});

describe('tlsRecords', () => {
  const framing = tlsRecords();
  it('encodes exactly like the wire reference and decodes back', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (message) => {
        const frame = framing.encode(message);
        expect(toHex(frame)).toBe(toHex(encodeTlsRecord(message)));
        expect(framing.createFramer().push(frame).map(toHex)).toEqual([toHex(message)]);
      }),
    );
  });

  it('is limited to 65535 bytes by the u16 length', () => {
    expect(framing.maxFrameLength).toBe(65_535);
    expect(framing.encode(new Uint8Array(65_535)).length).toBe(65_540);
    expectThrowsCode(() => framing.encode(new Uint8Array(65_536)), TransportError, 'TOO_LARGE');
    expectThrowsCode(() => tlsRecords(65_536), TransportError, 'BAD_OPTION');
  });

  it('its framer gives frames or DecodeError for arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        valueOrTypedError(() => tlsRecords(50).createFramer().push(bytes), DecodeError);
      }),
    );
  });
});
