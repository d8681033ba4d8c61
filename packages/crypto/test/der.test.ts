import { fromHex, toHex } from '@peerwire/wire';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { valueOrTypedError } from '../../../tooling/test-helpers.js';
import {
  buildSpki,
  encodeEcdsaSignature,
  parseEcdsaSignature,
  parsePrivateKeyDer,
  parseRsaPublicKey,
  parseSpki,
} from '../src/der.js';
import { CryptoError, importPrivateKey, parsePublicKey } from '../src/index.js';
import { nodeKeyPair, pkixOf, VECTOR_KEYS } from './helpers.js';

describe('ECDSA signature DER', () => {
  it('converts r||s to minimal DER and back', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 64, maxLength: 64 }), (rs) => {
        const der = encodeEcdsaSignature(rs);
        // Zero r or s would not be positive INTEGERs: those parse as null.
        const zero = (b: Uint8Array) => b.every((x) => x === 0);
        const back = parseEcdsaSignature(der, 32);
        if (zero(rs.subarray(0, 32)) || zero(rs.subarray(32))) expect(back).toBeNull();
        else expect(toHex(back!)).toBe(toHex(rs));
      }),
    );
  });

  it('refuses what Go refuses: non-minimal or negative integers, trailing bytes, long lengths', () => {
    const ok = fromHex('3006020101020102');
    expect(parseEcdsaSignature(ok, 32)).not.toBeNull();
    for (const bad of [
      '300702020001020102', // non-minimal r
      '3006020181020102', // negative r
      '300602010102010200', // trailing byte inside
      '30060201010201021f', // trailing after the sequence
      '308106020101020102', // non-minimal length
      '3003020101', // one integer
      '3006020100020102', // r = 0
    ]) {
      expect(parseEcdsaSignature(fromHex(bad), 32), bad).toBeNull();
    }
    // r longer than the curve.
    expect(parseEcdsaSignature(encodeEcdsaSignature(new Uint8Array(66).fill(1)), 32)).toBeNull();
  });

  it('never throws on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (b) => void parseEcdsaSignature(b, 32)),
    );
  });
});

describe('PKIX and private key DER', () => {
  it('rebuilds every vector PKIX from its raw key', () => {
    for (const name of ['alice', 'bob', 'chloe', 'daniel', 'xena'] as const) {
      const { type, raw } = parseSpki(pkixOf(name));
      expect(type).toBe(VECTOR_KEYS[name].type);
      expect(toHex(buildSpki(type, raw))).toBe(VECTOR_KEYS[name].public_pkix_der_hex);
    }
  });

  it('arbitrary or mutated bytes give a key or a CryptoError', async () => {
    const samples = (['alice', 'bob', 'chloe', 'daniel', 'xena'] as const).flatMap((n) => [
      pkixOf(n),
      fromHex(VECTOR_KEYS[n].pkcs8_der_hex),
    ]);
    // An RSA public key too, so that mutations reach the PKCS#1 RSAPublicKey parser.
    const rsaPkix = nodeKeyPair('rsa', { modulusLength: 1024 }).pkix;
    samples.push(rsaPkix);
    // The RSAPublicKey inside a 1024-bit SPKI starts after 22 bytes of headers.
    expect(parseRsaPublicKey(rsaPkix.subarray(22)).bits).toBe(1024);
    const mutated = fc
      .tuple(fc.constantFrom(...samples), fc.nat(), fc.integer({ min: 1, max: 255 }))
      .map(([b, at, x]) => {
        const out = b.slice();
        out[at % out.length]! ^= x;
        return out;
      });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 140 }), mutated), (bytes) => {
        valueOrTypedError(() => parseSpki(bytes), CryptoError);
        valueOrTypedError(() => parsePublicKey(bytes), CryptoError);
        const rsa = valueOrTypedError(() => parseRsaPublicKey(bytes.subarray(22)), CryptoError);
        if (rsa !== undefined) expect(rsa.bits).toBeGreaterThanOrEqual(1024);
        const priv = valueOrTypedError(() => parsePrivateKeyDer(bytes), CryptoError);
        if (priv !== undefined) expect(priv.secret.length).toBeGreaterThan(0);
      }),
    );
    await fc.assert(
      fc.asyncProperty(mutated, async (bytes) => {
        try {
          await importPrivateKey(bytes);
        } catch (error) {
          if (!(error instanceof CryptoError)) throw error;
        }
      }),
      // Each valid-looking case derives a public key (a scalar multiplication): 2,000 runs.
      { numRuns: 2000 },
    );
  });

  it('refuses RSA private keys with UNSUPPORTED_KEY', async () => {
    const der = nodeKeyPair('rsa', { modulusLength: 1024 }).pkcs8;
    expect(() => parsePrivateKeyDer(der)).toThrow(
      expect.objectContaining({ code: 'UNSUPPORTED_KEY' }),
    );
  });
});
