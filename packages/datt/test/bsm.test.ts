import { secp256k1 } from '@noble/curves/secp256k1.js';
import { toHex, utf8Encode } from '@peerwire/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectThrowsCode, valueOrTypedError } from '../../../tooling/test-helpers.js';
import {
  addressFromPublicKey,
  addressToString,
  bsmHash,
  DattError,
  nobleCompact,
  publicKeyOf,
  recoverMessageSigner,
  signMessage,
  verifyMessage,
} from '../src/index.js';
import { nodeCompact } from '../src/node/index.js';
import { bitcoinMessage, bsv, bsvKeyPair, keyOf } from './helpers.js';

// Cross-checks run over a fixed table of keys and messages (lengths around the CompactSize
// boundaries): the independent libraries are pure JS and take 10-30 ms a signature.
const CASES = Array.from({ length: 48 }, (_, i) => ({
  key: keyOf(`cross ${i}`),
  message: Uint8Array.from(
    { length: [0, 1, 31, 32, 100, 252, 253, 254, 300, 1000][i % 10]! + i },
    (_, j) => (j * 31 + i) & 0xff,
  ),
}));

describe('Bitcoin Signed Message', () => {
  const alice = keyOf('alice');
  const alicePub = publicKeyOf(alice);
  const aliceAddress = addressToString(addressFromPublicKey(alicePub));

  it('hashes with the magic prefix and a CompactSize length', () => {
    // The same hash bsv computes (fullnode's Bsm.magicHash).
    for (const n of [0, 1, 252, 253, 300, 70000]) {
      const m = new Uint8Array(n).fill(0x61);
      expect(toHex(bsmHash(m))).toBe(bsv.Bsm.magicHash(Buffer.from(m)).toString('hex'));
    }
  });

  it('signs deterministically (RFC 6979), low-S, with a compressed-key header', () => {
    const m = utf8Encode('Datt');
    const sig = signMessage(m, alice);
    expect(sig.length).toBe(65);
    expect(sig[0]).toBeGreaterThanOrEqual(31);
    expect(sig[0]).toBeLessThanOrEqual(34);
    expect(toHex(signMessage(m, alice))).toBe(toHex(sig));
    const s = BigInt(`0x${toHex(sig.subarray(33))}`);
    expect(s <= secp256k1.Point.CURVE().n / 2n).toBe(true);
  });

  it('makes the same bytes as bitcoinjs-message and bsv, and each verifies the others', () => {
    for (const { key, message } of CASES) {
      const ours = signMessage(message, key);
      const address = addressToString(addressFromPublicKey(publicKeyOf(key)));
      // theirs → here
      const bjs = bitcoinMessage.sign(Buffer.from(message), Buffer.from(key), true);
      expect(toHex(recoverMessageSigner(message, bjs))).toBe(toHex(publicKeyOf(key)));
      // here → theirs
      expect(bitcoinMessage.verify(Buffer.from(message), address, Buffer.from(ours))).toBe(true);
      // both are RFC 6979 + low-S: byte-identical
      expect(toHex(ours)).toBe(toHex(bjs));
    }
  });

  it('interoperates with bsv Bsm in both directions', () => {
    for (const { key, message } of CASES) {
      const kp = bsvKeyPair(key);
      const address = bsv.Address.fromPubKey(kp.pubKey);
      const theirs: string = bsv.Bsm.sign(Buffer.from(message), kp);
      verifyMessage(message, Buffer.from(theirs, 'base64'), publicKeyOf(key));
      const ours = Buffer.from(signMessage(message, key)).toString('base64');
      expect(bsv.Bsm.verify(Buffer.from(message), ours, address)).toBe(true);
      expect(ours).toBe(theirs); // fullnode's signer is RFC 6979 + low-S too
    }
  });

  it('refuses another key, a tampered message, high-S and bad headers', () => {
    const m = utf8Encode('pay me');
    const sig = signMessage(m, alice);
    expectThrowsCode(
      () => verifyMessage(m, sig, publicKeyOf(keyOf('bob'))),
      DattError,
      'KEY_MISMATCH',
    );
    expectThrowsCode(
      () => verifyMessage(utf8Encode('pay me!'), sig, alicePub),
      DattError,
      'KEY_MISMATCH',
    );
    // The high-S twin of a valid signature: (r, n - s), recovery bit flipped.
    const n = secp256k1.Point.CURVE().n;
    const s = BigInt(`0x${toHex(sig.subarray(33))}`);
    const high = sig.slice();
    high.set(
      secp256k1.Signature.fromBytes(sig.subarray(1), 'compact').toBytes('compact').subarray(0, 32),
      1,
    );
    high.set(Buffer.from((n - s).toString(16).padStart(64, '0'), 'hex'), 33);
    high[0] = 31 + ((sig[0]! - 31) ^ 1);
    expectThrowsCode(() => verifyMessage(m, high, alicePub), DattError, 'BAD_SIGNATURE');
    verifyMessage(m, high, alicePub, { allowHighS: true });
    const uncompressed = sig.slice();
    uncompressed[0] = sig[0]! - 4; // 27-30: an uncompressed-key signature
    expectThrowsCode(() => recoverMessageSigner(m, uncompressed), DattError, 'BAD_SIGNATURE');
    expectThrowsCode(() => recoverMessageSigner(m, sig.subarray(1)), DattError, 'BAD_SIGNATURE');
    const zeroR = sig.slice();
    zeroR.fill(0, 1, 33);
    expectThrowsCode(() => recoverMessageSigner(m, zeroR), DattError, 'BAD_SIGNATURE');
    expect(aliceAddress.startsWith('1')).toBe(true);
  });

  it('recovers from arbitrary 65-byte signatures a key or a DattError', () => {
    const m = utf8Encode('x');
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 65, maxLength: 65 }),
        fc.integer({ min: 31, max: 34 }),
        (sig, header) => {
          sig[0] = header;
          const key = valueOrTypedError(() => recoverMessageSigner(m, sig), DattError);
          if (key) expect(key.length).toBe(33);
        },
      ),
      { numRuns: 1000 }, // one point recovery a case
    );
  });
});

