import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodePeerToBase, encodeBaseToPeer, NatbaseError } from '../../src/index.js';
import { encodeBaseData, idKey, viewPeerData } from '../../src/server/wire.js';

describe("the base server's hot-path codecs", () => {
  it('encodeBaseData gives the bytes of encodeBaseToPeer', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 1, maxLength: 300 }),
        (source, data) => {
          expect(encodeBaseData(source, data)).toEqual(
            encodeBaseToPeer({ kind: 'DATA', source, data }),
          );
        },
      ),
    );
  });

  it('viewPeerData agrees with decodePeerToBase on DATA and declines everything else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), fc.boolean(), (rest, asData) => {
        const bytes = asData ? Uint8Array.of(1, ...rest) : rest;
        const view = viewPeerData(bytes);
        let decoded: ReturnType<typeof decodePeerToBase> | undefined;
        try {
          decoded = decodePeerToBase(bytes);
        } catch (e) {
          expect(e).toBeInstanceOf(NatbaseError);
        }
        if (decoded?.kind === 'DATA') expect(view).toEqual(decoded);
        else expect(view).toBeUndefined();
      }),
    );
  });

  it('idKey is one-to-one on 16-byte ids', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        (a, b) => {
          expect(idKey(a) === idKey(b)).toBe(a.every((x, i) => x === b[i]));
        },
      ),
    );
  });
});
