import { ed25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodePeerToBase,
  nobleEd25519Verify,
  type SignedPeerToBaseMessage,
  sealPeerToBase,
  verifyPeerToBase,
} from '../src/index.js';
import { opensslEd25519Verify } from '../src/node/index.js';
import { expectCode, filled, testIdentity } from './helpers.js';

const L = 2n ** 252n + 27742317777372353535851937790883648493n;

describe('opensslEd25519Verify (@peerwire/natbase/node)', () => {
  it('agrees with the noble verifier on valid, tampered and unrelated signatures', () => {
    const fast = opensslEd25519Verify(8);
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 200 }),
        fc.nat(),
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        (sk, msg, at, junk) => {
          const pk = ed25519.getPublicKey(sk);
          const sig = ed25519.sign(msg, sk);
          expect(fast(sig, msg, pk)).toBe(true);
          expect(nobleEd25519Verify(sig, msg, pk)).toBe(true);
          const bad = sig.slice();
          bad[at % 64]! ^= 1 << (at % 8);
          expect(fast(bad, msg, pk)).toBe(nobleEd25519Verify(bad, msg, pk));
          expect(fast(bad, msg, pk)).toBe(false);
          expect(fast(junk, msg, pk)).toBe(nobleEd25519Verify(junk, msg, pk));
          expect(fast(sig, msg, junk.subarray(0, 32))).toBe(
            nobleEd25519Verify(sig, msg, junk.subarray(0, 32)),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses a non-canonical S (S + L), as the strict noble verifier does', () => {
    const sk = filled(32, 3);
    const pk = ed25519.getPublicKey(sk);
    const msg = Uint8Array.of(1, 2, 3);
    const sig = ed25519.sign(msg, sk);
    let s = 0n;
    for (let i = 31; i >= 0; i--) s = (s << 8n) | BigInt(sig[32 + i]!);
    s += L;
    const forged = sig.slice();
    for (let i = 0; i < 32; i++) forged[32 + i] = Number((s >> BigInt(8 * i)) & 0xffn);
    expect(nobleEd25519Verify(forged, msg, pk)).toBe(false);
    expect(opensslEd25519Verify()(forged, msg, pk)).toBe(false);
  });

  it('plugs into verifyPeerToBase; wrong lengths are false, not exceptions', () => {
    const me = testIdentity(1);
    const fast = opensslEd25519Verify(1);
    const bytes = sealPeerToBase({ kind: 'NAT_INIT', counter: 5n }, me, filled(16, 1));
    const m = decodePeerToBase(bytes) as SignedPeerToBaseMessage;
    verifyPeerToBase(m, bytes, fast);
    verifyPeerToBase(m, bytes, fast); // from the cache
    const bad = bytes.slice();
    bad[70]! ^= 1;
    expectCode(
      () => verifyPeerToBase(decodePeerToBase(bad) as SignedPeerToBaseMessage, bad, fast),
      'BAD_SIGNATURE',
    );
    expect(fast(new Uint8Array(63), new Uint8Array(0), me.publicKey)).toBe(false);
    expect(fast(new Uint8Array(64), new Uint8Array(0), new Uint8Array(31))).toBe(false);
  });
});
