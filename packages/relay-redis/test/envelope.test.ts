import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeEnvelope, encodeEnvelope, RelayRedisError } from '../src/index.js';

const hash = 'A'.repeat(43);

describe('bus envelope', () => {
  it('round-trips k. and c. targets with the packet untouched', () => {
    for (const target of [
      { type: 'k', hash } as const,
      { type: 'k', hash, server: 'srv1' } as const,
      { type: 'c', server: 'srv1', clientId: 'conn-abc' } as const,
    ]) {
      const packet = Uint8Array.from([1, 2, 3, 4]);
      const e = decodeEnvelope(encodeEnvelope({ origin: 'r0', target, sentAt: 1234.5, packet }));
      expect(e).toEqual({ origin: 'r0', target, sentAt: 1234.5, packet });
    }
  });

  it('any origin text round-trips, ASCII or not (the ASCII fast path and UTF-8 agree)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), (origin) => {
        fc.pre(origin.length > 0 && Buffer.byteLength(origin) <= 255);
        const packet = Uint8Array.of(7);
        const target = { type: 'c', server: 's1', clientId: 'x' } as const;
        const bytes = encodeEnvelope({ origin, target, sentAt: 1, packet });
        expect(bytes[9]).toBe(Buffer.byteLength(origin));
        expect(decodeEnvelope(bytes)).toEqual({ origin, target, sentAt: 1, packet });
      }),
    );
  });

  it('refuses other targets and malformed headers with BAD_ENVELOPE', () => {
    const good = encodeEnvelope({
      origin: 'r0',
      target: { type: 'k', hash },
      sentAt: 1,
      packet: new Uint8Array(2),
    });
    for (const bad of [
      new Uint8Array(0),
      Uint8Array.of(2, ...good.subarray(1)),
      good.subarray(0, 14),
      encodeEnvelope({
        origin: 'r0',
        target: { type: 'g', hash },
        sentAt: 1,
        packet: new Uint8Array(0),
      }),
    ]) {
      expect(() => decodeEnvelope(bad)).toThrow(RelayRedisError);
    }
  });

  it('arbitrary bytes: an envelope that re-encodes to the same bytes, or BAD_ENVELOPE', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        let e: ReturnType<typeof decodeEnvelope>;
        try {
          e = decodeEnvelope(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(RelayRedisError);
          expect((error as RelayRedisError).code).toBe('BAD_ENVELOPE');
          return;
        }
        expect(encodeEnvelope(e).length).toBeLessThanOrEqual(bytes.length);
      }),
    );
    // a non-canonical spelling of a target (found by the mutation property: `c:` for `c.`)
    const canonical = encodeEnvelope({
      origin: 'r0',
      target: { type: 'c', server: 's', clientId: 'conn-x' },
      sentAt: 5,
      packet: new Uint8Array(4),
    });
    const respelled = canonical.slice();
    respelled[15] = ':'.charCodeAt(0);
    expect(() => decodeEnvelope(respelled)).toThrow(/canonical/);
    // mutations of a valid envelope
    const good = encodeEnvelope({
      origin: 'r0',
      target: { type: 'c', server: 's', clientId: 'conn-x' },
      sentAt: 5,
      packet: new Uint8Array(4),
    });
    fc.assert(
      fc.property(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 }), (at, v) => {
        const copy = good.slice();
        copy[at] = v;
        try {
          const e = decodeEnvelope(copy);
          expect(encodeEnvelope(e)).toEqual(copy);
        } catch (error) {
          expect((error as RelayRedisError).code).toBe('BAD_ENVELOPE');
        }
      }),
    );
  });
});