describe('the libsecp256k1 backend (nodeCompact) against the portable one', () => {
  const fast = { backend: nodeCompact };

  it('signs the same bytes and recovers the same key for any key and message', () => {
    fc.assert(
      fc.property(
        fc
          .uint8Array({ minLength: 32, maxLength: 32 })
          .filter((k) => secp256k1.utils.isValidSecretKey(k)),
        fc.uint8Array({ maxLength: 300 }),
        (key, message) => {
          const sig = signMessage(message, key, nodeCompact);
          expect(toHex(sig)).toBe(toHex(signMessage(message, key, nobleCompact)));
          expect(toHex(recoverMessageSigner(message, sig, fast))).toBe(toHex(publicKeyOf(key)));
        },
      ),
      { numRuns: 300 }, // a portable signature costs milliseconds
    );
  });

  it('interoperates with bitcoinjs-message both ways', () => {
    for (const { key, message } of CASES.slice(0, 12)) {
      const address = addressToString(addressFromPublicKey(publicKeyOf(key)));
      const ours = signMessage(message, key, nodeCompact);
      expect(bitcoinMessage.verify(Buffer.from(message), address, Buffer.from(ours))).toBe(true);
      const theirs = bitcoinMessage.sign(Buffer.from(message), Buffer.from(key), true);
      verifyMessage(message, theirs, publicKeyOf(key), fast);
    }
  });

  it('refuses what the portable backend refuses, with the same codes', () => {
    const alice = keyOf('alice');
    const m = utf8Encode('pay me');
    const sig = signMessage(m, alice, nodeCompact);
    expectThrowsCode(
      () => verifyMessage(m, sig, publicKeyOf(keyOf('bob')), fast),
      DattError,
      'KEY_MISMATCH',
    );
    expectThrowsCode(
      () => verifyMessage(utf8Encode('pay me!'), sig, publicKeyOf(alice), fast),
      DattError,
      'KEY_MISMATCH',
    );
    const zeroR = sig.slice();
    zeroR.fill(0, 1, 33);
    expectThrowsCode(() => recoverMessageSigner(m, zeroR, fast), DattError, 'BAD_SIGNATURE');
  });

  it('recovers exactly what the portable backend recovers from arbitrary signatures', () => {
    const m = utf8Encode('x');
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 65, maxLength: 65 }),
        fc.integer({ min: 31, max: 34 }),
        fc.boolean(),
        (sig, header, allowHighS) => {
          sig[0] = header;
          const slow = valueOrTypedError(
            () => recoverMessageSigner(m, sig, { allowHighS }),
            DattError,
          );
          const quick = valueOrTypedError(
            () => recoverMessageSigner(m, sig, { allowHighS, backend: nodeCompact }),
            DattError,
          );
          expect(quick && toHex(quick)).toBe(slow && toHex(slow));
        },
      ),
      { numRuns: 1000 }, // one portable point recovery a case
    );
  });
});
